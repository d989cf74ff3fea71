package export

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/cards"
)

// writeMarkdown writes the weekly project report (项目周报) of each exported
// project: the weekly summary card itself (cards.WeeklySummary over the
// figures flows computes), so that the report has the card's words and
// order: its title, its fields as a table, its text (causes of delay, due
// next week, projected finish), then the chart: its PNG image when the
// summary has a link to it (bot.Chart.Image), and its figures as a table.
func (e *Exporter) writeMarkdown(ctx context.Context, w io.Writer, req Request) error {
	l := req.Lang
	if l == "" {
		l = cards.ZH
	}
	bw := bufio.NewWriter(w)
	err := e.Store.View(bot.LongRead(ctx), func(tx bot.Tx) error {
		s, err := e.load(tx, req)
		if err != nil {
			return err
		}
		for i, p := range s.sortedProjects() {
			sum, err := s.summary(p)
			if err != nil {
				return err
			}
			if i > 0 {
				bw.WriteString("\n---\n\n")
			}
			writeReport(bw, l, p, cards.WeeklySummary(l, sum))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("export: markdown: %w", err)
	}
	return nil
}

// writeReport writes one project's report from its summary card.
func writeReport(w *bufio.Writer, l cards.Lang, p bot.Project, c bot.Card) {
	fmt.Fprintf(w, "# %s\n\n", mdText(c.Title))
	fmt.Fprintf(w, "%s %s · %s\n\n", l.T("Project", "项目"), p.Code(), mdText(p.Name))
	fmt.Fprintf(w, "| %s | %s |\n|---|---|\n", l.T("Item", "指标"), l.T("Value", "数值"))
	for _, f := range c.Fields {
		fmt.Fprintf(w, "| %s | %s |\n", mdCell(f.Label), mdCell(f.Value))
	}
	if c.Text != "" {
		w.WriteString("\n" + c.Text + "\n")
	}
	if ch := c.Chart; ch != nil && len(ch.Labels) > 0 {
		fmt.Fprintf(w, "\n## %s\n\n", l.T("Burn-up", "燃起图（计划与完成）"))
		if img := ch.Image; strings.HasPrefix(img, "https://") || strings.HasPrefix(img, "http://") {
			// The chart as a PNG (a signed link that draws it, see
			// flows.Config.ChartImages), then its figures.
			fmt.Fprintf(w, "![%s](<%s>)\n\n", l.T("Burn-up", "燃起图"), strings.NewReplacer("<", "%3C", ">", "%3E", "\n", "", "\r", "").Replace(img))
		}
		fmt.Fprintf(w, "| %s |", l.T("Day", "日期"))
		for _, s := range ch.Series {
			fmt.Fprintf(w, " %s |", mdCell(s.Name))
		}
		w.WriteString("\n|---|" + strings.Repeat("---:|", len(ch.Series)) + "\n")
		for i, label := range ch.Labels {
			fmt.Fprintf(w, "| %s |", mdCell(label))
			for _, s := range ch.Series {
				v := ""
				if i < len(s.Values) {
					v = strconv.FormatFloat(s.Values[i], 'f', -1, 64)
				}
				fmt.Fprintf(w, " %s |", v)
			}
			w.WriteString("\n")
		}
	}
}

// mdCell makes text safe in a Markdown table cell: no line breaks, and a
// pipe escaped.
func mdCell(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "|", `\|`).Replace(s)
	return strings.TrimSpace(s)
}

// mdText makes a user's text (a project name in a heading) plain: Markdown
// characters escaped, one line.
func mdText(s string) string {
	return bot.EscapeMarkdown(mdCell(s))
}
