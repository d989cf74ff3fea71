package plan_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/calendar"
	"github.com/loopbot/loopbot/plan"
)

// prc is the 2026 PRC working-day calendar as shipped (data/cn.txt): in the
// span of these tests, 2026-09-25..27 (中秋节) and 2026-10-01..07 (国庆节)
// are off, and Saturday 2026-10-10 is a make-up working day.
var prc = calendar.New(calendar.Config{})

// The working days from 2026-09-24, numbered as in the tests below:
//
//	0 Thu 09-24   4 Thu 10-08   8 Tue 10-13  12 Mon 10-19  16 Fri 10-23
//	1 Mon 09-28   5 Fri 10-09   9 Wed 10-14  13 Tue 10-20  17 Mon 10-26
//	2 Tue 09-29   6 Sat 10-10  10 Thu 10-15  14 Wed 10-21  18 Tue 10-27
//	3 Wed 09-30   7 Mon 10-12  11 Fri 10-16  15 Thu 10-22  19 Wed 10-28
func d(m time.Month, day int) bot.Date { return bot.NewDate(2026, m, day) }

var start = d(9, 24)

// milwaukee is the Milwaukee Paper Manufacturing network of J. Heizer and
// B. Render, Operations Management (Pearson; chapter 3, "Project
// Management", examples 4-9 and table 3.3 in the 10th-12th editions): eight
// activities in weeks, read here as working days.
//
//	act  dur  after   ES EF  LS LF  slack
//	A    2    -        0  2   0  2   0    critical
//	B    3    -        0  3   1  4   1
//	C    2    A        2  4   2  4   0    critical
//	D    4    A,B      3  7   4  8   1
//	E    4    C        4  8   4  8   0    critical
//	F    3    C        4  7  10 13   6
//	G    5    D,E      8 13   8 13   0    critical
//	H    2    F,G     13 15  13 15   0    critical
//
// The book counts in elapsed units from 0 (EF = ES + duration); in dates,
// activity X starts on working day ES and ends on working day EF-1 of the
// table above. The project takes 15 units: working days 0..14, 2026-09-24 to
// 2026-10-21, across both holidays and the make-up Saturday. Free slack (not
// in the book's table, by hand): B 0 (D starts at 3), D 1 (G starts at 8),
// F 6 (H starts at 13), every other 0.
func milwaukee() []plan.Task {
	return []plan.Task{
		{ID: 1, Title: "A build internal components", Estimate: 2},
		{ID: 2, Title: "B modify roof and floor", Estimate: 3},
		{ID: 3, Title: "C construct collection stack", Estimate: 2, After: []uint64{1}},
		{ID: 4, Title: "D pour concrete and install frame", Estimate: 4, After: []uint64{1, 2}},
		{ID: 5, Title: "E build high-temperature burner", Estimate: 4, After: []uint64{3}},
		{ID: 6, Title: "F install pollution control system", Estimate: 3, After: []uint64{3}},
		{ID: 7, Title: "G install air pollution device", Estimate: 5, After: []uint64{4, 5}},
		{ID: 8, Title: "H inspect and test", Estimate: 2, After: []uint64{6, 7}},
	}
}

type want struct {
	id                   uint64
	es, ef, ls, lf       bot.Date
	total, free          int
	critical             bool
	finish, projected    bot.Date // zero: ef
	duration             int      // -1: not checked
	summary, done, miles bool
}

