package flows

import (
	"slices"
	"strconv"
	"strings"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/calendar"
	"github.com/loopbot/loopbot/cards"
	"github.com/loopbot/loopbot/command"
	"github.com/loopbot/loopbot/plan"
)

// The plan fields of a task (SPEC §3 /task edit), in the order a reply
// lists their changes.
var planFields = []string{"title", "due", "start", "after", "parent", "est", "prio", "milestone"}

// isNone reports whether a value clears a field: none, 无 or "-".
func isNone(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "none", "无", "-", "清空":
		return true
	}
	return false
}

// startOption reads the planned start of /task new and /task edit: start:,
// or 开始:, which the parser reads as from:. Both at once are refused.
func startOption(r *req, name string, kv map[string]string) (string, bool, error) {
	v, ok := kv["start"]
	if f, has := kv["from"]; has {
		if ok {
			return "", false, badUsage(r, name, r.l.T("Give the planned start once.", "计划开始日期只能写一次。"))
		}
		v, ok = f, true
	}
	return v, ok, nil
}

// parseYesNo reads milestone:yes|no.
func parseYesNo(r *req, key, v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "yes", "y", "true", "on", "1", "是", "对":
		return true, nil
	case "no", "n", "false", "off", "0", "否", "不是":
		return false, nil
	}
	return false, invalid(r, "%s: %q is neither yes nor no.", "%s：“%s”不是 yes 或 no（是/否）。", key, v)
}

// planOptions applies start: and milestone: to a task being created or
// edited; taskOptions applies the others.
func (s *Service) planOptions(r *req, name string, t *bot.Task, kv map[string]string) error {
	if v, ok, err := startOption(r, name, kv); err != nil {
		return err
	} else if ok {
		if isNone(v) {
			t.PlannedStart = bot.Date{}
		} else if t.PlannedStart, err = calendar.ParseDate(v, r.now, s.cfg.Calendar); err != nil {
			return err
		} else if today := bot.DateOf(r.now); t.PlannedStart.Before(today) {
			return invalid(r, "start: %s is in the past; a planned start is today (%s) or later.", "start：%s 已经过去，计划开始日期须为今天（%s）或以后。",
				r.l.Date(t.PlannedStart), r.l.Date(today))
		}
	}
	if v, ok := kv["milestone"]; ok {
		m, err := parseYesNo(r, "milestone", v)
		if err != nil {
			return err
		}
		t.Milestone = m
	}
	if !t.PlannedStart.IsZero() && !t.Due.IsZero() && t.Due.Before(t.PlannedStart) {
		return invalid(r, "The planned start %s is after the due date %s.", "计划开始 %s 晚于截止日期 %s。", r.l.Date(t.PlannedStart), r.l.Date(t.Due))
	}
	return nil
}

// checkCycle refuses a task whose after: and parent: links form a cycle,
// and shows the cycle: "T3 → T5 → T3". It looks at every task linked to t
// through after:, parent: and sub-tasks, in any project, since a summary
// task's sub-tasks take part in its links.
func (s *Service) checkCycle(r *req, t bot.Task) error {
	loc := s.loc(r.me)
	tasks := []plan.Task{planTask(t, loc)}
	seen := map[uint64]bool{t.ID: true}
	queue := []bot.Task{t}
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		kids, err := r.tx.Tasks(bot.TaskFilter{Parent: x.ID})
		if err != nil {
			return err
		}
		next := slices.Concat(x.DependsOn, []uint64{x.Parent})
		for _, k := range kids {
			next = append(next, k.ID)
		}
		for _, id := range next {
			if id == 0 || seen[id] {
				continue
			}
			seen[id] = true
			y, err := r.tx.Task(id)
			if bot.ErrorCode(err) == bot.ENOTFOUND {
				continue
			} else if err != nil {
				return err
			}
			if y.Status == bot.StatusCancelled {
				continue
			}
			tasks = append(tasks, planTask(y, loc))
			queue = append(queue, y)
		}
	}
	cycle := plan.FindCycle(tasks)
	if cycle == nil {
		return nil
	}
	return invalid(r, "That would make a cycle: %s. A task cannot wait for itself, nor be part of itself.",
		"这样会形成循环：%s。任务不能（间接）依赖自身，也不能成为自己的子任务。", (&plan.CycleError{Path: cycle}).Error())
}

