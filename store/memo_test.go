package store

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/loopbot/loopbot/bot"
)

// TestMemoClonesEveryReference fills every slice and map of a project and a
// person, and checks that the memo's copy shares none of them: a caller
// that appends to a project's members must not change what the next reader
// gets. A field added later with a slice fails here until the clone copies
// it.
func TestMemoClonesEveryReference(t *testing.T) {
	check := func(name string, v any, clone func(any) any) {
		t.Helper()
		orig := reflect.ValueOf(v).Elem()
		for i := range orig.NumField() {
			f := orig.Field(i)
			switch f.Kind() {
			case reflect.Slice:
				f.Set(reflect.MakeSlice(f.Type(), 1, 1))
			case reflect.Map:
				f.Set(reflect.MakeMap(f.Type()))
			case reflect.Pointer, reflect.Interface, reflect.Chan, reflect.Func:
				t.Errorf("%s.%s is a %s: the memo's clone cannot copy it", name, orig.Type().Field(i).Name, f.Kind())
			}
		}
		c := reflect.ValueOf(clone(orig.Interface()))
		for i := range orig.NumField() {
			f, g := orig.Field(i), c.Field(i)
			if (f.Kind() == reflect.Slice || f.Kind() == reflect.Map) && f.Pointer() == g.Pointer() {
				t.Errorf("%s.%s: the memo's copy shares it with the value kept", name, orig.Type().Field(i).Name)
			}
		}
	}
	check("Project", &bot.Project{}, func(v any) any { return cloneProject(v.(bot.Project)) })
	check("Person", &bot.Person{}, func(v any) any { return clonePerson(v.(bot.Person)) })
	check("Task", &bot.Task{}, func(v any) any { return cloneTask(v.(bot.Task)) })
}

// TestMemoReadsWhatIsStored reads a project and a person through the memo
// while they change: a change made to what a read returned stays the
// caller's, a write is read back at once, and a rolled-back write is not.
func TestMemoReadsWhatIsStored(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	put := func(p bot.Project, person bot.Person) {
		t.Helper()
		err := db.Update(ctx, func(tx bot.Tx) error {
			if err := tx.PutPerson(person); err != nil {
				return err
			}
			return tx.PutProject(p)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	read := func() (p bot.Project, person bot.Person) {
		t.Helper()
		err := db.View(ctx, func(tx bot.Tx) (err error) {
			if p, err = tx.Project(1); err != nil {
				return err
			}
			person, err = tx.Person("playground:a")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return p, person
	}
	proj := bot.Project{ID: 1, Name: "一期", Owner: "playground:m", Members: []bot.PersonID{"playground:a"}}
	person := bot.Person{ID: "playground:a", Name: "A", Chosen: []string{"x"}}
	put(proj, person)

	p, a := read()
	p.Members[0], a.Chosen[0] = "playground:changed", "changed"
	if p, a = read(); p.Members[0] != "playground:a" || a.Chosen[0] != "x" {
		t.Fatalf("after a caller changed what it read: members %v, chosen %v; want the stored ones", p.Members, a.Chosen)
	}

	proj.Name, proj.Members = "二期", append(proj.Members, "playground:b")
	person.Name = "B"
	put(proj, person)
	if p, a = read(); p.Name != "二期" || len(p.Members) != 2 || a.Name != "B" {
		t.Fatalf("after a write: %q %v, %q; want 二期 with 2 members, B", p.Name, p.Members, a.Name)
	}

	errNo := errors.New("roll back")
	err := db.Update(ctx, func(tx bot.Tx) error {
		q := proj
		q.Name = "三期"
		if err := tx.PutProject(q); err != nil {
			return err
		}
		if got, err := tx.Project(1); err != nil || got.Name != "三期" {
			t.Errorf("inside the write: %q, %v; want 三期", got.Name, err)
		}
		return errNo
	})
	if !errors.Is(err, errNo) {
		t.Fatal(err)
	}
	if p, _ = read(); p.Name != "二期" {
		t.Fatalf("after a rolled-back write: %q, want 二期", p.Name)
	}
}

// TestMemoTasks reads a task through Task and Tasks: the second read of the
// same stored bytes is the memo's (a value planted for those bytes comes
// back), a change to what a read returned stays the caller's, and a write
// is read back at once.
func TestMemoTasks(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	task := bot.Task{ID: 1, Project: 1, Title: "浇筑", Assignee: "playground:a", Status: bot.StatusAccepted, DependsOn: []uint64{7}}
	if err := db.Update(ctx, func(tx bot.Tx) error { return tx.PutTask(task) }); err != nil {
		t.Fatal(err)
	}
	read := func() (one bot.Task, all []bot.Task) {
		t.Helper()
		err := db.View(ctx, func(tx bot.Tx) (err error) {
			if one, err = tx.Task(1); err != nil {
				return err
			}
			all, err = tx.Tasks(bot.TaskFilter{Project: 1})
			return err
		})
		if err != nil || len(all) != 1 {
			t.Fatalf("read: %v, %d tasks", err, len(all))
		}
		return one, all
	}
	one, all := read()
	one.DependsOn[0], all[0].DependsOn[0] = 8, 9
	if one, all = read(); one.DependsOn[0] != 7 || all[0].DependsOn[0] != 7 {
		t.Fatalf("after callers changed what they read: %v and %v, want [7]", one.DependsOn, all[0].DependsOn)
	}

	// A hit is the memo's value: plant one for the stored bytes.
	db.memos.tasks.mu.Lock()
	e := db.memos.tasks.m[string(itob(1))]
	e.v.Title = "planted"
	db.memos.tasks.m[string(itob(1))] = e
	db.memos.tasks.mu.Unlock()
	if one, all = read(); one.Title != "planted" || all[0].Title != "planted" {
		t.Fatalf("a read of the same bytes gave %q and %q, want the memo's", one.Title, all[0].Title)
	}

	task.Title = "养护"
	if err := db.Update(ctx, func(tx bot.Tx) error { return tx.PutTask(task) }); err != nil {
		t.Fatal(err)
	}
	if one, all = read(); one.Title != "养护" || all[0].Title != "养护" {
		t.Fatalf("after a write: %q and %q, want 养护", one.Title, all[0].Title)
	}
}
