package bot_test

import (
	"context"
	"encoding/json"
	"slices"
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
	n, err := bot.Prune(ctx, st, bot.DefaultRetention(), now, bot.PruneHooks{})
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

// slowStore takes a while to commit each write transaction, as a busy disk
// or costly records would.
type slowStore struct {
	bot.Store
	commit time.Duration
}

func (s slowStore) Update(ctx context.Context, fn func(bot.Tx) error) error {
	err := s.Store.Update(ctx, fn)
	time.Sleep(s.commit)
	return err
}

// countingStore calls begin as each write transaction begins.
type countingStore struct {
	bot.Store
	begin func()
}

func (s countingStore) Update(ctx context.Context, fn func(bot.Tx) error) error {
	return s.Store.Update(ctx, func(tx bot.Tx) error {
		s.begin()
		return fn(tx)
	})
}

// TestPruneShrinksSlowTransactions: while its transactions take longer
// than bot.PruneTxTarget, Prune halves how many records each removes, down
// to 16; each kind of record starts small (bot.PruneStart), whatever the
// kind before it took.
func TestPruneShrinksSlowTransactions(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	limits := func(commit time.Duration, calls int) []int {
		var got []int
		other := func(_ bot.Tx, _ time.Time, limit int) (int, bool, error) {
			got = append(got, limit)
			return limit, len(got) < calls, nil
		}
		st := slowStore{storetest.Open(t), commit}
		if _, err := bot.Prune(ctx, st, bot.Retention{Scheduler: time.Hour}, now, bot.PruneHooks{Marks: other}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	// The missed runs' step before the marks took one slow transaction.
	slow := limits(2*bot.PruneTxTarget, 7)
	if want := []int{64, 32, 16, 16, 16, 16, 16}; !slices.Equal(slow, want) {
		t.Errorf("limits with each transaction taking twice the target: %v, want %v", slow, want)
	}
	// How long the missed runs' transaction took does not carry over.
	if quick := limits(0, 1); !slices.Equal(quick, []int{bot.PruneStart}) {
		t.Errorf("the marks' first limit in a run: %v, want %d", quick, bot.PruneStart)
	}
}

// TestPruneCountsWhatCardsTakeWithThem: a pruning transaction's batch
// counts each card and the records its CardGone removes with it, so that
// cards that take 1,000 links each (more than bot.PruneBatch) go one a
// transaction, the first card of each always goes, every card is pruned in
// the end, and Pruned counts the links of the cards gone.
func TestPruneCountsWhatCardsTakeWithThem(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	t0 := time.Date(2026, 11, 2, 9, 35, 0, 0, time.UTC)
	const cards = 5
	err := st.Update(ctx, func(tx bot.Tx) error {
		for id := uint64(1); id <= cards; id++ {
			rec := bot.CardRecord{ID: id, Key: "escgroup/P1", Target: bot.Group(bot.Feishu, "oc_1"), CreatedAt: t0, UpdatedAt: t0,
				Card: bot.Card{Kind: bot.CardGroupWarning}}
			if err := tx.PutCard(rec); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var perTx []int // the cards gone in each transaction
	counted := countingStore{Store: st, begin: func() { perTx = append(perTx, 0) }}
	gone := func(tx bot.Tx, rec bot.CardRecord) (int, error) {
		perTx[len(perTx)-1]++
		return 1000, nil
	}
	n, err := bot.Prune(ctx, counted, bot.Retention{FinishedCards: time.Hour}, t0.Add(24*time.Hour), bot.PruneHooks{CardGone: gone})
	if err != nil || n.Cards != cards {
		t.Fatalf("Prune: %+v, %v; want all %d cards", n, err, cards)
	}
	if n.Links != cards*1000 || n.Records() != cards*1001 {
		t.Errorf("Prune: %d links, %d records; want %d links with the cards, %d records", n.Links, n.Records(), cards*1000, cards*1001)
	}
	if want := []int{1, 1, 1, 1, 1}; !slices.Equal(perTx, want) {
		t.Errorf("cards a transaction: %v, want %v (each takes 1,000 records, a batch is at most %d)", perTx, want, bot.PruneBatch)
	}
	err = st.View(ctx, func(tx bot.Tx) error {
		for id := uint64(1); id <= cards; id++ {
			if _, err := tx.Card(id); bot.ErrorCode(err) != bot.ENOTFOUND {
				t.Errorf("card %d: %v, want it pruned", id, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
