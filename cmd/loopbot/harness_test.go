package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// testConfig is the playground of the end-to-end tests: alice is an admin,
// bob a manager, carol and dave members; the fake clock starts on Monday
// 2026-11-23 at 09:00 in Shanghai.
const testConfig = `
[server]
listen = "127.0.0.1:0"
admin_token = "test-token"
[store]
path = "%DB%"
[playground]
enabled = true
fake_clock = true
fake_clock_start = "2026-11-23T09:00:00+08:00"
[[playground.people]]
id = "alice"
name = "Alice"
roles = ["admin"]
[[playground.people]]
id = "bob"
name = "Bob"
roles = ["manager"]
manager = "alice"
[[playground.people]]
id = "carol"
name = "Carol"
manager = "alice"
[[playground.people]]
id = "dave"
name = "Dave"
manager = "bob"
[[playground.groups]]
id = "alpha"
name = "Alpha 项目群"
members = ["alice", "bob", "carol", "dave"]
`

// testApp is a running loopbot and a client of its playground and admin API.
type testApp struct {
	tb   testing.TB
	app  *App
	base string
	db   string
	// typed are texts the test types that look like markup; see
	// checkMarkdown.
	typed []string
}

// startApp runs the real App on 127.0.0.1:0 over the database file db
// (created in a temp dir when empty), with the given config text.
func startApp(tb testing.TB, configText, db string) *testApp {
	tb.Helper()
	if db == "" {
		db = filepath.Join(tb.TempDir(), "loopbot.db")
	}
	path := filepath.Join(tb.TempDir(), "config.toml")
	writeFile(tb, path, strings.ReplaceAll(configText, "%DB%", filepath.ToSlash(db)))
	cfg, err := LoadConfig(path, nil)
	if err != nil {
		tb.Fatalf("config: %v", err)
	}
	app, err := NewApp(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		tb.Fatalf("new app: %v", err)
	}
	addr, err := app.Start(context.Background())
	if err != nil {
		tb.Fatalf("start: %v", err)
	}
	ta := &testApp{tb: tb, app: app, base: "http://" + addr, db: db}
	tb.Cleanup(ta.stop)
	// The start's catch-up may have queued messages, which the outbox
	// delivers in the background; a test reads the chats as they are once
	// that is done, as it does after each step it takes.
	if err := app.dispatcher.Drain(context.Background()); err != nil {
		tb.Fatalf("delivering what the start queued: %v", err)
	}
	return ta
}

func (ta *testApp) stop() {
	if ta.app != nil {
		if err := ta.app.Close(); err != nil {
			ta.tb.Errorf("close: %v", err)
		}
		ta.app = nil
	}
}