func check(t *testing.T, p *plan.Plan, ws []want) {
	t.Helper()
	for _, w := range ws {
		s, ok := p.Slots[w.id]
		if !ok {
			t.Errorf("T%d: no slot", w.id)
			continue
		}
		fin := w.finish
		if fin.IsZero() {
			fin = w.ef
		}
		got := [][2]bot.Date{{s.ES, w.es}, {s.EF, w.ef}, {s.LS, w.ls}, {s.LF, w.lf}, {s.Finish, fin}}
		for k, name := range []string{"ES", "EF", "LS", "LF", "Finish"} {
			if got[k][0] != got[k][1] {
				t.Errorf("T%d %s = %s, want %s", w.id, name, got[k][0], got[k][1])
			}
		}
		if !w.projected.IsZero() && s.Projected != w.projected {
			t.Errorf("T%d Projected = %s, want %s", w.id, s.Projected, w.projected)
		}
		if s.TotalSlack != w.total || s.FreeSlack != w.free || s.Critical != w.critical {
			t.Errorf("T%d slack total %d free %d critical %v, want %d %d %v", w.id, s.TotalSlack, s.FreeSlack, s.Critical, w.total, w.free, w.critical)
		}
		if w.duration >= 0 && s.Duration != w.duration {
			t.Errorf("T%d Duration = %d, want %d", w.id, s.Duration, w.duration)
		}
		if s.Summary != w.summary || s.Done != w.done || s.Milestone != w.miles {
			t.Errorf("T%d summary/done/milestone = %v %v %v, want %v %v %v", w.id, s.Summary, s.Done, s.Milestone, w.summary, w.done, w.miles)
		}
	}
}

func mustCompute(t *testing.T, in plan.Input) *plan.Plan {
	t.Helper()
	if in.Cal == nil {
		in.Cal = prc
	}
	p, err := plan.Compute(in)
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	return p
}

func TestTextbookMilwaukee(t *testing.T) {
	p := mustCompute(t, plan.Input{Tasks: milwaukee(), Start: start, Today: start, Deadline: d(10, 23)})
	check(t, p, []want{
		{id: 1, es: d(9, 24), ef: d(9, 28), ls: d(9, 24), lf: d(9, 28), critical: true, duration: 2},
		{id: 2, es: d(9, 24), ef: d(9, 29), ls: d(9, 28), lf: d(9, 30), total: 1, duration: 3},
		{id: 3, es: d(9, 29), ef: d(9, 30), ls: d(9, 29), lf: d(9, 30), critical: true, duration: 2},
		{id: 4, es: d(9, 30), ef: d(10, 10), ls: d(10, 8), lf: d(10, 12), total: 1, free: 1, duration: 4},
		{id: 5, es: d(10, 8), ef: d(10, 12), ls: d(10, 8), lf: d(10, 12), critical: true, duration: 4},
		{id: 6, es: d(10, 8), ef: d(10, 10), ls: d(10, 15), lf: d(10, 19), total: 6, free: 6, duration: 3},
		{id: 7, es: d(10, 13), ef: d(10, 19), ls: d(10, 13), lf: d(10, 19), critical: true, duration: 5},
		{id: 8, es: d(10, 20), ef: d(10, 21), ls: d(10, 20), lf: d(10, 21), critical: true, duration: 2},
	})
	if want := []uint64{1, 3, 5, 7, 8}; !slices.Equal(p.Critical, want) {
		t.Errorf("Critical = %v, want %v (A C E G H)", p.Critical, want)
	}
	if p.Finish != d(10, 21) || p.Projected != d(10, 21) {
		t.Errorf("Finish, Projected = %s, %s, want 2026-10-21 both", p.Finish, p.Projected)
	}
	// 10-22 and 10-23 are left before the deadline.
	if p.DeadlineSlack != 2 || p.Deadline != d(10, 23) {
		t.Errorf("DeadlineSlack = %d (deadline %s), want 2", p.DeadlineSlack, p.Deadline)
	}
	// Without the holidays (Monday to Friday only), the same network ends
	// on 09-24 + 14 working days = 10-14.
	p2 := mustCompute(t, plan.Input{Tasks: milwaukee(), Start: start, Cal: weekOnly{}})
	if p2.Finish != d(10, 14) {
		t.Errorf("Mon-Fri Finish = %s, want 2026-10-14", p2.Finish)
	}
}

// weekOnly is Monday to Friday with no holidays.
type weekOnly struct{}

func (weekOnly) IsWorkday(d bot.Date) bool {
	return d.Weekday() != time.Saturday && d.Weekday() != time.Sunday
}

