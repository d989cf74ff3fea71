package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"runtime/debug"
)

// ErrDamaged is wrapped by the errors of a store file that is damaged: one
// that is shorter than its last commit says at Open, and a transaction that
// met a damaged page (bbolt panics on one, and reading past the end of a
// file that shrank under the mapping faults). Restore the file from a
// backup.
var ErrDamaged = errors.New("damaged")

// The layout of a bbolt file's meta pages, as bbolt v1.4 writes them
// (go.etcd.io/bbolt/internal/common/meta.go and page.go): pages 0 and 1
// each hold a page header of 16 bytes, then the meta, in the machine's byte
// order.
const (
	pageHeaderSize = 16
	metaMagic      = 0xED0CDAED
	metaVersion    = 2
	metaSize       = 64 // magic, version, pageSize, flags (4 bytes each); root bucket (16); freelist, pgid, txid, checksum (8 each)
)

// meta is what checkSize reads of a meta page.
type meta struct {
	pageSize uint32
	pgid     uint64 // the high-water mark: pages in use, from 0
	txid     uint64
}

// readMeta decodes the meta page in b (its page header first) and reports
// whether it is valid: magic, version and checksum.
func readMeta(b []byte) (meta, bool) {
	if len(b) < pageHeaderSize+metaSize {
		return meta{}, false
	}
	m := b[pageHeaderSize : pageHeaderSize+metaSize]
	e := binary.NativeEndian
	h := fnv.New64a()
	h.Write(m[:56])
	if e.Uint32(m[0:]) != metaMagic || e.Uint32(m[4:]) != metaVersion || e.Uint64(m[56:]) != h.Sum64() {
		return meta{}, false
	}
	return meta{pageSize: e.Uint32(m[8:]), pgid: e.Uint64(m[40:]), txid: e.Uint64(m[48:])}, true
}

// checkSize refuses a store file that is shorter than its last valid commit
// says it is: bbolt maps the file and would read the missing pages, which
// kills the process with SIGBUS. A missing or empty file (a new store) and a
// file whose meta pages are both invalid (bbolt refuses it itself) pass.
func checkSize(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		return nil
	}
	buf := make([]byte, pageHeaderSize+metaSize)
	var best meta
	found := false
	m0, ok := readAt(f, buf, 0)
	if ok {
		best, found = m0, true
	}
	// The second meta page is one page further; its size is the first's,
	// or, when the first is damaged, one of the sizes bbolt uses.
	sizes := []int64{int64(m0.pageSize)}
	if !ok {
		sizes = []int64{4096, 8192, 16384, 65536}
	}
	for _, size := range sizes {
		if m1, ok := readAt(f, buf, size); ok && (!found || m1.txid > best.txid) {
			best, found = m1, true
			break
		}
	}
	if !found {
		return nil
	}
	if need := int64(best.pgid) * int64(best.pageSize); fi.Size() < need {
		return fmt.Errorf("store: %s is %w: the file has %d bytes, but its last commit needs %d (it was truncated); restore it from a backup", path, ErrDamaged, fi.Size(), need)
	}
	return nil
}

// readAt reads the meta page at offset off of f.
func readAt(f *os.File, buf []byte, off int64) (meta, bool) {
	if off < 0 {
		return meta{}, false
	}
	if _, err := f.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
		return meta{}, false
	}
	return readMeta(buf)
}

// guard turns a panic or a memory fault inside a store operation on path
// into an error that wraps ErrDamaged, stored in *err. bbolt panics on a
// damaged page, and a read past the end of a file that shrank under the
// mapping faults; the transaction is rolled back by bbolt before the panic
// reaches here. Use it as
//
//	defer guard(path, &err)()
//
// in a function with a named error result: the call turns faults into
// panics for the current goroutine (debug.SetPanicOnFault), and the deferred
// function restores that and recovers.
func guard(path string, err *error) func() {
	old := debug.SetPanicOnFault(true)
	return func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			*err = fmt.Errorf("store: %s is %w: a transaction failed on it (%v); check it and restore a backup", path, ErrDamaged, r)
		}
	}
}
