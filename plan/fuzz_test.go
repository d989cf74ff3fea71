package plan_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/plan"
)

// tasksFrom decodes fuzz bytes into a task network: 4 bytes a task (after
// links, parent, estimate and flags, start offset), ids 1..n, links to any
// task, so that cycles of both kinds happen.
func tasksFrom(b []byte) []plan.Task {
	n := len(b) / 4
	if n > 40 {
		n = 40
	}
	tasks := make([]plan.Task, n)
	for i := range n {
		x := b[4*i : 4*i+4]
		t := plan.Task{ID: uint64(i + 1), Estimate: float64(x[2] % 6), Progress: int(x[3]) % 101}
		if x[0]&1 != 0 {
			t.After = append(t.After, uint64(x[0]>>1)%uint64(n)+1)
		}
		if x[0]&2 != 0 && i > 0 {
			t.After = append(t.After, uint64(i)) // the previous task: long chains
		}
		if x[1]&3 == 1 {
			t.Parent = uint64(x[1]>>2)%uint64(n) + 1
		}
		switch x[2] >> 5 {
		case 0:
			t.Milestone = true
		case 1:
			t.Done, t.Finished = true, start.AddDays(int(x[3]%30))
		case 2:
			t.Start = start.AddDays(int(x[3] % 40))
		case 3:
			t.Due = start.AddDays(int(x[3] % 40))
		case 4:
			t.Estimate = 2.5
		}
		tasks[i] = t
	}
	return tasks
}

