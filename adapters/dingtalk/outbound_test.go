package dingtalk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loopbot/loopbot/adapters/dingtalk/dingtalktest"
	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/cards"
	"github.com/loopbot/loopbot/store/storetest"
)

func newAdapter(f *dingtalktest.Fake, templates map[string]string) *Adapter {
	return New(Config{ClientID: f.ClientID, ClientSecret: f.ClientSecret, OpenAPIHost: f.URL, Templates: templates}, &recorder{})
}

// msgParam decodes the msgParam of a robot message call.
func msgParam(t *testing.T, c dingtalktest.Call) map[string]string {
	t.Helper()
	var p map[string]string
	if err := json.Unmarshal([]byte(c.Body["msgParam"].(string)), &p); err != nil {
		t.Fatalf("msgParam of %v: %v", c.Body, err)
	}
	return p
}

var assignCard = bot.Card{
	Kind: bot.CardTaskAssigned, Title: "新任务 T3 · 接口文档", Color: bot.ColorBlue,
	Text:   "请 **尽快** 处理 " + bot.EscapeMarkdown("[x](http://evil) <at id=all> **no** _u_ `c`"),
	Fields: []bot.Field{{Label: "截止", Value: "2026-11-27 周五"}},
	Refs:   map[string]string{"task": "T3"},
	Actions: []bot.Action{
		{Name: "accept", Label: "接受", Value: "tok-accept"}, {Name: "decline", Label: "拒绝", Value: "tok-decline"},
	},
}

