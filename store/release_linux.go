//go:build linux

package store

import "syscall"

// releaser drops the pages of a read transaction's memory map from the
// process's resident set (madvise MADV_DONTNEED). bbolt maps the file
// read-only and shared, so this only unmaps them: their contents stay in the
// page cache and in the file, and the next read faults them back in. An
// export that reads a store larger than the memory it may use then keeps its
// RSS flat instead of growing by every page it read. The whole map up to the
// transaction's size is released, not only the pages of the records read: a
// lookup also faults in the B+tree's branch pages and, by the kernel's
// fault-around, the cached pages next to each page it reads.
type releaser struct {
	base, end uintptr // the map's first byte and the end of the tx's pages
}

// newReleaser returns the releaser of t's memory map.
func newReleaser(t *tx) *releaser {
	info := t.btx.DB().Info()
	size := uintptr(t.btx.Size()) &^ (uintptr(info.PageSize) - 1)
	return &releaser{base: info.Data, end: info.Data + size}
}

// release drops the map's pages. An error is ignored: the pages then simply
// stay resident.
func (r *releaser) release() {
	if r.end > r.base {
		// The raw call takes the addresses as they are: the map is not Go
		// memory, and no Go pointer is made from them.
		_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, r.base, r.end-r.base, syscall.MADV_DONTNEED)
	}
}
