package store

import (
	"context"
	"encoding/binary"
	"os"
	"strings"
	"testing"

	"github.com/loopbot/loopbot/bot"
)

// TestFreelistNotWritten: the store's commits leave bbolt's list of free
// pages out of the file (the meta page says so with the id 2^64-1), and a
// reopened store finds the same free pages again, so that its size report
// and the file's check agree with the store before it closed.
func TestFreelistNotWritten(t *testing.T) {
	db := MustOpen(t)
	for range 50 {
		update(t, db, func(tx bot.Tx) error {
			return createTask(tx, bot.Task{Title: strings.Repeat("x", 100), Assignee: "playground:a"})
		})
	}
	before, err := db.Size()
	if err != nil {
		t.Fatal(err)
	}
	if before.Live >= before.File {
		t.Fatalf("the commits left no free page (%+v); the test needs some", before)
	}
	path := db.Path()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	// The newer of the two meta pages (see dropFreePage) names the freelist.
	pageSize := int(le.Uint32(data[16+8:]))
	meta := 16
	if le.Uint64(data[pageSize+16+48:]) > le.Uint64(data[16+48:]) {
		meta = pageSize + 16
	}
	if id := le.Uint64(data[meta+32:]); id != 1<<64-1 {
		t.Errorf("the meta page names freelist page %d, want none (2^64-1)", id)
	}

	db = mustOpenAt(t, path)
	after, err := db.Size()
	if err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("reopened, the store reports %+v, before it closed %+v", after, before)
	}
	if err := db.Check(context.Background()); err != nil {
		t.Errorf("Check after reopening: %v", err)
	}
	update(t, db, func(tx bot.Tx) error {
		return createTask(tx, bot.Task{Title: "after", Assignee: "playground:a"})
	})
	if grown, _ := db.Size(); grown.File != before.File {
		t.Errorf("a small commit after reopening grew the file from %d to %d bytes: the free pages were not found again",
			before.File, grown.File)
	}
}