func TestMarkdownCardInADirectChat(t *testing.T) {
	f := newFake(t)
	a := newAdapter(f, nil)
	ref, err := a.Send(context.Background(), bot.OutMessage{Target: bot.DM("dingtalk:staff1"), Card: &assignCard, CardID: 3, IdemKey: "k1"})
	if err != nil || !strings.HasPrefix(ref, "md:") {
		t.Fatalf("send = %q, %v", ref, err)
	}
	calls := f.Calls(pathBatchSend)
	if len(calls) != 1 {
		t.Fatalf("%d batchSend calls", len(calls))
	}
	c := calls[0]
	if c.Body["robotCode"] != "dingclient" || c.Body["msgKey"] != "sampleMarkdown" || fmt.Sprint(c.Body["userIds"]) != "[staff1]" {
		t.Errorf("call = %v", c.Body)
	}
	p := msgParam(t, c)
	text := p["text"]
	for _, want := range []string{
		"### 🔵 新任务 T3 · 接口文档", "**截止**: 2026-11-27 周五", "请 **尽快** 处理",
		// What a person typed is shown literally.
		`\[x\](http://evil) &lt;at id=all&gt; \*\*no\*\* \_u\_ \` + "`c\\`",
		"- 回复 [/accept T3](dtmd://dingtalkclient/sendMessage?content=%2Faccept%20T3) 接受",
		"- 回复 /decline T3 &lt;理由&gt; 拒绝",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("markdown lacks %q:\n%s", want, text)
		}
	}
	if p["title"] != "新任务 T3 · 接口文档" {
		t.Errorf("title = %q", p["title"])
	}
}

func TestMarkdownCardInAGroupHasNoQuickReplies(t *testing.T) {
	f := newFake(t)
	a := newAdapter(f, nil)
	if _, err := a.Send(context.Background(), bot.OutMessage{Target: bot.Group("dingtalk", "cidG"), Card: &assignCard}); err != nil {
		t.Fatal(err)
	}
	c := f.Calls(pathGroupSend)[0]
	if c.Body["openConversationId"] != "cidG" || c.Body["robotCode"] != "dingclient" {
		t.Errorf("call = %v", c.Body)
	}
	if text := msgParam(t, c)["text"]; strings.Contains(text, "dtmd://") || !strings.Contains(text, "回复 /accept T3 接受") {
		t.Errorf("group markdown:\n%s", text)
	}
}

func TestTemplateCardAndItsUpdate(t *testing.T) {
	f := newFake(t)
	a := newAdapter(f, map[string]string{"task": "tpl-task"})
	ref, err := a.Send(context.Background(), bot.OutMessage{Target: bot.DM("dingtalk:staff1"), Card: &assignCard, CardID: 3, IdemKey: "loopbot-7"})
	if err != nil || ref != "card:loopbot-7" {
		t.Fatalf("send = %q, %v", ref, err)
	}
	c := f.Calls(pathCreateAndDeliver)[0]
	if c.Body["cardTemplateId"] != "tpl-task" || c.Body["outTrackId"] != "loopbot-7" || c.Body["callbackType"] != "STREAM" ||
		c.Body["openSpaceId"] != "dtv1.card//IM_ROBOT.staff1" || c.Body["userIdType"] != 1.0 ||
		fmt.Sprint(c.Body["imRobotOpenSpaceModel"]) != "map[supportForward:false]" ||
		fmt.Sprint(c.Body["imRobotOpenDeliverModel"]) != "map[robotCode:dingclient spaceType:IM_ROBOT]" {
		t.Errorf("createAndDeliver = %v", c.Body)
	}
	params := c.Body["cardData"].(map[string]any)["cardParamMap"].(map[string]any)
	for k, v := range params {
		if _, ok := v.(string); !ok {
			t.Errorf("cardParamMap[%s] = %v, not a string", k, v)
		}
	}
	if params["accept_token"] != "tok-accept" || params["accept_show"] != "true" || params["verify_show"] != "false" || params["ref_task"] != "T3" {
		t.Errorf("params = %v", params)
	}
	done := assignCard
	done.Actions, done.Color = nil, bot.ColorGreen
	if err := a.UpdateCard(context.Background(), ref, bot.OutMessage{Target: bot.DM("dingtalk:staff1"), Card: &done}); err != nil {
		t.Fatal(err)
	}
	u := f.Calls(pathUpdateCard)[0]
	params = u.Body["cardData"].(map[string]any)["cardParamMap"].(map[string]any)
	if u.Method != http.MethodPut || u.Body["outTrackId"] != "loopbot-7" || params["accept_show"] != "false" || params["finished"] != "true" ||
		fmt.Sprint(u.Body["cardUpdateOptions"]) != "map[updateCardDataByKey:true]" {
		t.Errorf("update = %v", u.Body)
	}
	if n := len(f.Calls(pathBatchSend)); n != 0 {
		t.Errorf("a template card update sent %d messages", n)
	}
}

// TestTemplateCardToAGroup: a group's card goes to the IM_GROUP space of
// its openConversationId, delivered by the robot.
func TestTemplateCardToAGroup(t *testing.T) {
	f := newFake(t)
	a := newAdapter(f, map[string]string{"escalation": "tpl-esc"})
	warn := bot.Card{Kind: bot.CardGroupWarning, Title: "🔴 T3", Color: bot.ColorRed}
	if _, err := a.Send(context.Background(), bot.OutMessage{Target: bot.Group(bot.DingTalk, "cidAlpha=="), Card: &warn, IdemKey: "k9"}); err != nil {
		t.Fatal(err)
	}
	c := f.Calls(pathCreateAndDeliver)[0]
	if c.Body["openSpaceId"] != "dtv1.card//IM_GROUP.cidAlpha==" || c.Body["cardTemplateId"] != "tpl-esc" ||
		fmt.Sprint(c.Body["imGroupOpenSpaceModel"]) != "map[supportForward:true]" ||
		fmt.Sprint(c.Body["imGroupOpenDeliverModel"]) != "map[robotCode:dingclient]" || c.Body["imRobotOpenSpaceModel"] != nil {
		t.Errorf("createAndDeliver = %v", c.Body)
	}
}

func TestMarkdownCardUpdateIsAFollowUp(t *testing.T) {
	f := newFake(t)
	a := newAdapter(f, nil)
	done := assignCard
	done.Actions, done.Color, done.Text = nil, bot.ColorGreen, "**已接受 · Bob · 11-23 10:02**"
	if err := a.UpdateCard(context.Background(), "md:pqk", bot.OutMessage{Target: bot.DM("dingtalk:staff1"), Card: &done}); err != nil {
		t.Fatal(err)
	}
	p := msgParam(t, f.Calls(pathBatchSend)[0])
	if !strings.HasPrefix(p["title"], "已更新：") || !strings.Contains(p["text"], "已接受 · Bob") || strings.Contains(p["text"], "/accept") {
		t.Errorf("follow-up = %v", p)
	}
}

func TestBatchSendTakesTwentyUsersACall(t *testing.T) {
	f := newFake(t)
	a := newAdapter(f, nil)
	var users []string
	for i := range 45 {
		users = append(users, fmt.Sprintf("u%d", i))
	}
	if _, err := a.api.sendToUsers(context.Background(), "robot", users, "sampleText", map[string]string{"content": "hi"}); err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, c := range f.Calls(pathBatchSend) {
		sizes = append(sizes, len(c.Body["userIds"].([]any)))
	}
	if fmt.Sprint(sizes) != "[20 20 5]" {
		t.Errorf("batch sizes = %v", sizes)
	}
}

// scripted is an OpenAPI whose answers a test writes.
type scripted struct {
	mu     sync.Mutex
	tokens int
	answer func(w http.ResponseWriter, r *http.Request)
}

func newScripted(t *testing.T, answer func(w http.ResponseWriter, r *http.Request)) (*Adapter, *scripted) {
	s := &scripted{answer: answer}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == pathAccessToken {
			s.mu.Lock()
			s.tokens++
			n := s.tokens
			s.mu.Unlock()
			fmt.Fprintf(w, `{"accessToken":"t%d","expireIn":7200}`, n)
			return
		}
		s.answer(w, r)
	}))
	t.Cleanup(srv.Close)
	return New(Config{ClientID: "id", ClientSecret: "secret", OpenAPIHost: srv.URL}, &recorder{}), s
}

func TestErrorsForTheOutbox(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		header    string
		body      string
		temporary bool
		hint      time.Duration
		reason    string
	}{
		{"rate limited", 429, "3", `{"code":"Forbidden.AccessDenied.QpsLimitForApi","message":"qps limit"}`, true, 3 * time.Second, "QpsLimitForApi"},
		{"rate limited in the body", 403, "", `{"code":"Forbidden.AccessDenied.QpsLimitForAppkeyAndApi","message":"limit"}`, true, time.Second, "QpsLimit"},
		{"server error", 503, "", `{"code":"ServiceUnavailable","message":"busy"}`, true, 0, "ServiceUnavailable"},
		{"no permission for the API", 403, "", `{"code":"Forbidden.AccessDenied.AccessTokenPermissionDenied","message":"没有调用该接口的权限","requestid":"r1"}`, false, 0, "AccessTokenPermissionDenied"},
		{"robot not in the group", 400, "", `{"code":"resource.not.found","message":"robot 不存在或不在群中"}`, false, 0, "robot 不存在或不在群中"},
		{"flow-controlled staff", 200, "", `{"processQueryKey":"k","flowControlledStaffIdList":["staff1"]}`, true, time.Second, "flow-controlled"},
		{"staff outside the app's scope", 200, "", `{"processQueryKey":"k","invalidStaffIdList":["staff1"]}`, false, 0, "not in the app's visible scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _ := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.header != "" {
					w.Header().Set("Retry-After", tt.header)
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			})
			_, err := a.Send(context.Background(), bot.OutMessage{Target: bot.DM("dingtalk:staff1"), Text: "hi"})
			temporary, hint := bot.IsTemporary(err)
			var de *bot.DeliveryError
			if !errors.As(err, &de) || temporary != tt.temporary || hint != tt.hint || !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("err = %v (temporary %v, hint %v)", err, temporary, hint)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error shows the secret: %v", err)
			}
		})
	}
}

func TestTokenIsCachedAndFetchedAgainWhenRefused(t *testing.T) {
	var mu sync.Mutex
	refuse := false
	a, s := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if refuse && r.Header.Get(tokenHeader) == "t1" {
			w.WriteHeader(401)
			io.WriteString(w, `{"code":"InvalidAuthentication","message":"token expired"}`)
			return
		}
		io.WriteString(w, `{"processQueryKey":"k"}`)
	})
	send := func() {
		t.Helper()
		if _, err := a.Send(context.Background(), bot.OutMessage{Target: bot.Group("dingtalk", "cidG"), Text: "hi"}); err != nil {
			t.Fatal(err)
		}
	}
	send()
	send()
	if s.tokens != 1 {
		t.Fatalf("%d tokens for two sends", s.tokens)
	}
	mu.Lock()
	refuse = true
	mu.Unlock()
	send()
	if s.tokens != 2 {
		t.Fatalf("%d tokens after a refused one", s.tokens)
	}
	// A token that reaches its expiry is fetched again.
	a.api.now = func() time.Time { return time.Now().Add(3 * time.Hour) }
	send()
	if s.tokens != 3 {
		t.Fatalf("%d tokens after expiry", s.tokens)
	}
}

func TestSessionWebhookAnswersAMessage(t *testing.T) {
	f := newFake(t)
	a := newAdapter(f, nil)
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	a.SetClock(func() time.Time { return now })
	msg := f.Message("m1", "staff1", "A", "cidDM", false, "/help")
	raw, _ := json.Marshal(dingtalktest.Frame("/v1.0/im/bot/messages/get", "f1", msg))
	decodeEvent(t, a, raw)
	to := bot.DM("dingtalk:staff1")
	if _, err := a.Send(context.Background(), bot.OutMessage{Target: to, Text: "**帮助**"}); err != nil {
		t.Fatal(err)
	}
	hook := f.Calls("/robot/sendBySession")
	if len(hook) != 1 || hook[0].Path != "/robot/sendBySession?session=m1" || hook[0].Body["msgtype"] != "markdown" {
		t.Fatalf("session calls = %+v", hook)
	}
	// Later messages to the chat are not answers: they go through the API.
	now = now.Add(2 * time.Minute)
	if _, err := a.Send(context.Background(), bot.OutMessage{Target: to, Text: "later"}); err != nil {
		t.Fatal(err)
	}
	if len(f.Calls("/robot/sendBySession")) != 1 || len(f.Calls(pathBatchSend)) != 1 {
		t.Errorf("later message: session %d, batchSend %d", len(f.Calls("/robot/sendBySession")), len(f.Calls(pathBatchSend)))
	}
}

// TestMarkdownChangeRequestCard: with no template, a change request card
// shows /approve C1 as a quick reply and /reject C1 <reason> to type.
func TestMarkdownChangeRequestCard(t *testing.T) {
	f := newFake(t)
	a := newAdapter(f, nil)
	card := bot.Card{
		Kind: bot.CardChangeRequest, Title: "变更申请 C1 · T3 接口文档", Color: bot.ColorYellow, Text: "**影响分析**\n- 没有其他任务受影响。",
		Refs: map[string]string{"task": "T3", "project": "P1", "change": "C1"},
		Actions: []bot.Action{
			{Name: "approve", Label: "批准", Value: "tok-approve"}, {Name: "reject", Label: "驳回", Value: "tok-reject"},
		},
	}
	if _, err := a.Send(context.Background(), bot.OutMessage{Target: bot.DM("dingtalk:staff1"), Card: &card, CardID: 4, IdemKey: "k4"}); err != nil {
		t.Fatal(err)
	}
	text := msgParam(t, f.Calls(pathBatchSend)[0])["text"]
	for _, want := range []string{
		"- 回复 [/approve C1](dtmd://dingtalkclient/sendMessage?content=%2Fapprove%20C1) 批准",
		"- 回复 /reject C1 &lt;理由&gt; 驳回",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("markdown lacks %q:\n%s", want, text)
		}
	}
}

// TestMarkdownCardShowsItsChartAsAnImage: DingTalk cannot draw a chart; the
// markdown message shows its PNG, and a template gets it as chart_image.
func TestMarkdownCardShowsItsChartAsAnImage(t *testing.T) {
	card := bot.Card{Kind: bot.CardReviewSummary, Title: "周报 P1", Color: bot.ColorBlue, Text: "计划 3，完成 2",
		Chart: &bot.Chart{Type: "burnup", Image: "https://bot.example.com/files/eyJr.sig"}, Actions: []bot.Action{}}
	_, text := cardMarkdown(card, false)
	if !strings.Contains(text, "![图表](https://bot.example.com/files/eyJr.sig)") {
		t.Errorf("no chart image in:\n%s", text)
	}
	if got := templateParams(card)["chart_image"]; got != "![图表](https://bot.example.com/files/eyJr.sig)" {
		t.Errorf("chart_image = %q", got)
	}
	card.Chart.Image = "javascript:alert(1)"
	if _, text := cardMarkdown(card, false); strings.Contains(text, "javascript") {
		t.Errorf("an unsafe URL was shown:\n%s", text)
	}
}

// TestGanttChartFallsBackToText sends a plan card with a Gantt chart, which
// DingTalk markdown cannot draw: each bar is a paragraph of text, its label
// shown literally, in the markdown message and in a template's text.
func TestGanttChartFallsBackToText(t *testing.T) {
	plan := bot.Card{Kind: bot.CardPlan, Title: "计划 · P1", Color: bot.ColorBlue, Text: "**关键路径**\n- T1 → T3", Actions: []bot.Action{},
		Chart: &bot.Chart{Type: bot.ChartGantt, Bars: []bot.Bar{
			{Task: "T1", Label: "设计", Start: bot.NewDate(2026, 11, 23), Finish: bot.NewDate(2026, 11, 25), Progress: 100, Critical: true, Done: true},
			{Task: "T3", Label: "*开发* <at>", Start: bot.NewDate(2026, 11, 26), Finish: bot.NewDate(2026, 12, 3), Progress: 40, Critical: true},
			{Task: "T4", Label: "上线", Start: bot.NewDate(2026, 12, 4), Finish: bot.NewDate(2026, 12, 4), Milestone: true},
		}}}
	f := newFake(t)
	a := newAdapter(f, nil)
	if _, err := a.Send(context.Background(), bot.OutMessage{Target: bot.DM("dingtalk:staff1"), Card: &plan, CardID: 4, IdemKey: "k4"}); err != nil {
		t.Fatal(err)
	}
	text := msgParam(t, f.Calls(pathBatchSend)[0])["text"]
	want := "T1 设计 11-23→11-25 ■■■■■ 100% !\n\nT3 \\*开发\\* &lt;at&gt; 11-26→12-03 ■■□□□ 40% !\n\n◆ T4 上线 12-04"
	if !strings.Contains(text, want) {
		t.Errorf("markdown lacks the bars %q:\n%s", want, text)
	}
	if p := templateParams(plan); !strings.Contains(p["text"], want) {
		t.Errorf("template text lacks the bars:\n%s", p["text"])
	}
}

// warningItem is one task line of a group warning, overdue by days.
func warningItem(id uint64, title, who string, days int, resolved bool) cards.GroupItem {
	t := bot.Task{ID: id, Title: title, Due: bot.Date{Year: 2026, Month: 11, Day: 20}, Status: bot.StatusAccepted}
	in := cards.EscInfo{Esc: bot.Escalation{ID: id, Rule: bot.RuleOverdue, Task: id, Level: bot.LevelGroup}, DaysLate: days,
		Task: cards.TaskInfo{Task: t, Assignee: bot.Person{Name: who}}}
	return cards.GroupItem{Infos: []cards.EscInfo{in}, Resolved: resolved}
}

// TestMarkdownGroupWarningUpdates: a group warning sent as markdown cannot
// be edited, so its group is told of the tasks resolved since it was last
// told and how many are still open, each task once; a change to open lines
// only posts nothing. Other group cards keep the "已更新" follow-up.
func TestMarkdownGroupWarningUpdates(t *testing.T) {
	f := newFake(t)
	db := storetest.Open(t)
	a := New(Config{ClientID: f.ClientID, ClientSecret: f.ClientSecret, OpenAPIHost: f.URL, Store: db}, &recorder{})
	start := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	a.SetClock(func() time.Time { return start })
	ctx := context.Background()
	project := bot.Project{ID: 2, Name: "二期"}
	warning := func(days int, resolved ...bool) *bot.Card {
		c := cards.GroupWarning(cards.ZH, project, []cards.GroupItem{
			warningItem(3, "设计", "张三", days, resolved[0]), warningItem(4, "开发", "李四", 1, resolved[1]), warningItem(5, "测试", "王五", 1, resolved[2]),
		}, "")
		return &c
	}
	group := bot.Group(bot.DingTalk, "cidAlpha==")
	msg := bot.OutMessage{Target: group, Card: warning(2, false, false, false), CardID: 7}
	err := db.Update(ctx, func(tx bot.Tx) error { // the card's record, which the outbox reads
		return tx.PutCard(bot.CardRecord{ID: 7, Target: group, Card: *msg.Card, CreatedAt: start, UpdatedAt: start})
	})
	if err != nil {
		t.Fatal(err)
	}
	texts := func() []string {
		var out []string
		for _, c := range f.Calls(pathGroupSend) {
			out = append(out, msgParam(t, c)["text"])
		}
		return out
	}
	update := func(c *bot.Card) {
		t.Helper()
		msg.Card = c
		if err := a.UpdateCard(ctx, "md:pqk", msg); err != nil {
			t.Fatal(err)
		}
	}
	update(warning(3, false, false, false))
	if got := texts(); len(got) != 0 {
		t.Fatalf("a change to an open line posted %q", got)
	}
	update(warning(3, false, true, false))
	got := texts()
	if len(got) != 1 || !strings.Contains(got[0], "开发") || strings.Contains(got[0], "设计") || !strings.Contains(got[0], "还有 2 项未解决") {
		t.Fatalf("T4 resolved: %q", got)
	}
	update(warning(4, false, true, false))
	if got := texts(); len(got) != 1 {
		t.Fatalf("told again: %q", got[1:])
	}
	update(warning(4, true, true, true))
	got = texts()
	if len(got) != 2 || !strings.Contains(got[1], "设计") || !strings.Contains(got[1], "测试") || strings.Contains(got[1], "开发") || !strings.Contains(got[1], "已全部解决") {
		t.Fatalf("T3 and T5 resolved: %q", got)
	}
	digest := bot.Card{Kind: bot.CardDailyDigest, Title: "日报", Text: "- 3 项进行中"}
	if err := a.UpdateCard(ctx, "md:x", bot.OutMessage{Target: group, Card: &digest, CardID: 8}); err != nil {
		t.Fatal(err)
	}
	if got := f.Calls(pathGroupSend); len(got) != 3 || !strings.HasPrefix(msgParam(t, got[2])["title"], "已更新：") {
		t.Fatalf("a digest's follow-up: %v", got)
	}
	// What a group was told is kept while the card's record is, and
	// forgotten with it (at most once an hour).
	a.SetClock(func() time.Time { return start.Add(time.Hour) })
	msg.CardID = 9
	update(warning(1, true, false, false))
	err = db.View(ctx, func(tx bot.Tx) error {
		left, err := tx.MetaPrefix(metaFollow)
		if _, ok := left[metaFollow+"7"]; len(left) != 1 || !ok {
			t.Errorf("after an hour: %v, want only card 7's", left)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
