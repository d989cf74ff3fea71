package flows

import (
	"regexp"
	"slices"
	"strings"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/command"
)

// Card actions as text (SPEC §3): /accept T3 does what Accept on T3's
// assignment card does. Each command finds the open card of its subject
// that carries the button, and runs the button's own signed action through
// runAction, so that the rules, the permissions (the card's addressee), the
// refusals and the in-place card updates are those of the click. The toast
// a click would show becomes the reply.

// textAction describes the text form of one card button.
type textAction struct {
	// action is the button's name on the card.
	action string
	// cards returns the cards of the command's subject that may carry the
	// button, oldest first.
	cards func(s *Service, r *req, cmd command.Command) ([]bot.CardRecord, error)
	// form builds the card's form values from the command's arguments.
	// rec is the card chosen.
	form func(s *Service, r *req, cmd command.Command, rec bot.CardRecord) (map[string]string, error)
}

// textActions maps each command to the button it stands for.
var textActions = map[string]textAction{
	"accept":  {action: "accept", cards: taskCards(assignKey)},
	"decline": {action: "decline", cards: taskCards(assignKey), form: restAs("decline", "reason")},
	"ask":     {action: "ask", cards: taskCards(assignKey), form: restAs("ask", "question")},
	"verify":  {action: "verify", cards: taskCards(verifyKey)},
	"rework":  {action: "rework", cards: taskCards(verifyKey), form: restAs("rework", "reason")},
	"ack":     {action: "ack", cards: escCards},
	"snooze":  {action: "snooze", cards: escCards, form: snoozeForm},
	"extend":  {action: "extend", cards: taskEscCards, form: extendForm},
	"approve": {action: "approve", cards: approveCards},
	"reject":  {action: "reject", cards: changeCards, form: restAs("reject", "reason")},
	"checkin": {action: "submit", cards: checkinCards, form: checkinRowForm},
}

// textActionCmd runs a card action typed as a command.
func (s *Service) textActionCmd(r *req, cmd command.Command) error {
	ta := textActions[cmd.Name]
	if len(cmd.Args) == 0 {
		return badUsage(r, cmd.Name, r.l.T("Which one? Give its id.", "哪一个？请写编号。"))
	}
	recs, err := ta.cards(s, r, cmd)
	if err != nil {
		return err
	}
	rec, open := pickCard(recs, ta.action, r.me.ID)
	switch {
	case rec.ID == 0:
		return invalid(r, "%s has no card waiting for /%s; nothing changed.", "%s 没有等待 /%s 的卡片，未做任何更改。",
			strings.ToUpper(cmd.Args[0]), cmd.Name)
	case !open && cmd.Name == "checkin":
		return s.reply(r, alreadyHandled(r)+r.l.T(" To change the answer, type /checkin for a new card.", "如需修改，请输入 /打卡 获取新卡片。"))
	case !open:
		return s.reply(r, alreadyHandled(r))
	}
	form := map[string]string{}
	if ta.form != nil {
		if form, err = ta.form(s, r, cmd, rec); err != nil {
			return err
		}
	}
	button, _ := rec.Card.Action(ta.action)
	clicked := *r
	clicked.ev.Action = &bot.ActionEvent{Name: ta.action, Token: button.Value, Form: form, MessageRef: rec.MessageRef}
	resp, err := s.runAction(&clicked)
	if err != nil || resp.Toast == "" {
		return err
	}
	// A toast is plain text; the reply is card markdown.
	return s.reply(r, bot.EscapeMarkdown(resp.Toast))
}

// pickCard chooses the card a text command answers: an open card with the
// button, sent to the person, else to a whole chat, else to someone else
// (whose addressee check then refuses politely, as for a click). With no
// open card it returns the newest card and open false; with no card at all,
// a zero record.
func pickCard(recs []bot.CardRecord, action string, me bot.PersonID) (bot.CardRecord, bool) {
	var best bot.CardRecord
	rank := 0
	for _, rec := range recs {
		if _, ok := rec.Card.Action(action); !ok {
			continue
		}
		r := 1
		switch rec.To {
		case me:
			r = 3
		case "":
			r = 2
		}
		if r >= rank {
			best, rank = rec, r
		}
	}
	if rank > 0 {
		return best, true
	}
	for i := len(recs) - 1; i >= 0; i-- {
		if recs[i].Card.Finished() {
			return recs[i], false
		}
	}
	return bot.CardRecord{}, false
}

// taskCards returns the cards of the task named by the first argument, by
// the flow's card key.
func taskCards(key func(bot.Task) string) func(*Service, *req, command.Command) ([]bot.CardRecord, error) {
	return func(s *Service, r *req, cmd command.Command) ([]bot.CardRecord, error) {
		t, err := s.loadTask(r, cmd.Args[0])
		if err != nil {
			return nil, err
		}
		return r.tx.CardsByKey(key(t))
	}
}

