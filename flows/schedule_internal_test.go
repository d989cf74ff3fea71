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

// TestLatestPromptsReadsBackUntilEnoughPassed: the person check reads a
// person's latest prompts, a few at a time, until missed_checkins (2) of
// them have had their cut-off pass. With the five latest still before
// their cut-offs, it reads further back: the 8 latest, of which 3 passed.
func TestLatestPromptsReadsBackUntilEnoughPassed(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	st := storetest.Open(t)
	sched := DefaultSchedule()
	sched.MissedCheckins = 2
	s := New(Config{Clock: bot.NewFakeClock(now), Calendar: calendar.New(calendar.Config{}), Signer: bot.NewSigner("test-secret"),
		Logger: slog.New(slog.DiscardHandler), Location: time.UTC, Store: st, Schedule: sched})
	p := bot.Person{ID: "playground:bob", Name: "Bob", Role: bot.RoleMember, CreatedAt: now, UpdatedAt: now}
	today := bot.DateOf(now)
	err := st.Update(context.Background(), func(tx bot.Tx) error {
		if err := tx.PutPerson(p); err != nil {
			return err
		}
		for i := range 9 { // days today-8 … today; the last 5 not cut off yet
			cutoff := now.Add(-time.Hour)
			if i >= 4 {
				cutoff = now.Add(time.Duration(i) * time.Hour)
			}
			pr := bot.Prompt{Person: p.ID, Day: today.AddDays(i - 8), CardID: uint64(i + 1), SentAt: now.Add(-48 * time.Hour), Cutoff: cutoff}
			if err := tx.PutPrompt(pr); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = st.View(context.Background(), func(tx bot.Tx) error {
		got, err := s.latestPrompts(tx, p, now)
		if err != nil {
			return err
		}
		var days []string
		for _, pr := range got {
			days = append(days, pr.Day.String())
		}
		var want []string
		for i := 1; i <= 8; i++ {
			want = append(want, today.AddDays(i-8).String())
		}
		if !slices.Equal(days, want) {
			t.Errorf("latestPrompts read %v; want the 8 latest, oldest first: %v", days, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDrawCostFollowsWhatCardsTake: the flush reckons a card at
// groupDrawCost until it has measured one; then at what cards took
// (without their lines): at once when they took longer, a quarter of the
// way when they took less, and never below groupDrawCost.
func TestDrawCostFollowsWhatCardsTake(t *testing.T) {
	var s Service
	if got := s.drawCost(); got != groupDrawCost {
		t.Fatalf("before any flush: %v, want %v", got, groupDrawCost)
	}
	// 4 cards with 100 lines in 43 ms: 3 ms of lines, 10 ms a card.
	s.learnDrawCost(40*time.Millisecond+100*groupLineCost, 4, 100)
	if got := s.drawCost(); got != 10*time.Millisecond {
		t.Errorf("after 10 ms a card: %v", got)
	}
	s.learnDrawCost(2*time.Millisecond, 1, 0)
	if got := s.drawCost(); got != 8*time.Millisecond {
		t.Errorf("after 10 ms and then 2 ms a card: %v, want 8 ms", got)
	}
	s.learnDrawCost(30*time.Millisecond, 2, 0)
	if got := s.drawCost(); got != 15*time.Millisecond {
		t.Errorf("after 15 ms a card: %v, want 15 ms at once", got)
	}
	for range 50 {
		s.learnDrawCost(0, 1, 0)
	}
	if got := s.drawCost(); got != groupDrawCost {
		t.Errorf("after quick cards: %v, want at least %v", got, groupDrawCost)
	}
	s.learnDrawCost(time.Second, 0, 3) // nothing drawn: nothing learnt
	if got := s.drawCost(); got != groupDrawCost {
		t.Errorf("after a flush of no card: %v", got)
	}
}

// TestEscLink: a group warning's esc_card link says when it was sent, to
// the second; a link written before links did, or a direct chat's, says
// nothing of it.
func TestEscLink(t *testing.T) {
	sent := time.Date(2026, 11, 26, 9, 35, 12, 0, time.UTC)
	tests := []struct {
		v    string
		kind string
		sent time.Time
	}{
		{string(groupLink(sent)), escLinkGroup, sent},
		{"g", escLinkGroup, time.Time{}},
		{"g12x", escLinkGroup, time.Time{}},
		{escLinkDM, escLinkDM, time.Time{}},
		{"", "", time.Time{}},
	}
	for _, tt := range tests {
		kind, at := parseEscLink(tt.v)
		if kind != tt.kind || !at.Equal(tt.sent) {
			t.Errorf("parseEscLink(%q) = %q, %v; want %q, %v", tt.v, kind, at, tt.kind, tt.sent)
		}
	}
}

func FuzzParseEscLink(f *testing.F) {
	for _, v := range []string{"g1795600000", "g", "d", "", "g-1", "g99999999999999999999"} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		kind, sent := parseEscLink(v)
		if kind == escLinkGroup && !sent.IsZero() {
			if k, again := parseEscLink(string(groupLink(sent))); k != kind || !again.Equal(sent) {
				t.Fatalf("%q: sent %v does not survive groupLink: %v", v, sent, again)
			}
		}
	})
}
