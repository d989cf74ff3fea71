// Package board serves a project's read-only web board (进度看板) at
// /board/<token>: one page of plain HTML, CSS and JavaScript, embedded in the
// binary, that draws the Gantt with the critical path and milestones, the
// burn-up, the open escalations by colour, this week's check-in participation
// and the risks from /board/<token>/data.json.
//
// The token is a signed, expiring bot.Link of kind bot.LinkBoard: holding it
// is the permission, and it opens that one project's board and nothing else.
// A token that is malformed, tampered with or of another kind is answered
// 404, an expired one 410 Gone. Every answer forbids caching, framing and the
// Referer header, so the token does not leak from the page.
package board

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"

	"github.com/loopbot/loopbot/bot"
)

//go:embed web
var web embed.FS

// Prefix is the path the handler serves under.
const Prefix = "/board/"

// Config is what the handler needs.
type Config struct {
	// Verify checks a token (bot.Signer.VerifyLink at the service's clock):
	// bot.ErrLinkInvalid or bot.ErrLinkExpired.
	Verify func(token string) (bot.Link, error)
	// Data returns the board of the link's project, encoded as data.json; an
	// error of code ENOTFOUND is answered 404.
	Data   func(ctx context.Context, l bot.Link) (any, error)
	Logger *slog.Logger
}

// Handler returns the handler of Prefix: GET or HEAD /board/<token>, and
// /board/<token>/ + data.json, board.js or board.css.
func Handler(cfg Config) http.Handler {
	page := template.Must(template.ParseFS(web, "web/index.html"))
	static, _ := fs.Sub(web, "web")
	return &handler{cfg: cfg, page: page, static: static}
}

type handler struct {
	cfg    Config
	page   *template.Template
	static fs.FS
}

// securityHeaders: only this page's own script, style and data; no
// framing, no Referer (it would carry the token), no caching, no indexing.
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Robots-Tag", "noindex, nofollow")
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w.Header())
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	token, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, Prefix), "/")
	l, err := h.cfg.Verify(token)
	if err == nil && l.Kind != bot.LinkBoard {
		err = bot.ErrLinkInvalid
	}
	switch {
	case errors.Is(err, bot.ErrLinkExpired):
		h.refuse(w, http.StatusGone, "This board link has expired. Ask the project's manager for a new one (/board).",
			"此看板链接已过期，请向项目经理索取新链接（/看板）。")
		return
	case err != nil:
		h.refuse(w, http.StatusNotFound, "This board link is not valid.", "此看板链接无效。")
		return
	}
	switch rest {
	case "":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := h.page.Execute(w, struct{ Token string }{token}); err != nil {
			h.cfg.Logger.Warn("board page", slog.Any("error", err))
		}
	case "data.json":
		h.data(w, r, l)
	case "board.js", "board.css":
		http.ServeFileFS(w, r, h.static, rest)
	default:
		http.NotFound(w, r)
	}
}

func (h *handler) data(w http.ResponseWriter, r *http.Request, l bot.Link) {
	d, err := h.cfg.Data(r.Context(), l)
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		h.refuse(w, http.StatusNotFound, "This project no longer exists.", "该项目已不存在。")
		return
	}
	if err != nil {
		h.cfg.Logger.Error("board data", "project", bot.ProjectCode(l.Project), slog.Any("error", err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if err := json.NewEncoder(w).Encode(d); err != nil {
		h.cfg.Logger.Warn("board data", slog.Any("error", err))
	}
}

// refuse answers a short bilingual page with status.
func (h *handler) refuse(w http.ResponseWriter, status int, en, zh string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	refusal.Execute(w, struct{ En, Zh string }{en, zh})
}

var refusal = template.Must(template.New("refusal").Parse(`<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>loopbot</title></head>
<body><p>{{.Zh}}</p><p>{{.En}}</p></body></html>
`))
