package flows

import (
	"slices"
	"strings"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/calendar"
	"github.com/loopbot/loopbot/cards"
	"github.com/loopbot/loopbot/command"
)

// Card keys group the cards of one subject.
func assignKey(t bot.Task) string   { return "assign/" + t.Code() }
func declineKey(t bot.Task) string  { return "decline/" + t.Code() }
func verifyKey(t bot.Task) string   { return "verify/" + t.Code() }
func questionKey(t bot.Task) string { return "question/" + t.Code() }

// newTask is a task being created, before it is saved.
type newTask struct {
	title    string
	assignee bot.Person
	due      string // as typed; "" for none
	kv       map[string]string
}

// taskNew runs /task new <title> @assignee [due:] [project:] [after:]
// [parent:] [prio:] [est:] [start:] [milestone:].
func (s *Service) taskNew(r *req, cmd command.Command) error {
	nt := newTask{title: text(cmd.Args), due: cmd.KV["due"], kv: cmd.KV}
	return s.createTask(r, cmd, nt, "task")
}

// assign runs the short form /assign @bob <title> [<date>]: a last word
// that reads as a date is the due date.
func (s *Service) assign(r *req, cmd command.Command) error {
	args := cmd.Args
	due := cmd.KV["due"]
	if due == "" && len(args) > 1 {
		if _, err := calendar.ParseDate(args[len(args)-1], r.now, s.cfg.Calendar); err == nil {
			due, args = args[len(args)-1], args[:len(args)-1]
		}
	}
	if len(cmd.Mentions) == 0 {
		return badUsage(r, "assign", r.l.T("Whom to assign to? Mention them with @.", "指派给谁？请用 @ 提及负责人。"))
	}
	return s.createTask(r, cmd, newTask{title: text(args), due: due, kv: cmd.KV}, "assign")
}

func (s *Service) createTask(r *req, cmd command.Command, nt newTask, name string) error {
	if err := s.checkTitle(r, nt.title, name); err != nil {
		return err
	}
	var err error
	switch len(cmd.Mentions) {
	case 0:
		nt.assignee = r.me
	case 1:
		if nt.assignee, err = s.mention(r, cmd.Mentions[0]); err != nil {
			return err
		}
	default:
		return badUsage(r, name, r.l.T("A task has one assignee; create one task per person.", "一个任务只能有一个负责人，请为每人分别创建任务。"))
	}
	t, proj, err := s.buildTask(r, cmd, nt)
	if err != nil {
		return err
	}
	return s.saveNewTask(r, t, proj, nt.assignee)
}

func (s *Service) checkTitle(r *req, title, name string) error {
	switch {
	case title == "":
		return badUsage(r, name, r.l.T("The task needs a title.", "任务需要一个标题。"))
	case len([]rune(title)) > maxTitle:
		return invalid(r, "The title is longer than %d characters.", "标题超过了 %d 个字符。", maxTitle)
	}
	return nil
}

// buildTask checks the arguments and permissions and returns the new task.
func (s *Service) buildTask(r *req, cmd command.Command, nt newTask) (bot.Task, *bot.Project, error) {
	proj, err := s.taskProject(r, cmd, nt.assignee)
	if err != nil {
		return bot.Task{}, nil, err
	}
	t := bot.Task{Title: nt.title, Assignee: nt.assignee.ID, Assigner: r.me.ID, Priority: bot.PrioNormal, Status: bot.StatusAssigned}
	if proj != nil {
		t.Project = proj.ID
	}
	if nt.due != "" {
		if t.Due, err = calendar.ParseDueDate(nt.due, r.now, s.cfg.Calendar); err != nil {
			return t, nil, err
		}
		t.BaselineDue = t.Due
	}
	if err := s.taskOptions(r, &t, nt.kv); err != nil {
		return t, nil, err
	}
	if err := s.planOptions(r, "task new", &t, nt.kv); err != nil {
		return t, nil, err
	}
	return t, proj, nil
}