func TestCycles(t *testing.T) {
	tests := []struct {
		name  string
		tasks []plan.Task
		want  string
	}{
		{"two", []plan.Task{{ID: 3, After: []uint64{5}}, {ID: 5, After: []uint64{3}}, {ID: 6, After: []uint64{5}}}, "T3 → T5 → T3"},
		{"three, entered from downstream", []plan.Task{{ID: 9, After: []uint64{2}}, {ID: 1, After: []uint64{3}}, {ID: 2, After: []uint64{1}}, {ID: 3, After: []uint64{2}}}, "T1 → T2 → T3 → T1"},
		{"itself", []plan.Task{{ID: 1}, {ID: 4, After: []uint64{1, 4}}}, "T4 → T4"},
		{"parent links", []plan.Task{{ID: 1, Parent: 2}, {ID: 2, Parent: 1}}, "T1 → T2 → T1"},
		{"own parent", []plan.Task{{ID: 7, Parent: 7}}, "T7 → T7"},
		{"child after its parent", []plan.Task{{ID: 1}, {ID: 2, Parent: 1, After: []uint64{1}}}, "T1 → T2 → T1"},
		{"parent after its grandchild", []plan.Task{{ID: 1, After: []uint64{3}}, {ID: 2, Parent: 1}, {ID: 3, Parent: 2}}, "T1 → T2 → T3 → T1"},
		{"through a summary", []plan.Task{{ID: 1}, {ID: 2, Parent: 1, After: []uint64{4}}, {ID: 4, After: []uint64{1}}}, "T1 → T4 → T2 → T1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := plan.Compute(plan.Input{Tasks: tt.tasks, Start: start, Cal: prc})
			var ce *plan.CycleError
			if !errors.As(err, &ce) {
				t.Fatalf("Compute error = %v, want a *CycleError", err)
			}
			if ce.Error() != tt.want {
				t.Errorf("cycle %q, want %q", ce.Error(), tt.want)
			}
			if bot.ErrorCode(err) != bot.EINVALID || bot.MessageIn(err, "en") != "Dependency cycle: "+tt.want {
				t.Errorf("code %s message %q", bot.ErrorCode(err), bot.MessageIn(err, "en"))
			}
			if got := plan.FindCycle(tt.tasks); !slices.Equal(got, ce.Path) {
				t.Errorf("FindCycle = %v, want %v", got, ce.Path)
			}
		})
	}
	if c := plan.FindCycle(milwaukee()); c != nil {
		t.Errorf("FindCycle(milwaukee) = %v, want nil", c)
	}
}

func TestInvalid(t *testing.T) {
	for name, in := range map[string]plan.Input{
		"id 0":        {Tasks: []plan.Task{{ID: 0}}, Start: start},
		"twice":       {Tasks: []plan.Task{{ID: 1}, {ID: 1}}, Start: start},
		"no date":     {Tasks: []plan.Task{{ID: 1}}},
		"too long":    {Tasks: []plan.Task{{ID: 1, Due: bot.NewDate(2400, 1, 1)}}, Start: start},
		"no workdays": {Tasks: []plan.Task{{ID: 1}}, Start: start, Cal: never{}},
		"past a century": {Start: start, Tasks: []plan.Task{{ID: 1, Estimate: 1e4}, {ID: 2, Estimate: 1e4, After: []uint64{1}},
			{ID: 3, Estimate: 1e4, After: []uint64{2}}, {ID: 4, Estimate: 1e4, After: []uint64{3}}}},
	} {
		if _, err := plan.Compute(in); bot.ErrorCode(err) != bot.EINVALID {
			t.Errorf("%s: err = %v, want EINVALID", name, err)
		}
	}
	p, err := plan.Compute(plan.Input{})
	if err != nil || len(p.Slots) != 0 || !p.Finish.IsZero() {
		t.Errorf("empty: %+v, %v", p, err)
	}
}

type never struct{}

func (never) IsWorkday(bot.Date) bool { return false }

