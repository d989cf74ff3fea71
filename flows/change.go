package flows

import (
	"slices"
	"strings"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/calendar"
	"github.com/loopbot/loopbot/cards"
	"github.com/loopbot/loopbot/command"
)

// Change requests (SPEC §4.5). /due by an assignee, Request extension on a
// warning card and /extend make a pending request with the impact the
// scheduling engine computes, and its Approve/Reject card goes to the
// task's manager. A change by one who may decide on the task is applied at
// once. A task has at most one pending request: another one is refused
// until the first is decided, so that the manager never approves an impact
// that a later request made stale.

// changeKey groups the cards of a change request.
func changeKey(c bot.ChangeRequest) string { return "change/" + c.Code() }

// dueCmd runs /due <T> <date> <reason>.
func (s *Service) dueCmd(r *req, cmd command.Command) error {
	return s.dueFrom(r, cmd, "due")
}

// dueFrom runs /due, or /extend with no warning card to answer: name is the
// command, for its usage line.
func (s *Service) dueFrom(r *req, cmd command.Command, name string) error {
	t, err := s.taskArg(r, cmd, name)
	if err != nil {
		return err
	}
	if len(cmd.Args) < 3 {
		return badUsage(r, name, r.l.T("Give the new date and a reason.", "请写新的日期和理由。"))
	}
	due, err := calendar.ParseDueDate(cmd.Args[1], r.now, s.cfg.Calendar)
	if err != nil {
		return err
	}
	res, err := s.changeDue(r, t, due, text(cmd.Args[2:]), 0)
	if err != nil {
		return err
	}
	if !s.cfg.Calendar.IsWorkday(due) {
		res.text += "\n" + r.l.F("Note: %s is not a working day.", "注意：%s 不是工作日。", r.l.Date(due))
	}
	return s.reply(r, res.text)
}

// changeResult is what a change of a due date did.
type changeResult struct {
	change  bot.ChangeRequest
	applied bool
	// text is the reply (card markdown), toast the same in short.
	text, toast string
}

// changeDue asks for a task's due date to move to due, for a reason: a
// pending request to the task's manager, or, when the caller may decide,
// the change applied at once. esc is the warning it was asked from, if any.
func (s *Service) changeDue(r *req, t bot.Task, due bot.Date, reason string, esc uint64) (changeResult, error) {
	if err := s.checkDueChange(r, t, due, reason); err != nil {
		return changeResult{}, err
	}
	if s.canDecide(r, t) {
		c, err := s.newChange(r, t, due, reason, r.me.ID, esc)
		if err != nil {
			return changeResult{}, err
		}
		return s.applyOwn(r, c, t)
	}
	asked := s.managerOf(r.tx, t)
	if asked == "" {
		return changeResult{}, invalid(r, "Nobody manages %s, so nobody can approve a new due date; ask a manager of its project.",
			"%s 没有经理，无人可以批准新的截止日期；请联系项目经理。", t.Code())
	}
	c, err := s.newChange(r, t, due, reason, asked, esc)
	if err != nil {
		return changeResult{}, err
	}
	return s.askDecision(r, c, t)
}

