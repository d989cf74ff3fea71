package store

import (
	"encoding/binary"

	"github.com/loopbot/loopbot/bot"
)

// NextChangeID hands out the next change request id. Ids are dense and
// never reused; one handed out in a transaction that rolls back is handed
// out again.
func (t *tx) NextChangeID() (uint64, error) {
	return t.nextID(bucketChanges, "next change id")
}

// Change returns the change request with the given id, or an ENOTFOUND
// error.
func (t *tx) Change(id uint64) (bot.ChangeRequest, error) {
	var c bot.ChangeRequest
	ok, err := t.get(bucketChanges, itob(id), &c)
	if err != nil {
		return bot.ChangeRequest{}, err
	} else if !ok {
		return bot.ChangeRequest{}, bot.Errorf(bot.ENOTFOUND, "change request %s not found", bot.ChangeCode(id))
	}
	return c, nil
}

// PutChange stores c and keeps its indexes in step: by project, and the
// pending index while c is pending. It returns EINVALID for a request with
// no id, task, field or creation time, and ECONFLICT for a pending request
// of a task that already has another pending one.
func (t *tx) PutChange(c bot.ChangeRequest) error {
	if err := t.writable("put change"); err != nil {
		return err
	}
	if err := checkChange(c); err != nil {
		return err
	}
	var old bot.ChangeRequest
	if _, err := t.get(bucketChanges, itob(c.ID), &old); err != nil {
		return err
	}
	// The pending index goes first: it is the one that can refuse, and it
	// refuses before anything is written.
	if err := t.reindexPending(old, c); err != nil {
		return err
	}
	if err := t.reindex(bucketChangesByProject, changeProjectKey(old), changeProjectKey(c)); err != nil {
		return err
	}
	if err := t.claimID(bucketChanges, c.ID); err != nil {
		return err
	}
	return t.put(bucketChanges, itob(c.ID), c)
}

// checkChange returns EINVALID unless c has what its keys are made of.
func checkChange(c bot.ChangeRequest) error {
	switch {
	case c.ID == 0:
		return bot.Errorf(bot.EINVALID, "a change request needs an id")
	case c.Task == 0:
		return bot.Errorf(bot.EINVALID, "change request %s needs a task", c.Code())
	case c.Field == "":
		return bot.Errorf(bot.EINVALID, "change request %s needs a field", c.Code())
	case c.State == "":
		return bot.Errorf(bot.EINVALID, "change request %s needs a state", c.Code())
	case c.CreatedAt.IsZero():
		return bot.Errorf(bot.EINVALID, "change request %s needs the time it was made", c.Code())
	}
	return nil
}

// reindexPending moves c's entry in the pending index after it changed from
// old: it leaves the index once decided (or when its task changed), and
// takes its task while pending, unless another request holds it, which is
// an ECONFLICT error.
func (t *tx) reindexPending(old, c bot.ChangeRequest) error {
	b := t.bucket(bucketChangesPending)
	if c.Pending() {
		if v := b.Get(itob(c.Task)); v != nil && btoi(v) != c.ID {
			return bot.Errorf(bot.ECONFLICT, "%s already has a pending change request, %s",
				bot.TaskCode(c.Task), bot.ChangeCode(btoi(v)))
		}
	}
	// The check above keeps one pending request per task, so old's entry,
	// if it had one, names c.
	if old.ID != 0 && old.Pending() && (!c.Pending() || old.Task != c.Task) {
		if err := t.del(bucketChangesPending, itob(old.Task)); err != nil {
			return err
		}
	}
	if !c.Pending() {
		return nil
	}
	return t.putRaw(bucketChangesPending, itob(c.Task), itob(c.ID))
}

// changeProjectKey returns <project><id>, c's key in the project index, or
// nil for the zero request or one with no project.
func changeProjectKey(c bot.ChangeRequest) []byte {
	if c.ID == 0 || c.Project == 0 {
		return nil
	}
	return idKey(c.Project, c.ID)
}

// Changes returns the change requests of a project by id, read through the
// project index; project 0 returns every change request.
func (t *tx) Changes(project uint64) ([]bot.ChangeRequest, error) {
	if project == 0 {
		return loadAll[bot.ChangeRequest](t, bucketChanges)
	}
	ids := t.idsWithPrefix(bucketChangesByProject, binary.BigEndian.AppendUint64(nil, project))
	return loadIDs[bot.ChangeRequest](t, bucketChanges, ids)
}

// PendingChange returns the pending change request of a task, or an
// ENOTFOUND error when there is none.
func (t *tx) PendingChange(task uint64) (bot.ChangeRequest, error) {
	v := t.bucket(bucketChangesPending).Get(itob(task))
	if v == nil {
		return bot.ChangeRequest{}, bot.Errorf(bot.ENOTFOUND, "%s has no pending change request", bot.TaskCode(task))
	}
	return t.Change(btoi(v))
}
