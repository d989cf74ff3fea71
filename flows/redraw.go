package flows

import (
	"context"
	"strconv"
	"strings"

	"github.com/loopbot/loopbot/bot"
)

// groupRedrawPrefix queues the group warning lines that an event, or a job
// other than the escalation check, changed: meta keys
// group_redraw/<card id>/<escalation id>, written in the transaction that
// changed the escalation, for FlushGroupRedraws to draw. A resolution
// changes a line of every day's warning that listed the escalation (SPEC
// §4.3: its cards are updated in place), so drawing them in the event's
// own transaction made an answer or a command cost one long card a day the
// escalation was open (issue 7). The escalation check collects its own in
// memory and draws them before each commit (groupRedraws).
const groupRedrawPrefix = "group_redraw/"

// queueGroupRedraw files escalation e's line of group warning card to be
// drawn again: at the end of the transaction when tx collects redraws
// (the escalation check), otherwise by FlushGroupRedraws after it commits.
func queueGroupRedraw(tx bot.Tx, card, e uint64) error {
	if g := deferredRedraws(tx); g != nil {
		g.add(card, e)
		return nil
	}
	return tx.PutMeta(groupRedrawPrefix+strconv.FormatUint(card, 10)+"/"+strconv.FormatUint(e, 10), nil)
}

// groupRedrawBatch is how many group warnings one transaction of
// FlushGroupRedraws draws at most: each takes about groupDrawCost.
const groupRedrawBatch = 8

// FlushGroupRedraws draws the queued group warning lines (queueGroupRedraw)
// again, each card once with all its queued lines, from the escalations as
// they are now, in transactions of at most groupRedrawBatch cards, and
// returns how many cards it drew. The service calls it after each event
// commits and before it delivers the outbox (the playground's Settle, the
// fake clock's and WeCom's drains), so that the cards people see are the
// same as when the event drew them itself, a moment later; a queue left by
// a crash is drawn at the next start. It reads before it writes: with
// nothing queued it costs one read transaction.
func (s *Service) FlushGroupRedraws(ctx context.Context) (int, error) {
	s.redrawMu.Lock()
	defer s.redrawMu.Unlock()
	drawn := 0
	for {
		var queued bool
		err := s.cfg.Store.View(ctx, func(tx bot.Tx) error {
			keys, err := tx.MetaKeysAfter(groupRedrawPrefix, "", 1)
			queued = len(keys) > 0
			return err
		})
		if err != nil || !queued {
			return drawn, err
		}
		var n int
		err = s.update(ctx, func(tx bot.Tx) error {
			n = 0
			keys, err := tx.MetaKeysAfter(groupRedrawPrefix, "", 64*groupRedrawBatch)
			if err != nil {
				return err
			}
			c := withProjectCache(tx).(*projectCache)
			c.redraws = &groupRedraws{}
			for _, key := range keys {
				cs, es, _ := strings.Cut(strings.TrimPrefix(key, groupRedrawPrefix), "/")
				card, err1 := strconv.ParseUint(cs, 10, 64)
				e, err2 := strconv.ParseUint(es, 10, 64)
				if _, named := c.redraws.escs[card]; err1 == nil && err2 == nil && !named && len(c.redraws.cards) == groupRedrawBatch {
					break // the next transaction's
				}
				if err1 == nil && err2 == nil {
					c.redraws.add(card, e)
				}
				if err := tx.DeleteMeta(key); err != nil {
					return err
				}
			}
			n = len(c.redraws.cards)
			return s.flushGroupRedraws(c, s.cfg.Clock.Now())
		})
		if err != nil {
			return drawn, err
		}
		drawn += n
	}
}
