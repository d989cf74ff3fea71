package bot_test

import (
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// TestDateAtDaylightSaving checks clock times on the days New York changes
// its clocks: a skipped time moves forward by the gap, a repeated time is
// its first occurrence.
func TestDateAtDaylightSaving(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	tests := []struct {
		day    bot.Date
		hh, mm int
		want   string
	}{
		{bot.NewDate(2026, 3, 8), 2, 30, "2026-03-08T03:30:00-04:00"},
		{bot.NewDate(2026, 3, 8), 2, 0, "2026-03-08T03:00:00-04:00"},
		{bot.NewDate(2026, 3, 8), 1, 59, "2026-03-08T01:59:00-05:00"},
		{bot.NewDate(2026, 3, 8), 3, 0, "2026-03-08T03:00:00-04:00"},
		{bot.NewDate(2026, 11, 1), 1, 30, "2026-11-01T01:30:00-04:00"},
		{bot.NewDate(2026, 11, 1), 2, 30, "2026-11-01T02:30:00-05:00"},
		{bot.NewDate(2026, 11, 23), 9, 30, "2026-11-23T09:30:00-05:00"},
	}
	for _, tc := range tests {
		if got := tc.day.At(tc.hh, tc.mm, ny).Format(time.RFC3339); got != tc.want {
			t.Errorf("%s %02d:%02d = %s, want %s", tc.day, tc.hh, tc.mm, got, tc.want)
		}
	}
}
