package calendar

import "testing"

func TestNextWorkday(t *testing.T) {
	c := New(Config{})
	tests := []struct{ from, want string }{
		{"2026-09-30", "2026-10-08"},
		{"2026-09-18", "2026-09-20"},
		{"2026-11-20", "2026-11-23"},
		{"2026-11-23", "2026-11-24"},
		{"2026-02-13", "2026-02-14"},
		{"2026-02-14", "2026-02-24"},
	}
	for _, tt := range tests {
		t.Run(tt.from, func(t *testing.T) {
			if got := c.NextWorkday(day(t, tt.from)); got != day(t, tt.want) {
				t.Errorf("NextWorkday(%s) = %s, want %s", tt.from, got, tt.want)
			}
		})
	}
}

func TestAddWorkdays(t *testing.T) {
	c := New(Config{})
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2026-09-30", 3, "2026-10-10"},
		{"2026-10-10", -3, "2026-09-30"},
		{"2026-09-30", 1, "2026-10-08"},
		{"2026-11-21", 0, "2026-11-21"},
		{"2026-11-20", 1, "2026-11-23"},
		{"2026-11-23", 5, "2026-11-30"},
		{"2026-11-23", -1, "2026-11-20"},
		{"2026-12-31", 1, "2027-01-01"},
	}
	for _, tt := range tests {
		t.Run(tt.from, func(t *testing.T) {
			if got := c.AddWorkdays(day(t, tt.from), tt.n); got != day(t, tt.want) {
				t.Errorf("AddWorkdays(%s, %d) = %s, want %s", tt.from, tt.n, got, tt.want)
			}
		})
	}
}

func TestWorkdaysBetween(t *testing.T) {
	c := New(Config{})
	tests := []struct {
		a, b string
		want int
	}{
		{"2026-09-30", "2026-10-10", 3},
		{"2026-10-10", "2026-09-30", -3},
		{"2026-11-20", "2026-11-27", 5},
		{"2026-11-23", "2026-11-23", 0},
		{"2026-11-22", "2026-11-23", 1},
		{"2026-09-19", "2026-09-20", 1},
	}
	for _, tt := range tests {
		t.Run(tt.a+"_"+tt.b, func(t *testing.T) {
			if got := c.WorkdaysBetween(day(t, tt.a), day(t, tt.b)); got != tt.want {
				t.Errorf("WorkdaysBetween(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
		})
	}
}
