package wecom

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/cards"
)

// apiLog is a minimal WeCom API that records each call's path and body.
type apiLog struct {
	mu    sync.Mutex
	calls []string
	// answer decides the JSON answer of a path; nil answers ok.
	answer func(path string) string
}

func (l *apiLog) handler(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	l.mu.Lock()
	l.calls = append(l.calls, r.URL.Path+" "+string(raw))
	answer := l.answer
	l.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case answer != nil && answer(r.URL.Path) != "":
		_, _ = io.WriteString(w, answer(r.URL.Path))
	case r.URL.Path == "/cgi-bin/gettoken":
		_, _ = io.WriteString(w, `{"errcode":0,"errmsg":"ok","access_token":"T","expires_in":7200}`)
	case r.URL.Path == "/cgi-bin/message/send":
		_, _ = io.WriteString(w, `{"errcode":0,"errmsg":"ok","msgid":"m1","response_code":"rc-send"}`)
	default:
		_, _ = io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	}
}

func (l *apiLog) paths(prefix string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, c := range l.calls {
		if strings.HasPrefix(c, prefix) {
			out = append(out, c)
		}
	}
	return out
}

func apiEnv(t *testing.T) (*testEnv, *apiLog) {
	e := testEnvNow(t)
	log := &apiLog{}
	srv := httptest.NewServer(http.HandlerFunc(log.handler))
	t.Cleanup(srv.Close)
	e.a.cfg.APIBase = srv.URL
	e.a.api.base = srv.URL
	return e, log
}

func assignedCard() bot.Card {
	return bot.Card{Kind: bot.CardTaskAssigned, Title: "新任务 T3 · 设计", Color: bot.ColorBlue,
		Actions: []bot.Action{{Name: "accept", Label: "接受", Value: "tokA"}}}
}

// TestUpdateThroughResponseCode: the send's response code updates the card
// once; the next update, with no code left, is a short follow-up message.
func TestUpdateThroughResponseCode(t *testing.T) {
	e, log := apiEnv(t)
	ctx := context.Background()
	msg := bot.OutMessage{Target: bot.DM("wecom:bob"), Card: ptr(assignedCard()), CardID: 5, IdemKey: "loopbot-9"}
	ref, err := e.a.Send(ctx, msg)
	if err != nil || ref != "lb-5-9-0" {
		t.Fatalf("Send: %q, %v", ref, err)
	}
	done := assignedCard()
	done.Actions, done.Text, done.Color = []bot.Action{}, "**已接受 · Bob · 11-23 10:02**", bot.ColorGreen
	msg.Card = &done
	if err := e.a.UpdateCard(ctx, ref, msg); err != nil {
		t.Fatal(err)
	}
	ups := log.paths("/cgi-bin/message/update_template_card")
	if len(ups) != 1 || !strings.Contains(ups[0], `"response_code":"rc-send"`) || !strings.Contains(ups[0], `"replace_name":"已接受 · Bob · 11-23 10:02"`) {
		t.Fatalf("updates %v", ups)
	}
	if err := e.a.UpdateCard(ctx, ref, msg); err != nil {
		t.Fatal(err)
	}
	if n := len(log.paths("/cgi-bin/message/update_template_card")); n != 1 {
		t.Errorf("a used response code was used again: %d updates", n)
	}
	sends := log.paths("/cgi-bin/message/send")
	if len(sends) != 2 || !strings.Contains(sends[1], `"msgtype":"markdown"`) || !strings.Contains(sends[1], "已接受") {
		t.Fatalf("follow-up: %v", sends)
	}
}

func ptr[T any](v T) *T { return &v }

// TestExpiredCheckinNotSent: a check-in card past its cut-off is a
// permanent failure (dead-lettered, so recorded), and nothing is sent.
func TestExpiredCheckinNotSent(t *testing.T) {
	e, log := apiEnv(t)
	e.a.cfg.Expired = func(c bot.Card, now time.Time) bool { return c.Kind == bot.CardCheckin }
	c := bot.Card{Kind: bot.CardCheckin, Title: "今日打卡", Actions: []bot.Action{{Name: "submit", Value: "t"}}}
	_, err := e.a.Send(context.Background(), bot.OutMessage{Target: bot.DM("wecom:bob"), Card: &c, CardID: 1, IdemKey: "loopbot-1"})
	if temp, _ := bot.IsTemporary(err); err == nil || temp {
		t.Fatalf("Send of an expired check-in: %v", err)
	}
	if n := len(log.paths("/cgi-bin/message/send")); n != 0 {
		t.Errorf("%d messages sent", n)
	}
}

