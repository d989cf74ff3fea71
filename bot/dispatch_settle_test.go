package bot_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/store/storetest"
)

// viewHookStore is a store that calls onView, when set, at the start of
// each read transaction.
type viewHookStore struct {
	bot.Store
	mu     sync.Mutex
	onView func()
}

func (s *viewHookStore) View(ctx context.Context, fn func(bot.Tx) error) error {
	s.mu.Lock()
	hook := s.onView
	s.onView = nil
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	return s.Store.View(ctx, fn)
}

// gate makes a fake messenger's calls for one target wait until released,
// and tells when the first one started.
func gate(m *fakeMessenger, target bot.Target) (started <-chan struct{}, release func()) {
	start, open := make(chan struct{}), make(chan struct{})
	var once, closeOnce sync.Once
	prev := m.during
	m.during = func(msg bot.OutMessage) {
		if msg.Target == target {
			once.Do(func() { close(start) })
			<-open
		}
		if prev != nil {
			prev(msg)
		}
	}
	return start, func() { closeOnce.Do(func() { close(open) }) }
}

// TestSettleWaitsForEarlierItems: while Run delivers, Settle waits for
// every item queued before it, in flight or not yet started, as Drain does.
func TestSettleWaitsForEarlierItems(t *testing.T) {
	st := storetest.Open(t)
	m := newMessenger(bot.Playground)
	target := bot.DM("playground:dave")
	started, release := gate(m, target)
	defer release()
	d := newDispatcher(st, nil, m)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runDone := make(chan error)
	go func() { runDone <- d.Run(ctx) }()

	enqueue(t, st, text(target, "one"))
	d.Kick()
	<-started
	enqueue(t, st, text(target, "two"))
	d.Kick()
	settled := make(chan error)
	go func() { settled <- d.Settle(context.Background()) }()
	select {
	case err := <-settled:
		t.Fatalf("Settle returned (%v) while an earlier item was in flight", err)
	default:
	}
	release()
	if err := <-settled; err != nil {
		t.Fatalf("settle: %v", err)
	}
	if _, sent, _ := m.snapshot(); len(sent) != 2 {
		t.Errorf("Settle returned with %d of 2 messages sent", len(sent))
	}
	cancel()
	if err := <-runDone; err != nil {
		t.Errorf("Run: %v", err)
	}
}

// TestSettleIgnoresLaterItems: Settle returns once the items queued
// before it are delivered, while an item queued after it hangs in its
// messenger (Drain would wait for it, and so would every API request
// behind a slow one).
func TestSettleIgnoresLaterItems(t *testing.T) {
	hooked := &viewHookStore{Store: storetest.Open(t)}
	m := newMessenger(bot.Playground)
	mine, slow := bot.DM("playground:dave"), bot.DM("playground:erin")
	mineStarted, releaseMine := gate(m, mine)
	defer releaseMine()
	slowStarted, releaseSlow := gate(m, slow)
	defer releaseSlow()
	d := newDispatcher(hooked, nil, m)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runDone := make(chan error)
	go func() { runDone <- d.Run(ctx) }()

	enqueue(t, hooked, text(mine, "mine"))
	d.Kick()
	<-mineStarted
	// The first read of the store after Settle began marks what it waits
	// for; the slow item is queued after that read.
	read := make(chan struct{})
	hooked.mu.Lock()
	hooked.onView = func() { close(read) }
	hooked.mu.Unlock()
	settled := make(chan error)
	go func() { settled <- d.Settle(context.Background()) }()
	<-read
	enqueue(t, hooked, text(slow, "slow"))
	d.Kick()
	<-slowStarted
	releaseMine()
	if err := <-settled; err != nil {
		t.Fatalf("settle: %v", err)
	}
	_, sent, _ := m.snapshot()
	if len(sent) != 1 || sent[0].Text != "mine" {
		t.Errorf("Settle returned with %+v sent, want only the item queued before it", sent)
	}
	releaseSlow()
	if err := d.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-runDone; err != nil {
		t.Errorf("Run: %v", err)
	}
}

