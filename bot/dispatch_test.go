package bot_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/store/storetest"
)

// fakeMessenger records what it delivers. It can be told to fail, to run a
// hook in the middle of a call, and to dawdle so that deliveries interleave.
type fakeMessenger struct {
	platform string
	// fail decides the outcome of a call; nil means success.
	fail func(msg bot.OutMessage) error
	// during runs in the middle of every call.
	during func(msg bot.OutMessage)
	// jitter makes calls take a few random microseconds.
	jitter bool

	mu       sync.Mutex
	calls    int
	sent     []bot.OutMessage
	updated  []updateCall
	active   map[string]bool
	overlaps int
}

// updateCall is one successful UpdateCard.
type updateCall struct {
	ref string
	msg bot.OutMessage
}

func newMessenger(platform string) *fakeMessenger {
	return &fakeMessenger{platform: platform, active: make(map[string]bool)}
}

func (m *fakeMessenger) Platform() string { return m.platform }

func (m *fakeMessenger) Send(ctx context.Context, msg bot.OutMessage) (string, error) {
	n, err := m.call(msg)
	if err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, msg)
	return "msg-" + strconv.Itoa(n), nil
}

func (m *fakeMessenger) UpdateCard(ctx context.Context, ref string, msg bot.OutMessage) error {
	if _, err := m.call(msg); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.updated = append(m.updated, updateCall{ref: ref, msg: msg})
	return nil
}

// call counts a call, notes two calls for one target at once, and decides
// its outcome.
func (m *fakeMessenger) call(msg bot.OutMessage) (int, error) {
	key := msg.Target.String()
	m.mu.Lock()
	m.calls++
	n := m.calls
	if m.active[key] {
		m.overlaps++
	}
	m.active[key] = true
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		delete(m.active, key)
		m.mu.Unlock()
	}()
	if m.jitter {
		time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond)
	}
	if m.during != nil {
		m.during(msg)
	}
	if m.fail != nil {
		return n, m.fail(msg)
	}
	return n, nil
}

func (m *fakeMessenger) snapshot() (calls int, sent []bot.OutMessage, updated []updateCall) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls, append([]bot.OutMessage(nil), m.sent...), append([]updateCall(nil), m.updated...)
}

// sendOnly is a messenger that cannot update cards in place.
type sendOnly struct{ m *fakeMessenger }

func (s sendOnly) Platform() string { return s.m.Platform() }

func (s sendOnly) Send(ctx context.Context, msg bot.OutMessage) (string, error) {
	return s.m.Send(ctx, msg)
}

// failFirst fails the first n calls of every item with err.
func failFirst(n int, err error) func(bot.OutMessage) error {
	var mu sync.Mutex
	seen := make(map[string]int)
	return func(msg bot.OutMessage) error {
		mu.Lock()
		defer mu.Unlock()
		seen[msg.IdemKey]++
		if seen[msg.IdemKey] <= n {
			return err
		}
		return nil
	}
}

// countingObserver counts what the dispatcher reports.
type countingObserver struct {
	mu        sync.Mutex
	delivered map[string]int
	retried   int
	dead      int
}

func (o *countingObserver) Delivered(platform, op string, latency time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.delivered == nil {
		o.delivered = make(map[string]int)
	}
	o.delivered[platform+"/"+op]++
}

func (o *countingObserver) Retried(platform string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.retried++
}

func (o *countingObserver) DeadLettered(platform string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.dead++
}

var errFlaky = errors.New("503 service unavailable")

// newDispatcher returns a dispatcher over st with tiny backoffs.
func newDispatcher(st bot.Store, obs bot.DeliveryObserver, ms ...bot.Messenger) *bot.Dispatcher {
	byPlatform := make(map[string]bot.Messenger)
	for _, m := range ms {
		byPlatform[m.Platform()] = m
	}
	return bot.NewDispatcher(bot.DispatcherConfig{
		Store:       st,
		Messengers:  byPlatform,
		MinBackoff:  time.Millisecond,
		MaxBackoff:  2 * time.Millisecond,
		MaxAttempts: 4,
		Observer:    obs,
	})
}

