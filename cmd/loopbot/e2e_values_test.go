package main

import (
	"strings"
	"testing"
)

// nonFinite are spellings that strconv.ParseFloat reads as NaN, an
// infinity, or a number in a form that people do not type (exponent, hex,
// underscores), and other text that is no plain decimal. Every numeric
// input refuses them with its own message.
var nonFinite = []string{"nan", "NaN", "NAN", "inf", "Inf", "+Inf", "-Inf", "infinity", "+Infinity", "1e400", "1e2", "0x10", "0x1p3", "1_0", "-0", "+3", "", ".", "1.2.3", "٣"}

// TestNumericFormsRefuseNonFinite sends each spelling in each numeric field
// of the check-in card: each is refused with the field's usual message, not
// an internal error, and nothing is saved.
func TestNumericFormsRefuseNonFinite(t *testing.T) {
	ta := startApp(t, testConfig, "")
	ta.reply("alice", "alpha", "/project new Alpha due:2026-12-31")
	ta.reply("alice", "alpha", "/task new 接口文档 @bob due:2026-12-04")
	ta.act("bob", ta.lastCard("dm:bob", "task_assigned").ID, "accept", nil)
	ta.at("2026-11-23 09:30")
	card := ta.lastCard("dm:bob", "checkin")
	fields := map[string]string{"hours.T1": "hours.T1", "progress.T1": "progress.T1"}
	for field, want := range fields {
		for _, v := range nonFinite {
			if v == "" || (field == "progress.T1" && (v == "-0" || v == "+3")) {
				continue // empty keeps the earlier value; Atoi reads these as 0 and 3
			}
			ans := ta.act("bob", card.ID, "submit", map[string]string{field: v})
			if !strings.Contains(ans.Toast, want) || strings.Contains(ans.Toast, "内部错误") || strings.Contains(ans.Toast, "Internal") {
				t.Errorf("%s = %q: toast %q; want the field's message naming %s", field, v, ans.Toast, want)
			}
		}
	}
	if tk := ta.task("T1"); tk.Progress != 0 || tk.Status != "accepted" {
		t.Fatalf("refused check-ins changed T1: %+v", tk)
	}
	// The plain forms still work.
	ta.checkin("bob", "submit", map[string]string{"progress.T1": "40", "hours.T1": "2.5"})
	if tk := ta.task("T1"); tk.Progress != 40 {
		t.Fatalf("T1 after a good check-in: %+v", tk)
	}
	if got := ta.reply("alice", "alpha", "/task new 估时 @bob est:2.5d"); strings.HasPrefix(got, "⚠️") {
		t.Fatalf("est:2.5d refused: %s", got)
	}
}

// TestFormTextRefusesControlCharacters checks that card form text is held
// to what a command's text is: control characters (other than line breaks
// and tabs) are refused with the command's message, naming the field.
func TestFormTextRefusesControlCharacters(t *testing.T) {
	ta := startApp(t, testConfig, "")
	ta.reply("alice", "alpha", "/project new Alpha due:2026-12-31")
	ta.reply("alice", "alpha", "/task new 接口文档 @bob due:2026-12-04")
	assigned := ta.lastCard("dm:bob", "task_assigned")
	for _, r := range []rune{0x00, 0x07, 0x1b, 0x7f, 0x85, 0x9b} {
		reason := "太忙" + string(r) + "了"
		ans := ta.act("bob", assigned.ID, "decline", map[string]string{"reason": reason})
		if !strings.Contains(ans.Toast, "reason") || !strings.Contains(ans.Toast, "控制字符") {
			t.Errorf("decline reason with U+%04X: toast %q; want the control-character refusal naming reason", r, ans.Toast)
		}
	}
	if tk := ta.task("T1"); tk.Status != "assigned" {
		t.Fatalf("a refused decline changed T1: %+v", tk)
	}
	// Line breaks and tabs are text; a Windows line break is a line break.
	ans := ta.act("bob", assigned.ID, "decline", map[string]string{"reason": "太忙\r\n下周\t再说"})
	if ans.Card == nil || strings.Contains(ans.Toast, "控制字符") {
		t.Fatalf("a reason with a line break was refused: %+v", ans)
	}
	if tk := ta.task("T1"); tk.Status != "declined" {
		t.Fatalf("T1 after the decline: %+v", tk)
	}
}
