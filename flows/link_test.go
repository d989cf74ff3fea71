package flows_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// from handles an event from any identity, in its direct chat (chat nil)
// or a group, and returns what it queued.
func (r *rig) from(id bot.PersonID, chat *bot.Target, text string) []queued {
	r.t.Helper()
	r.n++
	target := bot.DM(id)
	if chat != nil {
		target = *chat
	}
	ev := bot.Event{ID: fmt.Sprintf("rig-%d", r.n), Platform: id.Platform(), Kind: bot.EventMessage,
		From: id, Chat: target, Time: r.clock.Now(), Text: text}
	if _, err := r.eng.Handle(context.Background(), ev); err != nil {
		r.t.Fatalf("handle %q: %v", text, err)
	}
	return r.drain()
}

// click presses a button of a card as an identity, and returns the answer.
func (r *rig) click(id bot.PersonID, to bot.Target, c *bot.Card, action string) bot.Response {
	r.t.Helper()
	a, ok := c.Action(action)
	if !ok {
		r.t.Fatalf("card %q has no %s button", c.Title, action)
	}
	r.n++
	ev := bot.Event{ID: fmt.Sprintf("rig-%d", r.n), Platform: id.Platform(), Kind: bot.EventAction, From: id, Chat: to,
		Time: r.clock.Now(), Action: &bot.ActionEvent{Name: action, Token: a.Value}}
	resp, err := r.eng.Handle(context.Background(), ev)
	if err != nil {
		r.t.Fatalf("click %s: %v", action, err)
	}
	return resp
}

// linkDirect links an identity to a person in the store, as /link does.
func (r *rig) linkDirect(keep, join bot.PersonID) {
	r.t.Helper()
	err := r.st.Update(context.Background(), func(tx bot.Tx) error {
		_, err := tx.MergePeople(keep, join, keep, r.clock.Now())
		return err
	})
	if err != nil {
		r.t.Fatal(err)
	}
}

// cardsAt returns the cards among ms sent to a chat.
func cardsAt(ms []queued, to bot.Target) []bot.Card {
	var out []bot.Card
	for _, m := range ms {
		if m.Card != nil && m.To == to {
			out = append(out, *m.Card)
		}
	}
	return out
}

// dms counts the direct messages among ms by chat.
func dms(ms []queued) map[bot.Target]int {
	out := map[bot.Target]int{}
	for _, m := range ms {
		if m.To.DM {
			out[m.To]++
		}
	}
	return out
}

func TestLinkedPersonRoutingMentionsAndClicks(t *testing.T) {
	r := newRig(t, time.Date(2026, 9, 21, 10, 0, 0, 0, time.UTC))
	carol, carolFS := bot.PersonID("playground:carol"), bot.PersonID("feishu:ou_carol")
	r.linkDirect(carol, carolFS)

	// Carol writes from Feishu: the answer comes there, and she is Carol.
	ms := r.from(carolFS, nil, "/settings")
	if len(ms) != 1 || ms[0].To != bot.DM(carolFS) {
		t.Fatalf("answer to Feishu = %+v; want one text in her Feishu chat", ms)
	}

	// Bob assigns to @feishu:ou_carol from the playground: the task is
	// Carol's, and its card goes to Feishu, where she last wrote, once.
	ms = r.do("bob", "", "/task new 写报告 @feishu:ou_carol due:+3d")
	if got := cardsAt(ms, bot.DM(carolFS)); len(got) != 1 {
		t.Fatalf("cards to Carol's Feishu = %d; want 1 (all: %+v)", len(got), dms(ms))
	}
	if got := cardsTo(ms, "carol"); len(got) != 0 {
		t.Errorf("Carol got the card on the playground too")
	}
	var task bot.Task
	r.view(func(tx bot.Tx) error {
		tasks, err := tx.Tasks(bot.TaskFilter{Assignee: carol})
		if len(tasks) == 1 {
			task = tasks[0]
		}
		return err
	})
	if task.ID == 0 {
		t.Fatal("the mention of Carol's Feishu identity did not give Carol the task")
	}

	// She accepts from the playground, the other identity: it works.
	card := cardsAt(ms, bot.DM(carolFS))[0]
	resp := r.click(carol, bot.DM(carolFS), &card, "accept")
	if resp.Card == nil || !resp.Card.Finished() {
		t.Errorf("accept from the linked identity = %+v; want the card finished", resp)
	}

	// She writes from the playground again: her cards follow her there.
	r.do("carol", "", "/settings")
	ms = r.do("bob", "", "/task new 第二件 @carol due:+3d")
	if len(cardsTo(ms, "carol")) != 1 || len(cardsAt(ms, bot.DM(carolFS))) != 0 {
		t.Errorf("after writing from the playground: %+v; want the card there only", dms(ms))
	}
	// /tasks mine from either identity lists the same tasks.
	a := r.say("carol", "/tasks mine")
	var b string
	for _, m := range r.from(carolFS, nil, "/tasks mine") {
		b += m.Text
	}
	if a != b || !strings.Contains(a, "写报告") || !strings.Contains(a, "第二件") {
		t.Errorf("/tasks mine differs by identity:\n%s\n---\n%s", a, b)
	}
}

