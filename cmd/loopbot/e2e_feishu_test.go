package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loopbot/loopbot/internal/feishufake"
)

// feishuConfig runs loopbot with Feishu, at a fake Feishu, beside the
// playground and its fake clock (which moves time in the tests). alice is
// an admin by her Feishu id.
const feishuConfig = `
[server]
listen = "%LISTEN%"
admin_token = "test-token"
secret = "e2e-feishu-secret-0123456789"
admins = ["feishu:ou_alice"]
[store]
path = "%DB%"
[feishu]
enabled = true
mode = "%MODE%"
app_id = "%APPID%"
app_secret = "app-secret-e2e"
base_url = "%BASE%"
encrypt_key = "encrypt-key-e2e"
verification_token = "verify-token-e2e"
[playground]
enabled = true
fake_clock = true
fake_clock_start = "2026-11-23T09:00:00+08:00"
`

// feishuWorld is a running loopbot and the fake Feishu it talks to.
type feishuWorld struct {
	t    *testing.T
	mode string
	fake *feishufake.Server
	ta   *testApp
	ctx  context.Context
	// conns counts the long connections the service has opened.
	conns int
}

func newFeishuWorld(t *testing.T, mode string) *feishuWorld {
	t.Helper()
	fake := feishufake.Start(t, &feishufake.Server{AppID: "cli_e2e_" + mode, AppSecret: "app-secret-e2e", BotOpenID: "ou_bot",
		EncryptKey: "encrypt-key-e2e", VerificationToken: "verify-token-e2e",
		Users: map[string]string{"ou_alice": "王丽 Alice"}})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	w := &feishuWorld{t: t, mode: mode, fake: fake, ctx: ctx}
	w.start("")
	return w
}

func (w *feishuWorld) config() string {
	return strings.NewReplacer("%LISTEN%", "127.0.0.1:0", "%MODE%", w.mode, "%APPID%", w.fake.AppID, "%BASE%", w.fake.URL()).Replace(feishuConfig)
}

// start runs the service (again) on db, and waits for its long connection.
func (w *feishuWorld) start(db string) {
	w.t.Helper()
	w.ta = startApp(w.t, w.config(), db)
	if w.mode == "websocket" {
		w.conns++
		if err := w.fake.WaitConnections(w.ctx, w.conns); err != nil {
			w.t.Fatal(err)
		}
	}
}

func (w *feishuWorld) restart() {
	w.t.Helper()
	db := w.ta.db
	w.ta.stop()
	w.start(db)
}

// deliver sends an event the way the mode receives it (a frame on the long
// connection, or a signed, encrypted callback) and returns Feishu's view of
// the answer. It then lets the outbox deliver what the event queued.
func (w *feishuWorld) deliver(event []byte) map[string]any {
	w.t.Helper()
	var raw []byte
	if w.mode == "websocket" {
		resp, err := w.fake.Push(w.ctx, event, 0)
		if err != nil || resp.StatusCode != 200 {
			w.t.Fatalf("push: %+v %v", resp, err)
		}
		raw = resp.Data
	} else {
		code, body, err := feishufake.Post(w.ctx, w.ta.base+"/callback/feishu", w.fake.Seal(event, time.Now()))
		if err != nil || code != 200 {
			w.t.Fatalf("callback: %d %s %v", code, body, err)
		}
		raw = body
	}
	if err := w.ta.app.dispatcher.Drain(w.ctx); err != nil {
		w.t.Fatalf("drain: %v", err)
	}
	var ans map[string]any
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &ans)
	}
	return ans
}

var eventSeq int

// say is a text message from a person: in a group it mentions the bot
// first, and @name mentions in the text become Feishu's @_user_N
// placeholders.
func (w *feishuWorld) say(from, chat, text string, people ...feishufake.Mention) map[string]any {
	w.t.Helper()
	eventSeq++
	chatType, mentions := "p2p", []feishufake.Mention{}
	if strings.HasPrefix(chat, "oc_") && !strings.HasPrefix(chat, "oc_dm") {
		chatType = "group"
		text = "@_user_1 " + text
		mentions = append(mentions, feishufake.Mention{Key: "@_user_1", OpenID: "ou_bot", Name: "loopbot"})
	}
	for i, p := range people {
		key := fmt.Sprintf("@_user_%d", len(mentions)+1)
		text = strings.Replace(text, "@"+p.Name, key, 1)
		mentions = append(mentions, feishufake.Mention{Key: key, OpenID: p.OpenID, Name: p.Name})
		_ = i
	}
	return w.deliver(w.fake.MessageEvent(fmt.Sprintf("ev-%d", eventSeq), fmt.Sprintf("om_in_%d", eventSeq), chatType, chat, from, text, mentions...))
}

