package importer

import (
	"fmt"
	"strings"

	"github.com/loopbot/loopbot/bot"
)

// Item is one row of a plan, read and checked.
type Item struct {
	Row         int    // the file's row number
	Ref         string // the row's own id in the file (1, 2, A1)
	Title       string
	Description string
	// Assignee is the cell as written; flows matches it to a person by
	// platform id, name or email. Empty means the project's owner.
	Assignee  string
	Start     bot.Date // planned start; zero: none
	Due       bot.Date // zero: none
	Estimate  float64  // working days; zero: none
	Priority  string   // bot.PrioHigh, PrioNormal or PrioLow
	After     []int    // indexes in Plan.Items of the rows this one depends on
	Parent    int      // index in Plan.Items of the parent row, or -1
	Milestone bool
}

// Problem is something wrong in a plan, at a row and column of the file.
type Problem struct {
	// Row is the file's row number; 0 when the problem is not in a row.
	Row int `json:"row,omitempty"`
	// Column is the column's header as written in the file, or the field's
	// name for a missing column.
	Column string `json:"column,omitempty"`
	// Field is the column's field; empty when the problem is not in one.
	Field Field `json:"field,omitempty"`
	// Value is the cell's text.
	Value string `json:"value,omitempty"`
	// Message says what is wrong, naming the value.
	Message string `json:"message"`
}

// String writes the problem as `row 4, column 截止 (due): "2026-13-01" is
// not a date`.
func (p Problem) String() string {
	var where []string
	if p.Row > 0 {
		where = append(where, fmt.Sprintf("row %d", p.Row))
	}
	if col := p.column(); col != "" {
		where = append(where, "column "+col)
	}
	if len(where) == 0 {
		return p.Message
	}
	return strings.Join(where, ", ") + ": " + p.Message
}

func (p Problem) column() string {
	if p.Field == "" {
		return p.Column
	}
	return Column{Header: p.Column, Field: p.Field}.label()
}

// Plan is a decoded and checked plan file.
type Plan struct {
	Layout
	Items []Item
}

// Layout is what a plan and a people file share: how the file was read,
// its columns and its problems.
type Layout struct {
	Format string // CSV or XLSX
	Sheet  string // the worksheet read, for XLSX
	// Columns are the file's columns that name a field, in file order.
	Columns []Column
	// Ignored are the headers of the columns that name no field.
	Ignored []string
	// Problems stop the import; Warnings do not.
	Problems []Problem
	Warnings []Problem
}

// Calendar says which days are working days (*calendar.Calendar).
type Calendar interface{ IsWorkday(bot.Date) bool }

// Options are what Parse checks dates against.
type Options struct {
	// Today, when set, makes a due date before it a warning.
	Today bot.Date
	// Cal, when set, makes a due date on a day off a warning.
	Cal Calendar
}

// Parse reads a decoded file as a plan: the first row is the header, each
// other row a task. It reports every problem with its row and column: a
// missing id or title column, a column named twice, a cell that does not
// read (a date, an estimate, a milestone flag, a priority, a title too
// long), an empty or duplicate id, a depends-on or parent id that is no
// row's, a row that depends on itself, a dependency cycle (shown with the
// file's ids, 2 → 5 → 2), a planned start after the due date, and a
// milestone with an estimate.
func Parse(t Table, opt Options) *Plan {
	p := &Plan{Layout: Layout{Format: t.Format, Sheet: t.Sheet}}
	if len(t.Rows) == 0 {
		p.problem(Problem{Message: "the file has no rows; the first row names the columns (id, title, assignee, due…)"})
		return p
	}
	if !p.header(t.Rows[0]) {
		return p
	}
	if len(t.Rows) == 1 {
		p.problem(Problem{Row: t.Rows[0].Num, Message: "the file has a header but no tasks"})
		return p
	}
	refs := map[string]int{} // folded id → index in Items
	for _, row := range t.Rows[1:] {
		it, ok := p.item(row)
		if !ok {
			continue
		}
		if first, dup := refs[strings.ToLower(it.Ref)]; dup {
			p.cell(row, FieldID, fmt.Sprintf("%s is also the id of row %d; each row needs its own id", quote(it.Ref), p.Items[first].Row))
			continue
		}
		refs[strings.ToLower(it.Ref)] = len(p.Items)
		p.Items = append(p.Items, it)
	}
	p.links(t, refs)
	if len(p.Problems) == 0 {
		p.cycle(t)
	}
	p.warnings(opt)
	return p
}

