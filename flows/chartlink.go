package flows

import (
	"slices"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// ChartLinkTTL is how long the PNG link of a card's chart works: long
// enough for a report read a few weeks later.
const ChartLinkTTL = 90 * 24 * time.Hour

// Chart types that a chart link (bot.LinkChart) can draw.
const (
	ChartBurnup = "burnup"
	ChartGantt  = "gantt"
)

// chartImage returns the URL of a PNG of a project's chart up to (not
// including) day to, or "" when the service makes no public links.
func (s *Service) chartImage(p bot.Project, kind string, to bot.Date) string {
	if !s.cfg.ChartImages || s.cfg.LinkURL == nil || s.cfg.Signer == nil {
		return ""
	}
	l := bot.Link{Kind: bot.LinkChart, Project: p.ID, Format: kind, To: to, Expires: s.cfg.Clock.Now().Add(ChartLinkTTL).Unix()}
	return s.cfg.LinkURL("/files/" + s.cfg.Signer.SignLink(l))
}

// ChartOf computes the chart a chart link names, as of now: the burn-up of
// the four weeks before l.To (as the summary card drew it), or the Gantt
// overview with l.To as today. It reads through tx only, and returns
// ENOTFOUND for an unknown project and EINVALID for another chart type.
func (s *Service) ChartOf(tx bot.Tx, l bot.Link) (*bot.Chart, error) {
	p, err := tx.Project(l.Project)
	if err != nil {
		return nil, err
	}
	tasks, err := tx.Tasks(bot.TaskFilter{Project: p.ID})
	if err != nil {
		return nil, err
	}
	tasks = slices.DeleteFunc(tasks, func(t bot.Task) bool { return t.Status == bot.StatusCancelled })
	switch l.Format {
	case ChartBurnup:
		ch := s.burnup(p, tasks, l.To)
		ch.Title = p.Code() + " " + p.Name + " · 燃起图 Burn-up"
		return ch, nil
	case ChartGantt:
		ch := s.boardGantt(p, tasks, l.To)
		return &ch, nil
	}
	return nil, bot.Errorf(bot.EINVALID, "%q is not a chart", l.Format)
}
