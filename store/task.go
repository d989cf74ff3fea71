package store

import (
	"slices"

	"github.com/loopbot/loopbot/bot"
)

// NextTaskID hands out the next task id. Ids are dense and never reused; one
// handed out in a transaction that rolls back is handed out again.
func (t *tx) NextTaskID() (uint64, error) {
	return t.nextID(bucketTasks, "next task id")
}

// Task returns the task with the given id, or an ENOTFOUND error.
func (t *tx) Task(id uint64) (bot.Task, error) {
	task, ok, err := memoGet(t, t.taskMemo(), bucketTasks, itob(id))
	if err != nil {
		return bot.Task{}, err
	} else if !ok {
		return bot.Task{}, bot.Errorf(bot.ENOTFOUND, "task %s not found", bot.TaskCode(id))
	}
	return task, nil
}

// PutTask stores task and moves its entries in the assignee, project and
// sub-task indexes when those fields changed. It returns EINVALID for a task with no
// id.
func (t *tx) PutTask(task bot.Task) error {
	if err := t.writable("put task"); err != nil {
		return err
	}
	if task.ID == 0 {
		return bot.Errorf(bot.EINVALID, "a task needs an id")
	}
	// A new task has the zero Task as its old self, which has no index
	// entries to remove.
	var old bot.Task
	if _, err := t.get(bucketTasks, itob(task.ID), &old); err != nil {
		return err
	}
	if err := t.reindex(bucketTasksByAssignee, assigneeKey(old, task.ID), assigneeKey(task, task.ID)); err != nil {
		return err
	}
	if err := t.reindex(bucketTasksByProject, projectKey(old, task.ID), projectKey(task, task.ID)); err != nil {
		return err
	}
	if err := t.reindex(bucketTasksByParent, parentKey(old, task.ID), parentKey(task, task.ID)); err != nil {
		return err
	}
	if err := t.claimID(bucketTasks, task.ID); err != nil {
		return err
	}
	// The task's rules, and its people's missed check-ins (which end when
	// they have no open task), are looked at again at the next check.
	changed := []string{taskSubject(task.ID)}
	for _, p := range []bot.PersonID{old.Assignee, task.Assignee} {
		if p != "" {
			changed = append(changed, checkinsSubject(p))
		}
	}
	// Whether a project has dependencies, and so a critical path, changes
	// with its tasks' dependencies and membership: its tasks' escalations
	// are looked at again.
	if !slices.Equal(old.DependsOn, task.DependsOn) || old.Project != task.Project ||
		(old.Status == bot.StatusCancelled) != (task.Status == bot.StatusCancelled) {
		for _, p := range []uint64{old.Project, task.Project} {
			if p != 0 {
				changed = append(changed, projectSubject(p))
				if err := t.newLinksRevision(p); err != nil {
					return err
				}
			}
		}
	}
	if err := t.markChanged(changed...); err != nil {
		return err
	}
	// The plans worked out from the project's tasks are out of date.
	if err := t.newProjectRevision(task.Project); err != nil {
		return err
	}
	if old.Project != task.Project {
		if err := t.newProjectRevision(old.Project); err != nil {
			return err
		}
	}
	return t.put(bucketTasks, itob(task.ID), task)
}

// assigneeKey returns the assignee index key of task (stored as id), or nil
// when it has no assignee.
func assigneeKey(task bot.Task, id uint64) []byte {
	return strKey(string(task.Assignee), id)
}

// projectKey returns the project index key of task (stored as id), or nil
// when it belongs to no project.
func projectKey(task bot.Task, id uint64) []byte {
	if task.Project == 0 {
		return nil
	}
	return idKey(task.Project, id)
}

// parentKey returns the sub-task index key of task (stored as id), or nil
// when it has no parent.
func parentKey(task bot.Task, id uint64) []byte {
	if task.Parent == 0 {
		return nil
	}
	return idKey(task.Parent, id)
}

// Tasks returns the tasks that match f, by id. It reads the sub-task index
// when f names a parent, else the project index when f names a project,
// else the assignee index when f names an assignee, else every task.
func (t *tx) Tasks(f bot.TaskFilter) ([]bot.Task, error) {
	var tasks []bot.Task
	var err error
	switch {
	case f.Parent != 0:
		ids := t.idsWithPrefix(bucketTasksByParent, itob(f.Parent))
		tasks, err = loadMemo(t, t.taskMemo(), bucketTasks, ids)
	case f.Project != 0:
		ids := t.idsWithPrefix(bucketTasksByProject, itob(f.Project))
		tasks, err = loadMemo(t, t.taskMemo(), bucketTasks, ids)
	case f.Assignee != "":
		ids := t.idsWithPrefix(bucketTasksByAssignee, strPrefix(string(f.Assignee)))
		tasks, err = loadMemo(t, t.taskMemo(), bucketTasks, ids)
	default:
		tasks, err = loadAll[bot.Task](t, bucketTasks)
	}
	if err != nil {
		return nil, err
	}
	// Every index key ends with the task id, so the ids come in order.
	return slices.DeleteFunc(tasks, func(x bot.Task) bool { return !f.Match(x) }), nil
}
