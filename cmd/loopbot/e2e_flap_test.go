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
	Task       string     `json:"task"`
	Person     string     `json:"person"`
	Rule       string     `json:"rule"`
	ResolvedAt *time.Time `json:"resolved_at"`
}

// escalationsOf returns the escalations of a rule ever opened about a
// subject (a task code, or a person id for missed_checkins), open or not.
func (ta *testApp) escalationsOf(rule, subject string) []apiEsc {
	ta.tb.Helper()
	var out struct{ Escalations []apiEsc }
	ta.call("GET", "/api/v1/escalations", nil, &out)
	var escs []apiEsc
	for _, e := range out.Escalations {
		if e.Rule == rule && (e.Task == subject || e.Task == "" && e.Person == subject) {
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

// flapCount is what a quiet week is compared on: a subject's escalations
// of a rule, and the cards that show them to anyone, group warnings
// included.
type flapCount struct{ escalations, cards int }

func (ta *testApp) flapCount(rule, subject string) flapCount {
	ta.tb.Helper()
	escs := ta.escalationsOf(rule, subject)
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

// flapCase is one rule brought to a warning and resolved: subject is the
// task (or person) it is about.
type flapCase struct{ name, rule, subject string }

// TestNoFlapAfterResolution runs each rule of SPEC §4.3 up to a warning,
// resolves it, and then lets a whole week of five-minute checks run on
// unchanged facts: no rule opens again, and no card is sent, without new
// evidence; new evidence opens a new one (issue 6, item 1). The task rules
// share one app and one week, each on its own task.
func TestNoFlapAfterResolution(t *testing.T) {
	ta := startApp(t, testConfig, "")
	ta.reply("alice", "alpha", "/project new Alpha")
	task := func(title, due string) string {
		ta.reply("alice", "alpha", "/task new "+title+" @bob due:"+due)
		return ta.lastCard("dm:bob", "task_assigned").ID
	}
	accept := func(card string) { ta.act("bob", card, "accept", nil) }
	accept(task("逾期任务", "2026-11-23"))                                // T1: overdue
	accept(task("即将到期", "2026-11-24"))                                // T2: due_soon
	accept(task("阻塞任务", "2026-12-31"))                                // T3: blocked
	t4 := task("待接受一", "2026-12-31")                                  // T4: unaccepted, then accepted
	t5 := task("待接受二", "2026-12-31")                                  // T5: unaccepted, then declined
	ta.reply("alice", "alpha", "/task new 无进展 @carol due:2026-12-31") // T6: stale
	ta.act("carol", ta.lastCard("dm:carol", "task_assigned").ID, "accept", nil)
	cases := []flapCase{
		{"overdue, resolved by an approved extension", "overdue", "T1"},
		{"due_soon, resolved by progress", "due_soon", "T2"},
		{"blocked, resolved by unblocking", "blocked", "T3"},
		{"unaccepted, resolved by accepting", "unaccepted", "T4"},
		{"unaccepted, resolved by declining", "unaccepted", "T5"},
	}

	ta.reply("bob", "dm", "/block T3 等待接口权限")
	ta.at("2026-11-23 15:00") // blocked for 4 working hours since 09:00
	ta.reply("bob", "dm", "/unblock T3")
	ta.at("2026-11-24 09:00")
	for _, c := range ta.cards("dm:bob", "escalation") {
		if c.Card.Refs["task"] == "T1" && len(c.Card.Actions) > 0 {
			ta.act("bob", c.ID, "extend", map[string]string{"due": "2026-12-31", "reason": "scope grew"})
		}
	}
	ta.at("2026-11-24 10:00")
	for _, c := range ta.cards("dm:alice", "escalation") {
		if c.Card.Refs["task"] == "T1" && len(c.Card.Actions) > 0 {
			ta.act("alice", c.ID, "approve", nil)
		}
	}
	ta.reply("bob", "dm", "/progress T2 85")
	accept(t4)
	ta.act("bob", t5, "decline", map[string]string{"reason": "没有时间"})
	// T6: no progress from Monday 09:00 to Thursday 09:00.
	ta.at("2026-11-26 10:00")
	ta.reply("carol", "dm", "/progress T6 10")

	before := map[flapCase]flapCount{}
	for _, c := range cases {
		escs := ta.escalationsOf(c.rule, c.subject)
		before[c] = ta.flapCount(c.rule, c.subject)
		if len(escs) != 1 || openOf(escs) != 0 || before[c].cards == 0 {
			t.Fatalf("%s: before the week %+v, %d cards; want 1 resolved with a card", c.name, escs, before[c].cards)
		}
	}
	stale := ta.flapCount("stale", "T6")
	if escs := ta.escalationsOf("stale", "T6"); len(escs) != 1 || openOf(escs) != 0 || stale.cards == 0 {
		t.Fatalf("stale before the week: %+v, %d cards", escs, stale.cards)
	}
	ta.at("2026-12-01 09:55") // Fri, Mon and Tue until 09:55: not yet three working days
	if now := ta.flapCount("stale", "T6"); now != stale {
		t.Errorf("stale before three more working days without progress: %+v, then %+v", stale, now)
	}
	ta.week("2026-12-01 09:55")
	for _, c := range cases {
		if after := ta.flapCount(c.rule, c.subject); after != before[c] {
			t.Errorf("%s: a week on unchanged facts went from %+v to %+v (escalations, cards)", c.name, before[c], after)
		}
	}
	// Three more working days without progress are new evidence.
	if escs := ta.escalationsOf("stale", "T6"); len(escs) != 2 {
		t.Errorf("stale after three more working days without progress: %+v, want 2", escs)
	}
}

// TestNoFlapMissedCheckins is the example: Bob, Carol and Dave
// miss Monday's and Tuesday's check-ins; on Wednesday their only task is
// done, cancelled or reassigned. Each gets one warning, resolved once; a
// week passes without a card; then a new task whose check-in they miss
// opens a new one.
func TestNoFlapMissedCheckins(t *testing.T) {
	ta := startApp(t, testConfig, "")
	ta.reply("alice", "alpha", "/project new Alpha")
	people := []string{"bob", "carol", "dave"}
	ends := []string{"/done T1", "/cancel T2 不做了", "/reassign T3 @alice"}
	for _, who := range people {
		ta.reply("alice", "alpha", "/task new 接口文档 @"+who+" due:2026-12-31")
		ta.act(who, ta.lastCard("dm:"+who, "task_assigned").ID, "accept", nil)
	}
	ta.at("2026-11-25 09:00")
	for _, who := range people {
		if n := ta.warnings("dm:"+who, "missed_checkins"); n != 1 {
			t.Fatalf("Wednesday 09:00: %s has %d missed check-in warnings, want 1", who, n)
		}
	}
	ta.at("2026-11-25 10:00")
	for _, end := range ends {
		ta.reply("alice", "alpha", end)
	}
	ta.at("2026-11-25 10:05") // the next check
	before := map[string]flapCount{}
	for i, who := range people {
		id := "playground:" + who
		if escs := ta.escalationsOf("missed_checkins", id); len(escs) != 1 || openOf(escs) != 0 {
			t.Fatalf("%s after %s: %+v, want 1 resolved", who, ends[i], escs)
		}
		before[who] = ta.flapCount("missed_checkins", id)
	}
	ta.week("2026-11-25 10:05")
	for i, who := range people {
		if after := ta.flapCount("missed_checkins", "playground:"+who); after != before[who] {
			t.Errorf("%s, after %s: a week without a task went from %+v to %+v (escalations, cards)", who, ends[i], before[who], after)
		}
	}

	// New evidence: a new task, whose check-in they also miss.
	for _, who := range people {
		ta.reply("alice", "alpha", "/task new 部署脚本 @"+who+" due:2026-12-31")
		ta.act(who, ta.lastCard("dm:"+who, "task_assigned").ID, "accept", nil)
	}
	ta.at("2026-12-03 18:00") // Thursday's card, before its cut-off
	for _, who := range people {
		if n := ta.warnings("dm:"+who, "missed_checkins"); n != 1 {
			t.Errorf("a new task alone brought %s %d new missed check-in warnings", who, n-1)
		}
	}
	ta.at("2026-12-04 09:00")
	for _, who := range people {
		if n := ta.warnings("dm:"+who, "missed_checkins"); n != 2 {
			t.Errorf("%s, after a new missed check-in with an open task: %d warnings, want 2", who, n)
		}
	}
}

// TestMissedCheckinsEndWithTheProject: Bob misses Monday's and Tuesday's
// check-ins; on Wednesday his only task's project is closed. He has no work
// left, so the next check resolves his warning: the project's closing has
// its tasks' assignees looked at again (they are not looked at every
// check while their warning is open).
func TestMissedCheckinsEndWithTheProject(t *testing.T) {
	ta := startApp(t, testConfig, "")
	ta.reply("alice", "alpha", "/project new Alpha")
	ta.reply("alice", "alpha", "/task new 接口文档 @bob due:2026-12-31")
	ta.act("bob", ta.lastCard("dm:bob", "task_assigned").ID, "accept", nil)
	ta.at("2026-11-25 09:00")
	if n := ta.warnings("dm:bob", "missed_checkins"); n != 1 {
		t.Fatalf("Wednesday 09:00: bob has %d missed check-in warnings, want 1", n)
	}
	ta.at("2026-11-25 10:00")
	ta.reply("alice", "alpha", "/project close P1")
	ta.at("2026-11-25 10:05") // the next check
	if escs := ta.escalationsOf("missed_checkins", "playground:bob"); len(escs) != 1 || openOf(escs) != 0 {
		t.Fatalf("bob after his project closed: %+v, want 1 resolved", escs)
	}
}
