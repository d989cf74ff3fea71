package flows

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/calendar"
	"github.com/loopbot/loopbot/store/storetest"
)

// TestCachedPerson: a transaction's cache reads a person once and hands
// out copies, forgets one written through it, and does not keep a person
// that is not there.
func TestCachedPerson(t *testing.T) {
	st := storetest.Open(t)
	ctx := context.Background()
	err := st.Update(ctx, func(raw bot.Tx) error {
		if err := raw.PutPerson(bot.Person{ID: "pg:bob", Name: "Bob", Chosen: []string{"a"}}); err != nil {
			return err
		}
		tx := withProjectCache(raw)
		p, err := tx.Person("pg:bob")
		if err != nil {
			return err
		}
		p.Chosen[0], p.Name = "changed", "Robert"
		if again, _ := tx.Person("pg:bob"); again.Name != "Bob" || again.Chosen[0] != "a" {
			t.Errorf("a caller's change to its copy reached the cache: %+v", again)
		}
		// Written around the cache: the cache still has what it read.
		if err := raw.PutPerson(bot.Person{ID: "pg:bob", Name: "Bobby"}); err != nil {
			return err
		}
		if again, _ := tx.Person("pg:bob"); again.Name != "Bob" {
			t.Errorf("the cache read the person again: %+v", again)
		}
		// Written through it: read afresh.
		if err := tx.PutPerson(bot.Person{ID: "pg:bob", Name: "Bobbie"}); err != nil {
			return err
		}
		if again, _ := tx.Person("pg:bob"); again.Name != "Bobbie" {
			t.Errorf("after PutPerson through the cache: %+v, want Bobbie", again)
		}
		s := &Service{}
		if p := s.readPerson(tx, "pg:nobody"); p.ID != "pg:nobody" || p.Name != "" {
			t.Errorf("readPerson of nobody = %+v", p)
		}
		if _, err := tx.Person("pg:nobody"); bot.ErrorCode(err) != bot.ENOTFOUND {
			t.Errorf("a person not there, after readPerson: error %v, want ENOTFOUND", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPlanKeptWhileProjectStands: a project's plan is made once and used
// again by later transactions while neither the project nor its tasks are
// written, the day and the calendar stay; a task written elsewhere, a
// holiday added or the next day make it again; a plan made in a
// transaction that rolled back is not used afterwards.
func TestPlanKeptWhileProjectStands(t *testing.T) {
	st := storetest.Open(t)
	cal := calendar.New(calendar.Config{})
	s := New(Config{Clock: bot.NewFakeClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)), Calendar: cal,
		Signer: bot.NewSigner("test-secret"), Logger: slog.New(slog.DiscardHandler), Location: time.UTC, Store: st})
	ctx := context.Background()
	due := bot.Date{Year: 2026, Month: 11, Day: 27}
	made := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)
	err := st.Update(ctx, func(tx bot.Tx) error {
		if err := tx.PutProject(bot.Project{ID: 1, Name: "Alpha", Owner: "pg:alice"}); err != nil {
			return err
		}
		for _, task := range []bot.Task{
			{ID: 1, Project: 1, Title: "设计", Assignee: "pg:bob", Status: bot.StatusAccepted, Due: due, EstimateDays: 2, CreatedAt: made},
			{ID: 2, Project: 1, Title: "实现", Assignee: "pg:bob", Status: bot.StatusAccepted, Due: due, EstimateDays: 2, DependsOn: []uint64{1}, CreatedAt: made},
		} {
			if err := tx.PutTask(task); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	today := bot.Date{Year: 2026, Month: 11, Day: 23}
	planOf := func(day bot.Date) *escPlan {
		t.Helper()
		var pp *escPlan
		err := st.View(ctx, func(tx bot.Tx) (err error) {
			pp, err = s.escalationPlan(withProjectCache(tx), 1, day)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return pp
	}
	first := planOf(today)
	if first.plan == nil || len(first.dependants(1)) != 1 {
		t.Fatalf("plan of two tasks, the second after the first: %+v", first)
	}
	if again := planOf(today); again != first {
		t.Errorf("a second transaction made the plan again, with nothing written")
	}
	if next := planOf(today.AddDays(1)); next == first {
		t.Errorf("the next day's plan is the day before's")
	}

	// Written in a transaction that rolls back, after the plan was made
	// in it: the plan made there is not used afterwards.
	errRollback := errors.New("roll back")
	err = st.Update(ctx, func(tx bot.Tx) error {
		t2, err := tx.Task(2)
		if err != nil {
			return err
		}
		t2.Title = "回滚的标题"
		if err := tx.PutTask(t2); err != nil {
			return err
		}
		if pp, err := s.escalationPlan(withProjectCache(tx), 1, today); err != nil || pp.tasks[2].Title != "回滚的标题" {
			t.Errorf("plan in the transaction that wrote the task: %v, %v", pp.tasks[2].Title, err)
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
	if pp := planOf(today); pp.tasks[2].Title != "实现" {
		t.Errorf("after the rollback the plan shows task 2 as %q", pp.tasks[2].Title)
	}

	// Written and committed: made again.
	err = st.Update(ctx, func(tx bot.Tx) error {
		t2, err := tx.Task(2)
		if err != nil {
			return err
		}
		t2.DependsOn = nil
		return tx.PutTask(t2)
	})
	if err != nil {
		t.Fatal(err)
	}
	written := planOf(today)
	if written == first || written.plan != nil || len(written.dependants(1)) != 0 {
		t.Errorf("after task 2 stopped waiting for task 1: same plan %v, dependants %v", written == first, written.dependants(1))
	}

	// A holiday added: made again.
	cal.AddHoliday(bot.Date{Year: 2026, Month: 11, Day: 25}, "")
	if pp := planOf(today); pp == written {
		t.Errorf("a holiday added, the plan was used again")
	}
}
