// Package store keeps loopbot's whole state in one bbolt file. It implements
// bot.Store and bot.ChatLog.
//
// bucket.go lists every bucket and meta key, migrate.go the schema versions,
// and there is one file per entity (task.go, outbox.go, …) holding the
// methods of the transaction type that read and write it.
package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/loopbot/loopbot/bot"
	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// initialMmapSize is mapped up front so that long read transactions (exports,
// backups) do not block writers while bbolt grows the mapping: 4 GiB of
// address space on a 64-bit machine, 256 MiB on Windows, where bbolt makes
// the file as long as its map, and on a 32-bit machine.
var initialMmapSize = func() int64 {
	if runtime.GOOS == "windows" || strconv.IntSize == 32 {
		return 256 << 20
	}
	return 4 << 30
}()

// mmapFor returns the memory map to open a file of size bytes with: the
// file and as much again, initialMmapSize at least (1 GiB at most on a
// 32-bit machine). bbolt grows the map, when a commit needs pages past
// its end, under a lock that waits for every open read transaction and
// holds up every new one, and a new map starts with none of its pages
// mapped, so that every page read after it faults once (a map that starts
// at 256 MiB is made anew at 512 MiB, 1 GiB and every GiB after: twice in
// the 10,000-person month of BenchmarkMonth). With this room, a file that grows
// while a long read (an export, a hot backup) is open, as it does since the
// pages freed meanwhile cannot be reused before that read ends, does not
// stall the writers behind it either. The map is address space: only the
// pages read are resident.
func mmapFor(size int64) int {
	n := max(2*size, initialMmapSize)
	if strconv.IntSize == 32 {
		n = min(n, 1<<30)
	}
	return int(n)
}

// defaultTimeout bounds the wait for the file lock when Options leaves it 0.
const defaultTimeout = time.Second

// ErrInUse is wrapped by Open when another process holds the file's lock.
var ErrInUse = errors.New("in use by another loopbot process")

// ErrReadOnly is wrapped by the writing methods of a transaction begun with
// View.
var ErrReadOnly = errors.New("write in a read-only transaction")

// Options configure Open.
type Options struct {
	// Now tells the time for the timestamps the store fills in (an outbox
	// item's CreatedAt, an audit event's or chat message's Time, an event
	// mark, a dead letter's DeadAt). Nil means time.Now.
	Now func() time.Time
	// Timeout bounds the wait for the file lock. Zero means one second.
	Timeout time.Duration
	// ObserveWrite, if set, is told how long each write transaction held
	// the writer's lock: from its start, once the lock was taken, to the end
	// of its commit (benchmarks watch the longest), and how much of that
	// was bbolt's commit after the transaction's own work (Tx.Commit:
	// writing the dirty pages, then fdatasync, the meta page, fdatasync),
	// where a slow disk's flush shows.
	ObserveWrite func(held, commit time.Duration)
	// ObserveBatch, if set, is told of each group commit (Batch) as it
	// ends: how many calls it committed, how long they ran, and how long
	// the transaction held the writer's lock, their run and the commit
	// (page writes, fsyncs) included (benchmarks tell the two apart).
	ObserveBatch func(calls int, work, held time.Duration)
}

// DB is the bbolt store. It implements bot.Store and bot.ChatLog, and is
// safe for concurrent use.
type DB struct {
	bolt         *bbolt.DB
	path         string
	now          func() time.Time
	closing      chan struct{} // closed when Close begins: backups stop
	once         sync.Once
	batch        batcher
	observe      func(held, commit time.Duration)
	batchObserve func(calls int, work, held time.Duration)
	memos        *memos
}

var (
	_ bot.Store   = (*DB)(nil)
	_ bot.ChatLog = (*DB)(nil)
)

// BoltOptions returns the bbolt options the store opens its file with: the
// hashmap freelist, an initial mmap of initialMmapSize and the given lock
// timeout.
// Benchmarks use it so that their baseline runs under the same settings.
//
// The freelist is written at each commit (bbolt's default), although
// NoFreelistSync (etcd's choice) would save a page or more a commit: without
// it in the file, bbolt rebuilds the list at the first write by walking
// every page, and on a file with a damaged page that walk panics while
// bbolt holds its writer lock (every later write then waits forever) or
// panics in a goroutine of its own (the process dies). Written, the list
// leaves a damaged page to the reads that reach it, which answer
// ErrDamaged (TestDamagedStoreAnswers500).
func BoltOptions(timeout time.Duration) *bbolt.Options {
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	return &bbolt.Options{
		Timeout:         timeout,
		FreelistType:    bbolt.FreelistMapType,
		InitialMmapSize: int(initialMmapSize),
	}
}

