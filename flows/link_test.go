package flows_test

import (
	"context"
	"fmt"
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
