package flows

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/cards"
	"github.com/loopbot/loopbot/command"
)

// maxList is the most tasks a list shows.
const maxList = 30

// taskShow runs /task show <T>: the task card with its history.
func (s *Service) taskShow(r *req, cmd command.Command) error {
	t, err := s.taskArg(r, cmd, "task")
	if err != nil {
		return err
	}
	if !s.canSee(r, t) {
		return forbidden(r, "%s belongs to a project you are not in.", "%s 属于你未参加的项目。", t.Code())
	}
	info, err := s.taskInfo(r.tx, t)
	if err != nil {
		return err
	}
	if info.Rollup, err = s.taskRollup(r.tx, t, bot.DateOf(r.now), s.loc(r.me)); err != nil {
		return err
	}
	events, err := r.tx.TaskHistory(t.ID)
	if err != nil {
		return err
	}
	history := make([]string, 0, len(events))
	for _, e := range events {
		history = append(history, s.describe(r, e))
	}
	_, err = s.sendCard(r.tx, r.ev.Chat, "", "", cards.Detail(r.l, info, history))
	return err
}

// describe writes one audit event as a history line, in words: every kind
// of event a task's history holds has its own, and a kind without one is
// shown with its underscores as spaces rather than as an internal name.
func (s *Service) describe(r *req, e bot.AuditEvent) string {
	who := s.person(r.tx, e.Actor).DisplayName()
	if e.Actor == "" {
		who = r.l.T("loopbot", "系统")
	}
	line := r.l.Stamp(e.Time.In(s.loc(r.me))) + " " + who + " "
	note := e.Note
	switch {
	case e.Kind == "task_created":
		line += r.l.T("created the task", "创建了任务")
		note = ""
	case e.Field == "status":
		line += r.l.Status(bot.TaskStatus(e.Old)) + " → " + r.l.Status(bot.TaskStatus(e.New))
	case e.Field == "assignee":
		line += r.l.T("assigned to ", "指派给 ") + s.person(r.tx, bot.PersonID(e.New)).DisplayName()
	case e.Field == "progress":
		line += r.l.T("progress ", "进度 ") + e.Old + "% → " + e.New + "%"
	case e.Kind == "extension_requested", e.Kind == "change_requested":
		line += r.l.F("asked to move the due date to %s", "申请延期至 %s", s.dateWords(r, e.New))
	case e.Kind == "change_rejected":
		line += r.l.F("rejected moving the due date to %s", "驳回了延期至 %s 的申请", s.dateWords(r, e.New))
	case e.Field == "due":
		line += r.l.T("due date ", "截止日期 ") + s.dateWords(r, e.Old) + " → " + s.dateWords(r, e.New)
	case e.Kind == "task_edited":
		name := fieldName(e.Field)
		line += r.l.T(name.en, name.zh) + " " + valueWords(r.l, e.Field, e.Old) + " → " + valueWords(r.l, e.Field, e.New)
	case e.Kind == "question":
		line += r.l.T("asked a question", "提出问题")
	case e.Kind == "escalation_opened", e.Kind == "escalation_resolved":
		code, rule, _ := strings.Cut(e.Note, " ")
		if e.Kind == "escalation_opened" {
			line += r.l.F("warning %s: %s", "督办 %s：%s", code, r.l.RuleName(rule))
		} else {
			line += r.l.F("warning %s resolved (%s)", "督办 %s 已解决（%s）", code, r.l.RuleName(rule))
		}
		note = ""
	default:
		line += strings.ReplaceAll(e.Kind, "_", " ")
	}
	if note != "" {
		line += " · " + note
	}
	return line
}

// dateWords writes a stored date (yyyy-mm-dd) as the reader reads dates;
// other text is kept as it is.
func (s *Service) dateWords(r *req, v string) string {
	if d, err := bot.ParseISODate(v); err == nil {
		return r.l.Date(d)
	}
	return v
}

// taskList runs /tasks [mine|@user|overdue|blocked|<P>]. Without an
// argument it lists the caller's open tasks, or in a project's group the
// project's open tasks.
func (s *Service) taskList(r *req, cmd command.Command) error {
	title, tasks, err := s.selectTasks(r, cmd)
	if err != nil {
		return err
	}
	text, err := s.listText(r, title, tasks)
	if err != nil {
		return err
	}
	return s.reply(r, text)
}