func TestConstraints(t *testing.T) {
	t.Run("done work fixed at its actual finish", func(t *testing.T) {
		// A (2 days) ran late and was done on Fri 10-09; B waits for it, C
		// was done on Sat 10-03 in the holiday and D starts after the
		// holiday.
		p := mustCompute(t, plan.Input{Start: start, Today: d(10, 9), Tasks: []plan.Task{
			{ID: 1, Estimate: 2, Done: true, Finished: d(10, 9), Due: d(9, 28)},
			{ID: 2, Estimate: 1, After: []uint64{1}},
			{ID: 3, Estimate: 1, Done: true, Finished: d(10, 3)},
			{ID: 4, Estimate: 1, After: []uint64{3}},
			{ID: 5, Milestone: true, After: []uint64{3}}, // reached when C was done
		}})
		check(t, p, []want{
			{id: 1, es: d(10, 8), ef: d(10, 9), ls: d(10, 8), lf: d(10, 9), done: true, duration: 2},
			{id: 2, es: d(10, 10), ef: d(10, 10), ls: d(10, 10), lf: d(10, 10), critical: true, duration: 1},
			{id: 3, es: d(9, 30), ef: d(10, 3), ls: d(9, 30), lf: d(10, 3), done: true, duration: 1},
			{id: 4, es: d(10, 8), ef: d(10, 8), ls: d(10, 10), lf: d(10, 10), total: 2, free: 2, duration: 1},
			{id: 5, es: d(10, 3), ef: d(10, 3), ls: d(10, 10), lf: d(10, 10), total: 3, free: 3, miles: true, duration: 0},
		})
		if !slices.Equal(p.Critical, []uint64{2}) {
			t.Errorf("Critical = %v, want [2]: done work is not critical", p.Critical)
		}
	})
	t.Run("planned start", func(t *testing.T) {
		// B may not start before Mon 10-12, though A ends on 09-28: A has
		// 5 working days of slack (09-29, 09-30, 10-08, 10-09, 10-10).
		p := mustCompute(t, plan.Input{Start: start, Tasks: []plan.Task{
			{ID: 1, Estimate: 2},
			{ID: 2, Estimate: 1, After: []uint64{1}, Start: d(10, 12)},
			{ID: 3, Start: d(10, 1), Estimate: 1}, // a start in the holiday: the next working day
		}})
		check(t, p, []want{
			{id: 1, es: d(9, 24), ef: d(9, 28), ls: d(10, 9), lf: d(10, 10), total: 5, free: 5, duration: 2},
			{id: 2, es: d(10, 12), ef: d(10, 12), ls: d(10, 12), lf: d(10, 12), critical: true, duration: 1},
			{id: 3, es: d(10, 8), ef: d(10, 8), ls: d(10, 12), lf: d(10, 12), total: 3, free: 3, duration: 1},
		})
	})
	t.Run("due date is the committed finish", func(t *testing.T) {
		// A's work ends 09-28 but it is due 10-09: B starts after the due
		// date, and A's slack is used up by its due date.
		p := mustCompute(t, plan.Input{Start: start, Tasks: []plan.Task{
			{ID: 1, Estimate: 2, Due: d(10, 9)},
			{ID: 2, Estimate: 2, After: []uint64{1}},
			{ID: 3, Start: d(9, 24), Due: d(10, 8)}, // no estimate: 09-24..10-08 is 5 working days
		}})
		check(t, p, []want{
			{id: 1, es: d(9, 24), ef: d(9, 28), ls: d(10, 8), lf: d(10, 9), finish: d(10, 9), critical: true, duration: 2},
			{id: 2, es: d(10, 10), ef: d(10, 12), ls: d(10, 10), lf: d(10, 12), critical: true, duration: 2},
			{id: 3, es: d(9, 24), ef: d(10, 8), ls: d(9, 30), lf: d(10, 12), total: 3, free: 3, duration: 5},
		})
	})
	t.Run("milestones", func(t *testing.T) {
		// M0 opens the project on 09-24; A starts the same day. M1 is
		// reached when A ends (09-28); B starts the day after. M2 is
		// reached when B ends, on its due date 10-08.
		p := mustCompute(t, plan.Input{Start: start, Tasks: []plan.Task{
			{ID: 10, Milestone: true},
			{ID: 1, Estimate: 2, After: []uint64{10}},
			{ID: 11, Milestone: true, After: []uint64{1}},
			{ID: 2, Estimate: 3, After: []uint64{11}},
			{ID: 12, Milestone: true, After: []uint64{2}, Due: d(10, 8)},
		}})
		check(t, p, []want{
			{id: 10, es: d(9, 24), ef: d(9, 24), ls: d(9, 24), lf: d(9, 24), miles: true, duration: 0, critical: true},
			{id: 1, es: d(9, 24), ef: d(9, 28), ls: d(9, 24), lf: d(9, 28), critical: true, duration: 2},
			{id: 11, es: d(9, 28), ef: d(9, 28), ls: d(9, 28), lf: d(9, 28), miles: true, duration: 0, critical: true},
			{id: 2, es: d(9, 29), ef: d(10, 8), ls: d(9, 29), lf: d(10, 8), critical: true, duration: 3},
			{id: 12, es: d(10, 8), ef: d(10, 8), ls: d(10, 8), lf: d(10, 8), miles: true, duration: 0, critical: true},
		})
		if want := []uint64{10, 1, 11, 2, 12}; !slices.Equal(p.Critical, want) {
			t.Errorf("Critical = %v, want %v", p.Critical, want)
		}
	})
	t.Run("summary tasks span their children", func(t *testing.T) {
		// X (1 day) → P{C1 (2 days) → C2 (3 days), C3 (1 day)} → Y (1
		// day): every child waits for X, Y waits for all of them.
		p := mustCompute(t, plan.Input{Start: start, Tasks: []plan.Task{
			{ID: 1, Estimate: 1, Title: "X"},
			{ID: 2, Title: "P", After: []uint64{1}, Estimate: 99},
			{ID: 3, Parent: 2, Estimate: 2},
			{ID: 4, Parent: 2, Estimate: 3, After: []uint64{3}},
			{ID: 5, Estimate: 1, After: []uint64{2}},
			{ID: 6, Parent: 2, Estimate: 1},
		}})
		check(t, p, []want{
			{id: 1, es: d(9, 24), ef: d(9, 24), ls: d(9, 24), lf: d(9, 24), critical: true, duration: 1},
			{id: 3, es: d(9, 28), ef: d(9, 29), ls: d(9, 28), lf: d(9, 29), critical: true, duration: 2},
			{id: 4, es: d(9, 30), ef: d(10, 9), ls: d(9, 30), lf: d(10, 9), critical: true, duration: 3},
			{id: 6, es: d(9, 28), ef: d(9, 28), ls: d(10, 9), lf: d(10, 9), total: 4, free: 4, duration: 1},
			{id: 2, es: d(9, 28), ef: d(10, 9), ls: d(9, 28), lf: d(10, 9), summary: true, critical: true, duration: 5},
			{id: 5, es: d(10, 10), ef: d(10, 10), ls: d(10, 10), lf: d(10, 10), critical: true, duration: 1},
		})
		if want := []uint64{1, 3, 4, 5}; !slices.Equal(p.Critical, want) {
			t.Errorf("Critical = %v, want %v (no summary task)", p.Critical, want)
		}
	})
}

