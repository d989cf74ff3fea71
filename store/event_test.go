package store

import (
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
			if n, err := tx.PruneEvents(before); err != nil || n != want {
				t.Errorf("PruneEvents(%v) = %d, %v; want %d", before, n, err, want)
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
