package flows_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/store"
	"github.com/loopbot/loopbot/store/storetest"
)

// readCounter counts the tasks and people that the escalation check reads.
type readCounter struct {
	bot.Store
	reads atomic.Int64
}

func (s *readCounter) Update(ctx context.Context, fn func(bot.Tx) error) error {
	return s.Store.Update(ctx, func(tx bot.Tx) error { return fn(countingTx{tx, &s.reads}) })
}

func (s *readCounter) View(ctx context.Context, fn func(bot.Tx) error) error {
	return s.Store.View(ctx, func(tx bot.Tx) error { return fn(countingTx{tx, &s.reads}) })
}

type countingTx struct {
	bot.Tx
	reads *atomic.Int64
}

func (t countingTx) Task(id uint64) (bot.Task, error) {
	t.reads.Add(1)
	return t.Tx.Task(id)
}

func (t countingTx) Tasks(f bot.TaskFilter) ([]bot.Task, error) {
	tasks, err := t.Tx.Tasks(f)
	t.reads.Add(int64(len(tasks)))
	return tasks, err
}

func (t countingTx) People() ([]bot.Person, error) {
	people, err := t.Tx.People()
	t.reads.Add(int64(len(people)))
	return people, err
}

// TestEscalationCheckReadsWhatChanged: the first check after a start reads
// every task and person; a later one, with nothing changed and no rule due,
// reads none; after one task changes, it reads that task and its
// assignee's.
func TestEscalationCheckReadsWhatChanged(t *testing.T) {
	loc := benchZone(t)
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, loc) // a Monday
	clock := bot.NewFakeClock(now)
	db := storetest.OpenWith(t, store.Options{Now: clock.Now})
	ctx := context.Background()
	const people = 20
	err := db.Update(ctx, func(tx bot.Tx) error {
		return putFanoutProject(tx, "feishu:ou_boss", 0, people, bot.DateOf(now), now)
	})
	if err != nil {
		t.Fatal(err)
	}
	st := &readCounter{Store: db}
	svc := benchFlows(st, clock, loc)
	check := func() int64 {
		t.Helper()
		st.reads.Store(0)
		if err := svc.RunEscalations(ctx); err != nil {
			t.Fatal(err)
		}
		return st.reads.Load()
	}
	if n := check(); n < people*5 {
		t.Fatalf("the first check read %d tasks and people, want all %d tasks and more", n, people*5)
	}
	clock.Set(now.Add(5 * time.Minute))
	if n := check(); n != 0 {
		t.Errorf("a check with nothing changed read %d tasks and people, want none", n)
	}
	err = db.Update(ctx, func(tx bot.Tx) error {
		task, err := tx.Task(3)
		if err != nil {
			return err
		}
		task.Progress = 90
		return tx.PutTask(task)
	})
	if err != nil {
		t.Fatal(err)
	}
	clock.Set(now.Add(10 * time.Minute))
	// The task, and its assignee's tasks (their missed check-ins end when
	// they have no open task): not the other 95 tasks or 19 people.
	if n := check(); n < 1 || n > 1+5 {
		t.Errorf("a check after one task changed read %d tasks and people, want the task and its assignee's 5", n)
	}
}
