package plan

import (
	"slices"
	"strings"

	"github.com/loopbot/loopbot/bot"
)

// Kinds of node. A task is one node, except a summary task (one with
// children), which is two: its start, which its predecessors lead to and
// which leads to each child, and its end, which each child leads to and
// which leads to its dependants.
const (
	kindTask   uint8 = iota // a task with work, or a milestone
	kindStart               // a summary task's start
	kindFinish              // a summary task's end
)

// graph is the task network, indexed by position: task i is in tasks[i];
// node i is task i itself or, for a summary task, its end; nodes from
// len(tasks) on are the starts of summary tasks.
type graph struct {
	tasks []Task
	pos   map[uint64]int32
	// parent[i] is the position of task i's parent, -1 for none.
	parent []int32
	// kids[kidOff[i]:kidOff[i+1]] are the positions of task i's children.
	kidOff, kids []int32

	nodes     int
	taskOf    []int32 // node → task position
	kind      []uint8
	startNode []int32 // task position → the node its work starts at
	// succ[off[v]:off[v+1]] are the nodes that wait for node v.
	off, succ []int32
	indeg     []int32 // predecessors of each node
	order     []int32 // the nodes in topological order; short on a cycle

	parentCycle []uint64 // a cycle of parent links, if any
}

// build indexes tasks. With strict, an id 0 or a repeated id is an EINVALID
// error; without, such tasks are left out.
func build(tasks []Task, strict bool) (*graph, error) {
	g := &graph{pos: make(map[uint64]int32, len(tasks)), tasks: tasks}
	for i := range tasks {
		id := tasks[i].ID
		_, dup := g.pos[id]
		if id != 0 && !dup {
			g.pos[id] = int32(len(g.pos))
			continue
		}
		if strict {
			if id == 0 {
				return nil, bot.Bilingual(bot.EINVALID, "plan: a task has no id", "计划中有任务没有编号")
			}
			return nil, bot.Bilingual(bot.EINVALID, "plan: "+bot.TaskCode(id)+" is listed twice", "计划中 "+bot.TaskCode(id)+" 出现了两次")
		}
	}
	if len(g.pos) < len(tasks) {
		g.tasks = make([]Task, 0, len(g.pos))
		seen := make(map[uint64]bool, len(g.pos))
		for _, t := range tasks {
			if t.ID != 0 && !seen[t.ID] {
				seen[t.ID] = true
				g.tasks = append(g.tasks, t)
			}
		}
	}
	g.linkParents()
	if g.parentCycle = g.findParentCycle(); g.parentCycle != nil {
		return g, nil
	}
	g.linkNodes()
	g.sort()
	return g, nil
}

// linkParents fills parent, kidOff and kids.
func (g *graph) linkParents() {
	n := len(g.tasks)
	g.parent = make([]int32, n)
	g.kidOff = make([]int32, n+1)
	for i := range g.tasks {
		g.parent[i] = -1
		if p, ok := g.pos[g.tasks[i].Parent]; ok && g.tasks[i].Parent != 0 {
			g.parent[i] = p
			g.kidOff[p+1]++
		}
	}
	for i := range n {
		g.kidOff[i+1] += g.kidOff[i]
	}
	g.kids = make([]int32, g.kidOff[n])
	fill := slices.Clone(g.kidOff[:n])
	for i, p := range g.parent {
		if p >= 0 {
			g.kids[fill[p]] = int32(i)
			fill[p]++
		}
	}
}

// findParentCycle returns a cycle of parent links, each task followed by
// its parent, or nil.
func (g *graph) findParentCycle() []uint64 {
	state := make([]uint8, len(g.tasks)) // 0 unseen, 1 on the current walk, 2 done
	var walk []int32
	for i := range g.tasks {
		walk = walk[:0]
		v := int32(i)
		for v >= 0 && state[v] == 0 {
			state[v] = 1
			walk = append(walk, v)
			v = g.parent[v]
		}
		if v >= 0 && state[v] == 1 {
			at := slices.Index(walk, v)
			ids := make([]uint64, 0, len(walk)-at+1)
			for _, w := range walk[at:] {
				ids = append(ids, g.tasks[w].ID)
			}
			return closeCycle(ids)
		}
		for _, w := range walk {
			state[w] = 2
		}
	}
	return nil
}