func enqueue(tb testing.TB, st bot.Store, items ...bot.OutboxItem) []uint64 {
	tb.Helper()
	var ids []uint64
	err := st.Update(context.Background(), func(tx bot.Tx) error {
		for _, it := range items {
			id, err := tx.Enqueue(it)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("enqueue: %v", err)
	}
	return ids
}

func text(t bot.Target, s string) bot.OutboxItem {
	return bot.OutboxItem{Op: bot.OpSend, Target: t, Text: s}
}

// sendCard stores a new card and queues its send.
func sendCard(tb testing.TB, st bot.Store, t bot.Target, title string) uint64 {
	tb.Helper()
	var id uint64
	err := st.Update(context.Background(), func(tx bot.Tx) error {
		var err error
		if id, err = tx.NextCardID(); err != nil {
			return err
		}
		card := bot.Card{Kind: bot.CardNotice, Title: title, Color: bot.ColorBlue}
		if err := tx.PutCard(bot.CardRecord{ID: id, Target: t, Card: card}); err != nil {
			return err
		}
		_, err = tx.Enqueue(bot.OutboxItem{Op: bot.OpSend, Target: t, CardID: id})
		return err
	})
	if err != nil {
		tb.Fatalf("send card: %v", err)
	}
	return id
}

// retitle changes a card's title and queues its update.
func retitle(tb testing.TB, st bot.Store, id uint64, title string) {
	tb.Helper()
	err := st.Update(context.Background(), func(tx bot.Tx) error {
		rec, err := tx.Card(id)
		if err != nil {
			return err
		}
		rec.Card.Title = title
		if err := tx.PutCard(rec); err != nil {
			return err
		}
		_, err = tx.Enqueue(bot.OutboxItem{Op: bot.OpUpdate, Target: rec.Target, CardID: id})
		return err
	})
	if err != nil {
		tb.Fatalf("retitle card: %v", err)
	}
}

func card(tb testing.TB, st bot.Store, id uint64) bot.CardRecord {
	tb.Helper()
	var rec bot.CardRecord
	err := st.View(context.Background(), func(tx bot.Tx) error {
		var err error
		rec, err = tx.Card(id)
		return err
	})
	if err != nil {
		tb.Fatalf("read card: %v", err)
	}
	return rec
}

func depth(tb testing.TB, st bot.Store) int {
	tb.Helper()
	var n int
	err := st.View(context.Background(), func(tx bot.Tx) error {
		var err error
		n, err = tx.OutboxDepth()
		return err
	})
	if err != nil {
		tb.Fatalf("outbox depth: %v", err)
	}
	return n
}

func pendingItem(tb testing.TB, st bot.Store, id uint64) bot.OutboxItem {
	tb.Helper()
	var it bot.OutboxItem
	err := st.View(context.Background(), func(tx bot.Tx) error {
		var err error
		it, err = tx.OutboxItem(id)
		return err
	})
	if err != nil {
		tb.Fatalf("outbox item %d: %v", id, err)
	}
	return it
}

func deadLetters(tb testing.TB, st bot.Store) []bot.OutboxItem {
	tb.Helper()
	var dead []bot.OutboxItem
	err := st.View(context.Background(), func(tx bot.Tx) error {
		var err error
		dead, err = tx.DeadLetters()
		return err
	})
	if err != nil {
		tb.Fatalf("dead letters: %v", err)
	}
	return dead
}

// drainAll drains until the outbox is empty, waiting out the tiny backoffs.
func drainAll(tb testing.TB, d *bot.Dispatcher, st bot.Store) {
	tb.Helper()
	for {
		if err := d.Drain(context.Background()); err != nil {
			tb.Fatalf("drain: %v", err)
		}
		if depth(tb, st) == 0 {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

func idemKeys(ids ...uint64) []string {
	var keys []string
	for _, id := range ids {
		keys = append(keys, bot.OutboxItem{ID: id}.IdemKey())
	}
	return keys
}

// TestDispatcherOrderPerTarget delivers many targets' items concurrently,
// with Run and Drain side by side and flaky sends, and checks that each
// target gets its items once each, in order, never two at a time.
func TestDispatcherOrderPerTarget(t *testing.T) {
	st := storetest.Open(t)
	m := newMessenger(bot.Playground)
	m.jitter = true
	m.fail = func(bot.OutMessage) error {
		if rand.IntN(5) == 0 {
			return bot.Temporary(errFlaky, 0)
		}
		return nil
	}
	d := bot.NewDispatcher(bot.DispatcherConfig{
		Store: st, Messengers: map[string]bot.Messenger{bot.Playground: m},
		MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond, MaxAttempts: 100,
	})
	var targets []bot.Target
	for i := range 24 {
		if i%3 == 0 {
			targets = append(targets, bot.Group(bot.Playground, "g"+strconv.Itoa(i)))
		} else {
			targets = append(targets, bot.DM(bot.PersonID("playground:p"+strconv.Itoa(i))))
		}
	}
	var items []bot.OutboxItem
	for n := range 6 {
		for _, tg := range targets {
			items = append(items, text(tg, "item "+strconv.Itoa(n)))
		}
	}
	want := make(map[string][]uint64)
	for i, id := range enqueue(t, st, items...) {
		key := items[i].Target.String()
		want[key] = append(want[key], id)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()
	d.Kick()
	drainAll(t, d, st)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}

	_, sent, _ := m.snapshot()
	got := make(map[string][]string)
	for _, msg := range sent {
		got[msg.Target.String()] = append(got[msg.Target.String()], msg.IdemKey)
	}
	for key, ids := range want {
		if !reflect.DeepEqual(got[key], idemKeys(ids...)) {
			t.Errorf("%s got %v, want %v", key, got[key], idemKeys(ids...))
		}
	}
	if m.overlaps != 0 {
		t.Errorf("%d deliveries overlapped another of the same target", m.overlaps)
	}
}

// TestDispatcherRetriesThenDelivers fails twice with a temporary error and
// then succeeds.
func TestDispatcherRetriesThenDelivers(t *testing.T) {
	st := storetest.Open(t)
	m := newMessenger(bot.Playground)
	m.fail = failFirst(2, bot.Temporary(errFlaky, 0))
	obs := &countingObserver{}
	d := newDispatcher(st, obs, m)
	target := bot.DM("playground:alice")
	ids := enqueue(t, st, text(target, "hello"), text(target, "second"))

	drainAll(t, d, st)

	calls, sent, _ := m.snapshot()
	if calls != 6 || len(sent) != 2 {
		t.Fatalf("calls = %d, sent = %d; want 6 calls (2 failed per item) and 2 sends", calls, len(sent))
	}
	if got := []string{sent[0].IdemKey, sent[1].IdemKey}; !reflect.DeepEqual(got, idemKeys(ids...)) {
		t.Errorf("sent %v, want %v in order", got, idemKeys(ids...))
	}
	if sent[0].Text != "hello" {
		t.Errorf("first text = %q, want hello", sent[0].Text)
	}
	if obs.retried != 4 || obs.delivered["playground/send"] != 2 || obs.dead != 0 {
		t.Errorf("observer retried=%d delivered=%v dead=%d", obs.retried, obs.delivered, obs.dead)
	}
}

// TestDispatcherDeadLetters covers the ways an item ends as a dead letter.
func TestDispatcherDeadLetters(t *testing.T) {
	tests := []struct {
		name      string
		fail      error
		platform  string
		wantCalls int
		wantError string
	}{
		{"attempts exhausted", bot.Temporary(errFlaky, 0), bot.Playground, 4, "503"},
		{"permanent error", bot.Permanent(errors.New("400 chat not found")), bot.Playground, 1, "chat not found"},
		{"no messenger", nil, bot.Feishu, 0, "no messenger"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := storetest.Open(t)
			m := newMessenger(bot.Playground)
			m.fail = func(bot.OutMessage) error { return tt.fail }
			obs := &countingObserver{}
			d := newDispatcher(st, obs, m)
			target := bot.DM(bot.PersonID(tt.platform + ":alice"))
			id := enqueue(t, st, text(target, "hello"))[0]

			drainAll(t, d, st)

			calls, _, _ := m.snapshot()
			dead := deadLetters(t, st)
			if calls != tt.wantCalls || len(dead) != 1 || dead[0].ID != id {
				t.Fatalf("calls = %d, dead = %+v; want %d calls and item %d dead", calls, dead, tt.wantCalls, id)
			}
			if !strings.Contains(dead[0].LastError, tt.wantError) || dead[0].DeadAt.IsZero() {
				t.Errorf("dead letter = %+v, want last error with %q and a time", dead[0], tt.wantError)
			}
			if obs.dead != 1 {
				t.Errorf("observer counted %d dead letters, want 1", obs.dead)
			}
		})
	}
}

// TestDispatcherHonoursRetryAfter keeps an item back for the platform's
// reset hint, and Drain does not wait for it.
func TestDispatcherHonoursRetryAfter(t *testing.T) {
	st := storetest.Open(t)
	m := newMessenger(bot.Playground)
	m.fail = failFirst(1, bot.Temporary(errors.New("429 too many requests"), time.Hour))
	d := newDispatcher(st, nil, m)
	target := bot.DM("playground:alice")
	ids := enqueue(t, st, text(target, "first"), text(target, "second"))
	before := time.Now()

	if err := d.Drain(context.Background()); err != nil {
		t.Fatalf("drain: %v", err)
	}

	it := pendingItem(t, st, ids[0])
	if it.Attempts != 1 || it.NextAt.Before(before.Add(time.Hour)) || !strings.Contains(it.LastError, "429") {
		t.Errorf("item after a 429 = %+v, want 1 attempt, next try an hour on, the error kept", it)
	}
	if err := d.Drain(context.Background()); err != nil {
		t.Fatalf("drain: %v", err)
	}
	if calls, sent, _ := m.snapshot(); calls != 1 || len(sent) != 0 {
		t.Errorf("calls = %d, sent = %d; the item and the one after it must wait", calls, len(sent))
	}
}

// TestDispatcherBackoffStaysBelowMax checks that a retry without a hint is
// planned within MaxBackoff.
func TestDispatcherBackoffStaysBelowMax(t *testing.T) {
	st := storetest.Open(t)
	m := newMessenger(bot.Playground)
	m.fail = failFirst(1, bot.Temporary(errFlaky, 0))
	d := bot.NewDispatcher(bot.DispatcherConfig{
		Store: st, Messengers: map[string]bot.Messenger{bot.Playground: m},
		MinBackoff: time.Hour, MaxBackoff: 2 * time.Hour,
	})
	id := enqueue(t, st, text(bot.DM("playground:alice"), "hi"))[0]
	before := time.Now()
	if err := d.Drain(context.Background()); err != nil {
		t.Fatalf("drain: %v", err)
	}
	it := pendingItem(t, st, id)
	if it.NextAt.Before(before) || it.NextAt.After(time.Now().Add(2*time.Hour)) {
		t.Errorf("next try at %s, want between now and two hours on", it.NextAt)
	}
}

// TestDispatcherCards sends a card, keeps its message id, and delivers the
// latest content of coalesced updates once.
func TestDispatcherCards(t *testing.T) {
	st := storetest.Open(t)
	m := newMessenger(bot.Playground)
	obs := &countingObserver{}
	d := newDispatcher(st, obs, m)
	target := bot.Group(bot.Playground, "alpha")
	id := sendCard(t, st, target, "v1")
	drainAll(t, d, st)

	_, sent, _ := m.snapshot()
	if len(sent) != 1 || sent[0].Card == nil || sent[0].Card.Title != "v1" || sent[0].CardID != id {
		t.Fatalf("sent %+v, want card %d v1", sent, id)
	}
	ref := card(t, st, id).MessageRef
	if ref != "msg-1" {
		t.Fatalf("card message ref = %q, want msg-1", ref)
	}

	retitle(t, st, id, "v2")
	retitle(t, st, id, "v3")
	retitle(t, st, id, "v4")
	drainAll(t, d, st)

	_, _, updated := m.snapshot()
	if len(updated) != 1 || updated[0].ref != ref || updated[0].msg.Card.Title != "v4" {
		t.Fatalf("updates %+v, want one update of %s to v4", updated, ref)
	}
	if obs.delivered["playground/update"] != 1 {
		t.Errorf("observer delivered %v, want one update", obs.delivered)
	}
}

// TestDispatcherUpdateDuringDelivery changes a card while its update is in
// flight: the change is coalesced into the item in flight, which must then
// go out again with the latest content.
func TestDispatcherUpdateDuringDelivery(t *testing.T) {
	st := storetest.Open(t)
	m := newMessenger(bot.Playground)
	d := newDispatcher(st, nil, m)
	target := bot.DM("playground:bob")
	id := sendCard(t, st, target, "v1")
	drainAll(t, d, st)

	var once sync.Once
	m.during = func(msg bot.OutMessage) {
		if msg.Card != nil && msg.Card.Title == "v2" {
			once.Do(func() { retitle(t, st, id, "v3") })
		}
	}
	retitle(t, st, id, "v2")
	drainAll(t, d, st)

	_, _, updated := m.snapshot()
	if len(updated) != 2 || updated[1].msg.Card.Title != "v3" {
		t.Fatalf("updates %+v, want v2 then v3", updated)
	}
}

// TestDispatcherUpdateWithoutMessage completes updates that cannot be sent:
// the card's send was dead-lettered, or the platform cannot update cards.
func TestDispatcherUpdateWithoutMessage(t *testing.T) {
	t.Run("send dead-lettered", func(t *testing.T) {
		st := storetest.Open(t)
		m := newMessenger(bot.Playground)
		m.fail = failFirst(1, bot.Permanent(errors.New("403 bot not in chat")))
		d := newDispatcher(st, nil, m)
		id := sendCard(t, st, bot.Group(bot.Playground, "alpha"), "v1")
		retitle(t, st, id, "v2")
		drainAll(t, d, st)
		calls, _, updated := m.snapshot()
		if calls != 1 || len(updated) != 0 || len(deadLetters(t, st)) != 1 {
			t.Errorf("calls = %d, updates = %d, dead = %d; want the send dead and the update dropped",
				calls, len(updated), len(deadLetters(t, st)))
		}
	})
	t.Run("no card updater", func(t *testing.T) {
		st := storetest.Open(t)
		m := newMessenger(bot.Playground)
		d := newDispatcher(st, nil, sendOnly{m})
		id := sendCard(t, st, bot.Group(bot.Playground, "alpha"), "v1")
		drainAll(t, d, st)
		retitle(t, st, id, "v2")
		drainAll(t, d, st)
		if calls, sent, _ := m.snapshot(); calls != 1 || len(sent) != 1 {
			t.Errorf("calls = %d, sent = %d; want only the send", calls, len(sent))
		}
	})
}

// crashingStore loses every write, as if the process died before the
// commit.
type crashingStore struct{ bot.Store }

func (crashingStore) Update(context.Context, func(bot.Tx) error) error {
	return errors.New("crash before commit")
}

func (crashingStore) Batch(context.Context, func(bot.Tx) error) error {
	return errors.New("crash before commit")
}

// TestDispatcherCrashRedelivers delivers a card, "crashes" before the
// delivery is recorded, and checks that after the restart the card goes out
// again with the same idempotency key, and is then recorded.
func TestDispatcherCrashRedelivers(t *testing.T) {
	st := storetest.Open(t)
	m := newMessenger(bot.Playground)
	id := sendCard(t, st, bot.DM("playground:carol"), "v1")

	// A long backoff keeps the crashed dispatcher from trying again within
	// its Drain.
	crashed := bot.NewDispatcher(bot.DispatcherConfig{
		Store: crashingStore{st}, Messengers: map[string]bot.Messenger{bot.Playground: m},
		MinBackoff: time.Hour,
	})
	if err := crashed.Drain(context.Background()); err == nil {
		t.Fatal("drain over a crashing store reported no error")
	}
	if depth(t, st) != 1 {
		t.Fatal("the delivered item left the outbox without its completion")
	}

	restarted := newDispatcher(st, nil, m)
	drainAll(t, restarted, st)

	_, sent, _ := m.snapshot()
	if len(sent) != 2 || sent[0].IdemKey != sent[1].IdemKey {
		t.Fatalf("sent %+v, want the card twice with one idempotency key", sent)
	}
	if ref := card(t, st, id).MessageRef; ref != "msg-2" {
		t.Errorf("message ref = %q, want msg-2 from the redelivery", ref)
	}
}

// TestDrainWaitsForRun starts a delivery in Run, then Drains: Drain must
// wait for it, and for the next item of the same target.
func TestDrainWaitsForRun(t *testing.T) {
	st := storetest.Open(t)
	m := newMessenger(bot.Playground)
	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	m.during = func(bot.OutMessage) {
		once.Do(func() {
			close(started)
			<-release
		})
	}
	d := newDispatcher(st, nil, m)
	target := bot.DM("playground:dave")
	enqueue(t, st, text(target, "one"))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runDone := make(chan error)
	go func() { runDone <- d.Run(ctx) }()
	<-started
	enqueue(t, st, text(target, "two"))
	drained := make(chan error)
	go func() { drained <- d.Drain(context.Background()) }()

	select {
	case err := <-drained:
		t.Fatalf("Drain returned (%v) while a delivery was in flight", err)
	default:
	}
	close(release)
	if err := <-drained; err != nil {
		t.Fatalf("drain: %v", err)
	}
	if _, sent, _ := m.snapshot(); len(sent) != 2 {
		t.Errorf("Drain returned with %d of 2 messages sent", len(sent))
	}
	cancel()
	if err := <-runDone; err != nil {
		t.Errorf("Run: %v", err)
	}
}

// TestDispatcherRunDeliversOnKick checks that Run delivers what is
// committed after a Kick.
func TestDispatcherRunDeliversOnKick(t *testing.T) {
	st := storetest.Open(t)
	m := newMessenger(bot.Playground)
	got := make(chan bot.OutMessage, 1)
	m.during = func(msg bot.OutMessage) { got <- msg }
	d := newDispatcher(st, nil, m)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = d.Run(ctx) }()

	enqueue(t, st, text(bot.Group(bot.Playground, "alpha"), "hello"))
	d.Kick()
	if msg := <-got; msg.Text != "hello" {
		t.Errorf("Run delivered %q, want hello", msg.Text)
	}
}

// fakeNow is a settable time source for the limiter.
type fakeNow struct{ t time.Time }

func (f *fakeNow) now() time.Time { return f.t }

func (f *fakeNow) add(d time.Duration) { f.t = f.t.Add(d) }

// TestLimiterWindow checks the window's arithmetic: a burst of N, then
// nothing until the oldest delivery is a whole Per old.
func TestLimiterWindow(t *testing.T) {
	clock := &fakeNow{t: time.Date(2026, 9, 21, 9, 0, 0, 0, time.UTC)}
	l := bot.NewLimiter(map[string][]bot.Limit{
		bot.Feishu: {{Scope: bot.ScopeUser, N: 3, Per: time.Second}},
	}, clock.now)
	alice := bot.DM("feishu:alice")
	steps := []struct {
		advance time.Duration
		want    time.Duration
	}{
		{0, 0}, {0, 0}, // two at 0 s
		{400 * time.Millisecond, 0},                      // the third at 0.4 s
		{0, 600 * time.Millisecond},                      // full until the two at 0 s are 1 s old
		{500 * time.Millisecond, 100 * time.Millisecond}, // refused tries are not counted
		{100 * time.Millisecond, 0},                      // at 1 s the two at 0 s are out
		{0, 0},                                           // the window holds 0.4, 1 and 1
		{0, 400 * time.Millisecond},                      // until 0.4 s is 1 s old
		{10 * time.Second, 0},                            // idle: empty again
	}
	for i, s := range steps {
		clock.add(s.advance)
		if got := l.Take(alice); got != s.want {
			t.Errorf("step %d: wait %s, want %s", i, got, s.want)
		}
	}
}

// TestLimiterNeverExceeds tries deliveries at random times and checks that
// no span of Per holds more than N of those let through, for both of
// WeCom's per-member limits at once.
func TestLimiterNeverExceeds(t *testing.T) {
	clock := &fakeNow{t: time.Date(2026, 9, 21, 9, 0, 0, 0, time.UTC)}
	l := bot.NewLimiter(nil, clock.now)
	member := bot.DM("wecom:zhangsan")
	var sent []time.Time
	for clock.t.Before(time.Date(2026, 9, 21, 13, 0, 0, 0, time.UTC)) {
		if l.Take(member) == 0 {
			sent = append(sent, clock.t)
		}
		clock.add(time.Duration(rand.IntN(3000)) * time.Millisecond)
	}
	for _, lim := range bot.DefaultLimits(bot.WeCom)[:2] {
		// N+1 deliveries within less than Per would break the limit.
		for i := 0; i+lim.N < len(sent); i++ {
			if gap := sent[i+lim.N].Sub(sent[i]); gap < lim.Per {
				t.Fatalf("%d deliveries within %s from %s, limit %d per %s", lim.N+1, gap, sent[i], lim.N, lim.Per)
			}
		}
	}
	if len(sent) < 3000 {
		t.Errorf("only %d deliveries in four hours, want the hourly limit used", len(sent))
	}
}

// TestLimiterScopes checks which windows apply to which target.
func TestLimiterScopes(t *testing.T) {
	clock := &fakeNow{t: time.Date(2026, 9, 21, 9, 0, 0, 0, time.UTC)}
	l := bot.NewLimiter(nil, clock.now)
	for range 5 {
		l.Take(bot.DM("feishu:alice"))
	}
	if got := l.Take(bot.DM("feishu:alice")); got != time.Second {
		t.Errorf("sixth message to alice in a second waits %s, want 1s (5/s per user)", got)
	}
	if got := l.Take(bot.DM("feishu:bob")); got != 0 {
		t.Errorf("bob waits %s behind alice, want 0", got)
	}
	for i := range 44 {
		l.Take(bot.Group(bot.Feishu, "g"+strconv.Itoa(i)))
	}
	// 50 messages are out in this instant: the app's limit of 50/s holds.
	if got := l.Take(bot.DM("feishu:carol")); got != time.Second {
		t.Errorf("51st message of the app waits %s, want 1s (50/s per app)", got)
	}
	for range 20 {
		l.Take(bot.Group(bot.WeCom, "robot"))
	}
	if got := l.Take(bot.Group(bot.WeCom, "robot")); got != time.Minute {
		t.Errorf("21st webhook message waits %s, want 1m (20/min)", got)
	}
	for range 1000 {
		if got := l.Take(bot.DM("playground:alice")); got != 0 {
			t.Fatalf("playground waits %s, want no limit", got)
		}
	}
}

// TestLimiterHourLimit sends 30 a minute to one WeCom member until the
// hourly limit of 1000 stops it.
func TestLimiterHourLimit(t *testing.T) {
	start := time.Date(2026, 9, 21, 9, 0, 0, 0, time.UTC)
	clock := &fakeNow{t: start}
	l := bot.NewLimiter(nil, clock.now)
	member := bot.DM("wecom:zhangsan")
	sent := 0
	for minute := 0; minute < 60; minute++ {
		clock.t = start.Add(time.Duration(minute) * time.Minute)
		for l.Take(member) == 0 {
			sent++
		}
	}
	if sent != 1000 {
		t.Fatalf("sent %d in the first hour, want 1000", sent)
	}
	if got := l.Take(member); got != time.Minute {
		t.Errorf("at 59 min the member waits %s, want 1m, until the first minute's 30 are an hour old", got)
	}
}

// TestLimiterForgetsIdleWindows checks that 10,000 people written to once
// do not stay in memory.
func TestLimiterForgetsIdleWindows(t *testing.T) {
	clock := &fakeNow{t: time.Date(2026, 9, 21, 9, 0, 0, 0, time.UTC)}
	l := bot.NewLimiter(nil, clock.now)
	for i := range 10000 {
		l.Take(bot.DM(bot.PersonID("wecom:u" + strconv.Itoa(i))))
	}
	if l.Len() < 10000 {
		t.Fatalf("limiter holds %d windows, want one per member and limit", l.Len())
	}
	clock.add(2 * time.Hour)
	l.Take(bot.DM("wecom:someone"))
	if got := l.Len(); got != 2 {
		t.Errorf("after two idle hours the limiter holds %d windows, want 2", got)
	}
}

// TestLimiterWaitHonoursContext checks that a wait ends with the context.
func TestLimiterWaitHonoursContext(t *testing.T) {
	l := bot.NewLimiter(map[string][]bot.Limit{
		bot.Feishu: {{Scope: bot.ScopeChat, N: 1, Per: time.Hour}},
	}, nil)
	g := bot.Group(bot.Feishu, "g")
	if err := l.Wait(context.Background(), g); err != nil {
		t.Fatalf("first wait: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Wait(ctx, g); !errors.Is(err, context.Canceled) {
		t.Errorf("wait with a cancelled context = %v, want context.Canceled", err)
	}
}

// TestDefaultLimits checks the documented numbers of SPEC §6.
func TestDefaultLimits(t *testing.T) {
	tests := map[string][]bot.Limit{
		bot.Feishu: {
			{Scope: "app", N: 50, Per: time.Second}, {Scope: "app", N: 1000, Per: time.Minute},
			{Scope: "user", N: 5, Per: time.Second}, {Scope: "chat", N: 5, Per: time.Second},
		},
		bot.WeCom: {
			{Scope: "user", N: 30, Per: time.Minute}, {Scope: "user", N: 1000, Per: time.Hour},
			{Scope: "chat", N: 20, Per: time.Minute},
		},
		bot.DingTalk: {
			{Scope: "app", N: 20, Per: time.Second}, {Scope: "chat", N: 20, Per: time.Minute},
		},
		bot.Playground: nil,
	}
	for platform, want := range tests {
		if got := bot.DefaultLimits(platform); !reflect.DeepEqual(got, want) {
			t.Errorf("DefaultLimits(%s) = %v, want %v", platform, got, want)
		}
	}
}

// TestDispatcherPacesBurst queues 100 messages to one WeCom member and moves
// the limits' clock by hand: each minute lets 30 through, in order, none is
// dropped, and another member's message is not held up by the burst.
func TestDispatcherPacesBurst(t *testing.T) {
	st := storetest.Open(t)
	m := newMessenger(bot.WeCom)
	clock := &fakeNow{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock.now() }
	d := bot.NewDispatcher(bot.DispatcherConfig{Store: st, Messengers: map[string]bot.Messenger{bot.WeCom: m}, Now: now})
	var items []bot.OutboxItem
	for i := range 100 {
		items = append(items, text(bot.DM("wecom:bob"), "n"+strconv.Itoa(i)))
	}
	enqueue(t, st, items...)
	enqueue(t, st, text(bot.DM("wecom:carol"), "hello"))
	var counts []int
	for range 5 {
		if err := d.Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
		m.mu.Lock()
		counts = append(counts, len(m.sent))
		m.mu.Unlock()
		mu.Lock()
		clock.add(time.Minute)
		mu.Unlock()
	}
	if want := []int{31, 61, 91, 101, 101}; !reflect.DeepEqual(counts, want) {
		t.Fatalf("delivered after each minute: %v, want %v", counts, want)
	}
	n := 0
	for _, msg := range m.sent {
		if msg.Target.Chat == "bob" {
			if msg.Text != "n"+strconv.Itoa(n) {
				t.Fatalf("message %d is %q: out of order", n, msg.Text)
			}
			n++
		}
	}
	if depth(t, st) != 0 {
		t.Errorf("outbox depth %d, want 0", depth(t, st))
	}
}

// refresher is a messenger whose cards can be updated only for a while: its
// RefreshCard sends a new message for a card that is "old".
type refresher struct {
	*fakeMessenger
	old map[string]bool
}

func (r refresher) RefreshCard(ctx context.Context, ref string, msg bot.OutMessage) (string, error) {
	if r.old[ref] {
		return r.Send(ctx, msg)
	}
	return ref, r.UpdateCard(ctx, ref, msg)
}

// TestDispatcherRefreshResends updates a card whose message is too old to
// update: it goes out as a new message, and later updates go to that one.
func TestDispatcherRefreshResends(t *testing.T) {
	st := storetest.Open(t)
	m := refresher{fakeMessenger: newMessenger(bot.Feishu), old: map[string]bool{}}
	d := newDispatcher(st, nil, m)
	id := sendCard(t, st, bot.Group(bot.Feishu, "oc_1"), "v1")
	drainAll(t, d, st)
	first := card(t, st, id).MessageRef

	m.old[first] = true
	retitle(t, st, id, "v2")
	drainAll(t, d, st)
	second := card(t, st, id).MessageRef
	if second == first || second == "" {
		t.Fatalf("message ref %q after a resend, want a new one", second)
	}
	retitle(t, st, id, "v3")
	drainAll(t, d, st)
	_, sent, updated := m.snapshot()
	if len(sent) != 2 || sent[1].Card.Title != "v2" {
		t.Errorf("sent %d messages, want the card and its resend", len(sent))
	}
	if len(updated) != 1 || updated[0].ref != second || updated[0].msg.Card.Title != "v3" {
		t.Errorf("updates %+v, want v3 on %s", updated, second)
	}
}

// TestLimiterTakeN: a delivery of several platform messages counts each,
// and waits until the window has room for all of them.
func TestLimiterTakeN(t *testing.T) {
	clock := &fakeNow{t: time.Date(2026, 9, 21, 9, 0, 0, 0, time.UTC)}
	l := bot.NewLimiter(map[string][]bot.Limit{
		bot.WeCom: {{Scope: bot.ScopeUser, N: 5, Per: time.Minute}},
	}, clock.now)
	bob := bot.DM("wecom:bob")
	if w := l.TakeN(bob, 4); w != 0 {
		t.Fatalf("first four: wait %s", w)
	}
	clock.add(10 * time.Second)
	if w := l.TakeN(bob, 4); w != 50*time.Second {
		t.Fatalf("four more with one place left: wait %s, want 50s", w)
	}
	if w := l.Take(bob); w != 0 {
		t.Fatalf("the fifth: wait %s", w)
	}
	clock.add(50 * time.Second)
	if w := l.TakeN(bob, 9); w != 10*time.Second {
		t.Fatalf("more than N waits for an empty window: wait %s, want 10s", w)
	}
	clock.add(10 * time.Second)
	if w := l.TakeN(bob, 9); w != 0 {
		t.Fatalf("an empty window: wait %s", w)
	}
}

// countingMessenger posts each text as several platform messages, as many
// as the text's length, and says so through bot.MessageCounter.
type countingMessenger struct{ *fakeMessenger }

func (c countingMessenger) Messages(msg bot.OutMessage) int { return len(msg.Text) }

// TestDispatcherCountsMessages: an item that is four platform messages
// counts four against the per-member limit, so that a minute holds seven
// such items (28 messages), never eight (32).
func TestDispatcherCountsMessages(t *testing.T) {
	st := storetest.Open(t)
	m := countingMessenger{newMessenger(bot.WeCom)}
	clock := &fakeNow{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock.now() }
	d := bot.NewDispatcher(bot.DispatcherConfig{Store: st, Messengers: map[string]bot.Messenger{bot.WeCom: m}, Now: now})
	var items []bot.OutboxItem
	for range 20 {
		items = append(items, text(bot.DM("wecom:bob"), "abcd"))
	}
	enqueue(t, st, items...)
	var counts []int
	for range 4 {
		if err := d.Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
		m.mu.Lock()
		counts = append(counts, len(m.sent))
		m.mu.Unlock()
		mu.Lock()
		clock.add(time.Minute)
		mu.Unlock()
	}
	if want := []int{7, 14, 20, 20}; !reflect.DeepEqual(counts, want) {
		t.Fatalf("items delivered after each minute: %v, want %v", counts, want)
	}
}

// TestDispatcherPacesEachPlatform: one outbox serves several platforms at
// once, each paced by its own limits: a burst held back by WeCom's 30 a
// minute to one member, or by Feishu's 50 a second per app, holds back
// nothing on the other platforms.
func TestDispatcherPacesEachPlatform(t *testing.T) {
	st := storetest.Open(t)
	ms := map[string]*fakeMessenger{}
	messengers := map[string]bot.Messenger{}
	for _, p := range []string{bot.WeCom, bot.Feishu, bot.DingTalk, bot.Playground} {
		ms[p] = newMessenger(p)
		messengers[p] = ms[p]
	}
	clock := &fakeNow{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock.now() }
	d := bot.NewDispatcher(bot.DispatcherConfig{Store: st, Messengers: messengers, Now: now})
	var items []bot.OutboxItem
	for i := range 60 {
		n := strconv.Itoa(i)
		items = append(items, text(bot.DM("wecom:bob"), "w"+n), text(bot.DM(bot.PersonID("feishu:ou_"+n)), "f"+n),
			text(bot.DM(bot.PersonID("dingtalk:u"+n)), "d"+n), text(bot.DM("playground:bob"), "p"+n))
	}
	enqueue(t, st, items...)
	count := func() map[string]int {
		out := map[string]int{}
		for p, m := range ms {
			m.mu.Lock()
			out[p] = len(m.sent)
			m.mu.Unlock()
		}
		return out
	}
	if err := d.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	// WeCom: 30 a minute to bob; Feishu: 50 a second for the app;
	// DingTalk: 20 a second; the playground: no limit.
	want := map[string]int{bot.WeCom: 30, bot.Feishu: 50, bot.DingTalk: 20, bot.Playground: 60}
	if got := count(); !reflect.DeepEqual(got, want) {
		t.Fatalf("delivered at once: %v, want %v", got, want)
	}
	mu.Lock()
	clock.add(time.Second)
	mu.Unlock()
	if err := d.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	want = map[string]int{bot.WeCom: 30, bot.Feishu: 60, bot.DingTalk: 40, bot.Playground: 60}
	if got := count(); !reflect.DeepEqual(got, want) {
		t.Fatalf("delivered a second later: %v, want %v", got, want)
	}
}