func TestProjected(t *testing.T) {
	// Today is Mon 10-12. X (4 days) started 10-08 and is 25% done after 4
	// working days (10-08, 10-09, 10-10, 10-12): at 6.25% a day, the 75%
	// left takes ⌈4 × 75 / 25⌉ = 12 days from today: 10-12 .. 10-27. Y (2
	// days) after X then runs 10-28 .. 10-29. Z (4 days, 50% done) has not
	// reached its start (10-20): ⌈4 × 50/100⌉ = 2 days from its ES, 10-20 ..
	// 10-21. W (3 days, not started, ES 10-08 in the past) starts today.
	p := mustCompute(t, plan.Input{Start: d(10, 8), Today: d(10, 12), Tasks: []plan.Task{
		{ID: 1, Estimate: 4, Progress: 25},
		{ID: 2, Estimate: 2, After: []uint64{1}},
		{ID: 3, Estimate: 4, Progress: 50, Start: d(10, 20)},
		{ID: 4, Estimate: 3},
		{ID: 5, Parent: 6, Estimate: 1, Done: true, Finished: d(10, 9)},
		{ID: 6},
		{ID: 7, Parent: 6, Estimate: 1, After: []uint64{1}},
	}})
	for _, c := range []struct {
		id        uint64
		finish    bot.Date
		projected bot.Date
		behind    bool
	}{
		{1, d(10, 12), d(10, 27), true},
		{2, d(10, 14), d(10, 29), true},
		{3, d(10, 23), d(10, 21), false},
		{4, d(10, 10), d(10, 14), true},
		{5, d(10, 9), d(10, 9), false},
		{7, d(10, 13), d(10, 28), true},
		{6, d(10, 13), d(10, 28), true},
	} {
		s := p.Slots[c.id]
		if s.Finish != c.finish || s.Projected != c.projected || s.Behind != c.behind {
			t.Errorf("T%d Finish %s Projected %s Behind %v, want %s %s %v", c.id, s.Finish, s.Projected, s.Behind, c.finish, c.projected, c.behind)
		}
	}
	if p.Projected != d(10, 29) || p.Finish != d(10, 23) {
		t.Errorf("project Finish %s Projected %s, want 2026-10-23, 2026-10-29", p.Finish, p.Projected)
	}
}

