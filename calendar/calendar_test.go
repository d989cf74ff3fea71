package calendar

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
)

func TestIsWorkday(t *testing.T) {
	c := New(Config{})
	tests := []struct {
		date string
		want bool
		why  string
	}{
		{"2026-09-30", true, "Wednesday before 国庆"},
		{"2026-10-01", false, "国庆节"},
		{"2026-10-02", false, "国庆节"},
		{"2026-10-05", false, "国庆节 on a Monday"},
		{"2026-10-07", false, "last day of 国庆节"},
		{"2026-10-08", true, "back to work"},
		{"2026-10-10", true, "Saturday make-up day"},
		{"2026-09-20", true, "Sunday make-up day"},
		{"2026-09-25", false, "中秋节 on a Friday"},
		{"2026-02-14", true, "Saturday make-up day before 春节"},
		{"2026-02-23", false, "last day of 春节, a Monday"},
		{"2026-01-04", true, "Sunday make-up day after 元旦"},
		{"2026-11-21", false, "plain Saturday"},
		{"2026-11-23", true, "plain Monday"},
		{"2025-10-08", false, "2025 国庆节、中秋节"},
		{"2025-10-11", true, "2025 Saturday make-up day"},
		{"2025-01-26", true, "2025 Sunday make-up day"},
		{"2027-01-01", true, "a Friday in a year with no data"},
		{"2027-01-02", false, "a Saturday in a year with no data"},
	}
	for _, tt := range tests {
		t.Run(tt.date, func(t *testing.T) {
			if got := c.IsWorkday(day(t, tt.date)); got != tt.want {
				t.Errorf("IsWorkday(%s) = %v, want %v (%s)", tt.date, got, tt.want, tt.why)
			}
		})
	}
}

func TestShippedSchedule(t *testing.T) {
	c := New(Config{})
	tests := []struct {
		year      int
		off, work int
	}{
		{2025, 28, 5},
		{2026, 33, 6},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.year), func(t *testing.T) {
			var off, work int
			for _, d := range c.Days(tt.year) {
				if d.Name == "" {
					t.Errorf("%s has no name", d.Date)
				}
				if !d.Workday {
					off++
					continue
				}
				work++
				if wd := d.Date.Weekday(); wd != time.Saturday && wd != time.Sunday {
					t.Errorf("make-up day %s falls on a %s", d.Date, wd)
				}
			}
			if off != tt.off || work != tt.work {
				t.Errorf("%d: %d days off and %d make-up days, want %d and %d", tt.year, off, work, tt.off, tt.work)
			}
		})
	}
}

func TestDays(t *testing.T) {
	c := New(Config{})
	days := c.Days(2026)
	if len(days) == 0 {
		t.Fatal("no days for 2026")
	}
	if first := days[0]; first != (Day{Date: day(t, "2026-01-01"), Name: "元旦"}) {
		t.Errorf("first day of 2026 = %+v, want 元旦 on 2026-01-01", first)
	}
	for i := 1; i < len(days); i++ {
		if !days[i-1].Date.Before(days[i].Date) {
			t.Errorf("days out of order: %s then %s", days[i-1].Date, days[i].Date)
		}
	}
	want := Day{Date: day(t, "2026-10-10"), Workday: true, Name: "国庆节调休"}
	found := false
	for _, d := range days {
		found = found || d == want
	}
	if !found {
		t.Errorf("Days(2026) lacks %+v", want)
	}
	if got := c.Days(2030); len(got) != 0 {
		t.Errorf("Days(2030) = %v, want none", got)
	}
}

func TestDayName(t *testing.T) {
	c := New(Config{})
	tests := []struct {
		date   string
		name   string
		listed bool
	}{
		{"2026-10-01", "国庆节", true},
		{"2026-10-10", "国庆节调休", true},
		{"2026-09-25", "中秋节", true},
		{"2026-11-23", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.date, func(t *testing.T) {
			name, ok := c.DayName(day(t, tt.date))
			if name != tt.name || ok != tt.listed {
				t.Errorf("DayName(%s) = %q, %v; want %q, %v", tt.date, name, ok, tt.name, tt.listed)
			}
		})
	}
}

