package dingtalk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-dingtalk/dingtalk-stream-sdk-go/payload"

	"github.com/loopbot/loopbot/adapters/dingtalk/dingtalktest"
	"github.com/loopbot/loopbot/bot"
)

const fixtures = "testdata/fixtures"

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// httpBody returns the body of an .http fixture: what follows the first
// blank line.
func httpBody(t *testing.T, name string) []byte {
	raw := bytes.ReplaceAll(fixture(t, name), []byte("\r\n"), []byte("\n"))
	_, body, ok := bytes.Cut(raw, []byte("\n\n"))
	if !ok {
		t.Fatalf("%s has no body", name)
	}
	return body
}

// handlerFunc adapts a function to Handler.
type handlerFunc func(ctx context.Context, ev bot.Event) (bot.Response, error)

func (f handlerFunc) Handle(ctx context.Context, ev bot.Event) (bot.Response, error) {
	return f(ctx, ev)
}

// recorder is a Handler that keeps the events it was given.
type recorder struct {
	mu     sync.Mutex
	events []bot.Event
}

func (r *recorder) Handle(_ context.Context, ev bot.Event) (bot.Response, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
	return bot.Response{}, nil
}

func (r *recorder) all() []bot.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// connect runs an adapter against the fake until the test ends.
func connect(t *testing.T, f *dingtalktest.Fake, h Handler) *Adapter {
	t.Helper()
	return connectWith(t, f, Config{}, h)
}

// connectWith is connect with more of the config (templates, store); the
// fake's credentials and URL are filled in.
func connectWith(t *testing.T, f *dingtalktest.Fake, cfg Config, h Handler) *Adapter {
	t.Helper()
	cfg.ClientID, cfg.ClientSecret, cfg.OpenAPIHost = f.ClientID, f.ClientSecret, f.URL
	a := New(cfg, h)
	a.stream.MinBackoff = 10 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	if err := f.WaitConnections(1); err != nil {
		t.Fatal(err)
	}
	return a
}

func newFake(t *testing.T) *dingtalktest.Fake {
	f := dingtalktest.New("dingclient", "s3cret")
	t.Cleanup(f.Close)
	return f
}

// sameJSON asserts that two JSON texts hold the same value.
func sameJSON(t *testing.T, what, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("%s: %q is not JSON: %v", what, got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("%s = %s, want %s", what, gb, wb)
	}
}

// checkAck compares an answer with a documented ack: the code, the
// content type, the frame's own messageId, and the data.
func checkAck(t *testing.T, got dingtalktest.Ack, ackFixture, messageID string) {
	t.Helper()
	var want dingtalktest.Ack
	if err := json.Unmarshal(fixture(t, ackFixture), &want); err != nil {
		t.Fatal(err)
	}
	if got.Code != want.Code || got.Headers["contentType"] != want.Headers["contentType"] || got.Headers["messageId"] != messageID {
		t.Errorf("ack = %+v, want code %d, contentType %s, messageId %s", got, want.Code, want.Headers["contentType"], messageID)
	}
	sameJSON(t, "ack data", got.Data, want.Data)
}

// checkAckData checks an answer's code, headers and message as the
// documented acks have them, and its data.
func checkAckData(t *testing.T, got dingtalktest.Ack, messageID, data string) {
	t.Helper()
	if got.Code != 200 || got.Message != "OK" || got.Headers["contentType"] != "application/json" || got.Headers["messageId"] != messageID {
		t.Errorf("ack = %+v, want code 200, message OK, contentType application/json, messageId %s", got, messageID)
	}
	sameJSON(t, "ack data", got.Data, data)
}

