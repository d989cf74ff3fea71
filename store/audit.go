package store

import (
	"bytes"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// AppendAudit stores e with the next audit id (any ID in e is ignored) and,
// when e.Time is zero, the store's current time. Events that name a task are
// indexed for TaskHistory.
func (t *tx) AppendAudit(e bot.AuditEvent) error {
	id, err := t.nextID(bucketAudit, "append audit")
	if err != nil {
		return err
	}
	e.ID = id
	if e.Time.IsZero() {
		e.Time = t.now()
	}
	if err := t.put(bucketAudit, itob(id), e); err != nil {
		return err
	}
	if e.Project != 0 {
		if err := t.putRaw(bucketAuditByProject, auditProjectKey(e.Project, e.Time, id), nil); err != nil {
			return err
		}
	}
	if e.Task == 0 {
		return nil
	}
	return t.putRaw(bucketAuditByTask, idKey(e.Task, id), nil)
}

// TaskHistory returns the events of a task, oldest first. A task with no
// events, or no such task, has an empty history.
func (t *tx) TaskHistory(task uint64) ([]bot.AuditEvent, error) {
	ids := t.idsWithPrefix(bucketAuditByTask, itob(task))
	return loadIDs[bot.AuditEvent](t, bucketAudit, ids)
}

// Audit returns the events with from <= Time < to, in id order, which is
// oldest first. Ids grow with time, but Time is the caller's (a fake clock,
// an import), so Audit reads the whole log and filters rather than stopping
// at the first event past to. That is linear in the size of the log; a time
// index is the next step if reports over a long log get slow.
func (t *tx) Audit(from, to time.Time) ([]bot.AuditEvent, error) {
	all, err := loadAll[bot.AuditEvent](t, bucketAudit)
	if err != nil {
		return nil, err
	}
	var out []bot.AuditEvent
	for _, e := range all {
		if !e.Time.Before(from) && e.Time.Before(to) {
			out = append(out, e)
		}
	}
	return out, nil
}

// auditProjectKey returns <project><time><id>, the key of an event in
// bucketAuditByProject.
func auditProjectKey(project uint64, at time.Time, id uint64) []byte {
	return append(itob(project), timeKey(at, id)...)
}

// ProjectAudit returns the events that name the project with from <= Time
// < to, in time order (id order for equal times), from the project's index:
// it reads the project's events of the range only.
func (t *tx) ProjectAudit(project uint64, from, to time.Time) ([]bot.AuditEvent, error) {
	start := auditProjectKey(project, from, 0)
	end := auditProjectKey(project, to, 0)
	var ids []uint64
	c := t.bucket(bucketAuditByProject).Cursor()
	t.read()
	for k, _ := c.Seek(start); k != nil && bytes.Compare(k, end) < 0; k, _ = c.Next() {
		t.read()
		ids = append(ids, btoi(k[16:]))
	}
	return loadIDs[bot.AuditEvent](t, bucketAudit, ids)
}
