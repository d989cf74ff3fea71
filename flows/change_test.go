package flows_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/calendar"
	"github.com/loopbot/loopbot/flows"
	"github.com/loopbot/loopbot/store"
	"github.com/loopbot/loopbot/store/storetest"
)

// world is the flows over a real store, driven through the engine as the
// adapters drive it, with the outbox read back as what each chat got.
type world struct {
	t     *testing.T
	db    *store.DB
	clock *bot.FakeClock
	eng   *bot.Engine
	svc   *flows.Service
	n     int
	// seen is every message taken from the outbox, oldest first.
	seen []sent
	// tokens keeps each card's button values as first sent, so that a
	// test can press a button again after the card was finished.
	tokens map[uint64]map[string]string
}

const (
	boss bot.PersonID = "playground:boss"
	ann  bot.PersonID = "playground:ann"
	ben  bot.PersonID = "playground:ben"
	cat  bot.PersonID = "playground:cat"
	dan  bot.PersonID = "playground:dan"
)

// newWorld starts on Monday 2026-09-21 at 10:00 in Shanghai, before the
// Mid-Autumn (Sep 25–27) and National Day (Oct 1–7) holidays of 2026, with
// Saturday Oct 10 a make-up working day. boss is a manager and owns P1
// (deadline Mon Oct 12); ann, ben, cat and dan are members. P1's plan,
// assigned by boss, every task accepted:
//
//	T1 设计 (ann)  4d, due Thu 09-24
//	T2 开发 (ben)  3d after T1, due Wed 09-30   critical
//	T3 测试 (cat)  2d after T2, due Fri 10-09   critical
//	T4 发布 ◆ (cat) after T3, due Fri 10-09     critical milestone
//	T5 文档 (dan)  1d after T1, due Mon 09-28   slack: 4 working days
func newWorld(t *testing.T) *world {
	t.Helper()
	loc := benchZone(t)
	clock := bot.NewFakeClock(time.Date(2026, 9, 21, 10, 0, 0, 0, loc))
	db := storetest.OpenWith(t, store.Options{Now: clock.Now})
	svc := flows.New(flows.Config{
		Clock: clock, Calendar: calendar.New(calendar.Config{}), Signer: bot.NewSigner("test-secret"),
		Logger: slog.New(slog.DiscardHandler), Location: loc, Store: db,
	})
	w := &world{t: t, db: db, clock: clock, svc: svc, eng: bot.NewEngine(db, svc, slog.New(slog.DiscardHandler)), tokens: map[uint64]map[string]string{}}
	now := clock.Now()
	d := func(m time.Month, day int) bot.Date { return bot.NewDate(2026, m, day) }
	w.update(func(tx bot.Tx) error {
		for _, p := range []bot.Person{
			{ID: boss, Name: "Boss", Role: bot.RoleManager}, {ID: ann, Name: "Ann"}, {ID: ben, Name: "Ben"},
			{ID: cat, Name: "Cat"}, {ID: dan, Name: "Dan"},
		} {
			if p.Role == "" {
				p.Role = bot.RoleMember
			}
			p.CreatedAt, p.UpdatedAt = now, now
			if err := tx.PutPerson(p); err != nil {
				return err
			}
		}
		if err := tx.PutProject(bot.Project{ID: 1, Name: "Apollo", Owner: boss, Members: []bot.PersonID{ann, ben, cat, dan},
			Start: d(9, 21), Deadline: d(10, 12), CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		for _, t := range []bot.Task{
			{ID: 1, Title: "设计", Assignee: ann, Due: d(9, 24), PlannedStart: d(9, 21), EstimateDays: 4},
			{ID: 2, Title: "开发", Assignee: ben, Due: d(9, 30), EstimateDays: 3, DependsOn: []uint64{1}},
			{ID: 3, Title: "测试", Assignee: cat, Due: d(10, 9), EstimateDays: 2, DependsOn: []uint64{2}},
			{ID: 4, Title: "发布", Assignee: cat, Due: d(10, 9), Milestone: true, DependsOn: []uint64{3}},
			{ID: 5, Title: "文档", Assignee: dan, Due: d(9, 28), EstimateDays: 1, DependsOn: []uint64{1}},
		} {
			t.Project, t.Assigner, t.BaselineDue, t.Priority, t.Status = 1, boss, t.Due, bot.PrioNormal, bot.StatusAccepted
			t.CreatedAt, t.UpdatedAt, t.StatusAt, t.ProgressAt = now, now, now, now
			if err := tx.PutTask(t); err != nil {
				return err
			}
		}
		return nil
	})
	return w
}

func (w *world) update(fn func(tx bot.Tx) error) {
	w.t.Helper()
	if err := w.db.Update(context.Background(), fn); err != nil {
		w.t.Fatal(err)
	}
}

// sent is one message the bot queued: a text or a card, to a chat.
type sent struct {
	to   bot.Target
	text string
	card bot.CardRecord
	op   string
}

// take returns what the bot queued since the last take, oldest first,
// marks it delivered and adds it to seen.
func (w *world) take() []sent {
	w.t.Helper()
	var out []sent
	w.update(func(tx bot.Tx) error {
		out = nil
		items, err := tx.PendingOutbox(10000)
		if err != nil {
			return err
		}
		for _, it := range items {
			s := sent{to: it.Target, text: it.Text, op: it.Op}
			if it.CardID != 0 {
				if s.card, err = tx.Card(it.CardID); err != nil {
					return err
				}
			}
			out = append(out, s)
			if err := tx.CompleteOutbox(it.ID); err != nil {
				return err
			}
		}
		return nil
	})
	for _, s := range out {
		if s.card.ID != 0 && w.tokens[s.card.ID] == nil {
			w.tokens[s.card.ID] = map[string]string{}
			for _, a := range s.card.Card.Actions {
				w.tokens[s.card.ID][a.Name] = a.Value
			}
		}
	}
	w.seen = append(w.seen, out...)
	return out
}

// say types a command in a person's direct chat and returns the bot's
// text answers there, joined.
func (w *world) say(from bot.PersonID, text string) string {
	w.t.Helper()
	w.n++
	ev := bot.Event{ID: fmt.Sprintf("m%d", w.n), Platform: bot.Playground, Kind: bot.EventMessage, From: from,
		Chat: bot.DM(from), Time: w.clock.Now(), Text: text}
	if _, err := w.eng.Handle(context.Background(), ev); err != nil {
		w.t.Fatalf("%s: %q: %v", from, text, err)
	}
	return texts(w.take(), from)
}

// texts joins the texts in a list sent to a person's direct chat.
func texts(list []sent, to bot.PersonID) string {
	var parts []string
	for _, s := range list {
		if s.text != "" && s.to == bot.DM(to) {
			parts = append(parts, s.text)
		}
	}
	return strings.Join(parts, "\n")
}

// click presses a card's button as a person, with the button's value as
// first sent.
func (w *world) click(as bot.PersonID, card uint64, action string, form map[string]string) bot.Response {
	w.t.Helper()
	rec := w.card(card)
	w.n++
	ev := bot.Event{ID: fmt.Sprintf("a%d", w.n), Platform: bot.Playground, Kind: bot.EventAction, From: as, Chat: rec.Target,
		Time: w.clock.Now(), Action: &bot.ActionEvent{Name: action, Token: w.tokens[card][action], Form: form}}
	resp, err := w.eng.Handle(context.Background(), ev)
	if err != nil {
		w.t.Fatalf("%s: %s on card %d: %v", as, action, card, err)
	}
	return resp
}

// card returns a card as it is now.
func (w *world) card(id uint64) bot.CardRecord {
	w.t.Helper()
	var rec bot.CardRecord
	w.update(func(tx bot.Tx) error {
		var err error
		rec, err = tx.Card(id)
		return err
	})
	return rec
}

// cardsOf returns the cards of a kind sent (not updated) to a person's
// direct chat among list, as they are now.
func (w *world) cardsOf(list []sent, to bot.PersonID, kind string) []bot.CardRecord {
	w.t.Helper()
	var out []bot.CardRecord
	for _, s := range list {
		if s.op == bot.OpSend && s.card.ID != 0 && s.to == bot.DM(to) && s.card.Card.Kind == kind {
			out = append(out, w.card(s.card.ID))
		}
	}
	return out
}

// task returns a task as it is now.
func (w *world) task(id uint64) bot.Task {
	w.t.Helper()
	var t bot.Task
	w.update(func(tx bot.Tx) error {
		var err error
		t, err = tx.Task(id)
		return err
	})
	return t
}

// change returns a change request as it is now.
func (w *world) change(id uint64) bot.ChangeRequest {
	w.t.Helper()
	var c bot.ChangeRequest
	w.update(func(tx bot.Tx) error {
		var err error
		c, err = tx.Change(id)
		return err
	})
	return c
}

// dues returns the current due dates of tasks 1 to 5.
func (w *world) dues() []string {
	w.t.Helper()
	var out []string
	for id := uint64(1); id <= 5; id++ {
		out = append(out, w.task(id).Due.String())
	}
	return out
}

func wantAll(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(text, want) {
			t.Errorf("%s lacks %q:\n%s", what, want, text)
		}
	}
}

func wantNone(t *testing.T, what, text string, unwanted ...string) {
	t.Helper()
	for _, u := range unwanted {
		if strings.Contains(text, u) {
			t.Errorf("%s has %q:\n%s", what, u, text)
		}
	}
}

var before = []string{"2026-09-24", "2026-09-30", "2026-10-09", "2026-10-09", "2026-09-28"}

// TestCriticalSlipMovesTheDependants: Ben asks to move T2, on the critical
// path, from Wed 09-30 to Mon 10-12. Over the National Day holiday that is
// 4 working days (Oct 8, 9, the make-up Saturday Oct 10, and Oct 12), and
// T3, the milestone T4 and the project finish move by as many, past the
// deadline. Boss sees that on the card and approves: the dates move, the
// baselines stay, Ben and Cat are each told once, and the card turns
// read-only; a second click gets a toast.
func TestCriticalSlipMovesTheDependants(t *testing.T) {
	w := newWorld(t)
	reply := w.say(ben, "/due T2 2026-10-12 接口晚到两周")
	wantAll(t, "Ben's reply", reply, "C1", "Boss", "T2", "2026-10-12", "+4 个工作日")
	if got := w.dues(); !slices.Equal(got, before) {
		t.Fatalf("a request moved due dates: %v", got)
	}
	cr := w.cardsOf(w.seen, boss, bot.CardChangeRequest)
	if len(cr) != 1 {
		t.Fatalf("Boss got %d change request cards", len(cr))
	}
	c := cr[0].Card
	if c.Color != bot.ColorRed || c.Refs["change"] != "C1" || c.Refs["task"] != "T2" {
		t.Errorf("card %+v", c)
	}
	if names := actionNames(c); !slices.Equal(names, []string{"approve", "reject"}) {
		t.Errorf("actions %v", names)
	}
	wantAll(t, "the card", cardText(c),
		"2026-09-30 周三 → 2026-10-12 周一（+4 个工作日）", "接口晚到两周", "Ben",
		"- T3 测试：2026-10-09 周五 → 2026-10-14 周三（+4 个工作日）",
		"- ◆ T4 发布：2026-10-09 周五 → 2026-10-14 周三（+4 个工作日）",
		"项目完成日期：2026-10-09 周五 → 2026-10-14 周三（+4 个工作日）",
		"项目将错过截止日期 2026-10-12 周一")
	wantNone(t, "the card", cardText(c), "T5", "T1 设计：")

	w.take()
	resp := w.click(boss, cr[0].ID, "approve", nil)
	wantAll(t, "the toast", resp.Toast, "T2", "2026-10-12")
	if resp.Card == nil || !resp.Card.Finished() || resp.Card.Color != bot.ColorGreen || !strings.Contains(resp.Card.Text, "已批准") {
		t.Errorf("the card after approval: %+v", resp.Card)
	}
	want := []string{"2026-09-24", "2026-10-12", "2026-10-14", "2026-10-14", "2026-09-28"}
	if got := w.dues(); !slices.Equal(got, want) {
		t.Errorf("due dates after approval %v, want %v", got, want)
	}
	for id, base := range map[uint64]string{2: "2026-09-30", 3: "2026-10-09", 4: "2026-10-09"} {
		if got := w.task(id).BaselineDue.String(); got != base {
			t.Errorf("T%d baseline %s, want %s", id, got, base)
		}
	}
	after := w.take()
	for _, who := range []bot.PersonID{ben, cat} {
		n := 0
		for _, s := range after {
			if s.to == bot.DM(who) && s.text != "" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s got %d messages, want 1:\n%s", who, n, texts(after, who))
		}
	}
	wantAll(t, "Ben's notice", texts(after, ben), "Boss", "C1", "2026-10-12")
	wantAll(t, "Cat's notice", texts(after, cat), "T2", "接口晚到两周",
		"T3「测试」：截止日期改为 2026-10-14 周三（原为 2026-10-09 周五，+4 个工作日）",
		"T4「发布」：截止日期改为 2026-10-14 周三")
	if got := texts(after, ann) + texts(after, dan) + texts(after, boss); got != "" {
		t.Errorf("people the change does not affect were told: %q", got)
	}
	if c := w.change(1); c.State != bot.ChangeApproved || c.Decider != boss || c.DecidedAt.IsZero() {
		t.Errorf("C1 = %+v", c)
	}

	again := w.click(boss, cr[0].ID, "approve", nil)
	if again.Toast == "" || !strings.Contains(again.Toast, "已处理") {
		t.Errorf("second click: %+v", again)
	}
	if got := w.dues(); !slices.Equal(got, want) {
		t.Errorf("a second click moved due dates: %v", got)
	}
	if n := len(w.take()); n != 0 {
		t.Errorf("a second click sent %d messages", n)
	}
}

// TestSlipWithinSlackMovesNothing: the same four-working-day slip, over
// the same holiday, of T5, which has four working days of slack: no other
// task moves, and the card says that the finish and the deadline do not
// move.
func TestSlipWithinSlackMovesNothing(t *testing.T) {
	w := newWorld(t)
	w.say(dan, "/due T5 10-09 评审排期")
	cr := w.cardsOf(w.seen, boss, bot.CardChangeRequest)
	if len(cr) != 1 {
		t.Fatalf("Boss got %d change request cards", len(cr))
	}
	c := cr[0].Card
	wantAll(t, "the card", cardText(c), "2026-09-28 周一 → 2026-10-09 周五（+4 个工作日）",
		"没有其他任务受影响", "项目完成日期不变（2026-10-09 周五），不影响截止日期 2026-10-12 周一")
	wantNone(t, "the card", cardText(c), "错过截止日期", "项目完成日期：")
	if c.Color != bot.ColorYellow {
		t.Errorf("colour %s", c.Color)
	}
	w.take()
	w.click(boss, cr[0].ID, "approve", nil)
	want := []string{"2026-09-24", "2026-09-30", "2026-10-09", "2026-10-09", "2026-10-09"}
	if got := w.dues(); !slices.Equal(got, want) {
		t.Errorf("due dates %v, want %v", got, want)
	}
	after := w.take()
	if got := texts(after, ann) + texts(after, ben) + texts(after, cat); got != "" {
		t.Errorf("people the change does not affect were told: %q", got)
	}
	wantAll(t, "Dan's notice", texts(after, dan), "C1", "2026-10-09")
}

// TestManagersOwnChangeIsAppliedAtOnce: Boss's /due needs no approval; the
// reply shows the same impact, and the assignees are told.
func TestManagersOwnChangeIsAppliedAtOnce(t *testing.T) {
	w := newWorld(t)
	reply := w.say(boss, "/due T2 2026-10-08 需求变更")
	wantAll(t, "Boss's reply", reply, "T2", "2026-10-08", "+1 个工作日", "C1",
		"- T3 测试：2026-10-09 周五 → 2026-10-10 周六（+1 个工作日）",
		"项目完成日期：2026-10-09 周五 → 2026-10-10 周六（+1 个工作日）", "仍能赶上截止日期 2026-10-12 周一", "Ben", "Cat")
	want := []string{"2026-09-24", "2026-10-08", "2026-10-10", "2026-10-10", "2026-09-28"}
	if got := w.dues(); !slices.Equal(got, want) {
		t.Errorf("due dates %v, want %v", got, want)
	}
	if cards := w.cardsOf(w.seen, boss, bot.CardChangeRequest); len(cards) != 0 {
		t.Errorf("an applied change sent %d cards", len(cards))
	}
	if c := w.change(1); c.State != bot.ChangeApplied || c.Decider != boss || c.Requester != boss {
		t.Errorf("C1 = %+v", c)
	}
	wantAll(t, "Ben's notice", texts(w.seen, ben), "Boss", "T2", "2026-10-08", "需求变更")
	wantAll(t, "Cat's notice", texts(w.seen, cat), "T3「测试」：截止日期改为 2026-10-10 周六")
}

// TestChangePermissions: only one who decides approves; others are refused
// with a toast or a reply that names the rule, and nothing changes.
func TestChangePermissions(t *testing.T) {
	w := newWorld(t)
	wantAll(t, "Dan's /due of Ben's task", w.say(dan, "/due T2 10-12 帮忙"), "T2")
	if n := len(w.cardsOf(w.seen, boss, bot.CardChangeRequest)); n != 0 {
		t.Fatalf("a stranger's request sent %d cards", n)
	}
	w.say(ben, "/due T2 10-12 接口晚到")
	card := w.cardsOf(w.seen, boss, bot.CardChangeRequest)[0]

	// Ben presses Boss's button; Cat types the command.
	if resp := w.click(ben, card.ID, "approve", nil); !strings.Contains(resp.Toast, "Boss") {
		t.Errorf("Ben's click: %+v", resp)
	}
	wantAll(t, "Cat's /approve", w.say(cat, "/approve C1"), "Boss")
	wantAll(t, "Ben's /reject", w.say(ben, "/reject C1 不要了"), "Boss")
	// A second request while the first waits is refused, naming it.
	wantAll(t, "Ben's second /due", w.say(ben, "/due T2 10-09 改一下"), "C1")
	// A rejection needs a reason.
	if resp := w.click(boss, card.ID, "reject", map[string]string{"reason": " "}); !strings.Contains(resp.Toast, "reason") {
		t.Errorf("reject without a reason: %+v", resp)
	}
	if got := w.dues(); !slices.Equal(got, before) {
		t.Errorf("refusals moved due dates: %v", got)
	}
	if c := w.change(1); !c.Pending() || w.card(card.ID).Card.Finished() {
		t.Errorf("refusals decided C1: %+v", c)
	}
	w.take()

	resp := w.click(boss, card.ID, "reject", map[string]string{"reason": "发布日期不能变"})
	if resp.Card == nil || !resp.Card.Finished() || resp.Card.Color != bot.ColorGrey || !strings.Contains(resp.Card.Text, "发布日期不能变") {
		t.Errorf("the card after rejection: %+v", resp.Card)
	}
	after := w.take()
	wantAll(t, "Ben's notice", texts(after, ben), "C1", "发布日期不能变", "2026-09-30")
	if got := texts(after, cat); got != "" {
		t.Errorf("a rejection told Cat %q", got)
	}
	if got := w.dues(); !slices.Equal(got, before) {
		t.Errorf("a rejection moved due dates: %v", got)
	}
	if c := w.change(1); c.State != bot.ChangeRejected || c.DecisionReason != "发布日期不能变" {
		t.Errorf("C1 = %+v", c)
	}
	// Decided, the task takes a new request, and /approve as text does
	// what the click does.
	w.say(ben, "/due T2 10-08 接口晚到")
	wantAll(t, "Boss's /approve C2", w.say(boss, "/approve C2"), "T2", "2026-10-08")
	if got := w.task(2).Due.String(); got != "2026-10-08" {
		t.Errorf("T2 due %s after /approve C2", got)
	}
	wantAll(t, "Boss's /approve C2 again", w.say(boss, "/批准 C2"), "已处理")
	wantAll(t, "/changes P1", w.say(ann, "/changes P1"), "C2", "C1", "已驳回", "已批准", "顺延 T3, T4")
}

// TestExtensionOnAWarningIsAChangeRequest: T2 is overdue after the
// holiday; Ben asks for an extension on the blue warning. That is change
// request C1, whose impact card goes to Boss beside the yellow warning with
// Approve extension. Approving on the warning approves C1: the dates move,
// the warning resolves, and the change card turns read-only too.
func TestExtensionOnAWarningIsAChangeRequest(t *testing.T) {
	w := newWorld(t)
	if err := w.clock.Set(time.Date(2026, 10, 8, 10, 0, 0, 0, benchZone(t))); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.RunEscalations(context.Background()); err != nil {
		t.Fatal(err)
	}
	blue := w.cardsOf(w.take(), ben, bot.CardEscalation)
	if len(blue) != 1 || blue[0].Card.Refs["task"] != "T2" {
		t.Fatalf("Ben's warnings: %+v", blue)
	}
	resp := w.click(ben, blue[0].ID, "extend", map[string]string{"due": "2026-10-12", "reason": "接口晚到"})
	wantAll(t, "the extend toast", resp.Toast, "C1", "Boss")
	sent := w.take()
	change := w.cardsOf(sent, boss, bot.CardChangeRequest)
	yellow := w.cardsOf(sent, boss, bot.CardEscalation)
	if len(change) != 1 || len(yellow) != 1 || !slices.Contains(actionNames(yellow[0].Card), "approve") {
		t.Fatalf("Boss got change cards %+v and warnings %+v", change, yellow)
	}
	wantAll(t, "the change card", cardText(change[0].Card), "T3 测试：2026-10-09 周五 → 2026-10-14 周三（+4 个工作日）")
	if c := w.change(1); !c.Pending() || (bot.Escalation{ID: c.Escalation}).Code() != blue[0].Card.Refs["escalation"] || c.Requester != ben || c.AskedOf != boss {
		t.Errorf("C1 = %+v", c)
	}

	w.click(boss, yellow[0].ID, "approve", nil)
	if got := w.dues(); got[1] != "2026-10-12" || got[2] != "2026-10-14" {
		t.Errorf("due dates after approval: %v", got)
	}
	if c := w.change(1); c.State != bot.ChangeApproved || c.Decider != boss {
		t.Errorf("C1 = %+v", c)
	}
	if c := w.card(change[0].ID).Card; !c.Finished() || c.Color != bot.ColorGreen {
		t.Errorf("the change card after approval on the warning: %+v", c)
	}
	if c := w.card(yellow[0].ID).Card; !c.Finished() {
		t.Errorf("the warning after the approved extension: %+v", c)
	}
	if resp := w.click(boss, change[0].ID, "approve", nil); !strings.Contains(resp.Toast, "已处理") {
		t.Errorf("approving the change card too: %+v", resp)
	}
}

// TestRejectedExtensionLeavesTheWarning: rejecting the request takes
// Approve extension off the warning, which stays open, and Ben may ask
// again.
func TestRejectedExtensionLeavesTheWarning(t *testing.T) {
	w := newWorld(t)
	if err := w.clock.Set(time.Date(2026, 10, 8, 10, 0, 0, 0, benchZone(t))); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.RunEscalations(context.Background()); err != nil {
		t.Fatal(err)
	}
	blue := w.cardsOf(w.take(), ben, bot.CardEscalation)
	w.click(ben, blue[0].ID, "extend", map[string]string{"due": "2026-10-12", "reason": "接口晚到"})
	sent := w.take()
	change, yellow := w.cardsOf(sent, boss, bot.CardChangeRequest), w.cardsOf(sent, boss, bot.CardEscalation)
	w.click(boss, change[0].ID, "reject", map[string]string{"reason": "不能再延"})
	if c := w.card(yellow[0].ID).Card; c.Finished() || slices.Contains(actionNames(c), "approve") {
		t.Errorf("the warning after the rejection: %+v", c)
	}
	if got := w.dues(); !slices.Equal(got, before) {
		t.Errorf("a rejection moved due dates: %v", got)
	}
	wantAll(t, "Ben's notice", texts(w.take(), ben), "不能再延")
	resp := w.click(ben, blue[0].ID, "extend", map[string]string{"due": "2026-10-09", "reason": "只要一天"})
	wantAll(t, "asking again", resp.Toast, "C2")
}

// TestDecideAfterTheCardIsGone: a pending request whose card was removed
// past its retention is still decided by /approve C1, by the same rules.
func TestDecideAfterTheCardIsGone(t *testing.T) {
	w := newWorld(t)
	w.say(ben, "/due T2 10-08 接口晚到")
	w.update(func(tx bot.Tx) error {
		far := w.clock.Now().AddDate(1, 0, 0)
		_, _, err := tx.PruneCards(far, far, 1000, nil)
		return err
	})
	wantAll(t, "Cat's /approve C1", w.say(cat, "/approve C1"), "T2")
	if c := w.change(1); !c.Pending() {
		t.Fatalf("Cat decided C1: %+v", c)
	}
	wantAll(t, "Boss's /reject C1 with no reason", w.say(boss, "/reject C1"), "/驳回 <C> <理由>")
	wantAll(t, "Boss's /approve C1", w.say(boss, "/approve C1"), "已批准", "T2")
	if got := w.dues(); got[1] != "2026-10-08" || got[2] != "2026-10-10" {
		t.Errorf("due dates %v", got)
	}
	wantAll(t, "Boss's second /approve C1", w.say(boss, "/approve C1"), "C1 已由 Boss 处理（已批准）")
}

func actionNames(c bot.Card) []string {
	var out []string
	for _, a := range c.Actions {
		out = append(out, a.Name)
	}
	return out
}

// cardText is a card's fields and text, as a reader sees them.
func cardText(c bot.Card) string {
	var b strings.Builder
	for _, f := range c.Fields {
		b.WriteString(f.Label + ": " + f.Value + "\n")
	}
	b.WriteString(bot.MarkdownPlain(c.Text))
	return b.String()
}

// TestCancelWithdrawsThePendingChange: Ben asks to move T2, then Boss
// cancels T2 before deciding. The request is withdrawn rather than left
// waiting: its card turns read-only and says so, /changes lists it as
// withdrawn, the audit records it, and a late /approve changes nothing.
func TestCancelWithdrawsThePendingChange(t *testing.T) {
	w := newWorld(t)
	w.say(ben, "/due T2 10-08 接口晚到")
	cr := w.cardsOf(w.seen, boss, bot.CardChangeRequest)
	if len(cr) != 1 {
		t.Fatalf("change request cards to Boss: %d", len(cr))
	}
	w.say(boss, "/cancel T2 需求取消")
	if c := w.change(1); c.State != bot.ChangeWithdrawn {
		t.Fatalf("C1 after T2 was cancelled: %s", c.State)
	}
	card := w.card(cr[0].ID).Card
	if !card.Finished() || slices.Contains(actionNames(card), "approve") {
		t.Errorf("the change card after the cancel still offers a decision: %+v", card)
	}
	wantAll(t, "the change card", cardText(card), "已撤回", "T2", "已取消")
	wantAll(t, "Boss's /changes P1", w.say(boss, "/changes P1"), "C1", "已撤回")
	wantAll(t, "Boss's late /approve C1", w.say(boss, "/approve C1"), "未做任何更改")
	if c := w.change(1); c.State != bot.ChangeWithdrawn {
		t.Errorf("C1 after a late /approve: %s", c.State)
	}
	if got := w.dues(); got[1] != "2026-09-30" {
		t.Errorf("T2's due date moved: %v", got)
	}
	var kinds []string
	w.update(func(tx bot.Tx) error {
		evs, err := tx.TaskHistory(2)
		for _, e := range evs {
			kinds = append(kinds, e.Kind)
		}
		return err
	})
	if !slices.Contains(kinds, "change_withdrawn") {
		t.Errorf("T2's audit lacks the withdrawal: %v", kinds)
	}
}
