package playground_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loopbot/loopbot/adapters/playground"
	"github.com/loopbot/loopbot/bot"
)

// memLog is an in-memory bot.ChatLog that de-duplicates by idempotency key,
// as the store does.
type memLog struct {
	mu   sync.Mutex
	msgs []bot.ChatMessage
	idem map[string]uint64
}

func newMemLog() *memLog { return &memLog{idem: map[string]uint64{}} }

func copyCard(c *bot.Card) *bot.Card {
	if c == nil {
		return nil
	}
	out := *c
	return &out
}

func (l *memLog) AppendChat(ctx context.Context, m bot.ChatMessage) (bot.ChatMessage, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if id, ok := l.idem[m.IdemKey]; ok && m.IdemKey != "" {
		return l.msgs[id-1], nil
	}
	m.ID = uint64(len(l.msgs) + 1)
	m.Card = copyCard(m.Card)
	l.msgs = append(l.msgs, m)
	if m.IdemKey != "" {
		l.idem[m.IdemKey] = m.ID
	}
	return m, nil
}

func (l *memLog) UpdateChatCard(ctx context.Context, id uint64, c bot.Card) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if id == 0 || id > uint64(len(l.msgs)) {
		return bot.Errorf(bot.ENOTFOUND, "no message %d", id)
	}
	l.msgs[id-1].Card = copyCard(&c)
	return nil
}

func (l *memLog) ChatMessages(ctx context.Context, chat string) ([]bot.ChatMessage, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []bot.ChatMessage
	for _, m := range l.msgs {
		if m.Chat == chat {
			out = append(out, m)
		}
	}
	return out, nil
}

func (l *memLog) ChatMessage(ctx context.Context, id uint64) (bot.ChatMessage, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if id == 0 || id > uint64(len(l.msgs)) {
		return bot.ChatMessage{}, bot.Errorf(bot.ENOTFOUND, "no message %d", id)
	}
	return l.msgs[id-1], nil
}

func (l *memLog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.msgs)
}

// fakeHandler records the events it gets, with the chat log as it stood
// when each came, and answers with a canned response. A bot reply it is
// told to send waits in a queue until Settle delivers it, as the outbox
// would.
type fakeHandler struct {
	log *memLog
	pg  *playground.Adapter

	mu      sync.Mutex
	events  []bot.Event
	logSeen [][]bot.ChatMessage
	resp    bot.Response
	reply   string
	queue   []bot.OutMessage
	settled int
}

func (h *fakeHandler) Handle(ctx context.Context, ev bot.Event) (bot.Response, error) {
	var seen []bot.ChatMessage
	if ev.Kind == bot.EventMessage {
		name := ev.Chat.Chat
		if ev.Chat.DM {
			name = "dm:" + name
		}
		seen, _ = h.log.ChatMessages(ctx, name)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, ev)
	h.logSeen = append(h.logSeen, seen)
	if h.reply != "" {
		h.queue = append(h.queue, bot.OutMessage{Target: ev.Chat, Text: h.reply, IdemKey: "reply-" + ev.ID})
	}
	return h.resp, nil
}

// HandleWith runs prepare with a transaction whose AppendChat writes to the
// fake log, then Handle.
func (h *fakeHandler) HandleWith(ctx context.Context, ev bot.Event, prepare func(bot.Tx, *bot.Event) error) (bot.Event, bot.Response, error) {
	if prepare != nil {
		if err := prepare(chatTx{ctx: ctx, log: h.log}, &ev); err != nil {
			return ev, bot.Response{}, err
		}
	}
	resp, err := h.Handle(ctx, ev)
	return ev, resp, err
}

// chatTx is a transaction that can only append chat lines, to the fake log.
type chatTx struct {
	bot.Tx
	ctx context.Context
	log *memLog
}

func (t chatTx) AppendChat(m bot.ChatMessage) (bot.ChatMessage, error) {
	return t.log.AppendChat(t.ctx, m)
}

