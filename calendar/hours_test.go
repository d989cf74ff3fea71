package calendar

import (
	"testing"
	"time"
)

func TestIsWorkingTime(t *testing.T) {
	c := New(Config{})
	sh, ny := shanghai(t), newYork(t)
	tests := []struct {
		name string
		t    time.Time
		loc  *time.Location
		want bool
	}{
		{"start of day", at(t, "2026-11-23 09:00", sh), sh, true},
		{"before start", at(t, "2026-11-23 08:59", sh), sh, false},
		{"last minute", at(t, "2026-11-23 17:59", sh), sh, true},
		{"end of day", at(t, "2026-11-23 18:00", sh), sh, false},
		{"Saturday", at(t, "2026-11-21 10:00", sh), sh, false},
		{"make-up Sunday", at(t, "2026-09-20 10:00", sh), sh, true},
		{"国庆节", at(t, "2026-10-01 10:00", sh), sh, false},
		{"nil loc is Shanghai", at(t, "2026-11-23 10:00", sh), nil, true},
		{"New York clock", at(t, "2026-11-23 10:00", ny), ny, true},
		{"same instant on Shanghai clock", at(t, "2026-11-23 10:00", ny), sh, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.IsWorkingTime(tt.t, tt.loc); got != tt.want {
				t.Errorf("IsWorkingTime(%v) = %v, want %v", tt.t, got, tt.want)
			}
		})
	}
}

func TestWorkingTime(t *testing.T) {
	c := New(Config{})
	sh := shanghai(t)
	tests := []struct {
		name     string
		from, to string
		want     time.Duration
	}{
		{"within a day", "2026-11-23 10:00", "2026-11-23 12:00", 2 * time.Hour},
		{"across a weekend", "2026-11-20 17:00", "2026-11-23 10:00", 2 * time.Hour},
		{"across 国庆节", "2026-09-30 17:00", "2026-10-08 10:00", 2 * time.Hour},
		{"across a make-up Sunday", "2026-09-18 17:00", "2026-09-21 10:00", 11 * time.Hour},
		{"a full week", "2026-11-23 00:00", "2026-11-30 00:00", 45 * time.Hour},
		{"a holiday Friday", "2026-09-25 00:00", "2026-09-26 00:00", 0},
		{"outside hours", "2026-11-23 18:30", "2026-11-24 08:30", 0},
		{"backwards", "2026-11-23 10:00", "2026-11-20 17:00", -2 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.WorkingTime(at(t, tt.from, sh), at(t, tt.to, sh), sh); got != tt.want {
				t.Errorf("WorkingTime(%s, %s) = %v, want %v", tt.from, tt.to, got, tt.want)
			}
		})
	}
}

func TestAddWorkingTime(t *testing.T) {
	c := New(Config{})
	sh := shanghai(t)
	tests := []struct {
		name string
		from string
		d    time.Duration
		want string
	}{
		{"Friday evening over the weekend", "2026-11-20 17:00", 2 * time.Hour, "2026-11-23 10:00"},
		{"from a Saturday", "2026-11-21 10:00", time.Hour, "2026-11-23 10:00"},
		{"up to the end of the day", "2026-11-23 17:00", time.Hour, "2026-11-23 18:00"},
		{"one working day", "2026-11-23 10:00", 9 * time.Hour, "2026-11-24 10:00"},
		{"over 国庆节", "2026-09-30 17:00", 2 * time.Hour, "2026-10-08 10:00"},
		{"zero from a Saturday", "2026-11-21 10:00", 0, "2026-11-23 09:00"},
		{"zero within hours", "2026-11-23 11:11", 0, "2026-11-23 11:11"},
		{"backwards over the weekend", "2026-11-23 10:00", -2 * time.Hour, "2026-11-20 17:00"},
		{"backwards from the evening", "2026-11-23 20:00", -time.Hour, "2026-11-23 17:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.AddWorkingTime(at(t, tt.from, sh), tt.d, sh)
			if want := at(t, tt.want, sh); !got.Equal(want) {
				t.Errorf("AddWorkingTime(%s, %v) = %v, want %v", tt.from, tt.d, got, want)
			}
		})
	}
}

