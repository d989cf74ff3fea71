package dingtalk

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/open-dingtalk/dingtalk-stream-sdk-go/card"

	"github.com/loopbot/loopbot/adapters/dingtalk/dingtalktest"
	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/store/storetest"
)

// cardAck decodes the data of a card callback's answer as the SDK's
// {"response": CardResponse}.
func cardAck(t *testing.T, ack dingtalktest.Ack) card.CardResponse {
	t.Helper()
	var out struct {
		Response *card.CardResponse `json:"response"`
	}
	if err := json.Unmarshal([]byte(ack.Data), &out); err != nil || out.Response == nil {
		t.Fatalf("ack data %q: %v", ack.Data, err)
	}
	return *out.Response
}

// click pushes a card callback and returns its answer.
func click(t *testing.T, f *dingtalktest.Fake, id string, data map[string]any) dingtalktest.Ack {
	t.Helper()
	if err := f.Push(dingtalktest.Frame("/v1.0/card/instances/callback", id, data)); err != nil {
		t.Fatal(err)
	}
	ack, err := f.WaitAck(id)
	if err != nil {
		t.Fatal(err)
	}
	return ack
}

// TestCardCallbackAnswerCarriesTheNewCard: a click the engine took is
// answered with the card's new variables, so that it changes at once.
func TestCardCallbackAnswerCarriesTheNewCard(t *testing.T) {
	f := newFake(t)
	done := assignCard
	done.Actions = nil
	connectWith(t, f, Config{Templates: map[string]string{"task": "tpl-task"}},
		handlerFunc(func(context.Context, bot.Event) (bot.Response, error) { return bot.Response{Card: &done}, nil }))
	ack := click(t, f, "cb-ok", dingtalktest.CardCallback("staff1", "k1", map[string]string{"action": "accept", "token": "tok"}))
	if ack.Code != 200 {
		t.Fatalf("ack = %+v", ack)
	}
	r := cardAck(t, ack)
	if r.CardData == nil || r.CardUpdateOptions == nil || !r.CardUpdateOptions.UpdateCardDataByKey {
		t.Fatalf("answer = %s", ack.Data)
	}
	p := r.CardData.CardParamMap
	if p["title"] != done.Title || p["finished"] != "true" || p["accept_show"] != "false" || p["ref_task"] != "T3" {
		t.Errorf("cardParamMap = %v", p)
	}
	if r.UserPrivateData == nil || r.UserPrivateData.CardParamMap["toast"] != "" {
		t.Errorf("userPrivateData = %+v", r.UserPrivateData)
	}
}

