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

// TestOldGroupWarningKeepsWhatItShowed: a group warning is updated in place
// for escalation.group_updates_for (default 7d) after it is sent. Two tasks
// are listed in the group every working day; the second is done on Monday,
// which changes every warning so far (and so keeps each for 7 more days,
// retention.finished_cards). When the first is done a week after the first
// warning, the warnings of the last 7 days show its line resolved, and the
// first warning, sent 7 days and a few hours before, keeps it open: the
// newer warnings list what is still open, and Feishu cannot edit a message
// older than 14 days (it would post the whole warning again).
func TestOldGroupWarningKeepsWhatItShowed(t *testing.T) {
	ta := startApp(t, testConfig, "")
	ta.reply("alice", "alpha", "/project new Alpha")
	ta.reply("alice", "alpha", "/task new 接口文档 @bob due:2026-11-23")
	ta.act("bob", ta.lastCard("dm:bob", "task_assigned").ID, "accept", nil)
	ta.reply("alice", "alpha", "/task new 测试用例 @bob due:2026-11-23")
	ta.act("bob", ta.lastCard("dm:bob", "task_assigned").ID, "accept", nil)
	ta.at("2026-11-30 12:00")
	ta.reply("bob", "dm", "/done T2")
	ta.at("2026-12-03 12:00")
	warnings := ta.cards("alpha", "group_warning")
	if len(warnings) != 6 {
		t.Fatalf("%d group warnings from Thursday 11-26 to Thursday 12-03, want one a working day: %+v", len(warnings), warnings)
	}
	ta.reply("bob", "dm", "/done T1")
	for i, w := range warnings {
		c := ta.card("alpha", w.ID)
		if i < 3 && !strings.Contains(c.Card.Text, "✅ ~~**T2 测试用例**") {
			t.Errorf("group warning %d of %d does not show T2 done on Monday:\n%s", i+1, len(warnings), c.Card.Text)
		}
		resolved := strings.Contains(c.Card.Text, "✅ ~~**T1 接口文档**")
		if old := i == 0; resolved == old {
			t.Errorf("group warning %d of %d shows T1 resolved: %v, want %v:\n%s", i+1, len(warnings), resolved, !old, c.Card.Text)
		}
		if !strings.Contains(c.Card.Text, "**T1 接口文档**") {
			t.Errorf("group warning %d lost its line:\n%s", i+1, c.Card.Text)
		}
	}
}
