package store

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"sync/atomic"

	"github.com/loopbot/loopbot/bot"
)

// projectRevPrefix begins the meta keys of the projects' revisions.
const projectRevPrefix = "project_rev/"

// revNonce and revSeq make each revision the store writes new: this
// process's random 8 bytes and a count of the revisions it gave, so that a
// revision written in a transaction that rolled back is never given again.
var (
	revNonce = func() (b [8]byte) {
		_, _ = rand.Read(b[:]) // crypto/rand.Read does not fail (Go 1.24+)
		return b
	}()
	revSeq atomic.Uint64
)

func projectRevKey(project uint64) []byte {
	return strconv.AppendUint([]byte(projectRevPrefix), project, 10)
}

// newProjectRevision gives project a revision never given before
// (bot.ProjectRevision). Project 0 (no project) has none.
func (t *tx) newProjectRevision(project uint64) error {
	if project == 0 {
		return nil
	}
	v := make([]byte, 16)
	copy(v, revNonce[:])
	binary.BigEndian.PutUint64(v[8:], revSeq.Add(1))
	return t.putRaw(bucketMeta, projectRevKey(project), v)
}

// ProjectRevision implements bot.ProjectRevision: the project's revision as
// 32 hex digits, or "" for a project not written since the store kept them.
func (t *tx) ProjectRevision(project uint64) (string, error) {
	v := t.bucket(bucketMeta).Get(projectRevKey(project))
	if v == nil {
		return "", nil
	}
	return hex.EncodeToString(v), nil
}

var _ bot.ProjectRevision = (*tx)(nil)
