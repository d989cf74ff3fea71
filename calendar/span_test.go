package calendar

import (
	"encoding/json"
	"testing"
	"time"
)

func TestParseSpan(t *testing.T) {
	tests := []struct {
		in   string
		want Span
	}{
		{"5m", Span{N: 5, Unit: "m"}},
		{"2h", Span{N: 2, Unit: "h"}},
		{"3d", Span{N: 3, Unit: "d"}},
		{"1wd", Span{N: 1, Unit: "wd"}},
		{"4wh", Span{N: 4, Unit: "wh"}},
		{"30s", Span{N: 30, Unit: "s"}},
		{" 2H ", Span{N: 2, Unit: "h"}},
		{"2 h", Span{N: 2, Unit: "h"}},
		{"０ｍ", Span{N: 0, Unit: "m"}},
		{"3个工作日", Span{N: 3, Unit: "wd"}},
		{"4工作小时", Span{N: 4, Unit: "wh"}},
		{"2小时", Span{N: 2, Unit: "h"}},
		{"5分钟", Span{N: 5, Unit: "m"}},
		{"3天", Span{N: 3, Unit: "d"}},
		{"1wd/2", Span{N: 1, Unit: "wd", Den: 2}},
		{"2wd/4", Span{N: 1, Unit: "wd", Den: 2}},
		{"2wd/2", Span{N: 1, Unit: "wd"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSpan(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("ParseSpan(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseSpanErrors(t *testing.T) {
	for _, in := range []string{"", "5", "m", "5x", "-5m", "5.5h", "1wd/0", "99999999d", "5 m m", "1w", "wd3"} {
		t.Run(in, func(t *testing.T) {
			_, err := ParseSpan(in)
			wantInvalid(t, err, quote(in), "1wd", "4wh")
		})
	}
}

func TestSpanString(t *testing.T) {
	tests := []struct {
		span Span
		want string
	}{
		{Span{N: 5, Unit: "m"}, "5m"},
		{Span{N: 1, Unit: "wd"}, "1wd"},
		{Span{N: 1, Unit: "wd", Den: 2}, "1wd/2"},
		{Span{N: 1, Unit: "h", Den: 1}, "1h"},
		{Span{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.span.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if tt.want == "" {
				return
			}
			if back, err := ParseSpan(tt.want); err != nil || back.String() != tt.want {
				t.Errorf("ParseSpan(%q) = %v, %v", tt.want, back, err)
			}
		})
	}
}

func TestSpanAfter(t *testing.T) {
	c := New(Config{})
	sh := shanghai(t)
	tests := []struct {
		span, from, want string
	}{
		{"2h", "2026-11-21 10:00", "2026-11-21 12:00"},
		{"3d", "2026-11-20 17:00", "2026-11-23 17:00"},
		{"1wd", "2026-11-20 17:00", "2026-11-23 17:00"},
		{"1wd", "2026-11-21 10:00", "2026-11-23 18:00"},
		{"2wd", "2026-09-30 10:00", "2026-10-09 10:00"},
		{"4wh", "2026-11-23 16:00", "2026-11-24 11:00"},
		{"1wd/2", "2026-11-23 09:00", "2026-11-23 13:30"},
		{"1d/2", "2026-11-21 10:00", "2026-11-21 22:00"},
	}
	for _, tt := range tests {
		t.Run(tt.span+" after "+tt.from, func(t *testing.T) {
			sp, err := ParseSpan(tt.span)
			if err != nil {
				t.Fatal(err)
			}
			got := sp.After(c, at(t, tt.from, sh), sh)
			if want := at(t, tt.want, sh); !got.Equal(want) {
				t.Errorf("%s.After(%s) = %v, want %v", tt.span, tt.from, got, want)
			}
		})
	}
}

// TestSpanAfterDaylightSaving checks that a calendar day keeps the time of
// day for a person in New York when the clocks change.
func TestSpanAfterDaylightSaving(t *testing.T) {
	ny := newYork(t)
	got := Span{N: 1, Unit: "d"}.After(New(Config{}), at(t, "2026-03-07 10:00", ny), ny)
	if want := at(t, "2026-03-08 10:00", ny); !got.Equal(want) {
		t.Errorf("1d after 2026-03-07 10:00 = %v, want %v", got, want)
	}
}

func TestSpanDiv(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"4h", 2, "2h"},
		{"1d", 2, "12h"},
		{"1h", 8, "450s"},
		{"1h", 7, "1h/7"},
		{"1wd", 2, "1wd/2"},
		{"2wd", 2, "1wd"},
		{"3wh", 2, "3wh/2"},
		{"1wd/2", 3, "1wd/6"},
		{"5m", 1, "5m"},
		{"5m", 0, "5m"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			sp, err := ParseSpan(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := sp.Div(tt.n).String(); got != tt.want {
				t.Errorf("%s.Div(%d) = %s, want %s", tt.in, tt.n, got, tt.want)
			}
		})
	}
}

// TestSpanDivIsHalf checks that a halved span takes half the working time.
func TestSpanDivIsHalf(t *testing.T) {
	c := New(Config{})
	sh := shanghai(t)
	from := at(t, "2026-11-23 09:00", sh)
	for _, in := range []string{"1wd", "2wd", "3wh", "1h", "1d"} {
		sp, _ := ParseSpan(in)
		whole := c.WorkingTime(from, sp.After(c, from, sh), sh)
		half := c.WorkingTime(from, sp.Div(2).After(c, from, sh), sh)
		if sp.IsWorking() && 2*half != whole {
			t.Errorf("%s: half takes %v of working time, whole %v", in, half, whole)
		}
		if d, _ := sp.Duration(); !sp.IsWorking() && sp.Div(2).After(c, from, sh).Sub(from) != d/2 {
			t.Errorf("%s: half is not half of %v", in, d)
		}
	}
}

func TestSpanDuration(t *testing.T) {
	if d, ok := (Span{N: 5, Unit: "m"}).Duration(); !ok || d != 5*time.Minute {
		t.Errorf("5m.Duration() = %v, %v", d, ok)
	}
	if d, ok := (Span{N: 1, Unit: "wd"}).Duration(); ok {
		t.Errorf("1wd.Duration() = %v, true; want false", d)
	}
}

func TestSpanText(t *testing.T) {
	type config struct {
		Every Span `json:"every"`
		Unset Span `json:"unset"`
	}
	var cfg config
	if err := json.Unmarshal([]byte(`{"every":"1wd","unset":""}`), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Every != (Span{N: 1, Unit: "wd"}) || !cfg.Unset.IsZero() {
		t.Errorf("decoded %+v", cfg)
	}
	out, _ := json.Marshal(config{Every: Span{N: 1, Unit: "wd"}.Div(2)})
	if string(out) != `{"every":"1wd/2","unset":""}` {
		t.Errorf("encoded %s", out)
	}
	err := json.Unmarshal([]byte(`{"every":"soon"}`), &cfg)
	wantInvalid(t, err, `"soon"`)
}

// TestSpanAfterGaps checks whole calendar days over changes of offset in
// zones east and west of Greenwich, at midnight and by 30 minutes: a time
// that the next day skips moves forward by the gap, and a repeated one is
// its first occurrence.
func TestSpanAfterGaps(t *testing.T) {
	tests := []struct {
		zone, from, want string // RFC 3339
	}{
		{"Africa/Cairo", "2026-04-23T00:30:00+02:00", "2026-04-24T01:30:00+03:00"},
		{"Africa/Cairo", "2026-10-28T23:30:00+03:00", "2026-10-29T23:30:00+03:00"},
		{"America/Santiago", "2026-09-05T00:30:00-04:00", "2026-09-06T01:30:00-03:00"},
		{"Australia/Lord_Howe", "2026-10-03T02:15:00+10:30", "2026-10-04T02:45:00+11:00"},
		{"Australia/Lord_Howe", "2026-04-04T01:45:00+11:00", "2026-04-05T01:45:00+11:00"},
		{"Europe/Berlin", "2026-03-28T02:30:10+01:00", "2026-03-29T03:30:10+02:00"},
	}
	for _, tt := range tests {
		loc := mustLoc(t, tt.zone)
		from, _ := time.Parse(time.RFC3339, tt.from)
		got := Span{N: 1, Unit: "d"}.After(New(Config{}), from, loc)
		if got.In(loc).Format(time.RFC3339) != tt.want {
			t.Errorf("%s: 1d after %s = %s, want %s", tt.zone, tt.from, got.In(loc).Format(time.RFC3339), tt.want)
		}
	}
}
