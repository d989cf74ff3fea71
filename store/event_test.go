package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
)

func TestEventsDedupAndPrune(t *testing.T) {
	db := MustOpen(t)
	update(t, db, func(tx bot.Tx) error {
		wantCode(t, tx.MarkEvent("", t0), bot.EINVALID)
		if err := tx.MarkEvent("ev_a", t0); err != nil {
			return err
		}
		return tx.MarkEvent("ev_b", t0.Add(time.Hour))
	})
	// De-duplication must survive a restart, or a platform's retry after a
	// crash runs a command twice.
	db = reopen(t, db)
	seen := func(want map[string]bool) {
		t.Helper()
		view(t, db, func(tx bot.Tx) error {
			for id, w := range want {
				if got, err := tx.SeenEvent(id); err != nil || got != w {
					t.Errorf("SeenEvent(%q) = %v, %v; want %v", id, got, err, w)
				}
			}
			return nil
		})
	}
	prune := func(before time.Time, want int) {
		t.Helper()
		update(t, db, func(tx bot.Tx) error {
			if n, more, err := tx.PruneEvents(before, 10); err != nil || n != want || more {
				t.Errorf("PruneEvents(%v, 10) = %d, %v, %v; want %d, false", before, n, more, err, want)
			}
			return nil
		})
	}
	seen(map[string]bool{"ev_a": true, "ev_b": true, "ev_c": false, "": false})

	// Marking again moves the time, so a busy id stays.
	update(t, db, func(tx bot.Tx) error { return tx.MarkEvent("ev_a", t0.Add(2*time.Hour)) })
	prune(t0.Add(90*time.Minute), 1)
	seen(map[string]bool{"ev_a": true, "ev_b": false})
	prune(t0.Add(2*time.Hour), 0)
	prune(t0.Add(3*time.Hour), 1)
	seen(map[string]bool{"ev_a": false})
	if keys := indexKeys(t, db, bucketEventsByTime); len(keys) != 0 {
		t.Errorf("time index keeps %q after pruning everything", keys)
	}
}

// TestPruneEventsInBatches: pruning takes at most limit marks a
// transaction, oldest first, and says when more are due.
func TestPruneEventsInBatches(t *testing.T) {
	db := MustOpen(t)
	update(t, db, func(tx bot.Tx) error {
		for i := range 5 {
			if err := tx.MarkEvent(fmt.Sprintf("ev_%d", i), t0.Add(time.Duration(i)*time.Minute)); err != nil {
				return err
			}
		}
		return nil
	})
	for _, want := range []struct {
		n    int
		more bool
	}{{2, true}, {2, false}, {0, false}} {
		update(t, db, func(tx bot.Tx) error {
			n, more, err := tx.PruneEvents(t0.Add(4*time.Minute), 2)
			if err != nil || n != want.n || more != want.more {
				t.Errorf("PruneEvents(4 minutes in, 2) = %d, %v, %v; want %d, %v", n, more, err, want.n, want.more)
			}
			return nil
		})
	}
	view(t, db, func(tx bot.Tx) error {
		for i, want := range []bool{false, false, false, false, true} {
			if got, _ := tx.SeenEvent(fmt.Sprintf("ev_%d", i)); got != want {
				t.Errorf("SeenEvent(ev_%d) = %v after pruning, want %v", i, got, want)
			}
		}
		return nil
	})
}