// taskProject finds the project of a new task and checks that the caller
// may assign in it.
func (s *Service) taskProject(r *req, cmd command.Command, assignee bot.Person) (*bot.Project, error) {
	p, ok, err := s.projectOf(r, cmd)
	if err != nil {
		return nil, err
	}
	self := assignee.ID == r.me.ID
	if !ok {
		if !self && !r.me.IsManager() {
			return nil, forbidden(r, "Only managers assign tasks to others. You can create tasks for yourself, or ask an admin for /role @you manager.",
				"只有经理可以给他人指派任务。你可以给自己建任务，或请管理员执行 /角色 @你 manager。")
		}
		return nil, nil
	}
	if p.Closed {
		return nil, invalid(r, "Project %s is closed.", "项目 %s 已关闭。", p.Code())
	}
	if !self && !r.manages(p) {
		return nil, forbidden(r, "Only the managers of %s assign its tasks to others.", "只有 %s 的经理可以给他人指派任务。", p.Code())
	}
	if self && !r.inProject(p) {
		return nil, forbidden(r, "You are not a member of %s.", "你不是 %s 的成员。", p.Code())
	}
	return &p, nil
}

// taskOptions applies after:, parent:, prio: and est:.
func (s *Service) taskOptions(r *req, t *bot.Task, kv map[string]string) error {
	if v, ok := kv["after"]; ok {
		ids, err := command.ParseIDList(v)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := s.loadTask(r, bot.TaskCode(id)); err != nil {
				return err
			}
		}
		t.DependsOn = ids
	}
	if v, ok := kv["parent"]; ok {
		parent, err := s.loadTask(r, v)
		if err != nil {
			return err
		} else if parent.Project != t.Project {
			return invalid(r, "The parent task %s is in another project.", "父任务 %s 属于另一个项目。", parent.Code())
		}
		t.Parent = parent.ID
	}
	if v, ok := kv["prio"]; ok {
		p, err := parsePriority(r, v)
		if err != nil {
			return err
		}
		t.Priority = p
	}
	if v, ok := kv["est"]; ok {
		est, err := parseEstimate(r, v)
		if err != nil {
			return err
		}
		t.EstimateDays = est
	}
	return nil
}

func parsePriority(r *req, v string) (string, error) {
	switch strings.ToLower(v) {
	case "high", "h", "高", "紧急":
		return bot.PrioHigh, nil
	case "normal", "n", "medium", "中", "普通":
		return bot.PrioNormal, nil
	case "low", "l", "低":
		return bot.PrioLow, nil
	}
	return "", invalid(r, "%q is not a priority; use high, normal or low.", "“%s”不是优先级，请用 high、normal 或 low（高/普通/低）。", v)
}

// parseEstimate reads an estimate in working days: "3d", "3wd", "3", "2.5d",
// "3天".
func parseEstimate(r *req, v string) (float64, error) {
	num := strings.TrimSpace(strings.ToLower(v))
	for _, suffix := range []string{"个工作日", "工作日", "wd", "d", "天"} {
		num = strings.TrimSuffix(num, suffix)
	}
	f, ok := bot.ParseDecimal(num)
	if !ok || !(f > 0 && f <= 1000) {
		return 0, invalid(r, "%q is not an estimate; write working days like 3d.", "“%s”不是有效估时，请写工作日数，如 3d。", v)
	}
	return f, nil
}

// saveNewTask stores the task, sends the assignment card and answers.
func (s *Service) saveNewTask(r *req, t bot.Task, proj *bot.Project, assignee bot.Person) error {
	id, err := r.tx.NextTaskID()
	if err != nil {
		return err
	}
	t.ID = id
	if t.Parent != 0 && len(t.DependsOn) > 0 {
		// A new task can close a cycle only through its parent: a task
		// that waits for its own parent, or for a task under it.
		if err := s.checkCycle(r, t); err != nil {
			return err
		}
	}
	if err := s.storeNewTask(r.tx, &t, proj, r.me.ID); err != nil {
		return err
	}
	info, err := s.taskInfo(r.tx, t)
	if err != nil {
		return err
	}
	self := assignee.ID == r.me.ID
	if !self {
		if err := s.sendAssigned(r.tx, t, info); err != nil {
			return err
		}
	}
	return s.reply(r, s.createdText(r, t, info, self))
}