func TestAdminAdditions(t *testing.T) {
	c := New(Config{})
	if c.HasData(2027) {
		t.Fatal("HasData(2027) before any addition")
	}
	c.AddHoliday(day(t, "2027-01-01"), "元旦")
	c.AddWorkday(day(t, "2026-10-07"), "公司加班")
	c.AddHoliday(day(t, "2026-11-23"), "公司年会")
	c.AddHoliday(bot.Date{}, "ignored")

	if !c.HasData(2027) {
		t.Error("HasData(2027) = false after an admin added a day")
	}
	if c.IsWorkday(day(t, "2027-01-01")) {
		t.Error("an added holiday is still a working day")
	}
	if !c.IsWorkday(day(t, "2026-10-07")) {
		t.Error("a shipped holiday made a working day by an admin is still off")
	}
	if name, _ := c.DayName(day(t, "2026-10-07")); name != "公司加班" {
		t.Errorf("DayName after override = %q, want 公司加班", name)
	}
	if got := c.NextWorkday(day(t, "2026-11-20")); got != day(t, "2026-11-24") {
		t.Errorf("NextWorkday skips the added holiday: got %s, want 2026-11-24", got)
	}
	if c.HasData(0) {
		t.Error("the zero date was added")
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name, text string
		wantErr    string
	}{
		{"ok", "# comment\n\n2030-01-01 off 元旦\n2030-01-05..2030-01-06 work 调休 上班\n", ""},
		{"no kind", "2030-01-01\n", "line 1"},
		{"bad kind", "2030-01-01 holiday\n", "line 1"},
		{"bad date", "2030-01-01 off\n2030-02-30 off\n", "line 2"},
		{"reversed", "2030-01-05..2030-01-01 off\n", "line 1"},
		{"too long", "2030-01-01..2031-06-01 off\n", "line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(Config{})
			err := c.Load(strings.NewReader(tt.text))
			if tt.wantErr != "" {
				wantInvalid(t, err, tt.wantErr)
				if c.HasData(2030) {
					t.Error("a schedule with a bad line was partly loaded")
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := c.Days(2030); len(got) != 3 || got[2].Name != "调休 上班" || !got[2].Workday {
				t.Errorf("Days(2030) = %+v", got)
			}
		})
	}
}

func TestConfig(t *testing.T) {
	t.Run("custom week and hours", func(t *testing.T) {
		c := New(Config{
			Workdays: []time.Weekday{time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday},
			DayStart: 8*60 + 30, DayEnd: 17 * 60,
		})
		if c.IsWorkday(day(t, "2026-11-27")) || !c.IsWorkday(day(t, "2026-11-22")) {
			t.Error("a Sun–Thu week is not used")
		}
		if got := c.WorkdayLength(); got != 8*time.Hour+30*time.Minute {
			t.Errorf("WorkdayLength = %v, want 8h30m", got)
		}
		if got := c.DayStart(day(t, "2026-11-22"), nil); got.Hour() != 8 || got.Minute() != 30 {
			t.Errorf("DayStart = %v, want 08:30", got)
		}
	})
	t.Run("defaults", func(t *testing.T) {
		c := New(Config{})
		if got := c.WorkdayLength(); got != 9*time.Hour {
			t.Errorf("WorkdayLength = %v, want 9h", got)
		}
		if got := c.Location().String(); got != "Asia/Shanghai" {
			t.Errorf("Location = %s, want Asia/Shanghai", got)
		}
	})
	t.Run("invalid falls back to defaults", func(t *testing.T) {
		cfg := Config{DayStart: 18 * 60, DayEnd: 9 * 60}
		wantInvalid(t, cfg.Validate(), "18:00", "09:00")
		if got := New(cfg).WorkdayLength(); got != 9*time.Hour {
			t.Errorf("WorkdayLength = %v, want the default 9h", got)
		}
	})
	t.Run("bad weekday", func(t *testing.T) {
		wantInvalid(t, Config{Workdays: []time.Weekday{9}}.Validate(), "9")
	})
}

// TestConcurrentAdmin runs admin additions next to readers; run with -race.
func TestConcurrentAdmin(t *testing.T) {
	c := New(Config{})
	var wg sync.WaitGroup
	start := day(t, "2028-01-01")
	for i := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for j := range 50 {
				c.AddHoliday(start.AddDays(i*50+j), "x")
			}
		}()
		go func() {
			defer wg.Done()
			for range 50 {
				c.AddWorkdays(start, 20)
				c.Days(2028)
			}
		}()
	}
	wg.Wait()
	if got := len(c.Days(2028)); got != 200 {
		t.Errorf("Days(2028) has %d days, want 200", got)
	}
}
