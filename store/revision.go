package store

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"sync/atomic"

	"github.com/loopbot/loopbot/bot"
)

// projectRevPrefix begins the meta keys of the projects' revisions, and
// projectLinksPrefix those of their links revisions.
const (
	projectRevPrefix   = "project_rev/"
	projectLinksPrefix = "project_links/"
)

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

func projectLinksKey(project uint64) []byte {
	return strconv.AppendUint([]byte(projectLinksPrefix), project, 10)
}

// newProjectRevision gives project a revision never given before
// (bot.ProjectRevision). Project 0 (no project) has none.
func (t *tx) newProjectRevision(project uint64) error {
	return t.newRevision(project, projectRevKey(project))
}

// newLinksRevision gives project a links revision never given before
// (bot.ProjectRevision.LinksRevision).
func (t *tx) newLinksRevision(project uint64) error {
	return t.newRevision(project, projectLinksKey(project))
}

// newRevision writes a revision never given before under key: 16 bytes,
// this process's nonce and the count of revisions it gave.
func (t *tx) newRevision(project uint64, key []byte) error {
	if project == 0 {
		return nil
	}
	v := make([]byte, 16)
	copy(v, revNonce[:])
	binary.BigEndian.PutUint64(v[8:], revSeq.Add(1))
	return t.putRaw(bucketMeta, key, v)
}

// ProjectRevision implements bot.ProjectRevision: the project's revision as
// 32 hex digits, or "" for a project not written since the store kept them.
func (t *tx) ProjectRevision(project uint64) (string, error) {
	return t.revision(projectRevKey(project)), nil
}

// LinksRevision implements bot.ProjectRevision: the project's links
// revision as 32 hex digits, or "" while none of its tasks' links or
// membership changed since the store kept them.
func (t *tx) LinksRevision(project uint64) (string, error) {
	return t.revision(projectLinksKey(project)), nil
}

func (t *tx) revision(key []byte) string {
	v := t.bucket(bucketMeta).Get(key)
	if v == nil {
		return ""
	}
	return hex.EncodeToString(v)
}

var _ bot.ProjectRevision = (*tx)(nil)
