package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loopbot/loopbot/adapters/dingtalk/dingtalktest"
)

// dingtalkConfig runs the real service with DingTalk pointed at a local
// fake, beside the playground whose fake clock moves time. alice is an
// admin; bob is known once alice mentions him.
const dingtalkConfig = `
[server]
listen = "127.0.0.1:0"
admin_token = "test-token"
secret = "0123456789abcdef-test"
admins = ["dingtalk:alice"]
[store]
path = "%DB%"
[playground]
enabled = true
fake_clock = true
fake_clock_start = "2026-11-23T09:00:00+08:00"
[dingtalk]
enabled = true
client_id = "dingclient"
client_secret = "%SECRET%"
openapi_host = "%HOST%"
%TEMPLATES%
`

const dtTemplates = `[dingtalk.templates]
task = "tpl-task.schema"
checkin = "tpl-checkin.schema"
escalation = "tpl-escalation.schema"
`

func dtConfigText(f *dingtalktest.Fake, secret string, templates bool) string {
	r := strings.NewReplacer("%HOST%", f.URL, "%SECRET%", secret, "%TEMPLATES%", map[bool]string{true: dtTemplates}[templates])
	return r.Replace(dingtalkConfig)
}

// dtStory drives the service through the fake DingTalk.
type dtStory struct {
	t         *testing.T
	ta        *testApp
	f         *dingtalktest.Fake
	templates bool
	n         int
	// sessions maps a direct message's msgId to its sender, to tell whose
	// chat a session-webhook answer went to.
	sessions map[string]string
}

const dtGroup = "cidAlpha=="

// say pushes a chatbot message and waits for its answer; it returns the
// frame so that a test can push it again.
func (s *dtStory) say(staff string, group bool, text string, at ...string) map[string]any {
	s.t.Helper()
	s.n++
	conv := "cidDM" + staff
	if group {
		conv = dtGroup
	}
	if !group {
		s.sessions[fmt.Sprintf("msg%d", s.n)] = staff
	}
	msg := s.f.Message(fmt.Sprintf("msg%d", s.n), staff, strings.ToUpper(staff[:1])+staff[1:], conv, group, text, at...)
	frame := dingtalktest.Frame("/v1.0/im/bot/messages/get", fmt.Sprintf("frame%d", s.n), msg)
	s.push(frame)
	return frame
}

// push sends a frame and waits for one more answer to it, which must be OK.
func (s *dtStory) push(frame map[string]any) {
	s.t.Helper()
	id := frame["headers"].(map[string]string)["messageId"]
	before := len(s.f.AcksFor(id))
	if err := s.f.Push(frame); err != nil {
		s.t.Fatal(err)
	}
	if err := s.f.Wait("the answer to "+id, func() bool { return len(s.f.AcksFor(id)) > before }); err != nil {
		s.t.Fatal(err)
	}
	if a := s.f.AcksFor(id)[before]; a.Code != 200 {
		s.t.Fatalf("frame %s answered %+v", id, a)
	}
}

// callText is a call's body as text, for looking for words in it.
func callText(c dingtalktest.Call) string {
	b, _ := json.Marshal(c.Body)
	return c.Method + " " + c.Path + " " + string(b)
}

// wait returns the first call to path whose text has every word.
func (s *dtStory) wait(path string, words ...string) dingtalktest.Call {
	s.t.Helper()
	var got dingtalktest.Call
	err := s.f.Wait(path+" with "+strings.Join(words, ", "), func() bool {
		for _, c := range s.f.Calls(path) {
			if containsAll(callText(c), words) {
				got = c
				return true
			}
		}
		return false
	})
	if err != nil {
		s.t.Fatalf("%v; calls:\n%s", err, s.dump())
	}
	return got
}

// waitTo returns the first message to a person's direct chat (robot
// batchSend, or the session webhook of a message they sent) with every
// word.
func (s *dtStory) waitTo(staff string, words ...string) dingtalktest.Call {
	s.t.Helper()
	var got dingtalktest.Call
	err := s.f.Wait("a message to "+staff+" with "+strings.Join(words, ", "), func() bool {
		for _, c := range s.f.AllCalls() {
			to := ""
			if p, q, _ := strings.Cut(c.Path, "?session="); p == pathSession {
				to = s.sessions[q]
			} else if p == pathBatch && strings.Contains(callText(c), `"userIds":["`+staff+`"]`) {
				to = staff
			}
			if to == staff && containsAll(callText(c), words) {
				got = c
				return true
			}
		}
		return false
	})
	if err != nil {
		s.t.Fatalf("%v; calls:\n%s", err, s.dump())
	}
	return got
}