// call sends a JSON request and decodes the JSON answer into out.
func (ta *testApp) call(method, path string, body, out any) int {
	ta.tb.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, ta.base+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if strings.HasPrefix(path, "/api/") {
		req.Header.Set("Authorization", "Bearer test-token")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ta.tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			ta.tb.Fatalf("%s %s: answer %q: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode
}

type chatMessage struct {
	ID   string    `json:"id"`
	From string    `json:"from"`
	Time time.Time `json:"time"`
	Text string    `json:"text"`
	Card *bot.Card `json:"card"`
}

// say posts a message as a person in a chat ("dm" or a group id) and
// returns the bot's answers to it in that chat.
func (ta *testApp) say(from, chat, text string) []chatMessage {
	ta.tb.Helper()
	view := chat
	if chat == "dm" {
		view = "dm:" + from
	}
	before := len(ta.chat(view))
	var out struct {
		MessageID string `json:"message_id"`
	}
	if code := ta.call("POST", "/playground/api/messages", map[string]string{"from": from, "chat": chat, "text": text}, &out); code != 200 || out.MessageID == "" {
		ta.tb.Fatalf("say %q: status %d", text, code)
	}
	all := ta.chat(view)
	return all[before+1:]
}

// reply posts a command and returns the bot's one text answer.
func (ta *testApp) reply(from, chat, text string) string {
	ta.tb.Helper()
	answers := ta.say(from, chat, text)
	for _, m := range answers {
		if m.From == "bot" && m.Text != "" {
			return m.Text
		}
	}
	ta.tb.Fatalf("%s: no text answer to %q (got %d messages)", from, text, len(answers))
	return ""
}

func (ta *testApp) chat(chat string) []chatMessage {
	ta.tb.Helper()
	var out struct {
		Messages []chatMessage `json:"messages"`
	}
	if code := ta.call("GET", "/playground/api/chats/"+chat, nil, &out); code != 200 {
		ta.tb.Fatalf("chat %s: status %d", chat, code)
	}
	for _, m := range out.Messages {
		if m.From != "bot" {
			continue
		}
		ta.checkMarkdown(m.Text)
		if m.Card != nil {
			ta.checkMarkdown(m.Card.Text)
		}
	}
	return out.Messages
}

// checkMarkdown asserts that a text the bot sent is card markdown that
// shows no markup characters: once parsed, no "**" or "~~" is left in its
// literal text, except inside what the test typed (ta.typed).
func (ta *testApp) checkMarkdown(text string) {
	ta.tb.Helper()
	for _, b := range bot.ParseMarkdown(text) {
		var line strings.Builder
		for _, in := range b.Inlines {
			line.WriteString(in.Text)
		}
		rest := line.String()
		for _, u := range ta.typed {
			rest = strings.ReplaceAll(rest, u, "")
		}
		if strings.Contains(rest, "**") || strings.Contains(rest, "~~") {
			ta.tb.Errorf("the bot's text shows literal markup in %q:\n%s", line.String(), text)
		}
	}
}

// lastCard returns the newest card of a kind in a chat.
func (ta *testApp) lastCard(chat, kind string) chatMessage {
	ta.tb.Helper()
	msgs := ta.chat(chat)
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Card != nil && msgs[i].Card.Kind == kind {
			return msgs[i]
		}
	}
	ta.tb.Fatalf("no %s card in %s", kind, chat)
	return chatMessage{}
}

type actionAnswer struct {
	Toast string    `json:"toast"`
	Card  *bot.Card `json:"card"`
}

func (ta *testApp) act(as, messageID, action string, form map[string]string) actionAnswer {
	ta.tb.Helper()
	var out actionAnswer
	body := map[string]any{"as": as, "message_id": messageID, "action": action, "form": form}
	if code := ta.call("POST", "/playground/api/actions", body, &out); code != 200 {
		ta.tb.Fatalf("action %s on %s: status %d", action, messageID, code)
	}
	return out
}

type apiTask struct {
	ID          string `json:"id"`
	Project     string `json:"project"`
	Title       string `json:"title"`
	Assignee    string `json:"assignee"`
	Assigner    string `json:"assigner"`
	Status      string `json:"status"`
	Progress    int    `json:"progress"`
	Priority    string `json:"priority"`
	Due         string `json:"due"`
	BaselineDue string `json:"baseline_due"`
}

func (ta *testApp) task(id string) apiTask {
	ta.tb.Helper()
	var t apiTask
	if code := ta.call("GET", "/api/v1/tasks/"+id, nil, &t); code != 200 {
		ta.tb.Fatalf("task %s: status %d", id, code)
	}
	return t
}

// state returns the admin API's view of every project and task, to check
// that something changed nothing.
func (ta *testApp) state() string {
	ta.tb.Helper()
	var p, t json.RawMessage
	ta.call("GET", "/api/v1/projects", nil, &p)
	ta.call("GET", "/api/v1/tasks", nil, &t)
	return string(p) + string(t)
}

func actionNames(c *bot.Card) []string {
	var names []string
	for _, a := range c.Actions {
		names = append(names, a.Name)
	}
	return names
}

// at moves the fake clock to a Shanghai wall time "2026-11-23 09:30" and
// waits until the work due on the way has run.
func (ta *testApp) at(wall string) {
	ta.tb.Helper()
	t, err := time.ParseInLocation("2006-01-02 15:04", wall, shanghai)
	if err != nil {
		ta.tb.Fatal(err)
	}
	ta.setClock(t)
}

// setClock moves the fake clock to an instant in any zone and waits until
// the work due on the way has run.
func (ta *testApp) setClock(t time.Time) {
	ta.tb.Helper()
	var out map[string]any
	if code := ta.call("POST", "/playground/api/clock", map[string]string{"set": t.Format(time.RFC3339)}, &out); code != 200 {
		ta.tb.Fatalf("clock to %s: status %d %v", t.Format(time.RFC3339), code, out)
	}
}

var shanghai = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// cards returns the cards of a kind in a chat, oldest first.
func (ta *testApp) cards(chat, kind string) []chatMessage {
	ta.tb.Helper()
	var out []chatMessage
	for _, m := range ta.chat(chat) {
		if m.Card != nil && m.Card.Kind == kind {
			out = append(out, m)
		}
	}
	return out
}

// card returns one message of a chat by id.
func (ta *testApp) card(chat, id string) chatMessage {
	ta.tb.Helper()
	for _, m := range ta.chat(chat) {
		if m.ID == id {
			return m
		}
	}
	ta.tb.Fatalf("no message %s in %s", id, chat)
	return chatMessage{}
}

// checkin answers the newest check-in card of a person.
func (ta *testApp) checkin(person, action string, form map[string]string) actionAnswer {
	ta.tb.Helper()
	c := ta.lastCard("dm:"+person, "checkin")
	ans := ta.act(person, c.ID, action, form)
	if ans.Card == nil || len(ans.Card.Actions) != 0 {
		ta.tb.Fatalf("%s %s: %+v", person, action, ans)
	}
	return ans
}