func TestConnectionsOpenExchange(t *testing.T) {
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1.0/gateway/connections/open" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request %s %s %s", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
		}
		if ua := r.Header.Get("User-Agent"); ua != "loopbot/1.2.3" {
			t.Errorf("User-Agent = %q", ua)
		}
		_ = json.NewDecoder(r.Body).Decode(&got)
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
		w.Write(httpBody(t, "stream_connections_open.response.http"))
	}))
	defer srv.Close()
	a := New(Config{ClientID: "dingclient", ClientSecret: "s3cret", OpenAPIHost: srv.URL, Version: "1.2.3"}, &recorder{})
	ep, err := a.stream.Endpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if ep.Endpoint != "wss://wss-open-connection.dingtalk.com:443/connect" || ep.Ticket != "7724109a-ea43-4aa2-b803-87d82c5aaee6" {
		t.Errorf("endpoint = %+v", ep)
	}
	// The request has exactly the documented fields, with our credentials,
	// every EVENT and the two CALLBACK topics, in the doc's order.
	var doc map[string]any
	if err := json.Unmarshal(httpBody(t, "stream_connections_open.request.http"), &doc); err != nil {
		t.Fatal(err)
	}
	for k := range doc {
		if _, ok := got[k]; !ok {
			t.Errorf("request lacks %q: %v", k, got)
		}
	}
	for k := range got {
		if _, ok := doc[k]; !ok {
			t.Errorf("request has %q, which the doc has not: %v", k, got)
		}
	}
	// The ua field names loopbot, as the SDKs' name themselves
	// ("dingtalk-sdk-java/1.0.2" in the doc).
	if got["clientId"] != "dingclient" || got["clientSecret"] != "s3cret" || got["ua"] != "loopbot/1.2.3" {
		t.Errorf("request = %v", got)
	}
	var topics []string
	for _, s := range got["subscriptions"].([]any) {
		m := s.(map[string]any)
		topics = append(topics, m["type"].(string)+" "+m["topic"].(string))
	}
	want := []string{"EVENT *", "CALLBACK /v1.0/im/bot/messages/get", "CALLBACK /v1.0/card/instances/callback"}
	if !slices.Equal(topics, want) {
		t.Errorf("subscriptions = %v, want %v", topics, want)
	}
}

func TestChatbotMessageFrame(t *testing.T) {
	f, rec := newFake(t), &recorder{}
	connect(t, f, rec)
	if err := f.Push(fixture(t, "stream_chatbot_message.frame.json")); err != nil {
		t.Fatal(err)
	}
	ack, err := f.WaitAck("212ca9d7_974_1898c159aa6_1783b")
	if err != nil {
		t.Fatal(err)
	}
	checkAck(t, ack, "stream_chatbot_message.ack.json", "212ca9d7_974_1898c159aa6_1783b")
	evs := rec.all()
	if len(evs) != 1 {
		t.Fatalf("%d events", len(evs))
	}
	ev := evs[0]
	want := bot.Event{
		ID: "dingtalk:msgLICYe****HgY4JtMQw==", Platform: "dingtalk", Kind: bot.EventMessage,
		From: "dingtalk:16650***698", FromName: "用户", Chat: bot.Group("dingtalk", "cidAsXSBLnA=="),
		Time: time.UnixMilli(1690362102194), Text: "测试数据",
	}
	if fmt.Sprint(ev) != fmt.Sprint(want) {
		t.Errorf("event = %+v\nwant    %+v", ev, want)
	}
}

func TestChatbotMessageMentionsAndDirectChat(t *testing.T) {
	f := newFake(t)
	data := f.Message("m1", "staff1", "Alice", "cidGroup", true, " /task new 接口文档 @Bob due:fri", "staff2")
	df := dingtalktest.Frame("/v1.0/im/bot/messages/get", "frame-1", data)
	a := New(Config{ClientID: "x", ClientSecret: "y", OpenAPIHost: f.URL}, &recorder{})
	raw, _ := json.Marshal(df)
	ev := decodeEvent(t, a, raw)
	if ev.Text != "/task new 接口文档 due:fri @dingtalk:staff2" || ev.Chat != bot.Group("dingtalk", "cidGroup") {
		t.Errorf("group event = %+v", ev)
	}
	if _, ok := a.session(ev.Chat); !ok {
		t.Error("the sessionWebhook was not kept")
	}
	data = f.Message("m2", "staff1", "Alice", "cidDM", false, "/help")
	raw, _ = json.Marshal(dingtalktest.Frame("/v1.0/im/bot/messages/get", "frame-2", data))
	if ev := decodeEvent(t, a, raw); ev.Chat != bot.DM("dingtalk:staff1") || ev.Text != "/help" {
		t.Errorf("direct event = %+v", ev)
	}
}