// texts joins the texts among ms sent to a chat.
func textsAt(ms []queued, to bot.Target) string {
	var out []string
	for _, m := range ms {
		if m.Text != "" && m.To == to {
			out = append(out, m.Text)
		}
	}
	return strings.Join(out, "\n")
}

// linkCodeIn returns the link code shown in a reply.
func linkCodeIn(t *testing.T, text string) string {
	t.Helper()
	m := regexp.MustCompile(`\*\*([A-Z2-9]{4}-[A-Z2-9]{4})\*\*`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no link code in %q", text)
	}
	return m[1]
}

// english sets the language of people to English.
func (r *rig) english(ids ...bot.PersonID) {
	r.t.Helper()
	for _, id := range ids {
		r.from(id, nil, "/settings lang en")
	}
}

func TestLinkCodesRefused(t *testing.T) {
	r := newRig(t, time.Date(2026, 9, 21, 10, 0, 0, 0, time.UTC))
	carolFS, carolWC := bot.PersonID("feishu:ou_carol"), bot.PersonID("wecom:carol")
	r.english("playground:carol", "playground:dave", "playground:erin", carolFS, carolWC)
	refused := func(id bot.PersonID, text string, want ...string) {
		t.Helper()
		got := textsAt(r.from(id, nil, text), bot.DM(id))
		wantIn(t, text, got, append([]string{"⚠️"}, want...)...)
	}
	code := linkCodeIn(t, r.say("carol", "/link"))
	refused(carolFS, "/link ABCD-EFGH", "ABCD-EFGH is not a valid link code")
	refused("playground:dave", "/link "+code, "comes from Playground") // the same platform
	wantIn(t, "link", textsAt(r.from(carolFS, nil, "/link "+strings.ToLower(code)), bot.DM(carolFS)), "Linked", "feishu:ou_carol")
	refused(carolWC, "/link "+code, "already used")
	refused(carolFS, "/link "+linkCodeIn(t, r.say("carol", "/link")), "already linked") // to oneself

	code = linkCodeIn(t, r.say("dave", "/link"))
	r.clock.Set(r.clock.Now().Add(10*time.Minute + time.Second))
	refused(carolWC, "/link "+code, "expired")
	// Feishu is taken on Carol's side: Dave's code cannot join it.
	code = linkCodeIn(t, r.say("dave", "/link"))
	refused(carolFS, "/link "+code, "already linked to Carol", "/unlink feishu:ou_carol")

	// In a group the code goes to the direct chat; the group never sees it.
	group := bot.Target{Platform: bot.Playground, Chat: "alpha"}
	ms := r.do("erin", "alpha", "/link")
	if g := textsAt(ms, group); !strings.Contains(g, "direct chat") || regexp.MustCompile(`[A-Z2-9]{4}-[A-Z2-9]{4}`).MatchString(g) {
		t.Errorf("group answer %q; want a pointer to the direct chat, no code", g)
	}
	linkCodeIn(t, strings.Join(textsTo(ms, "erin"), "\n"))

	var lc []string
	r.view(func(tx bot.Tx) error {
		if _, err := tx.LinkCode(strings.ReplaceAll(code, "-", "")); err != nil {
			t.Errorf("the code is not kept: %v", err)
		}
		p, _ := tx.Person(carolWC)
		lc = append(lc, string(p.ID))
		return nil
	})
	if lc[0] != string(carolWC) {
		t.Errorf("a refused code linked WeCom to %s", lc[0])
	}
}