func (s *dtStory) count(path string, words ...string) int {
	n := 0
	for _, c := range s.f.Calls(path) {
		if containsAll(callText(c), words) {
			n++
		}
	}
	return n
}

func (s *dtStory) dump() string {
	var b strings.Builder
	for _, c := range s.f.AllCalls() {
		b.WriteString(callText(c) + "\n")
	}
	return b.String()
}

func containsAll(s string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}

// card returns the parameters and outTrackId of a card delivered to a
// space (dtv1.card//IM_ROBOT.bob) whose parameters have every word.
func (s *dtStory) card(space string, words ...string) (map[string]any, string) {
	s.t.Helper()
	c := s.wait("/v1.0/card/instances/createAndDeliver", append([]string{`"openSpaceId":"` + space + `"`}, words...)...)
	if c.Body["callbackType"] != "STREAM" {
		s.t.Errorf("callbackType = %v", c.Body["callbackType"])
	}
	params := c.Body["cardData"].(map[string]any)["cardParamMap"].(map[string]any)
	return params, c.Body["outTrackId"].(string)
}

const (
	pathBatch   = "/v1.0/robot/oToMessages/batchSend"
	pathGroup   = "/v1.0/robot/groupMessages/send"
	pathSession = "/robot/sendBySession"
	pathUpdate  = "/v1.0/card/instances"
)

func TestDingTalkStory(t *testing.T) {
	for _, templates := range []bool{true, false} {
		t.Run(map[bool]string{true: "with templates", false: "markdown"}[templates], func(t *testing.T) {
			f := dingtalktest.New("dingclient", "s3cret-dingtalk")
			defer f.Close()
			ta := startApp(t, dtConfigText(f, "s3cret-dingtalk", templates), "")
			if err := f.WaitConnections(1); err != nil {
				t.Fatal(err)
			}
			// The connection-open request names loopbot in its ua field.
			if opens := f.OpenRequests(); len(opens) == 0 || opens[0]["ua"] != "loopbot/"+version {
				t.Errorf("connections/open requests = %v", opens)
			}
			s := &dtStory{t: t, ta: ta, f: f, templates: templates, sessions: map[string]string{}}
			dtAssignAndAccept(s)
			dtReconnect(s)
			dtCheckin(s)
			dtWarnings(s)
			dtChange(s)
		})
	}
}