func FuzzCompute(f *testing.F) {
	f.Add([]byte{3, 0, 2, 0, 1, 0, 3, 50, 2, 5, 40, 10, 3, 1, 100, 20})
	f.Add([]byte{0, 5, 1, 0, 0, 1, 2, 0, 2, 0, 3, 0})
	f.Add([]byte{1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		tasks := tasksFrom(b)
		p, err := plan.Compute(plan.Input{Tasks: tasks, Start: start, Today: start.AddDays(10), Deadline: start.AddDays(20), Cal: prc})
		var ce *plan.CycleError
		if errors.As(err, &ce) {
			if !isCycle(tasks, ce.Path) {
				t.Fatalf("%v is not a cycle of %+v", ce.Path, tasks)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if c := plan.FindCycle(tasks); c != nil {
			t.Fatalf("FindCycle = %v, Compute planned", c)
		}
		if msg := satisfied(tasks, p); msg != "" {
			t.Fatalf("%s\n%+v", msg, tasks)
		}
	})
}

// isCycle reports whether path is a closed walk in which each task precedes
// the next: as its predecessor, parent, child, or through a summary task.
func isCycle(tasks []plan.Task, path []uint64) bool {
	if len(path) < 2 || path[0] != path[len(path)-1] {
		return false
	}
	byID := map[uint64]plan.Task{}
	for _, t := range tasks {
		byID[t.ID] = t
	}
	for k := 0; k+1 < len(path); k++ {
		a, b := byID[path[k]], byID[path[k+1]]
		if !slices.Contains(b.After, a.ID) && b.Parent != a.ID && a.Parent != b.ID {
			return false
		}
	}
	return true
}

// satisfied checks every dependency of an open task against the plan: its
// ES is no earlier than the Finish of each task it waits for (directly, or
// through its summary tasks, on each task under the one it waits for), and
// after it when both carry work; and its planned start, due date and slack.
func satisfied(tasks []plan.Task, p *plan.Plan) string {
	byID := map[uint64]plan.Task{}
	kids := map[uint64][]uint64{}
	for _, t := range tasks {
		byID[t.ID] = t
	}
	for _, t := range tasks {
		if _, ok := byID[t.Parent]; ok {
			kids[t.Parent] = append(kids[t.Parent], t.ID)
		}
	}
	var leaves func(id uint64) []uint64
	leaves = func(id uint64) []uint64 {
		if len(kids[id]) == 0 {
			return []uint64{id}
		}
		var out []uint64
		for _, k := range kids[id] {
			out = append(out, leaves(k)...)
		}
		return out
	}
	for _, t := range tasks {
		s := p.Slots[t.ID]
		if s.Summary || t.Done {
			continue
		}
		if s.TotalSlack < 0 || s.FreeSlack < 0 || s.FreeSlack > s.TotalSlack || s.EF.Before(s.ES) || s.LS.Before(s.ES) || s.LF.Before(s.EF) || s.Projected.IsZero() {
			return fmt.Sprintf("T%d: bad slot %+v", t.ID, s)
		}
		if s.Finish.Before(t.Due) || (!t.Start.IsZero() && s.ES.Before(t.Start)) || s.Finish.After(p.Finish) {
			return fmt.Sprintf("T%d: slot %+v breaks its own dates", t.ID, s)
		}
		for a := t; ; a = byID[a.Parent] {
			for _, pre := range a.After {
				for _, l := range leaves(pre) {
					ps := p.Slots[l]
					if s.ES.Before(ps.Finish) || s.Duration > 0 && ps.Duration > 0 && s.ES == ps.Finish {
						return fmt.Sprintf("T%d (ES %s) does not wait for T%d (finish %s)", t.ID, s.ES, l, ps.Finish)
					}
				}
			}
			if _, ok := byID[a.Parent]; !ok {
				break
			}
		}
	}
	return ""
}

func TestFuzzCheckerCatches(t *testing.T) {
	// The checker must fail a plan that breaks a dependency.
	tasks := []plan.Task{{ID: 1, Estimate: 2}, {ID: 2, Estimate: 1, After: []uint64{1}}}
	p := mustCompute(t, plan.Input{Tasks: tasks, Start: start})
	s := p.Slots[2]
	s.ES = start
	p.Slots[2] = s
	if satisfied(tasks, p) == "" {
		t.Error("checker passed a broken plan")
	}
}

// network returns n tasks with m finish-to-start links, each from an earlier
// task, durations 1-5 working days, a tenth of them milestones, in summary
// tasks of 10.
func network(n, m int) []plan.Task {
	r := rand.New(rand.NewPCG(1, 2))
	tasks := make([]plan.Task, n)
	for i := range tasks {
		tasks[i] = plan.Task{ID: uint64(i + 1), Estimate: float64(1 + r.IntN(5)), Milestone: i%10 == 9, Progress: r.IntN(60)}
		if i%100 != 0 && i%10 == 0 {
			tasks[i].Estimate, tasks[i].Milestone = 0, false
		}
	}
	for range m {
		to := 1 + r.IntN(n-1)
		from := max(0, to-1-r.IntN(50))
		tasks[to].After = append(tasks[to].After, uint64(from+1))
	}
	return tasks
}

// BenchmarkCompute5000 plans 5,000 tasks with 10,000 dependencies over the
// PRC calendar; see docs/benchmarks.md.
func BenchmarkCompute5000(b *testing.B) {
	in := plan.Input{Tasks: network(5000, 10000), Start: start, Today: start.AddDays(30), Deadline: bot.NewDate(2030, 1, 1), Cal: prc}
	p, err := plan.Compute(in)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(p.Critical)), "critical")
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		if _, err := plan.Compute(in); err != nil {
			b.Fatal(err)
		}
	}
	if cpu := cpuTime() - cpu; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

func TestNetwork5000(t *testing.T) {
	tasks := network(5000, 10000)
	p := mustCompute(t, plan.Input{Tasks: tasks, Start: start, Today: start.AddDays(30), Cal: prc})
	if len(p.Slots) != 5000 || len(p.Critical) == 0 {
		t.Fatalf("%d slots, %d critical", len(p.Slots), len(p.Critical))
	}
	if msg := satisfied(tasks, p); msg != "" {
		t.Fatal(msg)
	}
	for _, id := range p.Critical {
		if s := p.Slots[id]; s.TotalSlack != 0 || s.Summary {
			t.Fatalf("T%d on the critical path with slot %+v", id, s)
		}
	}
}
