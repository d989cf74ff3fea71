package calendar

import (
	"testing"
	"time"
)

func TestParseClock(t *testing.T) {
	tests := []struct {
		in        string
		hour, min int
	}{
		{"09:30", 9, 30},
		{"9:30", 9, 30},
		{"９：３０", 9, 30},
		{" 18:00 ", 18, 0},
		{"00:00", 0, 0},
		{"23:59", 23, 59},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			h, m, err := ParseClock(tt.in)
			if err != nil || h != tt.hour || m != tt.min {
				t.Errorf("ParseClock(%q) = %d, %d, %v; want %d, %d", tt.in, h, m, err, tt.hour, tt.min)
			}
		})
	}
	for _, in := range []string{"", "24:00", "9:60", "930", "9.30", "ab:cd", "9:5", "-1:00"} {
		t.Run(in, func(t *testing.T) {
			_, _, err := ParseClock(in)
			wantInvalid(t, err, quote(in), "09:30")
		})
	}
}

func TestParseWeekday(t *testing.T) {
	tests := []struct {
		in   string
		want time.Weekday
	}{
		{"mon", time.Monday},
		{"Monday", time.Monday},
		{"SUN", time.Sunday},
		{"周一", time.Monday},
		{"星期日", time.Sunday},
		{"礼拜天", time.Sunday},
		{"周六", time.Saturday},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got, err := ParseWeekday(tt.in); err != nil || got != tt.want {
				t.Errorf("ParseWeekday(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
	for _, in := range []string{"", "funday", "周八", "周", "next mon"} {
		t.Run(in, func(t *testing.T) {
			_, err := ParseWeekday(in)
			wantInvalid(t, err, quote(in), "mon", "周一")
		})
	}
}
