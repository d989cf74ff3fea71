package store

import (
	"os"
	"runtime"
	"strconv"
	"testing"

	"github.com/loopbot/loopbot/bot"
)

// TestMapRoom: the memory map has room for the file to grow (4 GiB of
// address space on a 64-bit machine other than Windows, twice the file
// past that), while the file itself stays as small as its pages: a new
// store with a project in it is a few MiB on disk, not its map.
func TestMapRoom(t *testing.T) {
	if runtime.GOOS != "windows" && strconv.IntSize == 64 {
		for _, c := range []struct{ size, want int64 }{{0, 4 << 30}, {1 << 30, 4 << 30}, {3 << 30, 6 << 30}} {
			if got := mmapFor(c.size); int64(got) != c.want {
				t.Errorf("mmapFor(%d) = %d, want %d", c.size, got, c.want)
			}
		}
	}
	db := MustOpen(t)
	update(t, db, func(tx bot.Tx) error { return tx.PutProject(bot.Project{ID: 1, Name: "P", Owner: "playground:boss"}) })
	fi, err := os.Stat(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	if limit := int64(64 << 20); fi.Size() > limit && runtime.GOOS != "windows" {
		t.Errorf("a new store's file is %d bytes, want under %d", fi.Size(), limit)
	}
}

// TestWritten: each commit adds the pages it wrote, whole: one small record
// costs at least a page, and a read writes nothing.
func TestWritten(t *testing.T) {
	db := MustOpen(t)
	before := db.Written()
	update(t, db, func(tx bot.Tx) error { return tx.PutProject(bot.Project{ID: 1, Name: "P", Owner: "playground:boss"}) })
	one := db.Written()
	if d := one.Bytes - before.Bytes; d < 4096 || d%4096 != 0 {
		t.Errorf("a commit of one record wrote %d bytes, want whole pages of 4 KiB", d)
	}
	if one.Time <= before.Time {
		t.Errorf("the commit's write time did not grow: %v then %v", before.Time, one.Time)
	}
	if err := db.View(t.Context(), func(tx bot.Tx) error { _, err := tx.Project(1); return err }); err != nil {
		t.Fatal(err)
	}
	if got := db.Written(); got != one {
		t.Errorf("a read wrote: %+v then %+v", one, got)
	}
}
