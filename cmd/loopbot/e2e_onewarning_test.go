package main

import (
	"strings"
	"testing"
)

// TestOneWarningPerTask: an overdue task with no progress gets one warning
// that lists both rules, not a second "no progress" card; the rule that
// applies later is added to the warning already sent (issue 6, item 11).
func TestOneWarningPerTask(t *testing.T) {
	ta := startApp(t, testConfig, "")
	ta.reply("alice", "alpha", "/project new Alpha")
	ta.reply("alice", "alpha", "/task new 接口文档 @bob due:2026-11-23")
	ta.act("bob", ta.lastCard("dm:bob", "task_assigned").ID, "accept", nil)
	ta.at("2026-11-24 09:00")
	overdue := ta.lastCard("dm:bob", "escalation")
	if !strings.Contains(overdue.Card.Title, "逾期") {
		t.Fatalf("Tuesday's warning = %+v", overdue.Card)
	}
	// No progress since Monday 09:00: three working days on Thursday.
	ta.at("2026-11-26 10:00")
	var open []chatMessage
	for _, chat := range []string{"dm:bob", "dm:alice", "alpha"} {
		for _, kind := range []string{"escalation", "group_warning"} {
			for _, c := range ta.cards(chat, kind) {
				if strings.Contains(c.Card.Title, "无进展") {
					t.Errorf("%s got a separate no-progress card: %+v", chat, c.Card)
				}
				if kind == "escalation" && c.Card.Refs["task"] == "T1" && len(c.Card.Actions) > 0 {
					open = append(open, c)
				}
			}
		}
	}
	// Bob's blue card and, after a working day, Alice's yellow one.
	if len(open) != 2 || open[0].Card.Color != "blue" || open[1].Card.Color != "yellow" {
		t.Fatalf("open warnings of T1: %+v", open)
	}
	for _, c := range open {
		if !strings.Contains(c.Card.Text, "已逾期") || !strings.Contains(c.Card.Text, "没有进度更新") {
			t.Errorf("%s warning does not list both rules:\n%s", c.Card.Color, c.Card.Text)
		}
	}
	var out struct{ Escalations []apiEsc }
	ta.call("GET", "/api/v1/escalations?open=true", nil, &out)
	for _, e := range out.Escalations {
		if e.Rule == "stale" {
			t.Errorf("a stale escalation is open beside the overdue one: %+v", out.Escalations)
		}
	}
}
