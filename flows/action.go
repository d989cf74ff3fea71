package flows

import (
	"context"
	"strings"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/cards"
	"github.com/loopbot/loopbot/command"
)

// maxNote is the longest free text (reason, note, question) in characters.
const maxNote = 2000

// act is a card action being handled.
type act struct {
	*req
	claims bot.Claims
	card   bot.CardRecord
	form   map[string]string
}

type actionFunc func(s *Service, a *act) (bot.Response, error)

// actions maps "<card kind>/<action>" to handlers.
var actions = map[string]actionFunc{
	bot.CardTaskAssigned + "/accept":   (*Service).actAccept,
	bot.CardTaskAssigned + "/decline":  (*Service).actDecline,
	bot.CardTaskAssigned + "/ask":      (*Service).actAsk,
	bot.CardTaskAssigned + "/reassign": (*Service).actReassign,
	bot.CardTaskAssigned + "/cancel":   (*Service).actCancel,
	bot.CardAcceptance + "/verify":     (*Service).actVerify,
	bot.CardAcceptance + "/rework":     (*Service).actRework,
	bot.CardCheckin + "/submit":        (*Service).actSubmit,
	bot.CardCheckin + "/leave":         (*Service).actLeaveToday,
	bot.CardCheckin + "/nochange":      (*Service).actNoChange,
	bot.CardEscalation + "/done":       (*Service).actEscDone,
	bot.CardEscalation + "/progress":   (*Service).actEscProgress,
	bot.CardEscalation + "/extend":     (*Service).actEscExtend,
	bot.CardEscalation + "/help":       (*Service).actEscHelp,
	bot.CardEscalation + "/ack":        (*Service).actEscAck,
	bot.CardEscalation + "/approve":    (*Service).actEscApprove,
	bot.CardEscalation + "/reassign":   (*Service).actEscReassign,
	bot.CardEscalation + "/snooze":     (*Service).actEscSnooze,
	bot.CardReviewPrompt + "/submit":   (*Service).actReviewSubmit,
	bot.CardChangeRequest + "/approve": (*Service).actChangeApprove,
	bot.CardChangeRequest + "/reject":  (*Service).actChangeReject,
}

// HandleAction implements bot.Handler: it verifies the signed value of a
// card action, checks that the card is still open and that the clicker is
// the person it was sent to, and runs the action.
func (s *Service) HandleAction(ctx context.Context, tx bot.Tx, ev bot.Event) (bot.Response, error) {
	r, err := s.newReq(ctx, tx, ev)
	if err != nil || ev.Action == nil {
		return bot.Response{}, err
	}
	return s.runAction(r)
}

// runAction runs the card action of r.ev.Action. A click and its text
// command (textaction.go) both come here, so they share every check.
func (s *Service) runAction(r *req) (bot.Response, error) {
	a, err := s.checkAction(r)
	if err != nil {
		return bot.Response{}, err
	}
	if a.card.Card.Finished() {
		return bot.Response{Toast: alreadyHandled(r), Card: &a.card.Card}, nil
	}
	if _, ok := a.card.Card.Action(r.ev.Action.Name); !ok {
		return bot.Response{}, bot.Errorf(bot.EINVALID, "%s", r.l.T("That button is no longer on this card.", "此卡片上已没有这个按钮。"))
	}
	fn, ok := actions[a.card.Card.Kind+"/"+r.ev.Action.Name]
	if !ok {
		return bot.Response{}, bot.Errorf(bot.EUNAVAILABLE, "%s", r.l.T("This action is not available yet.", "该操作尚未开放。"))
	}
	return fn(s, a)
}

// alreadyHandled is the answer to an action on a finished card.
func alreadyHandled(r *req) string {
	return r.l.T("This card was already handled; nothing changed.", "此卡片已处理过，未做任何更改。")
}

// checkAction verifies the token and the clicker.
func (s *Service) checkAction(r *req) (*act, error) {
	claims, err := s.cfg.Signer.Verify(r.ev.Action.Token)
	if err != nil || claims.Action != r.ev.Action.Name {
		s.logger.Warn("forged card action refused", "event_id", r.ev.ID, "from", string(r.ev.From), "action", r.ev.Action.Name)
		return nil, bot.Errorf(bot.EFORBIDDEN, "%s", r.l.T("This button is not valid.", "此按钮无效。"))
	}
	// A card signed for a person may be answered from any of their linked
	// identities, and one signed before a merge by the merged person.
	to, err := r.tx.ResolvePerson(claims.To)
	if err != nil {
		return nil, err
	}
	if claims.To != "" && to != r.me.ID {
		s.logger.Warn("card action by another person refused", "event_id", r.ev.ID, "from", string(r.me.ID), "card", claims.Card)
		to := s.person(r.tx, claims.To)
		return nil, bot.Errorf(bot.EFORBIDDEN, "%s", r.l.F("This card was sent to %s; only they can answer it.", "此卡片是发给 %s 的，只有 TA 可以操作。", to.DisplayName()))
	}
	rec, err := r.tx.Card(claims.Card)
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		// Removed past its retention (bot.Retention.OpenCards).
		return nil, bot.Errorf(bot.ENOTFOUND, "%s", r.l.T("This card has expired; use the commands instead (/help).", "此卡片已过期，请改用命令（/help）。"))
	} else if err != nil {
		return nil, err
	}
	form := map[string]string{}
	for k, v := range r.ev.Action.Form {
		clean, err := command.CleanText(v, string(r.l))
		if err != nil {
			return nil, bot.Errorf(bot.EINVALID, "%s: %s", k, bot.ErrorMessage(err))
		}
		form[k] = strings.TrimSpace(clean)
	}
	return &act{req: r, claims: claims, card: rec, form: form}, nil
}

