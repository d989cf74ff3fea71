package store

import (
	"bytes"
	"strconv"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// Subjects of the due index (bot.DueTx), as the store marks them.
func taskSubject(id uint64) string          { return bot.DueTaskPrefix + strconv.FormatUint(id, 10) }
func personSubject(p bot.PersonID) string   { return bot.DuePersonPrefix + string(p) }
func checkinsSubject(p bot.PersonID) string { return bot.DueCheckinsPrefix + string(p) }
func projectSubject(id uint64) string       { return bot.DueProjectPrefix + strconv.FormatUint(id, 10) }

// SetDue files subject to be looked at once the time reaches at, replacing
// its earlier entry; the zero time files it as changed, due at once; Never
// (bot.DueNever) removes it.
//
// A changed subject gets a mark at the zero time in bucketDue and keeps
// its timed entry (and bucketDueBySubject's pointer to it): the marks of a
// check's worth of changes fill a page or two at the front of bucketDue,
// where a change that moved the timed entry would write a page of each
// bucket wherever the subject's entries lie, twice (marked, then filed
// again by the check): at 1,000 people the index was a seventh of the
// pages the events' commits wrote and nearly half of those the scheduled
// jobs' wrote (issue 7, docs/benchmarks.md). The check's filing for a time
// removes the mark, and moves the timed entry only when the time differs.
// A file whose changed subjects were moved to the zero time (before this)
// reads the same: such an entry is a mark with the pointer on it.
func (t *tx) SetDue(subject string, at time.Time) error {
	if err := t.writable("set due"); err != nil {
		return err
	}
	if subject == "" {
		return bot.Errorf(bot.EINVALID, "a due entry needs a subject")
	}
	tk := timeKey(at, 0)[:8]
	mark := append(bytes.Clone(changedKey), subject...)
	due := t.bucket(bucketDue)
	if bytes.Equal(tk, changedKey) {
		if has(due, mark) {
			return nil // marked already
		}
		return t.putRaw(bucketDue, mark, nil)
	}
	if has(due, mark) {
		if err := t.del(bucketDue, mark); err != nil {
			return err
		}
	}
	old := t.bucket(bucketDueBySubject).Get([]byte(subject))
	if old != nil && !at.Equal(bot.DueNever) && bytes.Equal(old, tk) {
		return nil // filed for that time already
	}
	if old != nil {
		if !bytes.Equal(old, changedKey) { // else deleted as the mark
			if err := t.del(bucketDue, append(bytes.Clone(old), subject...)); err != nil {
				return err
			}
		}
		if err := t.del(bucketDueBySubject, []byte(subject)); err != nil {
			return err
		}
	}
	if at.Equal(bot.DueNever) {
		return nil
	}
	if err := t.putRaw(bucketDue, append(bytes.Clone(tk), subject...), nil); err != nil {
		return err
	}
	return t.putRaw(bucketDueBySubject, []byte(subject), tk)
}

// changedKey is the time part of a changed subject's mark in bucketDue:
// timeKey of the zero time, which sorts before every other.
var changedKey = timeKey(time.Time{}, 0)[:8]

// dueUpTo returns the subjects in bucketDue at or before the time part
// end, marks first, each once (a marked subject's timed entry may be due
// too), up to limit of them (0: all), and whether more are due.
func (t *tx) dueUpTo(end []byte, limit int) ([]string, bool) {
	var subjects []string
	seen := map[string]bool{}
	c := t.bucket(bucketDue).Cursor()
	for k, _ := c.First(); k != nil && bytes.Compare(k[:8], end) <= 0; k, _ = c.Next() {
		s := string(k[8:])
		if seen[s] {
			continue
		}
		if limit > 0 && len(subjects) == limit {
			return subjects, true
		}
		seen[s] = true
		subjects = append(subjects, s)
	}
	return subjects, false
}

// TakeDue removes and returns up to limit subjects due at or before the
// given time, changed ones first, then in time order, and reports whether
// more are due.
func (t *tx) TakeDue(at time.Time, limit int) ([]string, bool, error) {
	if err := t.writable("take due"); err != nil {
		return nil, false, err
	}
	if limit <= 0 {
		return nil, false, bot.Errorf(bot.EINVALID, "take due: limit %d, want at least 1", limit)
	}
	subjects, more := t.dueUpTo(timeKey(at, 0)[:8], limit)
	for _, s := range subjects {
		if err := t.SetDue(s, bot.DueNever); err != nil {
			return nil, false, err
		}
	}
	return subjects, more, nil
}

// DueSubjects returns the subjects due at or before the given time, changed
// ones first, then in time order, leaving them filed.
func (t *tx) DueSubjects(at time.Time) ([]string, error) {
	subjects, _ := t.dueUpTo(timeKey(at, 0)[:8], 0)
	return subjects, nil
}

// fileBy files subject to be looked at by at: it keeps an entry that is due
// sooner, and replaces a later one.
func (t *tx) fileBy(subject string, at time.Time) error {
	if has(t.bucket(bucketDue), append(bytes.Clone(changedKey), subject...)) {
		return nil // due at once
	}
	old := t.bucket(bucketDueBySubject).Get([]byte(subject))
	if old != nil && bytes.Compare(old, timeKey(at, 0)[:8]) <= 0 {
		return nil
	}
	return t.SetDue(subject, at)
}

// markChanged files subjects as changed, due at once.
func (t *tx) markChanged(subjects ...string) error {
	for _, s := range subjects {
		if err := t.SetDue(s, time.Time{}); err != nil {
			return err
		}
	}
	return nil
}
