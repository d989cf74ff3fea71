package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/loopbot/loopbot/bot"
	"go.etcd.io/bbolt"
)

// maxBatch bounds how many calls share one transaction, so that a burst of
// events does not make one long transaction that everyone waits on.
const maxBatch = 256

// batchBudget bounds how long the calls of one shared transaction run: once
// they have run this long, the calls not yet run wait for the next
// transaction, first in line. So a burst of heavy events (answers that
// each redraw a group warning) does not hold the writer for 256 of them:
// issue 7 asks that no write transaction hold it for more than about
// 50 ms, and the commit's fsyncs come on top.
const batchBudget = 20 * time.Millisecond

// errSolo tells a batched call that it failed in company and runs again
// alone.
var errSolo = errors.New("store: batch call failed, run it alone")

// batchCall is one fn waiting for a shared transaction.
type batchCall struct {
	fn   func(*tx) error
	done chan error
}

// batcher is the group-commit queue of a DB: calls that arrive while a
// transaction commits wait together and share the next one, so that they
// share its fsyncs. A call that arrives when the writer is idle commits at
// once, with no delay, unlike bbolt's DB.Batch, which waits up to
// MaxBatchDelay for company.
type batcher struct {
	mu      sync.Mutex
	pending []*batchCall
	running bool
	// taken counts the calls of the transaction being committed.
	taken int
}

// Batch runs fn in a read-write transaction that it may share with other
// Batch calls made at the same moment: those that run in it (as many as
// fit in batchBudget and maxBatch; the others go first into the next one)
// commit together, with one set of fsyncs. When fn returns an error, the
// shared transaction rolls back and the others run again without it; then
// fn runs once more, alone, and its error comes back as Update's would. So fn may run more than once
// and must have no effect outside the transaction (see bot.Store.Batch).
// The calls of one transaction run one after the other, in arrival order,
// and each sees the writes of those before it.
func (d *DB) Batch(ctx context.Context, fn func(bot.Tx) error) error {
	return d.runBatch(ctx, func(t *tx) error { return fn(t) })
}

// runBatch is Batch over the store's own transaction type.
func (d *DB) runBatch(ctx context.Context, fn func(*tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c := &batchCall{fn: fn, done: make(chan error, 1)}
	b := &d.batch
	b.mu.Lock()
	b.pending = append(b.pending, c)
	if !b.running {
		b.running = true
		go d.drainBatches()
	}
	b.mu.Unlock()
	err := <-c.done
	if errors.Is(err, errSolo) {
		return d.run(context.WithoutCancel(ctx), true, fn)
	}
	return err
}

// drainBatches commits the pending calls, up to maxBatch per transaction,
// until none are left.
func (d *DB) drainBatches() {
	b := &d.batch
	for {
		b.mu.Lock()
		n := min(len(b.pending), maxBatch)
		b.taken = n
		if n == 0 {
			b.running = false
			b.mu.Unlock()
			return
		}
		calls := b.pending[:n:n]
		b.pending = b.pending[n:]
		b.mu.Unlock()
		if rest := d.commitBatch(calls); len(rest) > 0 {
			b.mu.Lock()
			b.pending = append(rest, b.pending...)
			b.taken = 0
			b.mu.Unlock()
		}
	}
}

// commitBatch runs calls in one transaction, in order, until they have
// run for batchBudget, and returns those it did not run, for the next one.
// A call that fails (or panics) is taken out and told to run alone, and the
// rest run again, as bbolt's DB.Batch does.
func (d *DB) commitBatch(calls []*batchCall) (rest []*batchCall) {
	for len(calls) > 0 {
		failed := -1
		var began, worked time.Time
		ran := len(calls)
		err := d.guardedUpdate(func(btx *bbolt.Tx) error {
			began = time.Now()
			ran = len(calls)
			t := &tx{btx: btx, now: d.now, memos: d.memos}
			for i, c := range calls {
				if err := safeCall(c.fn, t); err != nil {
					failed = i
					return err
				}
				if i+1 < len(calls) && time.Since(began) >= batchBudget {
					ran = i + 1
					break
				}
			}
			err := t.bumpVersion()
			worked = time.Now()
			return err
		})
		d.observeSince(began, worked)
		if d.batchObserve != nil && failed < 0 && !began.IsZero() {
			d.batchObserve(ran, worked.Sub(began), time.Since(began))
		}
		if failed >= 0 {
			calls[failed].done <- errSolo
			calls = append(calls[:failed:failed], calls[failed+1:]...)
			continue
		}
		if err != nil && !errors.Is(err, ErrDamaged) {
			err = fmt.Errorf("store: transaction: %w", err)
		}
		for _, c := range calls[:ran] {
			c.done <- err
		}
		return calls[ran:]
	}
	return nil
}

// guardedUpdate is bbolt's Update, where a fault on a damaged file becomes
// an error (see guard) instead of crashing the goroutine that commits for
// everyone.
func (d *DB) guardedUpdate(fn func(*bbolt.Tx) error) (err error) {
	defer guard(d.path, &err)()
	return d.bolt.Update(fn)
}

// safeCall runs fn, turning a panic into an error, so that one call's panic
// does not take the others' transaction down with it; the call then runs
// alone, and fails there as Update would.
func safeCall(fn func(*tx) error, t *tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("store: batch call panicked: %v", p)
		}
	}()
	return fn(t)
}
