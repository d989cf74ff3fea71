package plan

import "math"

// Rollup returns the progress (0-100) of each summary task among tasks,
// rolled up from its children weighted by estimate:
//
//	progress(parent) = round( Σ weight(c) × progress(c) / Σ weight(c) )
//
// over its children c, where a done child counts 100, a child that is
// itself a summary counts its own rolled-up progress with the sum of its
// children's weights, and the weight of any other child is its Duration
// (Estimate in working days, see Duration). Milestones weigh 0; when all
// children weigh 0 (only milestones), each child counts once. Parent links
// that form a cycle are not followed. Tasks that are not summaries are not
// in the result.
func Rollup(tasks []Task, cal Calendar) map[uint64]int {
	g, _ := build(tasks, false)
	out := make(map[uint64]int)
	if g.parentCycle != nil {
		return out
	}
	n := len(g.tasks)
	weight := make([]float64, n)
	prog := make([]float64, n)
	state := make([]uint8, n)
	var visit func(i int32)
	visit = func(i int32) {
		state[i] = 1
		t := &g.tasks[i]
		kids := g.kids[g.kidOff[i]:g.kidOff[i+1]]
		if len(kids) == 0 {
			weight[i] = float64(Duration(*t, cal))
			prog[i] = float64(min(max(t.Progress, 0), 100))
			if t.Done {
				prog[i] = 100
			}
			return
		}
		var w, sum, plain float64
		for _, c := range kids {
			if state[c] == 0 {
				visit(c)
			}
			w += weight[c]
			sum += weight[c] * prog[c]
			plain += prog[c]
		}
		weight[i] = w
		if w > 0 {
			prog[i] = sum / w
		} else {
			prog[i] = plain / float64(len(kids))
		}
		out[t.ID] = int(math.Round(prog[i]))
	}
	for i := range g.tasks {
		if state[i] == 0 {
			visit(int32(i))
		}
	}
	return out
}
