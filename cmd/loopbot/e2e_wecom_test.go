package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loopbot/loopbot/adapters/wecom"
)

const (
	wecomCorp   = "ww1234567890abcdef"
	wecomAgent  = 1000002
	wecomSecret = "app-secret-1"
	wecomToken  = "cbToken42"
	wecomAESKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
)

// wecomConfig runs WeCom against the fake, beside the playground with its
// fake clock (Monday 2026-11-23 09:00 in Shanghai). alice is an admin.
func wecomConfig(apiBase, secret string) string {
	return fmt.Sprintf(`
[server]
listen = "127.0.0.1:0"
admin_token = "test-token"
secret = "server-secret-0123456789"
admins = ["wecom:alice"]
[store]
path = "%%DB%%"
[wecom]
enabled = true
corp_id = %q
agent_id = %d
secret = %q
token = %q
encoding_aes_key = %q
api_base = %q
[playground]
enabled = true
fake_clock = true
fake_clock_start = "2026-11-23T09:00:00+08:00"
[[playground.people]]
id = "pg"
name = "Playground"
`, wecomCorp, wecomAgent, secret, wecomToken, wecomAESKey, apiBase)
}

// wecomClient posts encrypted callbacks to the running service, made with
// WeCom's documented scheme (path/90968): AES with the EncodingAESKey, and
// msg_signature = sha1(sort(token, timestamp, nonce, encrypt)).
type wecomClient struct {
	t      *testing.T
	ta     *testApp
	crypto *wecom.Crypto
	msgID  atomic.Int64
}

func newWeComClient(t *testing.T, ta *testApp) *wecomClient {
	c, err := wecom.NewCrypto(wecomToken, wecomAESKey, wecomCorp)
	if err != nil {
		t.Fatal(err)
	}
	w := &wecomClient{t: t, ta: ta, crypto: c}
	w.msgID.Store(7000000000000000000)
	return w
}

// post sends one plaintext callback and returns the answer's status and
// body, once the bot has handled it and delivered its answers.
func (w *wecomClient) post(plain string) int {
	w.t.Helper()
	q, body := w.seal(plain)
	resp, err := http.Post(w.ta.base+"/callback/wecom?"+q.Encode(), "text/xml", strings.NewReader(body))
	if err != nil {
		w.t.Fatal(err)
	}
	resp.Body.Close()
	if err := w.ta.app.settleWeCom(context.Background()); err != nil {
		w.t.Fatal(err)
	}
	return resp.StatusCode
}

func (w *wecomClient) seal(plain string) (url.Values, string) {
	enc, err := w.crypto.Encrypt([]byte(plain))
	if err != nil {
		w.t.Fatal(err)
	}
	ts := fmt.Sprint(w.ta.app.now().Unix())
	nonce := fmt.Sprint(w.msgID.Load() % 1000000)
	q := url.Values{"msg_signature": {w.crypto.Signature(ts, nonce, enc)}, "timestamp": {ts}, "nonce": {nonce}}
	return q, "<xml><ToUserName><![CDATA[" + wecomCorp + "]]></ToUserName><Encrypt><![CDATA[" + enc + "]]></Encrypt><AgentID><![CDATA[" + fmt.Sprint(wecomAgent) + "]]></AgentID></xml>"
}

// say sends a text from a member in the app's chat.
func (w *wecomClient) say(from, text string) {
	w.t.Helper()
	id := w.msgID.Add(1)
	plain := fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime>"+
		"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[%s]]></Content><MsgId>%d</MsgId><AgentID>%d</AgentID></xml>",
		wecomCorp, from, w.ta.app.now().Unix(), text, id, wecomAgent)
	if code := w.post(plain); code != 200 {
		w.t.Fatalf("%s says %q: status %d", from, text, code)
	}
}

// clickXML is the template_card_event of a click or a submit.
func (w *wecomClient) clickXML(from, key, taskID, code string, selected map[string]string) string {
	sel := ""
	if len(selected) > 0 {
		sel = "<SelectedItems>"
		for k, v := range selected {
			sel += "<SelectedItem><QuestionKey><![CDATA[" + k + "]]></QuestionKey><OptionIds><OptionId><![CDATA[" + v + "]]></OptionId></OptionIds></SelectedItem>"
		}
		sel += "</SelectedItems>"
	}
	return fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime>"+
		"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[template_card_event]]></Event><EventKey><![CDATA[%s]]></EventKey>"+
		"<TaskId><![CDATA[%s]]></TaskId><CardType><![CDATA[button_interaction]]></CardType><ResponseCode><![CDATA[%s]]></ResponseCode>"+
		"<AgentID>%d</AgentID>%s</xml>", wecomCorp, from, w.ta.app.now().Unix(), key, taskID, code, wecomAgent, sel)
}

