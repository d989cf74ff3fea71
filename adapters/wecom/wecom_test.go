package wecom

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/store"
)

// The official vector (path/90968, fixtures/wecom/test_vector.txt).
const (
	vecCorpID = "wx5823bf96d3bd56c7"
	vecToken  = "QDG6eK"
	vecAESKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	vecEcho   = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "shared", "fixtures", "wecom", name))
	if err != nil {
		b, err = os.ReadFile(filepath.Join("/work/shared/fixtures/wecom", name))
	}
	if err != nil {
		t.Skipf("fixture %s: %v", name, err)
	}
	return b
}

// recorder is a Handler that keeps the events it gets.
type recorder struct {
	mu     sync.Mutex
	events []bot.Event
	resp   bot.Response
}

func (r *recorder) Handle(ctx context.Context, ev bot.Event) (bot.Response, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
	return r.resp, nil
}

func (r *recorder) all() []bot.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bot.Event(nil), r.events...)
}

type testEnv struct {
	a     *Adapter
	db    *store.DB
	clock *bot.FakeClock
	rec   *recorder
	srv   *httptest.Server
}

func newEnv(t *testing.T, at time.Time, corpID, token, key string, agent int) *testEnv {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "t.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock := bot.NewFakeClock(at)
	a, err := New(Config{CorpID: corpID, AgentID: agent, Secret: "s", Token: token, EncodingAESKey: key, Store: db, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	a.SetHandler(rec)
	mux := http.NewServeMux()
	a.Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &testEnv{a: a, db: db, clock: clock, rec: rec, srv: srv}
}

func vectorEnv(t *testing.T, unix int64) *testEnv {
	return newEnv(t, time.Unix(unix, 0), vecCorpID, vecToken, vecAESKey, 218)
}

func (e *testEnv) post(t *testing.T, q url.Values, body string) int {
	t.Helper()
	resp, err := http.Post(e.srv.URL+CallbackPath+"?"+q.Encode(), "text/xml", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// state is everything the adapter keeps, to check that a refused request
// changed nothing.
func (e *testEnv) state(t *testing.T) map[string][]byte {
	t.Helper()
	var out map[string][]byte
	_ = e.db.View(context.Background(), func(tx bot.Tx) (err error) {
		out, err = tx.MetaPrefix("wecom/")
		return err
	})
	return out
}

func TestOfficialVectorURLVerification(t *testing.T) {
	e := vectorEnv(t, 1409659589)
	q := url.Values{"msg_signature": {"5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3"}, "timestamp": {"1409659589"},
		"nonce": {"263014780"}, "echostr": {vecEcho}}
	resp, err := http.Get(e.srv.URL + CallbackPath + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := new(strings.Builder)
	_, _ = bufCopy(buf, resp)
	if resp.StatusCode != 200 || buf.String() != "1616140317555161061" {
		t.Fatalf("URL verification: %d %q, want 200 1616140317555161061", resp.StatusCode, buf.String())
	}
	q.Set("msg_signature", "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd4")
	resp2, _ := http.Get(e.srv.URL + CallbackPath + "?" + q.Encode())
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusForbidden {
		t.Errorf("tampered echostr signature: %d, want 403", resp2.StatusCode)
	}
}

func bufCopy(b *strings.Builder, resp *http.Response) (int64, error) {
	raw := make([]byte, 4096)
	n, _ := resp.Body.Read(raw)
	b.Write(raw[:n])
	return int64(n), nil
}

func vectorQuery() url.Values {
	return url.Values{"msg_signature": {"477715d11cdb4164915debcba66cb864d751f3e6"}, "timestamp": {"1409659813"}, "nonce": {"1372623149"}}
}

func TestOfficialVectorMessage(t *testing.T) {
	e := vectorEnv(t, 1409659813)
	body := string(fixture(t, "callback_post.body.xml"))
	m, err := e.a.Open(vectorQuery().Get("msg_signature"), "1409659813", "1372623149", []byte(body))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	want := strings.TrimRight(string(fixture(t, "callback_decrypted.plaintext.xml")), "\n")
	plain, _ := e.a.crypto.Decrypt(envelopeOf(t, body))
	if string(plain) != want {
		t.Errorf("plaintext %q, want %q", plain, want)
	}
	if m.FromUserName != "mycreate" || m.Content != "hello" || m.MsgID != "4561255354251345929" || m.MsgType != "text" {
		t.Errorf("message %+v", m)
	}
	if code := e.post(t, vectorQuery(), body); code != 200 {
		t.Fatalf("POST: %d, want 200", code)
	}
	if err := e.a.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	evs := e.rec.all()
	if len(evs) != 1 || evs[0].Text != "hello" || evs[0].From != "wecom:mycreate" || !evs[0].Chat.DM || evs[0].Kind != bot.EventMessage ||
		evs[0].ID != "wecom:msg:4561255354251345929" {
		t.Fatalf("events %+v", evs)
	}
	// WeCom re-delivers a callback it got no answer to: the same MsgId
	// changes nothing.
	if code := e.post(t, vectorQuery(), body); code != 200 {
		t.Fatalf("re-delivery: %d, want 200", code)
	}
	_ = e.a.Flush(context.Background())
	if n := len(e.rec.all()); n != 1 {
		t.Errorf("re-delivered callback handled again: %d events", n)
	}
}

func envelopeOf(t *testing.T, body string) string {
	t.Helper()
	i, j := strings.Index(body, "<Encrypt><![CDATA["), strings.Index(body, "]]></Encrypt>")
	return body[i+len("<Encrypt><![CDATA[") : j]
}

// TestRefusedCallbacks: a tampered signature, a wrong corp id, a stale or
// future timestamp and garbage are each refused, with no state change.
func TestRefusedCallbacks(t *testing.T) {
	body := string(fixture(t, "callback_post.body.xml"))
	other, _ := NewCrypto(vecToken, vecAESKey, "wwOTHERCORP")
	plain := fixture(t, "callback_decrypted.plaintext.xml")
	enc, err := other.Encrypt(plain)
	if err != nil {
		t.Fatal(err)
	}
	wrongCorp := "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[" + enc + "]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>"
	wrongCorpQ := url.Values{"msg_signature": {other.Signature("1409659813", "1", enc)}, "timestamp": {"1409659813"}, "nonce": {"1"}}
	tampered := vectorQuery()
	tampered.Set("msg_signature", "577715d11cdb4164915debcba66cb864d751f3e6")
	tamperedBody := strings.Replace(body, "RypEvHKD8QQ", "SypEvHKD8QQ", 1)
	cases := []struct {
		name string
		at   int64
		q    url.Values
		body string
		want int
	}{
		{"tampered signature", 1409659813, tampered, body, 403},
		{"tampered ciphertext", 1409659813, vectorQuery(), tamperedBody, 403},
		{"wrong corp id", 1409659813, wrongCorpQ, wrongCorp, 403},
		{"stale timestamp", 1409659813 + 301, vectorQuery(), body, 403},
		{"from the future", 1409659813 - 120, vectorQuery(), body, 403},
		{"not XML", 1409659813, vectorQuery(), "hello", 400},
		{"no signature", 1409659813, url.Values{"timestamp": {"1409659813"}}, body, 403},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := vectorEnv(t, c.at)
			before := e.state(t)
			if code := e.post(t, c.q, c.body); code != c.want {
				t.Errorf("status %d, want %d", code, c.want)
			}
			_ = e.a.Flush(context.Background())
			if n := len(e.rec.all()); n != 0 {
				t.Errorf("%d events handled", n)
			}
			if after := e.state(t); len(after) != len(before) {
				t.Errorf("state changed: %d keys before, %d after", len(before), len(after))
			}
			var seen bool
			_ = e.db.View(context.Background(), func(tx bot.Tx) (err error) {
				seen, err = tx.SeenEvent(eventInbox + "msg:4561255354251345929")
				return err
			})
			if seen {
				t.Error("the refused message was marked as seen")
			}
		})
	}
}

func TestCryptoRoundTrip(t *testing.T) {
	c, err := NewCrypto(vecToken, vecAESKey, vecCorpID)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := c.Encrypt([]byte("<xml>你好</xml>"))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := c.Decrypt(enc)
	if err != nil || string(plain) != "<xml>你好</xml>" {
		t.Fatalf("round trip: %q, %v", plain, err)
	}
	for _, bad := range []string{"", "!!!", "AAAA", strings.Repeat("A", 44)} {
		if _, err := c.Decrypt(bad); err == nil {
			t.Errorf("Decrypt(%q) accepted", bad)
		}
	}
	if _, err := NewCrypto(vecToken, "short", vecCorpID); err == nil {
		t.Error("a short EncodingAESKey was accepted")
	}
}
