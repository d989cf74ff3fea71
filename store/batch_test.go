package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
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
	waitBatched(db, n)
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

// waitBatched waits until n calls are queued or taken into the transaction
// that waits for the writer.
func waitBatched(db *DB, n int) {
	for {
		db.batch.mu.Lock()
		in := len(db.batch.pending) + db.batch.taken
		db.batch.mu.Unlock()
		if in == n {
			return
		}
		runtime.Gosched()
	}
}

// TestObserveBatch has calls that sleep share a group commit: ObserveBatch
// hears of each commit, with the calls it committed, their run at least
// their sleeps and the time held at least their run; a plain Update is not
// a group commit. ObserveWrite hears of every write transaction, with its
// commit apart from its work: a sleep in the work is not part of the
// commit, and a transaction that rolls back has none.
func TestObserveBatch(t *testing.T) {
	type seen struct {
		calls      int
		work, held time.Duration
	}
	type write struct{ held, commit time.Duration }
	var (
		mu   sync.Mutex
		got  []seen
		held []write
	)
	db, err := Open(filepath.Join(t.TempDir(), "loopbot.db"), Options{
		Now: func() time.Time { return t0 },
		ObserveWrite: func(h, c time.Duration) {
			mu.Lock()
			held = append(held, write{h, c})
			mu.Unlock()
		},
		ObserveBatch: func(calls int, work, h time.Duration) {
			mu.Lock()
			got = append(got, seen{calls, work, h})
			mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	const n, each = 3, 2 * time.Millisecond
	if err := db.Update(ctx, func(tx bot.Tx) error {
		time.Sleep(each)
		return tx.PutMeta("plain", []byte("v"))
	}); err != nil {
		t.Fatal(err)
	}
	failed := errors.New("no")
	if err := db.Update(ctx, func(tx bot.Tx) error { return failed }); !errors.Is(err, failed) {
		t.Fatalf("Update = %v, want its fn's error", err)
	}
	mu.Lock()
	if len(held) != 2 {
		t.Fatalf("ObserveWrite heard %+v, want the two Updates", held)
	}
	if w := held[0]; w.held < each || w.commit <= 0 || w.commit > w.held-each {
		t.Errorf("committed Update: held %v, commit %v; want held >= %v and a commit > 0 without the work's sleep", w.held, w.commit, each)
	}
	if w := held[1]; w.commit != 0 {
		t.Errorf("rolled back Update: commit %v, want 0", w.commit)
	}
	held = nil
	mu.Unlock()
	release := holdWriter(db)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			err := db.Batch(ctx, func(tx bot.Tx) error {
				time.Sleep(each)
				return tx.PutMeta(fmt.Sprintf("k%d", i), []byte("v"))
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	waitBatched(db, n)
	release()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	// The first call may have been taken alone, before the others queued.
	calls := 0
	for _, g := range got {
		calls += g.calls
		if g.work < time.Duration(g.calls)*each || g.held < g.work {
			t.Errorf("group commit of %d calls: work %v, held %v; want work >= %v and held >= work",
				g.calls, g.work, g.held, time.Duration(g.calls)*each)
		}
	}
	if calls != n || len(got) > 2 {
		t.Fatalf("ObserveBatch heard %+v, want the %d calls in one or two group commits", got, n)
	}
	// The first is holdWriter's Update.
	if len(held) != 1+len(got) {
		t.Fatalf("ObserveWrite heard %d transactions, want holdWriter's and the %d group commits", len(held), len(got))
	}
	for i, w := range held[1:] {
		if w.commit <= 0 || w.commit > got[i].held-got[i].work {
			t.Errorf("group commit %d: commit %v; want > 0 and at most held %v − work %v", i, w.commit, got[i].held, got[i].work)
		}
	}
}