// TestRefusedClickToast: a refused click shows its reason to the clicker
// only (the private variable toast), and in their direct chat.
func TestRefusedClickToast(t *testing.T) {
	f := newFake(t)
	connectWith(t, f, Config{Templates: map[string]string{"task": "tpl-task"}},
		handlerFunc(func(context.Context, bot.Event) (bot.Response, error) {
			return bot.Response{Toast: "这张卡片是给 Bob 的。"}, nil
		}))
	r := cardAck(t, click(t, f, "cb-no", dingtalktest.CardCallback("staff9", "k1", map[string]string{"action": "accept", "token": "tok"})))
	if r.CardData != nil || r.UserPrivateData == nil || r.UserPrivateData.CardParamMap["toast"] != "这张卡片是给 Bob 的。" ||
		!r.CardUpdateOptions.UpdatePrivateDataByKey {
		t.Errorf("answer = %+v", r)
	}
	err := f.Wait("the toast in staff9's chat", func() bool {
		for _, c := range f.Calls(pathBatchSend) {
			if strings.Contains(callText(c), `"userIds":["staff9"]`) && strings.Contains(callText(c), "给 Bob 的") {
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatal(err)
	}
}

func callText(c dingtalktest.Call) string {
	b, _ := json.Marshal(c.Body)
	return string(b)
}

// TestCardCallbackByUnionID: a callback that names its clicker by unionId
// (userIdType 2) is mapped to the userId through topapi/user/getbyunionid
// once; the mapping is kept in the store, so a restarted adapter does not
// ask again.
func TestCardCallbackByUnionID(t *testing.T) {
	f := newFake(t)
	f.AddUnion("union-bob", "bob")
	db := storetest.Open(t)
	rec := &recorder{}
	connectWith(t, f, Config{Store: db}, rec)
	for _, id := range []string{"cb-u1", "cb-u2"} {
		ack := click(t, f, id, dingtalktest.CardCallbackAs(2, "union-bob", "k1", map[string]string{"action": "accept", "token": "tok"}))
		if ack.Code != 200 {
			t.Fatalf("ack = %+v", ack)
		}
	}
	evs := rec.all()
	if len(evs) != 2 || evs[0].From != "dingtalk:bob" || evs[1].From != "dingtalk:bob" {
		t.Fatalf("events = %+v", evs)
	}
	calls := f.Calls("/topapi/user/getbyunionid")
	if len(calls) != 1 || calls[0].Body["unionid"] != "union-bob" {
		t.Fatalf("getbyunionid calls = %+v", calls)
	}
	// A new adapter on the same store knows bob's unionId.
	rec2 := &recorder{}
	connectWith(t, f, Config{Store: db}, rec2)
	if err := f.WaitConnections(2); err != nil {
		t.Fatal(err)
	}
	click(t, f, "cb-u3", dingtalktest.CardCallbackAs(2, "union-bob", "k1", map[string]string{"action": "accept", "token": "tok"}))
	if evs := rec2.all(); len(evs) != 1 || evs[0].From != "dingtalk:bob" {
		t.Fatalf("events after a restart = %+v", evs)
	}
	if n := len(f.Calls("/topapi/user/getbyunionid")); n != 1 {
		t.Errorf("getbyunionid asked %d times", n)
	}
}

// TestCardCallbackUnknownUnionID: a unionId DingTalk cannot map is refused
// with a toast that says why, and nothing is handled; a busy DingTalk
// answers the frame 500, so that the click is pushed again and then
// taken.
func TestCardCallbackUnknownUnionID(t *testing.T) {
	f := newFake(t)
	rec := &recorder{}
	connectWith(t, f, Config{}, rec)
	r := cardAck(t, click(t, f, "cb-x", dingtalktest.CardCallbackAs(2, "union-nobody", "k1", map[string]string{"action": "accept", "token": "tok"})))
	if r.UserPrivateData == nil || !strings.Contains(r.UserPrivateData.CardParamMap["toast"], "unionId") || r.CardData != nil {
		t.Errorf("answer = %+v", r)
	}
	if n := len(rec.all()); n != 0 {
		t.Fatalf("%d events from an unknown clicker", n)
	}
	f.AddUnion("union-carol", "carol")
	f.Busy(1)
	frame := dingtalktest.CardCallbackAs(2, "union-carol", "k1", map[string]string{"action": "accept", "token": "tok"})
	if ack := click(t, f, "cb-busy", frame); ack.Code != 500 {
		t.Fatalf("a busy DingTalk: ack = %+v", ack)
	}
	if err := f.Push(dingtalktest.Frame("/v1.0/card/instances/callback", "cb-busy", frame)); err != nil {
		t.Fatal(err)
	}
	if err := f.Wait("the second answer", func() bool { return len(f.AcksFor("cb-busy")) == 2 }); err != nil {
		t.Fatal(err)
	}
	if ack := f.AcksFor("cb-busy")[1]; ack.Code != 200 {
		t.Fatalf("pushed again: ack = %+v", ack)
	}
	if evs := rec.all(); len(evs) != 1 || evs[0].From != "dingtalk:carol" {
		t.Fatalf("events = %+v", evs)
	}
}

// TestUnionIDTokenRefusedOnce: a token the older API refuses (errcode
// 40014) is fetched again once.
func TestUnionIDTokenRefusedOnce(t *testing.T) {
	f := newFake(t)
	f.AddUnion("u1", "dave")
	a := newAdapter(f, nil)
	a.api.token, a.api.expires = "stale", a.api.now().Add(3600e9)
	id, err := a.userIDOf(context.Background(), "u1")
	if err != nil || id != "dave" {
		t.Fatalf("userIDOf = %q, %v", id, err)
	}
}

// TestOAPIHost: the older API is oapi.dingtalk.com beside DingTalk's own
// OpenAPI, the OpenAPI host itself beside a fake or proxy, or as set.
func TestOAPIHost(t *testing.T) {
	for _, tc := range []struct{ openapi, oapi, want string }{
		{"", "", DefaultOAPIHost},
		{DefaultOpenAPIHost, "", DefaultOAPIHost},
		{"http://127.0.0.1:8080/", "", "http://127.0.0.1:8080"},
		{DefaultOpenAPIHost, "https://proxy.example.com/", "https://proxy.example.com"},
	} {
		a := New(Config{OpenAPIHost: tc.openapi, OAPIHost: tc.oapi}, &recorder{})
		if a.api.oapi != tc.want {
			t.Errorf("openapi_host %q, oapi_host %q: %q, want %q", tc.openapi, tc.oapi, a.api.oapi, tc.want)
		}
	}
}