// formText reads a free-text input, required or not, within the limit.
func (a *act) formText(name string, required bool, en, zh string) (string, error) {
	v := a.form[name]
	if v == "" && required {
		return "", bot.Errorf(bot.EINVALID, "%s", a.l.T(en, zh))
	}
	if len([]rune(v)) > maxNote {
		return "", bot.Errorf(bot.EINVALID, "%s", a.l.F("%s: longer than %d characters.", "%s：超过 %d 个字符。", name, maxNote))
	}
	return v, nil
}

// unchanged is the answer to an action that no longer applies to the task.
func (a *act) unchanged(t bot.Task) bot.Response {
	return bot.Response{Toast: a.l.F("%s is %s; nothing changed.", "%s 当前为“%s”，未做更改。", t.Code(), a.l.Status(t.Status))}
}

// task loads the task the card is about.
func (a *act) task(s *Service) (bot.Task, error) {
	return s.loadTask(a.req, a.claims.Ref)
}

// answer builds the response for the clicked card from the finished cards.
func (a *act) answer(toast string, finished map[uint64]bot.CardRecord) bot.Response {
	resp := bot.Response{Toast: toast}
	if rec, ok := finished[a.card.ID]; ok {
		resp.Card = &rec.Card
	}
	return resp
}

func (s *Service) actAccept(a *act) (bot.Response, error) {
	t, err := a.task(s)
	if err != nil {
		return bot.Response{}, err
	}
	if t.Status != bot.StatusAssigned || t.Assignee != a.me.ID {
		return a.unchanged(t), nil
	}
	finished, err := s.accept(a.req, &t)
	if err != nil {
		return bot.Response{}, err
	}
	if t.Assigner != a.me.ID {
		msg := s.lang(s.person(a.tx, t.Assigner)).M("👍 %s accepted %s «%s».", "👍 %s 已接受 %s「%s」。", a.me.DisplayName(), t.Code(), t.Title)
		if err := s.notify(a.tx, t.Assigner, msg); err != nil {
			return bot.Response{}, err
		}
	}
	return a.answer(a.l.T("Accepted", "已接受"), finished), nil
}

func (s *Service) actDecline(a *act) (bot.Response, error) {
	reason, err := a.formText("reason", true, "reason: a reason is needed to decline.", "reason：拒绝需要填写理由。")
	if err != nil {
		return bot.Response{}, err
	}
	t, err := a.task(s)
	if err != nil {
		return bot.Response{}, err
	}
	if t.Status != bot.StatusAssigned || t.Assignee != a.me.ID {
		return a.unchanged(t), nil
	}
	if err := s.setStatus(a.req, &t, bot.StatusDeclined, reason); err != nil {
		return bot.Response{}, err
	}
	at := s.cfg.Clock.Now()
	finished, err := s.finishCards(a.tx, assignKey(t), func(rec bot.CardRecord, l reader) bot.Card {
		return cards.Finish(rec.Card, bot.ColorGrey, l.WithReason(l.State(l.T("Declined", "已拒绝"), a.me, at), reason))
	})
	if err != nil {
		return bot.Response{}, err
	}
	info, err := s.taskInfo(a.tx, t)
	if err != nil {
		return bot.Response{}, err
	}
	assigner := s.person(a.tx, t.Assigner)
	if _, err := s.sendDM(a.tx, t.Assigner, declineKey(t), cards.Declined(s.lang(assigner), info, reason)); err != nil {
		return bot.Response{}, err
	}
	return a.answer(a.l.F("Declined; %s was told.", "已拒绝，已通知 %s。", assigner.DisplayName()), finished), nil
}

