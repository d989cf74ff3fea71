package main

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loopbot/loopbot/adapters/wecom"
	"github.com/loopbot/loopbot/internal/feishufake"
)

// multiConfig runs one loopbot with Feishu (at a fake, callbacks by HTTP),
// WeCom (at a fake) and the playground with its fake clock (Monday
// 2026-11-23 09:00 in Shanghai), over one store. alice is an admin on each.
func multiConfig(feishuAppID, feishuBase, wecomBase string) string {
	return fmt.Sprintf(`
[server]
listen = "127.0.0.1:0"
admin_token = "test-token"
secret = "e2e-multi-secret-0123456789"
admins = ["feishu:ou_alice", "wecom:alice"]
[store]
path = "%%DB%%"
[feishu]
enabled = true
mode = "webhook"
app_id = %q
app_secret = "app-secret-e2e"
base_url = %q
encrypt_key = "encrypt-key-e2e"
verification_token = "verify-token-e2e"
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
id = "alice"
name = "Alice"
roles = ["admin"]
[[playground.people]]
id = "bob"
name = "Bob"
[[playground.groups]]
id = "alpha"
name = "Alpha 项目群"
members = ["alice", "bob"]
`, feishuAppID, feishuBase, wecomCorp, wecomAgent, wecomSecret, wecomToken, wecomAESKey, wecomBase)
}

// multiWorld is a running loopbot with three messengers, and the fakes of
// Feishu and WeCom it talks to.
type multiWorld struct {
	t      *testing.T
	ctx    context.Context
	ta     *testApp
	feishu *feishuWorld
	lark   *feishufake.Server
	wecom  *fakeWeCom
	wc     *wecomClient
}

func newMultiWorld(t *testing.T) *multiWorld {
	t.Helper()
	lark := feishufake.Start(t, &feishufake.Server{AppID: "cli_e2e_multi", AppSecret: "app-secret-e2e", BotOpenID: "ou_bot",
		EncryptKey: "encrypt-key-e2e", VerificationToken: "verify-token-e2e",
		Users: map[string]string{"ou_alice": "王丽 Alice", "ou_bob": "李博"}})
	wf := newFakeWeCom(t, wecomCorp, wecomSecret, wecomAgent)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	ta := startApp(t, multiConfig(lark.AppID, lark.URL(), wf.srv.URL), "")
	wf.now = ta.app.limits.Now
	w := &multiWorld{t: t, ctx: ctx, ta: ta, lark: lark, wecom: wf, wc: newWeComClient(t, ta)}
	w.feishu = &feishuWorld{t: t, mode: "webhook", fake: lark, ta: ta, ctx: ctx}
	return w
}

// feishuTo returns the cards and messages Feishu was asked to send to an
// open_id or chat_id whose JSON holds every string of want.
func (w *multiWorld) feishuTo(to string, want ...string) []feishufake.Message {
	return w.feishu.cards(to, want...)
}

// wecomTo returns the app messages WeCom was asked to send to a member
// whose text holds want.
func (w *multiWorld) wecomTo(user, want string) []fakeSent {
	var out []fakeSent
	for _, s := range w.wecom.to(user) {
		b, _ := json.Marshal(s.Body)
		if strings.Contains(string(b), want) || strings.Contains(s.text(), want) {
			out = append(out, s)
		}
	}
	return out
}

// robotPosts returns the group robot messages posted with a key whose
// markdown holds want.
func (w *multiWorld) robotPosts(key, want string) []fakeRobot {
	w.wecom.mu.Lock()
	defer w.wecom.mu.Unlock()
	var out []fakeRobot
	for _, r := range w.wecom.robot {
		if r.Key == key && strings.Contains(r.Content, want) {
			out = append(out, r)
		}
	}
	return out
}

// playgroundCards returns the bot's messages in a playground chat whose
// text or card holds want.
func (w *multiWorld) playgroundSaid(chat, want string) []chatMessage {
	var out []chatMessage
	for _, m := range w.ta.chat(chat) {
		if m.From != "bot" {
			continue
		}
		b, _ := json.Marshal(m.Card)
		if strings.Contains(m.Text, want) || strings.Contains(string(b), want) {
			out = append(out, m)
		}
	}
	return out
}

func (w *multiWorld) groups(project string) []string {
	w.t.Helper()
	var pl struct {
		Projects []apiProjectJSON `json:"projects"`
	}
	w.ta.call("GET", "/api/v1/projects", nil, &pl)
	for _, p := range pl.Projects {
		if p.ID == project {
			out := slices.Clone(p.Groups)
			slices.Sort(out)
			return out
		}
	}
	w.t.Fatalf("no project %s in %+v", project, pl.Projects)
	return nil
}

