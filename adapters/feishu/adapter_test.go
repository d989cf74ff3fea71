package feishu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/internal/feishufake"
)

// recorder is a Handler that records events and answers with resp.
type recorder struct {
	mu     sync.Mutex
	events []bot.Event
	resp   bot.Response
	err    error
}

func (r *recorder) Handle(ctx context.Context, ev bot.Event) (bot.Response, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return bot.Response{}, r.err
	}
	r.events = append(r.events, ev)
	return r.resp, nil
}

func (r *recorder) got() []bot.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bot.Event(nil), r.events...)
}

// appIDs keeps every test's app id distinct, as one real deployment's would
// be from another's.
var appIDs struct {
	sync.Mutex
	n int
}

func newAppID() string {
	appIDs.Lock()
	defer appIDs.Unlock()
	appIDs.n++
	return fmt.Sprintf("cli_test%04d", appIDs.n)
}

// setup starts a fake Feishu and an adapter in the given mode.
func setup(t *testing.T, mode string) (*feishufake.Server, *Adapter, *recorder) {
	t.Helper()
	fake := feishufake.Start(t, &feishufake.Server{AppID: newAppID(), AppSecret: "secret", BotOpenID: "ou_bot",
		EncryptKey: "enc-key", VerificationToken: "verify-token", Users: map[string]string{"ou_alice": "王丽 Alice"}})
	rec := &recorder{}
	a := New(Config{AppID: fake.AppID, AppSecret: fake.AppSecret, BaseURL: fake.URL(), Mode: mode,
		EncryptKey: fake.EncryptKey, VerificationToken: fake.VerificationToken, Handler: rec})
	return fake, a, rec
}

func TestWebhookSignature(t *testing.T) {
	fake, a, rec := setup(t, ModeWebhook)
	srv := httptest.NewServer(a)
	defer srv.Close()
	ctx := context.Background()
	event := fake.MessageEvent("ev1", "om_1", "p2p", "oc_dm", "ou_alice", "/help")

	post := func(sg feishufake.Signed) (int, string) {
		t.Helper()
		code, body, err := feishufake.Post(ctx, srv.URL, sg)
		if err != nil {
			t.Fatal(err)
		}
		return code, string(body)
	}
	refused := []struct {
		name string
		sg   func() feishufake.Signed
	}{
		{"tampered body", func() feishufake.Signed {
			sg := fake.Seal(event, time.Now())
			sg.Body = append([]byte(`{"encrypt":"`+feishufake.Encrypt([]byte(`{"schema":"2.0"}`), fake.EncryptKey)), sg.Body[len(`{"encrypt":"`)+24:]...)
			return sg
		}},
		{"signed with a wrong key", func() feishufake.Signed {
			sg := fake.Seal(event, time.Now())
			sg.Signature = Signature(sg.Timestamp, sg.Nonce, "another-key", sg.Body)
			return sg
		}},
		{"stale timestamp", func() feishufake.Signed { return fake.Seal(event, time.Now().Add(-6*time.Minute)) }},
		{"timestamp from the future", func() feishufake.Signed { return fake.Seal(event, time.Now().Add(6*time.Minute)) }},
		{"no signature", func() feishufake.Signed { sg := fake.Seal(event, time.Now()); sg.Signature = ""; return sg }},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			if code, body := post(tt.sg()); code < 400 || code >= 500 {
				t.Errorf("status %d %s, want a refusal", code, body)
			}
			if n := len(rec.got()); n != 0 {
				t.Errorf("%d events reached the engine", n)
			}
		})
	}

	code, body := post(fake.Seal(event, time.Now()))
	if code != 200 {
		t.Fatalf("a signed event: %d %s", code, body)
	}
	evs := rec.got()
	if len(evs) != 1 || evs[0].Text != "/help" || evs[0].From != "feishu:ou_alice" || evs[0].ID != "feishu:msg:om_1" {
		t.Fatalf("events %+v", evs)
	}
	if evs[0].FromName != "王丽 Alice" {
		t.Errorf("name %q, want the contact API's", evs[0].FromName)
	}

	// A plaintext body is refused when an encrypt key is set.
	req, _ := http.NewRequest("POST", srv.URL, strings.NewReader(string(event)))
	resp, _ := http.DefaultClient.Do(req)
	if resp.StatusCode != 400 {
		t.Errorf("plaintext body: %d", resp.StatusCode)
	}
	resp.Body.Close()
}

