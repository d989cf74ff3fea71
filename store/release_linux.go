//go:build linux

package store

import (
	"syscall"
	"unsafe"
)

// releaser drops from the process's resident set the pages of the memory
// map that a long read has passed (madvise MADV_DONTNEED). bbolt maps the
// file read-only and shared, so this only unmaps them: their contents stay
// in the page cache and in the file, and a later read faults them back in.
// An export that reads a store larger than the memory it may use then keeps
// its RSS flat instead of growing by every page it read. Only addresses
// inside the map up to the transaction's size are ever released.
type releaser struct {
	base, end uintptr // the map's first byte and the end of the tx's pages
	page      uintptr
	lo, hi    uintptr // the span touched since the last release
}

// newReleaser returns the releaser of t's memory map.
func newReleaser(t *tx) *releaser {
	info := t.btx.DB().Info()
	return &releaser{base: info.Data, end: info.Data + uintptr(t.btx.Size()), page: uintptr(info.PageSize)}
}

// touch records that b, if it lies in the map, was read.
func (r *releaser) touch(b []byte) {
	if len(b) == 0 {
		return
	}
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	q := p + uintptr(len(b))
	if p < r.base || q > r.end {
		return
	}
	if r.lo == 0 || p < r.lo {
		r.lo = p
	}
	if q > r.hi {
		r.hi = q
	}
}

// release drops the pages of the span touched so far. Errors are ignored:
// the pages then simply stay resident.
func (r *releaser) release() {
	if r.lo == 0 {
		return
	}
	lo := r.lo &^ (r.page - 1)
	hi := (r.hi + r.page - 1) &^ (r.page - 1)
	hi = min(hi, r.end&^(r.page-1))
	if hi > lo {
		// The raw call takes the addresses as they are: the map is not Go
		// memory, and no Go pointer is made from them.
		_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, lo, hi-lo, syscall.MADV_DONTNEED)
	}
	r.lo, r.hi = 0, 0
}