// click presses a button of a sent card, as the card.action.trigger callback.
func (w *feishuWorld) click(who string, m feishufake.Message, action string, form map[string]any) map[string]any {
	w.t.Helper()
	value := buttonValue(m.Card, action)
	if value == nil {
		w.t.Fatalf("no %s button on %s", action, m.ID)
	}
	eventSeq++
	chat := ""
	if m.ReceiveIDType == "chat_id" {
		chat = m.ReceiveID
	}
	return w.deliver(w.fake.CardAction(fmt.Sprintf("ev-click-%d", eventSeq), who, m.ID, chat, value, form))
}

// cards returns the cards sent to an open_id or chat_id whose JSON
// contains every string of want, oldest first.
func (w *feishuWorld) cards(to string, want ...string) []feishufake.Message {
	var out []feishufake.Message
	for _, m := range w.fake.Messages() {
		b, _ := json.Marshal(m.Card)
		ok := m.ReceiveID == to
		for _, s := range want {
			ok = ok && strings.Contains(string(b), s)
		}
		if ok {
			out = append(out, m)
		}
	}
	return out
}

func (w *feishuWorld) last(to string, want ...string) feishufake.Message {
	w.t.Helper()
	cs := w.cards(to, want...)
	if len(cs) == 0 {
		w.t.Fatalf("no card to %s with %q", to, want)
	}
	return cs[len(cs)-1]
}