func TestWebhookURLVerification(t *testing.T) {
	fake, a, rec := setup(t, ModeWebhook)
	srv := httptest.NewServer(a)
	defer srv.Close()
	// Feishu does not sign the challenge; it encrypts it and carries the
	// verification token.
	sg := fake.Seal(fake.URLVerification("ch-123", "verify-token"), time.Now())
	sg.Signature = ""
	code, body, _ := feishufake.Post(context.Background(), srv.URL, sg)
	if code != 200 || !strings.Contains(string(body), `"challenge":"ch-123"`) {
		t.Errorf("challenge: %d %s", code, body)
	}
	sg = fake.Seal(fake.URLVerification("ch-123", "wrong-token"), time.Now())
	code, body, _ = feishufake.Post(context.Background(), srv.URL, sg)
	if code != 403 || strings.Contains(string(body), "ch-123") {
		t.Errorf("wrong token: %d %s", code, body)
	}
	if len(rec.got()) != 0 {
		t.Error("the challenge reached the engine")
	}
}

func TestWebhookCardActionAnswer(t *testing.T) {
	fake, a, rec := setup(t, ModeWebhook)
	srv := httptest.NewServer(a)
	defer srv.Close()
	rec.resp = bot.Response{Toast: "已接受", Card: &bot.Card{Kind: bot.CardTaskAssigned, Title: "T3", Color: bot.ColorGreen, Text: "已接受 · Bob"}}
	ev := fake.CardAction("ev-click", "ou_bob", "om_9", "", map[string]any{"action": "accept", "token": "tok"}, nil)
	code, body, _ := feishufake.Post(context.Background(), srv.URL, fake.Seal(ev, time.Now()))
	var ans struct {
		Toast struct{ Type, Content string }
		Card  struct {
			Type string
			Data map[string]any
		}
	}
	if code != 200 || json.Unmarshal(body, &ans) != nil {
		t.Fatalf("%d %s", code, body)
	}
	if ans.Toast.Content != "已接受" || ans.Card.Type != "raw" || ans.Card.Data["schema"] != "2.0" || dig(ans.Card.Data, "header", "template") != "green" {
		t.Errorf("answer %s", body)
	}
	evs := rec.got()
	if len(evs) != 1 || evs[0].Action.Name != "accept" || evs[0].Action.Token != "tok" || evs[0].Chat != bot.DM("feishu:ou_bob") {
		t.Errorf("events %+v", evs)
	}

	// The engine could not commit: Feishu must retry.
	rec.err = errors.New("store down")
	code, _, _ = feishufake.Post(context.Background(), srv.URL, fake.Seal(fake.CardAction("ev-2", "ou_bob", "om_9", "", map[string]any{"action": "accept", "token": "tok"}, nil), time.Now()))
	if code != 500 {
		t.Errorf("store failure answered %d, want 500", code)
	}
}

