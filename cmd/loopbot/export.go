package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/cards"
	"github.com/loopbot/loopbot/command"
	"github.com/loopbot/loopbot/export"
)

// exportQueueWait is how long an XLSX or CSV export of the running service
// waits for the one before it to finish before it answers 503.
const exportQueueWait = time.Minute

// newExporter returns the exports of the app's store, with the weekly
// summary's figures from the flows, paced to export.cpu_share of a core
// and run one at a time.
func (a *App) newExporter(loc *time.Location) *export.Exporter {
	return &export.Exporter{Store: a.store, Calendar: a.cal, Location: loc, Now: a.now, Summary: a.flows.Summary, Adoption: a.flows.Adoption,
		CPUShare: a.cfg.Export.CPUShare, QueueWait: exportQueueWait}
}

// makeFile makes the bytes of a file that /export sends as a file message
// (bot.FileMaker): the export it names, from one consistent snapshot.
func (a *App) makeFile(ctx context.Context, f bot.File, w io.Writer) error {
	format, err := export.ParseFormat(f.Format)
	if err != nil {
		return err
	}
	lang := cards.Lang(f.Lang)
	if lang == "" {
		lang = cards.Lang(a.cfg.Server.Lang)
	}
	a.logger.Info("export for chat", "project", f.Project, "format", f.Format, "by", string(f.By))
	return a.exporter.Write(ctx, w, export.Request{Project: f.Project, From: f.From, To: f.To, Lang: lang}, format)
}

// fileRoutes registers the download links of /export: GET /files/<token>.
func (a *App) fileRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /files/{token}", a.serveFile)
}

// serveFile answers a signed download link made by /export: 404 for a
// token that is not valid (tampered, or of another server), 410 for one that
// has expired, else the export, made now from one consistent snapshot (or,
// for a card's chart link, bot.LinkChart, the chart as a PNG: serveChart). The
// answers are plain text: the holder of a bad link learns nothing else.
func (a *App) serveFile(w http.ResponseWriter, r *http.Request) {
	l, err := a.signer.VerifyLink(r.PathValue("token"), a.now())
	switch {
	case errors.Is(err, bot.ErrLinkExpired):
		plain(w, http.StatusGone, "This download link has expired. Ask for a new one with /export.\n此下载链接已过期，请用 /导出 重新获取。\n")
		return
	case err == nil && l.Kind == bot.LinkChart:
		a.serveChart(w, r, l)
		return
	case err != nil || l.Kind != bot.LinkFile:
		plain(w, http.StatusNotFound, "This download link is not valid.\n此下载链接无效。\n")
		return
	}
	f, err := export.ParseFormat(l.Format)
	if err != nil {
		plain(w, http.StatusNotFound, "This download link is not valid.\n此下载链接无效。\n")
		return
	}
	a.logger.Info("export download", "project", l.Project, "format", l.Format, "by", string(l.By))
	a.streamExport(w, r, export.Request{Project: l.Project, From: l.From, To: l.To, Lang: cards.Lang(a.cfg.Server.Lang)}, f)
}

// apiExport answers GET /api/v1/export?project=&format=&from=&to= (SPEC
// §10): the file itself. project is optional (every project); format is
// xlsx (default), csv or md; dates are 2006-01-02.
func (a *App) apiExport(w http.ResponseWriter, r *http.Request) {
	req, f, err := exportQuery(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, bot.EINVALID, bot.ErrorMessage(err))
		return
	}
	req.Lang = cards.Lang(a.cfg.Server.Lang)
	a.streamExport(w, r, req, f)
}

// exportQuery reads the export query parameters; an unknown parameter is
// refused too, so that a typo does not export more than meant.
func exportQuery(q url.Values) (export.Request, export.Format, error) {
	var req export.Request
	for k := range q {
		switch k {
		case "project", "format", "from", "to":
		default:
			return req, "", bot.Errorf(bot.EINVALID, "%s: is not a parameter; use project, format, from and to", k)
		}
	}
	if v := q.Get("project"); v != "" {
		id, ok := command.ParseProjectID(v)
		if !ok {
			return req, "", bot.Errorf(bot.EINVALID, "project: %q is not a project id like P1", v)
		}
		req.Project = id
	}
	f := export.XLSX
	if v := q.Get("format"); v != "" {
		var err error
		if f, err = export.ParseFormat(v); err != nil {
			return req, "", bot.Errorf(bot.EINVALID, "format: %q is not xlsx, csv or md", v)
		}
	}
	for _, d := range []struct {
		key string
		dst *bot.Date
	}{{"from", &req.From}, {"to", &req.To}} {
		if v := q.Get(d.key); v != "" {
			day, err := bot.ParseISODate(v)
			if err != nil {
				return req, "", bot.Errorf(bot.EINVALID, "%s: %s", d.key, bot.ErrorMessage(err))
			}
			*d.dst = day
		}
	}
	if !req.From.IsZero() && !req.To.IsZero() && req.To.Before(req.From) {
		return req, "", bot.Errorf(bot.EINVALID, "to: %s is before from: %s", req.To, req.From)
	}
	return req, f, nil
}

// streamExport writes an export as the response, each chunk under a
// rolling write deadline so that a client that stops reading cannot hold the
// read transaction. An error before the first byte gets its status (404 for
// an unknown project); one after it cuts the response short, and is logged.
func (a *App) streamExport(w http.ResponseWriter, r *http.Request, req export.Request, f export.Format) {
	name := a.exporter.Filename(req, f)
	w.Header().Set("Content-Type", f.ContentType())
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	cw := &countWriter{w: deadlineWriter{w: w, rc: http.NewResponseController(w), every: a.timeouts.Chunk}}
	err := a.exporter.Write(r.Context(), cw, req, f)
	switch {
	case err == nil:
	case cw.n > 0:
		a.logger.Error("export cut short", "format", string(f), slog.Any("error", err))
	case bot.ErrorCode(err) == bot.ENOTFOUND:
		w.Header().Del("Content-Disposition")
		plain(w, http.StatusNotFound, bot.ErrorMessage(err)+"\n")
	case bot.ErrorCode(err) == bot.EINVALID:
		w.Header().Del("Content-Disposition")
		plain(w, http.StatusBadRequest, bot.ErrorMessage(err)+"\n")
	case bot.ErrorCode(err) == bot.EUNAVAILABLE:
		w.Header().Del("Content-Disposition")
		w.Header().Set("Retry-After", "60")
		plain(w, http.StatusServiceUnavailable, bot.ErrorMessage(err)+"\n")
	default:
		a.logger.Error("export failed", "format", string(f), slog.Any("error", err))
		w.Header().Del("Content-Disposition")
		plain(w, http.StatusInternalServerError, "The export failed; the server's log says why.\n")
	}
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// plain writes a short plain-text answer.
func plain(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprint(w, msg)
}