func (p *Layout) problem(pr Problem) { p.Problems = append(p.Problems, pr) }

// col returns the file's column of a field.
func (p *Layout) col(f Field) (Column, bool) {
	for _, c := range p.Columns {
		if c.Field == f {
			return c, true
		}
	}
	return Column{}, false
}

// value returns a row's cell of a field, "" when the file has no such
// column.
func (p *Layout) value(r Row, f Field) string {
	c, ok := p.col(f)
	if !ok {
		return ""
	}
	return r.Cell(c.Index)
}

// cell records a problem in a row's cell of a field.
func (p *Layout) cell(r Row, f Field, msg string) {
	c, _ := p.col(f)
	p.problem(Problem{Row: r.Num, Column: c.Header, Field: f, Value: clean(p.value(r, f)), Message: msg})
}

// mapColumns maps the header row's columns to fields through lookup: a
// header that names none is ignored, a field named twice is a problem.
func (p *Layout) mapColumns(r Row, lookup func(string) (Field, bool)) {
	for i, h := range r.Cells {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		f, ok := lookup(h)
		if !ok {
			p.Ignored = append(p.Ignored, h)
			continue
		}
		if first, dup := p.col(f); dup {
			p.problem(Problem{Row: r.Num, Column: h, Field: f,
				Message: fmt.Sprintf("a second %s column (the first is %q); keep one", f, strings.TrimSpace(first.Header))})
			continue
		}
		p.Columns = append(p.Columns, Column{Index: i, Header: h, Field: f})
	}
}

// header maps the header row's columns to fields, and reports whether the
// required columns are there.
func (p *Plan) header(r Row) bool {
	p.mapColumns(r, headerField)
	ok := len(p.Problems) == 0
	for _, f := range required {
		if _, found := p.col(f); !found {
			ok = false
			p.problem(Problem{Row: r.Num, Column: string(f), Field: f, Message: fmt.Sprintf("the required column is missing; name it %s (the headers are: %s)",
				strings.Join(headers[f][:3], ", "), strings.Join(headerNames(r), ", "))})
		}
	}
	return ok
}

func headerNames(r Row) []string {
	var out []string
	for _, h := range r.Cells {
		if h = strings.TrimSpace(h); h != "" {
			out = append(out, quote(h))
		}
	}
	if len(out) == 0 {
		return []string{"none"}
	}
	return out
}

// item reads a row's cells, recording each problem; ok is false when the
// row's id cannot be read.
func (p *Plan) item(r Row) (Item, bool) {
	it := Item{Row: r.Num, Parent: -1, Assignee: clean(p.value(r, FieldAssignee))}
	check := func(f Field, err error) {
		if err != nil {
			p.cell(r, f, err.Error())
		}
	}
	var err error
	it.Ref, err = parseRef(p.value(r, FieldID))
	check(FieldID, err)
	idOK := err == nil
	it.Title, err = parseText(p.value(r, FieldTitle), MaxTitle)
	if err == nil && it.Title == "" {
		err = fmt.Errorf("is empty; every task needs a title")
	}
	check(FieldTitle, err)
	it.Description, err = parseText(p.value(r, FieldDescription), MaxDescription)
	check(FieldDescription, err)
	it.Start, err = parseDate(p.value(r, FieldStart))
	check(FieldStart, err)
	it.Due, err = parseDate(p.value(r, FieldDue))
	check(FieldDue, err)
	it.Estimate, err = parseEstimate(p.value(r, FieldEstimate))
	check(FieldEstimate, err)
	it.Milestone, err = parseFlag(p.value(r, FieldMilestone))
	check(FieldMilestone, err)
	it.Priority, err = parsePriority(p.value(r, FieldPriority))
	check(FieldPriority, err)
	if !it.Start.IsZero() && !it.Due.IsZero() && it.Due.Before(it.Start) {
		p.cell(r, FieldDue, fmt.Sprintf("%s is before the planned start %s", it.Due, it.Start))
	}
	if it.Milestone && it.Estimate > 0 {
		p.cell(r, FieldEstimate, "a milestone takes no time; leave its estimate empty or 0")
	}
	if strings.ContainsAny(it.Assignee, ",;、，；") {
		p.cell(r, FieldAssignee, quote(it.Assignee)+" names several people; a task has one assignee (split the row)")
	}
	return it, idOK
}