func (s *Service) actAsk(a *act) (bot.Response, error) {
	q, err := a.formText("question", true, "question: write the question to ask.", "question：请填写要澄清的问题。")
	if err != nil {
		return bot.Response{}, err
	}
	t, err := a.task(s)
	if err != nil {
		return bot.Response{}, err
	}
	info, err := s.taskInfo(a.tx, t)
	if err != nil {
		return bot.Response{}, err
	}
	if err := s.audit(a.tx, bot.AuditEvent{Actor: a.me.ID, Kind: "question", Project: t.Project, Task: t.ID, Note: q}); err != nil {
		return bot.Response{}, err
	}
	assigner := s.person(a.tx, t.Assigner)
	if _, err := s.sendDM(a.tx, t.Assigner, questionKey(t), cards.Question(s.lang(assigner), info, q)); err != nil {
		return bot.Response{}, err
	}
	return bot.Response{Toast: a.l.F("Question sent to %s.", "问题已发送给 %s。", assigner.DisplayName())}, nil
}

func (s *Service) actReassign(a *act) (bot.Response, error) {
	t, err := a.task(s)
	if err != nil {
		return bot.Response{}, err
	}
	to, finished, err := s.reassignFromCard(a, t)
	if err != nil {
		return bot.Response{}, err
	}
	return a.answer(a.l.F("Reassigned to %s.", "已转派给 %s。", to.DisplayName()), finished), nil
}

// reassignFromCard reassigns a task to the person named in a card's
// assignee field, by someone who manages it.
func (s *Service) reassignFromCard(a *act, t bot.Task) (bot.Person, map[uint64]bot.CardRecord, error) {
	who, err := a.formText("assignee", true, "assignee: name the new assignee, like @carol.", "assignee：请填写新负责人，如 @carol。")
	if err != nil {
		return bot.Person{}, nil, err
	}
	if err := s.mustManage(a.req, t); err != nil {
		return bot.Person{}, nil, err
	}
	to, err := s.mention(a.req, strings.Fields(who)[0])
	if err != nil {
		return to, nil, err
	}
	finished, err := s.reassign(a.req, t, to)
	return to, finished, err
}

func (s *Service) actCancel(a *act) (bot.Response, error) {
	reason, err := a.formText("reason", false, "", "")
	if err != nil {
		return bot.Response{}, err
	}
	t, err := a.task(s)
	if err != nil {
		return bot.Response{}, err
	}
	if err := s.mustManage(a.req, t); err != nil {
		return bot.Response{}, err
	}
	finished, err := s.cancel(a.req, t, reason)
	if err != nil {
		return bot.Response{}, err
	}
	return a.answer(a.l.T("Task cancelled.", "任务已取消。"), finished), nil
}

func (s *Service) actVerify(a *act) (bot.Response, error) {
	t, err := a.task(s)
	if err != nil {
		return bot.Response{}, err
	}
	if t.Status != bot.StatusDone {
		return a.unchanged(t), nil
	}
	if err := s.setStatus(a.req, &t, bot.StatusVerified, ""); err != nil {
		return bot.Response{}, err
	}
	at := s.cfg.Clock.Now()
	finished, err := s.finishCards(a.tx, verifyKey(t), func(rec bot.CardRecord, l reader) bot.Card {
		return cards.Finish(rec.Card, bot.ColorGreen, l.State(l.T("Verified", "验收通过"), a.me, at))
	})
	if err != nil {
		return bot.Response{}, err
	}
	msg := s.lang(s.person(a.tx, t.Assignee)).M("🎉 %s «%s» was verified by %s.", "🎉 %s「%s」已由 %s 验收通过。", t.Code(), t.Title, a.me.DisplayName())
	if err := s.notify(a.tx, t.Assignee, msg); err != nil {
		return bot.Response{}, err
	}
	return a.answer(a.l.T("Verified", "验收通过"), finished), nil
}

func (s *Service) actRework(a *act) (bot.Response, error) {
	reason, err := a.formText("reason", true, "reason: say what needs rework.", "reason：请填写退回理由。")
	if err != nil {
		return bot.Response{}, err
	}
	t, err := a.task(s)
	if err != nil {
		return bot.Response{}, err
	}
	if t.Status != bot.StatusDone {
		return a.unchanged(t), nil
	}
	if err := s.setStatus(a.req, &t, bot.StatusAccepted, reason); err != nil {
		return bot.Response{}, err
	}
	at := s.cfg.Clock.Now()
	finished, err := s.finishCards(a.tx, verifyKey(t), func(rec bot.CardRecord, l reader) bot.Card {
		return cards.Finish(rec.Card, bot.ColorYellow, l.WithReason(l.State(l.T("Sent back for rework", "已退回"), a.me, at), reason))
	})
	if err != nil {
		return bot.Response{}, err
	}
	msg := s.lang(s.person(a.tx, t.Assignee)).M("↩️ %s «%s» was sent back for rework by %s: %s", "↩️ %s「%s」被 %s 退回：%s", t.Code(), t.Title, a.me.DisplayName(), reason)
	if err := s.notify(a.tx, t.Assignee, msg); err != nil {
		return bot.Response{}, err
	}
	return a.answer(a.l.T("Sent back for rework", "已退回"), finished), nil
}