// escCards returns the cards of the escalation named by the first argument.
func escCards(s *Service, r *req, cmd command.Command) ([]bot.CardRecord, error) {
	id, ok := command.ParseEscalationID(cmd.Args[0])
	if !ok {
		return nil, invalid(r, "%q is not a warning id; write it like E2.", "“%s”不是督办编号，请写成 E2 这样。", cmd.Args[0])
	}
	e, err := r.tx.Escalation(id)
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		return nil, bot.Errorf(bot.ENOTFOUND, "%s", r.l.F("There is no warning E%d.", "没有督办 E%d。", id))
	} else if err != nil {
		return nil, err
	}
	return r.tx.CardsByKey("esc/" + e.Code())
}

// taskEscCards returns the cards of the open escalations of the task named
// by the first argument.
func taskEscCards(s *Service, r *req, cmd command.Command) ([]bot.CardRecord, error) {
	t, err := s.loadTask(r, cmd.Args[0])
	if err != nil {
		return nil, err
	}
	var out []bot.CardRecord
	for _, rule := range taskRules {
		e, err := r.tx.OpenEscalation(t.Code(), rule)
		if bot.ErrorCode(err) == bot.ENOTFOUND {
			continue
		} else if err != nil {
			return nil, err
		}
		recs, err := r.tx.CardsByKey("esc/" + e.Code())
		if err != nil {
			return nil, err
		}
		out = append(out, recs...)
	}
	return out, nil
}

// approveCards returns the cards of the subject of /approve: a change
// request (C1), or a warning whose extension request waits (E2).
func approveCards(s *Service, r *req, cmd command.Command) ([]bot.CardRecord, error) {
	if _, ok := command.ParseChangeID(cmd.Args[0]); ok {
		return changeCards(s, r, cmd)
	}
	if _, ok := command.ParseEscalationID(cmd.Args[0]); !ok {
		return nil, invalid(r, "%q is not a change request or a warning id; write it like C1 or E2.", "“%s”不是变更申请或督办编号，请写成 C1 或 E2 这样。", cmd.Args[0])
	}
	return escCards(s, r, cmd)
}

// changeCards returns the cards of the change request named by the first
// argument.
func changeCards(s *Service, r *req, cmd command.Command) ([]bot.CardRecord, error) {
	id, ok := command.ParseChangeID(cmd.Args[0])
	if !ok {
		return nil, invalid(r, "%q is not a change request id; write it like C1.", "“%s”不是变更申请编号，请写成 C1 这样。", cmd.Args[0])
	}
	c, err := r.tx.Change(id)
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		return nil, bot.Errorf(bot.ENOTFOUND, "%s", r.l.F("There is no change request C%d.", "没有变更申请 C%d。", id))
	} else if err != nil {
		return nil, err
	}
	return r.tx.CardsByKey(changeKey(c))
}

// decideCmd runs /approve and /reject: the button of the card named, as
// every text action does; but a change request whose card is gone (past
// its retention, bot.Retention.OpenCards) is decided directly, by the same
// rules, so that a request never waits for a card that no longer exists.
func (s *Service) decideCmd(r *req, cmd command.Command) error {
	if len(cmd.Args) == 0 {
		return s.textActionCmd(r, cmd)
	}
	id, ok := command.ParseChangeID(cmd.Args[0])
	if !ok {
		return s.textActionCmd(r, cmd)
	}
	c, err := r.tx.Change(id)
	if err != nil {
		return s.textActionCmd(r, cmd)
	}
	recs, err := r.tx.CardsByKey(changeKey(c))
	if err != nil || len(recs) > 0 {
		return s.textActionCmd(r, cmd)
	}
	if !c.Pending() {
		return s.reply(r, bot.EscapeMarkdown(s.alreadyDecided(r, c)))
	}
	reason := cmd.Rest(1)
	if cmd.Name == "reject" && reason == "" {
		return badUsage(r, "reject", r.l.T("reason: this needs some text after the id.", "reason：编号后面需要写内容。"))
	} else if len([]rune(reason)) > maxNote {
		return invalid(r, "The reason is longer than %d characters.", "理由超过了 %d 个字符。", maxNote)
	}
	toast, _, err := s.decideChange(r, c, cmd.Name == "approve", reason)
	if err != nil {
		return err
	}
	return s.reply(r, bot.EscapeMarkdown(toast))
}