func dtAssignAndAccept(s *dtStory) {
	t := s.t
	// /project new in a group binds it; the answer goes through the
	// message's session webhook.
	s.say("alice", true, " /project new Alpha due:2026-12-31")
	s.wait(pathSession, "P1")
	// The assignment mentions bob, who gets the card in his chat with the
	// robot.
	taskFrame := s.say("alice", true, "/task new 接口文档 @Bob due:fri", "bob")
	if tk := s.ta.task("T1"); tk.Assignee != "dingtalk:bob" || tk.Project != "P1" || tk.Status != "assigned" {
		t.Fatalf("T1 = %+v", tk)
	}
	// The same frame pushed again after its answer changes nothing.
	s.push(taskFrame)
	if got := s.ta.state(); strings.Contains(got, `"T2"`) {
		t.Fatalf("a frame pushed twice made a second task: %s", got)
	}
	var acceptFrame map[string]any
	if s.templates {
		params, track := s.card("dtv1.card//IM_ROBOT.bob", `"ref_task":"T1"`, `"accept_show":"true"`)
		token, _ := params["accept_token"].(string)
		acceptFrame = dingtalktest.Frame("/v1.0/card/instances/callback", "cb-accept",
			dingtalktest.CardCallback("bob", track, map[string]string{"action": "accept", "token": token}))
		s.push(acceptFrame)
		// The answer to the click carries the card's new variables, so that
		// bob's card changes at once; the outbox's update follows.
		if ack := s.f.AcksFor("cb-accept")[0]; !strings.Contains(ack.Data, `"cardData":{"cardParamMap":{`) ||
			!strings.Contains(ack.Data, `"accept_show":"false"`) || !strings.Contains(ack.Data, `"updateCardDataByKey":true`) {
			t.Errorf("answer to the accept click = %s", ack.Data)
		}
		s.wait(pathUpdate, `"outTrackId":"`+track+`"`, `"finished":"true"`, `"accept_show":"false"`)
	} else {
		c := s.wait(pathBatch, `"userIds":["bob"]`, "/accept T1")
		if !strings.Contains(callText(c), `"userIds":["bob"]`) || !strings.Contains(callText(c), "sampleMarkdown") ||
			!strings.Contains(callText(c), "dtmd://dingtalkclient/sendMessage?content=%2Faccept%20T1") {
			t.Fatalf("assignment message = %s", callText(c))
		}
		acceptFrame = s.say("bob", false, "/accept T1")
		s.waitTo("bob", "已更新", "已接受")
		s.waitTo("bob", `"text":"已接受"`)
	}
	if st := s.ta.task("T1").Status; st != "accepted" {
		t.Fatalf("T1 status after accept = %s", st)
	}
	s.waitTo("alice", "已接受 T1")
	// The accept (click or text) pushed again after its answer has no
	// second effect: nothing more is sent (not even an "already handled"
	// toast) but the answer to alice's next message, which comes after
	// anything the replay could have queued.
	before := len(s.f.AllCalls())
	s.push(acceptFrame)
	s.say("alice", false, "/task show T1")
	s.wait(pathSession, "session=msg"+fmt.Sprint(s.n), "T1")
	if calls := s.f.AllCalls(); len(calls) != before+1 {
		t.Fatalf("the accept pushed again sent %d messages:\n%s", len(calls)-before-1, s.dump())
	}
	if n := s.countAll("已接受 T1"); n != 1 {
		t.Fatalf("alice was told %d times that T1 was accepted:\n%s", n, s.dump())
	}
}

// countAll counts the calls, to any path, whose text has every word.
func (s *dtStory) countAll(words ...string) int {
	n := 0
	for _, c := range s.f.AllCalls() {
		if containsAll(callText(c), words) {
			n++
		}
	}
	return n
}

// dtReconnect drops the connection: the bot connects again, and a frame
// the gateway pushes again after the drop has one effect.
func dtReconnect(s *dtStory) {
	frame := s.say("alice", false, "/task show T1")
	s.wait(pathSession, "session=msg"+fmt.Sprint(s.n), "T1")
	s.f.Drop()
	if err := s.f.WaitConnections(2); err != nil {
		s.t.Fatal(err)
	}
	s.push(frame)
	s.say("alice", false, "/project list")
	s.wait(pathSession, "session=msg"+fmt.Sprint(s.n), "P1")
	id := strings.TrimPrefix(frame["headers"].(map[string]string)["messageId"], "frame")
	if n := s.count(pathSession, "session=msg"+id+" "); n != 1 {
		s.t.Fatalf("the /task show answer was sent %d times", n)
	}
}

func dtCheckin(s *dtStory) {
	t := s.t
	s.ta.at("2026-11-23 09:30")
	if s.templates {
		params, track := s.card("dtv1.card//IM_ROBOT.bob", `"kind":"checkin"`)
		token, _ := params["submit_token"].(string)
		if params["task_1"] != "T1" || params["checkin_tasks"] != "T1" || params["task_2_show"] != "false" {
			t.Errorf("check-in card slots = %v", params)
		}
		// This callback names bob by his unionId (userIdType 2), which the
		// service maps to his userId through topapi/user/getbyunionid. The
		// template's form has numbered inputs, and the submit button sends
		// checkin_tasks back as "tasks".
		s.f.AddUnion("union-bob", "bob")
		s.push(dingtalktest.Frame("/v1.0/card/instances/callback", "cb-checkin", dingtalktest.CardCallbackAs(2, "union-bob", track,
			map[string]string{"action": "submit", "token": token, "tasks": "T1", "progress_1": "40", "hours_1": "2", "status_1": "on_track", "note_1": ""})))
		s.wait(pathUpdate, `"outTrackId":"`+track+`"`, `"finished":"true"`)
		s.wait("/topapi/user/getbyunionid", `"unionid":"union-bob"`)
	} else {
		s.waitTo("bob", "/checkin T1")
		s.say("bob", false, "/checkin T1 40 on_track 2h 联调中")
		s.waitTo("bob", "已更新", "40%")
	}
	if tk := s.ta.task("T1"); tk.Progress != 40 {
		t.Fatalf("T1 after the check-in = %+v", tk)
	}
}

