package main

import (
	"slices"
	"strings"
	"testing"
)

// TestAssignmentStory drives the whole assignment story of SPEC §4.1
// through the playground API and checks each status in the admin API.
func TestAssignmentStory(t *testing.T) {
	ta := startApp(t, testConfig, "")

	// A project is created in a group, which binds the group.
	got := ta.reply("alice", "alpha", "/project new Alpha 交付 due:2026-12-31")
	if !strings.Contains(got, "P1") || !strings.Contains(got, "本群已绑定") {
		t.Fatalf("project reply = %q", got)
	}
	// A task with a natural-language due date: Monday 11-23 → fri is 11-27.
	got = ta.reply("alice", "alpha", "/task new 接口文档 @bob due:fri prio:high")
	if !strings.Contains(got, "T1") || !strings.Contains(got, "2026-11-27") {
		t.Fatalf("task reply = %q", got)
	}
	if tk := ta.task("T1"); tk.Status != "assigned" || tk.Due != "2026-11-27" || tk.Project != "P1" || tk.Assignee != "playground:bob" || tk.Priority != "high" {
		t.Fatalf("T1 = %+v", tk)
	}

	// The card reaches the assignee with accept, decline and ask.
	card := ta.lastCard("dm:bob", "task_assigned")
	if names := actionNames(card.Card); !slices.Equal(names, []string{"accept", "decline", "ask"}) {
		t.Fatalf("actions = %v", names)
	}
	if card.Card.Refs["task"] != "T1" || card.Card.Color != "blue" {
		t.Fatalf("card = %+v", card.Card)
	}

	// Accept updates the card in place; a second click changes nothing.
	ans := ta.act("bob", card.ID, "accept", nil)
	if ans.Card == nil || len(ans.Card.Actions) != 0 || ans.Card.Color != "green" || !strings.Contains(ans.Card.Text, "Bob") {
		t.Fatalf("accept answer = %+v", ans)
	}
	if now := ta.lastCard("dm:bob", "task_assigned"); now.ID != card.ID || len(now.Card.Actions) != 0 {
		t.Fatalf("card was not updated in place: %+v", now)
	}
	if tk := ta.task("T1"); tk.Status != "accepted" {
		t.Fatalf("T1 status = %s", tk.Status)
	}
	before := ta.state()
	ans = ta.act("bob", card.ID, "accept", nil)
	if ans.Toast == "" || ta.state() != before {
		t.Fatalf("second click: toast %q, state changed %v", ans.Toast, ta.state() != before)
	}
	if n := countText(ta.chat("dm:alice"), "已接受 T1"); n != 1 {
		t.Fatalf("alice was told %d times that T1 was accepted", n)
	}

	t.Run("decline goes back to the assigner", func(t *testing.T) { declineStory(t, ta) })
	t.Run("done leads to acceptance, then verify", func(t *testing.T) { acceptanceStory(t, ta) })
}

func declineStory(t *testing.T, ta *testApp) {
	ta.reply("alice", "alpha", "/task new 现场勘察 @carol due:2026-11-30")
	card := ta.lastCard("dm:carol", "task_assigned")
	// A decline needs a reason: the toast names the field and nothing changes.
	ans := ta.act("carol", card.ID, "decline", nil)
	if !strings.Contains(ans.Toast, "reason") || ta.task("T2").Status != "assigned" {
		t.Fatalf("decline without reason: %+v, T2 %s", ans, ta.task("T2").Status)
	}
	ans = ta.act("carol", card.ID, "decline", map[string]string{"reason": "下周出差"})
	if ans.Card == nil || len(ans.Card.Actions) != 0 || !strings.Contains(ans.Card.Text, "下周出差") {
		t.Fatalf("decline answer = %+v", ans)
	}
	if st := ta.task("T2").Status; st != "declined" {
		t.Fatalf("T2 status = %s", st)
	}
	back := ta.lastCard("dm:alice", "task_assigned")
	if names := actionNames(back.Card); !slices.Equal(names, []string{"reassign", "cancel"}) || !strings.Contains(back.Card.Text, "下周出差") {
		t.Fatalf("declined card = %+v", back.Card)
	}
	// Only alice may act on her card.
	if ans := ta.act("bob", back.ID, "reassign", map[string]string{"assignee": "@dave"}); ans.Card != nil && len(ans.Card.Actions) == 0 {
		t.Fatalf("bob finished alice's card: %+v", ans)
	}
	ans = ta.act("alice", back.ID, "reassign", map[string]string{"assignee": "@dave"})
	if ans.Card == nil || len(ans.Card.Actions) != 0 {
		t.Fatalf("reassign answer = %+v", ans)
	}
	if tk := ta.task("T2"); tk.Status != "assigned" || tk.Assignee != "playground:dave" {
		t.Fatalf("T2 after reassign = %+v", tk)
	}
	if c := ta.lastCard("dm:dave", "task_assigned"); c.Card.Refs["task"] != "T2" || len(c.Card.Actions) != 3 {
		t.Fatalf("dave's card = %+v", c.Card)
	}
}

func acceptanceStory(t *testing.T, ta *testApp) {
	got := ta.reply("bob", "dm", "/done T1 文档已提交")
	if !strings.Contains(got, "T1") || !strings.Contains(got, "Alice") {
		t.Fatalf("done reply = %q", got)
	}
	if st := ta.task("T1").Status; st != "done" {
		t.Fatalf("T1 status = %s", st)
	}
	card := ta.lastCard("dm:alice", "acceptance")
	if names := actionNames(card.Card); !slices.Equal(names, []string{"verify", "rework"}) || !strings.Contains(card.Card.Text, "文档已提交") {
		t.Fatalf("acceptance card = %+v", card.Card)
	}
	// Rework needs a reason, then sends the task back to accepted.
	if ans := ta.act("alice", card.ID, "rework", nil); !strings.Contains(ans.Toast, "reason") {
		t.Fatalf("rework without reason: %+v", ans)
	}
	ans := ta.act("alice", card.ID, "rework", map[string]string{"reason": "缺少错误码"})
	if ans.Card == nil || len(ans.Card.Actions) != 0 || ta.task("T1").Status != "accepted" {
		t.Fatalf("rework: %+v, T1 %s", ans, ta.task("T1").Status)
	}
	if countText(ta.chat("dm:bob"), "缺少错误码") != 1 {
		t.Fatalf("bob was not told why: %+v", ta.chat("dm:bob"))
	}
	ta.reply("bob", "dm", "/done T1")
	card = ta.lastCard("dm:alice", "acceptance")
	ans = ta.act("alice", card.ID, "verify", nil)
	if ans.Card == nil || ans.Card.Color != "green" || len(ans.Card.Actions) != 0 {
		t.Fatalf("verify answer = %+v", ans)
	}
	if tk := ta.task("T1"); tk.Status != "verified" || tk.Progress != 100 {
		t.Fatalf("T1 = %+v", tk)
	}
}

func countText(msgs []chatMessage, sub string) int {
	n := 0
	for _, m := range msgs {
		if strings.Contains(m.Text, sub) {
			n++
		}
	}
	return n
}