// TestSettleWithoutRun delivers by itself when no Run goes, as Drain.
func TestSettleWithoutRun(t *testing.T) {
	st := storetest.Open(t)
	m := newMessenger(bot.Playground)
	d := newDispatcher(st, nil, m)
	enqueue(t, st, text(bot.DM("playground:dave"), "one"), text(bot.DM("playground:erin"), "two"))
	if err := d.Settle(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, sent, _ := m.snapshot(); len(sent) != 2 {
		t.Errorf("sent %d of 2", len(sent))
	}
}

// txMessenger delivers into the store, as the playground does: a send
// appends a chat line in the delivery's own transaction.
type txMessenger struct {
	*fakeMessenger
}

func (m txMessenger) SendTx(tx bot.Tx, msg bot.OutMessage) (string, error) {
	saved, err := tx.AppendChat(bot.ChatMessage{Chat: msg.Target.Chat, From: "bot", Text: msg.Text, Card: msg.Card})
	if err != nil {
		return "", bot.Temporary(err, 0)
	}
	// A failure after the write: the transaction must not keep the line.
	if _, err := m.call(msg); err != nil {
		return "", err
	}
	return strconv.FormatUint(saved.ID, 10), nil
}

func (m txMessenger) UpdateCardTx(tx bot.Tx, ref string, msg bot.OutMessage) error {
	if _, err := m.call(msg); err != nil {
		return err
	}
	id, _ := strconv.ParseUint(ref, 10, 64)
	return tx.UpdateChatCard(id, *msg.Card)
}

// TestDispatcherTxMessenger: a TxMessenger's delivery and its record
// commit together: the chat line, the card's message id and the item's
// removal; a failed try leaves no chat line behind, and is retried.
func TestDispatcherTxMessenger(t *testing.T) {
	st := storetest.Open(t)
	fm := newMessenger(bot.Playground)
	fm.fail = failFirst(1, bot.Temporary(errors.New("busy"), 0))
	d := newDispatcher(st, nil, txMessenger{fm})
	target := bot.DM("playground:dave")
	enqueue(t, st, text(target, "hello"))
	id := sendCard(t, st, target, "first")
	drainAll(t, d, st)
	retitle(t, st, id, "second")
	drainAll(t, d, st)

	if n := depth(t, st); n != 0 {
		t.Errorf("%d items left in the outbox", n)
	}
	var lines []bot.ChatMessage
	for i := uint64(1); i <= 5; i++ {
		m, err := chatLine(st, i)
		if err == nil {
			lines = append(lines, m)
		} else if bot.ErrorCode(err) != bot.ENOTFOUND {
			t.Fatal(err)
		}
	}
	if len(lines) != 2 || lines[0].Text != "hello" || lines[1].Card == nil || lines[1].Card.Title != "second" {
		t.Fatalf("chat lines %+v, want the text once and the card once, updated", lines)
	}
	if ref := card(t, st, id).MessageRef; ref != strconv.FormatUint(lines[1].ID, 10) {
		t.Errorf("card's message ref %q, want the card's chat line %d", ref, lines[1].ID)
	}
	if calls, _, _ := fm.snapshot(); calls != 6 {
		t.Errorf("%d calls, want 6: each of the three deliveries failed once, then went out", calls)
	}
}

// chatLine reads a chat line from the store's chat log.
func chatLine(st bot.Store, id uint64) (bot.ChatMessage, error) {
	log, ok := st.(bot.ChatLog)
	if !ok {
		return bot.ChatMessage{}, errors.New("the store keeps no chat log")
	}
	return log.ChatMessage(context.Background(), id)
}

// TestPrepareQueuesBeforeDelivery: what Prepare queues (the group warning
// lines that events deferred) is delivered by the Settle and the Drain
// that follow the events, with and without Run going.
func TestPrepareQueuesBeforeDelivery(t *testing.T) {
	for _, run := range []bool{false, true} {
		st := storetest.Open(t)
		m := newMessenger(bot.Playground)
		var mu sync.Mutex
		deferred, queued := 0, 0 // events that deferred a message; messages queued
		prepare := func(ctx context.Context) error {
			mu.Lock()
			defer mu.Unlock()
			for ; queued < deferred; queued++ {
				enqueue(t, st, text(bot.DM("playground:dave"), "deferred "+strconv.Itoa(queued+1)))
			}
			return nil
		}
		event := func() {
			mu.Lock()
			deferred++
			mu.Unlock()
		}
		d := bot.NewDispatcher(bot.DispatcherConfig{Store: st, Messengers: map[string]bot.Messenger{bot.Playground: m}, Prepare: prepare})
		ctx, cancel := context.WithCancel(context.Background())
		runDone := make(chan error, 1)
		if run {
			go func() { runDone <- d.Run(ctx) }()
		}
		event()
		if err := d.Settle(context.Background()); err != nil {
			t.Fatal(err)
		}
		if _, sent, _ := m.snapshot(); len(sent) != 1 {
			t.Errorf("run %v: Settle returned with %d sent, want the event's 1", run, len(sent))
		}
		event()
		event()
		if err := d.Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
		if _, sent, _ := m.snapshot(); len(sent) != 3 {
			t.Errorf("run %v: Drain returned with %d sent, want 3", run, len(sent))
		}
		cancel()
		if run {
			if err := <-runDone; err != nil {
				t.Errorf("Run: %v", err)
			}
		}
	}
}
