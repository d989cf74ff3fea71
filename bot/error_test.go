package bot

import (
	"errors"
	"fmt"
	"testing"
)

// TestMessageIn: a bilingual error shows a reader only their language's
// message, and every other error as ErrorMessage does; an internal error's
// details never show.
func TestMessageIn(t *testing.T) {
	bi := fmt.Errorf("wrapped: %w", Bilingual(EINVALID, "Cannot read the date.", "无法识别日期。"))
	cases := []struct {
		err        error
		en, zh, em string
	}{
		{bi, "Cannot read the date.", "无法识别日期。", "Cannot read the date.\n无法识别日期。"},
		{Errorf(ENOTFOUND, "task T9 not found"), "task T9 not found", "task T9 not found", "task T9 not found"},
		{errors.New("disk on fire at /var/lib"), "Internal error. Please try again later.", "内部错误，请稍后再试。", "Internal error. 内部错误，请稍后再试。"},
		{nil, "", "", ""},
	}
	for _, c := range cases {
		if got := MessageIn(c.err, "en"); got != c.en {
			t.Errorf("MessageIn(%v, en) = %q, want %q", c.err, got, c.en)
		}
		if got := MessageIn(c.err, "zh"); got != c.zh {
			t.Errorf("MessageIn(%v, zh) = %q, want %q", c.err, got, c.zh)
		}
		if got := ErrorMessage(c.err); got != c.em {
			t.Errorf("ErrorMessage(%v) = %q, want %q", c.err, got, c.em)
		}
	}
	if ErrorCode(bi) != EINVALID {
		t.Errorf("code of a bilingual error = %q", ErrorCode(bi))
	}
}
