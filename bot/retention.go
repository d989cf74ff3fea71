package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Retention says how long the store keeps what is only needed for a while.
// Audit events, check-ins, prompts, reviews, escalations, tasks and people
// are the history and are kept. A zero duration keeps that kind forever.
type Retention struct {
	// FinishedCards: a card with no buttons left (accepted, answered,
	// resolved, superseded) is removed this long after its last change;
	// its story stays in the audit log.
	FinishedCards time.Duration
	// OpenCards: any card is removed this long after its last change, when
	// its buttons expire: a click on it then answers that the card is gone.
	OpenCards time.Duration
	// Chat: the playground's chat lines are removed this long after they
	// were sent.
	Chat time.Duration
	// Events: inbound event ids are forgotten this long after they
	// arrived, after which a redelivery would be handled again. Platforms
	// redeliver within minutes to hours; it must be at least 24 hours.
	Events time.Duration
	// Scheduler: the scheduler's records of missed runs, and the flows'
	// marks of sent digests, are removed this long after their slot.
	Scheduler time.Duration
	// DeadLetters: dead-lettered outbox items are removed this long after
	// they died. (Delivered items are removed on delivery.)
	DeadLetters time.Duration
}

// DefaultRetention returns the defaults of config.example.toml's
// [retention] section.
func DefaultRetention() Retention {
	const day = 24 * time.Hour
	return Retention{
		FinishedCards: 7 * day,
		OpenCards:     31 * day,
		Chat:          62 * day,
		Events:        2 * day,
		Scheduler:     31 * day,
		DeadLetters:   31 * day,
	}
}

// PruneBatch is how many records one pruning transaction removes at most,
// so that pruning never holds the writer for long. Each kind of record
// starts at PruneStart records a transaction and doubles it, up to
// PruneBatch, while transactions take under a quarter of PruneTxTarget;
// it halves it, down to 16, while they take longer than PruneTxTarget
// (records that cost more to remove, a big file, a busy disk).
const PruneBatch = 500

// PruneStart is how many records the first pruning transaction of each
// kind removes at most: at 10,000 people, one transaction of 500 took
// 64–105 ms (BenchmarkMonth), so each kind starts small and grows while
// its transactions are quick.
const PruneStart = 64

// PruneTxTarget is how long Prune aims for one transaction to take.
const PruneTxTarget = 25 * time.Millisecond

// Pruned counts what one Prune removed.
type Pruned struct {
	Cards, Chat, Events, Misses, DeadLetters, Other int
	// Links are the records removed with the cards (PruneHooks.CardGone).
	Links int
}

// Records is how many records p counts in all.
func (p Pruned) Records() int {
	return p.Cards + p.Chat + p.Events + p.Misses + p.DeadLetters + p.Other + p.Links
}

// before returns now-d, or the zero time (before everything) for d <= 0.
func before(now time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return time.Time{}
	}
	return now.Add(-d)
}

// PruneHooks are what Prune does besides the store's own records; either
// may be nil.
type PruneHooks struct {
	// Marks prunes further records (the flows' marks) as Prune does its
	// own: it gets the Scheduler window's cut-off and the batch, and
	// reports how many it removed and whether more are due.
	Marks func(tx Tx, before time.Time, limit int) (int, bool, error)
	// CardGone gets each card record before it is pruned, in the same
	// transaction, to remove what refers to it (the flows' links from an
	// escalation to its cards), and reports how many records it removed:
	// they count toward the transaction's batch, as the card does.
	CardGone func(tx Tx, rec CardRecord) (int, error)
}

// ErrPruneEnough is what a PruneCards gone function returns to stop before
// the card it was given: the transaction has done enough.
var ErrPruneEnough = errors.New("prune: enough for one transaction")

