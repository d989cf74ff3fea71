package store

import (
	"slices"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// change returns a pending due-date change request of a task.
func change(id, task, project uint64) bot.ChangeRequest {
	return bot.ChangeRequest{
		ID: id, Task: task, Project: project, Field: bot.ChangeFieldDue,
		Old: bot.NewDate(2026, 3, 6), New: bot.NewDate(2026, 3, 11), Reason: "API late",
		Requester: alice, AskedOf: "playground:bob", State: bot.ChangePending, CreatedAt: t0, UpdatedAt: t0,
		Impact: bot.ChangeImpact{
			Moves:      []bot.DateMove{{Task: 4, From: bot.NewDate(2026, 3, 9), To: bot.NewDate(2026, 3, 12), Days: 3}},
			FinishFrom: bot.NewDate(2026, 3, 20), FinishTo: bot.NewDate(2026, 3, 25), FinishDays: 3,
			Deadline: bot.NewDate(2026, 3, 24), DeadlineMissed: true, CriticalBefore: []uint64{1, 3}, CriticalAfter: []uint64{1, 3, 4},
			CriticalChanged: true,
		},
	}
}

func changeIDs(cs []bot.ChangeRequest) []uint64 {
	var ids []uint64
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	return ids
}

func TestChangeGetPut(t *testing.T) {
	db := MustOpen(t)
	update(t, db, func(tx bot.Tx) error {
		for want := uint64(1); want <= 2; want++ {
			id, err := tx.NextChangeID()
			if err != nil || id != want {
				t.Errorf("NextChangeID = %d, %v; want %d", id, err, want)
			}
			if err := tx.PutChange(change(id, id+2, 1)); err != nil {
				return err
			}
		}
		// A request stored with an id the sequence never handed out moves
		// the sequence past it.
		if err := tx.PutChange(change(10, 9, 1)); err != nil {
			return err
		}
		if next, _ := tx.NextChangeID(); next != 11 {
			t.Errorf("after storing C10 the next change is C%d, want C11", next)
		}
		return nil
	})
	db = reopen(t, db)
	view(t, db, func(tx bot.Tx) error {
		c, err := tx.Change(1)
		want := change(1, 3, 1)
		if err != nil || c.Task != 3 || c.New != want.New || c.Old != want.Old || c.Reason != "API late" || c.State != bot.ChangePending ||
			!c.CreatedAt.Equal(t0) || c.AskedOf != "playground:bob" {
			t.Errorf("Change(1): %+v, %v", c, err)
		}
		im := c.Impact
		if len(im.Moves) != 1 || im.Moves[0] != want.Impact.Moves[0] || im.FinishTo != want.Impact.FinishTo || im.FinishDays != 3 ||
			!im.DeadlineMissed || !slices.Equal(im.CriticalAfter, []uint64{1, 3, 4}) || !im.CriticalChanged {
			t.Errorf("Change(1) impact after a reopen: %+v", im)
		}
		_, err = tx.Change(7)
		wantCode(t, err, bot.ENOTFOUND)
		if msg := bot.ErrorMessage(err); msg != "change request C7 not found" {
			t.Errorf("message %q", msg)
		}
		return nil
	})
}

func TestPutChangeRefusesBadKeys(t *testing.T) {
	db := MustOpen(t)
	cases := []struct {
		name string
		edit func(*bot.ChangeRequest)
		msg  string
	}{
		{"no id", func(c *bot.ChangeRequest) { c.ID = 0 }, "a change request needs an id"},
		{"no task", func(c *bot.ChangeRequest) { c.Task = 0 }, "change request C1 needs a task"},
		{"no field", func(c *bot.ChangeRequest) { c.Field = "" }, "change request C1 needs a field"},
		{"no state", func(c *bot.ChangeRequest) { c.State = "" }, "change request C1 needs a state"},
		{"not made", func(c *bot.ChangeRequest) { c.CreatedAt = time.Time{} }, "change request C1 needs the time it was made"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := change(1, 3, 1)
			tc.edit(&c)
			update(t, db, func(tx bot.Tx) error {
				err := tx.PutChange(c)
				wantCode(t, err, bot.EINVALID)
				if msg := bot.ErrorMessage(err); msg != tc.msg {
					t.Errorf("message %q, want %q", msg, tc.msg)
				}
				return nil
			})
		})
	}
	for _, b := range []string{bucketChanges, bucketChangesByProject, bucketChangesPending} {
		if n := len(indexKeys(t, db, b)); n != 0 {
			t.Errorf("refused puts left %d keys in %s", n, b)
		}
	}
}

