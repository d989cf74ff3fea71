package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// tourSteps returns the numbered steps of README's "A quick tour of the
// playground", each as one line of text.
func tourSteps(tb testing.TB) []string {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		tb.Fatal(err)
	}
	_, tour, ok := strings.Cut(string(raw), "## A quick tour of the playground")
	if !ok {
		tb.Fatal("README has no quick tour")
	}
	tour, _, _ = strings.Cut(tour, "\n## ")
	var steps []string
	for _, line := range strings.Split(tour, "\n") {
		switch {
		case regexp.MustCompile(`^\d+\. `).MatchString(line):
			steps = append(steps, line)
		case strings.HasPrefix(line, "   ") && len(steps) > 0 && strings.TrimSpace(line) != "":
			steps[len(steps)-1] += " " + strings.TrimSpace(line)
		}
	}
	if len(steps) < 6 {
		tb.Fatalf("README's tour has %d steps", len(steps))
	}
	return steps
}

// tourEvent is one thing the tour tells the reader to do, in the order of
// the text: become someone, type a command, or use the page's buttons.
var tourEvent = regexp.MustCompile("(?:Be|Switch to) \\*\\*(Alice|Bob)\\*\\*|As (Alice|Bob),|`(/[^`]+)`|Click Accept|let Bob accept it|" +
	"\\*\\*Next 09:30\\*\\*|press `\\+1h` twice|At 17:30|move the clock past 18:00 and on through the next working days|" +
	"On Friday at 16:00|on Monday at 09:00")