// taskEdit runs /task edit <T> [title:] [due:] [start:] [after:] [parent:]
// [est:] [prio:] [milestone:]. The task's managers change every field; an
// assignee who does not manage it is told to use /due for a new due date.
func (s *Service) taskEdit(r *req, cmd command.Command) error {
	t, err := s.taskArg(r, cmd, "task edit")
	if err != nil {
		return err
	}
	if len(cmd.Args) > 1 || len(cmd.Mentions) > 0 {
		return badUsage(r, "task edit", r.l.T("Write each change as key:value, such as due:12-01; to give the task to someone else use /reassign.",
			"每项修改请写成 键:值，如 截止:12-01；转给他人请用 /转派。"))
	}
	if len(cmd.KV) == 0 {
		return badUsage(r, "task edit", r.l.T("What should change? Give at least one key:value.", "要修改什么？请至少写一项 键:值。"))
	}
	if err := s.mayEdit(r, t, cmd.KV); err != nil {
		return err
	}
	if t.Status == bot.StatusCancelled {
		return invalid(r, "%s is cancelled.", "%s 已取消。", t.Code())
	}
	nt, err := s.editedTask(r, t, cmd.KV)
	if err != nil {
		return err
	}
	changes := s.planChanges(r, t, nt)
	if len(changes) == 0 {
		return s.reply(r, r.l.F("Nothing changed: %s already has those values.", "%s 已是这些值，没有变化。", t.Code()))
	}
	if !slices.Equal(t.DependsOn, nt.DependsOn) || t.Parent != nt.Parent {
		if err := s.checkCycle(r, nt); err != nil {
			return err
		}
	}
	if nt.Due != t.Due {
		if err := s.noPendingChange(r, t); err != nil {
			return err
		}
	}
	if nt.Due == t.Due || t.Due.IsZero() {
		msg, err := s.saveEdit(r, t, nt, changes)
		if err != nil {
			return err
		}
		return s.reply(r, msg)
	}
	return s.editWithDue(r, t, nt, changes)
}

// editWithDue saves an edit that moves an existing due date: the other
// fields as any edit, then the due date as the editor's own change request
// (changeDue), so that the reply shows its impact, the dependants are
// re-planned and their assignees told, exactly as for /due.
func (s *Service) editWithDue(r *req, t, nt bot.Task, changes []fieldChange) error {
	due := nt.Due
	nt.Due, nt.BaselineDue = t.Due, t.BaselineDue
	changes = slices.DeleteFunc(changes, func(c fieldChange) bool { return c.field == "due" })
	var msgs []string
	if len(changes) > 0 {
		msg, err := s.saveEdit(r, t, nt, changes)
		if err != nil {
			return err
		}
		msgs = append(msgs, msg)
		if nt, err = r.tx.Task(t.ID); err != nil {
			return err
		}
	}
	res, err := s.changeDue(r, nt, due, r.l.T("changed with /task edit", "通过 /任务 修改 调整"), 0)
	if err != nil {
		return err
	}
	if !s.cfg.Calendar.IsWorkday(due) {
		res.text += "\n" + r.l.F("Note: %s is not a working day.", "注意：%s 不是工作日。", r.l.Date(due))
	}
	return s.reply(r, strings.Join(append(msgs, res.text), "\n\n"))
}

// noPendingChange refuses a new due date while a change request of the
// task waits for a decision: that request is decided first.
func (s *Service) noPendingChange(r *req, t bot.Task) error {
	c, err := r.tx.PendingChange(t.ID)
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	return bot.Errorf(bot.ECONFLICT, "%s", r.l.F("%s asks to move %s to %s and waits for a decision: send /approve %s or /reject %s <reason> first.",
		"%s 申请将 %s 调整到 %s，尚待审批：请先发送 /批准 %s 或 /驳回 %s <理由>。", c.Code(), t.Code(), r.l.Date(c.New), c.Code(), c.Code()))
}

