package main

import (
	"strings"
	"testing"
	"time"
)

// ruleTitles are the words each rule's warning cards carry in their
// titles, in Chinese (the playground's people have no language set).
var ruleTitles = map[string]string{
	"overdue": "逾期", "due_soon": "即将到期", "blocked": "阻塞", "stale": "无进展",
	"unaccepted": "未接受", "missed_checkins": "未打卡",
}

// warnings counts the warning cards of a rule that a chat received.
func (ta *testApp) warnings(chat, rule string) int {
	ta.tb.Helper()
	n := 0
	for _, c := range ta.cards(chat, "escalation") {
		if strings.Contains(c.Card.Title, " · "+ruleTitles[rule]+" · ") {
			n++
		}
	}
	return n
}

type apiEsc struct {
	ID         string     `json:"id"`
	Person     string     `json:"person"`
	Rule       string     `json:"rule"`
	ResolvedAt *time.Time `json:"resolved_at"`
}

// escalationsOf returns Bob's escalations of a rule ever opened, open or
// not.
func (ta *testApp) escalationsOf(rule string) []apiEsc {
	ta.tb.Helper()
	var out struct{ Escalations []apiEsc }
	ta.call("GET", "/api/v1/escalations", nil, &out)
	var escs []apiEsc
	for _, e := range out.Escalations {
		if e.Rule == rule && e.Person == "playground:bob" {
			escs = append(escs, e)
		}
	}
	return escs
}

func openOf(escs []apiEsc) int {
	n := 0
	for _, e := range escs {
		if e.ResolvedAt == nil {
			n++
		}
	}
	return n
}

// flapCount is what a quiet week is compared on: Bob's escalations of a
// rule, and the cards that show them to anyone, group warnings included.
type flapCount struct{ escalations, cards int }

func (ta *testApp) flapCount(rule string) flapCount {
	ta.tb.Helper()
	escs := ta.escalationsOf(rule)
	codes := map[string]bool{}
	for _, e := range escs {
		codes[e.ID] = true
	}
	n := 0
	for _, chat := range []string{"dm:alice", "dm:bob", "dm:carol", "dm:dave"} {
		for _, c := range ta.cards(chat, "escalation") {
			if codes[c.Card.Refs["escalation"]] {
				n++
			}
		}
	}
	for _, c := range ta.cards("alpha", "group_warning") {
		for _, id := range strings.Split(c.Card.Refs["escalations"], ",") {
			if codes["E"+id] {
				n++
				break
			}
		}
	}
	return flapCount{len(escs), n}
}

// week moves the fake clock a week on, a day at a time; every
// check_every slot on the way runs.
func (ta *testApp) week(from string) {
	ta.tb.Helper()
	start, err := time.ParseInLocation("2006-01-02 15:04", from, shanghai)
	if err != nil {
		ta.tb.Fatal(err)
	}
	for d := 1; d <= 7; d++ {
		ta.setClock(start.AddDate(0, 0, d))
	}
}

