package importer

import (
	"strings"
	"unicode"
)

// Field is a column of a plan, by its English name.
type Field string

// The columns of a plan. ID and Title are required; the rest are optional.
const (
	FieldID          Field = "id"
	FieldTitle       Field = "title"
	FieldAssignee    Field = "assignee"
	FieldStart       Field = "planned start"
	FieldDue         Field = "due"
	FieldEstimate    Field = "estimate"
	FieldDependsOn   Field = "depends on"
	FieldParent      Field = "parent"
	FieldMilestone   Field = "milestone"
	FieldDescription Field = "description"
	FieldPriority    Field = "priority"
)

// Fields lists the columns in the order of a plan template.
var Fields = []Field{FieldID, FieldTitle, FieldAssignee, FieldStart, FieldDue, FieldEstimate, FieldDependsOn, FieldParent, FieldMilestone, FieldDescription, FieldPriority}

// required are the columns a plan must have.
var required = []Field{FieldID, FieldTitle}

// headers are the names a column may have, in Chinese and English, as
// written by people and by Excel, WPS, Feishu sheets and MS Project
// exports. They are compared after fold: lower case, without spaces,
// underscores, hyphens, dots, a trailing * or ：.
var headers = map[Field][]string{
	FieldID: {"id", "编号", "序号", "任务编号", "任务id", "标识", "no", "number", "#", "key", "ref", "行号", "taskid", "uniqueid"},
	FieldTitle: {"title", "标题", "任务", "任务名称", "任务名", "名称", "任务标题", "工作项", "事项", "task", "taskname", "name",
		"summary", "subject"},
	FieldAssignee: {"assignee", "负责人", "执行人", "处理人", "责任人", "经办人", "承担人", "owner", "responsible", "assignedto",
		"resource", "resources", "resourcenames", "person"},
	FieldStart: {"plannedstart", "start", "startdate", "计划开始", "开始", "开始日期", "开始时间", "计划开始日期", "计划开始时间",
		"plannedstartdate", "begin"},
	FieldDue: {"due", "duedate", "截止", "截止日期", "截止时间", "到期", "到期日", "到期日期", "结束", "结束日期", "结束时间",
		"完成日期", "计划完成", "计划完成日期", "计划结束", "计划结束日期", "finish", "finishdate", "end", "enddate", "deadline",
		"plannedfinish", "plannedend"},
	FieldEstimate: {"estimate", "估算", "工期", "估时", "预估", "预计工期", "工作量", "工期(天)", "工期（天）", "估算(天)", "估算（天）",
		"duration", "est", "effort", "days", "estimatedays", "workdays"},
	FieldDependsOn: {"dependson", "depends", "dependencies", "dependency", "前置任务", "前置", "依赖", "依赖任务", "前置依赖",
		"紧前任务", "predecessors", "predecessor", "after"},
	FieldParent:      {"parent", "父任务", "上级任务", "父级", "父级任务", "所属任务", "parenttask", "parentid", "summarytask"},
	FieldMilestone:   {"milestone", "里程碑", "是否里程碑", "ismilestone"},
	FieldDescription: {"description", "描述", "说明", "任务描述", "详情", "notes", "note", "details", "备注"},
	FieldPriority:    {"priority", "优先级", "prio"},
}

// byHeader maps a folded header to its field.
var byHeader = func() map[string]Field {
	m := map[string]Field{}
	for f, names := range headers {
		for _, n := range names {
			m[fold(n)] = f
		}
	}
	return m
}()

// fold normalizes a header for comparison: full-width ASCII to ASCII, lower
// case, without spaces, underscores, hyphens and dots, and without a
// trailing required mark (*) or colon.
func fold(s string) string {
	s = strings.Map(func(r rune) rune {
		if r >= 0xFF01 && r <= 0xFF5E {
			r -= 0xFEE0
		}
		switch {
		case unicode.IsSpace(r), r == '_', r == '-', r == '.':
			return -1
		}
		return unicode.ToLower(r)
	}, s)
	return strings.TrimRight(s, "*:")
}

// headerField returns the field a header names: the whole header, or else
// each of its parts split at brackets and slashes ("负责人 (assignee)",
// "截止/due"), which must all agree.
func headerField(h string) (Field, bool) { return lookupHeader(byHeader, h) }

// lookupHeader is headerField over the folded headers of m.
func lookupHeader(m map[string]Field, h string) (Field, bool) {
	if f, ok := m[fold(h)]; ok {
		return f, true
	}
	parts := strings.FieldsFunc(h, func(r rune) bool { return strings.ContainsRune("()（）[]【】/|", r) })
	var found Field
	for _, p := range parts {
		if fold(p) == "" {
			continue
		}
		f, ok := m[fold(p)]
		if !ok || (found != "" && f != found) {
			return "", false
		}
		found = f
	}
	return found, found != ""
}

// knownHeader reports whether a row reads as a plan's header: it names the
// id or the title column.
func knownHeader(r Row) bool {
	for _, c := range r.Cells {
		if f, ok := headerField(c); ok && (f == FieldID || f == FieldTitle) {
			return true
		}
	}
	return false
}

// Column is a column of the file that names a field.
type Column struct {
	Index  int    // 0-based
	Header string // as written in the file
	Field  Field
}

// label names a column in messages: its header, and the field in brackets
// when the header is not the field's English name ("截止 (due)").
func (c Column) label() string {
	h := strings.TrimSpace(c.Header)
	if fold(h) == fold(string(c.Field)) {
		return h
	}
	return h + " (" + string(c.Field) + ")"
}