// checkDueChange refuses a change that cannot be asked for: by someone who
// neither works on nor manages the task, of a finished task, to the same
// date, with no reason, or while another request of the task waits.
func (s *Service) checkDueChange(r *req, t bot.Task, due bot.Date, reason string) error {
	if err := s.mustWork(r, t); err != nil {
		return err
	}
	switch {
	case !t.Status.Open():
		return invalid(r, "%s is %s; only open tasks get a new due date.", "%s 当前为“%s”，只有未完成的任务可以调整截止日期。", t.Code(), r.l.Status(t.Status))
	case due == t.Due:
		return invalid(r, "%s is already due %s.", "%s 的截止日期已经是 %s。", t.Code(), r.l.Date(due))
	case reason == "":
		return invalid(r, "Say why the due date should move.", "请写明调整截止日期的理由。")
	case len([]rune(reason)) > maxNote:
		return invalid(r, "The reason is longer than %d characters.", "理由超过了 %d 个字符。", maxNote)
	}
	pending, err := r.tx.PendingChange(t.ID)
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	if s.canDecide(r, t) || pending.AskedOf == r.me.ID {
		return bot.Errorf(bot.ECONFLICT, "%s", r.l.F("%s asks to move %s to %s and waits for a decision: send /approve %s or /reject %s <reason> first.",
			"%s 申请将 %s 调整到 %s，尚待审批：请先发送 /批准 %s 或 /驳回 %s <理由>。",
			pending.Code(), t.Code(), r.l.Date(pending.New), pending.Code(), pending.Code()))
	}
	return bot.Errorf(bot.ECONFLICT, "%s", r.l.F("%s already has change request %s (to %s) waiting for %s's decision; nothing changed.",
		"%s 已有变更申请 %s（调整到 %s）等待 %s 审批，未做任何更改。",
		t.Code(), pending.Code(), r.l.Date(pending.New), s.person(r.tx, pending.AskedOf).DisplayName()))
}

// canDecide reports whether the caller decides on changes of a task's plan:
// an admin, a manager of its project, its assigner when that is not the
// assignee, or the assignee of a task nobody else manages.
func (s *Service) canDecide(r *req, t bot.Task) bool {
	if r.me.IsAdmin() {
		return true
	}
	if t.Project != 0 {
		if p, err := r.tx.Project(t.Project); err == nil && p.IsManager(r.me.ID) {
			return true
		}
	}
	if t.Assigner != r.me.ID {
		return false
	}
	return t.Assignee != r.me.ID || s.managerOf(r.tx, t) == ""
}

// newChange computes the impact of moving t's due date and stores the
// request: pending and asked of asked, or applied when asked is the caller.
func (s *Service) newChange(r *req, t bot.Task, due bot.Date, reason string, asked bot.PersonID, esc uint64) (bot.ChangeRequest, error) {
	im, _, err := s.impactOf(r, t, due)
	if err != nil {
		return bot.ChangeRequest{}, err
	}
	id, err := r.tx.NextChangeID()
	if err != nil {
		return bot.ChangeRequest{}, err
	}
	now := s.cfg.Clock.Now()
	c := bot.ChangeRequest{
		ID: id, Task: t.ID, Project: t.Project, Field: bot.ChangeFieldDue, Old: t.Due, New: due, Reason: reason,
		Requester: r.me.ID, State: bot.ChangePending, AskedOf: asked, Escalation: esc, Impact: im, CreatedAt: now, UpdatedAt: now,
	}
	if asked == r.me.ID {
		c.State, c.AskedOf, c.Decider, c.DecidedAt = bot.ChangeApplied, "", r.me.ID, now
	}
	if err := r.tx.PutChange(c); err != nil {
		return c, err
	}
	if c.State != bot.ChangePending {
		return c, nil
	}
	return c, s.audit(r.tx, bot.AuditEvent{Actor: r.me.ID, Kind: "change_requested", Project: t.Project, Task: t.ID,
		Field: c.Field, Old: c.Old.String(), New: c.New.String(), Note: c.Code() + ": " + reason})
}

