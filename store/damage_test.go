package store

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"go.etcd.io/bbolt"
)

// filledStore writes a store file with enough tasks that the tasks bucket
// has pages of its own, closes it, and returns its path.
func filledStore(tb testing.TB) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "loopbot.db")
	db, err := Open(path, Options{Now: func() time.Time { return t0 }})
	if err != nil {
		tb.Fatal(err)
	}
	for range 10 {
		update(tb, db, func(tx bot.Tx) error {
			for range 20 {
				if err := createTask(tx, bot.Task{Title: strings.Repeat("任务", 100), Project: 1, Assignee: "playground:a"}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := db.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

// usedSize returns the bytes that the last commit of the store file at path
// needs, and its page size, as its meta page says.
func usedSize(tb testing.TB, path string) (int64, int64) {
	tb.Helper()
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		tb.Fatal(err)
	}
	defer b.Close()
	var size int64
	b.View(func(tx *bbolt.Tx) error { size = tx.Size(); return nil })
	return size, int64(b.Info().PageSize)
}

// TestOpenTruncatedFile truncates a store file at several places below what
// its last commit needs: each open is refused with an error that names the
// file, and the process does not die of SIGBUS.
func TestOpenTruncatedFile(t *testing.T) {
	path := filledStore(t)
	need, page := usedSize(t, path)
	if need < 8*page {
		t.Fatalf("the store has only %d bytes in use; the test needs more pages", need)
	}
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int64{need / 2, need - page, need - 1, 3 * page, 2*page + 100} {
		if err := os.WriteFile(path, orig[:size], 0o600); err != nil {
			t.Fatal(err)
		}
		db, err := Open(path, Options{Timeout: 100 * time.Millisecond})
		if err == nil {
			db.Close()
			t.Errorf("truncated to %d of %d bytes: Open accepted it", size, need)
			continue
		}
		if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "truncated") {
			t.Errorf("truncated to %d of %d bytes: %v; want an ErrDamaged naming %s", size, need, err, path)
		}
	}
	// A file that keeps what its last commit needs still opens.
	if err := os.WriteFile(path, orig[:need], 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := Open(path, Options{Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("a file cut to what its commit needs: %v", err)
	}
	db.Close()
}

// corruptTasksPage overwrites the page header of the tasks bucket's root
// page in the store file at path with garbage, as a damaged disk would.
func corruptTasksPage(tb testing.TB, path string) {
	tb.Helper()
	b, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		tb.Fatal(err)
	}
	var root uint64
	b.View(func(tx *bbolt.Tx) error {
		root = uint64(tx.Bucket([]byte(bucketTasks)).Root())
		return nil
	})
	page := int64(b.Info().PageSize)
	b.Close()
	if root == 0 {
		tb.Fatal("the tasks bucket is inline; the test needs it on its own page")
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var hdr [16]byte
	binary.NativeEndian.PutUint64(hdr[0:], root)
	binary.NativeEndian.PutUint16(hdr[8:], 0x7777) // no such page type
	binary.NativeEndian.PutUint16(hdr[10:], 0xffff)
	if _, err := f.WriteAt(hdr[:], int64(root)*page); err != nil {
		tb.Fatal(err)
	}
}

// TestDamagedPageIsAnError reads and writes over a really corrupted page:
// bbolt panics inside the transaction, and the store answers an error that
// wraps ErrDamaged instead; the store keeps working for what is sound.
func TestDamagedPageIsAnError(t *testing.T) {
	path := filledStore(t)
	corruptTasksPage(t, path)
	db := mustOpenAt(t, path)
	ctx := context.Background()
	err := db.View(ctx, func(tx bot.Tx) error {
		_, err := tx.Task(7)
		return err
	})
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), path) {
		t.Fatalf("View over a damaged page: %v; want an ErrDamaged naming the file", err)
	}
	if code := bot.ErrorCode(err); code != bot.EINTERNAL {
		t.Errorf("error code %q, want %q", code, bot.EINTERNAL)
	}
	err = db.Update(ctx, func(tx bot.Tx) error {
		return tx.PutTask(bot.Task{ID: 7, Title: "x", Assignee: "playground:a"})
	})
	if !errors.Is(err, ErrDamaged) {
		t.Fatalf("Update over a damaged page: %v", err)
	}
	update(t, db, func(tx bot.Tx) error { return tx.PutMeta("still", []byte("works")) })
	view(t, db, func(tx bot.Tx) error {
		v, err := tx.Meta("still")
		if err != nil || string(v) != "works" {
			t.Errorf("meta after the damage: %q, %v", v, err)
		}
		return nil
	})
}

// TestFileShrunkUnderTheMapping truncates the file of an open store: the
// next read of a missing page faults, and is an error instead of SIGBUS.
func TestFileShrunkUnderTheMapping(t *testing.T) {
	path := filledStore(t)
	_, page := usedSize(t, path)
	db := mustOpenAt(t, path)
	if err := os.Truncate(path, 2*page); err != nil {
		t.Fatal(err)
	}
	err := db.View(context.Background(), func(tx bot.Tx) error {
		_, err := tx.Tasks(bot.TaskFilter{Assignee: "playground:a"})
		return err
	})
	if !errors.Is(err, ErrDamaged) {
		t.Fatalf("read after the file shrank: %v; want ErrDamaged", err)
	}
}
