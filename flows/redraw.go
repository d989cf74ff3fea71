package flows

import (
	"context"
	"strconv"
	"strings"
	"time"

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

// groupRedrawScan is how many queued lines FlushGroupRedraws reads at a
// time.
const groupRedrawScan = 16384

// FlushGroupRedraws draws the queued group warning lines (queueGroupRedraw)
// again, each card once with all its queued lines, from the escalations as
// they are now, in the short transactions of a job (batches, with the
// escalation check's cache of projects and plans kept from one to the next
// while nothing else commits), and returns how many cards it drew. The
// service calls it after events commit and before it delivers the outbox
// (bot.DispatcherConfig.Prepare: the playground's Settle, the drains of the
// fake clock and of WeCom's callbacks, the dispatcher's loop), so that the
// cards people see are the same as when the event drew them itself, a
// moment later; a queue left by a crash is drawn at the next start. It
// reads before it writes: with nothing queued it costs one read
// transaction.
func (s *Service) FlushGroupRedraws(ctx context.Context) (int, error) {
	s.redrawMu.Lock()
	defer s.redrawMu.Unlock()
	drawn := 0
	for {
		// The cards in the order first queued, each with its keys.
		var cards []uint64
		keys := map[uint64][]string{}
		escs := map[uint64][]uint64{}
		err := s.cfg.Store.View(ctx, func(tx bot.Tx) error {
			queued, err := tx.MetaKeysAfter(groupRedrawPrefix, "", groupRedrawScan)
			for _, key := range queued {
				cs, es, _ := strings.Cut(strings.TrimPrefix(key, groupRedrawPrefix), "/")
				card, err1 := strconv.ParseUint(cs, 10, 64)
				e, err2 := strconv.ParseUint(es, 10, 64)
				if err1 != nil || err2 != nil {
					card, e = 0, 0 // not a line: removed with card 0's
				}
				if _, ok := keys[card]; !ok {
					cards = append(cards, card)
				}
				keys[card] = append(keys[card], key)
				if e != 0 {
					escs[card] = append(escs[card], e)
				}
			}
			return err
		})
		if err != nil || len(cards) == 0 {
			return drawn, err
		}
		now := s.cfg.Clock.Now()
		rc := &runCache{deferGroups: true}
		steps := txSteps{
			begin: rc.begin,
			end:   func(tx bot.Tx) error { return s.flushGroupRedraws(tx, now) },
			pending: func(tx bot.Tx) time.Duration {
				g := deferredRedraws(tx)
				return time.Duration(len(g.cards))*groupDrawCost + time.Duration(g.lines)*groupLineCost
			},
			committed: func(from, to int) {
				for _, card := range cards[from:to] {
					if card != 0 {
						drawn++
					}
				}
			},
		}
		err = s.batches(ctx, len(cards), steps, func(tx bot.Tx, i int) error {
			card := cards[i]
			for _, e := range escs[card] {
				deferredRedraws(tx).add(card, e)
			}
			for _, key := range keys[card] {
				if err := tx.DeleteMeta(key); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return drawn, err
		}
	}
}
