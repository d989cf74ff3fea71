package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"sync"
	"time"
	"unicode/utf8"
)

// Defaults of DispatcherConfig.
const (
	DefaultWorkers     = 8
	DefaultMaxAttempts = 8
	DefaultMinBackoff  = time.Second
	DefaultMaxBackoff  = 5 * time.Minute
)

const (
	// pollEvery is the safety net: the dispatcher looks at the store this
	// often even when nobody kicks it.
	pollEvery = 5 * time.Second
	// scanLimit is how many pending items one pass looks at. Items are
	// ordered by id, so a target whose first item lies beyond it waits for
	// a later pass.
	scanLimit = 10000
	// maxLastError bounds the error text kept on an item.
	maxLastError = 200
)

// DispatcherConfig configures a Dispatcher. Zero fields take the defaults.
type DispatcherConfig struct {
	Store Store
	// Messengers deliver, by platform name.
	Messengers map[string]Messenger
	// Limits are the rate limits by platform. A platform missing from the
	// map gets DefaultLimits; one listed with an empty list gets none.
	Limits map[string][]Limit
	// Workers is the number of concurrent deliveries (default 8).
	Workers int
	// MaxAttempts is the number of tries before an item is dead-lettered
	// (default 8).
	MaxAttempts int
	// MinBackoff and MaxBackoff bound the wait before a retry (default 1s
	// and 5m). The wait grows exponentially with full jitter; the
	// platform's reset hint wins if it is longer.
	MinBackoff, MaxBackoff time.Duration
	Logger                 *slog.Logger
	// Observer, if set, is told about deliveries, retries and dead letters.
	Observer DeliveryObserver
	// Now is the clock of the rate limits: the service's clock, so that a
	// fake clock paces a burst in fake time. Nil means time.Now.
	Now func() time.Time
	// MakeFile makes the bytes of the files that items carry
	// (OutboxItem.FileID) at their first delivery. Nil sends every such
	// item's text (its link) instead.
	MakeFile FileMaker
	// Prepare, when not nil, queues what the service deferred past its
	// events' commits (flows.Service.FlushGroupRedraws: the older group
	// warnings a resolution changed): Run calls it before each look at
	// the store, Drain and Settle first, so that what they deliver is
	// what the events drew. Its error is logged and does not stop them.
	Prepare func(ctx context.Context) error
}

// DeliveryObserver is a metrics hook of the dispatcher. Its methods must be
// quick and safe for concurrent use.
type DeliveryObserver interface {
	// Delivered counts a delivery; latency is the time the messenger took.
	Delivered(platform, op string, latency time.Duration)
	Retried(platform string)
	DeadLettered(platform string)
}

// Dispatcher delivers the outbox: the messages and card updates that flows
// write to the store in the same transaction as the state change that caused
// them.
//
// Items of one target (Target.String) are delivered one at a time, in id
// order: an item does not start while an earlier one of its target is
// pending, in flight or waiting out a backoff. Items of different targets go
// out concurrently, within the rate limits. An item the limits hold back
// waits, in memory and without a worker, until they have room in the time
// of DispatcherConfig.Now: a burst is spread, never dropped.
//
// Nothing accepted is lost: an item leaves the store only in the transaction
// that records its successful delivery, or when it is dead-lettered. A crash
// between a delivery and that transaction delivers the item again after the
// restart, with the same idempotency key (OutboxItem.IdemKey), which the
// platforms that support one (Feishu uuid, WeCom enable_duplicate_check) use
// to drop the duplicate.
type Dispatcher struct {
	cfg     DispatcherConfig
	log     *slog.Logger
	limiter *Limiter
	kick    chan struct{}

	mu sync.Mutex
	// busy counts the deliveries in flight, by Run and Drain together.
	busy int
	// claimed holds the targets with a delivery in flight.
	claimed map[string]bool
	// inflight holds the ids of the items in flight.
	inflight map[uint64]bool
	// runs counts the Run loops going: Settle leaves the deliveries to
	// them.
	runs int
	// waiters are the Settle calls waiting for their items.
	waiters []*settleWaiter
	// hold keeps items back, in memory, after their bookkeeping failed, so
	// that a failing store does not cause a burst of redeliveries.
	hold map[uint64]time.Time
	// paced keeps items back, in memory, until the rate limits have room
	// for them, in the time of cfg.Now. A burst is spread, never dropped.
	paced map[uint64]time.Time
	// changed is closed and replaced whenever a delivery finishes.
	changed chan struct{}
	// cache holds the pending items as last read from the store, in id
	// order. What is pending changes only by Enqueue (announced by Kick,
	// which marks the cache grown), by this dispatcher's retries (which
	// mark it stale), and by its finished deliveries (dropped through
	// finished). So one read serves a whole backlog, instead of one read
	// of every pending item for each delivery. An enqueued item has a
	// higher id than every item read before (or is an update merged into
	// one of them), so a grown cache reads only the items after its last:
	// a busy service does not read its whole backlog at every commit.
	cache    []OutboxItem
	loaded   bool
	stale    bool // read every pending item again
	grown    bool // read the items after the cache's last
	full     bool // the last read hit scanLimit
	finished map[uint64]bool
}