// askDecision sends a pending request's card to the manager it is asked
// of, and writes the requester's answer.
func (s *Service) askDecision(r *req, c bot.ChangeRequest, t bot.Task) (changeResult, error) {
	in, err := s.changeInfo(r.tx, c)
	if err != nil {
		return changeResult{}, err
	}
	m := s.person(r.tx, c.AskedOf)
	if _, err := s.sendDM(r.tx, m.ID, changeKey(c), cards.ChangeRequestCard(s.lang(m), in)); err != nil {
		return changeResult{}, err
	}
	toast := r.l.F("Change request %s sent to %s: %s to %s.", "变更申请 %s 已发送给 %s：%s 调整到 %s。", c.Code(), m.DisplayName(), t.Code(), r.l.Date(c.New))
	text := r.l.M("📨 Change request %s: %s asked to approve moving %s to %s (%s).", "📨 变更申请 %s：已请 %s 批准将 %s 调整到 %s（%s）。",
		c.Code(), m.DisplayName(), t.Code(), r.l.Date(c.New), r.l.WorkdayCount(in.Slip))
	return changeResult{change: c, text: text + "\n\n" + cards.ImpactText(r.l, in), toast: toast}, nil
}

// applyOwn applies a change made by one who decides on the task, and
// writes their answer with the impact.
func (s *Service) applyOwn(r *req, c bot.ChangeRequest, t bot.Task) (changeResult, error) {
	moved, err := s.applyChange(r, c, t)
	if err != nil {
		return changeResult{}, err
	}
	in, err := s.changeInfo(r.tx, c)
	if err != nil {
		return changeResult{}, err
	}
	toast := r.l.F("%s is now due %s.", "%s 截止日期已改为 %s。", t.Code(), r.l.Date(c.New))
	text := r.l.M("📅 %s is now due %s (was %s, %s); recorded as %s.", "📅 %s 的截止日期已改为 %s（原为 %s，%s），记录为 %s。",
		t.Code(), r.l.Date(c.New), r.l.Date(c.Old), r.l.WorkdayCount(in.Slip), c.Code())
	text += "\n\n" + cards.ImpactText(r.l, in)
	told, err := s.tellMoved(r, c, t, moved)
	if err != nil {
		return changeResult{}, err
	}
	if len(told) > 0 {
		text += "\n" + r.l.M("Told: %s.", "已通知：%s。", strings.Join(told, ", "))
	}
	return changeResult{change: c, applied: true, text: text, toast: toast}, nil
}

// replanned is a dependant whose due date a change moved.
type replanned struct {
	task     bot.Task
	from, to bot.Date
}

// applyChange moves the current due date of t to the request's new one
// (the baseline stays), then re-plans the dependants: each open one whose
// scheduled finish the impact pushes past its due date is now due then.
// Everything is audited, the warnings of each task re-checked and its open
// cards (the assignment card shows the due date) redrawn. It
// returns the dependants it moved.
func (s *Service) applyChange(r *req, c bot.ChangeRequest, t bot.Task) ([]replanned, error) {
	note := c.Code() + ": " + c.Reason
	if c.State == bot.ChangeApproved {
		note = r.l.F("%s approved: %s", "%s 已批准：%s", c.Code(), c.Reason)
	}
	if t.Due != c.New {
		t.Due = c.New
		if err := s.saveTask(r, t, "due_changed", c.Field, c.Old.String(), c.New.String(), note); err != nil {
			return nil, err
		}
		if err := s.refreshTaskCards(r.tx, t); err != nil {
			return nil, err
		}
	}
	var moved []replanned
	for _, m := range c.Impact.Moves {
		d, err := r.tx.Task(m.Task)
		if err != nil {
			return nil, err
		}
		if !d.Status.Open() || d.Due.IsZero() || !m.To.After(d.Due) {
			continue
		}
		from := d.Due
		d.Due = m.To
		why := c.Code() + ": " + t.Code() + " → " + c.New.String()
		if err := s.saveTask(r, d, "due_replanned", "due", from.String(), d.Due.String(), why); err != nil {
			return nil, err
		}
		if err := s.refreshTaskCards(r.tx, d); err != nil {
			return nil, err
		}
		moved = append(moved, replanned{task: d, from: from, to: d.Due})
	}
	return moved, nil
}