func TestImpact(t *testing.T) {
	// Milwaukee plus a milestone "handover" after H, deadline Thu 10-22.
	in := plan.Input{Start: start, Today: start, Deadline: d(10, 22), Cal: prc,
		Tasks: append(milwaukee(), plan.Task{ID: 9, Milestone: true, After: []uint64{8}, Title: "handover"})}
	t.Run("critical slip", func(t *testing.T) {
		// E (critical, ends 10-12) slips 2 working days to 10-14: G, H and
		// the handover move 2 days, the project ends 10-23, after the
		// deadline.
		im, err := plan.ImpactOf(in, 5, d(10, 14))
		if err != nil {
			t.Fatal(err)
		}
		wantMoves := []plan.Move{{7, d(10, 19), d(10, 21), 2}, {8, d(10, 21), d(10, 23), 2}, {9, d(10, 21), d(10, 23), 2}}
		if !slices.Equal(im.Moves, wantMoves) || !slices.Equal(im.Milestones, wantMoves[2:]) {
			t.Errorf("Moves %v Milestones %v, want %v", im.Moves, im.Milestones, wantMoves)
		}
		if im.FinishFrom != d(10, 21) || im.FinishTo != d(10, 23) || im.FinishDays != 2 || !im.DeadlineMissed {
			t.Errorf("finish %s → %s (%d), missed %v", im.FinishFrom, im.FinishTo, im.FinishDays, im.DeadlineMissed)
		}
		// E's new due date now drives the project: E may start as late as
		// 10-10 and still end by 10-14, so A and C before it get 2 days of
		// slack.
		if !im.CriticalChanged || !slices.Equal(im.CriticalAfter, []uint64{5, 7, 8, 9}) || im.After.Slots[3].TotalSlack != 2 {
			t.Errorf("critical after %v (changed %v), C slack %d", im.CriticalAfter, im.CriticalChanged, im.After.Slots[3].TotalSlack)
		}
	})
	t.Run("slip within slack", func(t *testing.T) {
		// F has 6 days of slack: moving it from 10-10 to 10-15 (4 working
		// days) moves nothing else and the deadline holds.
		im, err := plan.ImpactOf(in, 6, d(10, 15))
		if err != nil {
			t.Fatal(err)
		}
		if len(im.Moves) != 0 || im.FinishDays != 0 || im.DeadlineMissed || im.CriticalChanged || im.FinishTo != d(10, 21) {
			t.Errorf("impact %+v, want nothing moved", im)
		}
		if s := im.After.Slots[6]; s.Finish != d(10, 15) || s.TotalSlack != 2 {
			t.Errorf("F after: %+v, want finish 10-15 and 2 days of slack left", s)
		}
	})
	t.Run("slip that changes the critical path", func(t *testing.T) {
		// B (1 day of slack, ends 09-29) moves to 10-09: D runs 10-10..10-14
		// (+3), G 10-15..10-21 (+2), H to 10-23 (+2); B D G H becomes
		// critical.
		im, err := plan.ImpactOf(in, 2, d(10, 9))
		if err != nil {
			t.Fatal(err)
		}
		wantMoves := []plan.Move{{4, d(10, 10), d(10, 14), 3}, {7, d(10, 19), d(10, 21), 2}, {8, d(10, 21), d(10, 23), 2}, {9, d(10, 21), d(10, 23), 2}}
		if !slices.Equal(im.Moves, wantMoves) {
			t.Errorf("Moves %v, want %v", im.Moves, wantMoves)
		}
		if !im.CriticalChanged || !slices.Equal(im.CriticalBefore, []uint64{1, 3, 5, 7, 8, 9}) || !slices.Equal(im.CriticalAfter, []uint64{2, 4, 7, 8, 9}) {
			t.Errorf("critical %v → %v (changed %v)", im.CriticalBefore, im.CriticalAfter, im.CriticalChanged)
		}
	})
	t.Run("earlier", func(t *testing.T) {
		// Pulling G's due date in does not move anything: due dates are
		// committed finishes, and work takes as long as it takes.
		im, err := plan.ImpactOf(in, 7, d(10, 15))
		if err != nil || len(im.Moves) != 0 || im.FinishDays != 0 {
			t.Errorf("impact %+v, %v", im, err)
		}
	})
	if _, err := plan.ImpactOf(in, 99, d(10, 15)); bot.ErrorCode(err) != bot.ENOTFOUND {
		t.Errorf("unknown task: %v, want ENOTFOUND", err)
	}
}

