package export

import (
	"bytes"
	"encoding/csv"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// FuzzCSVField checks that appendCSVField writes a field as encoding/csv's
// Writer (UseCRLF) does, and that encoding/csv reads it back.
func FuzzCSVField(f *testing.F) {
	for _, s := range []string{"", "plain", "测试, \"联调\"\n第二行", " lead", "\u3000全角空格", `\.`, "a\r\nb", "\rx", "tail ", "\"", ",", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, field string) {
		var want bytes.Buffer
		w := csv.NewWriter(&want)
		w.UseCRLF = true
		if err := w.Write([]string{field, "x"}); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		got := append(appendCSVField(nil, field), ",x\r\n"...)
		if !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("%q: wrote %q; encoding/csv writes %q", field, got, want.Bytes())
		}
	})
}

// TestAppendDateTime checks the fast date and time formats against the
// standard ones, years outside 0–9999 included.
func TestAppendDateTime(t *testing.T) {
	for _, tm := range []time.Time{time.Date(2026, 11, 23, 9, 5, 7, 0, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-5, 3, 1, 0, 0, 0, 0, time.UTC)} {
		if got, want := string(appendDateTime(nil, tm)), tm.Format(time.DateTime); got != want {
			t.Errorf("appendDateTime(%v) = %q, want %q", tm, got, want)
		}
		d := bot.DateOf(tm)
		if got, want := string(appendDate(nil, d)), d.String(); got != want {
			t.Errorf("appendDate(%v) = %q, want %q", d, got, want)
		}
	}
}