// TestDeliveryErrors: rate limits and busy answers are retried, a wrong
// member is not, and no error holds the token.
func TestDeliveryErrors(t *testing.T) {
	e, log := apiEnv(t)
	ctx := context.Background()
	for _, c := range []struct {
		answer    string
		temporary bool
	}{
		{`{"errcode":45009,"errmsg":"api freq out of limit"}`, true},
		{`{"errcode":-1,"errmsg":"system busy"}`, true},
		{`{"errcode":0,"errmsg":"ok","invaliduser":"ghost"}`, false},
		{`{"errcode":60020,"errmsg":"not allow to access from your ip"}`, false},
	} {
		log.mu.Lock()
		log.answer = func(p string) string {
			if p == "/cgi-bin/message/send" {
				return c.answer
			}
			return ""
		}
		log.mu.Unlock()
		_, err := e.a.Send(ctx, bot.OutMessage{Target: bot.DM("wecom:ghost"), Text: "hi", IdemKey: "loopbot-1"})
		if temp, _ := bot.IsTemporary(err); err == nil || temp != c.temporary {
			t.Errorf("answer %s: %v (temporary %v), want temporary %v", c.answer, err, temp, c.temporary)
		}
		if err != nil && strings.Contains(err.Error(), "access_token") {
			t.Errorf("error names the token: %v", err)
		}
	}
}

// TestRobotSend: a group card goes to the robot's webhook as markdown, and
// a robot the adapter does not know is a permanent failure.
func TestRobotSend(t *testing.T) {
	e, log := apiEnv(t)
	ctx := context.Background()
	target := bindRobot(t, e)
	c := bot.Card{Kind: bot.CardGroupWarning, Title: "督办预警", Color: bot.ColorRed, Text: "- **T3** 逾期 2 天", Actions: []bot.Action{}}
	if _, err := e.a.Send(ctx, bot.OutMessage{Target: target, Card: &c}); err != nil {
		t.Fatal(err)
	}
	posts := log.paths("/cgi-bin/webhook/send")
	var body struct {
		MsgType  string `json:"msgtype"`
		Markdown struct {
			Content string `json:"content"`
		} `json:"markdown"`
	}
	if len(posts) != 1 {
		t.Fatalf("robot posts %v", posts)
	}
	_ = json.Unmarshal([]byte(strings.SplitN(posts[0], " ", 2)[1]), &body)
	if body.MsgType != "markdown" || !strings.Contains(body.Markdown.Content, "🔴") || !strings.Contains(body.Markdown.Content, "• **T3** 逾期 2 天") {
		t.Errorf("robot body %+v", body)
	}
	_, err := e.a.Send(ctx, bot.OutMessage{Target: bot.Group(bot.WeCom, "robot-unknown"), Text: "x"})
	if temp, _ := bot.IsTemporary(err); err == nil || temp {
		t.Errorf("unknown robot: %v", err)
	}
}

// TestParseRobotURL: only a webhook of WeCom (or of api_base) with a key is
// taken, and errors never repeat the key.
func TestParseRobotURL(t *testing.T) {
	good := "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
	if _, key, err := ParseRobotURL(good, DefaultAPIBase); err != nil || key != "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa" {
		t.Fatalf("good URL: %q %v", key, err)
	}
	for _, bad := range []string{
		"", "not a url", "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx",
		"https://evil.example.com/cgi-bin/webhook/send?key=693a91f6-7xxx",
		"https://qyapi.weixin.qq.com/cgi-bin/message/send?key=693a91f6-7xxx",
		"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=",
		"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=<script>",
		"https://user:pw@qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx",
	} {
		_, _, err := ParseRobotURL(bad, DefaultAPIBase)
		if err == nil {
			t.Errorf("accepted %q", bad)
		} else if strings.Contains(err.Error(), "693a91f6") {
			t.Errorf("error repeats the key: %v", err)
		}
	}
	if m := MaskRobotURL("693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"); strings.Contains(m, "693a91f6") || !strings.HasSuffix(m, "5aaa") {
		t.Errorf("mask %q", m)
	}
}

