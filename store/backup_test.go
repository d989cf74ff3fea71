package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loopbot/loopbot/bot"
)

func TestBackupOpensWithSameData(t *testing.T) {
	db := MustOpen(t)
	update(t, db, func(tx bot.Tx) error {
		if err := tx.PutProject(bot.Project{ID: 1, Name: "Launch", Owner: "playground:boss"}); err != nil {
			return err
		}
		if err := createTask(tx, bot.Task{Title: "Write spec", Project: 1, Assignee: "playground:a"}); err != nil {
			return err
		}
		return tx.PutMeta("sched/last_checkin", []byte("2026-03-02"))
	})
	path := filepath.Join(t.TempDir(), "backup.db")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := db.Backup(context.Background(), f)
	if cerr := f.Close(); err != nil || cerr != nil {
		t.Fatalf("Backup: %v, close: %v", err, cerr)
	}
	if fi, _ := os.Stat(path); fi.Size() != n {
		t.Errorf("Backup reported %d bytes, file has %d", n, fi.Size())
	}

	copied := mustOpenAt(t, path)
	if err := copied.Check(context.Background()); err != nil {
		t.Errorf("Check on backup: %v", err)
	}
	view(t, copied, func(tx bot.Tx) error {
		p, err := tx.Project(1)
		if err != nil || p.Name != "Launch" {
			t.Errorf("project in backup: %+v, %v", p, err)
		}
		tasks, _ := tx.Tasks(bot.TaskFilter{Assignee: "playground:a"})
		history, _ := tx.TaskHistory(1)
		depth, _ := tx.OutboxDepth()
		v, _ := tx.Meta("sched/last_checkin")
		if len(tasks) != 1 || tasks[0].Title != "Write spec" || len(history) != 1 || depth != 1 || string(v) != "2026-03-02" {
			t.Errorf("backup holds tasks %v, history %v, outbox %d, meta %q", tasks, history, depth, v)
		}
		return nil
	})
	// Ids carry on in the copy, so a restored deployment never reuses T1.
	update(t, copied, func(tx bot.Tx) error {
		if id, _ := tx.NextTaskID(); id != 2 {
			t.Errorf("next task in backup is T%d, want T2", id)
		}
		return nil
	})
}

func TestCheck(t *testing.T) {
	db := MustOpen(t)
	// Many small commits leave free pages behind.
	for range 50 {
		update(t, db, func(tx bot.Tx) error {
			return createTask(tx, bot.Task{Title: strings.Repeat("x", 100), Assignee: "playground:a"})
		})
	}
	if err := db.Check(context.Background()); err != nil {
		t.Fatalf("Check on a good file: %v", err)
	}
	path := db.Path()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	lost := dropFreePage(t, path)

	db = mustOpenAt(t, path)
	err := db.Check(context.Background())
	want := fmt.Sprintf("page %d: unreachable unfreed", lost)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Check on a damaged file: %v, want %q", err, want)
	}
}

// dropFreePage removes the last page from the file's freelist, as a bad disk
// might, and returns that page's id. (Damage to a data page is no good for
// this test: bbolt's Check panics on those.)
func dropFreePage(tb testing.TB, path string) uint64 {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	le := binary.LittleEndian
	// Each meta page is a 16-byte page header, then magic, version, page
	// size and flags (4 bytes each), the root bucket (16), the freelist page
	// id (8), the high-water mark (8) and the transaction id (8).
	pageSize := int(le.Uint32(data[16+8:]))
	meta := 16
	if le.Uint64(data[pageSize+16+48:]) > le.Uint64(data[16+48:]) {
		meta = pageSize + 16
	}
	freelist := int(le.Uint64(data[meta+32:])) * pageSize
	// A page header is the page id (8), flags (2), count (2), overflow (4).
	count := le.Uint16(data[freelist+10:])
	if count == 0 || count == 0xFFFF {
		tb.Fatalf("freelist has %d entries; the test needs a short, non-empty one", count)
	}
	lost := le.Uint64(data[freelist+16+8*int(count-1):])
	le.PutUint16(data[freelist+10:], count-1)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		tb.Fatal(err)
	}
	return lost
}