// links resolves each row's depends-on and parent ids.
func (p *Plan) links(t Table, refs map[string]int) {
	rows := map[int]Row{}
	for _, r := range t.Rows {
		rows[r.Num] = r
	}
	for i := range p.Items {
		it := &p.Items[i]
		r := rows[it.Row]
		after, err := parseRefs(p.value(r, FieldDependsOn))
		if err != nil {
			p.cell(r, FieldDependsOn, err.Error())
		}
		for _, ref := range after {
			j, ok := refs[strings.ToLower(ref)]
			switch {
			case !ok:
				p.cell(r, FieldDependsOn, fmt.Sprintf("%s is no row's id", quote(ref)))
			case j == i:
				p.cell(r, FieldDependsOn, "a task cannot depend on itself")
			case !containsInt(it.After, j):
				it.After = append(it.After, j)
			}
		}
		parent, err := parseRef(p.value(r, FieldParent))
		if err != nil || parent == "" {
			if clean(p.value(r, FieldParent)) != "" {
				p.cell(r, FieldParent, err.Error())
			}
			continue
		}
		j, ok := refs[strings.ToLower(parent)]
		switch {
		case !ok:
			p.cell(r, FieldParent, fmt.Sprintf("%s is no row's id", quote(parent)))
		case j == i:
			p.cell(r, FieldParent, "a task cannot be its own parent")
		default:
			it.Parent = j
		}
	}
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// cycle reports a dependency or parent cycle, with the file's ids, at the
// row of its first task.
func (p *Plan) cycle(t Table) {
	path := findCycle(p.Items)
	if len(path) == 0 {
		return
	}
	names := make([]string, len(path))
	parents := true
	for i, j := range path {
		names[i] = p.Items[j].Ref
		if i > 0 && p.Items[path[i-1]].Parent != j {
			parents = false
		}
	}
	f := FieldDependsOn
	msg := "dependency cycle " + strings.Join(names, " → ") + ": each task waits for the one before it, so none can start"
	if parents {
		f = FieldParent
		msg = "parent cycle " + strings.Join(names, " → ") + ": each task's parent is the next one"
	} else if _, ok := p.col(f); !ok {
		f = FieldParent
	}
	for _, r := range t.Rows {
		if r.Num == p.Items[path[0]].Row {
			p.cell(r, f, msg)
		}
	}
}

// warnings notes due dates in the past and on days off.
func (p *Plan) warnings(opt Options) {
	c, ok := p.col(FieldDue)
	if !ok {
		return
	}
	for _, it := range p.Items {
		w := Problem{Row: it.Row, Column: c.Header, Field: FieldDue, Value: it.Due.String()}
		switch {
		case it.Due.IsZero():
			continue
		case !opt.Today.IsZero() && it.Due.Before(opt.Today):
			w.Message = fmt.Sprintf("%s is in the past; the task will be overdue at once", it.Due)
		case opt.Cal != nil && !opt.Cal.IsWorkday(it.Due):
			w.Message = fmt.Sprintf("%s is not a working day", it.Due)
		default:
			continue
		}
		p.Warnings = append(p.Warnings, w)
	}
}