// storeNewTask saves a new task whose ID is set, created by actor: its
// times, accepted at once when actor assigns it to themselves, the audit
// event, and the assignee added to the project's members (proj, when not
// nil, is updated and saved).
func (s *Service) storeNewTask(tx bot.Tx, t *bot.Task, proj *bot.Project, actor bot.PersonID) error {
	now := s.cfg.Clock.Now()
	t.CreatedAt, t.UpdatedAt, t.StatusAt, t.ProgressAt = now, now, now, now
	if t.Assignee == actor {
		t.Status = bot.StatusAccepted
	}
	if err := tx.PutTask(*t); err != nil {
		return err
	}
	if err := s.audit(tx, bot.AuditEvent{Actor: actor, Kind: "task_created", Project: t.Project, Task: t.ID, Field: "assignee", New: string(t.Assignee), Note: t.Title}); err != nil {
		return err
	}
	if proj != nil && !proj.IsMember(t.Assignee) {
		proj.AddMember(t.Assignee)
		proj.UpdatedAt = now
		return tx.PutProject(*proj)
	}
	return nil
}

// sendAssigned sends a task's assignment card (Accept, Decline, Ask) to
// its assignee.
func (s *Service) sendAssigned(tx bot.Tx, t bot.Task, info cards.TaskInfo) error {
	_, err := s.sendDM(tx, t.Assignee, assignKey(t), cards.Assigned(s.lang(info.Assignee), info))
	return err
}

func (s *Service) createdText(r *req, t bot.Task, info cards.TaskInfo, self bool) string {
	l := r.l
	msg := l.M("✅ Created %s «%s»", "✅ 已创建 %s「%s」", cards.Code(t), t.Title)
	if !self {
		msg += l.M(" for %s; the assignment card was sent.", "，负责人 %s，已发送任务卡片。", info.Assignee.DisplayName())
	} else {
		msg += l.T(" for yourself.", "（自己负责）。")
	}
	if !t.Due.IsZero() {
		msg += "\n" + l.T("Due: ", "截止：") + l.Date(t.Due)
		if info.DueOff {
			msg += l.T(" — note: that is not a working day.", " —— 注意：这天不是工作日。")
		}
	}
	if info.Project != nil {
		msg += "\n" + l.T("Project: ", "项目：") + info.Project.Code() + " " + bot.EscapeMarkdown(info.Project.Name)
	}
	return msg
}

// taskInfo loads what a task card shows.
func (s *Service) taskInfo(tx bot.Tx, t bot.Task) (cards.TaskInfo, error) {
	in := cards.TaskInfo{Task: t, Assignee: s.person(tx, t.Assignee), Assigner: s.person(tx, t.Assigner)}
	if t.Project != 0 {
		p, err := tx.Project(t.Project)
		if err != nil {
			return in, err
		}
		in.Project = &p
	}
	for _, id := range t.DependsOn {
		d, err := tx.Task(id)
		if err == nil {
			in.Deps = append(in.Deps, d)
		}
	}
	if t.Parent != 0 {
		if p, err := tx.Task(t.Parent); err == nil {
			in.Parent = &p
		}
	}
	in.DueOff = !t.Due.IsZero() && !s.cfg.Calendar.IsWorkday(t.Due)
	return in, nil
}

// saveTask stores a changed task with an audit event for one field, and
// re-checks its escalations at once.
func (s *Service) saveTask(r *req, t bot.Task, kind, field, old, new, note string) error {
	t.UpdatedAt = s.cfg.Clock.Now()
	if err := r.tx.PutTask(t); err != nil {
		return err
	}
	if err := s.audit(r.tx, bot.AuditEvent{Actor: r.me.ID, Kind: kind, Project: t.Project, Task: t.ID, Field: field, Old: old, New: new, Note: note}); err != nil {
		return err
	}
	return s.taskChanged(r.tx, t, r.me.ID)
}