// mayEdit checks that the caller may change these fields of t: the task's
// managers change its plan (canManage); a new due date is theirs to set
// only when they decide its changes (canDecide, as for /due): not when
// they work on it themselves under someone else. Whoever else works on it
// asks for a due date with /due.
func (s *Service) mayEdit(r *req, t bot.Task, kv map[string]string) error {
	due, hasDue := kv["due"]
	if s.canManage(r, t) && (!hasDue || s.canDecide(r, t)) {
		return nil
	}
	if hasDue && s.canWork(r, t) {
		if s.built("due") {
			return forbidden(r, "A new due date for your own task is a change request: send /due %s %s <reason>, and its managers see the impact and decide.",
				"调整自己任务的截止日期需要提交变更申请：请发送 /延期 %s %s <原因>，经理会看到影响分析并审批。", t.Code(), due)
		}
		return forbidden(r, "Only the managers of %s change its due date. Ask them, or use /due once it is available.",
			"只有 %s 的经理可以修改截止日期。请联系经理，或在 /延期 开放后使用它申请。", t.Code())
	}
	if t.Assignee == r.me.ID {
		return forbidden(r, "Only the assigner of %s, a manager of its project or an admin can change its plan; you update it with /progress, /block and /done.",
			"只有 %s 的指派人、项目经理或管理员可以修改它的计划；你可以用 /进度、/阻塞 和 /完成 更新它。", t.Code())
	}
	return forbidden(r, "Only the assigner of %s, a manager of its project or an admin can change its plan.",
		"只有 %s 的指派人、项目经理或管理员可以修改它的计划。", t.Code())
}

// editedTask returns t with the changes of kv applied and checked.
func (s *Service) editedTask(r *req, t bot.Task, kv map[string]string) (bot.Task, error) {
	nt := t
	nt.DependsOn = slices.Clone(t.DependsOn)
	if v, ok := kv["title"]; ok {
		v = strings.TrimSpace(v)
		if err := s.checkTitle(r, v, "task edit"); err != nil {
			return nt, err
		}
		nt.Title = v
	}
	if v, ok := kv["due"]; ok {
		due, err := calendar.ParseDueDate(v, r.now, s.cfg.Calendar)
		if err != nil {
			return nt, err
		}
		nt.Due = due
		if nt.BaselineDue.IsZero() {
			nt.BaselineDue = due
		}
	}
	rest := map[string]string{}
	for _, k := range []string{"after", "parent", "est", "prio"} {
		if v, ok := kv[k]; ok && !isNone(v) {
			rest[k] = v
		} else if ok {
			clearField(&nt, k)
		}
	}
	if err := s.taskOptions(r, &nt, rest); err != nil {
		return nt, err
	}
	if slices.Contains(nt.DependsOn, nt.ID) || nt.Parent == nt.ID {
		return nt, invalid(r, "%s cannot wait for itself, nor be its own parent.", "%s 不能依赖自身，也不能是自己的父任务。", nt.Code())
	}
	return nt, s.planOptions(r, "task edit", &nt, kv)
}

// clearField clears a field given as none.
func clearField(t *bot.Task, key string) {
	switch key {
	case "after":
		t.DependsOn = nil
	case "parent":
		t.Parent = 0
	case "est":
		t.EstimateDays = 0
	case "prio":
		t.Priority = bot.PrioNormal
	}
}

// fieldChange is one changed plan field, with the old and new values as
// stored in the audit log.
type fieldChange struct {
	field, old, new string
}

// planChanges lists the plan fields that differ between t and nt.
func (s *Service) planChanges(r *req, t, nt bot.Task) []fieldChange {
	var out []fieldChange
	for _, f := range planFields {
		old, new := planValue(t, f), planValue(nt, f)
		if old != new {
			out = append(out, fieldChange{f, old, new})
		}
	}
	return out
}

// planValue writes one plan field as the audit log keeps it: dates as
// 2006-01-02, ids as T3,T5, a milestone as yes or no, "" for none.
func planValue(t bot.Task, field string) string {
	switch field {
	case "title":
		return t.Title
	case "due":
		return t.Due.String()
	case "start":
		return t.PlannedStart.String()
	case "after":
		codes := make([]string, len(t.DependsOn))
		for i, id := range t.DependsOn {
			codes[i] = bot.TaskCode(id)
		}
		return strings.Join(codes, ",")
	case "parent":
		if t.Parent == 0 {
			return ""
		}
		return bot.TaskCode(t.Parent)
	case "est":
		if t.EstimateDays == 0 {
			return ""
		}
		return strconv.FormatFloat(t.EstimateDays, 'f', -1, 64)
	case "prio":
		return t.Priority
	case "milestone":
		if t.Milestone {
			return "yes"
		}
		return "no"
	}
	return ""
}

