package main

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/export/chart"
)

// chartFonts loads the chart fonts ([export] font, else the system's CJK
// font) on the first chart drawn, once; see App.closeFonts.
type chartFonts struct {
	once  sync.Once
	fonts *chart.Fonts
	err   error
}

func (a *App) fontsForCharts() (*chart.Fonts, error) {
	a.charts.once.Do(func() {
		a.charts.fonts, a.charts.err = chart.LoadFonts(a.cfg.Export.Font)
		if a.charts.err == nil && !a.charts.fonts.CJK() {
			a.logger.Warn("no CJK font found: chart images get English labels; install fonts-noto-cjk or set export.font")
		}
	})
	return a.charts.fonts, a.charts.err
}

// closeFonts closes the chart font's file, if one was opened.
func (a *App) closeFonts() {
	if a.charts.fonts != nil {
		_ = a.charts.fonts.Close()
	}
}

// serveChart answers a chart link (bot.LinkChart, made for the card's chart
// of platforms that cannot draw one): the chart drawn now as a PNG, or 404
// for a project or chart that is no more.
func (a *App) serveChart(w http.ResponseWriter, r *http.Request, l bot.Link) {
	var ch *bot.Chart
	err := a.store.View(r.Context(), func(tx bot.Tx) (err error) {
		ch, err = a.flows.ChartOf(tx, l)
		return err
	})
	if code := bot.ErrorCode(err); code == bot.ENOTFOUND || code == bot.EINVALID {
		plain(w, http.StatusNotFound, "This chart is not available any more.\n此图表已不可用。\n")
		return
	}
	fonts, ferr := a.fontsForCharts()
	var buf bytes.Buffer
	if err == nil && ferr == nil {
		err = chart.PNG(&buf, *ch, fonts, chart.Options{Today: l.To.AddDays(-1)})
	}
	if err == nil {
		err = ferr
	}
	if err == chart.ErrEmpty {
		plain(w, http.StatusNotFound, "This chart has nothing to draw yet.\n此图表暂无数据。\n")
		return
	}
	if err != nil {
		a.logger.Error("chart image", "project", bot.ProjectCode(l.Project), slog.Any("error", err))
		plain(w, http.StatusInternalServerError, "internal error\n")
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Disposition", fmt.Sprintf("inline; filename=%q", bot.ProjectCode(l.Project)+"-"+l.Format+".png"))
	w.Header().Set("Cache-Control", "private, max-age=300")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(buf.Bytes())
}
