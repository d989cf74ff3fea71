// Package storetest helps other packages' tests and benchmarks use a real
// store: a fresh file per test, and the raw bbolt commit that store
// benchmarks are measured against.
package storetest

import (
	"bytes"
	"encoding/binary"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loopbot/loopbot/store"
	"go.etcd.io/bbolt"
)

// Open opens a store in a fresh file under tb.TempDir, closed when the test
// ends. It fails the test if the store cannot open.
func Open(tb testing.TB) *store.DB {
	tb.Helper()
	return OpenWith(tb, store.Options{})
}

// OpenWith is Open with options, such as a fake clock's Now.
func OpenWith(tb testing.TB, opts store.Options) *store.DB {
	tb.Helper()
	db, err := store.Open(filepath.Join(tb.TempDir(), "loopbot.db"), opts)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("close store: %v", err)
		}
	})
	return db
}

// rawBucket opens a fresh bbolt file named file with the store's options,
// with one empty bucket, and returns the database and the bucket's name.
func rawBucket(b *testing.B, file string) (*bbolt.DB, []byte) {
	b.Helper()
	db, err := bbolt.Open(filepath.Join(b.TempDir(), file), 0o600, store.BoltOptions(time.Second))
	if err != nil {
		b.Fatalf("open bbolt: %v", err)
	}
	name := []byte("raw")
	err = db.Update(func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucket(name)
		return err
	})
	if err != nil {
		db.Close()
		b.Fatalf("create bucket: %v", err)
	}
	return db, name
}

// RawCommitBaseline runs b.N raw bbolt commits, each putting one 200-byte
// value under a new key, into a fresh file opened with the store's bbolt
// options. It is the floor for any store write: run it in the same
// `go test -bench` as a store benchmark and compare ns/op to see what the
// store adds to the cost of a commit.
func RawCommitBaseline(b *testing.B) {
	db, name := rawBucket(b, "raw.db")
	defer db.Close()
	value := bytes.Repeat([]byte{'x'}, 200)
	b.ReportAllocs()
	for b.Loop() {
		err := db.Update(func(tx *bbolt.Tx) error {
			bk := tx.Bucket(name)
			id, err := bk.NextSequence()
			if err != nil {
				return err
			}
			return bk.Put(binary.BigEndian.AppendUint64(nil, id), value)
		})
		if err != nil {
			b.Fatalf("raw commit: %v", err)
		}
	}
}

// BatchWriters is how many goroutines BatchWriteBaseline writes from, and
// the concurrency the group-commit benchmarks drive the engine with.
const BatchWriters = 64

// BatchWriteBaseline runs b.N writes through bbolt's own DB.Batch (default
// MaxBatchSize and MaxBatchDelay) from BatchWriters goroutines, each write
// putting one 200-byte value under a new key, into a fresh file opened with
// the store's bbolt options. It is what group commit can reach on this disk:
// compare an engine driven with as many concurrent events against it.
func BatchWriteBaseline(b *testing.B) {
	db, name := rawBucket(b, "batch.db")
	defer db.Close()
	value := bytes.Repeat([]byte{'x'}, 200)
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	b.ResetTimer()
	for range BatchWriters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				err := db.Batch(func(tx *bbolt.Tx) error {
					bk := tx.Bucket(name)
					id, err := bk.NextSequence()
					if err != nil {
						return err
					}
					return bk.Put(binary.BigEndian.AppendUint64(nil, id), value)
				})
				if err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatalf("batch write: %v", err)
	}
}