// buttonValue finds the callback value of a card's button for an action.
func buttonValue(card map[string]any, action string) map[string]any {
	var found map[string]any
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if v["tag"] == "button" {
				if bs, ok := v["behaviors"].([]any); ok && len(bs) > 0 {
					if val, ok := bs[0].(map[string]any)["value"].(map[string]any); ok && val["action"] == action {
						found = val
					}
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(card)
	return found
}

func hasButtons(card any) bool {
	b, _ := json.Marshal(card)
	return strings.Contains(string(b), `"tag":"button"`)
}

func template(card map[string]any) string {
	h, _ := card["header"].(map[string]any)
	s, _ := h["template"].(string)
	return s
}

func (w *feishuWorld) tasks() []apiTask {
	w.t.Helper()
	var out struct {
		Tasks []apiTask `json:"tasks"`
	}
	w.ta.call("GET", "/api/v1/tasks", nil, &out)
	return out.Tasks
}

var bob = feishufake.Mention{OpenID: "ou_bob", Name: "李博"}

func TestFeishuLongConnection(t *testing.T) { feishuStory(t, "websocket") }

func TestFeishuWebhook(t *testing.T) { feishuStory(t, "webhook") }

// feishuStory plays the loop over Feishu: the bot joins a group, a project
// is made there, a task is assigned with a real mention, accepted on the
// card, checked in on a form, and escalated blue, yellow, then red in the
// group; events come twice (and once more after a restart), and a rate
// limit is waited out.
func feishuStory(t *testing.T, mode string) {
	w := newFeishuWorld(t, mode)

	// The bot is added to a group: it says how to bind it.
	w.deliver(w.fake.BotAdded("ev-added", "oc_alpha", "ou_alice"))
	w.last("oc_alpha", "loopbot", "/项目 新建")

	// A group the bot is no longer in: the welcome is dead-lettered with
	// Feishu's code and a reason, not retried for ever.
	w.fake.RefuseChat("oc_gone", 230002)
	w.deliver(w.fake.BotAdded("ev-added-gone", "oc_gone", "ou_alice"))
	var dead struct {
		Dead []struct {
			Target    string `json:"target"`
			LastError string `json:"last_error"`
		} `json:"dead"`
	}
	w.ta.call("GET", "/api/v1/outbox/dead", nil, &dead)
	if len(dead.Dead) != 1 || !strings.Contains(dead.Dead[0].Target, "oc_gone") ||
		!strings.Contains(dead.Dead[0].LastError, "230002") || !strings.Contains(dead.Dead[0].LastError, "not in this group chat") {
		t.Fatalf("dead letters %+v", dead.Dead)
	}

	w.say("ou_alice", "oc_alpha", "/project new Alpha")
	var pl struct {
		Projects []struct {
			ID     string   `json:"id"`
			Groups []string `json:"groups"`
		} `json:"projects"`
	}
	w.ta.call("GET", "/api/v1/projects", nil, &pl)
	projects := pl.Projects
	if len(projects) != 1 || len(projects[0].Groups) != 1 || !strings.Contains(projects[0].Groups[0], "oc_alpha") {
		t.Fatalf("projects %+v, want P1 bound to oc_alpha", projects)
	}

	// An assignment with a real mention: the card goes to bob's open_id,
	// with a uuid, and shows the name Feishu gave.
	taskEvent := w.fake.MessageEvent("ev-task", "om_task", "group", "oc_alpha", "ou_alice", "@_user_1 /task new 接口设计 @_user_2 due:today",
		feishufake.Mention{Key: "@_user_1", OpenID: "ou_bot", Name: "loopbot"}, feishufake.Mention{Key: "@_user_2", OpenID: "ou_bob", Name: "李博"})
	w.deliver(taskEvent)
	assign := w.last("ou_bob", "接口设计")
	if assign.ReceiveIDType != "open_id" || assign.UUID == "" || !strings.Contains(fmt.Sprint(assign.Card), "李博") {
		t.Fatalf("assignment card %+v", assign)
	}
	// The same event again, and the same message under another event id:
	// one task.
	w.deliver(taskEvent)
	w.deliver(w.fake.MessageEvent("ev-task-again", "om_task", "group", "oc_alpha", "ou_alice", "@_user_1 /task new 接口设计 @_user_2 due:today",
		feishufake.Mention{Key: "@_user_1", OpenID: "ou_bot", Name: "loopbot"}, feishufake.Mention{Key: "@_user_2", OpenID: "ou_bob", Name: "李博"}))
	if ts := w.tasks(); len(ts) != 1 || ts[0].Assignee != "feishu:ou_bob" {
		t.Fatalf("tasks %+v, want one for feishu:ou_bob", ts)
	}
	// And once more after a restart (Feishu retries for hours).
	w.restart()
	w.deliver(taskEvent)
	if ts := w.tasks(); len(ts) != 1 {
		t.Fatalf("%d tasks after the event came again after a restart", len(ts))
	}

	// Accept: the answer carries the updated card; a second click a toast.
	ans := w.click("ou_bob", assign, "accept", nil)
	card, _ := ans["card"].(map[string]any)
	data, _ := card["data"].(map[string]any)
	if card["type"] != "raw" || data["schema"] != "2.0" || hasButtons(data) {
		t.Fatalf("accept answer %v", ans)
	}
	if st := w.tasks()[0].Status; st != "accepted" {
		t.Fatalf("status %s after accept", st)
	}
	// Everyone else who sees the card gets the update too: a PATCH of the
	// message it was sent as.
	patched := false
	for _, p := range w.fake.Patches() {
		patched = patched || p.MessageID == assign.ID && !hasButtons(p.Card)
	}
	if !patched {
		t.Errorf("the assignment card was not updated in place (PATCH): %+v", w.fake.Patches())
	}
	again := w.click("ou_bob", assign, "accept", nil)
	if toast, _ := again["toast"].(map[string]any); toast == nil || toast["content"] == "" {
		t.Errorf("second click: %v, want a toast", again)
	}

	// A rate limit is waited out: the reply arrives once.
	w.fake.RateLimit(1, "1")
	before := len(w.cards("ou_alice"))
	w.say("ou_alice", "oc_dm_alice", "/help")
	deadline := time.Now().Add(30 * time.Second)
	for len(w.cards("ou_alice")) == before && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := len(w.cards("ou_alice")) - before; got != 1 || w.fake.RateLimited() != 1 {
		t.Fatalf("after a 429: %d replies, %d refused sends", got, w.fake.RateLimited())
	}

	// The morning check-in, submitted as a form.
	w.ta.at("2026-11-24 09:31")
	checkin := w.last("ou_bob", "progress.T1", "form_main")
	ans = w.click("ou_bob", checkin, "submit", map[string]any{"progress.T1": "40", "status.T1": "on_track", "hours.T1": "3", "note.T1": "联调中"})
	if card, _ := ans["card"].(map[string]any); card == nil || hasButtons(card) {
		t.Fatalf("check-in answer %v", ans)
	}
	var cl struct {
		Checkins []struct {
			Answers []struct {
				Progress int `json:"progress"`
			} `json:"answers"`
		} `json:"checkins"`
	}
	w.ta.call("GET", "/api/v1/checkins?person="+url.QueryEscape("feishu:ou_bob"), nil, &cl)
	checkins := cl.Checkins
	if len(checkins) != 1 || len(checkins[0].Answers) != 1 || checkins[0].Answers[0].Progress != 40 {
		t.Fatalf("check-ins %+v", checkins)
	}

	// The overdue task climbs the ladder: blue to bob, yellow to alice,
	// then red in the group's chat.
	w.ta.at("2026-11-26 10:00")
	order := map[string]int{}
	for i, m := range w.fake.Messages() {
		switch {
		case m.ReceiveID == "ou_bob" && template(m.Card) == "blue" && strings.Contains(fmt.Sprint(m.Card), "督办"):
			order["blue"] = i + 1
		case m.ReceiveID == "ou_alice" && template(m.Card) == "yellow":
			order["yellow"] = i + 1
		case m.ReceiveID == "oc_alpha" && template(m.Card) == "red":
			order["red"] = i + 1
		}
	}
	if order["blue"] == 0 || order["yellow"] <= order["blue"] || order["red"] <= order["yellow"] {
		t.Fatalf("warnings in order blue, yellow, red: %v", order)
	}
	if red := w.last("oc_alpha", "接口设计"); red.ReceiveIDType != "chat_id" || template(red.Card) != "red" {
		t.Errorf("group warning %+v", red)
	}

}

// TestFeishuDoctor: loopbot doctor passes against the fake Feishu, and with a
// wrong secret fails naming the secret (without printing it).
func TestFeishuDoctor(t *testing.T) {
	fake := feishufake.Start(t, &feishufake.Server{AppID: "cli_e2e_doctor", AppSecret: "app-secret-e2e", BotOpenID: "ou_bot", BotName: "loopbot 项目助手"})
	run := func(secret string) (string, error) {
		dir := t.TempDir()
		text := strings.NewReplacer("%LISTEN%", "127.0.0.1:0", "%MODE%", "websocket", "%APPID%", fake.AppID, "%BASE%", fake.URL(),
			"%DB%", filepath.ToSlash(filepath.Join(dir, "loopbot.db")), `app_secret = "app-secret-e2e"`, `app_secret = "`+secret+`"`).Replace(feishuConfig)
		path := filepath.Join(dir, "config.toml")
		writeFile(t, path, text)
		var out, errOut strings.Builder
		err := Run(context.Background(), []string{"doctor", "-config", path}, nil, &out, &errOut)
		return out.String(), err
	}
	out, err := run("app-secret-e2e")
	if err != nil || strings.Contains(out, "FAIL") || !strings.Contains(out, `ok   feishu: got a tenant token and the bot "loopbot 项目助手"`) {
		t.Fatalf("doctor against the fake: %v\n%s", err, out)
	}
	out, err = run("wrong-secret-xyz")
	if err == nil || !strings.Contains(out, "FAIL feishu") || !strings.Contains(out, "feishu.app_secret is wrong") {
		t.Fatalf("doctor with a wrong secret: %v\n%s", err, out)
	}
	if strings.Contains(out, "wrong-secret-xyz") {
		t.Errorf("doctor printed the secret:\n%s", out)
	}
	if _, err := checkFeishuCallback(""); err == nil || !strings.Contains(err.Error(), "server.public_url") {
		t.Errorf("webhook mode without public_url: %v", err)
	}
	if note, err := checkFeishuCallback("https://bot.example.com/"); err != nil || !strings.Contains(note, "https://bot.example.com/callback/feishu") {
		t.Errorf("webhook callback note: %q %v", note, err)
	}
}
