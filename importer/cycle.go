package importer

// findCycle returns the indexes of a cycle among the items' depends-on and
// parent links, first index repeated at the end, or nil when there is none.
func findCycle(items []Item) []int {
	const (
		white = iota
		grey
		black
	)
	color := make([]int, len(items))
	var stack []int
	var found []int
	var visit func(i int) bool
	visit = func(i int) bool {
		color[i] = grey
		stack = append(stack, i)
		next := append([]int(nil), items[i].After...)
		if items[i].Parent >= 0 {
			next = append(next, items[i].Parent)
		}
		for _, j := range next {
			switch color[j] {
			case grey:
				for k, s := range stack {
					if s == j {
						found = append(append([]int(nil), stack[k:]...), j)
					}
				}
				return true
			case white:
				if visit(j) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[i] = black
		return false
	}
	for i := range items {
		if color[i] == white && visit(i) {
			return found
		}
	}
	return nil
}