func (s *Service) selectTasks(r *req, cmd command.Command) (string, []bot.Task, error) {
	if len(cmd.Mentions) > 0 {
		return s.tasksOf(r, cmd.Mentions[0])
	}
	arg := ""
	if len(cmd.Args) > 0 {
		arg = strings.ToLower(cmd.Args[0])
	}
	switch arg {
	case "":
		// In a project's group, the project's open tasks, for everyone in
		// the group: its digests and warnings show them there already.
		if !r.ev.Chat.DM {
			p, err := r.tx.ProjectByGroup(r.ev.Chat)
			if err == nil {
				tasks, err := r.tx.Tasks(bot.TaskFilter{Project: p.ID, OpenOnly: true})
				return r.l.F("Open tasks of %s %s", "%s %s 的未完成任务", p.Code(), p.Name), tasks, err
			} else if bot.ErrorCode(err) != bot.ENOTFOUND {
				return "", nil, err
			}
		}
		fallthrough
	case "mine", "我的":
		tasks, err := r.tx.Tasks(bot.TaskFilter{Assignee: r.me.ID, OpenOnly: true})
		return r.l.T("Your open tasks", "你的未完成任务"), tasks, err
	case "overdue", "逾期":
		tasks, err := s.visibleOpen(r, func(t bot.Task) bool { return !t.Due.IsZero() && t.Due.Before(bot.DateOf(r.now)) })
		return r.l.T("Overdue tasks", "逾期任务"), tasks, err
	case "blocked", "阻塞":
		tasks, err := s.visibleOpen(r, func(t bot.Task) bool { return t.Status == bot.StatusBlocked })
		return r.l.T("Blocked tasks", "阻塞任务"), tasks, err
	}
	return s.projectTasks(r, cmd.Args[0])
}

func (s *Service) tasksOf(r *req, token string) (string, []bot.Task, error) {
	p, err := s.mention(r, token)
	if err != nil {
		return "", nil, err
	}
	title := r.l.F("Open tasks of %s", "%s 的未完成任务", p.DisplayName())
	if p.ID == r.me.ID || r.me.IsAdmin() {
		tasks, err := r.tx.Tasks(bot.TaskFilter{Assignee: p.ID, OpenOnly: true})
		return title, tasks, err
	}
	// Others see only the tasks of the projects they manage.
	tasks, err := s.managedOpen(r)
	tasks = slices.DeleteFunc(tasks, func(t bot.Task) bool { return t.Assignee != p.ID })
	if err == nil && len(tasks) == 0 && !r.me.IsManager() {
		return "", nil, forbidden(r, "Only the managers of a project see other people's tasks in it.", "只有项目经理可以查看他人在该项目中的任务。")
	}
	return title, tasks, err
}

func (s *Service) projectTasks(r *req, arg string) (string, []bot.Task, error) {
	p, err := s.loadProject(r, arg)
	if err != nil {
		return "", nil, err
	}
	if !r.inProject(p) {
		return "", nil, forbidden(r, "You are not a member of %s.", "你不是 %s 的成员。", p.Code())
	}
	tasks, err := r.tx.Tasks(bot.TaskFilter{Project: p.ID})
	return p.Code() + " " + p.Name, tasks, err
}

// visibleOpen returns the open tasks the caller is responsible for or
// manages that pass keep: admins see all.
func (s *Service) visibleOpen(r *req, keep func(bot.Task) bool) ([]bot.Task, error) {
	var all []bot.Task
	if r.me.IsAdmin() {
		tasks, err := r.tx.Tasks(bot.TaskFilter{OpenOnly: true})
		if err != nil {
			return nil, err
		}
		all = tasks
	} else {
		tasks, err := s.managedOpen(r)
		if err != nil {
			return nil, err
		}
		all = tasks
	}
	var out []bot.Task
	for _, t := range all {
		if keep(t) {
			out = append(out, t)
		}
	}
	return out, nil
}

// managedOpen returns the caller's own open tasks and those of the
// projects they manage, without duplicates.
func (s *Service) managedOpen(r *req) ([]bot.Task, error) {
	seen := map[uint64]bool{}
	var out []bot.Task
	add := func(ts []bot.Task) {
		for _, t := range ts {
			if !seen[t.ID] {
				seen[t.ID] = true
				out = append(out, t)
			}
		}
	}
	mine, err := r.tx.Tasks(bot.TaskFilter{Assignee: r.me.ID, OpenOnly: true})
	if err != nil {
		return nil, err
	}
	add(mine)
	projects, err := r.tx.Projects()
	if err != nil {
		return nil, err
	}
	for _, p := range projects {
		if p.IsManager(r.me.ID) {
			ts, err := r.tx.Tasks(bot.TaskFilter{Project: p.ID, OpenOnly: true})
			if err != nil {
				return nil, err
			}
			add(ts)
		}
	}
	return out, nil
}