// groupItem is one task line of a group warning, overdue by days.
func groupItem(id uint64, title, who string, days int, resolved bool) cards.GroupItem {
	t := bot.Task{ID: id, Title: title, Due: bot.Date{Year: 2026, Month: 11, Day: 20}, Status: bot.StatusAccepted}
	in := cards.EscInfo{Esc: bot.Escalation{ID: id, Rule: bot.RuleOverdue, Task: id, Level: bot.LevelGroup}, DaysLate: days,
		Task: cards.TaskInfo{Task: t, Assignee: bot.Person{Name: who}}}
	return cards.GroupItem{Infos: []cards.EscInfo{in}, Resolved: resolved}
}

// TestRobotGroupWarningUpdates: a group robot's message cannot be edited,
// so a group warning's change is told by a follow-up naming the lines
// resolved since the last one and how many are still open; a change to
// open lines only posts nothing, and nothing is told twice. Titles with
// "&" and "(" reach WeCom escaped once.
func TestRobotGroupWarningUpdates(t *testing.T) {
	e, log := apiEnv(t)
	ctx := context.Background()
	target := bindRobot(t, e)
	project := bot.Project{ID: 2, Name: "R&D (一期)"}
	warning := func(days int, resolved ...bool) *bot.Card {
		c := cards.GroupWarning(cards.ZH, project, []cards.GroupItem{
			groupItem(3, "设计", "张三", days, resolved[0]), groupItem(4, "开发", "李四", 1, resolved[1]), groupItem(5, "测试", "王五", 1, resolved[2]),
		}, "")
		return &c
	}
	posts := func() []string { return robotPosts(log) }
	msg := bot.OutMessage{Target: target, Card: warning(2, false, false, false), CardID: 7}
	if _, err := e.a.Send(ctx, msg); err != nil {
		t.Fatal(err)
	}
	update := func(c *bot.Card) {
		t.Helper()
		msg.Card = c
		if err := e.a.UpdateCard(ctx, "robot", msg); err != nil {
			t.Fatal(err)
		}
	}
	update(warning(3, false, false, false)) // T3 a day later: its line only
	if got := posts(); len(got) != 1 {
		t.Fatalf("a change to an open line posted %q", got[1:])
	}
	update(warning(3, false, true, false))
	got := posts()
	if len(got) != 2 || !strings.Contains(got[1], "开发") || strings.Contains(got[1], "设计") || strings.Contains(got[1], "测试") ||
		!strings.Contains(got[1], "还有 2 项未解决") {
		t.Fatalf("T4 resolved: posts %q", got)
	}
	if !strings.Contains(got[1], "R&amp;D \\(一期\\)") || strings.Contains(got[1], "&amp;amp;") || strings.Contains(got[1], `\\`) {
		t.Errorf("the title is not escaped once: %q", got[1])
	}
	update(warning(4, false, true, false)) // T3 again: T4 is not told twice
	if got := posts(); len(got) != 2 {
		t.Fatalf("told again: %q", got[2:])
	}
	update(warning(4, true, true, true))
	got = posts()
	if len(got) != 3 || !strings.Contains(got[2], "设计") || !strings.Contains(got[2], "测试") || strings.Contains(got[2], "开发") ||
		!strings.Contains(got[2], "已全部解决") {
		t.Fatalf("T3 and T5 resolved: posts %q", got)
	}
	// Another card sent by the robot: its title and new state.
	other := bot.Card{Kind: bot.CardDailyDigest, Title: "日报 · R&D", Text: "**已更新**\n- 3 项进行中"}
	if err := e.a.UpdateCard(ctx, "robot", bot.OutMessage{Target: target, Card: &other, CardID: 8}); err != nil {
		t.Fatal(err)
	}
	if got := posts(); len(got) != 4 || !strings.Contains(got[3], "🔄 **日报 · R&amp;D**") || !strings.Contains(got[3], "已更新") || strings.Contains(got[3], "3 项") {
		t.Fatalf("a digest's follow-up: %q", got[3:])
	}
	// What a chat was told is kept while the card's record is, and forgotten
	// with it.
	msg.CardID = 9
	update(warning(1, true, false, false))
	err := e.db.Update(ctx, func(tx bot.Tx) error {
		return tx.PutCard(bot.CardRecord{ID: 7, Target: target, Card: *warning(1, true, true, true), CreatedAt: e.clock.Now(), UpdatedAt: e.clock.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.a.Prune(ctx); err != nil {
		t.Fatal(err)
	}
	err = e.db.View(ctx, func(tx bot.Tx) error {
		left, err := tx.MetaPrefix(metaFollow)
		if _, ok := left[metaFollow+"7"]; len(left) != 1 || !ok {
			t.Errorf("after Prune: %v, want only card 7's", left)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// bindRobot binds a group robot of the fake WeCom and returns its group.
func bindRobot(t *testing.T, e *testEnv) bot.Target {
	t.Helper()
	var target bot.Target
	err := e.db.Update(context.Background(), func(tx bot.Tx) (err error) {
		target, _, err = e.a.BindRobot(tx, e.a.cfg.APIBase+"/cgi-bin/webhook/send?key=12345678-aaaa-bbbb")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return target
}

// robotPosts returns the markdown contents posted to group robots.
func robotPosts(log *apiLog) []string {
	var out []string
	for _, p := range log.paths("/cgi-bin/webhook/send") {
		var body struct {
			Markdown struct {
				Content string `json:"content"`
			} `json:"markdown"`
		}
		_ = json.Unmarshal([]byte(strings.SplitN(p, " ", 2)[1]), &body)
		out = append(out, body.Markdown.Content)
	}
	return out
}

// TestGroupWarningFollowUpsFit: 60 tasks resolved at once are told in as
// many robot posts as fit WeCom's 4096 bytes, each task once, every post
// with the count of those still open; in a direct chat (a project without
// a robot sends its warnings to its managers), the same in markdown
// messages, and a change to open lines posts nothing there either.
func TestGroupWarningFollowUpsFit(t *testing.T) {
	e, log := apiEnv(t)
	ctx := context.Background()
	target := bindRobot(t, e)
	warning := func(resolved int) *bot.Card {
		var items []cards.GroupItem
		for i := range 61 {
			items = append(items, groupItem(uint64(100+i), fmt.Sprintf("模块 %d 的接口联调与文档", i), "张三", 2, i < resolved))
		}
		c := cards.GroupWarning(cards.ZH, bot.Project{ID: 2, Name: "二期"}, items, "")
		return &c
	}
	for _, to := range []bot.Target{target, bot.DM("wecom:bob")} {
		msg := bot.OutMessage{Target: to, Card: warning(0), CardID: 11}
		ref, err := e.a.Send(ctx, msg)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.a.UpdateCard(ctx, ref, msg); err != nil { // nothing resolved
			t.Fatal(err)
		}
		msg.Card = warning(60)
		if err := e.a.UpdateCard(ctx, ref, msg); err != nil {
			t.Fatal(err)
		}
		if err := e.a.UpdateCard(ctx, ref, msg); err != nil {
			t.Fatal(err)
		}
		if err := e.db.Update(ctx, func(tx bot.Tx) error { return tx.DeleteMeta(metaFollow + "11") }); err != nil {
			t.Fatal(err)
		}
	}
	var dms []string
	for _, p := range log.paths("/cgi-bin/message/send") {
		var body appMessage
		_ = json.Unmarshal([]byte(strings.SplitN(p, " ", 2)[1]), &body)
		if body.Markdown != nil && strings.Contains(body.Markdown.Content, "🔄") {
			dms = append(dms, body.Markdown.Content)
		}
	}
	for name, posts := range map[string][]string{"robot": robotPosts(log)[1:], "direct chat": dms} {
		limit := maxRobotBytes
		if name == "direct chat" {
			limit = maxMarkdownBytes
		}
		all := strings.Join(posts, "\n")
		if len(posts) < 2 {
			t.Errorf("%s: %d posts, want the 60 lines split", name, len(posts))
		}
		for _, p := range posts {
			if len(p) > limit || !strings.HasSuffix(p, "还有 1 项未解决。") {
				t.Errorf("%s: a post of %d bytes (limit %d) ends %q", name, len(p), limit, p[max(0, len(p)-40):])
			}
		}
		for i := range 61 {
			n := strings.Count(all, fmt.Sprintf("模块 %d 的", i))
			if i < 60 && n != 1 || i == 60 && n != 0 {
				t.Errorf("%s: task %d told %d times", name, i, n)
			}
		}
	}
}
