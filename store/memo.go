package store

import (
	"bytes"
	"fmt"
	"slices"
	"sync"

	"github.com/loopbot/loopbot/bot"
)

// memo keeps the value last decoded from each key of a bucket whose records
// are read far more often than written (projects, people, tasks), with the stored
// bytes it came from. A read whose stored bytes are those bytes gets a copy
// of the value instead of decoding them again: a morning's escalation check
// reads each of 200 projects in each of its short transactions, and decoding
// a project's JSON was about a quarter of the check's time at 10,000 people
// (issue 7). The bytes decide, not a version or a transaction, so a memo is
// never stale: a rolled-back or concurrent write, a restore or a migration
// changes the bytes a read finds.
type memo[T any] struct {
	mu    sync.Mutex
	m     map[string]memoEntry[T]
	clone func(T) T // a copy that shares no slice or map with its argument
	max   int       // the keys kept; past it, the memo starts afresh
}

type memoEntry[T any] struct {
	raw []byte
	v   T
}

// memos are a DB's memos. Tasks are memoized too: an escalation's climb
// plans its project (the critical path) from all its tasks, and at 10,000
// people the morning's check decoded 250 tasks for each project that had
// changed, about 40 % of its time. The bounds hold every project and person
// and the tasks of 10,000 people for about a month (some 200 stored bytes
// and 300 bytes of value each: about 65 MiB at most for the tasks).
type memos struct {
	projects memo[bot.Project]
	people   memo[bot.Person]
	tasks    memo[bot.Task]
}

func newMemos() *memos {
	return &memos{
		projects: memo[bot.Project]{clone: cloneProject, max: 1 << 14},
		people:   memo[bot.Person]{clone: clonePerson, max: 1 << 16},
		tasks:    memo[bot.Task]{clone: cloneTask, max: 1 << 17},
	}
}

// get returns a copy of the value decoded from raw under key, if kept.
func (m *memo[T]) get(key string, raw []byte) (T, bool) {
	m.mu.Lock()
	e, ok := m.m[key]
	m.mu.Unlock()
	if !ok || !bytes.Equal(e.raw, raw) {
		var zero T
		return zero, false
	}
	return m.clone(e.v), true
}

// put keeps v, decoded from raw (which may point into the memory map: it
// is copied), under key; v is kept as a copy.
func (m *memo[T]) put(key string, raw []byte, v T) {
	e := memoEntry[T]{raw: bytes.Clone(raw), v: m.clone(v)}
	m.mu.Lock()
	if m.m == nil || len(m.m) >= m.max {
		m.m = map[string]memoEntry[T]{}
	}
	m.m[key] = e
	m.mu.Unlock()
}

// memoGet reads key of bucket into a T through mm: a copy of the kept
// value when the stored bytes are those it was decoded from, else decoded
// (as tx.get) and kept. It reports whether the key exists.
func memoGet[T any](t *tx, mm *memo[T], bucket string, key []byte) (T, bool, error) {
	var v T
	if mm == nil {
		ok, err := t.get(bucket, key, &v)
		return v, ok, err
	}
	t.read()
	raw := t.bucket(bucket).Get(key)
	if raw == nil {
		return v, false, nil
	}
	if kept, ok := mm.get(string(key), raw); ok {
		return kept, true, nil
	}
	if err := decodeValue(raw, &v); err != nil {
		return v, true, decodeError(bucket, key, err)
	}
	mm.put(string(key), raw, v)
	return v, true, nil
}

// loadMemo is loadIDs through mm (memoGet), when not nil.
func loadMemo[T any](t *tx, mm *memo[T], bucket string, ids []uint64) ([]T, error) {
	out := make([]T, 0, len(ids))
	for _, id := range ids {
		x, ok, err := memoGet(t, mm, bucket, itob(id))
		if err != nil {
			return nil, err
		} else if !ok {
			return nil, fmt.Errorf("store: an index names %s %d, which does not exist", bucket, id)
		}
		out = append(out, x)
	}
	return out, nil
}

// cloneTask copies t's slices.
func cloneTask(t bot.Task) bot.Task {
	t.DependsOn = slices.Clone(t.DependsOn)
	return t
}

// cloneProject copies p's slices.
func cloneProject(p bot.Project) bot.Project {
	p.Managers, p.Members, p.Groups = slices.Clone(p.Managers), slices.Clone(p.Members), slices.Clone(p.Groups)
	return p
}

// clonePerson copies p's slices.
func clonePerson(p bot.Person) bot.Person {
	p.Leave, p.Chosen, p.Identities = slices.Clone(p.Leave), slices.Clone(p.Chosen), slices.Clone(p.Identities)
	return p
}

// projectMemo is t's memo of projects, or nil.
func (t *tx) projectMemo() *memo[bot.Project] {
	if t.memos == nil {
		return nil
	}
	return &t.memos.projects
}

// personMemo is t's memo of people, or nil.
func (t *tx) personMemo() *memo[bot.Person] {
	if t.memos == nil {
		return nil
	}
	return &t.memos.people
}

// taskMemo is t's memo of tasks, or nil.
func (t *tx) taskMemo() *memo[bot.Task] {
	if t.memos == nil {
		return nil
	}
	return &t.memos.tasks
}
