package main

import (
	"context"
	"net/http"
	"strings"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/export/board"
)

// linkURL returns the URL of a path of this service: server.public_url,
// else the address the listener is on.
func (a *App) linkURL(path string) string {
	if u := strings.TrimRight(a.cfg.Server.PublicURL, "/"); u != "" {
		return u + path
	}
	host := a.cfg.Server.Listen
	if a.listener != nil {
		host = a.listener.Addr().String()
	}
	return "http://" + host + path
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
