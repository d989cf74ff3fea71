package store

import (
	"slices"

	"github.com/loopbot/loopbot/bot"
)

// NextProjectID hands out the next project id. Ids are dense and never
// reused; one handed out in a transaction that rolls back is handed out
// again.
func (t *tx) NextProjectID() (uint64, error) {
	return t.nextID(bucketProjects, "next project id")
}

// Project returns the project with the given id, or an ENOTFOUND error.
func (t *tx) Project(id uint64) (bot.Project, error) {
	p, ok, err := memoGet(t, t.projectMemo(), bucketProjects, itob(id))
	if err != nil {
		return bot.Project{}, err
	} else if !ok {
		return bot.Project{}, bot.Errorf(bot.ENOTFOUND, "project %s not found", bot.ProjectCode(id))
	}
	return p, nil
}

// PutProject stores p and keeps the group index in step: an open project
// that binds a group it did not bind before takes the group over; a group it
// no longer binds, or every group when it closes, passes to the newest other
// open project that binds it, if any. It returns EINVALID for a project with
// no id.
func (t *tx) PutProject(p bot.Project) error {
	if err := t.writable("put project"); err != nil {
		return err
	}
	if p.ID == 0 {
		return bot.Errorf(bot.EINVALID, "a project needs an id")
	}
	var old bot.Project
	if _, err := t.get(bucketProjects, itob(p.ID), &old); err != nil {
		return err
	}
	if err := t.put(bucketProjects, itob(p.ID), p); err != nil {
		return err
	}
	if err := t.newProjectRevision(p.ID); err != nil {
		return err
	}
	if err := t.markChanged(projectSubject(p.ID)); err != nil {
		return err
	}
	if old.ID != 0 && old.Closed != p.Closed {
		// Whether its open tasks' assignees still have work (their missed
		// check-ins' warning ends when they have none) changes with it.
		if err := t.markAssignees(p.ID); err != nil {
			return err
		}
	}
	if err := t.claimID(bucketProjects, p.ID); err != nil {
		return err
	}
	return t.reindexGroups(old, p)
}

// markAssignees marks the check-ins of the assignees of project id's open
// tasks as changed (bot.DueCheckinsPrefix).
func (t *tx) markAssignees(id uint64) error {
	tasks, err := t.Tasks(bot.TaskFilter{Project: id, OpenOnly: true})
	if err != nil {
		return err
	}
	var subjects []string
	for _, task := range tasks {
		if s := checkinsSubject(task.Assignee); task.Assignee != "" && !slices.Contains(subjects, s) {
			subjects = append(subjects, s)
		}
	}
	return t.markChanged(subjects...)
}

// reindexGroups updates the group index after a project changed from old to
// p; p is already stored.
func (t *tx) reindexGroups(old, p bot.Project) error {
	before, after := boundGroups(old), boundGroups(p)
	b := t.bucket(bucketProjectsByGroup)
	for _, g := range before {
		if slices.Contains(after, g) {
			continue
		}
		if v := b.Get([]byte(g)); v == nil || btoi(v) != p.ID {
			continue
		}
		if err := t.rebindGroup(g); err != nil {
			return err
		}
	}
	for _, g := range after {
		// A project that keeps a group it had does not take it back from a
		// project that was bound to the group since.
		if slices.Contains(before, g) && b.Get([]byte(g)) != nil {
			continue
		}
		if err := t.putRaw(bucketProjectsByGroup, []byte(g), itob(p.ID)); err != nil {
			return err
		}
	}
	return nil
}

// rebindGroup points the group g at the newest open project that binds it,
// or removes it from the index when none does.
func (t *tx) rebindGroup(g string) error {
	projects, err := loadAll[bot.Project](t, bucketProjects)
	if err != nil {
		return err
	}
	for _, p := range slices.Backward(projects) {
		if slices.Contains(boundGroups(p), g) {
			return t.putRaw(bucketProjectsByGroup, []byte(g), itob(p.ID))
		}
	}
	return t.del(bucketProjectsByGroup, []byte(g))
}

// boundGroups returns the index keys of the groups p binds: none for a
// closed project.
func boundGroups(p bot.Project) []string {
	if p.Closed {
		return nil
	}
	keys := make([]string, len(p.Groups))
	for i, g := range p.Groups {
		keys[i] = g.String()
	}
	return keys
}

// Projects returns every project, open and closed, by id.
func (t *tx) Projects() ([]bot.Project, error) {
	return loadAll[bot.Project](t, bucketProjects)
}

// ProjectByGroup returns the open project bound to the group chat g, or an
// ENOTFOUND error when there is none.
func (t *tx) ProjectByGroup(g bot.Target) (bot.Project, error) {
	notFound := bot.Errorf(bot.ENOTFOUND, "no open project is bound to this chat")
	v := t.bucket(bucketProjectsByGroup).Get([]byte(g.String()))
	if v == nil {
		return bot.Project{}, notFound
	}
	p, err := t.Project(btoi(v))
	if err != nil {
		return bot.Project{}, err
	}
	if p.Closed {
		return bot.Project{}, notFound
	}
	return p, nil
}
