//go:build !linux

package store

// releaser does nothing where madvise is not used: pages read stay
// resident until the kernel wants them.
type releaser struct{}

func newReleaser(*tx) *releaser { return &releaser{} }

func (*releaser) release() {}
