package main

import (
	"context"
	"strings"
	"testing"

	"github.com/loopbot/loopbot/bot"
)

// TestLoopEdges covers rules at the edges of the loop: answers that must
// survive, changes that must re-check warnings, and closed projects.
func TestLoopEdges(t *testing.T) {
	ta := startApp(t, testConfig, "")
	ta.reply("alice", "alpha", "/project new Alpha")
	ta.reply("alice", "alpha", "/task new 接口文档 @bob due:2026-11-24")
	ta.act("bob", ta.lastCard("dm:bob", "task_assigned").ID, "accept", nil)

	t.Run("a project manager assigns; a global manager does not see other projects", func(t *testing.T) {
		if got := ta.reply("bob", "alpha", "/task new 测试 @carol"); !strings.Contains(got, "P1 的经理") {
			t.Fatalf("bob, not yet a manager of P1: %q", got)
		}
		ta.reply("alice", "alpha", "/project members P1 add @bob manager")
		if got := ta.reply("bob", "alpha", "/task new 测试 @carol due:2026-11-30"); !strings.Contains(got, "T2") {
			t.Fatalf("bob as a manager of P1: %q", got)
		}
		ta.reply("alice", "dm", "/task new 私事 @dave")
		if got := ta.reply("bob", "dm", "/tasks @dave"); strings.Contains(got, "私事") {
			t.Fatalf("bob sees a task outside his projects: %q", got)
		}
	})

	t.Run("hours stay in step when a check-in is answered again", func(t *testing.T) {
		ta.at("2026-11-23 09:30")
		ta.checkin("bob", "submit", map[string]string{"progress.T1": "30", "hours.T1": "3"})
		ta.say("bob", "dm", "/checkin")
		ta.checkin("bob", "nochange", nil)
		if h := taskHours(t, ta, 1); h != 3 {
			t.Fatalf("hours after no change = %v, want 3", h)
		}
		ta.say("bob", "dm", "/checkin")
		ta.checkin("bob", "leave", nil)
		if h := taskHours(t, ta, 1); h != 0 {
			t.Fatalf("hours after leave = %v, want 0", h)
		}
	})

	t.Run("a progress change in a check-in resolves due_soon at once", func(t *testing.T) {
		// T1 (due Tue, progress 30) is due soon from Mon 18:00.
		ta.at("2026-11-24 09:00")
		warning := ta.lastCard("dm:bob", "escalation")
		if !strings.Contains(warning.Card.Title, "即将到期") {
			t.Fatalf("warning = %s", warning.Card.Title)
		}
		ta.at("2026-11-24 09:30")
		ta.checkin("bob", "submit", map[string]string{"progress.T1": "90"})
		if c := ta.card("dm:bob", warning.ID); c.Card.Color != "green" || len(c.Card.Actions) != 0 {
			t.Fatalf("due_soon card after the check-in = %+v", c.Card)
		}
	})

	t.Run("review answers survive a second /review", func(t *testing.T) {
		ta.reply("bob", "alpha", "/review")
		ans := ta.act("bob", ta.lastCard("dm:bob", "review_prompt").ID, "submit", map[string]string{"cause": "technical", "done": "T1"})
		if ans.Card == nil {
			t.Fatalf("review submit = %+v", ans)
		}
		ta.reply("bob", "alpha", "/review")
		if n := len(ta.cards("dm:bob", "review_prompt")); n != 2 {
			t.Fatalf("%d review cards", n)
		}
		err := ta.app.store.View(context.Background(), func(tx bot.Tx) error {
			rv, err := tx.Review(1, "2026-W48", "playground:bob")
			if err == nil && (rv.Cause != "technical" || rv.SubmittedAt.IsZero()) {
				t.Errorf("review after a second /review = %+v", rv)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := ta.reply("dave", "alpha", "/review"); !strings.Contains(got, "不是 P1 的成员") {
			t.Fatalf("dave's /review in alpha: %q", got)
		}
	})

	t.Run("a closed project is no longer chased", func(t *testing.T) {
		ta.at("2026-11-25 10:00") // T1 is overdue since Tue 18:00
		if n := openEscalations(t, ta, "P1"); n == 0 {
			t.Fatal("no open warning before closing")
		}
		ta.reply("alice", "alpha", "/project close P1")
		if n := openEscalations(t, ta, "P1"); n != 0 {
			t.Fatalf("%d warnings open after closing the project", n)
		}
		before := countCheckins(ta, "bob")
		ta.at("2026-11-26 10:00")
		if countCheckins(ta, "bob") != before || openEscalations(t, ta, "P1") != 0 {
			t.Fatalf("the closed project's task was checked in or escalated again")
		}
	})
}

func taskHours(t *testing.T, ta *testApp, id uint64) float64 {
	t.Helper()
	var h float64
	err := ta.app.store.View(context.Background(), func(tx bot.Tx) error {
		tk, err := tx.Task(id)
		h = tk.Hours
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func openEscalations(t *testing.T, ta *testApp, project string) int {
	t.Helper()
	var out struct{ Escalations []struct{ ID string } }
	ta.call("GET", "/api/v1/escalations?open=true&project="+project, nil, &out)
	return len(out.Escalations)
}