// NewDispatcher returns a dispatcher. It does nothing until Run or Drain is
// called.
func NewDispatcher(cfg DispatcherConfig) *Dispatcher {
	cfg = withDefaults(cfg)
	return &Dispatcher{
		cfg:      cfg,
		log:      cfg.Logger.With("component", "outbox"),
		limiter:  NewLimiter(cfg.Limits, cfg.Now),
		kick:     make(chan struct{}, 1),
		claimed:  make(map[string]bool),
		inflight: make(map[uint64]bool),
		hold:     make(map[uint64]time.Time),
		paced:    make(map[uint64]time.Time),
		changed:  make(chan struct{}),
	}
}

// invalidate makes the next claim read the store again.
func (d *Dispatcher) invalidate() {
	d.mu.Lock()
	d.stale = true
	d.mu.Unlock()
}

// withDefaults fills the zero fields of cfg.
func withDefaults(cfg DispatcherConfig) DispatcherConfig {
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = DefaultMinBackoff
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	cfg.MaxBackoff = max(cfg.MaxBackoff, cfg.MinBackoff)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg
}

// Kick tells the dispatcher that items were committed. It never blocks.
func (d *Dispatcher) Kick() {
	d.mu.Lock()
	d.grown = true
	d.mu.Unlock()
	d.wake()
}

// wake rouses Run without a new read of the store.
func (d *Dispatcher) wake() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// Run delivers the outbox until ctx ends, then waits for the deliveries it
// started and returns nil. It looks at the store when kicked, when a retry
// falls due, and every few seconds as a safety net.
func (d *Dispatcher) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	d.mu.Lock()
	d.runs++
	d.mu.Unlock()
	defer d.stopRun()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		d.runPrepare(ctx)
		next := d.startDue(ctx, &wg)
		timer.Reset(time.Until(next))
		select {
		case <-ctx.Done():
			return nil
		case <-d.kick:
		case <-timer.C:
			// The safety net also catches items that someone queued
			// without a Kick.
			d.invalidate()
		}
	}
}

// runPrepare calls cfg.Prepare, when set, and logs its error.
func (d *Dispatcher) runPrepare(ctx context.Context) {
	if d.cfg.Prepare == nil {
		return
	}
	if err := d.cfg.Prepare(ctx); err != nil && ctx.Err() == nil {
		d.log.Error("prepare the outbox", slog.Any("error", err))
	}
}

// startDue starts the deliveries that are due, and returns when to look
// again.
func (d *Dispatcher) startDue(ctx context.Context, wg *sync.WaitGroup) time.Time {
	p, err := d.claim(ctx)
	if err != nil && ctx.Err() == nil {
		d.log.Error("read pending items", slog.Any("error", err))
	}
	for _, it := range p.batch {
		wg.Go(func() { _ = d.deliver(ctx, it) })
	}
	if poll := time.Now().Add(pollEvery); p.next.IsZero() || poll.Before(p.next) {
		return poll
	}
	return p.next
}