// linkNodes makes the nodes and the edges between them.
func (g *graph) linkNodes() {
	n := len(g.tasks)
	g.startNode = make([]int32, n)
	g.nodes = n
	for i := range n {
		g.startNode[i] = int32(i)
		if g.kidOff[i+1] > g.kidOff[i] {
			g.startNode[i] = int32(g.nodes)
			g.nodes++
		}
	}
	g.taskOf = make([]int32, g.nodes)
	g.kind = make([]uint8, g.nodes)
	for i := range n {
		g.taskOf[i] = int32(i)
		if s := g.startNode[i]; s != int32(i) {
			g.taskOf[s], g.kind[s], g.kind[i] = int32(i), kindStart, kindFinish
		}
	}
	g.off = make([]int32, g.nodes+1)
	g.indeg = make([]int32, g.nodes)
	g.edges(func(from, to int32) { g.off[from+1]++; g.indeg[to]++ })
	for v := range g.nodes {
		g.off[v+1] += g.off[v]
	}
	g.succ = make([]int32, g.off[g.nodes])
	fill := slices.Clone(g.off[:g.nodes])
	g.edges(func(from, to int32) { g.succ[fill[from]] = to; fill[from]++ })
}

// edges calls add for each edge: predecessor → task, and for each child,
// parent's start → child and child → parent's end.
func (g *graph) edges(add func(from, to int32)) {
	for i := range g.tasks {
		for _, a := range g.tasks[i].After {
			if j, ok := g.pos[a]; ok {
				add(j, g.startNode[i])
			}
		}
		if p := g.parent[i]; p >= 0 {
			add(g.startNode[p], g.startNode[i])
			add(int32(i), p)
		}
	}
}

// sort orders the nodes topologically (Kahn), each wave in node order.
func (g *graph) sort() {
	left := slices.Clone(g.indeg)
	g.order = make([]int32, 0, g.nodes)
	for v := range g.nodes {
		if left[v] == 0 {
			g.order = append(g.order, int32(v))
		}
	}
	for k := 0; k < len(g.order); k++ {
		v := g.order[k]
		for _, w := range g.succ[g.off[v]:g.off[v+1]] {
			if left[w]--; left[w] == 0 {
				g.order = append(g.order, w)
			}
		}
	}
}

// cycle returns a cycle of the graph as task ids, or nil.
func (g *graph) cycle() []uint64 {
	if g.parentCycle != nil {
		return g.parentCycle
	}
	if len(g.order) == g.nodes {
		return nil
	}
	// Every node that the sort left out waits for another one that it left
	// out, so walking back from one of them must come round to a node
	// already seen.
	sorted := make([]bool, g.nodes)
	for _, v := range g.order {
		sorted[v] = true
	}
	pred := make([]int32, g.nodes)
	for v := range g.nodes {
		for _, w := range g.succ[g.off[v]:g.off[v+1]] {
			if !sorted[v] {
				pred[w] = int32(v)
			}
		}
	}
	seen := make(map[int32]int)
	var walk []int32
	v := int32(slices.Index(sorted, false))
	for {
		if at, ok := seen[v]; ok {
			walk = walk[at:]
			break
		}
		seen[v] = len(walk)
		walk = append(walk, v)
		v = pred[v]
	}
	slices.Reverse(walk) // walked back: now each node precedes the next
	ids := make([]uint64, 0, len(walk))
	for _, v := range walk {
		ids = append(ids, g.tasks[g.taskOf[v]].ID)
	}
	return closeCycle(ids)
}

// closeCycle turns the ids around a cycle into a path: a summary task's
// start and end show as one step, the lowest id comes first, and the path
// ends where it started (T3 → T5 → T3; a task after itself is T3 → T3).
func closeCycle(ids []uint64) []uint64 {
	ids = slices.Compact(ids)
	for len(ids) > 1 && ids[0] == ids[len(ids)-1] {
		ids = ids[:len(ids)-1]
	}
	low := slices.Index(ids, slices.Min(ids))
	path := append(slices.Clone(ids[low:]), ids[:low]...)
	return append(path, path[0])
}

// CycleError is the error of Compute on a cycle: Path is the cycle, each
// task coming before the next (a dependency cycle: each is a predecessor or
// the summary task of the next; a parent cycle: each task's parent is the
// next), and the path ends with the task it starts with.
type CycleError struct{ Path []uint64 }

// Error returns the path as task codes: "T3 → T5 → T3".
func (e *CycleError) Error() string {
	parts := make([]string, len(e.Path))
	for i, id := range e.Path {
		parts[i] = bot.TaskCode(id)
	}
	return strings.Join(parts, " → ")
}

// Unwrap returns the EINVALID domain error that a person reads.
func (e *CycleError) Unwrap() error {
	return bot.Bilingual(bot.EINVALID, "Dependency cycle: "+e.Error(), "依赖成环："+e.Error())
}

// FindCycle returns a cycle among tasks, as CycleError.Path, or nil when
// there is none. It checks parent links first (a task can't be its own
// ancestor), then the dependencies together with the WBS (a task may not
// depend on its own ancestor or descendant). Tasks with id 0 or an id seen
// before are ignored.
func FindCycle(tasks []Task) []uint64 {
	g, _ := build(tasks, false)
	return g.cycle()
}
