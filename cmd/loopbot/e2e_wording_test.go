package main

import (
	"strings"
	"testing"
	"unicode"
)

// TestNoiseAndWording: /tasks in a project group, task history in words,
// refusals in the reader's language, /settings lang in any case (issue 6,
// item 11).
func TestNoiseAndWording(t *testing.T) {
	ta := startApp(t, testConfig, "")
	ta.reply("alice", "alpha", "/project new Alpha")
	ta.reply("alice", "alpha", "/task new 接口文档 @bob due:2026-11-23")
	ta.reply("alice", "alpha", "/task new 测试计划 @carol due:2026-12-31")

	t.Run("/tasks in a project group lists the project's open tasks", func(t *testing.T) {
		got := ta.reply("dave", "alpha", "/tasks")
		if !strings.Contains(got, "P1 Alpha 的未完成任务") || !strings.Contains(got, "(2)") || !strings.Contains(got, "T1 接口文档") || !strings.Contains(got, "T2 测试计划") {
			t.Errorf("dave's /tasks in alpha = %q", got)
		}
		if got := ta.reply("dave", "alpha", "/tasks mine"); !strings.Contains(got, "(0)") {
			t.Errorf("dave's /tasks mine in alpha = %q", got)
		}
		if got := ta.reply("bob", "dm", "/tasks"); !strings.Contains(got, "你的未完成任务") || !strings.Contains(got, "T1") || strings.Contains(got, "T2") {
			t.Errorf("bob's /tasks in his direct chat = %q", got)
		}
	})

	t.Run("/settings lang takes any case", func(t *testing.T) {
		for _, v := range []string{"EN", "English", "ZH", "en"} {
			if got := ta.reply("bob", "dm", "/settings lang "+v); !strings.Contains(got, "⚙️") {
				t.Errorf("/settings lang %s = %q", v, got)
			}
		}
		if got := ta.reply("bob", "dm", "/settings lang klingon"); !strings.Contains(got, "not a language") || strings.ContainsFunc(got, isHan) {
			t.Errorf("/settings lang klingon to an English user = %q", got)
		}
	})

	t.Run("English users get English refusals", func(t *testing.T) {
		ta.act("bob", ta.lastCard("dm:bob", "task_assigned").ID, "accept", nil)
		for _, cmd := range []string{
			"/leave someday", "/settings checkin 25:99", "/settings timezone Mars/Base",
			"/task new 报告 @bob due:2020-01-01", "/task new 报告 @bob due:whenever",
		} {
			got := ta.reply("bob", "dm", cmd)
			if strings.ContainsFunc(withoutForms(strings.ReplaceAll(got, "报告", "")), isHan) {
				t.Errorf("%s to an English user = %q", cmd, got)
			}
		}
	})

	t.Run("task history is in words", func(t *testing.T) {
		ta.act("carol", ta.lastCard("dm:carol", "task_assigned").ID, "ask", map[string]string{"question": "范围包括移动端吗？"})
		ta.at("2026-11-24 09:00") // T1 is overdue
		ta.reply("bob", "dm", "/settings lang zh")
		for _, task := range []string{"T1", "T2"} {
			ta.say("alice", "dm", "/task show "+task)
			d := ta.lastCard("dm:alice", "notice")
			for _, raw := range []string{"question", "escalation_opened", "escalation_resolved", "overdue", "stale", "due_soon", "task_created"} {
				if strings.Contains(d.Card.Text, raw) {
					t.Errorf("%s history shows %q:\n%s", task, raw, d.Card.Text)
				}
			}
		}
		ta.say("alice", "dm", "/task show T1")
		if d := ta.lastCard("dm:alice", "notice"); !strings.Contains(d.Card.Text, "督办 E") || !strings.Contains(d.Card.Text, "逾期") {
			t.Errorf("T1 history does not name its warnings:\n%s", d.Card.Text)
		}
		ta.say("alice", "dm", "/task show T2")
		if d := ta.lastCard("dm:alice", "notice"); !strings.Contains(d.Card.Text, "提出问题 · 范围包括移动端吗？") {
			t.Errorf("T2 history does not show the question:\n%s", d.Card.Text)
		}
	})
}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

// withoutForms cuts a refusal's list of accepted input forms (2026年11月28日,
// 今天…), which are forms to type, not words of the refusal.
func withoutForms(s string) string {
	before, _, _ := strings.Cut(s, "Accepted forms")
	return before
}
