package wecom

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
)

const testTS = 1795000000 // 2026-11-18

func testEnvNow(t *testing.T) *testEnv {
	return newEnv(t, time.Unix(testTS, 0), vecCorpID, vecToken, vecAESKey, 1)
}

// seal makes the callback WeCom would post for a plaintext message.
func (e *testEnv) seal(t *testing.T, plain string) (url.Values, string) {
	t.Helper()
	enc, err := e.a.crypto.Encrypt([]byte(plain))
	if err != nil {
		t.Fatal(err)
	}
	ts := fmt.Sprint(e.clock.Now().Unix())
	q := url.Values{"msg_signature": {e.a.crypto.Signature(ts, "42", enc)}, "timestamp": {ts}, "nonce": {"42"}}
	return q, "<xml><ToUserName><![CDATA[" + vecCorpID + "]]></ToUserName><Encrypt><![CDATA[" + enc + "]]></Encrypt><AgentID><![CDATA[1]]></AgentID></xml>"
}

func (e *testEnv) deliver(t *testing.T, plain string) {
	t.Helper()
	q, body := e.seal(t, plain)
	if code := e.post(t, q, body); code != 200 {
		t.Fatalf("callback: %d", code)
	}
	if err := e.a.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestTemplateCardEventFixture(t *testing.T) {
	raw := fixture(t, "template_card_event.xml")
	m, err := ParseMessage(raw)
	if err != nil {
		t.Fatal(err)
	}
	if m.Event != EventTemplateCard || m.EventKey != "key111" || m.TaskID != "taskid111" || m.CardType != "text_notice" ||
		m.ResponseCode != "ResponseCode" || m.FromUserName != "FromUser" || m.CreateTime != 123456789 {
		t.Fatalf("decoded %+v", m)
	}
	if len(m.SelectedItems) != 2 || m.SelectedItems[1].QuestionKey != "QuestionKey2" || len(m.SelectedItems[1].OptionIDs) != 2 {
		t.Fatalf("selected items %+v", m.SelectedItems)
	}
	if got := m.DedupKey(); got != "evt:FromUser:123456789:template_card_event:key111" {
		t.Errorf("dedup key %q", got)
	}

	// The same event with one of loopbot's keys becomes a card action.
	e := testEnvNow(t)
	plain := strings.Replace(string(raw), "key111", "accept|tok.sig", 1)
	e.deliver(t, plain)
	evs := e.rec.all()
	if len(evs) != 1 {
		t.Fatalf("%d events", len(evs))
	}
	ev := evs[0]
	if ev.Kind != bot.EventAction || ev.From != "wecom:FromUser" || ev.Action.Name != "accept" || ev.Action.Token != "tok.sig" ||
		ev.Action.MessageRef != "taskid111" || ev.Action.Form["QuestionKey1"] != "OptionId1" || ev.Action.Form["QuestionKey2"] != "OptionId3" {
		t.Fatalf("action %+v %+v", ev, ev.Action)
	}
	if code := e.a.takeRC(context.Background(), "taskid111"); code != "ResponseCode" {
		t.Errorf("response code kept: %q", code)
	}
	// A repeat of the event (same sender, time and key) is ignored.
	e.deliver(t, plain)
	if n := len(e.rec.all()); n != 1 {
		t.Errorf("repeated event handled: %d events", n)
	}
}

func cardEvent(from, key, tid string, at int64, extra string) string {
	return fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime>"+
		"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[template_card_event]]></Event><EventKey><![CDATA[%s]]></EventKey>"+
		"<TaskId><![CDATA[%s]]></TaskId><CardType><![CDATA[button_interaction]]></CardType><ResponseCode><![CDATA[rc-%d]]></ResponseCode>"+
		"<AgentID>1</AgentID>%s</xml>", vecCorpID, from, at, key, tid, at, extra)
}

func textMsg(from, text string, id int) string {
	return fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime>"+
		"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[%s]]></Content><MsgId>%d</MsgId><AgentID>1</AgentID></xml>", vecCorpID, from, testTS, text, id)
}

