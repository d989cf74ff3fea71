package flows

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// groupRedrawPrefix queues the group warning lines that an event or a job
// (the escalation check) changed: meta keys
// group_redraw/<card id>/<escalation id>, written in the transaction that
// changed the escalation, for FlushGroupRedraws to draw. A resolution
// changes a line of every day's warning that listed the escalation (SPEC
// §4.3: its cards are updated in place), so drawing them in the event's
// own transaction made an answer or a command cost one long card a day the
// escalation was open, and the check drew a card again in each of its
// transactions (issue 7).
const groupRedrawPrefix = "group_redraw/"

// queueGroupRedraw files escalation e's line of group warning card to be
// drawn again: by FlushGroupRedraws after tx commits, or at the end of tx
// when it is one of FlushGroupRedraws's own (it collects redraws).
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
// transaction. It draws what was queued when it began (and more, up to
// groupRedrawScan lines a round), not what the events that go on meanwhile
// queue: their own calls draw that.
func (s *Service) FlushGroupRedraws(ctx context.Context) (int, error) {
	s.redrawMu.Lock()
	defer s.redrawMu.Unlock()
	drawn := 0
	type line struct {
		card, e uint64 // e is 0 for a key that names no line
		key     string
	}
	for {
		// The lines by card, the cards in the order first queued: a
		// transaction draws each of its cards once.
		var lines []line
		full := false
		err := s.cfg.Store.View(ctx, func(tx bot.Tx) error {
			queued, err := tx.MetaKeysAfter(groupRedrawPrefix, "", groupRedrawScan)
			full = len(queued) == groupRedrawScan
			at := map[uint64]int{}
			var byCard [][]line
			for _, key := range queued {
				cs, es, _ := strings.Cut(strings.TrimPrefix(key, groupRedrawPrefix), "/")
				card, err1 := strconv.ParseUint(cs, 10, 64)
				e, err2 := strconv.ParseUint(es, 10, 64)
				if err1 != nil || err2 != nil {
					card, e = 0, 0 // not a line: removed, nothing drawn
				}
				j, ok := at[card]
				if !ok {
					j = len(byCard)
					at[card] = j
					byCard = append(byCard, nil)
				}
				byCard[j] = append(byCard[j], line{card, e, key})
			}
			lines = slices.Concat(byCard...)
			return err
		})
		if err != nil || len(lines) == 0 {
			return drawn, err
		}
		now := s.cfg.Clock.Now()
		rc := &runCache{deferGroups: true}
		steps := txSteps{
			// The cards and their outbox items are long: the commit
			// that writes them takes about as long again.
			budget: s.cfg.TxBudget / 2,
			begin:  rc.begin,
			end: func(tx bot.Tx) error {
				g := deferredRedraws(tx)
				cards, n, t0 := len(g.cards), g.lines, time.Now()
				err := s.flushGroupRedraws(tx, now)
				s.learnDrawCost(time.Since(t0), cards, n)
				return err
			},
			pending: func(tx bot.Tx) time.Duration {
				g := deferredRedraws(tx)
				return time.Duration(len(g.cards))*s.drawCost() + time.Duration(g.lines)*groupLineCost
			},
			committed: func(from, to int) {
				seen := map[uint64]bool{}
				for _, l := range lines[from:to] {
					if l.e != 0 && !seen[l.card] {
						seen[l.card] = true
						drawn++
					}
				}
			},
		}
		err = s.batches(ctx, len(lines), steps, func(tx bot.Tx, i int) error {
			if l := lines[i]; l.e != 0 {
				deferredRedraws(tx).add(l.card, l.e)
			}
			return tx.DeleteMeta(lines[i].key)
		})
		if err != nil || !full {
			return drawn, err
		}
	}
}

// drawCost returns what drawing a group warning again and writing it
// costs, as measured (learnDrawCost), at least groupDrawCost.
func (s *Service) drawCost() time.Duration {
	return max(groupDrawCost, time.Duration(s.drawCard.Load()))
}

// learnDrawCost folds in how long drawing cards cards with lines changed
// lines took, so that the flush's transactions end before the next cards
// would hold the writer too long, on this machine and for these cards
// (their length, whether a playground chat line shows them): a dearer
// card is believed at once, a cheaper one a quarter of the way, so that
// one quick transaction does not make the next one long.
func (s *Service) learnDrawCost(took time.Duration, cards, lines int) {
	if cards == 0 {
		return
	}
	sample := max(0, took-time.Duration(lines)*groupLineCost) / time.Duration(cards)
	old := time.Duration(s.drawCard.Load())
	if sample >= old {
		s.drawCard.Store(int64(sample))
		return
	}
	s.drawCard.Store(int64((3*old + sample) / 4))
}