// tellMoved tells each person a change affects, once, what moved and why:
// the task's assignee and the requester, and the assignee of each
// dependant it moved. The person who made or approved the change sees it
// in their answer. It returns the names of those told.
func (s *Service) tellMoved(r *req, c bot.ChangeRequest, t bot.Task, moved []replanned) ([]string, error) {
	order := []bot.PersonID{t.Assignee, c.Requester}
	mine := map[bot.PersonID][]replanned{}
	for _, m := range moved {
		order = append(order, m.task.Assignee)
		mine[m.task.Assignee] = append(mine[m.task.Assignee], m)
	}
	var told []string
	seen := map[bot.PersonID]bool{r.me.ID: true}
	for _, id := range order {
		if seen[id] || id == "" {
			continue
		}
		seen[id] = true
		p := s.person(r.tx, id)
		if err := s.notify(r.tx, id, s.movedText(r, s.lang(p), c, t, p, mine[id])); err != nil {
			return nil, err
		}
		told = append(told, p.DisplayName())
	}
	return told, nil
}

// movedText is what one person is told of a change: the task that moved,
// by whom and why, and each of their own tasks that moved with it.
func (s *Service) movedText(r *req, l cards.Lang, c bot.ChangeRequest, t bot.Task, p bot.Person, moved []replanned) string {
	by := r.me.DisplayName()
	var head string
	switch {
	case c.State == bot.ChangeApproved && p.ID == c.Requester:
		head = l.M("✅ %s approved %s: %s «%s» is now due %s.", "✅ %s 已批准 %s：%s「%s」的截止日期改为 %s。", by, c.Code(), t.Code(), t.Title, l.Date(c.New))
	case p.ID == t.Assignee:
		head = l.M("📅 %s moved the due date of your %s «%s» to %s (was %s).", "📅 %s 将你的 %s「%s」截止日期调整为 %s（原为 %s）。",
			by, t.Code(), t.Title, l.Date(c.New), l.Date(c.Old))
	default:
		head = l.M("📅 %[1]s «%[2]s» is now due %[3]s instead of %[4]s (%[5]s, by %[6]s).", "📅 %[1]s「%[2]s」的截止日期由 %[4]s 调整为 %[3]s（%[5]s，%[6]s）。",
			t.Code(), t.Title, l.Date(c.New), l.Date(c.Old), c.Code(), by)
	}
	head += "\n" + l.M("Reason: %s", "理由：%s", c.Reason)
	if len(moved) == 0 {
		return head
	}
	lines := []string{head, l.T("Your tasks that wait for it move too:", "你的后续任务随之顺延：")}
	for _, m := range moved {
		days := s.cfg.Calendar.WorkdaysBetween(m.from, m.to)
		lines = append(lines, l.M("- %s «%s»: now due %s (was %s, %s)", "- %s「%s」：截止日期改为 %s（原为 %s，%s）",
			m.task.Code(), m.task.Title, l.Date(m.to), l.Date(m.from), l.WorkdayCount(days)))
	}
	return strings.Join(lines, "\n")
}

// changeInfo loads what a change request card shows.
func (s *Service) changeInfo(tx bot.Tx, c bot.ChangeRequest) (cards.ChangeInfo, error) {
	t, err := tx.Task(c.Task)
	if err != nil {
		return cards.ChangeInfo{}, err
	}
	ti, err := s.taskInfo(tx, t)
	if err != nil {
		return cards.ChangeInfo{}, err
	}
	in := cards.ChangeInfo{Change: c, Task: ti, Requester: s.person(tx, c.Requester), Tasks: map[uint64]bot.Task{}}
	if c.Decider != "" {
		in.Decider = s.person(tx, c.Decider)
	}
	if !c.Old.IsZero() {
		in.Slip = s.cfg.Calendar.WorkdaysBetween(c.Old, c.New)
	}
	for _, m := range c.Impact.Moves {
		if d, err := tx.Task(m.Task); err == nil {
			in.Tasks[m.Task] = d
		}
	}
	return in, nil
}

