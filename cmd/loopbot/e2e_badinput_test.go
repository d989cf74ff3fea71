package main

import (
	"strings"
	"testing"
)

// badInputs are malformed or forbidden commands. Each must get a reply that
// says what was wrong (want is a part of it) and change nothing. The
// command fuzz corpus is seeded from this table.
var badInputs = []struct {
	from, chat, text, want string
}{
	{"alice", "alpha", "/frobnicate", "/帮助"},
	{"alice", "alpha", "/taks new 标题 @bob", "/task"},
	{"alice", "alpha", "/task", "新建"},
	{"alice", "alpha", "/task new", "任务需要一个标题"},
	{"alice", "alpha", "/task new 标题 @bob due:yesterday", "2026-11-22"},
	{"alice", "alpha", "/task new 标题 @bob due:2026-13-45", "2026-13-45"},
	{"alice", "alpha", "/task new 标题 @bob due:someday", "someday"},
	{"alice", "alpha", "/task new 标题 @nobody", "@nobody"},
	{"alice", "alpha", "/task new 标题 @bob @carol", "一个负责人"},
	{"alice", "alpha", "/task new 标题 @bob prio:urgent", "urgent"},
	{"alice", "alpha", "/task new 标题 @bob est:-3d", "-3d"},
	{"alice", "alpha", "/task new 标题 @bob est:nan", "不是有效估时"},
	{"alice", "alpha", "/task new 标题 @bob est:NaN", "不是有效估时"},
	{"alice", "alpha", "/task new 标题 @bob est:inf", "不是有效估时"},
	{"alice", "alpha", "/task new 标题 @bob est:+Inf", "不是有效估时"},
	{"alice", "alpha", "/task new 标题 @bob est:Infinity", "不是有效估时"},
	{"alice", "alpha", "/task new 标题 @bob est:1e400", "不是有效估时"},
	{"alice", "alpha", "/task new 标题 @bob est:0x1p3", "不是有效估时"},
	{"alice", "alpha", "/task new 标题 @bob est:1_0d", "不是有效估时"},
	{"alice", "alpha", "/progress T1 NaN", "NaN"},
	{"alice", "alpha", "/progress T1 +Inf", "+Inf"},
	{"alice", "alpha", "/task new 标题 @bob after:T99", "T99"},
	{"alice", "alpha", "/task new 标题 @bob project:P9", "P9"},
	{"alice", "alpha", "/task new 标题 @bob due:fri due:mon", "due"},
	{"alice", "alpha", `/task new "未闭合的标题 @bob`, "引号"},
	{"carol", "alpha", "/task new 标题 @bob", "P1 的经理"},
	{"alice", "alpha", "/progress T1 150", "150"},
	{"alice", "alpha", "/progress T1", "0 到 100"},
	{"alice", "alpha", "/progress X1 50", "X1"},
	{"carol", "alpha", "/progress T1 50", "T1 的负责人"},
	{"alice", "alpha", "/done T99", "T99"},
	{"bob", "dm", "/block T1", "阻塞原因"},
	{"bob", "dm", "/block T1 等待评审 to:alice", "to:"},
	{"bob", "dm", "/unblock T1", "并未阻塞"},
	{"alice", "alpha", "/reassign T1", "@"},
	{"carol", "alpha", "/cancel T1", "T1 的指派人"},
	{"carol", "alpha", "/role @bob admin", "管理员"},
	{"alice", "alpha", "/role @bob king", "king"},
	{"carol", "alpha", "/project new 新项目", "经理和管理员"},
	{"alice", "dm", "/project bind P1", "群聊"},
	{"alice", "dm", "/project new 重名 acceptance:maybe", "maybe"},
	{"alice", "alpha", "/project new 第二个", "P1"},
	{"carol", "alpha", "/holiday add 2026-12-01", "管理员"},
	{"alice", "alpha", "/calendar 1800", "1800"},
	{"bob", "dm", "/settings timezone Mars/Olympus", "Mars/Olympus"},
	{"bob", "dm", "/settings lang fr", "fr"},
	{"bob", "dm", "/settings checkin 25:99", "25:99"},
	{"bob", "dm", "/export", "哪个项目"},
	{"bob", "dm", "/task new " + strings.Repeat("长", 2001), "2000"},
}

// TestBadInput sends each bad command and checks the reply and that the
// state did not change.
func TestBadInput(t *testing.T) {
	ta := startApp(t, testConfig, "")
	ta.reply("alice", "alpha", "/project new Alpha")
	ta.reply("alice", "alpha", "/task new 接口文档 @bob due:fri")
	for _, tc := range badInputs {
		t.Run(tc.text[:min(len(tc.text), 40)], func(t *testing.T) {
			before := ta.state()
			got := ta.reply(tc.from, tc.chat, tc.text)
			if !strings.HasPrefix(got, "⚠️") || !strings.Contains(got, tc.want) {
				t.Errorf("reply = %q, want a warning with %q", got, tc.want)
			}
			if strings.Contains(got, "goroutine") || strings.Contains(got, ".go:") {
				t.Errorf("reply leaks internals: %q", got)
			}
			if ta.state() != before {
				t.Errorf("state changed")
			}
		})
	}
	if len(badInputs) < 25 {
		t.Fatalf("only %d bad inputs", len(badInputs))
	}
}
