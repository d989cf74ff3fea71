package wecom

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// officialRequest reads fixtures/wecom/callback_post.request.http as WeCom's
// sample gives it: the request line's query (written "wxpush? msg_signature=…",
// with a space), then headers, then the body with no blank line between.
func officialRequest(t *testing.T) (url.Values, []byte) {
	t.Helper()
	raw := fixture(t, "callback_post.request.http")
	sc := bufio.NewReader(bytes.NewReader(raw))
	line, _ := sc.ReadString('\n')
	fields := strings.Fields(strings.TrimSpace(line))
	// POST /cgi-bin/wxpush? msg_signature=…&timestamp=…&nonce=… HTTP/1.1
	query := ""
	for _, f := range fields[1 : len(fields)-1] {
		if _, q, ok := strings.Cut(f, "?"); ok {
			query += q
		} else {
			query += f
		}
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	for {
		l, err := sc.ReadString('\n')
		if strings.HasPrefix(l, "<") || body.Len() > 0 {
			body.WriteString(l)
		}
		if err == io.EOF {
			break
		}
	}
	return q, body.Bytes()
}

// TestOfficialRequestReplayed posts WeCom's sample request, query and body
// exactly as the sample has them, to the running callback handler.
func TestOfficialRequestReplayed(t *testing.T) {
	q, body := officialRequest(t)
	if q.Get("msg_signature") != "477715d11cdb4164915debcba66cb864d751f3e6" {
		t.Fatalf("fixture query %v", q)
	}
	e := vectorEnv(t, 1409659813)
	resp, err := http.Post(e.srv.URL+CallbackPath+"?"+q.Encode(), "application/xml", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(got) != 0 {
		t.Fatalf("POST: %d %q, want 200 and an empty body", resp.StatusCode, got)
	}
	_ = e.a.Flush(context.Background())
	if evs := e.rec.all(); len(evs) != 1 || evs[0].Text != "hello" || evs[0].From != "wecom:mycreate" {
		t.Fatalf("events %+v", evs)
	}
}

// TestCallbackTimestampRealTime: WeCom stamps callbacks with the real time.
// With a playground fake clock set elsewhere (tests, demos), a callback
// stamped now is fresh; one stale by both clocks is refused.
func TestCallbackTimestampRealTime(t *testing.T) {
	e := newEnv(t, time.Date(2026, 9, 21, 8, 0, 0, 0, time.UTC), vecCorpID, vecToken, vecAESKey, 1)
	plain := "<xml><ToUserName><![CDATA[" + vecCorpID + "]]></ToUserName><FromUserName><![CDATA[bob]]></FromUserName>" +
		"<CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[/help]]></Content><MsgId>7</MsgId><AgentID>1</AgentID></xml>"
	enc, err := e.a.crypto.Encrypt([]byte(plain))
	if err != nil {
		t.Fatal(err)
	}
	body := "<xml><ToUserName><![CDATA[" + vecCorpID + "]]></ToUserName><Encrypt><![CDATA[" + enc + "]]></Encrypt><AgentID><![CDATA[1]]></AgentID></xml>"
	sealed := func(at time.Time) url.Values {
		ts := strconv.FormatInt(at.Unix(), 10)
		return url.Values{"msg_signature": {e.a.crypto.Signature(ts, "n", enc)}, "timestamp": {ts}, "nonce": {"n"}}
	}
	if code := e.post(t, sealed(time.Now().Add(-6*time.Minute)), body); code != 403 {
		t.Fatalf("stale by both clocks: %d, want 403", code)
	}
	if code := e.post(t, sealed(time.Now()), body); code != 200 {
		t.Fatalf("stamped with the real time: %d, want 200", code)
	}
	if code := e.post(t, sealed(e.clock.Now()), body); code != 200 {
		t.Fatalf("stamped with the app's clock: %d, want 200", code)
	}
	_ = e.a.Flush(context.Background())
	if n := len(e.rec.all()); n != 1 {
		t.Fatalf("%d events, want 1", n)
	}
}

// TestOfficialRequestQueryAsWritten: the sample's query, "? msg_signature=…",
// sent as written (the space escaped), still verifies.
func TestOfficialRequestQueryAsWritten(t *testing.T) {
	_, body := officialRequest(t)
	e := vectorEnv(t, 1409659813)
	u := e.srv.URL + CallbackPath + "?%20msg_signature=477715d11cdb4164915debcba66cb864d751f3e6&timestamp=1409659813&nonce=1372623149"
	resp, err := http.Post(u, "application/xml", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST: %d, want 200", resp.StatusCode)
	}
}

// TestSendOfficialResponse: message/send answers as its documented sample
// does (errcode 0, with invaliduser and unlicenseduser naming other
// members): a send to bob succeeds and keeps the response code; a send to a
// member the answer names as invalid or unlicensed is a permanent failure.
func TestSendOfficialResponse(t *testing.T) {
	e, log := apiEnv(t)
	sample := string(fixture(t, "message_send.response.json"))
	log.answer = func(p string) string {
		if p == "/cgi-bin/message/send" {
			return sample
		}
		return ""
	}
	ctx := context.Background()
	ref, err := e.a.Send(ctx, bot.OutMessage{Target: bot.DM("wecom:bob"), Card: ptr(assignedCard()), CardID: 5, IdemKey: "loopbot-9"})
	if err != nil {
		t.Fatalf("send to bob with the documented answer: %v", err)
	}
	if rc := e.a.takeRC(ctx, ref); rc != "xyzxyz" {
		t.Errorf("response code %q, want xyzxyz", rc)
	}
	for _, who := range []string{"userid2", "userid3"} {
		_, err := e.a.Send(ctx, bot.OutMessage{Target: bot.DM(bot.PersonID("wecom:" + who)), Text: "hi", IdemKey: "loopbot-10"})
		if temp, _ := bot.IsTemporary(err); err == nil || temp {
			t.Errorf("send to %s, named in the answer: %v, want a permanent error", who, err)
		}
	}
}

// TestSendErrcodes: token errors refresh the token once and resend; rate
// limits are retried later; a member who does not exist is permanent.
func TestSendErrcodes(t *testing.T) {
	for _, c := range []struct {
		first     string
		ok        bool
		temporary bool
	}{
		{`{"errcode":42001,"errmsg":"access_token expired"}`, true, false},
		{`{"errcode":40014,"errmsg":"invalid access_token"}`, true, false},
		{`{"errcode":45009,"errmsg":"api freq out of limit"}`, false, true},
		{`{"errcode":45033,"errmsg":"api concurrent out of limit"}`, false, true},
		{`{"errcode":81013,"errmsg":"user & party & tag all invalid"}`, false, false},
		{`{"errcode":60111,"errmsg":"userid not found"}`, false, false},
	} {
		e, log := apiEnv(t)
		log.answer = func(p string) string {
			if p == "/cgi-bin/message/send" && len(log.paths("/cgi-bin/message/send")) == 1 {
				return c.first
			}
			return ""
		}
		_, err := e.a.Send(context.Background(), bot.OutMessage{Target: bot.DM("wecom:bob"), Text: "hi", IdemKey: "loopbot-1"})
		sends := len(log.paths("/cgi-bin/message/send"))
		if c.ok {
			if err != nil || sends != 2 || len(log.paths("/cgi-bin/gettoken")) != 2 {
				t.Errorf("%s: %v after %d sends and %d gettoken, want a fresh token and one resend", c.first, err, sends, len(log.paths("/cgi-bin/gettoken")))
			}
			continue
		}
		if temp, _ := bot.IsTemporary(err); err == nil || temp != c.temporary || sends != 1 {
			t.Errorf("%s: %v (temporary %v, %d sends), want temporary %v", c.first, err, temp, sends, c.temporary)
		}
	}
}

// TestMessagesCounted: the outbox counts every message/send a delivery
// makes against WeCom's per-member limits: a check-in of four tasks is four
// messages (its list and three task cards), and a burst of check-ins to one
// member never puts more than 30 messages in a minute.
func TestMessagesCounted(t *testing.T) {
	e, log := apiEnv(t)
	checkin := bot.Card{Kind: bot.CardCheckin, Title: "Check-in", Actions: []bot.Action{{Name: "submit", Label: "Submit", Value: "s"}, {Name: "leave", Label: "Leave", Value: "l"}}}
	for _, code := range []string{"T1", "T2", "T3", "T4"} {
		checkin.Inputs = append(checkin.Inputs, bot.Input{Name: "progress." + code, Kind: bot.InputSelect, Value: "10"})
	}
	msg := bot.OutMessage{Target: bot.DM("wecom:bob"), Card: &checkin, CardID: 3, IdemKey: "loopbot-3"}
	if n := e.a.Messages(msg); n != 4 {
		t.Fatalf("Messages(check-in of 4 tasks) = %d, want 4", n)
	}
	if _, err := e.a.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	if sent := len(log.paths("/cgi-bin/message/send")); sent != 4 {
		t.Fatalf("Send posted %d messages, Messages said 4", sent)
	}
	if n := e.a.Messages(bot.OutMessage{Target: bot.DM("wecom:bob"), Text: strings.Repeat("word ", 300) + "\n" + strings.Repeat("more ", 400)}); n != 2 {
		t.Errorf("Messages(3500-byte text) = %d, want 2", n)
	}
	var _ bot.MessageCounter = e.a

	// The outbox with WeCom's limits: ten check-ins to bob at once.
	now := time.Date(2026, 9, 21, 9, 0, 0, 0, time.UTC)
	l := bot.NewLimiter(map[string][]bot.Limit{bot.WeCom: Limits()}, func() time.Time { return now })
	var at []time.Time
	for range 10 {
		for l.TakeN(msg.Target, e.a.Messages(msg)) != 0 {
			now = now.Add(time.Second)
		}
		for range 4 {
			at = append(at, now)
		}
	}
	for i := 0; i+30 < len(at); i++ {
		if at[i+30].Sub(at[i]) < time.Minute {
			t.Fatalf("31 messages within %s", at[i+30].Sub(at[i]))
		}
	}
}
