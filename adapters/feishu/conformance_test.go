package feishu

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/internal/feishufake"
)

// postRaw posts a body with the given headers to the adapter.
func postRaw(t *testing.T, a *Adapter, body string, h map[string]string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/callback/feishu", strings.NewReader(body))
	for k, v := range h {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	a.ServeHTTP(w, req)
	return w.Code, strings.TrimSpace(w.Body.String())
}

// The SDK's own encrypted URL verification (dispatcher_test.go
// TestDecryptEvent) carries the verification token in header.token, as
// the SDK's parse reads it.
func TestURLVerificationSDKVector(t *testing.T) {
	v := vector(t, "sdk_dispatcher_test.encrypted_event.txt")
	a := New(Config{Mode: ModeWebhook, EncryptKey: v["encrypt_key"], VerificationToken: "v", Handler: &recorder{}})
	code, body := postRaw(t, a, `{"encrypt":"`+v["encrypt"]+`"}`, nil)
	if code != 200 || body != `{"challenge":"1212"}` {
		t.Errorf("got %d %s, want 200 {\"challenge\":\"1212\"}", code, body)
	}
	a = New(Config{Mode: ModeWebhook, EncryptKey: v["encrypt_key"], VerificationToken: "other", Handler: &recorder{}})
	if code, body := postRaw(t, a, `{"encrypt":"`+v["encrypt"]+`"}`, nil); code != 403 || strings.Contains(body, "1212") {
		t.Errorf("wrong token: %d %s", code, body)
	}
}

// A schema 1.0 event carries its token at the top level and its type in
// event.type; it is acknowledged (loopbot subscribes to none) when the
// token is right.
func TestSchema1EventToken(t *testing.T) {
	rec := &recorder{}
	a := New(Config{Mode: ModeWebhook, VerificationToken: "tok", Handler: rec})
	body := `{"ts":"1502199207.7171419","uuid":"bc447199585340d1f3728d26b1c0297a","token":"tok","type":"event_callback","event":{"type":"add_bot","app_id":"cli_x","chat_i18n_names":{},"chat_name":"g","chat_owner_employee_id":"","chat_owner_name":"","chat_owner_open_id":"ou_x","open_chat_id":"oc_x","operator_employee_id":"","operator_name":"x","operator_open_id":"ou_x","owner_is_bot":false,"tenant_key":"t"}}`
	if code, resp := postRaw(t, a, body, nil); code != 200 {
		t.Errorf("schema 1.0 event with the right token: %d %s", code, resp)
	}
	if code, _ := postRaw(t, a, strings.Replace(body, `"token":"tok"`, `"token":"bad"`, 1), nil); code != 403 {
		t.Errorf("schema 1.0 event with a wrong token: %d", code)
	}
	if len(rec.got()) != 0 {
		t.Error("a schema 1.0 event reached the engine")
	}
}

// A card callback that is not for loopbot (the official sample's own
// value) is answered with an empty JSON object, the card callback's "no
// change" answer, not an event acknowledgement.
func TestForeignCardActionAnswer(t *testing.T) {
	raw := string(readFixture(t, "card.action.trigger.json"))
	a := New(Config{Mode: ModeWebhook, VerificationToken: "066zT6pS4QCbgj5Do145GfDbbag*****", Handler: &recorder{}})
	code, body := postRaw(t, a, raw, nil)
	if code != 200 || body != `{}` {
		t.Errorf("got %d %s, want 200 {}", code, body)
	}
	// A string value (the docs allow string or object) is no error either.
	str := strings.Replace(raw, `"value": {
                "key": "value"
            },`, `"value": "just a string",`, 1)
	if str == raw {
		t.Fatal("fixture changed")
	}
	code, body = postRaw(t, a, str, nil)
	if code != 200 || body != `{}` {
		t.Errorf("string value: got %d %s, want 200 {}", code, body)
	}
}

// deadlineHandler records the deadline each event is handled under.
type deadlineHandler struct {
	mu        sync.Mutex
	deadlines []time.Duration // time left; -1 without a deadline
}

func (h *deadlineHandler) Handle(ctx context.Context, ev bot.Event) (bot.Response, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	left := time.Duration(-1)
	if dl, ok := ctx.Deadline(); ok {
		left = time.Until(dl)
	}
	h.deadlines = append(h.deadlines, left)
	return bot.Response{Toast: "ok"}, nil
}

// Feishu waits 3 s for an answer on the long connection as over HTTP
// (card-callback-communication): the engine handles each event under a
// deadline within it, in both modes.
func TestAnswerDeadlineInBothModes(t *testing.T) {
	for _, mode := range []string{ModeWebhook, ModeWebSocket} {
		t.Run(mode, func(t *testing.T) {
			fake, a, _ := setup(t, mode)
			h := &deadlineHandler{}
			a.SetHandler(h)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			click := fake.CardAction("ev-dl", "ou_alice", "om_5", "", map[string]any{"action": "accept", "token": "t"}, nil)
			if mode == ModeWebhook {
				srv := httptest.NewServer(a)
				defer srv.Close()
				if code, body, err := feishufake.Post(ctx, srv.URL, fake.Seal(click, time.Now())); err != nil || code != 200 {
					t.Fatalf("%d %s %v", code, body, err)
				}
			} else {
				a.Start(ctx)
				defer a.Close()
				if resp, err := fake.Push(ctx, click, 0); err != nil || resp.StatusCode != 200 {
					t.Fatalf("%+v %v", resp, err)
				}
			}
			h.mu.Lock()
			defer h.mu.Unlock()
			if len(h.deadlines) != 1 || h.deadlines[0] < 0 || h.deadlines[0] > 3*time.Second {
				t.Errorf("time left to answer %v, want a deadline within 3 s", h.deadlines)
			}
		})
	}
}

// Over the long connection too, a card callback that is not loopbot's is
// answered with {} in the response data.
func TestForeignCardActionOverLongConnection(t *testing.T) {
	fake, a, rec := setup(t, ModeWebSocket)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a.Start(ctx)
	defer a.Close()
	resp, err := fake.Push(ctx, readFixture(t, "card.action.trigger.json"), 0)
	if err != nil || resp.StatusCode != 200 || string(resp.Data) != "{}" {
		t.Errorf("answer %+v %s %v, want 200 with data {}", resp, resp.Data, err)
	}
	if len(rec.got()) != 0 {
		t.Error("a foreign click reached the engine")
	}
}

// A base URL that answers, but not as Feishu's OpenAPI (a wrong host or a
// path such as .../open-apis added twice), is reported as the base URL,
// not as wrong credentials.
func TestCheckWrongBaseURL(t *testing.T) {
	for name, h := range map[string]http.HandlerFunc{
		"text 404": http.NotFound,
		"json 404": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"code":404,"msg":"page not found"}`))
		},
		"html 200": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte(`<html>welcome</html>`))
		},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(h)
			defer srv.Close()
			a := New(Config{AppID: "cli_x", AppSecret: "secret", BaseURL: srv.URL})
			_, err := a.Check(context.Background())
			if err == nil || !strings.Contains(err.Error(), "feishu.base_url") || strings.Contains(err.Error(), "app_secret") {
				t.Errorf("got %v, want an error naming feishu.base_url", err)
			}
		})
	}
}

// A field's value is plain text: a line of it that starts like a list item,
// a heading's underline or an indented block shows as typed.
func TestFieldValueLinesStayLiteral(t *testing.T) {
	got := renderFields([]bot.Field{{Label: "Reason", Value: "moved\n1. the review\n- later\n+ x\n    code\n==="}})
	want := "**Reason**：moved\n1&#46; the review\n&#45; later\n&#43; x\n&#32;&#32;&#32;&#32;code\n&#61;=="
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// While the bot's own open_id is unknown (the bot-info API not answered
// yet), a group message that starts with a mention is taken as addressed
// to the bot by it: with the scope im:message.group_at_msg Feishu delivers
// only group messages that @ the bot, and a command reads "@bot /command".
// The mention may look like anyone's (the official sample's shape).
func TestUnknownSelfLeadingMention(t *testing.T) {
	raw := strings.Replace(string(readFixture(t, "im.message.receive_v1.json")), `@_user_1 hello`, `@_user_1 /project new 官网 @_user_2`, 1)
	raw = strings.Replace(raw, `"mentions": [`, `"mentions": [{"key": "@_user_2", "id": {"open_id": "ou_bob", "union_id": "on_bob", "user_id": "bob"}, "mentioned_type": "user", "name": "李博"},`, 1)
	env, err := parseEnvelope([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := testDecoder("").decode(env)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Text != "/project new 官网 @feishu:ou_bob" || ev.Names["feishu:ou_bob"] != "李博" {
		t.Errorf("text %q names %v", ev.Text, ev.Names)
	}
	// Once the bot is known, the same message does not mention it.
	if _, err := testDecoder("ou_the_bot").decode(env); err != errIgnored {
		t.Errorf("known bot: %v, want errIgnored", err)
	}
	// A group message that mentions someone later on is not taken as the
	// bot's.
	later := strings.Replace(raw, `@_user_1 /project new 官网 @_user_2`, `hi @_user_2`, 1)
	env, _ = parseEnvelope([]byte(later))
	if _, err := testDecoder("").decode(env); err != errIgnored {
		t.Errorf("no leading mention: %v, want errIgnored", err)
	}
}
