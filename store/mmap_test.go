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