func (h *fakeHandler) settle(ctx context.Context) error {
	h.mu.Lock()
	queue := h.queue
	h.queue = nil
	h.settled++
	h.mu.Unlock()
	for _, m := range queue {
		if _, err := h.pg.Send(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

func (h *fakeHandler) got() []bot.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.events)
}

// fakeClockControl moves a bot.FakeClock and refuses to go back.
type fakeClockControl struct {
	clock *bot.FakeClock
	mu    sync.Mutex
	calls []time.Time
}

func (c *fakeClockControl) Set(ctx context.Context, t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.set(t)
}

func (c *fakeClockControl) set(t time.Time) error {
	now := c.clock.Now()
	if t.Before(now) {
		return bot.Errorf(bot.ECONFLICT, "the clock never moves backwards: it is %s", now.Format(time.RFC3339))
	}
	if t.Sub(now) > playground.MaxClockJump {
		return bot.Errorf(bot.EINVALID, "too far")
	}
	c.calls = append(c.calls, t)
	return c.clock.Set(t)
}

func (c *fakeClockControl) Advance(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.set(c.clock.Now().Add(d))
}

var clockStart = time.Date(2026, time.November, 23, 8, 0, 0, 0, time.FixedZone("CST", 8*3600))

type fixture struct {
	srv   *httptest.Server
	pg    *playground.Adapter
	log   *memLog
	h     *fakeHandler
	clock *bot.FakeClock
	ctl   *fakeClockControl
}

// newFixture serves the playground with people alice, bob and carol and
// group alpha [alice bob]; fakeClock turns on the clock API.
func newFixture(t *testing.T, fakeClock bool) *fixture {
	t.Helper()
	f := &fixture{log: newMemLog(), clock: bot.NewFakeClock(clockStart)}
	f.h = &fakeHandler{log: f.log}
	cfg := playground.Config{
		People: []playground.Person{
			{ID: "alice", Name: "王丽 Alice", Roles: []string{"admin"}},
			{ID: "bob", Name: "李博 Bob", Roles: []string{}},
			{ID: "carol", Name: "张萍 Carol", Roles: []string{}},
		},
		Groups:  []playground.Group{{ID: "alpha", Name: "Alpha 项目群", Members: []string{"alice", "bob"}}},
		Log:     f.log,
		Clock:   f.clock,
		Handler: f.h,
		Settle:  f.h.settle,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if fakeClock {
		f.ctl = &fakeClockControl{clock: f.clock}
		cfg.FakeClock = f.ctl
	}
	f.pg = playground.New(cfg)
	f.h.pg = f.pg
	mux := http.NewServeMux()
	f.pg.Routes(mux)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// send delivers a bot message as the outbox does and returns its id.
func (f *fixture) send(t *testing.T, msg bot.OutMessage) string {
	t.Helper()
	ref, err := f.pg.Send(context.Background(), msg)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

func dmBob() bot.Target       { return bot.DM("playground:bob") }
func alphaTarget() bot.Target { return bot.Group(bot.Playground, "alpha") }

// assignedCard is a live card with signed action values.
func assignedCard() *bot.Card {
	return &bot.Card{Kind: bot.CardTaskAssigned, Title: "新任务 T3 · 首页设计稿", Color: bot.ColorBlue,
		Inputs: []bot.Input{{Name: "reason", Kind: bot.InputTextarea, Label: "拒绝理由", For: "decline"}},
		Actions: []bot.Action{
			{Name: "accept", Label: "接受", Value: "signed-accept-T3-bob"},
			{Name: "decline", Label: "拒绝", Value: "signed-decline-T3-bob"},
		},
		Refs: map[string]string{"task": "T3"}}
}

func finishedCard() *bot.Card {
	return &bot.Card{Kind: bot.CardTaskAssigned, Title: "新任务 T3 · 首页设计稿", Color: bot.ColorGreen,
		Text: "**已接受 · 李博 Bob · 11-21 10:02**", Actions: []bot.Action{}}
}

func warningCard() *bot.Card {
	return &bot.Card{Kind: bot.CardEscalation, Title: "督办升级 · T3", Color: bot.ColorYellow,
		Actions: []bot.Action{{Name: "ack", Label: "知悉", Value: "signed-ack-E2"}}}
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (f *fixture) do(t *testing.T, method, path, body string) answer {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, b}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkError asserts SPEC §11's error answer: the status, and exactly
// {"error":{"code","message"}} with a message a person can read.
func checkError(t *testing.T, a answer, status int, code string) {
	t.Helper()
	if a.status != status {
		t.Errorf("status = %d, want %d; body %s", a.status, status, a.body)
	}
	if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q", ct)
	}
	var outer map[string]map[string]any
	if err := json.Unmarshal(a.body, &outer); err != nil || len(outer) != 1 || outer["error"] == nil {
		t.Fatalf("body %s is not {\"error\":{…}}: %v", a.body, err)
	}
	e := outer["error"]
	msg, _ := e["message"].(string)
	if len(e) != 2 || e["code"] != code || strings.TrimSpace(msg) == "" {
		t.Errorf("error = %v, want exactly code %q and a message", e, code)
	}
}

func TestErrors(t *testing.T) {
	f := newFixture(t, false)
	cardID := f.send(t, bot.OutMessage{Target: dmBob(), Card: assignedCard()})
	textID := f.send(t, bot.OutMessage{Target: dmBob(), Text: "你好 hello"})
	big := strings.Repeat("x", 65<<10)

	tests := []struct {
		name         string
		method, path string
		body         string
		status       int
		code         string
	}{
		{"message from an unknown person", "POST", "/playground/api/messages", `{"from":"mallory","chat":"dm","text":"/help"}`, 400, bot.EINVALID},
		{"message from nobody", "POST", "/playground/api/messages", `{"chat":"dm","text":"/help"}`, 400, bot.EINVALID},
		{"message to a group that does not exist", "POST", "/playground/api/messages", `{"from":"alice","chat":"beta","text":"/help"}`, 404, bot.ENOTFOUND},
		{"message to a group one is not in", "POST", "/playground/api/messages", `{"from":"carol","chat":"alpha","text":"/help"}`, 403, bot.EFORBIDDEN},
		{"empty text", "POST", "/playground/api/messages", `{"from":"alice","chat":"dm","text":""}`, 400, bot.EINVALID},
		{"blank text", "POST", "/playground/api/messages", `{"from":"alice","chat":"dm","text":"  \n\t"}`, 400, bot.EINVALID},
		{"malformed message JSON", "POST", "/playground/api/messages", `{"from":"alice","chat":`, 400, bot.EINVALID},
		{"unknown message field", "POST", "/playground/api/messages", `{"from":"alice","chat":"dm","text":"/help","urgent":true}`, 400, bot.EINVALID},
		{"message body over 64 KiB", "POST", "/playground/api/messages", `{"from":"alice","chat":"dm","text":"` + big + `"}`, 400, bot.EINVALID},
		{"chat of an unknown group", "GET", "/playground/api/chats/beta", "", 404, bot.ENOTFOUND},
		{"chat of an unknown person", "GET", "/playground/api/chats/dm:mallory", "", 404, bot.ENOTFOUND},
		{"action as an unknown person", "POST", "/playground/api/actions", `{"as":"mallory","message_id":"` + cardID + `","action":"accept"}`, 400, bot.EINVALID},
		{"malformed action JSON", "POST", "/playground/api/actions", `{"as":"bob",`, 400, bot.EINVALID},
		{"unknown action field", "POST", "/playground/api/actions", `{"as":"bob","message_id":"` + cardID + `","action":"accept","force":true}`, 400, bot.EINVALID},
		{"action body over 64 KiB", "POST", "/playground/api/actions", `{"as":"bob","message_id":"` + cardID + `","action":"decline","form":{"reason":"` + big + `"}}`, 400, bot.EINVALID},
		{"message_id not a number", "POST", "/playground/api/actions", `{"as":"bob","message_id":"abc","action":"accept"}`, 400, bot.EINVALID},
		{"message_id missing", "POST", "/playground/api/actions", `{"as":"bob","action":"accept"}`, 400, bot.EINVALID},
		{"unknown message_id", "POST", "/playground/api/actions", `{"as":"bob","message_id":"999","action":"accept"}`, 404, bot.ENOTFOUND},
		{"message is not a card", "POST", "/playground/api/actions", `{"as":"bob","message_id":"` + textID + `","action":"accept"}`, 400, bot.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.log.len()
			checkError(t, f.do(t, tt.method, tt.path, tt.body), tt.status, tt.code)
			if n := f.log.len(); n != before {
				t.Errorf("the chat log grew from %d to %d messages", before, n)
			}
		})
	}
	if evs := f.h.got(); len(evs) != 0 {
		t.Errorf("the bot got %d events from refused calls: %+v", len(evs), evs)
	}
}

// TestRefusedActions: an action the card does not allow answers 200 with a
// toast that says why, and the bot never hears of it (SPEC §11).
func TestRefusedActions(t *testing.T) {
	f := newFixture(t, false)
	live := f.send(t, bot.OutMessage{Target: dmBob(), Card: assignedCard()})
	done := f.send(t, bot.OutMessage{Target: dmBob(), Card: finishedCard()})
	group := f.send(t, bot.OutMessage{Target: alphaTarget(), Card: warningCard()})

	tests := []struct {
		name, as, id, action string
		form                 map[string]any
	}{
		{"action not on the card", "bob", live, "verify", nil},
		{"action name unknown", "bob", live, "explode", nil},
		{"finished card", "bob", done, "accept", nil},
		{"card in someone else's DM", "alice", live, "accept", nil},
		{"card in a group one is not in", "carol", group, "ack", nil},
		{"form value neither string nor number", "bob", live, "decline", map[string]any{"reason": map[string]any{"x": 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := mustJSON(t, map[string]any{"as": tt.as, "message_id": tt.id, "action": tt.action, "form": tt.form})
			a := f.do(t, "POST", "/playground/api/actions", body)
			var out struct {
				Toast string    `json:"toast"`
				Card  *bot.Card `json:"card"`
			}
			if err := json.Unmarshal(a.body, &out); a.status != 200 || err != nil || out.Toast == "" {
				t.Errorf("answer %d %s; want 200 with a toast", a.status, a.body)
			}
			if strings.Contains(string(a.body), "signed-") {
				t.Errorf("the answer shows a signed action value: %s", a.body)
			}
		})
	}
	if evs := f.h.got(); len(evs) != 0 {
		t.Errorf("the bot got %d events from refused actions: %+v", len(evs), evs)
	}
	msg, _ := f.log.ChatMessage(context.Background(), 1)
	if got := len(msg.Card.Actions); got != 2 {
		t.Errorf("the refused clicks changed the card: %d actions", got)
	}
}

func TestPostMessage(t *testing.T) {
	tests := []struct {
		name, from, chat string
		wantChat         bot.Target
		logChat          string
	}{
		{"direct chat", "alice", "dm", bot.Target{Platform: "playground", Chat: "alice", DM: true}, "dm:alice"},
		{"direct chat by its full name", "bob", "dm:bob", bot.Target{Platform: "playground", Chat: "bob", DM: true}, "dm:bob"},
		{"group", "bob", "alpha", bot.Target{Platform: "playground", Chat: "alpha"}, "alpha"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, false)
			f.h.reply = "好的 OK"
			text := "/task new 首页设计稿 @bob due:2026-11-27"
			a := f.do(t, "POST", "/playground/api/messages", mustJSON(t, map[string]string{"from": tt.from, "chat": tt.chat, "text": text}))
			var out map[string]string
			if err := json.Unmarshal(a.body, &out); a.status != 200 || err != nil || out["message_id"] == "" {
				t.Fatalf("answer %d %s; want 200 with a message_id", a.status, a.body)
			}
			evs := f.h.got()
			if len(evs) != 1 {
				t.Fatalf("the bot got %d events, want 1", len(evs))
			}
			ev := evs[0]
			if ev.Platform != "playground" || ev.Kind != bot.EventMessage || ev.From != bot.PersonID("playground:"+tt.from) ||
				ev.Chat != tt.wantChat || ev.Text != text || ev.ID == "" || !ev.Time.Equal(clockStart) {
				t.Errorf("event = %+v", ev)
			}
			// The message is in the chat before the bot sees it, so that the
			// bot's answer always comes after it.
			seen := f.h.logSeen[0]
			if len(seen) != 1 || strconv.FormatUint(seen[0].ID, 10) != out["message_id"] || seen[0].Text != text || seen[0].From != tt.from {
				t.Errorf("when the bot got the event the chat held %+v", seen)
			}
			// The call returns once the bot's answer is delivered.
			msgs := chatMessages(t, f, tt.logChat)
			if len(msgs) != 2 || msgs[0].From != tt.from || msgs[0].Text != text || msgs[1].From != "bot" || msgs[1].Text != "好的 OK" {
				t.Errorf("chat %s = %+v; want the message then the bot's answer", tt.logChat, msgs)
			}
		})
	}
}

func TestEventIDsUnique(t *testing.T) {
	f := newFixture(t, false)
	f.send(t, bot.OutMessage{Target: dmBob(), Card: assignedCard()})
	for range 3 {
		f.do(t, "POST", "/playground/api/messages", `{"from":"bob","chat":"dm","text":"/tasks"}`)
		f.do(t, "POST", "/playground/api/actions", `{"as":"bob","message_id":"1","action":"accept"}`)
	}
	seen := map[string]bool{}
	for _, ev := range f.h.got() {
		if seen[ev.ID] {
			t.Errorf("event id %q used twice", ev.ID)
		}
		seen[ev.ID] = true
	}
	if len(seen) != 6 {
		t.Errorf("%d distinct events, want 6", len(seen))
	}
}

type chatMessage struct {
	ID   string          `json:"id"`
	From string          `json:"from"`
	Time time.Time       `json:"time"`
	Text string          `json:"text"`
	Card json.RawMessage `json:"card"`
}

func chatMessages(t *testing.T, f *fixture, chat string) []chatMessage {
	t.Helper()
	a := f.do(t, "GET", "/playground/api/chats/"+chat, "")
	if a.status != 200 {
		t.Fatalf("GET chats/%s: %d %s", chat, a.status, a.body)
	}
	var out struct {
		Messages []chatMessage `json:"messages"`
	}
	if err := json.Unmarshal(a.body, &out); err != nil || out.Messages == nil {
		t.Fatalf("GET chats/%s: %s: %v", chat, a.body, err)
	}
	checkNoSignedValues(t, a.body)
	return out.Messages
}

// checkNoSignedValues asserts that no card in an answer carries the signed
// values of its actions: they stay on the server.
func checkNoSignedValues(t *testing.T, body []byte) {
	t.Helper()
	if bytes.Contains(body, []byte("signed-")) {
		t.Errorf("the answer shows a signed action value: %s", body)
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if acts, ok := x["actions"].([]any); ok {
				for _, a := range acts {
					if m, ok := a.(map[string]any); ok {
						if _, has := m["value"]; has {
							t.Errorf("action %v has a value", m)
						}
					}
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	walk(v)
}

func TestAction(t *testing.T) {
	tests := []struct {
		name     string
		as       string
		target   bot.Target
		card     *bot.Card
		action   string
		form     string
		token    string
		wantForm map[string]string
	}{
		{"decline with a reason in a DM", "bob", dmBob(), assignedCard(), "decline", `{"reason":"本周在做发布"}`,
			"signed-decline-T3-bob", map[string]string{"reason": "本周在做发布"}},
		{"numbers become strings", "bob", dmBob(), assignedCard(), "accept",
			`{"progress.T3":60,"hours.T3":2.5,"status.T3":"at_risk","note.T3":"","big":1000000}`, "signed-accept-T3-bob",
			map[string]string{"progress.T3": "60", "hours.T3": "2.5", "status.T3": "at_risk", "note.T3": "", "big": "1000000"}},
		{"group card by a member", "alice", alphaTarget(), warningCard(), "ack", `{}`, "signed-ack-E2", map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, false)
			id := f.send(t, bot.OutMessage{Target: tt.target, Card: tt.card})
			after := *finishedCard()
			after.Actions = []bot.Action{{Name: "rework", Label: "退回", Value: "signed-rework"}}
			f.h.resp = bot.Response{Toast: "已处理 Done", Card: &after}

			body := `{"as":"` + tt.as + `","message_id":"` + id + `","action":"` + tt.action + `","form":` + tt.form + `}`
			a := f.do(t, "POST", "/playground/api/actions", body)
			if a.status != 200 {
				t.Fatalf("answer %d %s", a.status, a.body)
			}
			checkNoSignedValues(t, a.body)
			var out struct {
				Toast string    `json:"toast"`
				Card  *bot.Card `json:"card"`
			}
			if err := json.Unmarshal(a.body, &out); err != nil || out.Toast != "已处理 Done" || out.Card == nil || out.Card.Title != after.Title {
				t.Errorf("answer %s; want the bot's toast and card", a.body)
			}
			evs := f.h.got()
			if len(evs) != 1 {
				t.Fatalf("the bot got %d events, want 1", len(evs))
			}
			ev := evs[0]
			if ev.Platform != "playground" || ev.Kind != bot.EventAction || ev.From != bot.PersonID("playground:"+tt.as) ||
				ev.Chat != tt.target || ev.Action == nil {
				t.Fatalf("event = %+v", ev)
			}
			act := ev.Action
			if act.Name != tt.action || act.Token != tt.token || act.MessageRef != id {
				t.Errorf("action = %+v; want %s with token %s on message %s", act, tt.action, tt.token, id)
			}
			if len(act.Form) != len(tt.wantForm) {
				t.Errorf("form = %v, want %v", act.Form, tt.wantForm)
			}
			for k, v := range tt.wantForm {
				if got, ok := act.Form[k]; !ok || got != v {
					t.Errorf("form[%s] = %q, want %q", k, got, v)
				}
			}
			// The chat shows the card without its signed values.
			chat := "dm:" + tt.target.Chat
			if !tt.target.DM {
				chat = tt.target.Chat
			}
			msgs := chatMessages(t, f, chat)
			if len(msgs) != 1 || !bytes.Contains(msgs[0].Card, []byte(`"name":"`+tt.card.Actions[0].Name+`"`)) {
				t.Errorf("chat %s = %+v", chat, msgs)
			}
		})
	}
}

func TestSendIdempotent(t *testing.T) {
	f := newFixture(t, false)
	msg := bot.OutMessage{Target: dmBob(), Card: assignedCard(), IdemKey: "outbox-7"}
	first := f.send(t, msg)
	second := f.send(t, msg)
	if first != second {
		t.Errorf("the second delivery got ref %s, the first %s", second, first)
	}
	f.send(t, bot.OutMessage{Target: dmBob(), Text: "another", IdemKey: "outbox-8"})
	msgs := chatMessages(t, f, "dm:bob")
	if len(msgs) != 2 || msgs[0].ID != first || msgs[1].Text != "another" {
		t.Errorf("chat = %+v; want the card once, then the other message", msgs)
	}
	if !msgs[0].Time.Equal(clockStart) || msgs[0].From != "bot" {
		t.Errorf("message %+v; want from bot at the clock's time", msgs[0])
	}
}

func TestUpdateCard(t *testing.T) {
	f := newFixture(t, false)
	ref := f.send(t, bot.OutMessage{Target: dmBob(), Card: assignedCard()})
	f.send(t, bot.OutMessage{Target: dmBob(), Text: "later"})
	if err := f.pg.UpdateCard(context.Background(), ref, bot.OutMessage{Target: dmBob(), Card: finishedCard()}); err != nil {
		t.Fatal(err)
	}
	msgs := chatMessages(t, f, "dm:bob")
	if len(msgs) != 2 || msgs[0].ID != ref || msgs[1].Text != "later" {
		t.Fatalf("chat = %+v; want the card in its place, then the later message", msgs)
	}
	var c bot.Card
	if err := json.Unmarshal(msgs[0].Card, &c); err != nil || c.Color != bot.ColorGreen || !c.Finished() || !strings.Contains(c.Text, "已接受") {
		t.Errorf("card = %s; want the finished card", msgs[0].Card)
	}
	// A click on the card now gets a toast, and the bot hears nothing.
	a := f.do(t, "POST", "/playground/api/actions", `{"as":"bob","message_id":"`+ref+`","action":"accept"}`)
	if a.status != 200 || !bytes.Contains(a.body, []byte(`"toast"`)) || len(f.h.got()) != 0 {
		t.Errorf("click on the updated card: %d %s, %d events", a.status, a.body, len(f.h.got()))
	}

	for _, bad := range []string{"999", "abc"} {
		err := f.pg.UpdateCard(context.Background(), bad, bot.OutMessage{Target: dmBob(), Card: finishedCard()})
		if temp, _ := bot.IsTemporary(err); err == nil || temp {
			t.Errorf("UpdateCard(%q) = %v; want a permanent error, so that the outbox does not retry", bad, err)
		}
	}
}

func TestClockOff(t *testing.T) {
	f := newFixture(t, false)
	checkError(t, f.do(t, "GET", "/playground/api/clock", ""), 403, bot.EFORBIDDEN)
	checkError(t, f.do(t, "POST", "/playground/api/clock", `{"advance":"1h"}`), 403, bot.EFORBIDDEN)
	if !f.clock.Now().Equal(clockStart) {
		t.Errorf("the clock moved to %s", f.clock.Now())
	}
}

func TestClock(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		status int
		code   string
		want   time.Time
	}{
		{"advance hours", `{"advance":"26h"}`, 200, "", clockStart.Add(26 * time.Hour)},
		{"advance days", `{"advance":"2d"}`, 200, "", clockStart.Add(48 * time.Hour)},
		{"advance minutes", `{"advance":"90m"}`, 200, "", clockStart.Add(90 * time.Minute)},
		{"set in the future", `{"set":"2026-11-27T09:29:00+08:00"}`, 200, "", time.Date(2026, 11, 27, 9, 29, 0, 0, time.FixedZone("", 8*3600))},
		{"advance backwards", `{"advance":"-1h"}`, 400, bot.EINVALID, clockStart},
		{"advance zero", `{"advance":"0d"}`, 400, bot.EINVALID, clockStart},
		{"advance banana", `{"advance":"banana"}`, 400, bot.EINVALID, clockStart},
		{"set not a time", `{"set":"next friday"}`, 400, bot.EINVALID, clockStart},
		{"set beyond the cap", `{"set":"2100-01-01T00:00:00+08:00"}`, 400, bot.EINVALID, clockStart},
		{"advance to the cap", `{"advance":"400d"}`, 200, "", clockStart.Add(400 * 24 * time.Hour)},
		{"advance beyond the cap", `{"advance":"401d"}`, 400, bot.EINVALID, clockStart},
		{"advance far beyond the cap", `{"advance":"9223372036854775807d"}`, 400, bot.EINVALID, clockStart},
		{"advance hours beyond the cap", `{"advance":"9601h"}`, 400, bot.EINVALID, clockStart},
		{"set in the past", `{"set":"2026-11-20T09:00:00+08:00"}`, 409, bot.ECONFLICT, clockStart},
		{"both set and advance", `{"set":"2026-11-27T09:29:00+08:00","advance":"1h"}`, 400, bot.EINVALID, clockStart},
		{"neither", `{}`, 400, bot.EINVALID, clockStart},
		{"unknown field", `{"advance":"1h","to":"x"}`, 400, bot.EINVALID, clockStart},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, true)
			a := f.do(t, "POST", "/playground/api/clock", tt.body)
			if tt.code != "" {
				checkError(t, a, tt.status, tt.code)
			} else {
				var out map[string]string
				if err := json.Unmarshal(a.body, &out); a.status != 200 || err != nil {
					t.Fatalf("answer %d %s", a.status, a.body)
				}
				if got, err := time.Parse(time.RFC3339, out["now"]); err != nil || !got.Equal(tt.want) {
					t.Errorf("now = %q, want %s", out["now"], tt.want.Format(time.RFC3339))
				}
				if len(f.ctl.calls) != 1 || !f.ctl.calls[0].Equal(tt.want) {
					t.Errorf("the work was run up to %v, want %s", f.ctl.calls, tt.want)
				}
			}
			if !f.clock.Now().Equal(tt.want) {
				t.Errorf("clock at %s, want %s", f.clock.Now(), tt.want)
			}
			g := f.do(t, "GET", "/playground/api/clock", "")
			var now map[string]string
			if err := json.Unmarshal(g.body, &now); g.status != 200 || err != nil {
				t.Fatalf("GET clock: %d %s", g.status, g.body)
			}
			if got, err := time.Parse(time.RFC3339, now["now"]); err != nil || !got.Equal(tt.want) {
				t.Errorf("GET clock = %s, want %s", g.body, tt.want.Format(time.RFC3339))
			}
		})
	}
}