// lastCard returns the newest template card sent to a member whose text
// holds want.
func lastWeComCard(t *testing.T, f *fakeWeCom, user, want string) fakeSent {
	t.Helper()
	msgs := f.to(user)
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Type == "template_card" && strings.Contains(msgs[i].text(), want) {
			return msgs[i]
		}
	}
	t.Fatalf("no card with %q sent to %s; got %d messages", want, user, len(msgs))
	return fakeSent{}
}

func lastText(f *fakeWeCom, user string) string {
	msgs := f.to(user)
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Type == "markdown" {
			return msgs[i].text()
		}
	}
	return ""
}

// TestWeComLoop runs the real service against the fake WeCom: an
// assignment clicked and updated through its response code, a re-delivered
// click ignored, a check-in by selects plus a text reply, the red warning
// through the group robot after blue and yellow, and a burst of 100 cards to
// one member spread at 30 a minute with none lost.
func TestWeComLoop(t *testing.T) {
	f := newFakeWeCom(t, wecomCorp, wecomSecret, wecomAgent)
	ta := startApp(t, wecomConfig(f.srv.URL, wecomSecret), "")
	f.now = ta.app.limits.Now
	w := newWeComClient(t, ta)

	// Assignment, then the click updates the card through its response code.
	w.say("alice", "/project new Alpha due:2026-12-31")
	if got := lastText(f, "alice"); !strings.Contains(got, "P1") {
		var dead any
		ta.call("GET", "/api/v1/outbox/dead", nil, &dead)
		t.Fatalf("/project new answer: %q; dead letters %v; sent %+v", got, dead, f.sent)
	}
	w.say("alice", "/task new 首页设计 @bob due:2026-11-24 project:P1")
	assign := lastWeComCard(t, f, "bob", "T1")
	if assign.card()["card_type"] != "button_interaction" || assign.keyFor("accept") == "" || assign.keyFor("decline") == "" {
		t.Fatalf("assignment card: %v", assign.Body)
	}
	tid := fmt.Sprint(assign.card()["task_id"])
	f.issue("click-rc-1")
	click := w.clickXML("bob", assign.keyFor("accept"), tid, "click-rc-1", nil)
	if code := w.post(click); code != 200 {
		t.Fatalf("click: %d", code)
	}
	if tk := ta.task("T1"); tk.Status != "accepted" || tk.Assignee != "wecom:bob" {
		t.Fatalf("T1 after the click: %+v", tk)
	}
	_, updates, _, _ := f.snapshot()
	if updates != 1 || f.updates[0].Code != "click-rc-1" || !strings.Contains(fmt.Sprint(f.updates[0].Body["button"]), "已接受") {
		t.Fatalf("card update: %d updates %+v", updates, f.updates)
	}
	// WeCom delivers the same click again: nothing changes, nothing is sent.
	sent, _, _, _ := f.snapshot()
	state := ta.state()
	if code := w.post(click); code != 200 {
		t.Fatalf("re-delivered click: %d", code)
	}
	if s2, u2, _, _ := f.snapshot(); s2 != sent || u2 != updates || ta.state() != state {
		t.Fatalf("re-delivered click changed something: sent %d→%d, updates %d→%d", sent, s2, updates, u2)
	}
	// A decline of another task asks for the reason, and the reply is it.
	w.say("alice", "/task new 接口文档 @bob due:2026-12-04 project:P1")
	doc := lastWeComCard(t, f, "bob", "T2")
	f.issue("click-rc-2")
	w.post(w.clickXML("bob", doc.keyFor("decline"), fmt.Sprint(doc.card()["task_id"]), "click-rc-2", nil))
	if got := lastText(f, "bob"); !strings.Contains(got, "理由") {
		t.Fatalf("decline prompt: %q", got)
	}
	w.say("bob", "本周排满了")
	if tk := ta.task("T2"); tk.Status != "declined" {
		t.Fatalf("T2 after the reply: %+v", tk)
	}

	// A text action does what the click does, and the card is updated with
	// the response code its send returned.
	w.say("alice", "/task new 验收清单 @bob due:2026-12-11 project:P1")
	list := lastWeComCard(t, f, "bob", "验收清单")
	w.say("bob", "/接受 T3")
	if tk := ta.task("T3"); tk.Status != "accepted" {
		t.Fatalf("T3 after /接受: %+v", tk)
	}
	if _, u, _, _ := f.snapshot(); u < 2 || f.updates[len(f.updates)-1].Code != list.Code {
		t.Fatalf("the text action did not update the card through its send's response code: %+v", f.updates)
	}

	// A second project has no group robot: its group cards go to its owner.
	w.say("alice", "/project new Beta due:2026-12-31")
	w.say("alice", "/task new 测试计划 @carol due:2026-11-24 project:P2") // T4

	// The group robot, set in a direct chat; its key is never shown back.
	robotKey := "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
	w.say("alice", "/project webhook P1 "+f.srv.URL+"/cgi-bin/webhook/send?key="+robotKey)
	if got := lastText(f, "alice"); !strings.Contains(got, "e1f0") || strings.Contains(got, robotKey) {
		t.Fatalf("/project webhook answer: %q", got)
	}
	for _, s := range f.to("alice") {
		if strings.Contains(fmt.Sprint(s.Body), robotKey) {
			t.Fatal("the robot's key was shown back")
		}
	}

	// Tuesday's check-in: selects, then hours and a note by a reply.
	ta.at("2026-11-24 09:30")
	ck := lastWeComCard(t, f, "bob", "T1")
	if ck.card()["card_type"] != "multiple_interaction" {
		t.Fatalf("check-in task card: %v", ck.Body)
	}
	f.issue("click-rc-3")
	w.post(w.clickXML("bob", "checkin|T1", fmt.Sprint(ck.card()["task_id"]), "click-rc-3", map[string]string{"progress.T1": "40", "status.T1": "at_risk"}))
	if got := lastText(f, "bob"); !strings.Contains(got, "备注") {
		t.Fatalf("note prompt: %q", got)
	}
	w.say("bob", "1.5h 首页布局完成")
	// bob has a second task, on a card of its own: the check-in is sent once
	// both are answered.
	if got := lastText(f, "bob"); !strings.Contains(got, "T3") {
		t.Fatalf("after T1's note: %q", got)
	}
	ck3 := lastWeComCard(t, f, "bob", "验收清单")
	if ck3.card()["card_type"] != "multiple_interaction" {
		t.Fatalf("T3's check-in card: %v", ck3.Body)
	}
	f.issue("click-rc-4")
	w.post(w.clickXML("bob", "checkin|T3", fmt.Sprint(ck3.card()["task_id"]), "click-rc-4", map[string]string{"progress.T3": "10", "status.T3": "on_track"}))
	w.say("bob", "-")
	var cks struct {
		Checkins []struct {
			Answers []struct {
				Task     uint64  `json:"task"`
				Progress int     `json:"progress"`
				Status   string  `json:"status"`
				Hours    float64 `json:"hours"`
				Note     string  `json:"note"`
			} `json:"answers"`
		} `json:"checkins"`
	}
	ta.call("GET", "/api/v1/checkins?person=wecom:bob", nil, &cks)
	if len(cks.Checkins) != 1 || len(cks.Checkins[0].Answers) != 2 {
		t.Fatalf("check-ins: %+v", cks)
	}
	for _, a := range cks.Checkins[0].Answers {
		if a.Task == 1 && (a.Progress != 40 || a.Status != "at_risk" || a.Hours != 1.5 || a.Note != "首页布局完成") ||
			a.Task == 3 && (a.Progress != 10 || a.Status != "on_track" || a.Note != "") {
			t.Fatalf("check-in answer: %+v", a)
		}
	}

	// The ladder: blue to bob, yellow to alice, then red through the robot.
	for _, day := range []string{"2026-11-25 10:00", "2026-11-26 10:00", "2026-11-27 10:00"} {
		ta.at(day)
	}
	blue := lastWeComCard(t, f, "bob", "逾期")
	yellow := lastWeComCard(t, f, "alice", "T1")
	f.mu.Lock()
	var red *fakeRobot
	for i := range f.robot {
		if strings.Contains(f.robot[i].Content, "🔴") && strings.Contains(f.robot[i].Content, "T1") {
			red = &f.robot[i]
			break
		}
	}
	f.mu.Unlock()
	if red == nil || red.Key != robotKey {
		t.Fatalf("no red warning through the robot; robot got %+v", f.robot)
	}
	if src := fmt.Sprint(yellow.card()["source"]); !strings.Contains(src, "🟡") {
		t.Errorf("yellow card's source: %s", src)
	}
	if !blue.At.Before(yellow.At) || !yellow.At.Before(red.At) {
		t.Errorf("ladder order: blue %s, yellow %s, red %s", blue.At, yellow.At, red.At)
	}
	f.mu.Lock()
	for _, r := range f.robot {
		if strings.Contains(r.Content, "T4") {
			t.Errorf("P2's warning went to P1's robot: %s", r.Content)
		}
	}
	f.mu.Unlock()
	noted := false
	for _, s := range f.to("alice") {
		noted = noted || strings.Contains(s.text(), "T4") && strings.Contains(s.text(), "/项目 机器人 P2")
	}
	if !noted {
		t.Error("P2's group warning did not reach its owner with the note on adding a robot")
	}

	// A burst of 100 assignments to one member is spread: no 60 s holds
	// more than 30, and none is lost.
	before := len(f.to("dave"))
	for i := range 100 {
		w.say("alice", fmt.Sprintf("/task new 批量任务%d @dave due:2026-12-18 project:P1", i+1))
	}
	for range 8 {
		ta.setClock(ta.app.now().Add(time.Minute))
	}
	got := f.to("dave")[before:]
	cardsN := 0
	for _, s := range got {
		if s.Type == "template_card" && strings.Contains(s.text(), "批量任务") {
			cardsN++
		}
	}
	if _, _, _, dropped := f.snapshot(); cardsN != 100 || dropped != 0 {
		t.Fatalf("dave got %d of the 100 cards; WeCom dropped %d", cardsN, dropped)
	}
	t.Logf("dave: %d messages, at most %d in 60 s; alice %d; robot %d; updates %d", len(f.to("dave")), maxPerMinute(f.to("dave")), len(f.to("alice")), len(f.robot), len(f.updates))
	for _, user := range []string{"dave", "alice", "bob"} {
		if n := maxPerMinute(f.to(user)); n > 30 {
			t.Errorf("%s got %d messages within 60 s", user, n)
		}
	}
}

