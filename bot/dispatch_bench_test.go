package bot_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/internal/benchratio"
	"github.com/loopbot/loopbot/store/storetest"
)

// TestMain measures the raw commit that the benchmarks compare with, when
// benchmarks run; see benchratio.
func TestMain(m *testing.M) { os.Exit(benchratio.Main(m)) }

// benchCountingMessenger delivers instantly and counts, so that an outbox
// benchmark measures the outbox and the store alone.
type benchCountingMessenger struct{ sent atomic.Int64 }

func (m *benchCountingMessenger) Platform() string { return bot.Playground }

func (m *benchCountingMessenger) Send(ctx context.Context, msg bot.OutMessage) (string, error) {
	return "bench-" + strconv.FormatInt(m.sent.Add(1), 10), nil
}

// BenchmarkOutboxEnqueueDeliver is the life of a queued text message: one
// Update that enqueues it, then Drain, which reads the pending items,
// delivers each to an instant messenger, without rate limits, and removes
// it in a transaction of its own. Each variant enqueues `items` texts in
// one transaction, to `targets` chats, then drains them all; the ratios are
// per item. One target's items go out one at a time, in order; different
// targets' items go out up to the dispatcher's 8 workers at once.
func BenchmarkOutboxEnqueueDeliver(b *testing.B) {
	benchratio.RawCommit(b)
	for _, v := range []struct{ items, targets int }{{1, 1}, {100, 1}, {100, 100}, {1000, 1000}, {3000, 3000}} {
		b.Run(fmt.Sprintf("items=%d/targets=%d", v.items, v.targets), func(b *testing.B) {
			benchEnqueueDeliver(b, v.items, v.targets)
		})
	}
}

func benchEnqueueDeliver(b *testing.B, items, targets int) {
	st := storetest.Open(b)
	m := &benchCountingMessenger{}
	d := bot.NewDispatcher(bot.DispatcherConfig{
		Store:      st,
		Messengers: map[string]bot.Messenger{bot.Playground: m},
		Limits:     map[string][]bot.Limit{bot.Playground: {}},
	})
	to := make([]bot.Target, targets)
	for i := range to {
		to[i] = bot.DM(bot.PersonID(fmt.Sprintf("playground:user%d", i)))
	}
	ctx := context.Background()
	for b.Loop() {
		err := st.Update(ctx, func(tx bot.Tx) error {
			for i := range items {
				it := bot.OutboxItem{Op: bot.OpSend, Target: to[i%targets], Text: "📈 T1 进度 40% → 50%。"}
				if _, err := tx.Enqueue(it); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatalf("enqueue: %v", err)
		}
		if err := d.Drain(ctx); err != nil {
			b.Fatalf("drain: %v", err)
		}
	}
	if want := int64(b.N * items); m.sent.Load() != want {
		b.Fatalf("delivered %d items, want %d", m.sent.Load(), want)
	}
	err := st.View(ctx, func(tx bot.Tx) error {
		if n, err := tx.OutboxDepth(); err != nil || n != 0 {
			return fmt.Errorf("outbox depth %d after draining (%v)", n, err)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	benchratio.Report(b, b.N*items, "items")
}