// Drain delivers every item that is due now, with the same order, limits
// and retry rules as Run, and returns once no due item is left: the items
// waiting out a backoff stay for later. It also waits for the deliveries
// that Run has in flight. It may run alongside Run; an item is never
// delivered by both. It returns ctx's error, or the first store error.
func (d *Dispatcher) Drain(ctx context.Context) error {
	var (
		wg    sync.WaitGroup
		first firstError
	)
	defer wg.Wait()
	d.runPrepare(ctx)
	d.invalidate()
	for {
		p, err := d.claim(ctx)
		if err != nil {
			return err
		}
		for _, it := range p.batch {
			wg.Go(func() { first.set(d.deliver(ctx, it)) })
		}
		switch {
		case len(p.batch) > 0:
			continue
		case p.idle:
			wg.Wait()
			return first.get()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.changed:
		}
	}
}

// errStopped is what Settle returns when Run stops before its items went
// out.
var errStopped = errors.New("outbox: the dispatcher stopped")

// stopRun ends a Run loop; when it was the last, the Settle calls still
// waiting get errStopped.
func (d *Dispatcher) stopRun() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.runs--
	if d.runs > 0 {
		return
	}
	for _, w := range d.waiters {
		w.err = errStopped
		close(w.done)
	}
	d.waiters = nil
}

// settleWaiter is a Settle call waiting until no item up to mark is left
// to deliver now.
type settleWaiter struct {
	// mark is the highest id pending at the first read of the store after
	// the call began; marked tells that it is set.
	mark   uint64
	marked bool
	done   chan struct{}
	err    error
}

// Settle returns once the items queued before it was called are no longer
// due: each is delivered, dead-lettered, or waits out a backoff or the rate
// limits, as with Drain. Unlike Drain, it does not wait for the items queued
// after it began, nor for the whole outbox to fall quiet: callers that
// settle their own events under a steady load (the playground API) wait for
// their answers only. While Run goes, Run delivers and Settle only waits,
// woken once when its items are out (so that many callers cost one look at
// the pending items per change, not one each); without Run, Settle is
// Drain. It returns ctx's error, a store error met reading the pending
// items, or an error when Run stops first.
func (d *Dispatcher) Settle(ctx context.Context) error {
	w := &settleWaiter{done: make(chan struct{})}
	d.mu.Lock()
	if d.runs == 0 {
		d.mu.Unlock()
		return d.Drain(ctx)
	}
	d.mu.Unlock()
	// What the caller's events deferred is queued before the waiter's
	// mark is read.
	d.runPrepare(ctx)
	d.mu.Lock()
	d.waiters = append(d.waiters, w)
	d.grown = true
	d.mu.Unlock()
	d.wake()
	select {
	case <-w.done:
		return w.err
	case <-ctx.Done():
		d.mu.Lock()
		d.waiters = slices.DeleteFunc(d.waiters, func(x *settleWaiter) bool { return x == w })
		d.mu.Unlock()
		return ctx.Err()
	}
}

// settleWaiters releases the Settle calls none of whose items is left to
// deliver now: none in flight, none due and not yet delivered. The cache is
// fresh enough for a marked waiter even when stale: what was queued since
// has higher ids, except an update merged into a pending item, which is in
// the cache already. d.mu is held.
func (d *Dispatcher) settleWaiters(now time.Time) {
	if len(d.waiters) == 0 {
		return
	}
	if !d.stale && !d.grown && d.loaded {
		var last uint64
		if n := len(d.cache); n > 0 {
			last = d.cache[n-1].ID
		}
		for _, w := range d.waiters {
			if !w.marked {
				w.mark, w.marked = last, true
			}
		}
	}
	low := uint64(math.MaxUint64) // the lowest id still to deliver now
	for id := range d.inflight {
		low = min(low, id)
	}
	limitsNow := d.cfg.Now()
	for _, it := range d.cache {
		if it.ID >= low {
			break
		}
		if d.finished[it.ID] || d.dueAt(it).After(now) {
			continue
		}
		if until, ok := d.paced[it.ID]; ok && until.After(limitsNow) {
			continue
		}
		low = it.ID
		break
	}
	d.waiters = slices.DeleteFunc(d.waiters, func(w *settleWaiter) bool {
		if w.marked && w.mark < low {
			close(w.done)
			return true
		}
		return false
	})
}