// dtWarnings blocks T1: blue to bob after 4 working hours, yellow to alice a
// working day later, then the red warning in the group.
func dtWarnings(s *dtStory) {
	s.ta.at("2026-11-23 10:00")
	s.say("bob", false, "/block T1 等待接口定义")
	s.ta.at("2026-11-23 14:00")
	if s.templates {
		s.card("dtv1.card//IM_ROBOT.bob", `"kind":"escalation"`, `"color":"blue"`)
	} else {
		s.waitTo("bob", "🔵")
	}
	s.ta.at("2026-11-24 14:00")
	if s.templates {
		s.card("dtv1.card//IM_ROBOT.alice", `"kind":"escalation"`, `"color":"yellow"`)
	} else {
		s.waitTo("alice", "🟡")
	}
	s.ta.at("2026-11-26 17:00")
	if s.templates {
		s.card("dtv1.card//IM_GROUP."+dtGroup, `"kind":"group_warning"`, `"color":"red"`)
	} else {
		c := s.wait(pathGroup, `"openConversationId":"`+dtGroup+`"`, "🔴", "T1")
		if !strings.Contains(callText(c), `"robotCode":"dingclient"`) {
			s.t.Errorf("group warning = %s", callText(c))
		}
	}
}

// dtChange: bob asks for a new due date; alice's change request card is a
// markdown message with /approve C1 as a quick reply (there is no template
// for it), and she approves by typing it; his next request she rejects by
// typing /reject C2 with a reason.
func dtChange(s *dtStory) {
	s.say("bob", false, "/due T1 12-04 接口晚到")
	c := s.waitTo("alice", "C1", "接口晚到")
	if !strings.Contains(callText(c), "dtmd://dingtalkclient/sendMessage?content=%2Fapprove%20C1") || !strings.Contains(callText(c), "/reject C1") {
		s.t.Fatalf("change request message = %s", callText(c))
	}
	s.say("alice", false, "/approve C1")
	s.waitTo("bob", "C1", "2026-12-04")
	if tk := s.ta.task("T1"); tk.Due != "2026-12-04" || tk.BaselineDue != "2026-11-27" {
		s.t.Fatalf("T1 after /approve C1 = %+v", tk)
	}
	// A second request, rejected by text with a reason: bob is told why,
	// and the due date stays.
	s.say("bob", false, "/due T1 12-08 联调推迟")
	s.waitTo("alice", "C2", "联调推迟", "/reject C2")
	s.say("alice", false, "/reject C2 里程碑不能再推")
	s.waitTo("alice", "已驳回")
	s.waitTo("bob", "驳回了 C2", "2026-12-04")
	if tk := s.ta.task("T1"); tk.Due != "2026-12-04" {
		s.t.Fatalf("T1 after /reject C2 = %+v", tk)
	}
}

// TestDingTalkDoctor: doctor passes against the fake, and names a wrong
// secret.
func TestDingTalkDoctor(t *testing.T) {
	f := dingtalktest.New("dingclient", "s3cret-dingtalk")
	defer f.Close()
	for _, tc := range []struct {
		secret string
		want   string
		fail   bool
	}{
		{"s3cret-dingtalk", "ok   dingtalk: access token and stream connection ok", false},
		{"wrong-secret", "FAIL dingtalk: DingTalk refused the client id or client secret (dingtalk.client_id, dingtalk.client_secret)", true},
	} {
		path := filepath.Join(t.TempDir(), "config.toml")
		db := filepath.Join(t.TempDir(), "loopbot.db")
		writeFile(t, path, strings.ReplaceAll(dtConfigText(f, tc.secret, false), "%DB%", filepath.ToSlash(db)))
		var out, errb bytes.Buffer
		err := Run(context.Background(), []string{"doctor", "-config", path}, nil, &out, &errb)
		if (err != nil) != tc.fail || !strings.Contains(out.String(), tc.want) {
			t.Errorf("doctor with %s: %v\n%s%s", tc.secret, err, out.String(), errb.String())
		}
		if strings.Contains(out.String(), tc.secret) {
			t.Errorf("doctor printed the secret: %s", out.String())
		}
	}
}