// TestReadmeTour follows README's quick tour literally, on the embedded
// defaults (no config file), from a Monday morning: it reads the steps'
// commands and actions from README and checks what each step says the
// reader sees.
func TestReadmeTour(t *testing.T) {
	cfg, err := LoadConfig("", []string{
		"LOOPBOT_SERVER_LISTEN=127.0.0.1:0",
		"LOOPBOT_STORE_PATH=" + filepath.Join(t.TempDir(), "loopbot.db"),
		"LOOPBOT_PLAYGROUND_FAKE_CLOCK_START=2026-11-23T09:00:00+08:00",
	})
	if err != nil {
		t.Fatal(err)
	}
	app, err := NewApp(context.Background(), cfg, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	addr, err := app.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ta := &testApp{tb: t, app: app, base: "http://" + addr}
	t.Cleanup(ta.stop)

	tour := &tourRun{ta: ta, t: t}
	for i, step := range tourSteps(t) {
		for _, m := range tourEvent.FindAllStringSubmatchIndex(step, -1) {
			ev := step[m[0]:m[1]]
			if strings.HasPrefix(ev, "`/") && strings.HasSuffix(step[:m[0]], "(or ") {
				continue // another way to type the command before it
			}
			tour.do(i+1, ev)
		}
	}
	tour.checkEnd()
}

// tourRun is the state of a tour: who the reader is, and what they did.
type tourRun struct {
	ta      *testApp
	t       *testing.T
	me      string
	checkin int // Bob's check-in cards when the tour pressed Next 09:30
}

func (r *tourRun) chat() string {
	if r.me == "alice" {
		return "alpha"
	}
	return "dm"
}

// do runs one event of a step and checks what the step says happens.
func (r *tourRun) do(step int, ev string) {
	t, ta := r.t, r.ta
	t.Helper()
	switch {
	case strings.Contains(ev, "Alice"):
		r.me = "alice"
	case strings.Contains(ev, "Bob,") || strings.Contains(ev, "**Bob**"):
		r.me = "bob"
	case strings.HasPrefix(ev, "`/"):
		cmd := strings.Trim(ev, "`")
		answers := ta.say(r.me, r.chat(), cmd)
		if len(answers) == 0 {
			t.Errorf("step %d: %s typed %q and got no answer", step, r.me, cmd)
		}
		for _, a := range answers {
			if strings.HasPrefix(a.Text, "⚠️") {
				t.Errorf("step %d: %s typed %q and was refused: %s", step, r.me, cmd, a.Text)
			}
		}
	case ev == "Click Accept" || ev == "let Bob accept it":
		accepted := 0
		for _, c := range ta.cards("dm:bob", "task_assigned") {
			if len(c.Card.Actions) == 0 {
				continue
			}
			ans := ta.act("bob", c.ID, "accept", nil)
			if ans.Card == nil || ans.Card.Color != "green" || len(ans.Card.Actions) != 0 {
				t.Errorf("step %d: accept turned the card into %+v, want a green finished card", step, ans.Card)
			}
			accepted++
		}
		if accepted == 0 {
			t.Errorf("step %d: bob has no assignment card to accept", step)
		}
	case ev == "**Next 09:30**":
		now := ta.clockNow().In(shanghai)
		day := now
		if now.Hour()*60+now.Minute() >= 9*60+30 {
			day = now.AddDate(0, 0, 1)
		}
		ta.call("POST", "/playground/api/clock", map[string]string{"set": day.Format("2006-01-02") + "T09:30:00", "as": r.me}, nil)
		cards := ta.timedCards("dm:bob", "checkin")
		if len(cards) == 0 || cards[len(cards)-1].wall() != day.Format("2006-01-02")+" 09:30" {
			t.Fatalf("step %d: after Next 09:30 bob has no check-in card for %s (cards at %v)", step, day.Format("2006-01-02"), walls(cards))
		}
		if refs := cards[len(cards)-1].Card.Refs; !strings.Contains(strings.Join(inputNames(cards[len(cards)-1]), " "), "T2") {
			t.Errorf("step %d: bob's check-in card does not ask about T2: %v %v", step, refs, inputNames(cards[len(cards)-1]))
		}
		r.checkin = len(cards)
	case ev == "press `+1h` twice":
		for range 2 {
			ta.call("POST", "/playground/api/clock", map[string]string{"advance": "1h"}, nil)
		}
		if n := len(ta.cards("dm:bob", "checkin_reminder")); n != 1 {
			t.Errorf("step %d: bob has %d reminders after +1h twice, want 1", step, n)
		}
	case ev == "At 17:30":
		r.setToday(17, 30)
		if n := len(ta.cards("alpha", "daily_digest")); n != 1 {
			t.Errorf("step %d: the group has %d daily digests at 17:30, want 1", step, n)
		}
	case strings.HasPrefix(ev, "move the clock past 18:00"):
		r.walkWorkingDays(step)
	case ev == "On Friday at 16:00":
		r.setWeekday(time.Friday, 16, 0)
		for _, p := range []string{"alice", "bob"} {
			if len(ta.cards("dm:"+p, "review_prompt")) == 0 {
				t.Errorf("step %d: %s has no weekly review card on Friday 16:00", step, p)
			}
		}
	case ev == "on Monday at 09:00":
		r.setWeekday(time.Monday, 9, 0)
		for _, chat := range []string{"dm:alice", "alpha"} {
			if len(ta.cards(chat, "review_summary")) == 0 {
				t.Errorf("step %d: %s has no weekly summary on Monday 09:00", step, chat)
			}
		}
	default:
		t.Fatalf("step %d: the test does not know how to do %q", step, ev)
	}
}

// setToday moves the clock to a Shanghai time of today.
func (r *tourRun) setToday(hh, mm int) {
	now := r.ta.clockNow().In(shanghai)
	r.ta.setClock(time.Date(now.Year(), now.Month(), now.Day(), hh, mm, 0, 0, shanghai))
}

// setWeekday moves the clock to the next weekday (today included, if the
// time is still ahead) at hh:mm Shanghai time.
func (r *tourRun) setWeekday(w time.Weekday, hh, mm int) {
	now := r.ta.clockNow().In(shanghai)
	for d := 0; d < 8; d++ {
		at := time.Date(now.Year(), now.Month(), now.Day()+d, hh, mm, 0, 0, shanghai)
		if at.Weekday() == w && at.After(now) {
			r.ta.setClock(at)
			return
		}
	}
}

// walkWorkingDays moves the clock an hour at a time through the next three
// working days and checks the ladder of the task due today (T3): blue to
// bob, yellow to alice a working day later, red in the group after two.
func (r *tourRun) walkWorkingDays(step int) {
	t, ta := r.t, r.ta
	start := ta.clockNow()
	for at := start.Add(time.Hour); at.Before(start.Add(3*24*time.Hour + time.Hour)); at = at.Add(time.Hour) {
		ta.setClock(at)
	}
	has := func(chat, kind, color string) bool {
		for _, c := range ta.cards(chat, kind) {
			if c.Card.Color == color && strings.Contains(c.Card.Refs["task"]+c.Card.Refs["tasks"]+c.Card.Text, "T3") {
				return true
			}
		}
		return false
	}
	if !has("dm:bob", "escalation", "blue") {
		t.Errorf("step %d: bob got no blue warning about T3", step)
	}
	if !has("dm:alice", "escalation", "yellow") {
		t.Errorf("step %d: alice got no yellow warning about T3", step)
	}
	if !has("alpha", "group_warning", "red") {
		t.Errorf("step %d: the group got no red warning about T3", step)
	}
}

// checkEnd checks that the tour did what it promised overall.
func (r *tourRun) checkEnd() {
	if r.checkin == 0 {
		r.t.Error("the tour never pressed Next 09:30")
	}
	if len(r.ta.cards("dm:alice", "acceptance")) == 0 {
		r.t.Error("alice never got the acceptance card of step 4")
	}
}

// inputNames returns the names of a card's inputs.
func inputNames(m chatMessage) []string {
	var out []string
	for _, in := range m.Card.Inputs {
		out = append(out, in.Name)
	}
	return out
}