// saveEdit stores an edited task with one audit event per changed field,
// refreshes its open cards, tells its assignee, and returns the answer.
func (s *Service) saveEdit(r *req, old, t bot.Task, changes []fieldChange) (string, error) {
	t.UpdatedAt = s.cfg.Clock.Now()
	if err := r.tx.PutTask(t); err != nil {
		return "", err
	}
	for _, c := range changes {
		kind := "task_edited"
		if c.field == "due" {
			kind = "due_changed"
		}
		if err := s.audit(r.tx, bot.AuditEvent{Actor: r.me.ID, Kind: kind, Project: t.Project, Task: t.ID, Field: c.field, Old: c.old, New: c.new}); err != nil {
			return "", err
		}
	}
	if err := s.taskChanged(r.tx, t, r.me.ID); err != nil {
		return "", err
	}
	if err := s.refreshTaskCards(r.tx, t); err != nil {
		return "", err
	}
	lines := make([]string, len(changes))
	for i, c := range changes {
		lines[i] = "- " + s.changeWords(r.l, c)
	}
	if t.Assignee != r.me.ID && t.Status.Open() {
		l := s.lang(s.person(r.tx, t.Assignee))
		who := make([]string, len(changes))
		for i, c := range changes {
			who[i] = "- " + s.changeWords(l, c)
		}
		msg := l.M("✏️ %s changed %s «%s»:", "✏️ %s 修改了 %s「%s」：", r.me.DisplayName(), t.Code(), t.Title) + "\n" + strings.Join(who, "\n")
		if err := s.notify(r.tx, t.Assignee, msg); err != nil {
			return "", err
		}
	}
	msg := r.l.M("✏️ %s updated:", "✏️ 已修改 %s：", cards.Code(t)) + "\n" + strings.Join(lines, "\n")
	if !t.Due.IsZero() && t.Due != old.Due && !s.cfg.Calendar.IsWorkday(t.Due) {
		msg += "\n" + r.l.T("Note: the new due date is not a working day.", "注意：新的截止日期不是工作日。")
	}
	return msg, nil
}

// changeWords writes one change as card markdown: "due date 11-27 周五 →
// 12-01 周二".
func (s *Service) changeWords(l cards.Lang, c fieldChange) string {
	return l.T(fieldName(c.field).en, fieldName(c.field).zh) + " " + bot.EscapeMarkdown(valueWords(l, c.field, c.old)) + " → " + bot.EscapeMarkdown(valueWords(l, c.field, c.new))
}

type words struct{ en, zh string }

// fieldName names a plan field for people.
func fieldName(field string) words {
	switch field {
	case "title":
		return words{"title", "标题"}
	case "due":
		return words{"due date", "截止日期"}
	case "start":
		return words{"planned start", "计划开始"}
	case "after":
		return words{"after", "前置任务"}
	case "parent":
		return words{"parent", "父任务"}
	case "est":
		return words{"estimate", "估时"}
	case "prio":
		return words{"priority", "优先级"}
	case "milestone":
		return words{"milestone", "里程碑"}
	}
	return words{field, field}
}

// valueWords writes a stored plan value for people: dates with their
// weekday, estimates in working days, "none" for an empty value.
func valueWords(l cards.Lang, field, v string) string {
	if v == "" {
		return l.T("none", "无")
	}
	switch field {
	case "due", "start":
		if d, err := bot.ParseISODate(v); err == nil {
			return l.Date(d)
		}
	case "est":
		return l.F("%s working days", "%s 个工作日", v)
	case "prio":
		return l.Priority(v)
	case "milestone":
		if v == "yes" {
			return "◆ " + l.T("yes", "是")
		}
		return l.T("no", "否")
	}
	return v
}

// refreshTaskCards redraws the open assignment and acceptance cards of a
// task with its new fields. Their actions keep their names and are signed
// again for the same card and person, so that a click still works.
func (s *Service) refreshTaskCards(tx bot.Tx, t bot.Task) error {
	info, err := s.taskInfo(tx, t)
	if err != nil {
		return err
	}
	for _, key := range []string{assignKey(t), verifyKey(t)} {
		recs, err := tx.CardsByKey(key)
		if err != nil {
			return err
		}
		for _, rec := range recs {
			if rec.Card.Finished() || rec.Card.Kind != bot.CardTaskAssigned && rec.Card.Kind != bot.CardAcceptance {
				continue
			}
			c := rec.Card
			fresh := cards.Assigned(s.readerOf(tx, rec).Lang, info)
			if c.Kind == bot.CardAcceptance {
				fresh = cards.Acceptance(s.readerOf(tx, rec).Lang, info, "")
				fresh.Text = c.Text // the assignee's note stays
			}
			c.Title, c.Fields = fresh.Title, fresh.Fields
			if _, err := s.updateCard(tx, rec, c); err != nil {
				return err
			}
		}
	}
	return nil
}
