package main

import (
	"strings"
	"testing"
)

var (
	losAngeles = mustZone("America/Los_Angeles")
	berlin     = mustZone("Europe/Berlin")
)

// TestSettingsSurviveRestart has dave, a config person with no timezone,
// choose Los Angeles, a 07:15 check-in and English, and alice demote bob
// (a manager in the config) with /role; then the service restarts twice.
// The choices stay: dave's check-in card comes at 07:15 Los Angeles time,
// in English, and
// bob is still a member. A zone added to the config later fills carol's
// empty one (her card comes at 09:30 Berlin time), but not dave's.
func TestSettingsSurviveRestart(t *testing.T) {
	first := startApp(t, testConfig, "")
	first.reply("alice", "alpha", "/project new Settings")
	first.reply("alice", "alpha", "/task new 接口联调 @dave due:2026-12-18")
	first.act("dave", first.lastCard("dm:dave", "task_assigned").ID, "accept", nil)
	first.reply("dave", "dm", "/settings timezone America/Los_Angeles")
	first.reply("dave", "dm", "/settings checkin 07:15")
	first.reply("dave", "dm", "/settings lang en")
	first.reply("alice", "dm", "/role @bob member")
	first.stop()

	second := startApp(t, testConfig, first.db)
	if r := second.role("playground:bob"); r != "member" {
		t.Errorf("bob's role after a restart = %s, want member as alice set it", r)
	}
	second.stop()

	// The config now gives dave and carol a zone: carol had none, so she
	// gets it; dave chose his own, which stays.
	cfg := strings.Replace(testConfig, "id = \"carol\"\nname = \"Carol\"\n", "id = \"carol\"\nname = \"Carol\"\ntimezone = \"Europe/Berlin\"\n", 1)
	cfg = strings.Replace(cfg, "id = \"dave\"\nname = \"Dave\"\n", "id = \"dave\"\nname = \"Dave\"\ntimezone = \"Asia/Tokyo\"\n", 1)
	if !strings.Contains(cfg, "Europe/Berlin") || !strings.Contains(cfg, "Asia/Tokyo") {
		t.Fatal("could not give carol and dave a zone in the config")
	}
	third := startApp(t, cfg, first.db)
	third.reply("alice", "alpha", "/task new 文档 @carol due:2026-12-18")
	third.act("carol", third.lastCard("dm:carol", "task_assigned").ID, "accept", nil)

	// Monday 2026-11-23 09:30 in Berlin is 16:30 in Shanghai, and 07:15
	// in Los Angeles is 23:15.
	third.at("2026-11-24 02:00")
	if got := third.timedCards("dm:carol", "checkin"); len(got) != 1 || got[0].Time.In(berlin).Format("2006-01-02 15:04") != "2026-11-23 09:30" {
		t.Errorf("carol's check-in cards %v, want one at 2026-11-23 09:30 in Berlin", walls(got))
	}
	var walls []string
	for _, c := range third.timedCards("dm:dave", "checkin") {
		walls = append(walls, c.Time.In(losAngeles).Format("2006-01-02 15:04 MST")+" "+c.Card.Title)
	}
	if len(walls) != 1 || !strings.HasPrefix(walls[0], "2026-11-23 07:15 PST") || !isEnglish(walls[0]) {
		t.Errorf("dave's check-in cards: %q, want one at 2026-11-23 07:15 PST, in English", walls)
	}
}

// isEnglish reports whether s has no Han characters.
func isEnglish(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return false
		}
	}
	return true
}
