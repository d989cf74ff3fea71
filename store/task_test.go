package store

import (
	"slices"
	"testing"

	"github.com/loopbot/loopbot/bot"
)

const (
	alice bot.PersonID = "playground:alice"
	bob   bot.PersonID = "playground:bob"
)

func TestTaskGetPut(t *testing.T) {
	db := MustOpen(t)
	due := bot.NewDate(2026, 3, 20)
	update(t, db, func(tx bot.Tx) error {
		wantCode(t, tx.PutTask(bot.Task{Title: "no id"}), bot.EINVALID)
		return tx.PutTask(bot.Task{ID: 1, Title: "Spec", Assignee: alice, Due: due, DependsOn: []uint64{7}})
	})
	view(t, db, func(tx bot.Tx) error {
		task, err := tx.Task(1)
		if err != nil || task.Title != "Spec" || task.Due != due || !slices.Equal(task.DependsOn, []uint64{7}) {
			t.Errorf("Task(1): %+v, %v", task, err)
		}
		_, err = tx.Task(12)
		wantCode(t, err, bot.ENOTFOUND)
		if msg := bot.ErrorMessage(err); msg != "task T12 not found" {
			t.Errorf("message %q", msg)
		}
		return nil
	})
}

// TestTaskIndexes moves tasks between assignees, projects and statuses, and
// checks that every filter sees the tasks where they are now, and that the
// index buckets hold no stale entries.
func TestTaskIndexes(t *testing.T) {
	db := MustOpen(t)
	put := func(tasks ...bot.Task) {
		t.Helper()
		update(t, db, func(tx bot.Tx) error {
			for _, task := range tasks {
				if err := tx.PutTask(task); err != nil {
					return err
				}
			}
			return nil
		})
	}
	check := func(cases map[string]struct {
		f    bot.TaskFilter
		want []uint64
	}) {
		t.Helper()
		for name, c := range cases {
			t.Run(name, func(t *testing.T) {
				view(t, db, func(tx bot.Tx) error {
					tasks, err := tx.Tasks(c.f)
					if got := taskIDs(tasks); err != nil || !slices.Equal(got, c.want) {
						t.Errorf("Tasks(%+v) = %v, %v; want %v", c.f, got, err, c.want)
					}
					return nil
				})
			})
		}
	}
	type tc = struct {
		f    bot.TaskFilter
		want []uint64
	}

	put(
		bot.Task{ID: 1, Assignee: alice, Project: 1, Status: bot.StatusAccepted},
		bot.Task{ID: 2, Assignee: bob, Project: 1, Parent: 1, Status: bot.StatusAssigned},
		bot.Task{ID: 3, Assignee: alice, Project: 2, Status: bot.StatusDone},
		bot.Task{ID: 4, Assignee: bob, Status: bot.StatusBlocked},
	)
	check(map[string]tc{
		"all":            {bot.TaskFilter{}, []uint64{1, 2, 3, 4}},
		"P1":             {bot.TaskFilter{Project: 1}, []uint64{1, 2}},
		"P2":             {bot.TaskFilter{Project: 2}, []uint64{3}},
		"alice":          {bot.TaskFilter{Assignee: alice}, []uint64{1, 3}},
		"alice open":     {bot.TaskFilter{Assignee: alice, OpenOnly: true}, []uint64{1}},
		"blocked":        {bot.TaskFilter{Status: bot.StatusBlocked}, []uint64{4}},
		"P1 bob":         {bot.TaskFilter{Project: 1, Assignee: bob}, []uint64{2}},
		"unknown person": {bot.TaskFilter{Assignee: "playground:al"}, nil},
		"under T1":       {bot.TaskFilter{Parent: 1}, []uint64{2}},
		"under T2":       {bot.TaskFilter{Parent: 2}, nil},
	})

	put(
		bot.Task{ID: 1, Assignee: bob, Project: 2, Status: bot.StatusDone},
		bot.Task{ID: 3, Project: 2, Parent: 1, Status: bot.StatusDone},
		bot.Task{ID: 4, Assignee: bob, Project: 1, Parent: 2, Status: bot.StatusAccepted},
	)
	check(map[string]tc{
		"after: P1":       {bot.TaskFilter{Project: 1}, []uint64{2, 4}},
		"after: P2":       {bot.TaskFilter{Project: 2}, []uint64{1, 3}},
		"after: alice":    {bot.TaskFilter{Assignee: alice}, nil},
		"after: bob":      {bot.TaskFilter{Assignee: bob}, []uint64{1, 2, 4}},
		"after: bob open": {bot.TaskFilter{Assignee: bob, OpenOnly: true}, []uint64{2, 4}},
		"after: done":     {bot.TaskFilter{Status: bot.StatusDone}, []uint64{1, 3}},
		"after: blocked":  {bot.TaskFilter{Status: bot.StatusBlocked}, nil},
		"after: under T1": {bot.TaskFilter{Parent: 1}, []uint64{2, 3}},
		"after: under T2": {bot.TaskFilter{Parent: 2}, []uint64{4}},
	})

	wantAssignee := []string{string(strKey(string(bob), 1)), string(strKey(string(bob), 2)), string(strKey(string(bob), 4))}
	if got := indexKeys(t, db, bucketTasksByAssignee); !slices.Equal(got, wantAssignee) {
		t.Errorf("assignee index %q, want %q", got, wantAssignee)
	}
	wantProject := []string{string(idKey(1, 2)), string(idKey(1, 4)), string(idKey(2, 1)), string(idKey(2, 3))}
	if got := indexKeys(t, db, bucketTasksByProject); !slices.Equal(got, wantProject) {
		t.Errorf("project index %q, want %q", got, wantProject)
	}
	// T2 moves from under T1 to no parent.
	put(bot.Task{ID: 2, Assignee: bob, Project: 1, Status: bot.StatusAssigned})
	wantParent := []string{string(idKey(1, 3)), string(idKey(2, 4))}
	if got := indexKeys(t, db, bucketTasksByParent); !slices.Equal(got, wantParent) {
		t.Errorf("sub-task index %q, want %q", got, wantParent)
	}
}

func taskIDs(tasks []bot.Task) []uint64 {
	var ids []uint64
	for _, task := range tasks {
		ids = append(ids, task.ID)
	}
	return ids
}