// failWaiters ends the waiting Settle calls with err. d.mu is held.
func (d *Dispatcher) failWaiters(err error) {
	for _, w := range d.waiters {
		w.err = err
		close(w.done)
	}
	d.waiters = nil
}

// firstError keeps the first non-nil error it is given.
type firstError struct {
	mu  sync.Mutex
	err error
}

func (f *firstError) set(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil {
		f.err = err
	}
}

func (f *firstError) get() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// pass is the outcome of one look at the pending items.
type pass struct {
	// batch holds the items claimed for delivery.
	batch []OutboxItem
	// next is when the first waiting item falls due; zero for none.
	next time.Time
	// idle reports that no delivery is in flight at all.
	idle bool
	// changed is closed when a delivery finishes.
	changed <-chan struct{}
}

// claim claims the pending items that may start now: the first item of
// each target that has none in flight, if it is due, up to the free
// workers. The list is read from the store, under the lock, when it is
// stale or used up; a finished item is never claimed again from it.
func (d *Dispatcher) claim(ctx context.Context) (pass, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	p := pass{idle: d.busy == 0, changed: d.changed}
	now := time.Now()
	defer d.settleWaiters(now)
	free := d.cfg.Workers - d.busy
	if free <= 0 && !d.unmarked() {
		return p, nil
	}
	if err := d.refresh(ctx); err != nil {
		d.failWaiters(err)
		return p, err
	}
	if free <= 0 {
		return p, nil
	}
	p.batch, p.next = d.pick(d.cache, free, now)
	return p, nil
}

// refresh brings the cache up to date with the store: every pending item
// when it is stale, the items after its last when it has grown. d.mu is
// held.
func (d *Dispatcher) refresh(ctx context.Context) error {
	switch {
	case d.stale || !d.loaded || (d.full && len(d.finished) >= len(d.cache)):
		items, err := d.pending(ctx, 0)
		if err != nil {
			return err
		}
		d.cache, d.loaded, d.stale, d.grown, d.full = items, true, false, false, len(items) >= scanLimit
		d.finished = make(map[uint64]bool)
	case d.grown && !d.full:
		var last uint64
		if n := len(d.cache); n > 0 {
			last = d.cache[n-1].ID
		}
		items, err := d.pending(ctx, last)
		if err != nil {
			return err
		}
		kept := make([]OutboxItem, 0, len(d.cache)+len(items))
		for _, it := range d.cache {
			if !d.finished[it.ID] {
				kept = append(kept, it)
			}
		}
		kept = append(kept, items...)
		d.cache, d.grown, d.full = kept, false, len(kept) >= scanLimit
		d.finished = make(map[uint64]bool)
	}
	return nil
}

// unmarked reports whether a Settle call waits for a fresh read of the
// pending items. d.mu is held.
func (d *Dispatcher) unmarked() bool {
	for _, w := range d.waiters {
		if !w.marked {
			return true
		}
	}
	return false
}

// finish drops an item that left the pending list from the cache.
func (d *Dispatcher) finish(it OutboxItem) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.finished != nil {
		d.finished[it.ID] = true
	}
}

