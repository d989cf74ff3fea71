package command

import (
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/loopbot/loopbot/bot"
)

// FuzzParse checks that Parse never panics and that what it returns keeps the
// promises of Command. Its seed corpus is in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add("/task new \"Fix login\" @bob due:fri", "en")
	f.Add("/风险 新增 P1 供应商延期 负责人:@bob 影响:高 任务:T3", "zh")
	f.Add("/workload P1 next", "en")
	f.Fuzz(func(t *testing.T, text, lang string) {
		c, err := Parse(text, lang)
		if err != nil {
			checkFuzzError(t, err)
			return
		}
		checkFuzzCommand(t, c)
	})
}

// checkFuzzError asserts that err is a user-readable EINVALID error.
func checkFuzzError(t *testing.T, err error) {
	t.Helper()
	if bot.ErrorCode(err) != bot.EINVALID || bot.ErrorMessage(err) == "" {
		t.Fatalf("error %v is not an EINVALID error with a message", err)
	}
	if msg := bot.ErrorMessage(err); !utf8.ValidString(msg) {
		t.Fatalf("message %q is not valid UTF-8", msg)
	}
}

// checkFuzzCommand asserts the invariants of a successful parse.
func checkFuzzCommand(t *testing.T, c Command) {
	t.Helper()
	spec, ok := Lookup(c.Name)
	if !ok || spec.Name != c.Name {
		t.Fatalf("Name %q is not a command of Specs", c.Name)
	}
	if _, ok := spec.Sub(c.Sub); (len(spec.Subs) > 0) != ok || (len(spec.Subs) == 0 && c.Sub != "") {
		t.Fatalf("Sub %q does not fit /%s", c.Sub, c.Name)
	}
	for _, m := range c.Mentions {
		if m == "" || strings.ContainsFunc(m, isBlank) {
			t.Fatalf("bad mention %q", m)
		}
	}
	for k, v := range c.KV {
		if canon, ok := canonicalKey(k); !ok || canon != k || v == "" {
			t.Fatalf("bad pair %q:%q", k, v)
		}
	}
	if c.KV == nil || c.Lang != "en" && c.Lang != "zh" || !IsCommand(c.Raw) {
		t.Fatalf("bad command %+v", c)
	}
}

// FuzzParseTaskID checks that ParseTaskID never panics, accepts only ids
// above zero, and agrees with TaskCode.
func FuzzParseTaskID(f *testing.F) {
	for _, s := range []string{"T12", "t1", "#12", "T0", "T", "12x", "T18446744073709551616", "Ｔ１", "T-1", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, ok := ParseTaskID(s)
		if !ok {
			if id != 0 {
				t.Fatalf("ParseTaskID(%q) = %d with false", s, id)
			}
			return
		}
		if id == 0 {
			t.Fatalf("ParseTaskID(%q) accepted 0", s)
		}
		if back, ok := ParseTaskID(TaskCode(id)); !ok || back != id {
			t.Fatalf("TaskCode(%d) = %q does not read back", id, TaskCode(id))
		}
	})
}

// FuzzCleanText checks that free text either is refused or comes back as
// valid UTF-8 without control characters other than line breaks and tabs,
// as a command's text.
func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"ok", "a\r\nb", "bell\x07", "\xff", "tab\tnew\nline", "\u0085", "zero\u200bwidth"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := CleanText(s, "en")
		if err != nil {
			if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' }) {
				return
			}
			t.Fatalf("CleanText(%q) refused clean text: %v", s, err)
		}
		if !utf8.ValidString(out) || strings.ContainsFunc(out, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) {
			t.Fatalf("CleanText(%q) = %q", s, out)
		}
	})
}

func FuzzParseRiskID(f *testing.F) {
	for _, s := range []string{"R2", "r2", "R0", "R", "Ｒ１", "R-1", "R18446744073709551616", "T2", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, ok := ParseRiskID(s)
		if !ok {
			if id != 0 {
				t.Fatalf("ParseRiskID(%q) = %d with false", s, id)
			}
			return
		}
		if id == 0 {
			t.Fatalf("ParseRiskID(%q) accepted 0", s)
		}
		if back, ok := ParseRiskID("R" + strconv.FormatUint(id, 10)); !ok || back != id {
			t.Fatalf("ParseRiskID(%q) = %d does not round-trip", s, id)
		}
	})
}
