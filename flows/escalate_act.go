package flows

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/calendar"
	"github.com/loopbot/loopbot/cards"
	"github.com/loopbot/loopbot/command"
)

// taskChanged runs right after every change of a task: escalations whose
// rule no longer holds are resolved, and acknowledgements are released,
// because an acknowledgement holds the ladder only until the next change.
func (s *Service) taskChanged(tx bot.Tx, t bot.Task, by bot.PersonID) error {
	now := s.cfg.Clock.Now()
	for _, rule := range taskRules {
		e, err := tx.OpenEscalation(t.Code(), rule)
		if bot.ErrorCode(err) == bot.ENOTFOUND {
			continue
		} else if err != nil {
			return err
		}
		if !s.fires(tx, t, rule, now) || e.Person != t.Assignee {
			if err := s.resolve(tx, e, by, now); err != nil {
				return err
			}
			continue
		}
		if !e.AcknowledgedAt.IsZero() {
			e.AcknowledgedAt, e.AcknowledgedBy = time.Time{}, ""
			if err := tx.PutEscalation(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// escAct loads the escalation and task of an escalation card action and
// checks that it is still open.
func (s *Service) escAct(a *act) (bot.Escalation, bot.Task, *bot.Response, error) {
	id, err := strconv.ParseUint(strings.TrimPrefix(a.card.Card.Refs["escalation"], "E"), 10, 64)
	if err != nil {
		return bot.Escalation{}, bot.Task{}, nil, bot.Errorf(bot.EINVALID, "%s", a.l.T("This card has no escalation.", "此卡片没有关联的督办。"))
	}
	e, err := a.tx.Escalation(id)
	if err != nil {
		return e, bot.Task{}, nil, err
	}
	if !e.Open() {
		return e, bot.Task{}, &bot.Response{Toast: a.l.T("This warning was already resolved.", "该督办已解决。"), Card: &a.card.Card}, nil
	}
	var t bot.Task
	if e.Task != 0 {
		t, err = a.tx.Task(e.Task)
	}
	return e, t, nil, err
}

// actEscDone marks the task done from the blue card.
func (s *Service) actEscDone(a *act) (bot.Response, error) {
	_, t, resp, err := s.escAct(a)
	if resp != nil || err != nil {
		return deref(resp), err
	}
	if _, err := s.finishTask(a.req, t, ""); err != nil {
		return bot.Response{}, err
	}
	return s.cardNow(a, a.l.F("%s marked done.", "%s 已标记完成。", t.Code()))
}

// cardNow answers with the clicked card as it is now in the store.
func (s *Service) cardNow(a *act, toast string) (bot.Response, error) {
	rec, err := a.tx.Card(a.card.ID)
	if err != nil {
		return bot.Response{}, err
	}
	return bot.Response{Toast: toast, Card: &rec.Card}, nil
}

func deref(r *bot.Response) bot.Response {
	if r == nil {
		return bot.Response{}
	}
	return *r
}

// actEscProgress updates the progress from the blue card.
func (s *Service) actEscProgress(a *act) (bot.Response, error) {
	_, t, resp, err := s.escAct(a)
	if resp != nil || err != nil {
		return deref(resp), err
	}
	v := a.form["progress"]
	pct, err := parsePercent(a.req, v)
	if err != nil {
		return bot.Response{}, invalid(a.req, "progress: %q is not a number from 0 to 100.", "progress：“%s”不是 0 到 100 的数字。", v)
	}
	if err := s.setProgress(a.req, t, pct, ""); err != nil {
		return bot.Response{}, err
	}
	return s.cardNow(a, a.l.F("%s progress: %d%%.", "%s 进度已更新为 %d%%。", t.Code(), pct))
}

// actEscExtend asks for a later due date from the blue card: a change
// request with its impact (SPEC §4.5), through the same path as /due. The
// escalation moves to the manager at once, with Approve extension on
// their card; the change request card with the impact goes to them too.
// One who decides on the task gets the new date at once.
func (s *Service) actEscExtend(a *act) (bot.Response, error) {
	e, t, resp, err := s.escAct(a)
	if resp != nil || err != nil {
		return deref(resp), err
	}
	due, err := calendar.ParseDueDate(a.form["due"], a.now, s.cfg.Calendar)
	if err != nil {
		return bot.Response{}, invalid(a.req, "due: %s", "due：%s", bot.MessageIn(err, string(a.l)))
	}
	reason, err := a.formText("reason", true, "reason: say why the task needs more time.", "reason：请填写延期理由。")
	if err != nil {
		return bot.Response{}, err
	}
	if !due.After(t.Due) {
		return bot.Response{}, invalid(a.req, "due: %s is not later than the current due date %s.", "due：%s 不晚于当前截止日期 %s。", due, t.Due)
	}
	res, err := s.changeDue(a.req, t, due, reason, e.ID)
	if err != nil || res.applied {
		return s.cardNowOr(a, res.toast, err)
	}
	e.Extension, e.ExtensionReason = due, reason
	if err := a.tx.PutEscalation(e); err != nil {
		return bot.Response{}, err
	}
	toast, err := s.askManager(a, e)
	if err != nil {
		return bot.Response{}, err
	}
	return s.cardNow(a, toast+" "+a.l.F("Change request %s.", "变更申请 %s。", res.change.Code()))
}

// cardNowOr answers with the clicked card as it is now, unless err.
func (s *Service) cardNowOr(a *act, toast string, err error) (bot.Response, error) {
	if err != nil {
		return bot.Response{}, err
	}
	return s.cardNow(a, toast)
}

// askManager puts an extension request before the manager: their yellow
// card is refreshed, or sent now if they are at work; otherwise the ladder
// sends it at the start of their next working hours. It returns the toast
// that says which.
func (s *Service) askManager(a *act, e bot.Escalation) (string, error) {
	now := s.cfg.Clock.Now()
	in, err := s.escInfo(a.tx, e, now)
	if err != nil {
		return "", err
	} else if in.Manager.ID == "" {
		return a.l.T("Recorded, but nobody manages this task: ask in the project group.", "已记录，但该任务没有经理，请在项目群中说明。"), nil
	}
	name := in.Manager.DisplayName()
	recs, err := a.tx.CardsByKey("esc/" + e.Code())
	if err != nil {
		return "", err
	}
	for _, rec := range recs {
		if rec.To == in.Manager.ID && !rec.Card.Finished() {
			in.Loc = s.loc(in.Manager)
			_, err := s.updateCard(a.tx, rec, cards.EscalationYellow(s.lang(in.Manager), in))
			return a.l.F("Extension requested from %s.", "延期申请已发送给 %s。", name), err
		}
	}
	if !s.available(in.Manager, now) {
		return a.l.F("Extension request recorded: %s gets it at the start of their working hours.", "延期申请已记录，%s 上班后会收到。", name), nil
	}
	return a.l.F("Extension requested from %s.", "延期申请已发送给 %s。", name), s.toManager(a.tx, e, now)
}

// actEscHelp tells the manager that the assignee needs help.
func (s *Service) actEscHelp(a *act) (bot.Response, error) {
	e, t, resp, err := s.escAct(a)
	if resp != nil || err != nil {
		return deref(resp), err
	}
	m := s.managerOf(a.tx, t)
	if m == "" {
		return bot.Response{Toast: a.l.T("Nobody manages this task; ask in the project group.", "该任务没有经理，请在项目群中求助。")}, nil
	}
	msg := s.lang(s.person(a.tx, m)).M("🆘 %s needs help with %s «%s» (%s).", "🆘 %s 在 %s「%s」上需要协助（%s）。", a.me.DisplayName(), t.Code(), t.Title, e.Code())
	if err := s.notify(a.tx, m, msg); err != nil {
		return bot.Response{}, err
	}
	return bot.Response{Toast: a.l.F("%s was asked to help.", "已请 %s 协助。", s.person(a.tx, m).DisplayName())}, nil
}

// actEscAck holds the ladder at its level until the task next changes.
// ackedCard is a yellow card once acknowledged: no Acknowledge button, and
// who acknowledged it when (at in the reader's zone) above its text.
func ackedCard(l cards.Lang, c bot.Card, by bot.Person, at time.Time) bot.Card {
	c.Actions = slices.DeleteFunc(slices.Clone(c.Actions), func(x bot.Action) bool { return x.Name == "ack" })
	c.Text = "**" + cards.State(l, l.T("Acknowledged", "已知悉"), by, at) + "**\n\n" + c.Text
	return c
}

func (s *Service) actEscAck(a *act) (bot.Response, error) {
	e, _, resp, err := s.escAct(a)
	if resp != nil || err != nil {
		return deref(resp), err
	}
	e.AcknowledgedAt, e.AcknowledgedBy = s.cfg.Clock.Now(), a.me.ID
	if err := a.tx.PutEscalation(e); err != nil {
		return bot.Response{}, err
	}
	rec, err := s.updateCard(a.tx, a.card, ackedCard(a.l, a.card.Card, a.me, e.AcknowledgedAt.In(s.loc(a.me))))
	if err != nil {
		return bot.Response{}, err
	}
	return bot.Response{Toast: a.l.T("Acknowledged: the warning stays at this level until the task changes.", "已知悉：任务有变化前不再升级。"), Card: &rec.Card}, nil
}

// actEscApprove approves the change request that the extension asked for
// on the warning made, as Approve on its change request card does: the
// current due date moves (the baseline stays) and the dependants are
// re-planned.
func (s *Service) actEscApprove(a *act) (bot.Response, error) {
	e, t, resp, err := s.escAct(a)
	if resp != nil || err != nil {
		return deref(resp), err
	}
	if e.Extension.IsZero() {
		return bot.Response{Toast: a.l.T("No extension was asked for.", "没有延期申请。")}, nil
	}
	if err := s.mustManage(a.req, t); err != nil {
		return bot.Response{}, err
	}
	c, err := a.tx.PendingChange(t.ID)
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		// Asked for before change requests were kept: the request is
		// made now, as the assignee asked it.
		asker := *a.req
		asker.me = s.person(a.tx, e.Person)
		c, err = s.newChange(&asker, t, e.Extension, e.ExtensionReason, a.me.ID, e.ID)
	}
	if err != nil {
		return bot.Response{}, err
	}
	toast, _, err := s.decideChange(a.req, c, true, "")
	return s.cardNowOr(a, toast, err)
}

// actEscReassign gives the task to someone else; its escalations resolve,
// and open again for the new assignee if the rules still fire.
func (s *Service) actEscReassign(a *act) (bot.Response, error) {
	_, t, resp, err := s.escAct(a)
	if resp != nil || err != nil {
		return deref(resp), err
	}
	to, _, err := s.reassignFromCard(a, t)
	if err != nil {
		return bot.Response{}, err
	}
	return s.cardNow(a, a.l.F("Reassigned to %s.", "已转派给 %s。", to.DisplayName()))
}

// actEscSnooze holds the ladder for one or three working days.
func (s *Service) actEscSnooze(a *act) (bot.Response, error) {
	e, _, resp, err := s.escAct(a)
	if resp != nil || err != nil {
		return deref(resp), err
	}
	days := map[string]int{"1d": 1, "3d": 3, "": 1}[a.form["duration"]]
	if days == 0 {
		return bot.Response{}, invalid(a.req, "duration: %q is not 1d or 3d.", "duration：“%s”应为 1d 或 3d。", a.form["duration"])
	}
	now := s.cfg.Clock.Now()
	span := calendar.Span{N: days, Unit: "wd"}
	e.SnoozedUntil, e.SnoozedBy = span.After(s.cfg.Calendar, now, s.loc(s.person(a.tx, e.Person))), a.me.ID
	if err := a.tx.PutEscalation(e); err != nil {
		return bot.Response{}, err
	}
	return bot.Response{Toast: a.l.F("Snoozed until %s.", "已暂缓至 %s。", a.l.Stamp(e.SnoozedUntil.In(s.loc(a.me))))}, nil
}

// escalationsCmd runs /escalations [<P>]: the open escalations by colour,
// red first.
func (s *Service) escalationsCmd(r *req, cmd command.Command) error {
	var only uint64
	if len(cmd.Args) > 0 {
		p, err := s.loadProject(r, cmd.Args[0])
		if err != nil {
			return err
		}
		only = p.ID
	}
	open, err := r.tx.OpenEscalations()
	if err != nil {
		return err
	}
	open = slices.DeleteFunc(open, func(e bot.Escalation) bool { return (only != 0 && e.Project != only) || !s.canSeeEsc(r, e) })
	slices.SortStableFunc(open, func(a, b bot.Escalation) int { return b.Level - a.Level })
	return s.reply(r, s.escList(r, open))
}

func (s *Service) canSeeEsc(r *req, e bot.Escalation) bool {
	if r.me.IsAdmin() || e.Person == r.me.ID {
		return true
	}
	if e.Task == 0 {
		return s.person(r.tx, e.Person).Manager == r.me.ID
	}
	t, err := r.tx.Task(e.Task)
	return err == nil && s.canManage(r, t)
}

func (s *Service) escList(r *req, open []bot.Escalation) string {
	if len(open) == 0 {
		return r.l.T("✅ No open warnings.", "✅ 当前没有未解决的督办。")
	}
	icons := map[int]string{bot.LevelAssignee: "🔵", bot.LevelManager: "🟡", bot.LevelGroup: "🔴"}
	lines := []string{"**" + r.l.F("Open warnings (%d)", "未解决的督办（%d）", len(open)) + "**"}
	for _, e := range open {
		in, err := s.escInfo(r.tx, e, s.cfg.Clock.Now())
		if err != nil {
			continue
		}
		subject := bot.EscapeMarkdown(cards.OneLine(in.Task.Assignee.DisplayName()))
		if e.Task != 0 {
			subject = r.l.M("%s %s · ", "%s %s · ", in.Task.Task.Code(), cards.OneLine(in.Task.Task.Title)) + subject
		}
		line := icons[e.Level] + " " + e.Code() + " " + r.l.RuleName(e.Rule) + " · " + subject
		if !e.AcknowledgedAt.IsZero() {
			line += r.l.T(" · acknowledged", " · 已知悉")
		}
		if r.now.Before(e.SnoozedUntil) {
			line += r.l.F(" · snoozed until %s", " · 暂缓至 %s", r.l.Stamp(e.SnoozedUntil.In(s.loc(r.me))))
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}