// TestDeclineAsksForReason: a click on an action that needs text asks for
// it, and the reply completes the action on the card it belongs to.
func TestDeclineAsksForReason(t *testing.T) {
	e := testEnvNow(t)
	ctx := context.Background()
	card := bot.Card{Kind: bot.CardTaskAssigned, Title: "New task T3", Inputs: []bot.Input{
		{Name: "reason", Kind: bot.InputTextarea, Label: "拒绝理由", For: "decline"},
		{Name: "question", Kind: bot.InputTextarea, Label: "问题", For: "ask"}},
		Actions: []bot.Action{{Name: "accept", Label: "接受", Value: "tokA"}, {Name: "decline", Label: "拒绝", Value: "tokD"}}}
	_ = e.db.Update(ctx, func(tx bot.Tx) error { return tx.PutCard(bot.CardRecord{ID: 7, Card: card}) })
	tid := taskID(7, "loopbot-3", 0)
	e.deliver(t, cardEvent("bob", "decline|tokD", tid, testTS, ""))
	if n := len(e.rec.all()); n != 0 {
		t.Fatalf("the decline ran without its reason: %d events", n)
	}
	var prompts []bot.OutboxItem
	_ = e.db.View(ctx, func(tx bot.Tx) (err error) { prompts, err = tx.PendingOutbox(10); return err })
	if len(prompts) != 1 || !strings.Contains(prompts[0].Text, "拒绝理由") || !strings.Contains(prompts[0].Text, "New task T3") || prompts[0].Target != bot.DM("wecom:bob") {
		t.Fatalf("prompt %+v", prompts)
	}
	// A command in between is a command.
	e.deliver(t, textMsg("bob", "/tasks", 1))
	// The reply completes the decline.
	e.deliver(t, textMsg("bob", "本周排满了", 2))
	evs := e.rec.all()
	if len(evs) != 2 || evs[0].Text != "/tasks" {
		t.Fatalf("events %+v", evs)
	}
	act := evs[1].Action
	if evs[1].Kind != bot.EventAction || act.Name != "decline" || act.Token != "tokD" || act.Form["reason"] != "本周排满了" || act.MessageRef != tid {
		t.Fatalf("decline %+v", act)
	}
	// The pending reply is used up: the next text is an ordinary message.
	e.deliver(t, textMsg("bob", "hello", 3))
	if evs := e.rec.all(); len(evs) != 3 || evs[2].Kind != bot.EventMessage || evs[2].Text != "hello" {
		t.Fatalf("after the reply: %+v", evs)
	}
}

// TestCheckinSelectionsAndNote: a check-in task card's selects, then a
// text reply with hours and a note, submit the check-in once.
func TestCheckinSelectionsAndNote(t *testing.T) {
	e := testEnvNow(t)
	ctx := context.Background()
	card := bot.Card{Kind: bot.CardCheckin, Title: "今日打卡", Text: "- **T3** 设计", Refs: map[string]string{"checkin": "2026-11-18"},
		Inputs: []bot.Input{
			{Name: "progress.T3", Kind: bot.InputNumber, Value: "40"},
			{Name: "status.T3", Kind: bot.InputSelect, Value: "on_track", Options: []bot.Option{{Value: "on_track"}, {Value: "at_risk"}}},
			{Name: "hours.T3", Kind: bot.InputNumber}, {Name: "note.T3", Kind: bot.InputTextarea}},
		Actions: []bot.Action{{Name: "submit", Value: "tokS"}, {Name: "leave", Value: "tokL"}}}
	_ = e.db.Update(ctx, func(tx bot.Tx) error { return tx.PutCard(bot.CardRecord{ID: 9, Card: card}) })
	sel := "<SelectedItems><SelectedItem><QuestionKey><![CDATA[progress.T3]]></QuestionKey><OptionIds><OptionId><![CDATA[60]]></OptionId></OptionIds></SelectedItem>" +
		"<SelectedItem><QuestionKey><![CDATA[status.T3]]></QuestionKey><OptionIds><OptionId><![CDATA[at_risk]]></OptionId></OptionIds></SelectedItem></SelectedItems>"
	e.deliver(t, cardEvent("carol", "checkin|T3", taskID(9, "loopbot-4", 1), testTS, sel))
	if n := len(e.rec.all()); n != 0 {
		t.Fatalf("submitted before the note: %d events", n)
	}
	e.deliver(t, textMsg("carol", "2h 接口联调", 5))
	evs := e.rec.all()
	if len(evs) != 1 || evs[0].Kind != bot.EventAction || evs[0].Action.Name != "submit" || evs[0].Action.Token != "tokS" {
		t.Fatalf("events %+v", evs)
	}
	f := evs[0].Action.Form
	if f["progress.T3"] != "60" || f["status.T3"] != "at_risk" || f["hours.T3"] != "2" || f["note.T3"] != "接口联调" {
		t.Errorf("form %v", f)
	}
}

