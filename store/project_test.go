package store

import (
	"slices"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
)

func TestProjects(t *testing.T) {
	db := MustOpen(t)
	update(t, db, func(tx bot.Tx) error {
		wantCode(t, tx.PutProject(bot.Project{Name: "no id"}), bot.EINVALID)
		for _, name := range []string{"Launch", "Audit"} {
			id, err := tx.NextProjectID()
			if err != nil {
				return err
			}
			if err := tx.PutProject(bot.Project{ID: id, Name: name, Owner: "playground:boss"}); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, db, func(tx bot.Tx) error {
		p, err := tx.Project(2)
		if err != nil || p.Name != "Audit" || p.Code() != "P2" {
			t.Errorf("Project(2): %+v, %v", p, err)
		}
		_, err = tx.Project(9)
		wantCode(t, err, bot.ENOTFOUND)
		if msg := bot.ErrorMessage(err); msg != "project P9 not found" {
			t.Errorf("message %q", msg)
		}
		all, _ := tx.Projects()
		if len(all) != 2 || all[0].Name != "Launch" || all[1].Name != "Audit" {
			t.Errorf("Projects: %+v", all)
		}
		return nil
	})
}

func TestProjectByGroup(t *testing.T) {
	db := MustOpen(t)
	g := bot.Group(bot.Feishu, "oc_team")
	h := bot.Group(bot.DingTalk, "cid_other")
	p1 := bot.Project{ID: 1, Name: "Launch"}
	p2 := bot.Project{ID: 2, Name: "Audit"}
	steps := []struct {
		name   string
		put    bot.Project
		target bot.Target
		want   uint64 // 0 means ENOTFOUND
	}{
		{"unbound group", p1, g, 0},
		{"bound", with(p1, g), g, 1},
		{"other platform's group unbound", with(p1, g), h, 0},
		{"bound by a second project", with(p2, g), g, 2},
		{"first project edited does not take it back", renamed(with(p1, g), "Launch v2"), g, 2},
		{"second project closes: first is bound again", closed(with(p2, g)), g, 1},
		{"first project unbinds", p1, g, 0},
		{"closed project reopens with the group", with(p2, g), g, 2},
		{"closed project binds nothing", closed(with(p2, g, h)), h, 0},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			update(t, db, func(tx bot.Tx) error { return tx.PutProject(s.put) })
			view(t, db, func(tx bot.Tx) error {
				p, err := tx.ProjectByGroup(s.target)
				if s.want == 0 {
					wantCode(t, err, bot.ENOTFOUND)
				} else if err != nil || p.ID != s.want {
					t.Errorf("ProjectByGroup: %s, %v; want %s", p.Code(), err, bot.ProjectCode(s.want))
				}
				return nil
			})
		})
	}
	if keys := indexKeys(t, db, bucketProjectsByGroup); len(keys) != 0 {
		t.Errorf("group index holds %q with no open project bound", keys)
	}
}

func with(p bot.Project, groups ...bot.Target) bot.Project {
	p.Groups = groups
	return p
}

func renamed(p bot.Project, name string) bot.Project {
	p.Name = name
	return p
}

func closed(p bot.Project) bot.Project {
	p.Closed = true
	return p
}

// TestClosingAProjectMarksItsAssignees: closing a project, and opening it
// again, marks the check-ins of its open tasks' assignees as changed (their
// missed check-ins warning ends when they have no work left), and no one
// else's; an edit that leaves it open marks only the project.
func TestClosingAProjectMarksItsAssignees(t *testing.T) {
	db := MustOpen(t)
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	p := bot.Project{ID: 1, Name: "Alpha", Owner: alice, CreatedAt: at, UpdatedAt: at}
	update(t, db, func(tx bot.Tx) error {
		if err := tx.PutProject(p); err != nil {
			return err
		}
		for i, who := range []bot.PersonID{alice, bob, alice} {
			task := bot.Task{ID: uint64(i + 1), Project: 1, Title: "T", Assignee: who, Status: bot.StatusAccepted, CreatedAt: at, UpdatedAt: at}
			if i == 1 {
				task.Status = bot.StatusDone // bob's only task is done: no work of his
			}
			if err := tx.PutTask(task); err != nil {
				return err
			}
		}
		return tx.PutTask(bot.Task{ID: 4, Title: "elsewhere", Assignee: "feishu:carol", Status: bot.StatusAccepted, CreatedAt: at, UpdatedAt: at})
	})
	due := func(change func(*bot.Project)) []string {
		t.Helper()
		var got []string
		update(t, db, func(tx bot.Tx) error {
			if _, _, err := tx.TakeDue(bot.DueNever, 1000); err != nil { // forget what was marked before
				return err
			}
			change(&p)
			if err := tx.PutProject(p); err != nil {
				return err
			}
			var err error
			got, err = tx.DueSubjects(at)
			slices.Sort(got)
			return err
		})
		return got
	}
	marked := []string{bot.DueCheckinsPrefix + string(alice), bot.DueProjectPrefix + "1"}
	if got := due(func(p *bot.Project) { p.Closed = true }); !slices.Equal(got, marked) {
		t.Errorf("closing it marked %q; want %q", got, marked)
	}
	if got := due(func(p *bot.Project) { p.Name = "Alpha 2" }); !slices.Equal(got, []string{bot.DueProjectPrefix + "1"}) {
		t.Errorf("renaming it while closed marked %q; want the project only", got)
	}
	if got := due(func(p *bot.Project) { p.Closed = false }); !slices.Equal(got, marked) {
		t.Errorf("opening it again marked %q; want %q", got, marked)
	}
}
