package store

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"go.etcd.io/bbolt"
)

// TestBatchSharesCommitsAndIsolatesFailures holds the writer while 20 calls
// queue, one of which fails. The 19 others commit in far fewer
// transactions than calls, the failing call's error comes back to it alone,
// and none of its writes stay.
func TestBatchSharesCommitsAndIsolatesFailures(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	const n = 20
	const bad = 7
	release := holdWriter(db)

	var (
		mu    sync.Mutex
		txids = map[int]bool{} // the transactions the good calls committed in
		wg    sync.WaitGroup
		errs  = make([]error, n)
	)
	queued := make(chan struct{}, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			queued <- struct{}{}
			errs[i] = db.Batch(ctx, func(btx bot.Tx) error {
				if err := btx.PutMeta(fmt.Sprintf("k%02d", i), []byte("v")); err != nil {
					return err
				}
				if i == bad {
					return bot.Errorf(bot.EINVALID, "call %d is bad", i)
				}
				mu.Lock()
				txids[int(btx.(*tx).btx.ID())] = true
				mu.Unlock()
				return nil
			})
		}()
	}
	for range n {
		<-queued
	}
	// Wait until every call is queued or taken into the transaction that
	// waits for the writer.
	for {
		db.batch.mu.Lock()
		in := len(db.batch.pending) + db.batch.taken
		db.batch.mu.Unlock()
		if in == n {
			break
		}
		runtime.Gosched()
	}
	release()
	wg.Wait()

	for i, err := range errs {
		if i == bad {
			if bot.ErrorCode(err) != bot.EINVALID {
				t.Errorf("bad call: err = %v, want its own EINVALID", err)
			}
			continue
		}
		if err != nil {
			t.Errorf("call %d failed with the bad one: %v", i, err)
		}
	}
	view(t, db, func(btx bot.Tx) error {
		for i := range n {
			_, err := btx.Meta(fmt.Sprintf("k%02d", i))
			if err != nil && bot.ErrorCode(err) != bot.ENOTFOUND {
				return err
			}
			if (err == nil) == (i == bad) {
				t.Errorf("k%02d present = %v after the batch; want only the bad call's write missing", i, err == nil)
			}
		}
		return nil
	})
	// Each good call reports the transaction of its last run; a call run
	// again after the bad one left reports the retry's.
	if len(txids) >= n-1 {
		t.Errorf("%d good calls committed in %d transactions; want them to share", n-1, len(txids))
	}
}

// TestBatchPanicRunsAlone checks that a call that panics does not fail the
// calls it shares a transaction with, and that it then fails alone.
func TestBatchPanicRunsAlone(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	var calls []*batchCall
	results := make([]chan error, 3)
	for i := range 3 {
		results[i] = make(chan error, 1)
		c := &batchCall{done: results[i], fn: func(t *tx) error {
			if i == 1 {
				panic("boom")
			}
			return t.PutMeta(fmt.Sprintf("p%d", i), []byte("v"))
		}}
		calls = append(calls, c)
	}
	db.commitBatch(calls)
	for i, ch := range results {
		err := <-ch
		if i == 1 && !errors.Is(err, errSolo) || i != 1 && err != nil {
			t.Errorf("call %d: %v", i, err)
		}
	}
	// Alone, it fails as Update would (store.guard turns a panic in a
	// transaction into an error), and no one else's call is lost.
	if err := db.Batch(ctx, func(bot.Tx) error { panic("boom") }); err == nil {
		t.Error("the panicking call, run alone, returned no error")
	}
}

// TestBatchAfterClose: a Batch after Close fails instead of hanging.
func TestBatchAfterClose(t *testing.T) {
	db, err := Open(t.TempDir()+"/x.db", Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	err = db.Batch(context.Background(), func(bot.Tx) error { return nil })
	if !errors.Is(err, bbolt.ErrDatabaseNotOpen) {
		t.Errorf("Batch after Close: %v, want ErrDatabaseNotOpen", err)
	}
}

// TestBatchBudgetSplitsSlowCalls queues 10 calls of 8 ms each while the
// writer is held. They no longer share one 80 ms transaction: once the
// calls of a transaction have run batchBudget (20 ms), the rest wait for
// the next, so at most 3 share one. The rest go first in line: a call that
// arrives while the second transaction runs (call 10) runs after all of
// them. Every call commits once.
func TestBatchBudgetSplitsSlowCalls(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	const n = 10
	const each = 8 * time.Millisecond
	release := holdWriter(db)

	var (
		mu    sync.Mutex
		ran   []int           // call numbers, in the order they ran
		perTx = map[int]int{} // transaction id → calls committed in it
		wg    sync.WaitGroup
		errs  = make([]error, n+1)
		late  sync.Once
	)
	waitQueued := func(want int) {
		for {
			db.batch.mu.Lock()
			in := len(db.batch.pending) + db.batch.taken
			db.batch.mu.Unlock()
			if in >= want {
				return
			}
			runtime.Gosched()
		}
	}
	var call func(i int)
	call = func(i int) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.Batch(ctx, func(btx bot.Tx) error {
				if i == 1 {
					// The second transaction is running: call n
					// arrives now, behind the calls it will leave.
					late.Do(func() {
						db.batch.mu.Lock()
						before := len(db.batch.pending)
						db.batch.mu.Unlock()
						call(n)
						for {
							db.batch.mu.Lock()
							in := len(db.batch.pending)
							db.batch.mu.Unlock()
							if in > before {
								break
							}
							runtime.Gosched()
						}
					})
				}
				time.Sleep(each)
				mu.Lock()
				ran = append(ran, i)
				perTx[int(btx.(*tx).btx.ID())]++
				mu.Unlock()
				return btx.PutMeta(fmt.Sprintf("k%02d", i), []byte("v"))
			})
		}()
	}
	for i := range n {
		call(i)
		waitQueued(i + 1) // one at a time, so that the queue's order is 0, 1, 2…
	}
	release()
	wg.Wait()

	for i, err := range errs {
		if err != nil {
			t.Errorf("call %d: %v", i, err)
		}
	}
	for id, k := range perTx {
		if limit := int(batchBudget/each) + 1; k > limit {
			t.Errorf("transaction %d ran %d calls of %v; want at most %d (a budget of %v)", id, k, each, limit, batchBudget)
		}
	}
	if want := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}; !slices.Equal(ran, want) {
		t.Errorf("calls ran in the order %v; want %v: each once, those left by a transaction before later ones", ran, want)
	}
	view(t, db, func(btx bot.Tx) error {
		for i := range n + 1 {
			if _, err := btx.Meta(fmt.Sprintf("k%02d", i)); err != nil {
				t.Errorf("k%02d: %v", i, err)
			}
		}
		return nil
	})
}

// holdWriter starts a write transaction that holds db's writer until the
// returned func is called, and returns once it holds it.
func holdWriter(db *DB) (release func()) {
	done := make(chan struct{})
	holding := make(chan struct{})
	go func() {
		_ = db.Update(context.Background(), func(bot.Tx) error {
			close(holding)
			<-done
			return nil
		})
	}()
	<-holding
	return func() { close(done) }
}
