package main

import (
	"strings"
	"testing"
	"time"
)

// clockAs reads the playground's clock as a person ("" for none): the time
// and the zone.
func (ta *testApp) clockAs(person string) (string, string) {
	ta.tb.Helper()
	var out struct{ Now, Zone string }
	path := "/playground/api/clock"
	if person != "" {
		path += "?as=" + person
	}
	if code := ta.call("GET", path, nil, &out); code != 200 {
		ta.tb.Fatalf("GET %s: status %d", path, code)
	}
	return out.Now, out.Zone
}

// TestPlaygroundClockOnUTCServer runs the service with TZ=UTC and the fake
// clock at 2026-11-30 17:00 UTC, which is already 12-01 01:00 in Shanghai
// (the calendar's zone) and still 11-30 12:00 in New York (dave's). The
// page's clock shows each person's own time, and what the bot reads as
// today, tomorrow and the end of the month is the day the page shows; a
// time set without an offset ("Next 09:30") is 09:30 in that person's zone.
func TestPlaygroundClockOnUTCServer(t *testing.T) {
	if serveChild(t) {
		return
	}
	cfg := strings.Replace(configStartingAt(t, "2026-11-30T17:00:00Z"), "id = \"dave\"\nname = \"Dave\"\n", "id = \"dave\"\nname = \"Dave\"\ntimezone = \"America/New_York\"\n", 1)
	ta, _ := startChild(t, cfg, t.TempDir()+"/loopbot.db", "TZ=UTC")

	for _, tc := range []struct{ as, now, zone string }{
		{"", "2026-12-01T01:00:00+08:00", "Asia/Shanghai"},
		{"alice", "2026-12-01T01:00:00+08:00", "Asia/Shanghai"},
		{"dave", "2026-11-30T12:00:00-05:00", "America/New_York"},
	} {
		if now, zone := ta.clockAs(tc.as); now != tc.now || zone != tc.zone {
			t.Errorf("the clock as %q shows %s (%s), want %s (%s)", tc.as, now, zone, tc.now, tc.zone)
		}
	}

	// The bot's today, tomorrow and end of month are the page's.
	ta.reply("alice", "alpha", "/project new 时区 due:eom")
	if got := ta.reply("alice", "alpha", "/task new 今日事 @bob due:today"); !strings.Contains(got, "T1") {
		t.Fatalf("/task new: %q", got)
	}
	if due := ta.task("T1").Due; due != "2026-12-01" {
		t.Errorf("due:today as alice, whose page shows 2026-12-01, is %s", due)
	}
	var project struct{ Deadline, Due string }
	ta.call("GET", "/api/v1/projects/P1", nil, &project)
	if d := project.Deadline + project.Due; d != "2026-12-31" {
		t.Errorf("due:eom as alice, whose page shows December, is %q", d)
	}
	if got := ta.reply("dave", "dm", "/leave tomorrow"); !strings.Contains(got, "12-01") {
		t.Errorf("/leave tomorrow as dave, whose page shows 2026-11-30: %q, want 12-01", got)
	}

	// Messages come in the zone of the person who reads them.
	if msgs := ta.chat("dm:alice"); len(msgs) > 0 && msgs[0].Time.Format("-07:00") != "+08:00" {
		t.Errorf("alice's messages are at %s, want in Shanghai time", msgs[0].Time.Format(time.RFC3339))
	}

	// "Next 09:30" as dave is 09:30 in New York, as alice in Shanghai.
	var out struct{ Now string }
	if code := ta.call("POST", "/playground/api/clock", map[string]string{"set": "2026-11-30T13:30:00", "as": "dave"}, &out); code != 200 || out.Now != "2026-11-30T13:30:00-05:00" {
		t.Errorf("set 13:30 as dave: %d %s, want 2026-11-30T13:30:00-05:00", code, out.Now)
	}
	if code := ta.call("POST", "/playground/api/clock", map[string]string{"set": "2026-12-01T09:30:00", "as": "alice"}, &out); code != 200 || out.Now != "2026-12-01T09:30:00+08:00" {
		t.Errorf("set 09:30 as alice: %d %s, want 2026-12-01T09:30:00+08:00", code, out.Now)
	}
	if now, _ := ta.clockAs(""); now != "2026-12-01T09:30:00+08:00" {
		t.Errorf("after the set the clock shows %s", now)
	}
}
