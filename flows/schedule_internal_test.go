package flows

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/calendar"
	"github.com/loopbot/loopbot/store/storetest"
)

// TestBatchesStopForPendingWork: steps that take no time share one
// transaction, until what end has yet to do (txSteps.pending) and the time
// taken reach twice the budget: with 40 ms of pending work a step and a
// budget of 50 ms, three steps a transaction.
func TestBatchesStopForPendingWork(t *testing.T) {
	clock := bot.NewFakeClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	s := New(Config{Clock: clock, Calendar: calendar.New(calendar.Config{}), Signer: bot.NewSigner("test-secret"),
		Logger: slog.New(slog.DiscardHandler), Location: time.UTC, Store: storetest.Open(t), TxBudget: 50 * time.Millisecond})
	run := func(withPending bool) [][2]int {
		t.Helper()
		var txs [][2]int
		inTx, ended := 0, 0
		steps := txSteps{
			begin:     func(tx bot.Tx, _ bool) bot.Tx { inTx = 0; return tx },
			end:       func(bot.Tx) error { ended++; return nil },
			committed: func(from, to int) { txs = append(txs, [2]int{from, to}) },
		}
		if withPending {
			steps.pending = func(bot.Tx) time.Duration { return time.Duration(inTx) * 40 * time.Millisecond }
		}
		err := s.batches(context.Background(), 6, steps, func(bot.Tx, int) error { inTx++; return nil })
		if err != nil {
			t.Fatal(err)
		}
		if ended != len(txs) {
			t.Errorf("end ran %d times for %d transactions", ended, len(txs))
		}
		return txs
	}
	if got := run(false); !slices.Equal(got, [][2]int{{0, 6}}) {
		t.Errorf("without pending work: transactions %v, want one of all 6 steps", got)
	}
	if got := run(true); !slices.Equal(got, [][2]int{{0, 3}, {3, 6}}) {
		t.Errorf("with 40 ms pending a step: transactions %v, want 3 steps each", got)
	}
}
