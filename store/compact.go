package store

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Size is how big the store file is, and how much of it holds data.
type Size struct {
	// File is the size of the file in bytes.
	File int64
	// Live is the bytes of the pages in use: the file less its free pages
	// (those a compaction would give back, and those bbolt reuses for new
	// writes first).
	Live int64
}

// Size reports the file's size and its live part, from bbolt's own counts
// (no walk over the data, so it is cheap enough for every /metrics scrape).
func (d *DB) Size() (Size, error) {
	var s Size
	err := d.bolt.View(func(btx *bbolt.Tx) error {
		s.File = btx.Size()
		return nil
	})
	if err != nil {
		return Size{}, fmt.Errorf("store: size: %w", err)
	}
	st := d.bolt.Stats()
	free := int64(st.FreePageN+st.PendingPageN) * int64(d.bolt.Info().PageSize)
	s.Live = max(s.File-free, 0)
	return s, nil
}

// Written is what the store's commits have written since it was opened,
// from bbolt's transaction statistics (Tx.Stats: PageAlloc, WriteTime).
type Written struct {
	// Bytes is the size of the pages the commits wrote (each dirty page
	// is written whole, so a change of one byte costs a page: the OS page
	// size, 4 KiB on most machines).
	Bytes int64
	// Time is the time the commits spent writing those pages and the
	// meta page, their fdatasyncs included.
	Time time.Duration
}

// Written reports the bytes and the time the store's commits have spent
// writing since it was opened: what a slow disk makes slow.
func (d *DB) Written() Written {
	st := d.bolt.Stats().TxStats
	return Written{Bytes: st.GetPageAlloc(), Time: st.GetWriteTime()}
}

// compactTxSize is how many bytes bbolt's Compact copies per transaction.
const compactTxSize = 64 << 20

// Compact rewrites the store file at path without its free space, for use
// with the service stopped: it copies every bucket, in key order, into a new
// file next to it (path + ".compact"), syncs it and renames it over path, so
// that a crash at any moment leaves either the old or the new file whole. It
// fails, wrapping ErrInUse, while another process (a running loopbot) holds
// the file, and returns the sizes before and after.
func Compact(path string) (before, after int64, err error) {
	src, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: defaultTimeout, OpenFile: openExisting})
	if errors.Is(err, berrors.ErrTimeout) {
		return 0, 0, fmt.Errorf("store: %s is %w; stop the service first", path, ErrInUse)
	} else if err != nil {
		return 0, 0, fmt.Errorf("store: open %s: %w", path, err)
	}
	defer src.Close()
	tmp := path + ".compact"
	_ = os.Remove(tmp)
	opts := BoltOptions(time.Second)
	opts.NoSync = true // synced once at the end
	dst, err := bbolt.Open(tmp, 0o600, opts)
	if err != nil {
		return 0, 0, fmt.Errorf("store: create %s: %w", tmp, err)
	}
	fail := func(err error) (int64, int64, error) {
		dst.Close()
		os.Remove(tmp)
		return 0, 0, err
	}
	if err := bbolt.Compact(dst, src, compactTxSize); err != nil {
		return fail(fmt.Errorf("store: compact %s: %w", path, err))
	}
	if err := dst.Sync(); err != nil {
		return fail(fmt.Errorf("store: sync %s: %w", tmp, err))
	}
	if err := dst.Close(); err != nil {
		return fail(fmt.Errorf("store: close %s: %w", tmp, err))
	}
	if before, err = fileSize(path); err != nil {
		return fail(err)
	}
	if after, err = fileSize(tmp); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fail(fmt.Errorf("store: replace %s: %w", path, err))
	}
	if dir, err := os.Open(filepath.Dir(path)); err == nil {
		_ = dir.Sync()
		dir.Close()
	}
	return before, after, nil
}

// openExisting opens a file that must exist, so that compacting a wrong
// path fails instead of creating an empty store there.
func openExisting(name string, flag int, perm os.FileMode) (*os.File, error) {
	return os.OpenFile(name, flag&^os.O_CREATE, perm)
}

func fileSize(path string) (int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, fmt.Errorf("store: %w", err)
	}
	return fi.Size(), nil
}

// BucketSize is what one top-level bucket holds.
type BucketSize struct {
	// Name is the bucket's name (bucket.go).
	Name string
	// Keys is how many keys it holds.
	Keys int
	// Pages is the bytes of the pages it has (leaf and branch pages): its
	// share of Size.Live.
	Pages int64
	// Data is the bytes of its keys and values alone.
	Data int64
}

// BucketSizes reports every top-level bucket's size, largest first. It
// walks every page of the file in one read transaction, so it is for
// benchmarks and diagnostics, not for every /metrics scrape.
func (d *DB) BucketSizes() ([]BucketSize, error) {
	var out []BucketSize
	err := d.bolt.View(func(btx *bbolt.Tx) error {
		return btx.ForEach(func(name []byte, b *bbolt.Bucket) error {
			st := b.Stats()
			s := BucketSize{Name: string(name), Keys: st.KeyN, Pages: int64(st.LeafAlloc + st.BranchAlloc)}
			err := b.ForEach(func(k, v []byte) error {
				s.Data += int64(len(k) + len(v))
				return nil
			})
			out = append(out, s)
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: bucket sizes: %w", err)
	}
	slices.SortFunc(out, func(a, b BucketSize) int { return cmp.Compare(b.Pages, a.Pages) })
	return out, nil
}
