package store

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// NextEscalationID hands out the next escalation id. Ids are dense and never
// reused; one handed out in a transaction that rolls back is handed out
// again.
func (t *tx) NextEscalationID() (uint64, error) {
	return t.nextID(bucketEscalations, "next escalation id")
}

// Escalation returns the escalation with the given id, or an ENOTFOUND
// error.
func (t *tx) Escalation(id uint64) (bot.Escalation, error) {
	var e bot.Escalation
	ok, err := t.get(bucketEscalations, itob(id), &e)
	if err != nil {
		return bot.Escalation{}, err
	} else if !ok {
		return bot.Escalation{}, bot.Errorf(bot.ENOTFOUND, "escalation %s not found", bot.Escalation{ID: id}.Code())
	}
	return e, nil
}

// PutEscalation stores e and keeps its indexes in step: the open index
// while e is open, and the time indexes of its opening and, once resolved,
// its resolution, and files it in the due index (bot.DueTx) as changed
// while open. It returns EINVALID for an escalation with no id, rule,
// subject or opening time, and ECONFLICT for an open escalation whose
// subject already has another open escalation of the same rule.
func (t *tx) PutEscalation(e bot.Escalation) error {
	if err := t.writable("put escalation"); err != nil {
		return err
	}
	if err := checkEscalation(e); err != nil {
		return err
	}
	// A new escalation has the zero Escalation as its old self, which has
	// no index entries to remove.
	var old bot.Escalation
	if _, err := t.get(bucketEscalations, itob(e.ID), &old); err != nil {
		return err
	}
	// The open index goes first: it is the one that can refuse, and it
	// refuses before anything is written.
	if err := t.reindexOpen(old, e); err != nil {
		return err
	}
	if err := t.reindex(bucketEscalationsByOpened, openedKey(old, e.ID), openedKey(e, e.ID)); err != nil {
		return err
	}
	if err := t.reindex(bucketEscalationsByResolved, resolvedKey(old, e.ID), resolvedKey(e, e.ID)); err != nil {
		return err
	}
	if err := t.claimID(bucketEscalations, e.ID); err != nil {
		return err
	}
	// The climb looks at an escalation again once it changed (a click,
	// a snooze, an extension request); a resolved one leaves the index.
	next := time.Time{}
	if !e.Open() {
		next = bot.DueNever
	}
	if err := t.SetDue(bot.DueEscalation(e.ID), next); err != nil {
		return err
	}
	return t.put(bucketEscalations, itob(e.ID), e)
}

// checkEscalation returns EINVALID unless e has what its keys are made of.
func checkEscalation(e bot.Escalation) error {
	switch {
	case e.ID == 0:
		return bot.Errorf(bot.EINVALID, "an escalation needs an id")
	case e.Rule == "":
		return bot.Errorf(bot.EINVALID, "escalation %s needs a rule", e.Code())
	case e.Task == 0 && e.Person == "":
		return bot.Errorf(bot.EINVALID, "escalation %s needs a task or a person", e.Code())
	case strings.ContainsRune(e.Subject(), 0):
		return bot.Errorf(bot.EINVALID, "%q is not a person id", e.Person)
	case e.OpenedAt.IsZero():
		return bot.Errorf(bot.EINVALID, "escalation %s needs the time it opened", e.Code())
	}
	return nil
}

// reindexOpen moves e's entry in the open index after it changed from old:
// it leaves the index when resolved (or when its subject or rule changed),
// and takes its subject and rule while open, unless another escalation
// holds them, which is an ECONFLICT error.
func (t *tx) reindexOpen(old, e bot.Escalation) error {
	b := t.bucket(bucketEscalationsOpen)
	newKey := openKey(e)
	if newKey != nil {
		if v := b.Get(newKey); v != nil && btoi(v) != e.ID {
			return bot.Errorf(bot.ECONFLICT, "%s already has an open %s escalation, %s",
				e.Subject(), e.Rule, bot.Escalation{ID: btoi(v)}.Code())
		}
	}
	// The check above keeps one open escalation per key, so old's entry, if
	// it had one, names e.
	if oldKey := openKey(old); oldKey != nil && !bytes.Equal(oldKey, newKey) {
		if err := t.del(bucketEscalationsOpen, oldKey); err != nil {
			return err
		}
	}
	if newKey == nil {
		return nil
	}
	return t.putRaw(bucketEscalationsOpen, newKey, itob(e.ID))
}