func TestSendAndUpdate(t *testing.T) {
	fake, a, _ := setup(t, ModeWebhook)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	a.cfg.Now = func() time.Time { return now }
	card := bot.Card{Kind: bot.CardTaskAssigned, Title: "T1", Color: bot.ColorBlue, Actions: []bot.Action{{Name: "accept", Label: "Accept", Value: "v"}}}
	msg := bot.OutMessage{Target: bot.DM("feishu:ou_bob"), Card: &card, IdemKey: "loopbot-1"}
	ref, err := a.Send(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	// A retry of the same item (same key) is the same message.
	ref2, err := a.Send(ctx, msg)
	if err != nil || strings.Split(ref2, "@")[0] != strings.Split(ref, "@")[0] {
		t.Fatalf("retry: %s %v", ref2, err)
	}
	ms := fake.Messages()
	if len(ms) != 1 || ms[0].ReceiveIDType != "open_id" || ms[0].ReceiveID != "ou_bob" || ms[0].UUID != "loopbot-1" {
		t.Fatalf("messages %+v", ms)
	}
	if _, err := a.Send(ctx, bot.OutMessage{Target: bot.Group(bot.Feishu, "oc_g"), Text: "**hi**", IdemKey: strings.Repeat("k", 80)}); err != nil {
		t.Fatal(err)
	}
	ms = fake.Messages()
	if ms[1].ReceiveIDType != "chat_id" || ms[1].ReceiveID != "oc_g" || len(ms[1].UUID) > 50 || ms[1].UUID == "" {
		t.Errorf("group text %+v", ms[1])
	}

	// Within 14 days the card is patched in place.
	card.Color = bot.ColorGreen
	now = now.Add(13 * 24 * time.Hour)
	got, err := a.RefreshCard(ctx, ref, bot.OutMessage{Target: msg.Target, Card: &card, IdemKey: "loopbot-2"})
	if err != nil || got != ref {
		t.Fatalf("refresh: %s %v", got, err)
	}
	if p := fake.Patches(); len(p) != 1 || p[0].MessageID != ms[0].ID || dig(p[0].Card, "header", "template") != "green" {
		t.Errorf("patches %+v", p)
	}
	// Later it goes out as a new message, and the old one is left alone.
	now = now.Add(2 * 24 * time.Hour)
	got, err = a.RefreshCard(ctx, ref, bot.OutMessage{Target: msg.Target, Card: &card, IdemKey: "loopbot-3"})
	if err != nil || got == ref {
		t.Fatalf("refresh after 15 days: %s %v", got, err)
	}
	if len(fake.Patches()) != 1 || len(fake.Messages()) != 3 {
		t.Errorf("%d patches, %d messages", len(fake.Patches()), len(fake.Messages()))
	}
}

func TestDeliveryErrors(t *testing.T) {
	fake, a, _ := setup(t, ModeWebhook)
	ctx := context.Background()
	msg := bot.OutMessage{Target: bot.Group(bot.Feishu, "oc_g"), Text: "x", IdemKey: "loopbot-7"}

	fake.RateLimit(1, "3")
	_, err := a.Send(ctx, msg)
	if temp, wait := bot.IsTemporary(err); !temp || wait != 3*time.Second {
		t.Errorf("429: %v (temporary %v, wait %s)", err, temp, wait)
	}
	if _, err := a.Send(ctx, msg); err != nil || len(fake.Messages()) != 1 {
		t.Errorf("after the reset: %v, %d messages", err, len(fake.Messages()))
	}

	fake.RefuseChat("oc_gone", 230002)
	_, err = a.Send(ctx, bot.OutMessage{Target: bot.Group(bot.Feishu, "oc_gone"), Text: "x", IdemKey: "loopbot-8"})
	if temp, _ := bot.IsTemporary(err); temp || !strings.Contains(err.Error(), "230002") || !strings.Contains(err.Error(), "not in this group chat") {
		t.Errorf("bot not in the group: %v", err)
	}

	// An invalid token is refreshed once.
	fake.RevokeTokens()
	before := fake.TokenCalls()
	if _, err := a.Send(ctx, bot.OutMessage{Target: bot.Group(bot.Feishu, "oc_g"), Text: "y", IdemKey: "loopbot-9"}); err != nil {
		t.Fatal(err)
	}
	if fake.TokenCalls() != before+1 {
		t.Errorf("token calls %d, want %d", fake.TokenCalls(), before+1)
	}
}

func TestCheck(t *testing.T) {
	fake, a, _ := setup(t, ModeWebhook)
	if name, err := a.Check(context.Background()); err != nil || name != "loopbot" {
		t.Errorf("check: %q %v", name, err)
	}
	bad := New(Config{AppID: fake.AppID, AppSecret: "wrong", BaseURL: fake.URL()})
	if _, err := bad.Check(context.Background()); err == nil || !strings.Contains(err.Error(), "feishu.app_secret is wrong") {
		t.Errorf("wrong secret: %v", err)
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	gone := New(Config{AppID: fake.AppID, AppSecret: "secret", BaseURL: srv.URL})
	if _, err := gone.Check(context.Background()); err == nil || !strings.Contains(err.Error(), "cannot reach Feishu") {
		t.Errorf("unreachable: %v", err)
	}
}

func TestLongConnection(t *testing.T) {
	fake, a, rec := setup(t, ModeWebSocket)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a.Start(ctx)
	defer a.Close()

	// A message in a group mentioning the bot and a person.
	ev := fake.MessageEvent("ev1", "om_1", "group", "oc_g", "ou_alice", "@_user_1 /task new 接口设计 @_user_2 due:fri",
		feishufake.Mention{Key: "@_user_1", OpenID: "ou_bot", Name: "loopbot"}, feishufake.Mention{Key: "@_user_2", OpenID: "ou_bob", Name: "李博"})
	resp, err := fake.Push(ctx, ev, 0)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("push: %+v %v", resp, err)
	}
	evs := rec.got()
	if len(evs) != 1 || evs[0].Text != "/task new 接口设计 @feishu:ou_bob due:fri" || evs[0].Chat != bot.Group(bot.Feishu, "oc_g") ||
		evs[0].Names["feishu:ou_bob"] != "李博" {
		t.Fatalf("events %+v", evs)
	}
	// Chatter in the group that does not mention the bot is acknowledged
	// and dropped.
	if resp, _ := fake.Push(ctx, fake.MessageEvent("ev2", "om_2", "group", "oc_g", "ou_alice", "lunch?"), 0); resp.StatusCode != 200 || len(rec.got()) != 1 {
		t.Errorf("chatter: %+v, %d events", resp, len(rec.got()))
	}

	// A card callback split over several frames is answered with the
	// toast and the card in the answer frame's data.
	rec.resp = bot.Response{Toast: "done", Card: &bot.Card{Kind: bot.CardCheckin, Title: "Check-in", Color: bot.ColorGreen, Text: "saved"}}
	click := fake.CardAction("ev3", "ou_alice", "om_5", "", map[string]any{"action": "submit", "token": "t"}, map[string]any{"progress.T1": "50", "status.T1": "on_track"})
	resp, err = fake.Push(ctx, click, 64)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("click: %+v %v", resp, err)
	}
	var ans map[string]any
	if err := json.Unmarshal(resp.Data, &ans); err != nil || dig(ans, "toast", "content") != "done" || dig(ans, "card", "data", "schema") != "2.0" {
		t.Errorf("answer %s (%v)", resp.Data, err)
	}
	if evs := rec.got(); evs[len(evs)-1].Action.Form["progress.T1"] != "50" {
		t.Errorf("form %+v", evs[len(evs)-1].Action)
	}

	// When the engine cannot commit, the event is not acknowledged.
	rec.err = errors.New("store down")
	if resp, _ := fake.Push(ctx, fake.MessageEvent("ev4", "om_4", "p2p", "oc_dm", "ou_alice", "/help"), 0); resp.StatusCode != 500 {
		t.Errorf("store failure: code %d, want 500", resp.StatusCode)
	}
}

