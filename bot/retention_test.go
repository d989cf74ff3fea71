package bot_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/store/storetest"
)

// TestPruneMissesAndEvents: bot.Prune removes the records of runs missed
// before the scheduler window, and event ids past theirs, so that a
// redelivery within the window is still dropped; what is newer stays.
func TestPruneMissesAndEvents(t *testing.T) {
	st := storetest.Open(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	err := st.Update(ctx, func(tx bot.Tx) error {
		for _, age := range []time.Duration{40 * day, 2 * day} {
			slot := now.Add(-age)
			b, _ := json.Marshal(bot.Miss{Job: "checkin", Slot: slot, RecordedAt: slot})
			if err := tx.PutMeta(bot.MetaSchedMissPrefix+"checkin/"+slot.Format(time.RFC3339), b); err != nil {
				return err
			}
		}
		if err := tx.MarkEvent("old", now.Add(-3*day)); err != nil {
			return err
		}
		return tx.MarkEvent("recent", now.Add(-time.Hour))
	})
	if err != nil {
		t.Fatal(err)
	}
	n, err := bot.Prune(ctx, st, bot.DefaultRetention(), now, nil)
	if err != nil {
		t.Fatal(err)
	}
	misses, err := bot.NewScheduler(st, bot.NewFakeClock(now), nil).Missed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n.Misses != 1 || len(misses) != 1 || !misses[0].Slot.Equal(now.Add(-2*day)) {
		t.Errorf("pruned %d misses, left %+v; want only the recent one", n.Misses, misses)
	}
	err = st.View(ctx, func(tx bot.Tx) error {
		old, _ := tx.SeenEvent("old")
		recent, _ := tx.SeenEvent("recent")
		if old || !recent {
			t.Errorf("after pruning: old seen %v, recent seen %v; want only the recent", old, recent)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