// listText writes a task list, one line a task, under a plain-text title.
func (s *Service) listText(r *req, title string, tasks []bot.Task) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** (%d)\n", bot.EscapeMarkdown(cards.OneLine(title)), len(tasks))
	if len(tasks) == 0 {
		b.WriteString(r.l.T("Nothing here.", "暂无。"))
		return b.String(), nil
	}
	shown := tasks[:min(len(tasks), maxList)]
	rolled, err := summaryIDs(r.tx, shown, s.cfg.Calendar)
	if err != nil {
		return "", err
	}
	for _, t := range shown {
		progress := strconv.Itoa(t.Progress) + "%"
		if p, ok := rolled[t.ID]; ok {
			// A task with sub-tasks shows their progress, rolled up (Σ).
			progress = "Σ " + strconv.Itoa(p) + "%"
		}
		b.WriteString(s.taskLine(r, t, progress) + "\n")
	}
	if len(tasks) > maxList {
		b.WriteString(r.l.F("…and %d more.", "……还有 %d 个。", len(tasks)-maxList))
	}
	return strings.TrimSpace(b.String()), nil
}

// taskLine is a task's line in a list; progress is shown as given.
func (s *Service) taskLine(r *req, t bot.Task, progress string) string {
	parts := []string{r.l.M("- %s %s", "- %s %s", cards.Code(t), cards.OneLine(t.Title)), bot.EscapeMarkdown(cards.OneLine(s.person(r.tx, t.Assignee).DisplayName()))}
	if !t.Due.IsZero() {
		due := r.l.T("due ", "截止 ") + r.l.Date(t.Due)
		if t.Status.Open() && t.Due.Before(bot.DateOf(r.now)) {
			due += r.l.T(" (overdue)", "（逾期）")
		}
		parts = append(parts, due)
	}
	parts = append(parts, progress, r.l.Status(t.Status))
	return strings.Join(parts, " · ")
}

// progress runs /progress <T> <0-100> [note].
func (s *Service) progress(r *req, cmd command.Command) error {
	t, err := s.taskArg(r, cmd, "progress")
	if err != nil {
		return err
	}
	if len(cmd.Args) < 2 {
		return badUsage(r, "progress", r.l.T("Give the progress as a number from 0 to 100.", "请写进度，0 到 100 的数字。"))
	}
	pct, err := parsePercent(r, cmd.Args[1])
	if err != nil {
		return err
	}
	old := t.Progress
	if err := s.setProgress(r, t, pct, text(cmd.Args[2:])); err != nil {
		return err
	}
	msg := r.l.F("📈 %s progress %d%% → %d%%.", "📈 %s 进度 %d%% → %d%%。", t.Code(), old, pct)
	if pct == 100 {
		msg += r.l.F(" When it is finished, send /done %s.", " 完成后请发送 /完成 %s。", t.Code())
	}
	return s.reply(r, msg)
}

// setProgress changes a task's progress, accepting it first when its
// assignee works on it before clicking Accept.
func (s *Service) setProgress(r *req, t bot.Task, pct int, note string) error {
	if err := s.startWork(r, &t); err != nil {
		return err
	}
	old := t.Progress
	t.Progress, t.ProgressAt = pct, s.cfg.Clock.Now()
	return s.saveTask(r, t, "progress", "progress", strconv.Itoa(old), strconv.Itoa(pct), note)
}

func parsePercent(r *req, v string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSuffix(v, "%"))
	if err != nil || n < 0 || n > 100 {
		return 0, invalid(r, "progress: %q is not a number from 0 to 100.", "progress：“%s”不是 0 到 100 的数字。", v)
	}
	return n, nil
}

// startWork checks that the caller may work on an open task, and accepts
// it when its assignee starts working on it before clicking Accept.
func (s *Service) startWork(r *req, t *bot.Task) error {
	if err := s.mustWork(r, *t); err != nil {
		return err
	}
	if !t.Status.Open() {
		return invalid(r, "%s is %s.", "%s 当前为“%s”。", t.Code(), r.l.Status(t.Status))
	}
	if t.Status == bot.StatusAssigned && t.Assignee == r.me.ID {
		_, err := s.accept(r, t)
		return err
	}
	return nil
}

