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
func (t *tx) SetDue(subject string, at time.Time) error {
	if err := t.writable("set due"); err != nil {
		return err
	}
	if subject == "" {
		return bot.Errorf(bot.EINVALID, "a due entry needs a subject")
	}
	tk := timeKey(at, 0)[:8]
	old := t.bucket(bucketDueBySubject).Get([]byte(subject))
	if old != nil && !at.Equal(bot.DueNever) && bytes.Equal(old, tk) {
		return nil // filed for that time already
	}
	if old != nil {
		if err := t.del(bucketDue, append(bytes.Clone(old), subject...)); err != nil {
			return err
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

// TakeDue removes and returns up to limit subjects due at or before the
// given time, changed ones first, then in time order, and reports whether
// more are due.
func (t *tx) TakeDue(at time.Time, limit int) ([]string, bool, error) {
	if err := t.writable("take due"); err != nil {
		return nil, false, err
	}
	end := timeKey(at, 0)[:8]
	var subjects []string
	more := false
	c := t.bucket(bucketDue).Cursor()
	for k, _ := c.First(); k != nil && bytes.Compare(k[:8], end) <= 0; k, _ = c.Next() {
		if len(subjects) == limit {
			more = true
			break
		}
		subjects = append(subjects, string(k[8:]))
	}
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
	end := timeKey(at, 0)[:8]
	var subjects []string
	c := t.bucket(bucketDue).Cursor()
	for k, _ := c.First(); k != nil && bytes.Compare(k[:8], end) <= 0; k, _ = c.Next() {
		subjects = append(subjects, string(k[8:]))
	}
	return subjects, nil
}

// fileBy files subject to be looked at by at: it keeps an entry that is due
// sooner, and replaces a later one.
func (t *tx) fileBy(subject string, at time.Time) error {
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
