package cards_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/cards"
)

// TestNoFormatErrors guards every golden card against text that a
// formatting mistake produced (a verb without its argument, or the other
// way round): a user would read "%!d(MISSING)" on their card.
func TestNoFormatErrors(t *testing.T) {
	files, err := filepath.Glob("testdata/*.golden.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(raw), "%!") {
			t.Errorf("%s has a formatting error", f)
		}
	}
}

// TestParseLang: /settings lang takes the languages in any case, and
// refuses anything else naming it, in both languages.
func TestParseLang(t *testing.T) {
	for in, want := range map[string]cards.Lang{
		"en": cards.EN, "EN": cards.EN, "English": cards.EN, "ENGLISH": cards.EN, "en-US": cards.EN, "en_gb": cards.EN, "英文": cards.EN,
		"zh": cards.ZH, "ZH": cards.ZH, "zh-CN": cards.ZH, "zh_cn": cards.ZH, "CN": cards.ZH, "Chinese": cards.ZH, "中文": cards.ZH,
	} {
		if got, err := cards.ParseLang(in); err != nil || got != want {
			t.Errorf("ParseLang(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "fr", "e n", "klingon"} {
		_, err := cards.ParseLang(in)
		if bot.ErrorCode(err) != bot.EINVALID || !strings.Contains(bot.MessageIn(err, "en"), "not a language") || !strings.Contains(bot.MessageIn(err, "zh"), "不是可用的语言") {
			t.Errorf("ParseLang(%q) = %v", in, err)
		}
	}
}

// TestCheckinPrefilled: a check-in card sent again on a day already
// answered stands at that answer; a task not answered stands at its own
// progress and status.
func TestCheckinPrefilled(t *testing.T) {
	t3, t7 := t3(), t7()
	c := cards.Checkin(cards.EN, friday, []bot.Task{t3, t7}, map[uint64]bot.CheckInAnswer{
		t3.ID: {Task: t3.ID, Progress: 10, Status: bot.AtRisk, Hours: 2.25, Note: "api done"},
	})
	want := map[string]string{
		"progress.T3": strconv.Itoa(t3.Progress), "status.T3": bot.AtRisk, "hours.T3": "2.25", "note.T3": "api done",
		"progress.T7": strconv.Itoa(t7.Progress), "hours.T7": "", "note.T7": "",
	}
	for _, in := range c.Inputs {
		if w, ok := want[in.Name]; ok && in.Value != w {
			t.Errorf("%s = %q, want %q", in.Name, in.Value, w)
		}
	}
}