// done runs /done <T> [note]. In a project that needs acceptance the task's
// manager gets the acceptance card.
func (s *Service) done(r *req, cmd command.Command) error {
	t, err := s.taskArg(r, cmd, "done")
	if err != nil {
		return err
	}
	verifier, err := s.finishTask(r, t, text(cmd.Args[1:]))
	if err != nil {
		return err
	}
	if verifier == "" {
		return s.reply(r, r.l.F("✅ %s is done.", "✅ %s 已完成。", t.Code()))
	}
	v := s.person(r.tx, verifier)
	return s.reply(r, r.l.M("✅ %s is done; %s was asked to accept it (验收).", "✅ %s 已完成，已请 %s 验收。", t.Code(), v.DisplayName()))
}

// finishTask marks a task done at 100%, and sends the acceptance card where
// the project needs acceptance. It returns who was asked to accept, if
// anyone.
func (s *Service) finishTask(r *req, t bot.Task, note string) (bot.PersonID, error) {
	if err := s.startWork(r, &t); err != nil {
		return "", err
	}
	old := t.Progress
	t.Progress, t.ProgressAt = 100, s.cfg.Clock.Now()
	if old != 100 {
		if err := s.audit(r.tx, bot.AuditEvent{Actor: r.me.ID, Kind: "progress", Project: t.Project, Task: t.ID, Field: "progress", Old: strconv.Itoa(old), New: "100"}); err != nil {
			return "", err
		}
	}
	if err := s.setStatus(r, &t, bot.StatusDone, note); err != nil {
		return "", err
	}
	verifier, err := s.verifier(r, t)
	if err != nil || verifier == "" {
		return "", err
	}
	info, err := s.taskInfo(r.tx, t)
	if err != nil {
		return "", err
	}
	v := s.person(r.tx, verifier)
	_, err = s.sendDM(r.tx, verifier, verifyKey(t), cards.Acceptance(s.lang(v), info, note))
	return verifier, err
}

// verifier returns who accepts done work of t: "" when its project does not
// need acceptance or nobody but the assignee could accept it.
func (s *Service) verifier(r *req, t bot.Task) (bot.PersonID, error) {
	if t.Project == 0 {
		return "", nil
	}
	p, err := r.tx.Project(t.Project)
	if err != nil || !p.Acceptance {
		return "", err
	}
	m := t.Manager(&p)
	if m == t.Assignee {
		return "", nil
	}
	return m, nil
}

// block runs /block <T> <reason>.
func (s *Service) block(r *req, cmd command.Command) error {
	t, err := s.taskArg(r, cmd, "block")
	if err != nil {
		return err
	}
	reason := text(cmd.Args[1:])
	if reason == "" {
		return badUsage(r, "block", r.l.T("Say what blocks the task.", "请说明阻塞原因。"))
	}
	if err := s.startWork(r, &t); err != nil {
		return err
	}
	if t.Status == bot.StatusBlocked {
		return invalid(r, "%s is already blocked.", "%s 已经是阻塞状态。", t.Code())
	}
	t.BlockReason = reason
	if err := s.setStatus(r, &t, bot.StatusBlocked, reason); err != nil {
		return err
	}
	if m := s.managerOf(r.tx, t); m != "" && m != r.me.ID {
		msg := s.lang(s.person(r.tx, m)).M("⛔ %s «%s» is blocked (%s): %s", "⛔ %s「%s」被阻塞（%s）：%s", t.Code(), t.Title, r.me.DisplayName(), reason)
		if err := s.notify(r.tx, m, msg); err != nil {
			return err
		}
	}
	return s.reply(r, r.l.F("⛔ %s is blocked. Send /unblock %s when it moves again.", "⛔ %s 已标记为阻塞。解除后请发送 /解除阻塞 %s。", t.Code(), t.Code()))
}

// unblock runs /unblock <T>.
func (s *Service) unblock(r *req, cmd command.Command) error {
	t, err := s.taskArg(r, cmd, "unblock")
	if err != nil {
		return err
	}
	if err := s.mustWork(r, t); err != nil {
		return err
	}
	if t.Status != bot.StatusBlocked {
		return invalid(r, "%s is not blocked.", "%s 并未阻塞。", t.Code())
	}
	t.BlockReason = ""
	if err := s.setStatus(r, &t, bot.StatusAccepted, ""); err != nil {
		return err
	}
	return s.reply(r, r.l.F("▶️ %s is unblocked.", "▶️ %s 已解除阻塞。", t.Code()))
}