func TestSplitReply(t *testing.T) {
	cases := []struct {
		text string
		n    int
		want []string
	}{
		{"a b c", 1, []string{"a b c"}},
		{"12-05 需要更多时间", 2, []string{"12-05", "需要更多时间"}},
		{"12-05\n需要\n更多时间", 2, []string{"12-05", "需要\n更多时间"}},
		{"only", 2, []string{"only", ""}},
	}
	for _, c := range cases {
		got := splitReply(c.text, c.n)
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("splitReply(%q, %d) = %q, want %q", c.text, c.n, got, c.want)
		}
	}
}

// TestPrune forgets response codes after 72 hours and pending replies after
// a day, and keeps what is still good.
func TestPrune(t *testing.T) {
	e := testEnvNow(t)
	ctx := context.Background()
	e.a.saveRC(ctx, "lb-1-1-0", "old")
	e.clock.Set(e.clock.Now().Add(48 * time.Hour))
	e.a.saveRC(ctx, "lb-2-2-0", "new")
	_ = e.a.ask(ctx, bot.Event{From: "wecom:bob"}, "zh", pending{Action: &bot.ActionEvent{Name: "decline"}, Inputs: []askInput{{Name: "reason"}}})
	e.clock.Set(e.clock.Now().Add(25 * time.Hour))
	if err := e.a.Prune(ctx); err != nil {
		t.Fatal(err)
	}
	var rcs map[string][]byte
	_ = e.db.View(ctx, func(tx bot.Tx) (err error) { rcs, err = tx.MetaPrefix(metaRC); return err })
	if _, ok := rcs[metaRC+"lb-1-1-0"]; ok || len(rcs) != 1 {
		t.Errorf("after Prune the response codes are %v, want only lb-2-2-0", rcs)
	}
	if code := e.a.takeRC(ctx, "lb-2-2-0"); code != "new" {
		t.Errorf("a 25-hour-old response code was dropped: %q", code)
	}
	if _, ok, _ := e.a.pending(ctx, "wecom:bob"); ok {
		t.Error("a day-old pending reply was kept")
	}
}

// TestAcceptedBeforeHandled: a callback is answered once it is in the
// store, before any handling, and a crash after the answer loses nothing:
// another adapter over the same store handles it.
func TestAcceptedBeforeHandled(t *testing.T) {
	e := testEnvNow(t)
	q, body := e.seal(t, textMsg("bob", "/tasks", 11))
	if code := e.post(t, q, body); code != 200 {
		t.Fatalf("callback: %d", code)
	}
	if n := len(e.rec.all()); n != 0 {
		t.Fatalf("handled before the answer: %d events", n)
	}
	// "Restart": a new adapter over the same store.
	b, err := New(Config{CorpID: vecCorpID, AgentID: 1, Secret: "s", Token: vecToken, EncodingAESKey: vecAESKey, Store: e.db, Clock: e.clock})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	b.SetHandler(rec)
	if err := b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if evs := rec.all(); len(evs) != 1 || evs[0].Text != "/tasks" {
		t.Fatalf("after the restart: %+v", evs)
	}
	if inbox := e.state(t); len(inbox) == 0 {
		t.Fatal("no state at all")
	} else {
		for k := range inbox {
			if strings.HasPrefix(k, metaInbox) {
				t.Errorf("inbox item %s left after handling", k)
			}
		}
	}
}