// maxPerMinute returns the most messages within any 60 s.
func maxPerMinute(msgs []fakeSent) int {
	times := make([]time.Time, len(msgs))
	for i, m := range msgs {
		times[i] = m.At
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	best := 0
	for i := range times {
		j := i
		for j < len(times) && times[j].Sub(times[i]) < time.Minute {
			j++
		}
		best = max(best, j-i)
	}
	return best
}

// TestWeComDoctor: loopbot doctor passes against the fake WeCom, and names
// a wrong secret.
func TestWeComDoctor(t *testing.T) {
	f := newFakeWeCom(t, wecomCorp, wecomSecret, wecomAgent)
	run := func(secret string) (string, error) {
		dir := t.TempDir()
		text := strings.ReplaceAll(wecomConfig(f.srv.URL, secret), "%DB%", filepath.ToSlash(filepath.Join(dir, "loopbot.db")))
		text = strings.Replace(text, "[server]\n", "[server]\npublic_url = \"https://bot.example.com\"\n", 1)
		path := filepath.Join(dir, "config.toml")
		writeFile(t, path, text)
		var out, errOut strings.Builder
		err := Run(context.Background(), []string{"doctor", "-config", path}, nil, &out, &errOut)
		return out.String(), err
	}
	out, err := run(wecomSecret)
	if err != nil || strings.Contains(out, "FAIL") {
		t.Fatalf("doctor against the fake: %v\n%s", err, out)
	}
	for _, want := range []string{"ok   config", "ok   store", "ok   wecom token", "ok   wecom agent: the app «loopbot» (AgentId 1000002)",
		"ok   wecom callback: set the app's 接收消息 URL to https://bot.example.com/callback/wecom"} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out)
		}
	}
	// Without server.public_url, or with an http one (WeCom takes both),
	// the callback line advises and doctor still passes.
	for _, public := range []string{"", "http://bot.example.com"} {
		dir := t.TempDir()
		text := strings.ReplaceAll(wecomConfig(f.srv.URL, wecomSecret), "%DB%", filepath.ToSlash(filepath.Join(dir, "loopbot.db")))
		if public != "" {
			text = strings.Replace(text, "[server]\n", "[server]\npublic_url = \""+public+"\"\n", 1)
		}
		path := filepath.Join(dir, "config.toml")
		writeFile(t, path, text)
		var out, errOut strings.Builder
		if err := Run(context.Background(), []string{"doctor", "-config", path}, nil, &out, &errOut); err != nil || !strings.Contains(out.String(), "ok   wecom callback: ") {
			t.Errorf("doctor with public_url %q: %v\n%s", public, err, out.String())
		}
	}
	out, err = run("wrong-secret")
	if err == nil || !strings.Contains(out, "FAIL wecom token: wecom.secret is wrong") {
		t.Fatalf("doctor with a wrong secret: %v\n%s", err, out)
	}
	if strings.Contains(out, "wrong-secret") {
		t.Errorf("doctor printed the secret:\n%s", out)
	}
}
