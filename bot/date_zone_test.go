package bot_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones must load on machines without a zone database

	"github.com/loopbot/loopbot/bot"
)

// transition is a change of a zone's offset: at instant at, the offset
// goes from before to after (seconds east of UTC).
type transition struct {
	at            time.Time
	before, after int
}

// transitionsIn finds every change of loc's offset in [from, to), by
// scanning hour by hour and narrowing each change down to the second.
func transitionsIn(loc *time.Location, from, to time.Time) []transition {
	offset := func(t time.Time) int { _, o := t.In(loc).Zone(); return o }
	var out []transition
	for t := from; t.Before(to); t = t.Add(time.Hour) {
		a, b := offset(t), offset(t.Add(time.Hour))
		if a == b {
			continue
		}
		lo, hi := t, t.Add(time.Hour) // offset(lo) == a, offset(hi) == b
		for hi.Sub(lo) > time.Second {
			mid := lo.Add(hi.Sub(lo) / 2)
			if offset(mid) == a {
				lo = mid
			} else {
				hi = mid
			}
		}
		out = append(out, transition{at: hi, before: a, after: b})
	}
	return out
}

// wantAt is the oracle of Date.At next to one transition: the first
// instant whose clock in loc reads the wall time, found by trying the two
// offsets and reading each candidate back with Go's instant-to-clock
// conversion; when neither reads it, wall is in the transition's gap and
// the answer is wall read with the offset before it. ok is false when the
// wall time is in neither (the test then cannot judge).
func wantAt(loc *time.Location, wall time.Time, tr transition) (want time.Time, ok bool) {
	reads := func(c time.Time) bool {
		l := c.In(loc)
		return l.Year() == wall.Year() && l.YearDay() == wall.YearDay() && l.Hour() == wall.Hour() && l.Minute() == wall.Minute()
	}
	for _, off := range []int{tr.before, tr.after} {
		c := wall.Add(-time.Duration(off) * time.Second)
		if reads(c) && (want.IsZero() || c.Before(want)) {
			want = c
		}
	}
	if !want.IsZero() {
		return want, true
	}
	gapFrom := tr.at.Add(time.Duration(tr.before) * time.Second).UTC() // the wall clock at the change, before it
	gapTo := tr.at.Add(time.Duration(tr.after) * time.Second).UTC()
	if wall.Before(gapFrom) || !wall.Before(gapTo) {
		return time.Time{}, false
	}
	return wall.Add(-time.Duration(tr.before) * time.Second), true
}

// checkZoneAt checks Date.At and Date.In at every 5 minutes of the days
// around each 2026 transition of a zone. It returns how many transitions
// it checked.
func checkZoneAt(t *testing.T, name string) int {
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	trs := transitionsIn(loc, from, from.AddDate(1, 0, 0))
	for _, tr := range trs {
		days := map[bot.Date]bool{}
		for _, at := range []time.Time{tr.at.Add(-time.Second), tr.at} {
			d := bot.DateOf(at.In(loc))
			days[d.AddDays(-1)], days[d], days[d.AddDays(1)] = true, true, true
		}
		failures := 0
		for d := range days {
			for m := 0; m < 24*60 && failures < 3; m += 5 {
				wall := time.Date(d.Year, d.Month, d.Day, m/60, m%60, 0, 0, time.UTC)
				want, ok := wantAt(loc, wall, tr)
				if !ok {
					t.Errorf("%s: cannot judge %s %02d:%02d near the change at %s", name, d, m/60, m%60, tr.at)
					failures++
					continue
				}
				if got := d.At(m/60, m%60, loc); !got.Equal(want) {
					t.Errorf("%s (change %+d→%+d at %s): %s %02d:%02d = %s, want %s", name, tr.before/60, tr.after/60, tr.at.In(loc),
						d, m/60, m%60, got.In(loc).Format(time.RFC3339), want.In(loc).Format(time.RFC3339))
					failures++
				}
				if m == 0 {
					if got := d.In(loc); !got.Equal(want) {
						t.Errorf("%s: start of %s = %s, want %s", name, d, got.In(loc).Format(time.RFC3339), want.In(loc).Format(time.RFC3339))
						failures++
					}
				}
			}
		}
	}
	return len(trs)
}

