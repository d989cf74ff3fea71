package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/store"
)

// TestCompact fills a store, deletes most of it, and compacts it: the file
// shrinks, what was kept is still there, and the live size it reported
// before is about what the new file holds. A file in use, a missing file and
// a missing -db are refused with a clear message.
func TestCompact(t *testing.T) {
	path := filepath.Join(t.TempDir(), "loopbot.db")
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	big := strings.Repeat("x", 2000)
	for batch := range 20 {
		err := db.Update(ctx, func(tx bot.Tx) error {
			for i := range 200 {
				if err := tx.PutMeta(fmt.Sprintf("junk/%02d/%03d", batch, i), []byte(big)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	err = db.Update(ctx, func(tx bot.Tx) error {
		if err := tx.PutMeta("keep", []byte("me")); err != nil {
			return err
		}
		for batch := range 20 {
			for i := range 200 {
				if err := tx.DeleteMeta(fmt.Sprintf("junk/%02d/%03d", batch, i)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	size, err := db.Size()
	if err != nil || size.Live >= size.File/2 {
		t.Fatalf("size before compaction = %+v, %v; want mostly free space", size, err)
	}

	var stdout, stderr bytes.Buffer
	if err := Run(ctx, []string{"compact", "-db", path}, nil, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "stop the service") {
		t.Errorf("compact of a file in use: %v", err)
	}
	db.Close()
	if err := Run(ctx, []string{"compact", "-db", path}, nil, &stdout, &stderr); err != nil {
		t.Fatalf("compact: %v (%s)", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "MiB -> ") {
		t.Errorf("compact printed %q", stdout.String())
	}
	db, err = store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	after, _ := db.Size()
	if after.File >= size.File/2 {
		t.Errorf("file after compaction %d bytes, before %d", after.File, size.File)
	}
	err = db.View(ctx, func(tx bot.Tx) error {
		v, err := tx.Meta("keep")
		if err != nil || string(v) != "me" {
			t.Errorf("kept value after compaction = %q, %v", v, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	missing := filepath.Join(t.TempDir(), "none.db")
	if err := Run(ctx, []string{"compact", "-db", missing}, nil, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "none.db") {
		t.Errorf("compact of a missing file: %v", err)
	}
	if err := Run(ctx, []string{"compact"}, nil, &stdout, &stderr); !errors.Is(err, errUsage) || !strings.Contains(stderr.String(), "-db FILE is required") {
		t.Errorf("compact without -db: %v, %q", err, stderr.String())
	}
}