func TestLinkMergesHistoriesAndUnlinkSplits(t *testing.T) {
	r := newRig(t, time.Date(2026, 9, 21, 10, 0, 0, 0, time.UTC))
	carol, fs := bot.PersonID("playground:carol"), bot.PersonID("feishu:ou_c2")
	r.english("playground:carol", "playground:dave")
	r.clock.Set(r.clock.Now().Add(time.Minute))
	r.from(fs, nil, "/settings lang zh")
	r.from(fs, nil, "/settings checkin 10:15")
	r.do("bob", "", "/task new CarolTask @carol due:+5d")
	ms := r.do("bob", "", "/task new FeishuTask @feishu:ou_c2 due:+5d")
	oldCard := cardsAt(ms, bot.DM(fs))[0] // signed for feishu:ou_c2
	r.say("carol", "/accept T1")
	r.from(fs, nil, "/accept T2")
	r.do("carol", "", "/checkin")
	r.from(fs, nil, "/checkin")
	wantIn(t, "carol checks in", r.say("carol", "/checkin T1 30 note-c"), "Check-in saved")
	wantIn(t, "feishu checks in", textsAt(r.from(fs, nil, "/checkin T2 40 note-f"), bot.DM(fs)), "打卡已保存")

	code := linkCodeIn(t, textsAt(r.from(fs, nil, "/link"), bot.DM(fs)))
	ans := r.say("carol", "/link "+code)
	wantIn(t, "merge answer", ans, "Linked", "1 tasks", "1 check-ins", "Both had chosen the language", "Carol's choice was kept")
	var note string
	r.view(func(tx bot.Tx) error {
		p, err := tx.Person(fs)
		if err != nil || p.ID != carol || p.Lang != "en" || p.CheckinAt != "10:15" {
			t.Errorf("merged = %+v, %v; want Carol, her language, the Feishu check-in time", p, err)
		}
		if ci, err := tx.CheckIn(carol, bot.DateOf(r.clock.Now())); err != nil || len(ci.Answers) != 2 {
			t.Errorf("the day's check-in after merge = %+v, %v; want both answers", ci, err)
		}
		events, _ := tx.Audit(time.Time{}, r.clock.Now().Add(time.Hour))
		for _, e := range events {
			if e.Kind == "person_linked" {
				note = e.Old + " → " + e.New + ": " + e.Note
			}
		}
		return nil
	})
	wantIn(t, "audit", note, "feishu:ou_c2 → playground:carol", "1 tasks", "1 check-ins")
	for _, who := range []bot.PersonID{carol, fs} {
		list := textsAt(r.from(who, nil, "/tasks mine"), bot.DM(who))
		wantIn(t, "tasks mine from "+string(who), list, "CarolTask", "FeishuTask")
	}
	// The card sent to the Feishu identity before the merge still works,
	// clicked from the playground identity.
	if resp := r.click(carol, bot.DM(fs), &oldCard, "accept"); resp.Card == nil || !resp.Card.Finished() {
		t.Errorf("old card click after merge = %+v", resp)
	}

	// Only Carol (or an admin) unlinks; the canonical identity is not split off.
	wantIn(t, "dave", textsAt(r.from("playground:dave", nil, "/unlink feishu:ou_c2"), bot.DM("playground:dave")), "Only admins")
	wantIn(t, "canonical", r.say("carol", "/unlink playground:carol"), "first known by", "/unlink feishu:ou_c2")
	wantIn(t, "unlink", r.say("carol", "/unlink feishu:ou_c2"), "unlinked", "Moved back", "1 tasks", "1 check-ins")
	r.view(func(tx bot.Tx) error {
		p, err := tx.Person(fs)
		if err != nil || p.ID != fs || p.Lang != "zh" || p.CheckinAt != "10:15" {
			t.Errorf("split off = %+v, %v", p, err)
		}
		c, _ := tx.Person(carol)
		if c.CheckinAt != "" || len(c.Identities) != 0 {
			t.Errorf("Carol after split = %+v", c)
		}
		for who, want := range map[bot.PersonID]string{carol: "CarolTask", fs: "FeishuTask"} {
			tasks, _ := tx.Tasks(bot.TaskFilter{Assignee: who})
			if len(tasks) != 1 || tasks[0].Title != want {
				t.Errorf("%s's tasks after split = %+v; want %s", who, tasks, want)
			}
			if cis, _ := tx.CheckIns(who, bot.NewDate(2026, 9, 21), bot.NewDate(2026, 9, 21)); len(cis) != 1 || len(cis[0].Answers) != 1 {
				t.Errorf("%s's check-ins after split = %+v; want their own one answer", who, cis)
			}
		}
		return nil
	})
	if got := r.auditKinds("person_"); len(got) != 2 || !strings.HasPrefix(got[1], "person_unlinked") {
		t.Errorf("audit = %q; want the link and the unlink", got)
	}
}

