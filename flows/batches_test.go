package flows_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/flows"
)

// batchTeam is how many members the project of TestJobsCommitInShortTransactions has.
const batchTeam = 24

// weekOfJobs runs every scheduled job from Thursday 2026-11-05 08:00 to the
// next Monday 10:00 (the escalation check every 3 hours) over a project of
// batchTeam members with stale and overdue tasks, a few of whom report
// progress each morning, with the flows' TxBudget set to budget. It returns
// what each person and chat got at each moment (after each scheduled slot
// and each command): the messages queued, each rendered as text, sorted;
// and the write transactions each job committed, summed over its runs.
func weekOfJobs(t *testing.T, budget time.Duration) (map[string][]string, map[string]int64) {
	r := newRigWith(t, time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC), func(c *flows.Config) { // 08:00 in Shanghai
		c.TxBudget = budget
		c.Schedule = flows.DefaultSchedule()
		c.Schedule.CheckEvery = 3 * time.Hour
	})
	start := r.clock.Now()
	old := start.AddDate(0, 0, -10)
	err := r.st.Update(context.Background(), func(tx bot.Tx) error {
		pid, err := tx.NextProjectID()
		if err != nil {
			return err
		}
		p := bot.Project{ID: pid, Name: "Batch", Owner: "playground:bob", Start: bot.DateOf(old),
			Groups: []bot.Target{bot.Group(bot.Playground, "g1")}, CreatedAt: old, UpdatedAt: old}
		for i := range batchTeam {
			id := bot.PersonID(fmt.Sprintf("playground:u%02d", i))
			err := tx.PutPerson(bot.Person{ID: id, Name: fmt.Sprintf("U%02d", i), Role: bot.RoleMember, Manager: "playground:bob", CreatedAt: old, UpdatedAt: old})
			if err != nil {
				return err
			}
			p.Members = append(p.Members, id)
			for j := range 2 {
				tid, err := tx.NextTaskID()
				if err != nil {
					return err
				}
				due := bot.DateOf(start).AddDays(-1 + (i+j)%6)
				err = tx.PutTask(bot.Task{ID: tid, Project: pid, Title: fmt.Sprintf("Work %d.%d", i, j), Assignee: id,
					Assigner: "playground:bob", PlannedStart: bot.DateOf(old), Due: due, BaselineDue: due, EstimateDays: 2,
					Priority: bot.PrioNormal, Status: bot.StatusAccepted, Progress: 10, ProgressAt: old, StatusAt: old,
					CreatedAt: old, UpdatedAt: old})
				if err != nil {
					return err
				}
			}
		}
		return tx.PutProject(p)
	})
	if err != nil {
		t.Fatal(err)
	}
	writes := map[string]int64{}
	jobs := r.svc.Jobs()
	for i := range jobs {
		name, run := jobs[i].Name, jobs[i].Run
		jobs[i].Run = func(ctx context.Context, slot time.Time) error {
			before := r.writes.Load()
			err := run(ctx, slot)
			writes[name] += r.writes.Load() - before
			return err
		}
	}
	got := map[string][]string{}
	keep := func(ms []queued) {
		for _, m := range ms {
			key := r.clock.Now().Format(time.DateTime) + " " + m.To.String()
			raw, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			got[key] = append(got[key], string(raw))
			slices.Sort(got[key])
		}
	}
	settle := func(context.Context) error { keep(r.drain()); return nil }
	sched := bot.NewScheduler(r.st, r.clock, nil, jobs...)
	for d := bot.DateOf(start); !d.After(bot.DateOf(start).AddDays(4)); d = d.AddDays(1) {
		if err := sched.AdvanceTo(context.Background(), r.clock, d.At(10, 0, r.loc), nil, settle); err != nil {
			t.Fatal(err)
		}
		if r.cal.IsWorkday(d) {
			for i := d.Day % 3; i < batchTeam; i += 5 {
				keep(r.do(fmt.Sprintf("u%02d", i), "", fmt.Sprintf("/progress T%d %d", 2*i+1, 20+d.Day)))
			}
		}
		if err := sched.AdvanceTo(context.Background(), r.clock, d.At(23, 0, r.loc), nil, settle); err != nil {
			t.Fatal(err)
		}
	}
	return got, writes
}

// TestJobsCommitInShortTransactions runs the same days of scheduled jobs
// with a transaction budget that fits every step of a run (each run
// commits in one or two transactions) and with one so small that each step
// commits alone, and checks that the jobs over many people did commit in
// many transactions, and that everyone got the same messages at the same
// moments from both.
func TestJobsCommitInShortTransactions(t *testing.T) {
	whole, wholeWrites := weekOfJobs(t, time.Hour)
	split, splitWrites := weekOfJobs(t, time.Nanosecond)
	for _, job := range []string{"checkin", "checkin_reminder", "escalation", "review_prompt"} {
		if splitWrites[job] < 2*wholeWrites[job] || splitWrites[job] < batchTeam {
			t.Errorf("%s: %d write transactions one step each, %d in whole runs; want many more", job, splitWrites[job], wholeWrites[job])
		}
	}
	n := 0
	titles := map[string]bool{}
	for key, ms := range whole {
		n += len(ms)
		for _, m := range ms {
			var q queued
			if err := json.Unmarshal([]byte(m), &q); err == nil && q.Card != nil {
				titles[strings.Fields(q.Card.Title)[0]] = true
			}
		}
		if !slices.Equal(ms, split[key]) {
			t.Errorf("%s: with whole runs\n%s\nwith one step per transaction\n%s", key, strings.Join(ms, "\n"), strings.Join(split[key], "\n"))
		}
	}
	for key, ms := range split {
		if _, ok := whole[key]; !ok {
			t.Errorf("%s: only with one step per transaction:\n%s", key, strings.Join(ms, "\n"))
		}
	}
	if n < 5*batchTeam {
		t.Errorf("the days queued %d messages; the scenario should make more", n)
	}
	t.Logf("%d messages (%d kinds of card); write transactions whole %v, split %v", n, len(titles), wholeWrites, splitWrites)
}