// decideChange approves or rejects a pending request, as the card's
// buttons and /approve C1, /reject C1 do: the request is recorded as
// decided, an approval applies it (and re-plans the dependants), the
// people it affects are told, its cards turn read-only, and a warning
// that carried it no longer offers to approve it. It returns the toast
// and the finished cards.
func (s *Service) decideChange(r *req, c bot.ChangeRequest, approve bool, reason string) (string, map[uint64]bot.CardRecord, error) {
	if !c.Pending() {
		return s.alreadyDecided(r, c), nil, nil
	}
	t, err := r.tx.Task(c.Task)
	if err != nil {
		return "", nil, err
	}
	if !s.canDecide(r, t) && c.AskedOf != r.me.ID {
		return "", nil, forbidden(r, "Only the managers of %s decide on its change requests.", "只有 %s 的经理可以审批其变更申请。", t.Code())
	}
	now := s.cfg.Clock.Now()
	c.Decider, c.DecidedAt, c.UpdatedAt, c.DecisionReason = r.me.ID, now, now, reason
	var toast string
	if approve {
		toast, err = s.approveChange(r, &c, t)
	} else {
		toast, err = s.rejectChange(r, c, t)
	}
	if err != nil {
		return "", nil, err
	}
	finished, err := s.finishChangeCards(r, c)
	if err != nil {
		return "", nil, err
	}
	return toast, finished, s.settleExtensions(r.tx, t.ID)
}

// alreadyDecided is the answer to a decision on a request that is no
// longer pending.
func (s *Service) alreadyDecided(r *req, c bot.ChangeRequest) string {
	return r.l.F("%[1]s was already %[2]s by %[3]s; nothing changed.", "%[1]s 已由 %[3]s 处理（%[2]s），未做任何更改。",
		c.Code(), r.l.ChangeState(c.State), s.person(r.tx, c.Decider).DisplayName())
}

// approveChange applies a request with its impact computed again (the plan
// may have changed since it was asked), and tells those it affects.
func (s *Service) approveChange(r *req, c *bot.ChangeRequest, t bot.Task) (string, error) {
	if !t.Status.Open() {
		return "", invalid(r, "%s is %s; there is no due date to move. Reject %s instead.", "%s 当前为“%s”，无需调整截止日期；请驳回 %s。",
			t.Code(), r.l.Status(t.Status), c.Code())
	}
	im, _, err := s.impactOf(r, t, c.New)
	if err != nil {
		return "", err
	}
	c.Old, c.Impact, c.State = t.Due, im, bot.ChangeApproved
	if err := r.tx.PutChange(*c); err != nil {
		return "", err
	}
	moved, err := s.applyChange(r, *c, t)
	if err != nil {
		return "", err
	}
	told, err := s.tellMoved(r, *c, t, moved)
	if err != nil {
		return "", err
	}
	toast := r.l.F("Approved: %s is now due %s.", "已批准：%s 截止日期改为 %s。", t.Code(), r.l.Date(c.New))
	if len(moved) > 0 {
		toast += r.l.F(" %d dependent tasks re-planned.", "%d 个后续任务已顺延。", len(moved))
	}
	if len(told) > 0 {
		toast += r.l.F(" Told: %s.", "已通知：%s。", strings.Join(told, ", "))
	}
	return toast, nil
}