// TestMultiPlatform runs one project across the playground, Feishu and
// WeCom at once: a group bound on each (a second bind on a platform
// replaces its group), and every group card (the red warning, the digest)
// delivered once to each bound group, in each platform's wire format.
func TestMultiPlatform(t *testing.T) {
	w := newMultiWorld(t)

	// The project is made in the playground's group, then bound in a
	// Feishu group and to a WeCom group robot.
	if got := w.ta.reply("alice", "alpha", "/project new Alpha due:2026-12-31"); !strings.Contains(got, "P1") {
		t.Fatalf("/project new: %q", got)
	}
	w.feishu.say("ou_alice", "oc_first", "/project bind P1")
	w.feishu.say("ou_alice", "oc_alpha", "/project bind P1")
	if len(w.feishuTo("oc_alpha", "P1")) != 1 {
		t.Fatalf("no answer to /project bind in oc_alpha: %+v", w.lark.Messages())
	}
	robotKey := "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
	w.wc.say("alice", "/project webhook P1 "+w.wecom.srv.URL+"/cgi-bin/webhook/send?key="+robotKey)
	want := []string{"feishu:group:oc_alpha", "playground:group:alpha", "wecom:group:" + wecom.RobotChat(robotKey)}
	slices.Sort(want)
	if got := w.groups("P1"); !slices.Equal(got, want) {
		t.Fatalf("P1's groups %v, want %v (one per platform, the second Feishu bind replacing the first)", got, want)
	}
	// bob is given a task from Feishu, by a real mention.
	w.feishu.say("ou_alice", "oc_alpha", "/task new 接口设计 @李博 due:today project:P1", bob)
	if n := len(w.feishuTo("ou_bob", "接口设计")); n != 1 {
		t.Fatalf("%d assignment cards to ou_bob, want 1", n)
	}
	ans := w.feishu.click("ou_bob", w.feishu.last("ou_bob", "接口设计"), "accept", nil)
	if ans["card"] == nil {
		t.Fatalf("accept: %v", ans)
	}

	// The task runs late and climbs to red: the warning lands once in each
	// of the three groups, and nowhere else; so does each day's digest.
	w.ta.at("2026-11-26 10:00")
	w.settle()
	w.checkGroupCards(robotKey, "⚠️ 督办预警", "接口设计", 1)
	for _, day := range []string{"2026-11-24", "2026-11-25"} {
		w.checkGroupCards(robotKey, "日报 · Alpha · "+day, "接口设计", 1)
	}
	if n := len(w.feishuTo("oc_first")); n != 1 {
		t.Errorf("%d messages in the Feishu group the project was moved from, want only the bind's answer", n)
	}
}

// checkGroupCards checks that n cards titled title and holding text went
// to each of P1's groups: Feishu's oc_alpha (an interactive card to the
// chat_id), the WeCom group robot (markdown) and the playground's alpha.
func (w *multiWorld) checkGroupCards(robotKey, title, text string, n int) {
	w.t.Helper()
	var feishu int
	for _, m := range w.feishuTo("oc_alpha", title, text) {
		if m.ReceiveIDType == "chat_id" {
			feishu++
		}
	}
	var playground int
	for _, m := range w.playgroundSaid("alpha", text) {
		if m.Card != nil && strings.Contains(m.Card.Title, title) {
			playground++
		}
	}
	robot := 0
	for _, r := range w.robotPosts(robotKey, text) {
		if strings.Contains(r.Content, title) {
			robot++
		}
	}
	if feishu != n || robot != n || playground != n {
		w.t.Errorf("%q cards: %d in the Feishu group, %d by the WeCom robot, %d in the playground group; want %d each",
			title, feishu, robot, playground, n)
	}
}

// settle lets the WeCom adapter handle what it accepted and the outbox
// deliver everything queued.
func (w *multiWorld) settle() {
	w.t.Helper()
	if err := w.ta.app.settleWeCom(w.ctx); err != nil {
		w.t.Fatal(err)
	}
}

// linkCode matches a link code as /link shows it, K7QM-4XPA.
var linkCode = regexp.MustCompile(`[A-Z2-9]{4}-[A-Z2-9]{4}`)

