package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/loopbot/loopbot/bot"
)

// textActionCase is one card button and its text command (SPEC §3 "Card
// actions as text"). The case runs twice, in two fresh services with the
// same setup: once clicked, once typed. Both must leave the same tasks,
// escalations and card, and the text reply must carry the click's toast.
type textActionCase struct {
	name string
	// setup brings a service to the card and returns its chat and message.
	setup func(ta *testApp) (chat, msgID string)
	as    string
	// The click.
	action string
	form   map[string]string
	// The same thing typed, in a direct chat.
	text string
	// refused cases change nothing.
	refused bool
	// reply, if set, is the refusal the text gets where the playground
	// cannot show the click's (it refuses a click outside the clicker's
	// chats itself), or where text shows the usage instead.
	reply string
	// check, if set, asserts the outcome the user sees, once per run.
	check func(t *testing.T, ta *testApp)
}

// blockedT1 assigns T1 to bob, who accepts and blocks it on Monday 09:00;
// at 13:00 (4 working hours) he has the blue warning E1.
func blockedT1(ta *testApp) (string, string) {
	assignT1(ta)
	ta.reply("bob", "dm", "/accept T1")
	ta.reply("bob", "dm", "/block T1 等待接口定义")
	ta.at("2026-11-23 13:00")
	return "dm:bob", ta.lastCard("dm:bob", "escalation").ID
}

// yellowE1 puts bob's extension request on alice's yellow card.
func yellowE1(ta *testApp) (string, string) {
	_, blue := blockedT1(ta)
	ta.act("bob", blue, "extend", map[string]string{"due": "2026-12-04", "reason": "接口晚到"})
	return "dm:alice", ta.lastCard("dm:alice", "escalation").ID
}

func assignT1(ta *testApp) (string, string) {
	ta.reply("alice", "alpha", "/project new Alpha due:2026-12-31")
	ta.reply("alice", "alpha", "/task new 接口文档 @bob due:fri")
	return "dm:bob", ta.lastCard("dm:bob", "task_assigned").ID
}

func doneT1(ta *testApp) (string, string) {
	assignT1(ta)
	ta.reply("bob", "dm", "/accept T1")
	ta.reply("bob", "dm", "/done T1")
	return "dm:alice", ta.lastCard("dm:alice", "acceptance").ID
}

func checkinT1(ta *testApp) (string, string) {
	assignT1(ta)
	ta.reply("alice", "alpha", "/task new 测试 @bob due:fri")
	ta.say("bob", "dm", "/checkin")
	return "dm:bob", ta.lastCard("dm:bob", "checkin").ID
}

