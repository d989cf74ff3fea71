package main

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/loopbot/loopbot/adapters/wecom"
	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/command"
)

// newWeCom builds the WeCom adapter from [wecom].
func (a *App) newWeCom() (*wecom.Adapter, error) {
	w := a.cfg.WeCom
	robots := map[string]string{}
	for _, r := range w.GroupRobots {
		robots[strings.ToUpper(r.Project)] = r.URL
	}
	return wecom.New(wecom.Config{
		CorpID: w.CorpID, AgentID: w.AgentID, Secret: w.Secret, Token: w.Token, EncodingAESKey: w.EncodingAESKey,
		APIBase: w.APIBase, Robots: robots, Lang: a.cfg.Server.Lang, Store: a.store, Clock: a.clock,
		Kick: func() { a.dispatcher.Kick() }, Logger: a.logger, Expired: a.checkinExpired,
	})
}

// bindConfigRobots makes each [[wecom.group_robots]] entry its project's
// WeCom group. A project that does not exist yet is skipped with a warning;
// the next start binds it.
func (a *App) bindConfigRobots(ctx context.Context) error {
	targets, err := a.wecom.ConfigRobots()
	if err != nil {
		return err
	}
	return a.store.Update(ctx, func(tx bot.Tx) error {
		for code, t := range targets {
			id, _ := command.ParseProjectID(code)
			p, err := tx.Project(id)
			if bot.ErrorCode(err) == bot.ENOTFOUND {
				a.logger.Warn("wecom.group_robots: no such project yet; its robot is bound at the next start", "project", code)
				continue
			} else if err != nil {
				return err
			}
			if g, ok := p.Group(bot.WeCom); ok && g == t {
				continue
			}
			p.BindGroup(t)
			if err := tx.PutProject(p); err != nil {
				return err
			}
		}
		return nil
	})
}

// checkinExpired reports whether a check-in card is past its day's cut-off
// (checkin.cutoff in the calendar's zone): sent then, it would only ask for
// an answer the day no longer takes on time.
func (a *App) checkinExpired(c bot.Card, now time.Time) bool {
	if c.Kind != bot.CardCheckin || c.Finished() {
		return false
	}
	day, err := bot.ParseISODate(c.Refs["checkin"])
	if err != nil {
		return false
	}
	loc, err := time.LoadLocation(a.cfg.Calendar.Timezone)
	if err != nil {
		return false
	}
	cut, _ := clockMinutes(a.cfg.Checkin.Cutoff)
	return !now.Before(day.At(cut/60, cut%60, loc))
}

// settleWeCom handles the callbacks accepted so far and delivers what they
// queued; tests use it to wait for the bot's answers.
func (a *App) settleWeCom(ctx context.Context) error {
	if err := a.wecom.Flush(ctx); err != nil {
		return err
	}
	if err := a.dispatcher.Drain(ctx); err != nil {
		a.logger.Error("outbox drain", slog.Any("error", err))
		return err
	}
	return nil
}
