package importer

import "github.com/loopbot/loopbot/plan"

// findCycle returns a cycle among the items' depends-on and parent links
// (plan.FindCycle) as indexes in items, each a predecessor (or, in a cycle
// of parent links, a child) of the next, first index repeated at the end;
// nil when there is none.
func findCycle(items []Item) []int {
	tasks := make([]plan.Task, len(items))
	for i, it := range items {
		tasks[i] = plan.Task{ID: uint64(i + 1), Milestone: it.Milestone}
		for _, j := range it.After {
			tasks[i].After = append(tasks[i].After, uint64(j+1))
		}
		if it.Parent >= 0 {
			tasks[i].Parent = uint64(it.Parent + 1)
		}
	}
	path := plan.FindCycle(tasks)
	out := make([]int, len(path))
	for i, id := range path {
		out[i] = int(id - 1)
	}
	return out
}
