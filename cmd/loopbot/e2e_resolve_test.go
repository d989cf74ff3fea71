package main

import (
	"strings"
	"testing"
)

// TestDoneResolvesEveryDaysGroupWarning: an overdue task listed in the
// group warning of three days is done; when the command's answer comes,
// each of the three warnings shows its line resolved, updated in place
// (SPEC §4.3), though the command's own transaction only queued them
// (flows.Service.FlushGroupRedraws, issue 7).
func TestDoneResolvesEveryDaysGroupWarning(t *testing.T) {
	ta := startApp(t, testConfig, "")
	ta.reply("alice", "alpha", "/project new Alpha")
	ta.reply("alice", "alpha", "/task new 接口文档 @bob due:2026-11-23")
	ta.act("bob", ta.lastCard("dm:bob", "task_assigned").ID, "accept", nil)
	ta.at("2026-11-30 09:30")
	warnings := ta.cards("alpha", "group_warning")
	if len(warnings) != 3 {
		t.Fatalf("%d group warnings from Thursday to Monday, want one a working day: %+v", len(warnings), warnings)
	}
	for _, w := range warnings {
		if !strings.Contains(w.Card.Text, "**T1 接口文档**") || strings.Contains(w.Card.Text, "✅") {
			t.Fatalf("group warning before /done:\n%s", w.Card.Text)
		}
	}
	ta.reply("bob", "dm", "/done T1")
	for i, w := range warnings {
		c := ta.card("alpha", w.ID)
		if !strings.Contains(c.Card.Text, "✅ ~~**T1 接口文档**") {
			t.Errorf("group warning %d right after /done:\n%s", i+1, c.Card.Text)
		}
	}
}