// TestPendingChangeIndex follows the requests of one task: one pending at a
// time, a second refused while the first waits, then allowed once the first
// is decided; and the project index lists each once, through every change.
func TestPendingChangeIndex(t *testing.T) {
	db := MustOpen(t)
	put := func(cs ...bot.ChangeRequest) {
		t.Helper()
		update(t, db, func(tx bot.Tx) error {
			for _, c := range cs {
				if err := tx.PutChange(c); err != nil {
					return err
				}
			}
			return nil
		})
	}
	pending := func(step string, task, want uint64) {
		t.Helper()
		view(t, db, func(tx bot.Tx) error {
			c, err := tx.PendingChange(task)
			if want == 0 {
				wantCode(t, err, bot.ENOTFOUND)
			} else if err != nil || c.ID != want {
				t.Errorf("%s: PendingChange(T%d) = C%d, %v; want C%d", step, task, c.ID, err, want)
			}
			return nil
		})
	}
	byProject := func(step string, project uint64, want ...uint64) {
		t.Helper()
		view(t, db, func(tx bot.Tx) error {
			got, err := tx.Changes(project)
			if err != nil || !slices.Equal(changeIDs(got), want) {
				t.Errorf("%s: Changes(P%d) = %v, %v; want %v", step, project, changeIDs(got), err, want)
			}
			return nil
		})
	}

	c1, c2 := change(1, 3, 1), change(2, 5, 2)
	put(c1, c2)
	pending("two pending", 3, 1)
	pending("two pending", 5, 2)
	pending("two pending", 4, 0)
	byProject("two pending", 1, 1)
	byProject("two pending", 2, 2)

	// A second pending request of T3 is refused, and leaves nothing
	// behind even if the caller carries on.
	update(t, db, func(tx bot.Tx) error {
		err := tx.PutChange(change(3, 3, 1))
		wantCode(t, err, bot.ECONFLICT)
		if msg := bot.ErrorMessage(err); msg != "T3 already has a pending change request, C1" {
			t.Errorf("message %q", msg)
		}
		return nil
	})
	pending("after the refused second", 3, 1)
	byProject("after the refused second", 1, 1)

	c1.State, c1.Decider, c1.DecidedAt, c1.DecisionReason = bot.ChangeRejected, "playground:bob", t0.Add(time.Hour), "no slack"
	put(c1)
	pending("C1 rejected", 3, 0)
	c3 := change(3, 3, 1)
	put(c3)
	pending("C3 asked", 3, 3)
	c3.State, c3.Decider, c3.DecidedAt = bot.ChangeApproved, "playground:bob", t0.Add(2*time.Hour)
	put(c3)
	pending("C3 approved", 3, 0)
	// An applied change never waits.
	c4 := change(4, 3, 1)
	c4.State, c4.AskedOf, c4.Decider, c4.DecidedAt = bot.ChangeApplied, "", "playground:bob", t0
	put(c4)
	pending("C4 applied", 3, 0)
	// A request of a task without a project is kept, and found in the
	// list of all.
	put(change(5, 8, 0))
	pending("C5 of a task without a project", 8, 5)

	byProject("at the end", 1, 1, 3, 4)
	byProject("at the end", 2, 2)
	byProject("every one", 0, 1, 2, 3, 4, 5)
	if keys := indexKeys(t, db, bucketChangesByProject); len(keys) != 4 {
		t.Errorf("project index holds %d keys, want 4: %q", len(keys), keys)
	}
	if keys := indexKeys(t, db, bucketChangesPending); len(keys) != 2 {
		t.Errorf("pending index holds %d keys, want 2 (C2, C5): %q", len(keys), keys)
	}
}

func TestChangeInReadOnlyTx(t *testing.T) {
	db := MustOpen(t)
	view(t, db, func(tx bot.Tx) error {
		if _, err := tx.NextChangeID(); err == nil {
			t.Error("NextChangeID in a View succeeded")
		}
		if err := tx.PutChange(change(1, 3, 1)); err == nil {
			t.Error("PutChange in a View succeeded")
		}
		return nil
	})
}