func textActionCases() []textActionCase {
	return []textActionCase{
		{name: "accept", setup: assignT1, as: "bob", action: "accept", text: "/accept T1",
			check: wantStatus("T1", "accepted")},
		{name: "accept in Chinese", setup: assignT1, as: "bob", action: "accept", text: "/接受 t1",
			check: wantStatus("T1", "accepted")},
		{name: "decline", setup: assignT1, as: "bob", action: "decline", form: map[string]string{"reason": "下周 出差"},
			text: "/decline T1 下周 出差", check: wantStatus("T1", "declined")},
		{name: "ask", setup: assignT1, as: "bob", action: "ask", form: map[string]string{"question": "范围包括 v2 吗"},
			text: "/提问 T1 范围包括 v2 吗", check: func(t *testing.T, ta *testApp) {
				if c := ta.lastCard("dm:alice", "notice"); !strings.Contains(c.Card.Text, "范围包括 v2 吗") {
					t.Errorf("question card = %+v", c.Card)
				}
			}},
		{name: "verify", setup: doneT1, as: "alice", action: "verify", text: "/verify T1", check: wantStatus("T1", "verified")},
		{name: "rework", setup: doneT1, as: "alice", action: "rework", form: map[string]string{"reason": "缺少示例"},
			text: "/退回 T1 缺少示例", check: wantStatus("T1", "accepted")},
		{name: "checkin row", setup: checkinT1, as: "bob", action: "submit",
			form: map[string]string{"progress.T1": "60", "status.T1": "at_risk", "hours.T1": "2.5", "note.T1": "联调 慢"},
			text: "/checkin T1 60 at_risk 2.5h 联调 慢", check: func(t *testing.T, ta *testApp) {
				if tk := ta.task("T1"); tk.Progress != 60 || tk.Status != "accepted" {
					t.Errorf("T1 = %+v", tk)
				}
			}},
		{name: "checkin row in Chinese", setup: checkinT1, as: "bob", action: "submit",
			form: map[string]string{"progress.T2": "30", "status.T2": "blocked"},
			text: "/打卡 T2 30% 受阻", check: wantStatus("T2", "blocked")},
		{name: "extend", setup: blockedT1, as: "bob", action: "extend", form: map[string]string{"due": "2026-12-04", "reason": "接口 晚到"},
			text: "/extend T1 2026-12-04 接口 晚到", check: func(t *testing.T, ta *testApp) {
				if c := ta.lastCard("dm:alice", "escalation"); c.Card.Color != "yellow" || !slices.Contains(actionNames(c.Card), "approve") {
					t.Errorf("alice's card = %+v", c.Card)
				}
			}},
		{name: "ack", setup: yellowE1, as: "alice", action: "ack", text: "/知悉 E1"},
		{name: "snooze", setup: yellowE1, as: "alice", action: "snooze", form: map[string]string{"duration": "3d"}, text: "/snooze E1 3d"},
		{name: "approve", setup: yellowE1, as: "alice", action: "approve", text: "/approve E1", check: func(t *testing.T, ta *testApp) {
			if tk := ta.task("T1"); tk.Due != "2026-12-04" || tk.BaselineDue != "2026-11-27" {
				t.Errorf("T1 = %+v", tk)
			}
		}},

		{name: "approve a change request", setup: changeC1, as: "alice", action: "approve", text: "/approve C1", check: func(t *testing.T, ta *testApp) {
			if t1, t2 := ta.task("T1"), ta.task("T2"); t1.Due != "2026-12-01" || t1.BaselineDue != "2026-11-27" || t2.Due != "2026-12-03" {
				t.Errorf("T1 = %+v, T2 = %+v", t1, t2)
			}
			if c := ta.lastCard("dm:alice", "change_request"); len(c.Card.Actions) != 0 || c.Card.Color != "green" {
				t.Errorf("the change card = %+v", c.Card)
			}
		}},
		{name: "reject a change request", setup: changeC1, as: "alice", action: "reject", form: map[string]string{"reason": "发布 不能 推迟"},
			text: "/驳回 C1 发布 不能 推迟", check: func(t *testing.T, ta *testApp) {
				if t1 := ta.task("T1"); t1.Due != "2026-11-27" {
					t.Errorf("T1 = %+v", t1)
				}
				if got := ta.chat("dm:bob"); !strings.Contains(got[len(got)-1].Text, "发布 不能 推迟") {
					t.Errorf("Bob's last message %+v", got[len(got)-1])
				}
			}},

		// The same refusals.
		{name: "wrong person", setup: assignT1, as: "carol", action: "accept", text: "/accept T1", refused: true,
			reply: "此卡片是发给 Bob 的，只有 TA 可以操作。"},
		{name: "wrong person on a warning", setup: yellowE1, as: "carol", action: "ack", text: "/ack E1", refused: true,
			reply: "此卡片是发给 Alice 的，只有 TA 可以操作。"},
		{name: "decline without a reason", setup: assignT1, as: "bob", action: "decline", text: "/decline T1", refused: true,
			reply: "用法： /拒绝 <T> <理由>"},
		{name: "progress out of range", setup: checkinT1, as: "bob", action: "submit",
			form: map[string]string{"progress.T1": "150"}, text: "/checkin T1 150", refused: true},
		{name: "bad snooze", setup: yellowE1, as: "alice", action: "snooze", form: map[string]string{"duration": "2d"},
			text: "/snooze E1 2d", refused: true},
		{name: "extension to an earlier date", setup: blockedT1, as: "bob", action: "extend",
			form: map[string]string{"due": "2026-11-24", "reason": "x"}, text: "/extend T1 2026-11-24 x", refused: true},
		{name: "change request approved by its requester", setup: changeC1, as: "bob", action: "approve", text: "/approve C1", refused: true,
			reply: "此卡片是发给 Alice 的，只有 TA 可以操作。"},
		{name: "change request rejected without a reason", setup: changeC1, as: "alice", action: "reject", text: "/reject C1", refused: true,
			reply: "用法： /驳回 <C> <理由>"},
		{name: "approve by the assignee", setup: yellowE1, as: "bob", action: "approve", text: "/approve E1", refused: true,
			reply: "此卡片是发给 Alice 的，只有 TA 可以操作。"},
	}
}