// Prune removes what r says is past its window at now, in transactions of
// PruneStart to PruneBatch records, sized to take about PruneTxTarget,
// with hooks (PruneHooks).
func Prune(ctx context.Context, st Store, r Retention, now time.Time, hooks PruneHooks) (Pruned, error) {
	other := hooks.Marks
	var out Pruned
	links := 0 // removed with the cards by the transaction that committed last
	// Each kind of record starts small again: what one costs to remove
	// differs from kind to kind (a chat line, a card and its index
	// entries, a page of links).
	loop := func(name string, n *int, fn func(tx Tx, limit int) (int, bool, error)) error {
		limit := PruneStart
		for {
			var k int
			var more bool
			links = 0
			t0 := time.Now()
			err := st.Update(ctx, func(tx Tx) (err error) {
				k, more, err = fn(tx, limit)
				return err
			})
			if err != nil {
				return fmt.Errorf("prune %s: %w", name, err)
			}
			switch took := time.Since(t0); {
			case took > PruneTxTarget:
				limit = max(16, limit/2)
			case took < PruneTxTarget/4:
				limit = min(PruneBatch, limit*2)
			}
			*n += k
			out.Links += links
			if !more {
				return nil
			}
		}
	}
	finished, open := before(now, r.FinishedCards), before(now, r.OpenCards)
	if r.FinishedCards <= 0 {
		finished = open
	}
	steps := []struct {
		name string
		n    *int
		on   bool
		fn   func(tx Tx, limit int) (int, bool, error)
	}{
		{"cards", &out.Cards, r.FinishedCards > 0 || r.OpenCards > 0, func(tx Tx, limit int) (int, bool, error) {
			if hooks.CardGone == nil {
				return tx.PruneCards(finished, open, limit, nil)
			}
			// The batch counts each card and what it takes with it: a
			// group warning of 200 lines takes 200 links, each on a
			// page of its own, and transactions that counted only the
			// cards held the writer for up to 142 ms at 10,000 people
			// (issue 7). The first card of a transaction always goes.
			units := 0
			return tx.PruneCards(finished, open, limit, func(rec CardRecord) error {
				if units >= limit {
					return ErrPruneEnough
				}
				k, err := hooks.CardGone(tx, rec)
				units += 1 + k
				links += k
				return err
			})
		}},
		{"chat", &out.Chat, r.Chat > 0, func(tx Tx, limit int) (int, bool, error) {
			return tx.PruneChat(before(now, r.Chat), limit)
		}},
		{"events", &out.Events, r.Events > 0, func(tx Tx, limit int) (int, bool, error) {
			return tx.PruneEvents(before(now, r.Events), limit)
		}},
		{"missed runs", &out.Misses, r.Scheduler > 0, func(tx Tx, limit int) (int, bool, error) {
			return PruneMisses(tx, before(now, r.Scheduler), limit)
		}},
		{"dead letters", &out.DeadLetters, r.DeadLetters > 0, func(tx Tx, limit int) (int, bool, error) {
			return tx.PruneDeadLetters(before(now, r.DeadLetters), limit)
		}},
		{"marks", &out.Other, other != nil && r.Scheduler > 0, func(tx Tx, limit int) (int, bool, error) {
			return other(tx, before(now, r.Scheduler), limit)
		}},
	}
	for _, s := range steps {
		if !s.on {
			continue
		}
		if err := loop(s.name, s.n, s.fn); err != nil {
			return out, err
		}
	}
	return out, nil
}

// PruneMisses removes up to limit records of missed scheduler runs whose
// slot is before the given time.
func PruneMisses(tx Tx, before time.Time, limit int) (int, bool, error) {
	raw, err := tx.MetaPrefix(MetaSchedMissPrefix)
	if err != nil {
		return 0, false, err
	}
	n := 0
	for key, b := range raw {
		var m Miss
		if err := json.Unmarshal(b, &m); err != nil || !m.Slot.Before(before) {
			// A record that does not decode is left for an admin to see.
			continue
		}
		if n == limit {
			return n, true, nil
		}
		if err := tx.DeleteMeta(key); err != nil {
			return n, false, err
		}
		n++
	}
	return n, false, nil
}

// MetaDay returns the day that ends a meta key such as
// "digest/P1/2026-11-30", and whether it has one.
func MetaDay(key string) (Date, bool) {
	i := strings.LastIndexByte(key, '/')
	if i < 0 {
		return Date{}, false
	}
	d, err := ParseISODate(key[i+1:])
	return d, err == nil
}
