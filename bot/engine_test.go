package bot_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/store/storetest"
)

// metaHandler records each message by writing the meta key "msg/<text>",
// and counts its commit hooks. The text "bad" writes its key and then
// fails, so that its write must roll back; its refusal writes
// "refused/<event id>".
type metaHandler struct {
	hooks atomic.Int64
}

func (h *metaHandler) HandleMessage(ctx context.Context, tx bot.Tx, ev bot.Event) error {
	if err := tx.PutMeta("msg/"+ev.Text, []byte(ev.ID)); err != nil {
		return err
	}
	bot.AfterCommit(ctx, func() { h.hooks.Add(1) })
	if ev.Text == "bad" {
		return bot.Errorf(bot.EINVALID, "bad command")
	}
	return nil
}

func (h *metaHandler) HandleAction(ctx context.Context, tx bot.Tx, ev bot.Event) (bot.Response, error) {
	return bot.Response{}, nil
}

func (h *metaHandler) Refused(ctx context.Context, tx bot.Tx, ev bot.Event, err error) (bot.Response, error) {
	return bot.Response{Toast: "refused"}, tx.PutMeta("refused/"+ev.ID, []byte(bot.ErrorCode(err)))
}

// TestEngineConcurrentEventsCommitTogether sends 64 events at once, one of
// them bad, and each good one a second time. Every good event's effect
// commits once, with its de-duplication mark; the bad one's effect is rolled
// back and only its refusal stays; and the commit hooks ran once per
// committed event, although shared transactions ran handlers again.
func TestEngineConcurrentEventsCommitTogether(t *testing.T) {
	st := storetest.Open(t)
	h := &metaHandler{}
	engine := bot.NewEngine(st, h, slog.New(slog.DiscardHandler))
	var dupOutcomes atomic.Int64
	engine.Observe = func(ev bot.Event, outcome string) {
		if outcome == "duplicate" {
			dupOutcomes.Add(1)
		}
	}
	const n = 64
	ctx := context.Background()
	var wg sync.WaitGroup
	var dups atomic.Int64
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			text := fmt.Sprintf("m%02d", i)
			if i == 13 {
				text = "bad"
			}
			ev := bot.Event{ID: fmt.Sprintf("ev-%d", i), Kind: bot.EventMessage, Platform: bot.Playground,
				From: "playground:alice", Chat: bot.DM("playground:alice"), Text: text, Time: time.Now()}
			if _, err := engine.Handle(ctx, ev); err != nil {
				t.Errorf("event %d: %v", i, err)
			}
			if i == 13 {
				return
			}
			// The same event again: handled once.
			ev.Text = "dup-" + text
			if _, err := engine.Handle(ctx, ev); err != nil {
				t.Errorf("event %d again: %v", i, err)
			}
			dups.Add(1)
		}()
	}
	wg.Wait()
	err := st.View(ctx, func(tx bot.Tx) error {
		for i := range n {
			if i == 13 {
				if _, err := tx.Meta("msg/bad"); bot.ErrorCode(err) != bot.ENOTFOUND {
					t.Errorf("the bad event's write stayed (err %v)", err)
				}
				if v, err := tx.Meta("refused/ev-13"); err != nil || string(v) != bot.EINVALID {
					t.Errorf("refusal of the bad event = %q, %v", v, err)
				}
				continue
			}
			if v, err := tx.Meta(fmt.Sprintf("msg/m%02d", i)); err != nil || string(v) != fmt.Sprintf("ev-%d", i) {
				t.Errorf("event %d: meta = %q, %v", i, v, err)
			}
			if _, err := tx.Meta(fmt.Sprintf("msg/dup-m%02d", i)); bot.ErrorCode(err) != bot.ENOTFOUND {
				t.Errorf("event %d was handled twice", i)
			}
			if seen, err := tx.SeenEvent(fmt.Sprintf("ev-%d", i)); err != nil || !seen {
				t.Errorf("event %d: no de-duplication mark (%v)", i, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := h.hooks.Load(); got != n-1 {
		t.Errorf("commit hooks ran %d times, want %d (once per committed event)", got, n-1)
	}
	if dupOutcomes.Load() != dups.Load() {
		t.Errorf("%d duplicates observed, want %d", dupOutcomes.Load(), dups.Load())
	}
}

// TestEngineHandleWithCommitsTheRecordWithTheEvent: what prepare writes (the
// playground's chat line) commits in the event's transaction, and in the
// refusal's when the event is refused, once either way, and the event id it
// sets is the one de-duplicated and refused.
func TestEngineHandleWithCommitsTheRecordWithTheEvent(t *testing.T) {
	st := storetest.Open(t)
	engine := bot.NewEngine(st, &metaHandler{}, slog.New(slog.DiscardHandler))
	ctx := context.Background()
	for _, text := range []string{"good", "bad"} {
		prepare := func(tx bot.Tx, ev *bot.Event) error {
			line, err := tx.AppendChat(bot.ChatMessage{Chat: "dm:alice", From: "alice", Text: text})
			if err != nil {
				return err
			}
			ev.ID = fmt.Sprintf("line-%d", line.ID)
			return nil
		}
		ev := bot.Event{Kind: bot.EventMessage, Platform: bot.Playground, From: "playground:alice", Text: text}
		done, resp, err := engine.HandleWith(ctx, ev, prepare)
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		if text == "bad" && resp.Toast != "refused" {
			t.Errorf("bad: response %+v, want the refusal", resp)
		}
		err = st.View(ctx, func(tx bot.Tx) error {
			if seen, err := tx.SeenEvent(done.ID); err != nil || !seen {
				t.Errorf("%s: event %q not marked (%v)", text, done.ID, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	lines, err := st.ChatMessages(ctx, "dm:alice")
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 2 || lines[0].Text != "good" || lines[1].Text != "bad" {
		t.Errorf("chat lines = %+v, want good and bad once each", lines)
	}
	err = st.View(ctx, func(tx bot.Tx) error {
		if _, err := tx.Meta(fmt.Sprintf("refused/line-%d", lines[1].ID)); err != nil {
			t.Errorf("the refusal is not under the prepared event id: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