// TestMultiPlatformLinked: bob is one person on the playground and on
// Feishu, linked with a /link code. Each of his cards goes once, to the
// platform routing says: where he last wrote, then the one he chose with
// /settings platform. The red warning lands in every bound group, and
// /tasks mine lists the same tasks from either platform.
func TestMultiPlatformLinked(t *testing.T) {
	w := newMultiWorld(t)
	w.ta.reply("alice", "alpha", "/project new Alpha due:2026-12-31")
	w.feishu.say("ou_alice", "oc_alpha", "/project bind P1")
	robotKey := "5a4b3c2d-1e0f-4a5b-8c7d-6e5f4a3b2c1d"
	w.wc.say("alice", "/project webhook P1 "+w.wecom.srv.URL+"/cgi-bin/webhook/send?key="+robotKey)

	// bob asks for a code in the playground and sends it from Feishu.
	code := linkCode.FindString(w.ta.reply("bob", "dm", "/link"))
	if code == "" {
		t.Fatal("no link code in the answer to /link")
	}
	w.feishu.say("ou_bob", "oc_dm_bob", "/link "+code)
	if got := w.feishuTo("ou_bob"); len(got) != 1 || !strings.Contains(fmt.Sprint(got[0].Card), "Bob") {
		t.Fatalf("the answer to /link <code> on Feishu: %+v", got)
	}

	// He last wrote from Feishu: the assignment made in the playground
	// reaches him there, once, and not in the playground.
	w.ta.say("alice", "alpha", "/task new 接口设计 @bob due:2026-11-24 project:P1")
	w.settle()
	if n := len(w.feishuTo("ou_bob", "接口设计")); n != 1 {
		for _, m := range w.lark.Messages() {
			t.Logf("FEISHU %s %v", m.ReceiveID, m.Card)
		}
		for _, m := range w.ta.chat("dm:bob") {
			t.Logf("PG %s %s %v", m.From, m.Text, m.Card)
		}
		t.Fatalf("%d assignment cards to bob on Feishu, want 1", n)
	}
	if n := len(w.playgroundSaid("dm:bob", "接口设计")); n != 0 {
		t.Fatalf("%d assignment messages to bob in the playground, want 0", n)
	}
	// He accepts on Feishu: the task is his person's, by his canonical id.
	w.feishu.click("ou_bob", w.feishu.last("ou_bob", "接口设计"), "accept", nil)
	if tk := w.ta.task("T1"); tk.Status != "accepted" || tk.Assignee != "playground:bob" {
		t.Fatalf("T1 after the click on Feishu: %+v", tk)
	}

	// He chooses the playground: the next card goes there, once.
	w.feishu.say("ou_bob", "oc_dm_bob", "/settings platform playground")
	w.ta.say("alice", "alpha", "/task new 接口文档 @bob due:2026-12-04 project:P1")
	w.settle()
	if n := len(w.playgroundSaid("dm:bob", "接口文档")); n != 1 {
		t.Fatalf("%d assignment cards to bob in the playground after /settings platform playground, want 1", n)
	}
	if n := len(w.feishuTo("ou_bob", "接口文档")); n != 0 {
		t.Fatalf("%d assignment cards to bob on Feishu after /settings platform playground, want 0", n)
	}
	w.ta.act("bob", w.ta.lastCard("dm:bob", "task_assigned").ID, "accept", nil)

	// /tasks mine lists the same tasks from either platform.
	fromPlayground := w.ta.reply("bob", "dm", "/tasks mine")
	before := len(w.feishuTo("ou_bob"))
	w.feishu.say("ou_bob", "oc_dm_bob", "/tasks mine")
	replies := w.feishuTo("ou_bob")[before:]
	if len(replies) != 1 {
		t.Fatalf("%d answers to /tasks mine on Feishu, want 1", len(replies))
	}
	fromFeishu := fmt.Sprint(replies[0].Card)
	for _, want := range []string{"T1", "接口设计", "T2", "接口文档"} {
		if !strings.Contains(fromPlayground, want) || !strings.Contains(fromFeishu, want) {
			t.Errorf("/tasks mine lacks %q: playground %q, Feishu %q", want, fromPlayground, fromFeishu)
		}
	}

	// T1 runs late and climbs to red: once in each bound group. The
	// check-in of Tuesday reaches bob once, in the playground he chose.
	w.ta.at("2026-11-27 10:00")
	w.settle()
	w.checkGroupCards(robotKey, "⚠️ 督办预警", "接口设计", 1)
	checkins := w.ta.cards("dm:bob", "checkin")
	if len(checkins) == 0 {
		t.Fatal("no check-in card to bob in the playground")
	}
	if n := len(w.feishuTo("ou_bob", "progress.T1")); n != 0 {
		t.Errorf("%d check-in cards to bob on Feishu too", n)
	}
}