// setStatus changes a task's status and records it.
func (s *Service) setStatus(r *req, t *bot.Task, to bot.TaskStatus, note string) error {
	from := t.Status
	t.Status = to
	t.StatusAt = s.cfg.Clock.Now()
	switch {
	case to == bot.StatusDone:
		t.DoneAt = t.StatusAt
	case to.Open():
		t.DoneAt = time.Time{}
	}
	if err := s.saveTask(r, *t, "status", "status", string(from), string(to), note); err != nil {
		return err
	}
	if from.Open() && !to.Open() {
		return s.withdrawChange(r, *t)
	}
	return nil
}

// canManage reports whether the caller may manage a task: its assigner, a
// manager of its project, or an admin.
func (s *Service) canManage(r *req, t bot.Task) bool {
	if r.me.IsAdmin() || t.Assigner == r.me.ID {
		return true
	}
	if t.Project == 0 {
		return false
	}
	p, err := r.tx.Project(t.Project)
	return err == nil && p.IsManager(r.me.ID)
}

// canWork reports whether the caller may update a task: its assignee or
// someone who manages it.
func (s *Service) canWork(r *req, t bot.Task) bool {
	return t.Assignee == r.me.ID || s.canManage(r, t)
}

// canSee reports whether the caller may see a task.
func (s *Service) canSee(r *req, t bot.Task) bool {
	if s.canWork(r, t) {
		return true
	}
	if t.Project == 0 {
		return false
	}
	p, err := r.tx.Project(t.Project)
	return err == nil && p.IsMember(r.me.ID)
}

// accept moves an assigned task to accepted and finishes its assignment
// cards with the state line.
func (s *Service) accept(r *req, t *bot.Task) (map[uint64]bot.CardRecord, error) {
	if err := s.setStatus(r, t, bot.StatusAccepted, ""); err != nil {
		return nil, err
	}
	at := s.cfg.Clock.Now()
	return s.finishCards(r.tx, assignKey(*t), func(rec bot.CardRecord, l reader) bot.Card {
		return cards.Finish(rec.Card, bot.ColorGreen, l.State(l.T("Accepted", "已接受"), r.me, at))
	})
}

// reassign gives a task to someone else: the old cards are finished and
// the new assignee gets the assignment card.
func (s *Service) reassign(r *req, t bot.Task, to bot.Person) (map[uint64]bot.CardRecord, error) {
	if to.ID == t.Assignee && t.Status != bot.StatusDeclined {
		return nil, invalid(r, "%s is already the assignee of %s.", "%s 已经是 %s 的负责人。", to.DisplayName(), t.Code())
	}
	old := t.Assignee
	t.Assignee, t.Status, t.StatusAt = to.ID, bot.StatusAssigned, s.cfg.Clock.Now()
	if to.ID == r.me.ID {
		t.Status = bot.StatusAccepted
	}
	if err := s.saveTask(r, t, "reassigned", "assignee", string(old), string(to.ID), ""); err != nil {
		return nil, err
	}
	at := s.cfg.Clock.Now()
	finished, err := s.finishAll(r, t, bot.ColorGrey, func(l reader) string {
		return l.State(l.M("Reassigned to %s", "已转派给 %s", to.DisplayName()), r.me, at)
	})
	if err != nil {
		return nil, err
	}
	if err := s.addToProject(r, t, to.ID); err != nil {
		return nil, err
	}
	if old != r.me.ID && old != to.ID {
		if err := s.notify(r.tx, old, s.lang(s.person(r.tx, old)).M("%s was reassigned to %s.", "%s 已转派给 %s。", t.Code(), to.DisplayName())); err != nil {
			return nil, err
		}
	}
	if to.ID == r.me.ID {
		return finished, nil
	}
	info, err := s.taskInfo(r.tx, t)
	if err != nil {
		return nil, err
	}
	return finished, s.sendAssigned(r.tx, t, info)
}

func (s *Service) addToProject(r *req, t bot.Task, id bot.PersonID) error {
	if t.Project == 0 {
		return nil
	}
	p, err := r.tx.Project(t.Project)
	if err != nil || p.IsMember(id) {
		return err
	}
	p.AddMember(id)
	return r.tx.PutProject(p)
}