// rejectChange records a rejection and tells the requester why.
func (s *Service) rejectChange(r *req, c bot.ChangeRequest, t bot.Task) (string, error) {
	c.State = bot.ChangeRejected
	if err := r.tx.PutChange(c); err != nil {
		return "", err
	}
	if err := s.audit(r.tx, bot.AuditEvent{Actor: r.me.ID, Kind: "change_rejected", Project: t.Project, Task: t.ID,
		Field: c.Field, Old: t.Due.String(), New: c.New.String(), Note: c.Code() + ": " + c.DecisionReason}); err != nil {
		return "", err
	}
	who := s.person(r.tx, c.Requester)
	if c.Requester != r.me.ID {
		l := s.lang(who)
		msg := l.M("❌ %s rejected %s: %s «%s» stays due %s.", "❌ %s 驳回了 %s：%s「%s」的截止日期仍为 %s。",
			r.me.DisplayName(), c.Code(), t.Code(), t.Title, l.Date(t.Due))
		msg += "\n" + l.M("Reason: %s", "理由：%s", c.DecisionReason)
		if err := s.notify(r.tx, c.Requester, msg); err != nil {
			return "", err
		}
	}
	return r.l.F("Rejected; %s was told.", "已驳回，已通知 %s。", who.DisplayName()), nil
}

// finishChangeCards turns the request's cards read-only, each for its
// reader: the impact as decided, under the decision.
func (s *Service) finishChangeCards(r *req, c bot.ChangeRequest) (map[uint64]bot.CardRecord, error) {
	in, err := s.changeInfo(r.tx, c)
	if err != nil {
		return nil, err
	}
	at := c.DecidedAt
	return s.finishCards(r.tx, changeKey(c), func(rec bot.CardRecord, l reader) bot.Card {
		card := cards.ChangeRequestCard(l.Lang, in)
		if c.State == bot.ChangeApproved {
			return cards.Finish(card, bot.ColorGreen, l.State(l.T("Approved", "已批准"), r.me, at))
		}
		return cards.Finish(card, bot.ColorGrey, l.WithReason(l.State(l.T("Rejected", "已驳回"), r.me, at), c.DecisionReason))
	})
}

// withdrawChange withdraws the pending change request of a task that was
// just done or cancelled: there is no due date left to move. Its cards turn
// read-only and a warning that carried it no longer offers to approve it.
func (s *Service) withdrawChange(r *req, t bot.Task) error {
	c, err := r.tx.PendingChange(t.ID)
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	now := s.cfg.Clock.Now()
	c.State, c.Decider, c.DecidedAt, c.UpdatedAt = bot.ChangeWithdrawn, r.me.ID, now, now
	c.DecisionReason = string(t.Status)
	if err := r.tx.PutChange(c); err != nil {
		return err
	}
	if err := s.audit(r.tx, bot.AuditEvent{Actor: r.me.ID, Kind: "change_withdrawn", Project: t.Project, Task: t.ID,
		Field: c.Field, Old: t.Due.String(), New: c.New.String(), Note: c.Code() + ": " + string(t.Status)}); err != nil {
		return err
	}
	in, err := s.changeInfo(r.tx, c)
	if err != nil {
		return err
	}
	if _, err := s.finishCards(r.tx, changeKey(c), func(rec bot.CardRecord, l reader) bot.Card {
		state := l.F("Withdrawn: %s is %s", "已撤回：%s 当前为“%s”", t.Code(), l.Status(t.Status))
		return cards.Finish(cards.ChangeRequestCard(l.Lang, in), bot.ColorGrey, l.State(state, r.me, now))
	}); err != nil {
		return err
	}
	return s.settleExtensions(r.tx, t.ID)
}

// settleExtensions clears the extension request of each open warning of a
// task once its change request is decided, and redraws their cards, which
// then no longer offer to approve it.
func (s *Service) settleExtensions(tx bot.Tx, task uint64) error {
	now := s.cfg.Clock.Now()
	for _, rule := range taskRules {
		e, err := tx.OpenEscalation(bot.TaskCode(task), rule)
		if bot.ErrorCode(err) == bot.ENOTFOUND {
			continue
		} else if err != nil {
			return err
		}
		if e.Extension.IsZero() {
			continue
		}
		e.Extension, e.ExtensionReason = bot.Date{}, ""
		if err := tx.PutEscalation(e); err != nil {
			return err
		}
		if err := s.redrawEscCards(tx, e, now); err != nil {
			return err
		}
	}
	return nil
}