func TestRollup(t *testing.T) {
	tasks := []plan.Task{
		{ID: 1, Title: "Q"},
		{ID: 2, Parent: 1, Title: "P"},
		{ID: 3, Parent: 2, Estimate: 2, Progress: 50},
		{ID: 4, Parent: 2, Estimate: 6, Done: true},
		{ID: 5, Parent: 1, Estimate: 2},
		{ID: 6, Title: "milestones only"},
		{ID: 7, Parent: 6, Milestone: true, Done: true},
		{ID: 8, Parent: 6, Milestone: true},
		{ID: 9, Parent: 6, Start: d(9, 24), Due: d(10, 8), Progress: 10}, // 5 working days
		{ID: 10, Parent: 9, Milestone: true, Progress: 40},
	}
	got := plan.Rollup(tasks, prc)
	// P: (2×50 + 6×100) / 8 = 87.5 → 88; Q: (8×87.5 + 2×0) / 10 = 70;
	// T9 has only a milestone: 40; T6: weights 0, 0 and 0 (T9 rolls up a
	// milestone): (100 + 0 + 40) / 3 = 46.7 → 47.
	want := map[uint64]int{2: 88, 1: 70, 9: 40, 6: 47}
	if len(got) != len(want) {
		t.Errorf("Rollup = %v, want %v", got, want)
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("Rollup T%d = %d, want %d", id, got[id], w)
		}
	}
}

func TestDuration(t *testing.T) {
	for _, c := range []struct {
		t    plan.Task
		want int
	}{
		{plan.Task{Milestone: true, Estimate: 3}, 0},
		{plan.Task{Estimate: 2.5}, 3},
		{plan.Task{Start: d(9, 30), Due: d(10, 10)}, 4}, // 09-30, 10-08, 10-09, 10-10
		{plan.Task{Start: d(10, 1), Due: d(10, 7)}, 1},  // all holiday: at least 1
		{plan.Task{}, 1},
		{plan.Task{Estimate: 1e9}, 10000},
	} {
		if got := plan.Duration(c.t, prc); got != c.want {
			t.Errorf("Duration(%+v) = %d, want %d", c.t, got, c.want)
		}
	}
}