func TestAdminLinkAndPlatformSetting(t *testing.T) {
	r := newRig(t, time.Date(2026, 9, 21, 10, 0, 0, 0, time.UTC))
	carolDT := bot.PersonID("dingtalk:carol9")
	r.english("playground:alice", "playground:bob", "playground:carol")
	wantIn(t, "bob", r.say("bob", "/link @carol dingtalk:carol9"), "Only admins")
	wantIn(t, "alice", r.say("alice", "/link @carol dingtalk:carol9"), "Linked", "dingtalk:carol9")
	wantIn(t, "again", r.say("alice", "/link @carol dingtalk:carol9"), "already linked")
	wantIn(t, "second", r.say("alice", "/link @carol dingtalk:other"), "already has an identity on DingTalk")

	wantIn(t, "no identity", r.say("carol", "/settings platform wecom"), "no identity on WeCom")
	wantIn(t, "unknown", r.say("carol", "/settings platform slack"), "not a platform")
	wantIn(t, "choose", r.say("carol", "/settings platform 钉钉"), "DingTalk", "as you chose")
	// She writes from the playground, but chose DingTalk: cards go there.
	ms := r.do("bob", "", "/task new 设计评审 @carol due:+3d")
	if len(cardsAt(ms, bot.DM(carolDT))) != 1 || len(cardsTo(ms, "carol")) != 0 {
		t.Errorf("cards = %+v; want one, on DingTalk", dms(ms))
	}
	// Unlinking DingTalk drops the choice: cards come back to the playground.
	wantIn(t, "unlink", r.say("alice", "/unlink dingtalk:carol9"), "unlinked")
	ms = r.do("bob", "", "/task new 第二 @carol due:+3d")
	if len(cardsTo(ms, "carol")) != 1 {
		t.Errorf("after unlink cards = %+v; want the playground", dms(ms))
	}
}

func TestRoutingOnlyToEnabledPlatforms(t *testing.T) {
	r := newRig(t, time.Date(2026, 9, 21, 10, 0, 0, 0, time.UTC))
	carolFS := bot.PersonID("feishu:ou_carol")
	r.linkDirect("playground:carol", carolFS)
	r.english("playground:carol")
	r.from(carolFS, nil, "/settings platform feishu")
	r.platforms = []string{bot.Playground, bot.DingTalk}
	r.restart()
	// Feishu was her choice, but it is off now: her cards come to the playground.
	ms := r.do("bob", "", "/task new 报表 @carol due:+3d")
	if len(cardsTo(ms, "carol")) != 1 || len(cardsAt(ms, bot.DM(carolFS))) != 0 {
		t.Errorf("cards = %+v; want the playground only", dms(ms))
	}
	wantIn(t, "off", r.say("carol", "/settings platform feishu"), "Feishu is not enabled")
}