func decodeEvent(t *testing.T, a *Adapter, raw []byte) bot.Event {
	t.Helper()
	var got bot.Event
	a.handler = handlerFunc(func(_ context.Context, ev bot.Event) (bot.Response, error) { got = ev; return bot.Response{}, nil })
	df := mustFrame(t, raw)
	if resp := a.handleFrame(context.Background(), df); resp.Code != 200 {
		t.Fatalf("answer %+v", resp)
	}
	return got
}

func TestCardCallbackFrame(t *testing.T) {
	f, rec := newFake(t), &recorder{}
	connect(t, f, rec)
	// The tutorial's callback is not a loopbot card (no token): it is
	// answered, and nothing is handled.
	if err := f.Push(fixture(t, "stream_card_callback.frame.json")); err != nil {
		t.Fatal(err)
	}
	ack, err := f.WaitAck("xxxx")
	if err != nil {
		t.Fatal(err)
	}
	checkAck(t, ack, "stream_generic.ack.json", "xxxx")
	if n := len(rec.all()); n != 0 {
		t.Errorf("a foreign card callback made %d events", n)
	}
	// A loopbot card's callback carries the action, its token and the form.
	data := dingtalktest.CardCallback("staff7", "loopbot-42", map[string]string{"action": "decline", "token": "signed", "reason": "太忙"})
	if err := f.Push(dingtalktest.Frame("/v1.0/card/instances/callback", "cb-1", data)); err != nil {
		t.Fatal(err)
	}
	ack, err = f.WaitAck("cb-1")
	if err != nil {
		t.Fatal(err)
	}
	// The answer is the SDK's {"response": CardResponse}: no card change
	// (the handler answered nothing), and the clicker's toast cleared.
	checkAckData(t, ack, "cb-1", `{"response":{"cardData":null,"cardUpdateOptions":{"updateCardDataByKey":false,"updatePrivateDataByKey":true},"userPrivateData":{"cardParamMap":{"toast":""}}}}`)
	evs := rec.all()
	if len(evs) != 1 {
		t.Fatalf("%d events", len(evs))
	}
	ev := evs[0]
	if ev.Kind != bot.EventAction || ev.From != "dingtalk:staff7" || ev.ID != "dingtalk:cb-1" || ev.Action.Name != "decline" ||
		ev.Action.Token != "signed" || ev.Action.Form["reason"] != "太忙" || len(ev.Action.Form) != 1 || ev.Action.MessageRef != "card:loopbot-42" {
		t.Errorf("event = %+v, action %+v", ev, ev.Action)
	}
}

func TestEventFrameIsAcked(t *testing.T) {
	f := newFake(t)
	connect(t, f, &recorder{})
	if err := f.Push(fixture(t, "stream_event.frame.example1.json")); err != nil {
		t.Fatal(err)
	}
	ack, err := f.WaitAck("213d841d_972_1898bb26334_70a7")
	if err != nil {
		t.Fatal(err)
	}
	checkAck(t, ack, "stream_event.ack.json", "213d841d_972_1898bb26334_70a7")
}