// TestLongConnectionReconnects drops the connection from Feishu's side:
// the adapter connects again and takes events as before.
func TestLongConnectionReconnects(t *testing.T) {
	fake, a, rec := setup(t, ModeWebSocket)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	a.Start(ctx)
	defer a.Close()
	if err := fake.WaitConnections(ctx, 1); err != nil {
		t.Fatal(err)
	}
	fake.DropConnections()
	if err := fake.WaitConnections(ctx, 2); err != nil {
		t.Fatal(err)
	}
	resp, err := fake.Push(ctx, fake.MessageEvent("ev1", "om_1", "p2p", "oc_dm", "ou_alice", "/help"), 0)
	if err != nil || resp.StatusCode != 200 || len(rec.got()) != 1 {
		t.Fatalf("after the reconnect: %+v %v, %d events", resp, err, len(rec.got()))
	}
}

// TestCloseDoesNotHang closes the adapter with the connection up and with
// the endpoint unreachable.
func TestCloseDoesNotHang(t *testing.T) {
	fake, a, _ := setup(t, ModeWebSocket)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a.Start(ctx)
	if err := fake.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	a.Close()

	b := New(Config{AppID: "x", AppSecret: "y", BaseURL: "http://127.0.0.1:1", Mode: ModeWebSocket})
	b.Start(ctx)
	b.Close()
}

func TestNamesWithoutContactScope(t *testing.T) {
	fake, a, rec := setup(t, ModeWebhook)
	fake.NoContactScope = true
	srv := httptest.NewServer(a)
	defer srv.Close()
	for i, who := range []string{"ou_x", "ou_y"} {
		ev := fake.MessageEvent(fmt.Sprint("e", i), fmt.Sprint("om_", i), "p2p", "oc", who, "/help")
		if code, body, _ := feishufake.Post(context.Background(), srv.URL, fake.Seal(ev, time.Now())); code != 200 {
			t.Fatalf("%d %s", code, body)
		}
	}
	if evs := rec.got(); len(evs) != 2 || evs[0].FromName != "" {
		t.Errorf("events %+v", evs)
	}
	if n := fake.ContactCalls(); n != 1 {
		t.Errorf("contact API asked %d times, want once", n)
	}
}
