package main

import (
	"strings"
	"testing"
)

// retentionConfig is testConfig with short [retention] windows.
const retentionConfig = testConfig + `
[retention]
finished_cards = "1d"
open_cards = "3d"
chat = "5d"
`

// TestRetention: what [retention] keeps only for a while goes after its
// window, and nothing goes before: an open card can be clicked until its
// window ends and then answers that it has expired, without changing the
// task; chat lines leave the playground's chats after theirs.
func TestRetention(t *testing.T) {
	ta := startApp(t, retentionConfig, "")
	ta.reply("alice", "alpha", "/project new Alpha due:2026-12-31")
	ta.reply("alice", "alpha", "/task new 需求分析 @bob due:2026-12-18")
	ta.reply("alice", "alpha", "/task new 系统设计 @carol due:2026-12-18")
	ta.reply("alice", "alpha", "/task new 测试计划 @dave due:2026-12-18")
	bobCard := ta.lastCard("dm:bob", "task_assigned")
	carolCard := ta.lastCard("dm:carol", "task_assigned")
	daveCard := ta.lastCard("dm:dave", "task_assigned")
	ta.act("bob", bobCard.ID, "accept", nil)

	// Wednesday, within the open window of 3 days: carol's card still works.
	ta.at("2026-11-25 10:00")
	if ans := ta.act("carol", carolCard.ID, "accept", nil); strings.Contains(ans.Toast, "expired") || ta.task("T2").Status != "accepted" {
		t.Fatalf("accept within the window: %+v, T2 %+v", ans, ta.task("T2"))
	}

	// Friday, past it: dave's card answers that it has expired, and T3 is
	// unchanged.
	ta.at("2026-11-27 10:00")
	ans := ta.act("dave", daveCard.ID, "accept", nil)
	if !strings.Contains(ans.Toast, "expired") && !strings.Contains(ans.Toast, "已过期") {
		t.Errorf("accept past the window: toast %q, want that the card expired", ans.Toast)
	}
	if st := ta.task("T3").Status; st != "assigned" {
		t.Errorf("T3 after a click on an expired card: %s", st)
	}
	// The card's text command finds no card either, and says so.
	if reply := ta.reply("dave", "dm", "/accept T3"); !strings.Contains(reply, "T3") || ta.task("T3").Status != "assigned" {
		t.Errorf("/accept T3 past the window: %q, T3 %s", reply, ta.task("T3").Status)
	}

	// Monday's chat lines stay for 5 days and then go; later ones stay.
	if !hasText(ta.chat("alpha"), "/task new 需求分析 @bob due:2026-12-18") {
		t.Fatal("Monday's line left the chat before its window")
	}
	ta.at("2026-11-28 12:00")
	alpha := ta.chat("alpha")
	if hasText(alpha, "/task new 需求分析 @bob due:2026-12-18") {
		t.Error("Monday's line is still in the chat after 5 days")
	}
	if !hasText(ta.chat("dm:dave"), "/accept T3") {
		t.Error("Friday's line left the chat within its window")
	}
}

// hasText reports whether a chat has a message with the text.
func hasText(msgs []chatMessage, text string) bool {
	for _, m := range msgs {
		if m.Text == text {
			return true
		}
	}
	return false
}