// Open opens or creates the store file at path and runs the migrations it
// lacks. It fails, wrapping ErrInUse, when another process holds the file,
// refuses a file whose schema is newer than this code knows, and refuses,
// wrapping ErrDamaged and naming path, a file that is shorter than its last
// commit (truncated) or whose pages the migrations cannot read.
func Open(path string, opts Options) (db *DB, err error) {
	if err := checkSize(path); err != nil {
		return nil, err
	}
	var b *bbolt.DB
	defer func() {
		if err != nil && b != nil {
			b.Close()
		}
	}()
	defer guard(path, &err)()
	bo := BoltOptions(opts.Timeout)
	if fi, err := os.Stat(path); err == nil {
		bo.InitialMmapSize = mmapFor(fi.Size())
	}
	b, err = bbolt.Open(path, 0o600, bo)
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("store: %s is %w", path, ErrInUse)
	} else if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := migrate(b, path, migrations()); err != nil {
		return nil, err
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &DB{bolt: b, path: path, now: now, closing: make(chan struct{}), observe: opts.ObserveWrite, batchObserve: opts.ObserveBatch,
		memos: newMemos()}, nil
}

// Path returns the file the store was opened from.
func (d *DB) Path() string { return d.path }

// View runs fn in a read-only transaction, whose writing methods fail with
// ErrReadOnly. It returns ctx.Err() without running fn when ctx is already
// done, and fn's error unchanged. The Tx must not be used after fn returns.
func (d *DB) View(ctx context.Context, fn func(bot.Tx) error) error {
	return d.run(ctx, false, func(t *tx) error { return fn(t) })
}

// Update runs fn in a read-write transaction, which commits when fn returns
// nil and rolls back, leaving no trace, when fn returns an error. It returns
// ctx.Err() without running fn when ctx is already done, and fn's error
// unchanged. The Tx must not be used after fn returns.
func (d *DB) Update(ctx context.Context, fn func(bot.Tx) error) error {
	return d.run(ctx, true, func(t *tx) error { return fn(t) })
}

// run runs fn in a transaction. fn's own error comes back as it is, so that
// its code survives; bbolt's errors (a failed commit) are wrapped, and a
// panic or a memory fault inside the transaction (a damaged page) is an
// error wrapping ErrDamaged, after bbolt has rolled the transaction back.
func (d *DB) run(ctx context.Context, writable bool, fn func(*tx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	defer guard(d.path, &err)()
	var fnErr error
	var began, worked time.Time
	wrapped := func(btx *bbolt.Tx) error {
		if writable && d.observe != nil {
			began = time.Now()
		}
		t := &tx{btx: btx, now: d.now, long: !writable && bot.IsLongRead(ctx), memos: d.memos}
		if fnErr = fn(t); fnErr != nil || !writable {
			return fnErr
		}
		err := t.bumpVersion()
		if !began.IsZero() {
			worked = time.Now()
		}
		return err
	}
	if writable {
		err = d.bolt.Update(wrapped)
		d.observeSince(began, worked)
	} else {
		err = d.bolt.View(wrapped)
	}
	if fnErr != nil {
		return fnErr
	} else if err != nil {
		return fmt.Errorf("store: transaction: %w", err)
	}
	return nil
}

// observeSince reports a write transaction that began at began and whose
// own work ended at worked (zero when it rolled back), when
// Options.ObserveWrite asks for it.
func (d *DB) observeSince(began, worked time.Time) {
	if d.observe == nil || began.IsZero() {
		return
	}
	now := time.Now()
	var commit time.Duration
	if !worked.IsZero() {
		commit = now.Sub(worked)
	}
	d.observe(now.Sub(began), commit)
}

// Backup writes a consistent copy of the whole file to w, from one read
// transaction, while writers carry on. It stops with ctx's error when ctx is
// done before or during the copy, and with ErrClosing once Close begins, so
// that Close does not wait for a slow reader (bbolt's Close waits for every
// read transaction). A writer blocked in Write is the caller's to unblock:
// the HTTP handler gives each chunk a write deadline.
func (d *DB) Backup(ctx context.Context, w io.Writer) (n int64, err error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	defer guard(d.path, &err)()
	err = d.bolt.View(func(btx *bbolt.Tx) error {
		var err error
		n, err = btx.WriteTo(ctxWriter{ctx: ctx, closing: d.closing, w: w})
		return err
	})
	if err != nil {
		return n, fmt.Errorf("store: backup: %w", err)
	}
	return n, nil
}

// ErrClosing is wrapped by the error of a Backup that Close interrupted.
var ErrClosing = errors.New("the store is closing")

// ctxWriter stops a long copy once its context is done or the store closes.
type ctxWriter struct {
	ctx     context.Context
	closing <-chan struct{}
	w       io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	select {
	case <-c.closing:
		return 0, ErrClosing
	default:
	}
	return c.w.Write(p)
}

// Check runs bbolt's consistency check over the whole file and returns every
// problem it finds, joined, or nil for a sound file.
func (d *DB) Check(ctx context.Context) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	defer guard(d.path, &err)()
	var problems []error
	err = d.bolt.View(func(btx *bbolt.Tx) error {
		// The channel must be drained to the end, or the checking goroutine
		// never finishes.
		for err := range btx.Check() {
			problems = append(problems, err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: check: %w", err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("store: check %s: %w", d.path, errors.Join(problems...))
	}
	return nil
}

// Close closes the file. It first stops the backups in progress at their
// next chunk; other transactions still open block it.
func (d *DB) Close() error {
	d.once.Do(func() { close(d.closing) })
	if err := d.bolt.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}