// cardChange loads the change request a change card is about.
func (s *Service) cardChange(a *act) (bot.ChangeRequest, error) {
	id, ok := command.ParseChangeID(a.card.Card.Refs["change"])
	if !ok {
		return bot.ChangeRequest{}, bot.Errorf(bot.EINVALID, "%s", a.l.T("This card has no change request.", "此卡片没有关联的变更申请。"))
	}
	return a.tx.Change(id)
}

// actChangeApprove approves the request from its card.
func (s *Service) actChangeApprove(a *act) (bot.Response, error) {
	c, err := s.cardChange(a)
	if err != nil {
		return bot.Response{}, err
	}
	toast, finished, err := s.decideChange(a.req, c, true, "")
	if err != nil {
		return bot.Response{}, err
	}
	return s.changeAnswer(a, toast, finished)
}

// actChangeReject rejects the request from its card; a reason is needed.
func (s *Service) actChangeReject(a *act) (bot.Response, error) {
	reason, err := a.formText("reason", true, "reason: say why the change is rejected.", "reason：请填写驳回理由。")
	if err != nil {
		return bot.Response{}, err
	}
	c, err := s.cardChange(a)
	if err != nil {
		return bot.Response{}, err
	}
	toast, finished, err := s.decideChange(a.req, c, false, reason)
	if err != nil {
		return bot.Response{}, err
	}
	return s.changeAnswer(a, toast, finished)
}

// changeAnswer answers a decision with the clicked card as it is now.
func (s *Service) changeAnswer(a *act, toast string, finished map[uint64]bot.CardRecord) (bot.Response, error) {
	if rec, ok := finished[a.card.ID]; ok {
		return bot.Response{Toast: toast, Card: &rec.Card}, nil
	}
	return s.cardNow(a, toast)
}

// changesCmd runs /changes <P>: the project's change requests, newest
// first, with their impact.
func (s *Service) changesCmd(r *req, cmd command.Command) error {
	var p bot.Project
	var err error
	if len(cmd.Args) > 0 {
		p, err = s.loadProject(r, cmd.Args[0])
	} else if !r.ev.Chat.DM {
		p, err = r.tx.ProjectByGroup(r.ev.Chat)
		if bot.ErrorCode(err) == bot.ENOTFOUND {
			return badUsage(r, "changes", r.l.T("Which project? Give its id, such as P1.", "哪个项目？请写项目编号，如 P1。"))
		}
	} else {
		return badUsage(r, "changes", r.l.T("Which project? Give its id, such as P1.", "哪个项目？请写项目编号，如 P1。"))
	}
	if err != nil {
		return err
	}
	if !r.inProject(p) {
		return forbidden(r, "You are not a member of %s.", "你不是 %s 的成员。", p.Code())
	}
	list, err := r.tx.Changes(p.ID)
	if err != nil {
		return err
	}
	return s.reply(r, s.changesText(r, p, list))
}

// changesText writes a project's change requests, newest first.
func (s *Service) changesText(r *req, p bot.Project, list []bot.ChangeRequest) string {
	head := "**" + r.l.M("Change requests of %s %s (%d)", "%s %s 的变更申请（%d）", p.Code(), cards.OneLine(p.Name), len(list)) + "**"
	if len(list) == 0 {
		return head + "\n" + r.l.T("None yet. An assignee asks for a new due date with /due <T> <date> <reason>.", "暂无。负责人可以用 /延期 <T> <日期> <理由> 申请新的截止日期。")
	}
	slices.Reverse(list)
	lines := []string{head}
	for i, c := range list {
		if i == maxList {
			lines = append(lines, r.l.F("…and %d more.", "……还有 %d 个。", len(list)-maxList))
			break
		}
		in, err := s.changeInfo(r.tx, c)
		if err != nil {
			continue
		}
		lines = append(lines, cards.ChangeLine(r.l, in))
	}
	return strings.Join(lines, "\n")
}