// openKey returns <subject>\x00<rule>, the open index key of e, or nil when e
// is resolved or is the zero Escalation (no stored record).
func openKey(e bot.Escalation) []byte {
	if e.ID == 0 || !e.Open() {
		return nil
	}
	return append(strPrefix(e.Subject()), e.Rule...)
}

// openedKey returns the opening time index key of e (stored as id), or nil
// for the zero Escalation.
func openedKey(e bot.Escalation, id uint64) []byte {
	if e.OpenedAt.IsZero() {
		return nil
	}
	return timeKey(e.OpenedAt, id)
}

// resolvedKey returns the resolution time index key of e (stored as id), or
// nil while e is open.
func resolvedKey(e bot.Escalation, id uint64) []byte {
	if e.Open() {
		return nil
	}
	return timeKey(e.ResolvedAt, id)
}

// timeKey returns <time><id>, both big-endian: the time as Unix nanoseconds
// with the sign bit flipped, so that times before 1970 sort first too. Times
// that nanoseconds cannot hold, before 1678 or after 2262, are held to those
// bounds.
func timeKey(at time.Time, id uint64) []byte {
	var n int64
	switch {
	case at.Before(time.Unix(0, math.MinInt64)):
		n = math.MinInt64
	case at.After(time.Unix(0, math.MaxInt64)):
		n = math.MaxInt64
	default:
		n = at.UnixNano()
	}
	return idKey(uint64(n)^(1<<63), id)
}

// OpenEscalations returns every open escalation, by id. It reads the open
// index, not the history.
func (t *tx) OpenEscalations() ([]bot.Escalation, error) {
	var ids []uint64
	err := t.bucket(bucketEscalationsOpen).ForEach(func(_, v []byte) error {
		ids = append(ids, btoi(v))
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(ids)
	return loadIDs[bot.Escalation](t, bucketEscalations, ids)
}

// OpenSubjects returns the subjects with an open escalation of rule, in
// the open index's key order, reading its keys only.
func (t *tx) OpenSubjects(rule string) ([]string, error) {
	var out []string
	suffix := append([]byte{0}, rule...)
	err := t.bucket(bucketEscalationsOpen).ForEach(func(k, _ []byte) error {
		if subj, ok := bytes.CutSuffix(k, suffix); ok && bytes.IndexByte(subj, 0) < 0 {
			out = append(out, string(subj))
		}
		return nil
	})
	return out, err
}

// OpenEscalation returns the open escalation of rule for subject (a task
// code like "T3", or a person id), or an ENOTFOUND error when there is none.
func (t *tx) OpenEscalation(subject, rule string) (bot.Escalation, error) {
	v := t.bucket(bucketEscalationsOpen).Get(append(strPrefix(subject), rule...))
	if v == nil {
		return bot.Escalation{}, bot.Errorf(bot.ENOTFOUND, "%s has no open %s escalation", subject, rule)
	}
	return t.Escalation(btoi(v))
}

// Escalations returns the escalations opened or resolved with
// from <= time < to, by id. It reads the two time indexes over the range
// only, so its cost follows the size of the answer, not of the history.
func (t *tx) Escalations(from, to time.Time) ([]bot.Escalation, error) {
	if !from.Before(to) {
		return nil, nil
	}
	ids := t.idsInTime(bucketEscalationsByOpened, from, to)
	ids = append(ids, t.idsInTime(bucketEscalationsByResolved, from, to)...)
	slices.Sort(ids)
	return loadIDs[bot.Escalation](t, bucketEscalations, slices.Compact(ids))
}

// idsInTime returns the ids of a time index with from <= time < to, in time
// order.
func (t *tx) idsInTime(bucket string, from, to time.Time) []uint64 {
	start, end := timeKey(from, 0)[:8], timeKey(to, 0)[:8]
	var ids []uint64
	c := t.bucket(bucket).Cursor()
	t.read() // the Seek
	for k, _ := c.Seek(start); k != nil && bytes.Compare(k[:8], end) < 0; k, _ = c.Next() {
		t.read()
		ids = append(ids, btoi(k[8:]))
	}
	return ids
}
