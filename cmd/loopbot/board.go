package main

import (
	"context"
	"net"
	"net/http"
	"strings"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/export/board"
)

// setBaseURL records the URL that links (/board, /files) start with:
// server.public_url, else http:// and the address the service listens on.
func (a *App) setBaseURL(addr net.Addr) {
	base := strings.TrimRight(a.cfg.Server.PublicURL, "/")
	if base == "" {
		base = "http://" + addr.String()
	}
	a.baseURL.Store(&base)
}

// linkURL signs l and returns its absolute URL: the base URL, then
// /board/<token> for a board and /files/<token> for a file.
func (a *App) linkURL(l bot.Link) string {
	base := ""
	if p := a.baseURL.Load(); p != nil {
		base = *p
	}
	path := "/files/"
	if l.Kind == bot.LinkBoard {
		path = board.Prefix
	}
	return base + path + a.signer.SignLink(l)
}

// boardRoutes serves the read-only project boards at /board/<token>.
func (a *App) boardRoutes(mux *http.ServeMux) {
	mux.Handle(board.Prefix, board.Handler(board.Config{
		Verify: func(token string) (bot.Link, error) { return a.signer.VerifyLink(token, a.now()) },
		Data: func(ctx context.Context, l bot.Link) (any, error) {
			var b any
			err := a.store.View(ctx, func(tx bot.Tx) error {
				var err error
				b, err = a.flows.Board(tx, l.Project, a.now())
				return err
			})
			return b, err
		},
		Logger: a.logger.With("component", "board"),
	}))
}
