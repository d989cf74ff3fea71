package main

import (
	"context"
	"strings"
	"testing"

	"github.com/loopbot/loopbot/bot"
)

// TestRestart stops the service mid-way and starts it again on the same
// file: the state is all there, nothing is sent twice, the cards sent
// before the restart still work, and the fake clock resumes where it stood.
func TestRestart(t *testing.T) {
	first := startApp(t, testConfig, "")
	first.reply("alice", "alpha", "/project new Restart")
	first.reply("alice", "alpha", "/task new 准备材料 @bob due:2026-11-27")
	first.call("POST", "/playground/api/clock", map[string]string{"advance": "3h"}, nil)
	chats := map[string]int{}
	for _, c := range []string{"alpha", "dm:alice", "dm:bob"} {
		chats[c] = len(first.chat(c))
	}
	state := first.state()
	first.stop()

	second := startApp(t, testConfig, first.db)
	if got := second.state(); got != state {
		t.Fatalf("state after restart:\n%s\nbefore:\n%s", got, state)
	}
	for c, n := range chats {
		if got := len(second.chat(c)); got != n {
			t.Errorf("%s has %d messages after the restart, %d before", c, got, n)
		}
	}
	var clock struct{ Now string }
	second.call("GET", "/playground/api/clock", nil, &clock)
	if clock.Now != "2026-11-23T12:00:00+08:00" {
		t.Errorf("clock after restart = %s", clock.Now)
	}
	card := second.lastCard("dm:bob", "task_assigned")
	if ans := second.act("bob", card.ID, "accept", nil); ans.Card == nil || len(ans.Card.Actions) != 0 {
		t.Fatalf("accept after restart = %+v", ans)
	}
	if got := second.reply("alice", "alpha", "/task new 第二个 @carol"); !strings.Contains(got, "T2") {
		t.Fatalf("ids after restart: %q", got)
	}
}

// TestInboundDeduplication delivers the same platform event twice, before
// and after a restart: it is handled once.
func TestInboundDeduplication(t *testing.T) {
	first := startApp(t, testConfig, "")
	ev := bot.Event{ID: "feishu-like:evt-42", Platform: bot.Playground, Kind: bot.EventMessage,
		From: "playground:alice", Chat: bot.Group(bot.Playground, "alpha"), Text: "/project new Once"}
	for range 2 {
		if _, err := first.app.engine.Handle(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := first.app.dispatcher.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	first.stop()
	second := startApp(t, testConfig, first.db)
	if _, err := second.app.engine.Handle(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	if err := second.app.dispatcher.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	var projects struct{ Projects []struct{ ID string } }
	second.call("GET", "/api/v1/projects", nil, &projects)
	if len(projects.Projects) != 1 {
		t.Fatalf("the event made %d projects", len(projects.Projects))
	}
	if n := countText(second.chat("alpha"), "P1"); n != 1 {
		t.Fatalf("%d replies in the group", n)
	}
}
