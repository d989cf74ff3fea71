package store

import (
	"context"
	"errors"
	"testing"

	"github.com/loopbot/loopbot/bot"
)

// TestProjectRevision: a project's revision changes when the project or
// one of its tasks is written (a task moved to another project changes
// both), not when another project's task is; a revision written in a
// transaction that rolled back is never given again; the key cannot be
// written through PutMeta.
func TestProjectRevision(t *testing.T) {
	db := MustOpen(t)
	rev := func(pid uint64) string {
		t.Helper()
		var r string
		view(t, db, func(tx bot.Tx) (err error) {
			r, err = tx.(bot.ProjectRevision).ProjectRevision(pid)
			return err
		})
		return r
	}
	if r := rev(1); r != "" {
		t.Fatalf("revision of a project never written: %q", r)
	}
	update(t, db, func(tx bot.Tx) error {
		for _, id := range []uint64{1, 2} {
			if err := tx.PutProject(bot.Project{ID: id, Name: "P", Owner: "playground:boss"}); err != nil {
				return err
			}
		}
		return nil
	})
	p1, p2 := rev(1), rev(2)
	if p1 == "" || p2 == "" || p1 == p2 {
		t.Fatalf("revisions after PutProject: %q, %q", p1, p2)
	}
	putTask := func(task bot.Task) {
		t.Helper()
		update(t, db, func(tx bot.Tx) error { return tx.PutTask(task) })
	}
	task := bot.Task{ID: 1, Project: 1, Title: "接口文档", Assignee: "playground:bob", Status: bot.StatusAssigned}
	putTask(task)
	if r := rev(1); r == p1 {
		t.Errorf("a task written, its project's revision stays %q", r)
	}
	if r := rev(2); r != p2 {
		t.Errorf("another project's revision changed: %q → %q", p2, r)
	}
	p1 = rev(1)
	task.Project = 2
	putTask(task)
	if rev(1) == p1 || rev(2) == p2 {
		t.Errorf("a task moved from P1 to P2: revisions %q → %q and %q → %q", p1, rev(1), p2, rev(2))
	}

	// Rolled back: the revision it wrote is not given to the next writer.
	before := rev(2)
	var rolled string
	errRollback := errors.New("roll back")
	err := db.Update(context.Background(), func(tx bot.Tx) error {
		task.Title = "改"
		if err := tx.PutTask(task); err != nil {
			return err
		}
		rolled, _ = tx.(bot.ProjectRevision).ProjectRevision(2)
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("update: %v", err)
	}
	if r := rev(2); r != before {
		t.Errorf("after a rollback the revision is %q, want %q as before", r, before)
	}
	putTask(task)
	if r := rev(2); r == rolled || r == before {
		t.Errorf("the next write gave revision %q; the rolled back one was %q, the one before %q", r, rolled, before)
	}
	update(t, db, func(tx bot.Tx) error {
		wantCode(t, tx.PutMeta("project_rev/2", []byte("x")), bot.EINVALID)
		return nil
	})
}

// TestLinksRevision: a project's links revision changes when a task joins
// or leaves it, is cancelled or restored, or has its dependencies changed,
// and not when a task's progress, title or due date is; the key cannot be
// written through PutMeta.
func TestLinksRevision(t *testing.T) {
	db := MustOpen(t)
	links := func(pid uint64) string {
		t.Helper()
		var r string
		view(t, db, func(tx bot.Tx) (err error) {
			r, err = tx.(bot.ProjectRevision).LinksRevision(pid)
			return err
		})
		return r
	}
	putTask := func(task bot.Task) {
		t.Helper()
		update(t, db, func(tx bot.Tx) error { return tx.PutTask(task) })
	}
	update(t, db, func(tx bot.Tx) error { return tx.PutProject(bot.Project{ID: 1, Name: "P", Owner: "playground:boss"}) })
	if r := links(1); r != "" {
		t.Fatalf("links revision of a project without tasks: %q", r)
	}
	a := bot.Task{ID: 1, Project: 1, Title: "设计", Assignee: "playground:bob", Status: bot.StatusAccepted}
	b := bot.Task{ID: 2, Project: 1, Title: "开发", Assignee: "playground:bob", Status: bot.StatusAccepted}
	putTask(a)
	putTask(b)
	joined := links(1)
	if joined == "" {
		t.Fatal("tasks joined the project, its links revision stays empty")
	}
	b.Progress, b.Title, b.Due = 60, "开发（一期）", bot.Date{Year: 2026, Month: 12, Day: 4}
	putTask(b)
	if r := links(1); r != joined {
		t.Errorf("progress, title and due date changed the links revision: %q → %q", joined, r)
	}
	for _, change := range []func(){
		func() { b.DependsOn = []uint64{1} },
		func() { a.Status = bot.StatusCancelled },
		func() { a.Status = bot.StatusAccepted },
		func() { b.Project = 0 },
	} {
		before := links(1)
		change()
		putTask(a)
		putTask(b)
		if r := links(1); r == before {
			t.Errorf("after %+v / %+v the links revision stays %q", a, b, r)
		}
	}
	update(t, db, func(tx bot.Tx) error {
		wantCode(t, tx.PutMeta("project_links/1", []byte("x")), bot.EINVALID)
		return nil
	})
}