// zonesWithChanges are zones whose 2026 changes of offset are of every
// kind: forward and back; at 02:00, at midnight (Cairo, Havana, Santiago,
// Asunción, Beirut, Gaza) and at 01:00; east and west of Greenwich; by 30
// minutes (Lord Howe), by an hour from a half-hour offset (Adelaide, St
// John's, Chatham at +12:45), by two hours (Troll) and "negative" daylight
// saving (Dublin, Casablanca, which also moves for Ramadan).
var zonesWithChanges = []string{
	"America/New_York", "America/Los_Angeles", "Europe/London", "Europe/Berlin", "Europe/Chisinau",
	"Africa/Cairo", "America/Havana", "America/Santiago", "America/Asuncion", "Asia/Beirut", "Asia/Gaza",
	"Asia/Jerusalem", "Australia/Lord_Howe", "Australia/Adelaide", "Australia/Sydney", "America/St_Johns",
	"Pacific/Chatham", "Pacific/Auckland", "Antarctica/Troll", "Europe/Dublin", "Africa/Casablanca",
	"America/Nuuk", "America/Scoresbysund", "Pacific/Easter", "America/Mexico_City", "Asia/Shanghai",
}

// TestDateAtEveryZone checks Date.At and Date.In around every 2026 change
// of offset of the zones above, against an oracle that reads candidates
// back through Go's conversion.
func TestDateAtEveryZone(t *testing.T) {
	total := 0
	for _, name := range zonesWithChanges {
		total += checkZoneAt(t, name)
	}
	if total < 40 {
		t.Errorf("only %d changes of offset found in 2026: the scan is broken", total)
	}
}

// TestDateAtAllZones does the same for every zone of the system's zone
// database, when there is one.
func TestDateAtAllZones(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	root := "/usr/share/zoneinfo"
	if _, err := os.Stat(filepath.Join(root, "Africa", "Cairo")); err != nil {
		t.Skip("no zone database at", root)
	}
	n := 0
	_ = filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return nil
		}
		name := strings.TrimPrefix(path, root+"/")
		if first, _, _ := strings.Cut(name, "/"); first == "posix" || first == "right" || first == "Etc" || !strings.Contains(name, "/") {
			return nil
		}
		if _, err := time.LoadLocation(name); err != nil {
			return nil
		}
		checkZoneAt(t, name)
		n++
		return nil
	})
	if n < 300 {
		t.Errorf("only %d zones checked", n)
	}
}

// TestDateAtGaps names what people see on the days of some gaps and
// overlaps, including ones at midnight and of 30 minutes.
func TestDateAtGaps(t *testing.T) {
	tests := []struct {
		zone   string
		day    string
		hh, mm int
		want   string
	}{
		{"Africa/Cairo", "2026-04-24", 0, 30, "2026-04-24T01:30:00+03:00"}, // 00:00 → 01:00
		{"Africa/Cairo", "2026-04-24", 0, 0, "2026-04-24T01:00:00+03:00"},
		{"Africa/Cairo", "2026-04-23", 23, 59, "2026-04-23T23:59:00+02:00"},
		{"Africa/Cairo", "2026-10-29", 23, 30, "2026-10-29T23:30:00+03:00"},    // 24:00 → 23:00: first occurrence
		{"America/Santiago", "2026-09-06", 0, 30, "2026-09-06T01:30:00-03:00"}, // 00:00 → 01:00, west of Greenwich
		{"America/Santiago", "2026-09-06", 0, 0, "2026-09-06T01:00:00-03:00"},
		{"America/Havana", "2026-03-08", 0, 15, "2026-03-08T01:15:00-04:00"},
		{"Australia/Lord_Howe", "2026-10-04", 2, 15, "2026-10-04T02:45:00+11:00"}, // 02:00 → 02:30
		{"Australia/Lord_Howe", "2026-04-05", 1, 45, "2026-04-05T01:45:00+11:00"}, // 02:00 → 01:30: first occurrence
		{"Australia/Lord_Howe", "2026-04-05", 2, 0, "2026-04-05T02:00:00+10:30"},
		{"Europe/Berlin", "2026-03-29", 2, 30, "2026-03-29T03:30:00+02:00"},
		{"Europe/Berlin", "2026-10-25", 2, 30, "2026-10-25T02:30:00+02:00"},
		{"Antarctica/Troll", "2026-03-29", 1, 30, "2026-03-29T03:30:00+02:00"}, // 01:00 → 03:00
	}
	for _, tc := range tests {
		loc, err := time.LoadLocation(tc.zone)
		if err != nil {
			t.Fatal(err)
		}
		d, _ := bot.ParseISODate(tc.day)
		if got := d.At(tc.hh, tc.mm, loc).Format(time.RFC3339); got != tc.want {
			t.Errorf("%s %s %02d:%02d = %s, want %s", tc.zone, tc.day, tc.hh, tc.mm, got, tc.want)
		}
	}
}