// TestTextActionsDoWhatTheClickDoes runs every text action against its
// button.
func TestTextActionsDoWhatTheClickDoes(t *testing.T) {
	for _, tc := range textActionCases() {
		t.Run(tc.name, func(t *testing.T) {
			click := startApp(t, testConfig, "")
			chat, id := tc.setup(click)
			before := outcome(click, chat, id)
			ans := click.act(tc.as, id, tc.action, tc.form)

			typed := startApp(t, testConfig, "")
			chat2, id2 := tc.setup(typed)
			replies := typed.say(tc.as, "dm", tc.text)

			clicked, got := outcome(click, chat, id), outcome(typed, chat2, id2)
			if clicked != got {
				t.Errorf("click and text differ:\nclick %s\ntext  %s", clicked, got)
			}
			if tc.refused != (clicked == before) {
				t.Errorf("refused = %v, but the click changed state: %v (toast %q)", tc.refused, clicked != before, ans.Toast)
			}
			if tc.reply != "" {
				if !hasReply(replies, tc.reply) {
					t.Errorf("text replies %+v lack %q", replies, tc.reply)
				}
			} else if ans.Toast == "" || !hasReply(replies, ans.Toast) {
				t.Errorf("click toast %q not in the text replies %+v", ans.Toast, replies)
			}
			if tc.check != nil {
				tc.check(t, click)
				tc.check(t, typed)
			}
		})
	}
}

// TestTextActionOnAFinishedCard answers twice: the second gets the click's
// "already handled" answer and changes nothing.
func TestTextActionOnAFinishedCard(t *testing.T) {
	ta := startApp(t, testConfig, "")
	chat, id := assignT1(ta)
	ta.reply("bob", "dm", "/accept T1")
	if c := ta.card(chat, id); len(c.Card.Actions) != 0 || c.Card.Color != "green" || !strings.Contains(c.Card.Text, "Bob") {
		t.Fatalf("card after /accept = %+v", c.Card)
	}
	before := outcome(ta, chat, id)
	click := ta.act("bob", id, "accept", nil)
	if got := ta.reply("bob", "dm", "/decline T1 太忙"); !strings.Contains(click.Toast, got) || outcome(ta, chat, id) != before {
		t.Fatalf("text on a finished card: %q, click: %q", got, click.Toast)
	}
	if got := ta.reply("bob", "dm", "/verify T1"); !strings.Contains(got, "T1") {
		t.Fatalf("verify with no acceptance card: %q", got)
	}
	if got := ta.reply("alice", "dm", "/approve C1"); !strings.Contains(got, "没有变更申请 C1") {
		t.Fatalf("approve C1 with no change request C1: %q", got)
	}
	// A check-in row for a task that is not on the card names the tasks.
	ta.reply("alice", "alpha", "/task new 测试 @bob due:fri")
	ta.say("bob", "dm", "/checkin")
	if got := ta.reply("bob", "dm", "/checkin T9 50"); !strings.Contains(got, "T9") || !strings.Contains(got, "T1") {
		t.Fatalf("check-in of T9: %q", got)
	}
	ta.reply("bob", "dm", "/checkin T2 50")
	if got := ta.reply("bob", "dm", "/checkin T1 50"); !strings.Contains(got, "/打卡") {
		t.Fatalf("second row after the card was submitted: %q", got)
	}
}

// outcome is what a person can see of a click or a text command: tasks,
// escalations, check-ins, and the card as it is now (without its signed
// button values).
func outcome(ta *testApp, chat, msgID string) string {
	ta.tb.Helper()
	var esc, checkins json.RawMessage
	ta.call("GET", "/api/v1/escalations", nil, &esc)
	ta.call("GET", "/api/v1/checkins", nil, &checkins)
	// Every card in the chats of the story, in an order that does not
	// depend on delivery order; the answered card first.
	all := []string{cardView(ta.card(chat, msgID).Card)}
	var others []string
	for _, ch := range []string{"dm:alice", "dm:bob", "dm:carol", "alpha"} {
		for _, m := range ta.chat(ch) {
			if m.Card != nil {
				others = append(others, ch+" "+cardView(m.Card))
			}
		}
	}
	slices.Sort(others)
	return ta.state() + string(esc) + string(checkins) + strings.Join(append(all, others...), "\n")
}

// cardView is a card as its reader sees it, without the signed values.
func cardView(c *bot.Card) string {
	b, _ := json.Marshal(map[string]any{"title": c.Title, "color": c.Color, "text": c.Text, "fields": c.Fields, "actions": actionNames(c)})
	return string(b)
}

func hasReply(msgs []chatMessage, toast string) bool {
	for _, m := range msgs {
		if m.From == "bot" && strings.Contains(m.Text, toast) {
			return true
		}
	}
	return false
}

func wantStatus(task, status string) func(*testing.T, *testApp) {
	return func(t *testing.T, ta *testApp) {
		t.Helper()
		if tk := ta.task(task); tk.Status != status {
			t.Errorf("%s status = %s, want %s", task, tk.Status, status)
		}
	}
}