// TestNoFlapAfterResolution runs each rule of SPEC §4.3 up to a warning,
// resolves it, and then lets a whole week of five-minute checks run on
// unchanged facts: no rule opens again, and no card is sent, without new
// evidence (issue 6, item 1).
func TestNoFlapAfterResolution(t *testing.T) {
	// Each case runs its own app through a week of checks; they run side by
	// side.
	setup := func(t *testing.T, task string) *testApp {
		t.Parallel()
		ta := startApp(t, testConfig, "")
		ta.reply("alice", "alpha", "/project new Alpha")
		ta.reply("alice", "alpha", task)
		return ta
	}
	accept := func(ta *testApp) {
		ta.act("bob", ta.lastCard("dm:bob", "task_assigned").ID, "accept", nil)
	}
	// quiet asserts that the rule opened exactly once and is resolved, then
	// runs a week and asserts that nothing about the rule moved.
	quiet := func(t *testing.T, ta *testApp, rule, from string) {
		t.Helper()
		before := ta.flapCount(rule)
		if escs := ta.escalationsOf(rule); len(escs) != 1 || openOf(escs) != 0 || before.cards == 0 {
			t.Fatalf("%s before the week: %+v, %d cards; want 1 resolved with a card", rule, escs, before.cards)
		}
		ta.week(from)
		if after := ta.flapCount(rule); after != before {
			t.Fatalf("%s: a week on unchanged facts went from %+v to %+v (escalations, cards)", rule, before, after)
		}
	}

	t.Run("overdue, resolved by an approved extension", func(t *testing.T) {
		ta := setup(t, "/task new 接口文档 @bob due:2026-11-23")
		accept(ta)
		ta.at("2026-11-24 09:00")
		blue := ta.lastCard("dm:bob", "escalation")
		ta.act("bob", blue.ID, "extend", map[string]string{"due": "2026-12-31", "reason": "scope grew"})
		ta.at("2026-11-24 09:05")
		yellow := ta.lastCard("dm:alice", "escalation")
		if ans := ta.act("alice", yellow.ID, "approve", nil); ans.Card == nil {
			t.Fatalf("approve = %+v", ans)
		}
		quiet(t, ta, "overdue", "2026-11-24 09:05")
	})

	t.Run("due_soon, resolved by progress", func(t *testing.T) {
		ta := setup(t, "/task new 接口文档 @bob due:2026-11-25")
		accept(ta)
		ta.at("2026-11-25 09:00")
		ta.reply("bob", "dm", "/progress T1 85")
		quiet(t, ta, "due_soon", "2026-11-25 09:00")
	})

	t.Run("blocked, resolved by unblocking", func(t *testing.T) {
		ta := setup(t, "/task new 接口文档 @bob due:2026-12-31")
		accept(ta)
		ta.reply("bob", "dm", "/block T1 等待接口权限")
		ta.at("2026-11-23 15:00")
		ta.reply("bob", "dm", "/unblock T1")
		quiet(t, ta, "blocked", "2026-11-23 15:00")
	})

	t.Run("unaccepted, resolved by accepting", func(t *testing.T) {
		ta := setup(t, "/task new 接口文档 @bob due:2026-12-31")
		ta.at("2026-11-24 10:00")
		accept(ta)
		quiet(t, ta, "unaccepted", "2026-11-24 10:00")
	})

	t.Run("unaccepted, resolved by declining", func(t *testing.T) {
		ta := setup(t, "/task new 接口文档 @bob due:2026-12-31")
		ta.at("2026-11-24 10:00")
		ta.act("bob", ta.lastCard("dm:bob", "task_assigned").ID, "decline", map[string]string{"reason": "没有时间"})
		quiet(t, ta, "unaccepted", "2026-11-24 10:00")
	})

	t.Run("stale, resolved by progress: only three more working days without progress open it again", func(t *testing.T) {
		ta := setup(t, "/task new 接口文档 @bob due:2026-12-31")
		accept(ta)
		ta.at("2026-11-26 10:00") // Thursday: three working days without progress
		ta.reply("bob", "dm", "/progress T1 10")
		before := ta.flapCount("stale")
		if escs := ta.escalationsOf("stale"); len(escs) != 1 || openOf(escs) != 0 || before.cards == 0 {
			t.Fatalf("stale before the week: %+v, %d cards", escs, before.cards)
		}
		ta.at("2026-12-01 09:55") // Fri, Mon and Tue until 09:55: not yet three working days
		if after := ta.flapCount("stale"); after != before {
			t.Fatalf("stale before three more working days: %+v, then %+v", before, after)
		}
		ta.week("2026-12-01 09:55")
		if escs := ta.escalationsOf("stale"); len(escs) != 2 {
			t.Fatalf("stale after three more working days without progress: %+v, want 2", escs)
		}
	})

	for _, end := range []string{"/done T1", "/cancel T1 不做了", "/reassign T1 @carol"} {
		t.Run("missed_checkins, resolved as the last task ends: "+end, func(t *testing.T) {
			ta := setup(t, "/task new 接口文档 @bob due:2026-12-31")
			accept(ta)
			// Bob leaves Monday's and Tuesday's check-ins unanswered.
			ta.at("2026-11-25 09:00")
			if n := ta.warnings("dm:bob", "missed_checkins"); n != 1 {
				t.Fatalf("Wednesday 09:00: %d missed check-in warnings, want 1", n)
			}
			ta.at("2026-11-25 10:00")
			ta.reply("alice", "alpha", end)
			ta.at("2026-11-25 10:05") // the next check
			if openOf(ta.escalationsOf("missed_checkins")) != 0 {
				t.Fatalf("missed_checkins still open after %s", end)
			}
			quiet(t, ta, "missed_checkins", "2026-11-25 10:05")

			// New evidence: a new task, whose check-in Bob also misses.
			ta.reply("alice", "alpha", "/task new 部署脚本 @bob due:2026-12-31")
			accept(ta)
			ta.at("2026-12-03 18:00") // Thursday's card, before its cut-off
			if n := ta.warnings("dm:bob", "missed_checkins"); n != 1 {
				t.Fatalf("a new task alone brought %d missed check-in warnings", n-1)
			}
			ta.at("2026-12-03 18:05")
			ta.at("2026-12-04 09:00")
			if n := ta.warnings("dm:bob", "missed_checkins"); n != 2 {
				t.Fatalf("after a new missed check-in with an open task: %d warnings, want 2", n)
			}
		})
	}
}