// extendCmd runs /extend <T> <date> <reason>: the Request extension button
// of the task's open warning card, or, with no such card, the same change
// request as /due.
func (s *Service) extendCmd(r *req, cmd command.Command) error {
	if len(cmd.Args) > 0 {
		recs, err := taskEscCards(s, r, cmd)
		if err != nil {
			return err
		}
		if _, open := pickCard(recs, "extend", r.me.ID); !open {
			return s.dueFrom(r, cmd, "extend")
		}
	}
	return s.textActionCmd(r, cmd)
}

// restAs puts the text after the id into one required form field.
func restAs(name, field string) func(*Service, *req, command.Command, bot.CardRecord) (map[string]string, error) {
	return func(s *Service, r *req, cmd command.Command, _ bot.CardRecord) (map[string]string, error) {
		v := cmd.Rest(1)
		if v == "" {
			return nil, badUsage(r, name, r.l.F("%s: this needs some text after the id.", "%s：编号后面需要写内容。", field))
		}
		return map[string]string{field: v}, nil
	}
}

// snoozeForm reads /snooze <E> 1d|3d; 1天 and 3天 work too.
func snoozeForm(s *Service, r *req, cmd command.Command, _ bot.CardRecord) (map[string]string, error) {
	if len(cmd.Args) > 2 {
		return nil, badUsage(r, "snooze", r.l.T("Give 1d or 3d.", "请写 1d 或 3d。"))
	}
	d := strings.ToLower(cmd.Rest(1))
	d = strings.Replace(d, "天", "d", 1)
	return map[string]string{"duration": d}, nil
}

// extendForm reads /extend <T> <date> <reason>.
func extendForm(s *Service, r *req, cmd command.Command, _ bot.CardRecord) (map[string]string, error) {
	if len(cmd.Args) < 3 {
		return nil, badUsage(r, "extend", r.l.T("Give the new date and a reason.", "请写新的日期和理由。"))
	}
	return map[string]string{"due": cmd.Args[1], "reason": cmd.Rest(2)}, nil
}

// checkinCards returns the person's newest check-in cards: today's, or
// those of an earlier day still open for a late answer.
func checkinCards(s *Service, r *req, cmd command.Command) ([]bot.CardRecord, error) {
	day := bot.DateOf(r.now)
	for range 14 {
		recs, err := r.tx.CardsByKey(checkinKey(r.me.ID, day))
		if err != nil || len(recs) > 0 {
			return recs, err
		}
		day = day.AddDays(-1)
	}
	return nil, invalid(r, "You have no check-in card to answer; type /checkin to get one.", "你没有待回答的打卡卡片；输入 /打卡 获取。")
}

var hoursArg = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)(?:h|小时)$`)

// checkinStatuses maps the words of a status, in both languages, to its
// value on the card.
var checkinStatuses = map[string]string{
	bot.OnTrack: bot.OnTrack, bot.AtRisk: bot.AtRisk, bot.Blocked: bot.Blocked,
	"正常": bot.OnTrack, "有风险": bot.AtRisk, "风险": bot.AtRisk, "受阻": bot.Blocked, "阻塞": bot.Blocked,
}

// checkinRowForm reads /checkin <T> <0-100> [status] [<n>h] [note] into the
// form fields of the task's row; the other rows keep their values, as when
// a person fills in one row of the card and submits it.
func checkinRowForm(s *Service, r *req, cmd command.Command, rec bot.CardRecord) (map[string]string, error) {
	id, ok := command.ParseTaskID(cmd.Args[0])
	if !ok {
		return nil, invalid(r, "%q is not a task id; write it like T3.", "“%s”不是任务编号，请写成 T3 这样。", cmd.Args[0])
	}
	code := bot.TaskCode(id)
	if !slices.Contains(formTasks(rec.Card), id) {
		var on []string
		for _, t := range formTasks(rec.Card) {
			on = append(on, bot.TaskCode(t))
		}
		return nil, invalid(r, "%s is not on your check-in card; it asks about %s.", "%s 不在你的打卡卡片上；卡片上的任务是 %s。", code, strings.Join(on, ", "))
	}
	if len(cmd.Args) < 2 {
		return nil, badUsage(r, "checkin", r.l.T("Give the progress, from 0 to 100.", "请写进度（0 到 100）。"))
	}
	form := map[string]string{"progress." + code: strings.TrimSuffix(cmd.Args[1], "%")}
	rest := cmd.Args[2:]
	if len(rest) > 0 {
		if st, ok := checkinStatuses[strings.ToLower(rest[0])]; ok {
			form["status."+code], rest = st, rest[1:]
		}
	}
	if len(rest) > 0 {
		if m := hoursArg.FindStringSubmatch(strings.ToLower(rest[0])); m != nil {
			form["hours."+code], rest = m[1], rest[1:]
		}
	}
	if len(rest) > 0 {
		form["note."+code] = strings.Join(rest, " ")
	}
	return form, nil
}
