package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/loopbot/loopbot/bot"
)

// TestSignedActions checks that a card action with a forged or tampered
// value, or from someone the card was not sent to, is refused with a toast
// and changes nothing.
func TestSignedActions(t *testing.T) {
	ta := startApp(t, testConfig, "")
	ta.reply("alice", "alpha", "/project new Alpha")
	ta.reply("alice", "alpha", "/task new 接口文档 @bob due:fri")
	var token string
	err := ta.app.store.View(context.Background(), func(tx bot.Tx) error {
		recs, err := tx.CardsByKey("assign/T1")
		if err == nil {
			a, _ := recs[0].Card.Action("accept")
			token = a.Value
		}
		return err
	})
	if err != nil || token == "" {
		t.Fatalf("no signed accept value: %v", err)
	}
	body, sig, _ := strings.Cut(token, ".")
	tests := []struct {
		name, from, token, want string
	}{
		{"forged signature", "bob", body + ".AAAA", "此按钮无效"},
		{"not a token", "bob", "garbage", "此按钮无效"},
		{"value of another action", "bob", token, "此按钮无效"},
		{"tampered claims", "bob", "eyJjIjoxLCJhIjoiYWNjZXB0IiwiciI6IlQxIiwicCI6InBsYXlncm91bmQ6Y2Fyb2wifQ." + sig, "此按钮无效"},
		{"wrong person", "carol", token, "只有 TA 可以操作"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			action := "accept"
			if tc.name == "value of another action" {
				action = "decline"
			}
			before := ta.state()
			resp, err := ta.app.engine.Handle(context.Background(), bot.Event{
				ID: "test:forged:" + string(rune('a'+i)), Platform: bot.Playground, Kind: bot.EventAction,
				From: bot.PersonID("playground:" + tc.from), Chat: bot.DM(bot.PersonID("playground:" + tc.from)),
				Action: &bot.ActionEvent{Name: action, Token: tc.token, Form: map[string]string{"reason": "x"}},
			})
			if err != nil || !strings.Contains(resp.Toast, tc.want) || resp.Card != nil {
				t.Fatalf("answer = %+v, %v; want a toast with %q", resp, err, tc.want)
			}
			if ta.state() != before {
				t.Fatal("a refused action changed the state")
			}
		})
	}
	if st := ta.task("T1").Status; st != "assigned" {
		t.Fatalf("T1 = %s after refused actions", st)
	}
}

// TestAdminAPIAndMetrics checks the admin API's auth, the loop's endpoints
// and the metrics after a warning and a check-in.
func TestAdminAPIAndMetrics(t *testing.T) {
	ta := startApp(t, testConfig, "")
	ta.reply("alice", "alpha", "/project new Alpha")
	ta.reply("alice", "alpha", "/task new 接口文档 @bob due:2026-11-23")
	ta.act("bob", ta.lastCard("dm:bob", "task_assigned").ID, "accept", nil)
	ta.at("2026-11-23 09:30")
	ta.checkin("bob", "submit", map[string]string{"progress.T1": "30", "hours.T1": "2"})
	ta.at("2026-11-24 09:30")

	req, _ := http.NewRequest("GET", ta.base+"/api/v1/tasks", nil)
	req.Header.Set("Authorization", "Bearer wrong")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
		t.Fatalf("wrong token: %v %v", resp.StatusCode, err)
	}
	var escs struct {
		Escalations []struct {
			ID, Task, Rule, Color string
			Level                 int
		}
	}
	ta.call("GET", "/api/v1/escalations?open=true&project=P1", nil, &escs)
	if len(escs.Escalations) != 1 || escs.Escalations[0].Task != "T1" || escs.Escalations[0].Rule != "overdue" || escs.Escalations[0].Color != "blue" {
		t.Fatalf("escalations = %+v", escs)
	}
	var cis struct {
		Checkins []struct {
			Person  string
			Day     string
			Answers []struct{ Task, Progress int }
		}
	}
	ta.call("GET", "/api/v1/checkins?person=playground:bob&from=2026-11-23&to=2026-11-23", nil, &cis)
	if len(cis.Checkins) != 1 || cis.Checkins[0].Day != "2026-11-23" || cis.Checkins[0].Answers[0].Progress != 30 {
		t.Fatalf("checkins = %+v", cis)
	}
	resp, err := http.Get(ta.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`loopbot_escalations_open{color="blue",level="0"} 1`, `loopbot_checkins_asked 1`, `loopbot_messages_out_total{op="send",platform="playground"}`, `loopbot_outbox_depth 0`, `loopbot_store_file_bytes `, `loopbot_store_live_bytes `, `loopbot_store_written_bytes_total `, `loopbot_store_write_seconds_total `} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestUnbuiltPlatformRefused checks that enabling a messenger whose adapter
// is not built yet stops the start with a message naming the key.
func TestUnbuiltPlatformRefused(t *testing.T) {
	cfg := EmbeddedConfig()
	cfg.Store.Path = t.TempDir() + "/loopbot.db"
	cfg.DingTalk.Enabled = true
	_, err := NewApp(context.Background(), cfg, discardLogger())
	if err == nil || !strings.Contains(err.Error(), "dingtalk.enabled") {
		t.Fatalf("NewApp with dingtalk enabled = %v", err)
	}
}