// finishAll finishes every open card about a task: assignment, decline,
// acceptance and question cards.
func (s *Service) finishAll(r *req, t bot.Task, color string, state func(l reader) string) (map[uint64]bot.CardRecord, error) {
	all := map[uint64]bot.CardRecord{}
	for _, key := range []string{assignKey(t), declineKey(t), verifyKey(t)} {
		got, err := s.finishCards(r.tx, key, func(rec bot.CardRecord, l reader) bot.Card {
			return cards.Finish(rec.Card, color, state(l))
		})
		if err != nil {
			return nil, err
		}
		for id, rec := range got {
			all[id] = rec
		}
	}
	return all, nil
}

// cancel ends a task and finishes its cards.
func (s *Service) cancel(r *req, t bot.Task, reason string) (map[uint64]bot.CardRecord, error) {
	if !t.Status.Open() && t.Status != bot.StatusDeclined && t.Status != bot.StatusDone {
		return nil, invalid(r, "%s is already %s.", "%s 已经是“%s”状态。", t.Code(), r.l.Status(t.Status))
	}
	if err := s.setStatus(r, &t, bot.StatusCancelled, reason); err != nil {
		return nil, err
	}
	at := s.cfg.Clock.Now()
	finished, err := s.finishAll(r, t, bot.ColorGrey, func(l reader) string {
		return l.State(l.T("Cancelled", "已取消"), r.me, at)
	})
	if err != nil {
		return nil, err
	}
	if t.Assignee != r.me.ID {
		msg := s.lang(s.person(r.tx, t.Assignee)).M("%s «%s» was cancelled by %s.", "%s「%s」已被 %s 取消。", t.Code(), t.Title, r.me.DisplayName())
		if reason != "" {
			msg += " " + bot.EscapeMarkdown(reason)
		}
		if err := s.notify(r.tx, t.Assignee, msg); err != nil {
			return nil, err
		}
	}
	return finished, nil
}

// reassignCmd runs /reassign <T> @user.
func (s *Service) reassignCmd(r *req, cmd command.Command) error {
	t, err := s.taskArg(r, cmd, "reassign")
	if err != nil {
		return err
	}
	if len(cmd.Mentions) != 1 {
		return badUsage(r, "reassign", r.l.T("To whom? Mention one person with @.", "转派给谁？请 @ 一个人。"))
	}
	if err := s.mustManage(r, t); err != nil {
		return err
	}
	if !t.Status.Open() && t.Status != bot.StatusDeclined {
		return invalid(r, "%s is %s; only open tasks can be reassigned.", "%s 状态为“%s”，只能转派未完成的任务。", t.Code(), r.l.Status(t.Status))
	}
	to, err := s.mention(r, cmd.Mentions[0])
	if err != nil {
		return err
	}
	if _, err := s.reassign(r, t, to); err != nil {
		return err
	}
	return s.reply(r, r.l.M("🔁 %s reassigned to %s.", "🔁 %s 已转派给 %s。", t.Code(), to.DisplayName()))
}

// cancelCmd runs /cancel <T> [reason].
func (s *Service) cancelCmd(r *req, cmd command.Command) error {
	t, err := s.taskArg(r, cmd, "cancel")
	if err != nil {
		return err
	}
	if err := s.mustManage(r, t); err != nil {
		return err
	}
	if _, err := s.cancel(r, t, text(cmd.Args[1:])); err != nil {
		return err
	}
	return s.reply(r, r.l.F("🚫 %s cancelled.", "🚫 %s 已取消。", t.Code()))
}

func (s *Service) mustManage(r *req, t bot.Task) error {
	if s.canManage(r, t) {
		return nil
	}
	return forbidden(r, "Only the assigner of %s, a manager of its project or an admin can do that.", "只有 %s 的指派人、项目经理或管理员可以这样做。", t.Code())
}

func (s *Service) mustWork(r *req, t bot.Task) error {
	if s.canWork(r, t) {
		return nil
	}
	return forbidden(r, "Only the assignee of %s or its managers can update it.", "只有 %s 的负责人或其经理可以更新它。", t.Code())
}

// containsID reports whether ids holds id.
func containsID(ids []uint64, id uint64) bool { return slices.Contains(ids, id) }
