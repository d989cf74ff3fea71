package flows_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/store"
	"github.com/loopbot/loopbot/store/storetest"
)

// TestCriticalPathEscalatesSooner: with critical_path_factor 2 (the
// default), an overdue task on the critical path reaches the manager after
// half a working day and the group after one, while an equally overdue task
// with a day of slack waits the full one and two; the red warning names
// what the critical task holds up, the milestone it feeds and the projected
// finish.
//
// The plan (2026 PRC calendar, working days 11-23 Mon .. 11-26 Thu), all
// tasks made on Monday 11-23, deadline Wed 11-25:
//
//	T1 接口 (bob, 1 day, due 11-23)       → T2 联调 (carol, 2 days, due 11-25) → T3 上线 (milestone, due 11-25)
//	T4 文档 (bob, 1 day, due 11-23)       → T5 培训 (carol, 1 day, due 11-25)
//
// The project finish is 11-25. T1 must end 11-23 for T2's two days to end
// by 11-25: critical. T4 may end as late as 11-24 (T5 takes one day):
// 1 day of slack. On Tuesday both are overdue. On Wednesday T1 is
// projected to finish that day, T2 11-26..11-27, so the project 11-27,
// after the deadline.
func TestCriticalPathEscalatesSooner(t *testing.T) {
	loc := benchZone(t)
	monday := time.Date(2026, 11, 23, 9, 0, 0, 0, loc)
	clock := bot.NewFakeClock(monday)
	db := storetest.OpenWith(t, store.Options{Now: clock.Now})
	ctx := context.Background()
	alice, bob, carol := bot.PersonID("playground:alice"), bot.PersonID("playground:bob"), bot.PersonID("playground:carol")
	group := bot.Group(bot.Playground, "alpha")
	err := db.Update(ctx, func(tx bot.Tx) error {
		for _, p := range []bot.Person{{ID: alice, Name: "Alice"}, {ID: bob, Name: "Bob"}, {ID: carol, Name: "Carol"}} {
			p.Role, p.CreatedAt, p.UpdatedAt = bot.RoleMember, monday, monday
			if err := tx.PutPerson(p); err != nil {
				return err
			}
		}
		err := tx.PutProject(bot.Project{ID: 1, Name: "Alpha", Owner: alice, Members: []bot.PersonID{bob, carol},
			Groups: []bot.Target{group}, Deadline: bot.NewDate(2026, 11, 25), CreatedAt: monday, UpdatedAt: monday})
		if err != nil {
			return err
		}
		day := func(d int) bot.Date { return bot.NewDate(2026, 11, d) }
		for _, x := range []bot.Task{
			{ID: 1, Title: "接口", Assignee: bob, Due: day(23), EstimateDays: 1},
			{ID: 2, Title: "联调", Assignee: carol, Due: day(25), EstimateDays: 2, DependsOn: []uint64{1}},
			{ID: 3, Title: "上线", Assignee: alice, Due: day(25), Milestone: true, DependsOn: []uint64{2}},
			{ID: 4, Title: "文档", Assignee: bob, Due: day(23), EstimateDays: 1},
			{ID: 5, Title: "培训", Assignee: carol, Due: day(25), EstimateDays: 1, DependsOn: []uint64{4}},
		} {
			x.Project, x.Assigner, x.Status, x.Priority = 1, alice, bot.StatusAccepted, bot.PrioNormal
			x.CreatedAt, x.UpdatedAt, x.StatusAt, x.ProgressAt = monday, monday, monday, monday
			if _, err := tx.NextTaskID(); err != nil {
				return err
			}
			if err := tx.PutTask(x); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	svc := benchFlows(db, clock, loc)
	// The board marks the same critical path: T4 alone has slack.
	err = db.View(ctx, func(tx bot.Tx) error {
		b, err := svc.Board(tx, 1, monday)
		if err == nil && strings.Join(slices.Sorted(slices.Values(b.Critical)), " ") != "T1 T2 T3 T5" {
			t.Errorf("board critical = %v, want T1 T2 T3 T5 (in the board's order)", b.Critical)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// colors returns the colour of each task's newest escalation card in
	// each chat ("T1 dm:alice" → "yellow"), and the group warnings' texts.
	colors := func(at time.Time) (map[string]string, []string) {
		t.Helper()
		clock.Set(at)
		if err := svc.RunEscalations(ctx); err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		var red []string
		seen := map[uint64]bool{}
		err := db.View(ctx, func(tx bot.Tx) error {
			items, err := tx.PendingOutbox(10000)
			for _, it := range items {
				if it.CardID == 0 || seen[it.CardID] {
					continue
				}
				seen[it.CardID] = true
				c, err := tx.Card(it.CardID)
				if err != nil {
					return err
				}
				switch c.Card.Kind {
				case bot.CardEscalation:
					got[c.Card.Refs["task"]+" "+c.Target.String()] = string(c.Card.Color)
				case bot.CardGroupWarning:
					red = append(red, c.Card.Text)
				}
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return got, red
	}
	alicesT1, alicesT4 := "T1 "+bot.DM(alice).String(), "T4 "+bot.DM(alice).String()

	got, red := colors(time.Date(2026, 11, 24, 9, 0, 0, 0, loc))
	if got["T1 "+bot.DM(bob).String()] != "blue" || got["T4 "+bot.DM(bob).String()] != "blue" || got[alicesT1] != "" || len(red) != 0 {
		t.Fatalf("Tuesday 09:00: %v, group %q; want both blue to bob", got, red)
	}
	// Half of the working day 09:00-18:00 after the first warning.
	got, _ = colors(time.Date(2026, 11, 24, 14, 0, 0, 0, loc))
	if got[alicesT1] != "yellow" || got[alicesT4] != "" {
		t.Fatalf("Tuesday 14:00: %v; want T1 (critical) yellow to alice, T4 not yet", got)
	}
	got, red = colors(time.Date(2026, 11, 25, 9, 5, 0, 0, loc))
	if got[alicesT4] != "yellow" || len(red) != 1 {
		t.Fatalf("Wednesday 09:05: %v, group %q; want T4 yellow, one group warning (T1)", got, red)
	}
	for _, want := range []string{"T1 接口", "影响后续：T2 联调。", "里程碑 T3 上线（计划 2026-11-25", "位于关键路径上。", "项目预计完工：2026-11-27", "晚于截止日期"} {
		if !strings.Contains(red[0], want) {
			t.Errorf("group warning lacks %q:\n%s", want, red[0])
		}
	}
	if strings.Contains(red[0], "T4") {
		t.Errorf("T4 is in Wednesday's group warning:\n%s", red[0])
	}
	// Thursday: T4 reaches the group too (with T1 again, a day later).
	_, red = colors(time.Date(2026, 11, 26, 9, 5, 0, 0, loc))
	var t4 string
	if len(red) == 2 {
		for _, line := range strings.Split(red[1], "\n") {
			if strings.Contains(line, "T4 文档") {
				t4 = line
			}
		}
	}
	if !strings.Contains(t4, "影响后续：T5 培训。") || strings.Contains(t4, "关键路径") || strings.Contains(t4, "里程碑") {
		t.Fatalf("Thursday 09:05 group warnings: %q; want T4 in the second, holding up T5, not critical, no milestone", red)
	}
}