// pending returns the pending items with ids after after, in id order.
func (d *Dispatcher) pending(ctx context.Context, after uint64) ([]OutboxItem, error) {
	var items []OutboxItem
	err := d.cfg.Store.View(ctx, func(tx Tx) error {
		var err error
		items, err = tx.PendingOutboxAfter(after, scanLimit)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: pending: %w", err)
	}
	sort.Slice(items, func(i, j int) bool { return items[i].ID < items[j].ID })
	return items, nil
}

// pick claims up to free items from the pending list; d.mu is held.
func (d *Dispatcher) pick(items []OutboxItem, free int, now time.Time) ([]OutboxItem, time.Time) {
	var (
		batch []OutboxItem
		next  time.Time
		seen  = make(map[string]bool)
	)
	for _, it := range items {
		key := it.Target.String()
		if seen[key] || d.finished[it.ID] {
			continue
		}
		seen[key] = true
		if d.claimed[key] {
			continue
		}
		if at := d.dueAt(it); at.After(now) {
			next = earlier(next, at)
			continue
		}
		if wait := d.pacedFor(it); wait > 0 {
			next = earlier(next, now.Add(wait))
			continue
		}
		if len(batch) == free {
			break
		}
		d.claimed[key] = true
		d.inflight[it.ID] = true
		d.busy++
		batch = append(batch, it)
	}
	d.forgetHolds(now)
	return batch, next
}

// dueAt returns when an item may next be tried; d.mu is held.
func (d *Dispatcher) dueAt(it OutboxItem) time.Time {
	return later(it.NextAt, d.hold[it.ID])
}

// pacedFor returns how long an item still waits for the rate limits;
// d.mu is held.
func (d *Dispatcher) pacedFor(it OutboxItem) time.Duration {
	until, ok := d.paced[it.ID]
	if !ok {
		return 0
	}
	if wait := until.Sub(d.cfg.Now()); wait > 0 {
		return wait
	}
	delete(d.paced, it.ID)
	return 0
}

// pace keeps an item back until the rate limits have room, wait from now
// in the limits' clock.
func (d *Dispatcher) pace(it OutboxItem, wait time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.paced[it.ID] = d.cfg.Now().Add(wait)
}

// forgetHolds drops the holds that have passed; d.mu is held.
func (d *Dispatcher) forgetHolds(now time.Time) {
	for id, until := range d.hold {
		if !until.After(now) {
			delete(d.hold, id)
		}
	}
}

// release ends the claim on an item's target and wakes whoever waits for a
// delivery to finish.
func (d *Dispatcher) release(it OutboxItem) {
	d.mu.Lock()
	delete(d.claimed, it.Target.String())
	delete(d.inflight, it.ID)
	d.busy--
	close(d.changed)
	d.changed = make(chan struct{})
	d.mu.Unlock()
	d.wake()
}

// holdBack keeps an item back in memory for one minimum backoff.
func (d *Dispatcher) holdBack(it OutboxItem) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.hold[it.ID] = time.Now().Add(d.cfg.MinBackoff)
}

