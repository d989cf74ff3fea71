package main

import (
	"context"
	"strings"
	"testing"

	"github.com/loopbot/loopbot/bot"
)

// inputValue returns the value an input of a card stands at.
func inputValue(c *bot.Card, name string) string {
	for _, in := range c.Inputs {
		if in.Name == name {
			return in.Value
		}
	}
	return "<no input " + name + ">"
}

// TestCheckinResubmitKeepsAnswer: a check-in card sent again on a day
// already answered is filled in with that answer, and a field sent back
// empty keeps it (issue 6, item 4).
func TestCheckinResubmitKeepsAnswer(t *testing.T) {
	ta := startApp(t, testConfig, "")
	ta.reply("alice", "alpha", "/project new Alpha")
	ta.reply("alice", "alpha", "/task new 接口文档 @bob due:2026-12-31")
	ta.reply("alice", "alpha", "/task new 部署脚本 @bob due:2026-12-31")
	ta.act("bob", ta.cards("dm:bob", "task_assigned")[0].ID, "accept", nil)
	ta.act("bob", ta.cards("dm:bob", "task_assigned")[1].ID, "accept", nil)
	ta.at("2026-11-23 09:30")
	ta.checkin("bob", "submit", map[string]string{
		"progress.T1": "30", "hours.T1": "3", "note.T1": "api done",
		"status.T2": "at_risk", "hours.T2": "1.5", "note.T2": "waiting for review",
	})

	ta.say("bob", "dm", "/checkin")
	again := ta.lastCard("dm:bob", "checkin")
	for name, want := range map[string]string{
		"progress.T1": "30", "hours.T1": "3", "note.T1": "api done", "status.T1": "on_track",
		"progress.T2": "0", "hours.T2": "1.5", "note.T2": "waiting for review", "status.T2": "at_risk",
	} {
		if got := inputValue(again.Card, name); got != want {
			t.Errorf("re-sent card: %s = %q, want %q", name, got, want)
		}
	}

	// Only the progress of T1 is sent back.
	done := ta.checkin("bob", "submit", map[string]string{"progress.T1": "40"})
	if h := taskHours(t, ta, 1); h != 3 {
		t.Errorf("T1 hours after a re-submit with only the progress = %v, want 3", h)
	}
	if h := taskHours(t, ta, 2); h != 1.5 {
		t.Errorf("T2 hours after a re-submit that left T2 alone = %v, want 1.5", h)
	}
	if p := ta.task("T1").Progress; p != 40 {
		t.Errorf("T1 progress = %d, want 40", p)
	}
	want := map[string]string{"T1": "40% · 正常 · 3h · api done", "T2": "0% · 有风险 · 1.5h · waiting for review"}
	for _, f := range done.Card.Fields {
		code := strings.Fields(f.Label)[0]
		if f.Value != want[code] {
			t.Errorf("summary of %s = %q, want %q", code, f.Value, want[code])
		}
	}
	if len(done.Card.Fields) != 2 {
		t.Errorf("summary fields = %+v", done.Card.Fields)
	}

	// A row answered as text keeps the rest of the answer too.
	ta.say("bob", "dm", "/checkin")
	ta.reply("bob", "dm", "/checkin T1 50")
	if h := taskHours(t, ta, 1); h != 3 {
		t.Errorf("T1 hours after /checkin T1 50 = %v, want 3", h)
	}
	err := ta.app.store.View(context.Background(), func(tx bot.Tx) error {
		ci, err := tx.CheckIn("playground:bob", bot.Date{Year: 2026, Month: 11, Day: 23})
		if err != nil {
			return err
		}
		for _, a := range ci.Answers {
			if a.Task == 1 && (a.Progress != 50 || a.Hours != 3 || a.Note != "api done") {
				t.Errorf("T1 answer after /checkin T1 50 = %+v", a)
			}
			if a.Task == 2 && (a.Hours != 1.5 || a.Status != bot.AtRisk || a.Note != "waiting for review") {
				t.Errorf("T2 answer after /checkin T1 50 = %+v", a)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