// TestOtherCallbackGetsTheGenericAck: a CALLBACK of a topic loopbot does
// not handle is answered with protocol.md's generic ack, {"response": {}}.
func TestOtherCallbackGetsTheGenericAck(t *testing.T) {
	a := New(Config{ClientID: "id", ClientSecret: "secret", OpenAPIHost: "http://127.0.0.1:0"}, &recorder{})
	df, err := decodeFrame([]byte(`{"specVersion":"1.0","type":"CALLBACK","headers":{"topic":"/v1.0/other/callback","messageId":"213d841d_972_1898bb26334_70a7","contentType":"application/json"},"data":"{}"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp := a.stream.answer(context.Background(), df)
	got := dingtalktest.Ack{Code: resp.Code, Headers: resp.Headers, Message: resp.Message, Data: resp.Data}
	checkAck(t, got, "stream_generic.ack.json", "213d841d_972_1898bb26334_70a7")
}

var trailingComma = regexp.MustCompile(`,(\s*})`)

// TestDocumentedFrameVariants: the doc's ping, verbatim with its trailing
// commas, and its second EVENT example, whose headers are named "header",
// are both answered as the doc shows.
func TestDocumentedFrameVariants(t *testing.T) {
	f := newFake(t)
	connect(t, f, &recorder{})
	if err := f.Push(fixture(t, "stream_system_ping.frame.json")); err != nil {
		t.Fatal(err)
	}
	ack, err := f.WaitAck("213d841d_972_1898bb26334_70a7")
	if err != nil {
		t.Fatal(err)
	}
	checkAck(t, ack, "stream_system_ping.ack.json", "213d841d_972_1898bb26334_70a7")
	f2 := newFake(t)
	connect(t, f2, &recorder{})
	if err := f2.Push(fixture(t, "stream_event.frame.example2.json")); err != nil {
		t.Fatal(err)
	}
	ack, err = f2.WaitAck("213d841d_972_1898bb26334_70a7")
	if err != nil {
		t.Fatal(err)
	}
	checkAck(t, ack, "stream_event.ack.json", "213d841d_972_1898bb26334_70a7")
}

func TestPing(t *testing.T) {
	f := newFake(t)
	connect(t, f, &recorder{})
	// The doc's ping has trailing commas; the gateway sends valid JSON.
	ping := trailingComma.ReplaceAll(fixture(t, "stream_system_ping.frame.json"), []byte("$1"))
	if err := f.Push(ping); err != nil {
		t.Fatal(err)
	}
	ack, err := f.WaitAck("213d841d_972_1898bb26334_70a7")
	if err != nil {
		t.Fatal(err)
	}
	checkAck(t, ack, "stream_system_ping.ack.json", "213d841d_972_1898bb26334_70a7")
}

// TestDisconnectFinishesFramesInHand: a SYSTEM disconnect while a frame
// is being handled lets it finish and be answered on the old connection,
// then the adapter connects again.
func TestDisconnectFinishesFramesInHand(t *testing.T) {
	f := newFake(t)
	release, started := make(chan struct{}), make(chan struct{})
	connect(t, f, handlerFunc(func(context.Context, bot.Event) (bot.Response, error) {
		close(started)
		<-release
		return bot.Response{}, nil
	}))
	msg := f.Message("slow", "staff1", "A", "cidDM", false, "/help")
	if err := f.Push(dingtalktest.Frame("/v1.0/im/bot/messages/get", "slow-frame", msg)); err != nil {
		t.Fatal(err)
	}
	<-started
	if err := f.Push(fixture(t, "stream_system_disconnect.frame.json")); err != nil {
		t.Fatal(err)
	}
	close(release)
	if _, err := f.WaitAck("slow-frame"); err != nil {
		t.Fatal(err)
	}
	if err := f.WaitConnections(2); err != nil {
		t.Fatal(err)
	}
	if n := len(f.AcksFor("slow-frame")); n != 1 {
		t.Errorf("slow frame answered %d times", n)
	}
}

// TestReconnectAfterADrop: a dropped connection is opened again, and frames
// on the new one are handled.
func TestReconnectAfterADrop(t *testing.T) {
	f, rec := newFake(t), &recorder{}
	connect(t, f, rec)
	f.Drop()
	if err := f.WaitConnections(2); err != nil {
		t.Fatal(err)
	}
	msg := f.Message("after", "staff1", "A", "cidDM", false, "/help")
	if err := f.Push(dingtalktest.Frame("/v1.0/im/bot/messages/get", "after-drop", msg)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WaitAck("after-drop"); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.all()); n != 1 {
		t.Errorf("%d events after the reconnect", n)
	}
}

// TestFiveHundredFramesEachAckedOnce pushes 500 frames back to back —
// chatbot messages, card clicks, EVENTs and SYSTEM pings mixed, so that the
// answers of handlers, of the reader and of the ping all meet — and each
// is answered exactly once, from the one writer (run with -race: the SDK's
// own loop writes from a goroutine per frame, which gorilla/websocket does
// not allow).
func TestFiveHundredFramesEachAckedOnce(t *testing.T) {
	f := newFake(t)
	var handled atomic.Int64
	connect(t, f, handlerFunc(func(_ context.Context, ev bot.Event) (bot.Response, error) {
		handled.Add(1)
		return bot.Response{}, nil
	}))
	const n = 500
	want := 0
	for i := range n {
		id := fmt.Sprintf("f%d", i)
		var frame any
		switch {
		case i%10 == 3:
			frame = map[string]any{"type": "SYSTEM", "headers": map[string]string{"topic": "ping", "messageId": id, "contentType": "application/json"},
				"data": `{"opaque":"` + id + `"}`}
		case i%10 == 7:
			frame = map[string]any{"specVersion": "1.0", "type": "EVENT", "headers": map[string]string{"topic": "dingTalk", "messageId": id,
				"contentType": "application/json", "eventType": "user_add_org"}, "data": `{"userId":["u1"]}`}
		case i%10 == 5:
			want++
			frame = dingtalktest.Frame("/v1.0/card/instances/callback", id,
				dingtalktest.CardCallback("staff1", "k1", map[string]string{"action": "accept", "token": "tok"}))
		default:
			want++
			frame = dingtalktest.Frame("/v1.0/im/bot/messages/get", id, f.Message("m"+id, "staff1", "A", "cidDM", false, "/help"))
		}
		if err := f.Push(frame); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Wait("500 answers", func() bool { return len(f.Acks()) >= n }); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, a := range f.Acks() {
		seen[a.MessageID]++
		if a.Code != 200 || a.Message != "OK" || a.Headers["contentType"] != "application/json" {
			t.Errorf("ack %+v", a)
		}
	}
	for i := range n {
		if c := seen[fmt.Sprintf("f%d", i)]; c != 1 {
			t.Errorf("frame f%d answered %d times", i, c)
		}
	}
	if handled.Load() != int64(want) || f.Connections() != 1 {
		t.Errorf("handled %d of %d, connections %d", handled.Load(), want, f.Connections())
	}
}

// TestStoreFailureIsNotAcked: an event the store could not take is answered
// 500, so that DingTalk pushes it again.
func TestStoreFailureIsNotAcked(t *testing.T) {
	f := newFake(t)
	connect(t, f, handlerFunc(func(context.Context, bot.Event) (bot.Response, error) {
		return bot.Response{}, io.ErrUnexpectedEOF
	}))
	msg := f.Message("m", "staff1", "A", "cidDM", false, "/help")
	if err := f.Push(dingtalktest.Frame("/v1.0/im/bot/messages/get", "fail", msg)); err != nil {
		t.Fatal(err)
	}
	ack, err := f.WaitAck("fail")
	if err != nil {
		t.Fatal(err)
	}
	if ack.Code != 500 || strings.Contains(ack.Message, "EOF") {
		t.Errorf("ack = %+v", ack)
	}
}

func mustFrame(t *testing.T, raw []byte) *payload.DataFrame {
	t.Helper()
	df, err := payload.DecodeDataFrame(raw)
	if err != nil {
		t.Fatal(err)
	}
	return df
}