// earlier returns the earlier of a and b, where the zero time means none.
func earlier(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// errNoMessenger is the dead-letter reason of an item for a platform that
// has no messenger.
var errNoMessenger = errors.New("no messenger for the platform")

// delivery is one try of an outbox item.
type delivery struct {
	item OutboxItem
	msg  OutMessage
	// card is the card as read before sending, for items that carry one.
	card *CardRecord
	// ref is the platform's message id: of the card to update, and of the
	// message sent once Send succeeded.
	ref string
	// file is the file of an item that carries one, with its bytes.
	file *OutFile
}

// deliver tries one claimed item and records the outcome. It returns an
// error only when the store failed, in which case the item is held back and
// tried again later.
func (d *Dispatcher) deliver(ctx context.Context, it OutboxItem) (err error) {
	defer d.release(it)
	defer func() {
		// A messenger's defect must not stop the outbox: the try counts
		// as failed, and the item is retried, then dead-lettered.
		if r := recover(); r != nil {
			err = d.failed(ctx, it, fmt.Errorf("panic in delivery: %v", r))
		}
	}()
	m, ok := d.cfg.Messengers[it.Target.Platform]
	if !ok {
		return d.failed(ctx, it, Permanent(fmt.Errorf("%w %q", errNoMessenger, it.Target.Platform)))
	}
	dv, err := d.prepare(ctx, it)
	if err == nil && it.FileID != 0 {
		if err = d.prepareFile(ctx, m, &dv); err != nil && ctx.Err() != nil {
			// The dispatcher is stopping: the try does not count.
			return nil
		}
	}
	var de *DeliveryError
	if errors.As(err, &de) {
		return d.failed(ctx, it, err)
	} else if err != nil {
		return d.storeFailed(ctx, it, err)
	}
	if dv.skip(m) {
		d.log.Debug("card update not sent: no message to update",
			"outbox_id", it.ID, "card_id", it.CardID, "platform", it.Target.Platform)
		return d.complete(ctx, dv)
	}
	n := 1
	if c, ok := m.(MessageCounter); ok && it.Op == OpSend && dv.file == nil {
		n = c.Messages(dv.msg)
	}
	if wait := d.limiter.TakeN(it.Target, n); wait > 0 {
		// The item waits its turn without holding a worker, so that a
		// burst to one member does not stall everyone else's deliveries.
		d.pace(it, wait)
		return nil
	}
	if tm, ok := m.(TxMessenger); ok {
		return d.deliverTx(ctx, tm, dv)
	}
	start := time.Now()
	if err := d.send(ctx, m, &dv); err != nil {
		if ctx.Err() != nil {
			// The dispatcher is stopping: the try does not count.
			return nil
		}
		return d.failed(ctx, it, err)
	}
	d.observeDelivered(it, time.Since(start))
	return d.complete(ctx, dv)
}

// prepare builds the message of an item, reading its card's current content.
// A missing card or a malformed item is a permanent error.
func (d *Dispatcher) prepare(ctx context.Context, it OutboxItem) (delivery, error) {
	dv := delivery{item: it, msg: OutMessage{Target: it.Target, Text: it.Text, CardID: it.CardID, IdemKey: it.IdemKey()}}
	switch {
	case it.Op != OpSend && it.Op != OpUpdate:
		return dv, Permanent(fmt.Errorf("unknown outbox op %q", it.Op))
	case it.CardID == 0 && it.Op == OpUpdate:
		return dv, Permanent(errors.New("card update without a card"))
	case it.FileID != 0 && (it.Op != OpSend || it.CardID != 0):
		return dv, Permanent(errors.New("a file with a card or an update"))
	case it.CardID == 0 && it.Text == "" && it.FileID == 0:
		return dv, Permanent(errors.New("empty message"))
	case it.CardID == 0:
		return dv, nil
	}
	rec, err := d.readCard(ctx, it.CardID)
	if err != nil {
		return dv, err
	}
	dv.card, dv.msg.Card, dv.ref = &rec, &rec.Card, rec.MessageRef
	return dv, nil
}

// readCard reads a card record. A missing card is a permanent error.
func (d *Dispatcher) readCard(ctx context.Context, id uint64) (CardRecord, error) {
	var rec CardRecord
	err := d.cfg.Store.View(ctx, func(tx Tx) error {
		var err error
		rec, err = tx.Card(id)
		return err
	})
	if ErrorCode(err) == ENOTFOUND {
		return rec, Permanent(fmt.Errorf("card %d not found", id))
	} else if err != nil {
		return rec, fmt.Errorf("outbox: read card: %w", err)
	}
	return rec, nil
}

// skip reports whether an update is complete without being sent: the card's
// own send was dead-lettered, so there is no message to update, or the
// platform cannot update cards in place.
func (dv delivery) skip(m Messenger) bool {
	if dv.item.Op != OpUpdate {
		return false
	}
	_, canUpdate := m.(CardUpdater)
	_, canRefresh := m.(CardRefresher)
	return dv.ref == "" || !canUpdate && !canRefresh
}

// send calls the messenger. It does no store I/O.
func (d *Dispatcher) send(ctx context.Context, m Messenger, dv *delivery) error {
	if dv.file != nil {
		msg := dv.msg
		msg.Text = ""
		ref, err := m.(FileSender).SendFile(ctx, msg, *dv.file)
		dv.ref = ref
		return err
	}
	if dv.item.Op == OpUpdate {
		if r, ok := m.(CardRefresher); ok {
			ref, err := r.RefreshCard(ctx, dv.ref, dv.msg)
			if err == nil && ref != "" {
				dv.ref = ref
			}
			return err
		}
		return m.(CardUpdater).UpdateCard(ctx, dv.ref, dv.msg)
	}
	ref, err := m.Send(ctx, dv.msg)
	dv.ref = ref
	return err
}

// complete records a finished delivery: it keeps the message id of a sent
// card and removes the item, in one transaction. An update whose card
// changed while it was sent stays queued, so that the latest content goes
// out too. The transaction runs even when ctx has just ended, because the
// delivery has happened. Deliveries that finish together share it
// (Store.Batch), and so its fsyncs.
func (d *Dispatcher) complete(ctx context.Context, dv delivery) error {
	var done bool
	err := d.cfg.Store.Batch(context.WithoutCancel(ctx), func(tx Tx) (err error) {
		done, err = completeTx(tx, dv)
		return err
	})
	if err == nil && done {
		d.finish(dv.item)
	}
	if err != nil {
		d.holdBack(dv.item)
		d.log.Error("record delivery", "outbox_id", dv.item.ID,
			"platform", dv.item.Target.Platform, slog.Any("error", err))
		return fmt.Errorf("outbox: record delivery: %w", err)
	}
	return nil
}

// deliverTx delivers an item through a TxMessenger and records the
// delivery, in one transaction shared with the deliveries that finish at
// the same moment.
func (d *Dispatcher) deliverTx(ctx context.Context, m TxMessenger, dv delivery) error {
	start := time.Now()
	var (
		done    bool
		sendErr error
	)
	err := d.cfg.Store.Batch(context.WithoutCancel(ctx), func(tx Tx) (err error) {
		run := dv // each run starts afresh: a shared transaction may run it again
		if run.item.Op == OpUpdate {
			sendErr = m.UpdateCardTx(tx, run.ref, run.msg)
		} else {
			run.ref, sendErr = m.SendTx(tx, run.msg)
		}
		if sendErr != nil {
			return sendErr
		}
		done, err = completeTx(tx, run)
		return err
	})
	if sendErr != nil {
		return d.failed(ctx, dv.item, sendErr)
	}
	if err != nil {
		d.holdBack(dv.item)
		d.log.Error("record delivery", "outbox_id", dv.item.ID,
			"platform", dv.item.Target.Platform, slog.Any("error", err))
		return fmt.Errorf("outbox: record delivery: %w", err)
	}
	d.observeDelivered(dv.item, time.Since(start))
	if done {
		d.finish(dv.item)
	}
	return nil
}

// completeTx is the body of complete's transaction. It reports whether the
// item left the pending list.
func completeTx(tx Tx, dv delivery) (bool, error) {
	if dv.card == nil {
		return true, tx.CompleteOutbox(dv.item.ID)
	}
	rec, err := tx.Card(dv.card.ID)
	if ErrorCode(err) == ENOTFOUND {
		return true, tx.CompleteOutbox(dv.item.ID)
	} else if err != nil {
		return false, err
	}
	if dv.item.Op == OpUpdate {
		if dv.ref != dv.card.MessageRef {
			// The card went out as a new message: later updates go to it.
			rec.MessageRef = dv.ref
			if err := tx.PutCard(rec); err != nil {
				return false, err
			}
		}
		if !reflect.DeepEqual(rec.Card, dv.card.Card) {
			return false, nil
		}
		return true, tx.CompleteOutbox(dv.item.ID)
	}
	rec.MessageRef = dv.ref
	if err := tx.PutCard(rec); err != nil {
		return false, err
	}
	return true, tx.CompleteOutbox(dv.item.ID)
}

// failed records a failed try: a temporary failure is retried after a
// backoff, and a permanent one, or the last try, is dead-lettered; or, for
// an item that carries a file, turned into its text (the file's link), once.
func (d *Dispatcher) failed(ctx context.Context, it OutboxItem, err error) error {
	temporary, hint := IsTemporary(err)
	it.Attempts++
	it.LastError = shortError(err)
	if (!temporary || it.Attempts >= d.cfg.MaxAttempts) && it.FileID != 0 && it.Text != "" {
		return d.fallBack(ctx, it, err)
	}
	if !temporary || it.Attempts >= d.cfg.MaxAttempts {
		return d.deadLetter(ctx, it, err)
	}
	return d.retry(ctx, it, hint, err)
}

// storeFailed handles a store error met before a try: the try does not
// count, and the item is held back for a while.
func (d *Dispatcher) storeFailed(ctx context.Context, it OutboxItem, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	d.holdBack(it)
	d.log.Error("prepare delivery", "outbox_id", it.ID, slog.Any("error", err))
	return err
}

// retry saves an item for another try after a backoff.
func (d *Dispatcher) retry(ctx context.Context, it OutboxItem, hint time.Duration, cause error) error {
	wait := d.backoff(it.Attempts, hint)
	it.NextAt = time.Now().Add(wait)
	err := d.cfg.Store.Update(context.WithoutCancel(ctx), func(tx Tx) error {
		return tx.PutOutboxItem(it)
	})
	if err != nil {
		d.holdBack(it)
		d.log.Error("save retry", "outbox_id", it.ID, slog.Any("error", err))
		return fmt.Errorf("outbox: save retry: %w", err)
	}
	d.invalidate()
	d.log.Info("delivery failed, will retry", "outbox_id", it.ID,
		"platform", it.Target.Platform, "op", it.Op, "attempts", it.Attempts,
		"retry_in", wait.String(), slog.Any("error", cause))
	if d.cfg.Observer != nil {
		d.cfg.Observer.Retried(it.Target.Platform)
	}
	return nil
}

// deadLetter gives up on an item.
func (d *Dispatcher) deadLetter(ctx context.Context, it OutboxItem, cause error) error {
	it.DeadAt = time.Now()
	err := d.cfg.Store.Update(context.WithoutCancel(ctx), func(tx Tx) error {
		return tx.DeadLetter(it)
	})
	if err != nil {
		d.holdBack(it)
		d.log.Error("save dead letter", "outbox_id", it.ID, slog.Any("error", err))
		return fmt.Errorf("outbox: dead letter: %w", err)
	}
	d.finish(it)
	d.log.Error("delivery dead-lettered", "outbox_id", it.ID,
		"platform", it.Target.Platform, "op", it.Op, "card_id", it.CardID,
		"attempts", it.Attempts, slog.Any("error", cause))
	if d.cfg.Observer != nil {
		d.cfg.Observer.DeadLettered(it.Target.Platform)
	}
	return nil
}

// observeDelivered tells the observer about a delivery.
func (d *Dispatcher) observeDelivered(it OutboxItem, latency time.Duration) {
	if d.cfg.Observer != nil {
		d.cfg.Observer.Delivered(it.Target.Platform, it.Op, latency)
	}
}

// backoff returns the wait before try n+1 after n failed ones: a random
// duration up to MinBackoff·2^(n-1), capped at MaxBackoff (full jitter), or
// the platform's hint if that is longer.
func (d *Dispatcher) backoff(n int, hint time.Duration) time.Duration {
	ceiling := d.cfg.MinBackoff
	for i := 1; i < n && ceiling < d.cfg.MaxBackoff; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, d.cfg.MaxBackoff)
	wait := rand.N(ceiling + 1)
	return max(wait, hint)
}

// shortError returns an error's text, cut to a bounded length, to keep on
// the item. Messengers put no message text or secrets in their errors.
func shortError(err error) string {
	s := err.Error()
	if len(s) <= maxLastError {
		return s
	}
	cut := maxLastError
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