// TestAddWorkingTimeInverse checks that WorkingTime measures back what
// AddWorkingTime added, from many starting points.
func TestAddWorkingTimeInverse(t *testing.T) {
	c := New(Config{})
	sh := shanghai(t)
	from := at(t, "2026-09-28 09:00", sh)
	for h := 0; h < 24*14; h += 5 {
		start := from.Add(time.Duration(h) * time.Hour)
		if !c.IsWorkingTime(start, sh) {
			continue
		}
		for _, d := range []time.Duration{time.Minute, 3 * time.Hour, 9 * time.Hour, 40 * time.Hour} {
			end := c.AddWorkingTime(start, d, sh)
			if got := c.WorkingTime(start, end, sh); got != d {
				t.Errorf("WorkingTime(%v, AddWorkingTime(+%v) = %v) = %v", start, d, end, got)
			}
		}
	}
}

func TestNextWorkingTime(t *testing.T) {
	c := New(Config{})
	sh := shanghai(t)
	tests := []struct{ t, want string }{
		{"2026-11-23 10:00", "2026-11-23 10:00"},
		{"2026-11-23 07:00", "2026-11-23 09:00"},
		{"2026-11-20 18:00", "2026-11-23 09:00"},
		{"2026-09-30 20:00", "2026-10-08 09:00"},
		{"2026-09-19 12:00", "2026-09-20 09:00"},
	}
	for _, tt := range tests {
		t.Run(tt.t, func(t *testing.T) {
			got := c.NextWorkingTime(at(t, tt.t, sh), sh)
			if want := at(t, tt.want, sh); !got.Equal(want) {
				t.Errorf("NextWorkingTime(%s) = %v, want %v", tt.t, got, want)
			}
		})
	}
}

// TestDaylightSaving checks working hours for a person in New York on the
// days the clocks change.
func TestDaylightSaving(t *testing.T) {
	ny := newYork(t)
	c := New(Config{})
	for _, d := range []string{"2026-03-08", "2026-11-01"} {
		t.Run(d, func(t *testing.T) {
			start, end := c.DayStart(day(t, d), ny), c.DayEnd(day(t, d), ny)
			if start.Hour() != 9 || end.Hour() != 18 || end.Sub(start) != 9*time.Hour {
				t.Errorf("working day %v–%v, want 09:00–18:00, 9h", start, end)
			}
		})
	}
	t.Run("working week over the spring change", func(t *testing.T) {
		from, to := at(t, "2026-03-06 09:00", ny), at(t, "2026-03-09 18:00", ny)
		if got := c.WorkingTime(from, to, ny); got != 18*time.Hour {
			t.Errorf("WorkingTime = %v, want 18h", got)
		}
		got := c.NextWorkingTime(at(t, "2026-03-07 22:00", ny), ny)
		if want := at(t, "2026-03-09 09:00", ny); !got.Equal(want) {
			t.Errorf("NextWorkingTime = %v, want %v", got, want)
		}
	})
	t.Run("night shift over the changes", func(t *testing.T) {
		every := []time.Weekday{0, 1, 2, 3, 4, 5, 6}
		night := New(Config{Location: ny, Workdays: every, DayStart: 60, DayEnd: 5 * 60})
		tests := []struct {
			day  string
			want time.Duration
		}{
			{"2026-03-08", 3 * time.Hour},
			{"2026-11-01", 5 * time.Hour},
			{"2026-11-02", 4 * time.Hour},
		}
		for _, tt := range tests {
			d := day(t, tt.day)
			got := night.WorkingTime(d.In(ny), d.AddDays(1).In(ny), nil)
			if got != tt.want {
				t.Errorf("%s: WorkingTime = %v, want %v", tt.day, got, tt.want)
			}
			end := night.AddWorkingTime(night.DayStart(d, nil), tt.want, nil)
			if !end.Equal(night.DayEnd(d, nil)) {
				t.Errorf("%s: AddWorkingTime of a whole day = %v, want %v", tt.day, end, night.DayEnd(d, nil))
			}
		}
	})
}