func TestPages(t *testing.T) {
	f := newFixture(t, false)
	a := f.do(t, "GET", "/", "")
	if a.status != http.StatusFound || a.header.Get("Location") != "/playground/" {
		t.Errorf("GET / = %d to %q; want a redirect to /playground/", a.status, a.header.Get("Location"))
	}
	a = f.do(t, "GET", "/playground/", "")
	if a.status != 200 || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") || !bytes.Contains(a.body, []byte("loopbot")) {
		t.Errorf("GET /playground/ = %d %q, %d bytes; want the HTML page", a.status, a.header.Get("Content-Type"), len(a.body))
	}
	if a := f.do(t, "GET", "/nothing-here", ""); a.status != 404 {
		t.Errorf("GET /nothing-here = %d; want 404, not the redirect", a.status)
	}
}

func TestPeople(t *testing.T) {
	f := newFixture(t, false)
	a := f.do(t, "GET", "/playground/api/people", "")
	var out struct {
		People []playground.Person `json:"people"`
	}
	if err := json.Unmarshal(a.body, &out); a.status != 200 || err != nil {
		t.Fatalf("answer %d %s", a.status, a.body)
	}
	var ids []string
	for _, p := range out.People {
		ids = append(ids, p.ID+"="+p.Name)
	}
	if !slices.Equal(ids, []string{"alice=王丽 Alice", "bob=李博 Bob", "carol=张萍 Carol"}) || !slices.Equal(out.People[0].Roles, []string{"admin"}) {
		t.Errorf("people = %+v", out.People)
	}
}
