package wecom

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/loopbot/loopbot/bot"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// neutralCards returns a card of every kind, in zh and en: a snapshot of
// the cards package's golden cards in testdata/neutral (a snapshot, so that
// a change in cards/ does not break this test; copy them again to follow
// one), plus cards of the kinds it has none of yet.
func neutralCards(t *testing.T) map[string]bot.Card {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("testdata", "neutral", "*.json"))
	if len(files) == 0 {
		t.Fatal("no neutral cards in testdata/neutral")
	}
	out := map[string]bot.Card{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c bot.Card
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for i := range c.Actions {
			c.Actions[i].Value = "tok-" + c.Actions[i].Name
		}
		out[strings.TrimSuffix(filepath.Base(f), ".json")] = c
	}
	for _, l := range []string{"en", "zh"} {
		zh := l == "zh"
		pick := func(en, z string) string {
			if zh {
				return z
			}
			return en
		}
		out["change_request_"+l] = bot.Card{Kind: bot.CardChangeRequest, Title: pick("Change C1 · T3 due date", "变更 C1 · T3 截止日期"), Color: bot.ColorYellow,
			Text:    pick("Bob asks to move the due date.\n- T4 moves by 2 working days", "Bob 申请延期。\n- T4 顺延 2 个工作日"),
			Fields:  []bot.Field{{Label: pick("From", "原值"), Value: "11-27"}, {Label: pick("To", "新值"), Value: "12-01"}},
			Inputs:  []bot.Input{{Name: "reason", Kind: bot.InputTextarea, Label: pick("Reason (to reject)", "驳回理由"), For: "reject"}},
			Actions: []bot.Action{{Name: "approve", Label: pick("Approve", "批准"), Value: "tok-approve"}, {Name: "reject", Label: pick("Reject", "驳回"), Value: "tok-reject"}},
			Refs:    map[string]string{"change": "C1"}}
		out["report_"+l] = bot.Card{Kind: bot.CardReport, Title: pick("Report · P1 · week", "报告 · P1 · 本周"), Color: bot.ColorBlue,
			Text: pick("**On time** 80%\n- 4 of 5 done", "**按时率** 80%\n- 完成 4/5"), Actions: []bot.Action{}}
		out["plan_"+l] = bot.Card{Kind: bot.CardPlan, Title: pick("Plan · P1", "计划 · P1"), Color: bot.ColorGreen,
			Text: pick("Critical path: T1 → T3 → T4", "关键路径：T1 → T3 → T4"), Actions: []bot.Action{},
			Chart: &bot.Chart{Type: bot.ChartGantt, Bars: []bot.Bar{
				{Task: "T1", Label: pick("Design", "设计"), Start: bot.NewDate(2026, 11, 23), Finish: bot.NewDate(2026, 11, 25), Progress: 100, Critical: true, Done: true},
				{Task: "T3", Label: "*build* <b>", Start: bot.NewDate(2026, 11, 26), Finish: bot.NewDate(2026, 12, 3), Progress: 40, Critical: true},
				{Task: "T4", Label: pick("Launch", "上线"), Start: bot.NewDate(2026, 12, 4), Finish: bot.NewDate(2026, 12, 4), Milestone: true, Critical: true},
			}}}
	}
	return out
}

// groupKinds are the cards that go to project groups, through the robot.
var groupKinds = map[string]bool{bot.CardGroupWarning: true, bot.CardDailyDigest: true, bot.CardReviewSummary: true}

// TestGoldenTemplateCards renders every card kind, in zh and en, into the
// message/send bodies (and, for group cards, the group robot body) that go
// to WeCom, and checks them against testdata.
func TestGoldenTemplateCards(t *testing.T) {
	e := testEnvNow(t)
	kinds := map[string]bool{}
	names := []string{}
	cards := neutralCards(t)
	for n := range cards {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		c := cards[name]
		kinds[c.Kind] = true
		l := lang("zh")
		if strings.HasSuffix(name, "_en") {
			l = "en"
		}
		t.Run(name, func(t *testing.T) {
			msgs, err := e.a.messages(l, c, "bob", func(n int) string { return taskID(12, "loopbot-34", n) }, e.a.fitKey(t.Context()))
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]any{"message_send": msgs}
			if groupKinds[c.Kind] {
				out["group_robot"] = robotMessage{MsgType: "markdown", Markdown: mdContent{Content: cardMarkdown(l, c, maxRobotBytes)}}
			}
			checkLimits(t, msgs)
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			_ = enc.Encode(out)
			checkGoldenFile(t, filepath.Join("testdata", name+".wecom.json"), bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
		})
	}
	for _, k := range []string{bot.CardTaskAssigned, bot.CardAcceptance, bot.CardCheckin, bot.CardCheckinReminder, bot.CardDailyDigest,
		bot.CardEscalation, bot.CardGroupWarning, bot.CardReviewPrompt, bot.CardReviewSummary, bot.CardChangeRequest, bot.CardReport,
		bot.CardPlan, bot.CardNotice} {
		if !kinds[k] {
			t.Errorf("no golden card of kind %s", k)
		}
	}
}

// checkLimits checks WeCom's documented limits on every template card.
func checkLimits(t *testing.T, msgs []appMessage) {
	t.Helper()
	for _, m := range msgs {
		if m.EnableDuplicateCheck != 1 || m.DuplicateCheckInterval <= 0 || m.DuplicateCheckInterval > 4*3600 {
			t.Errorf("duplicate check %d/%d", m.EnableDuplicateCheck, m.DuplicateCheckInterval)
		}
		if m.Markdown != nil && len(m.Markdown.Content) > maxMarkdownBytes {
			t.Errorf("markdown of %d bytes", len(m.Markdown.Content))
		}
		tc := m.TemplateCard
		if tc == nil {
			continue
		}
		if len(tc.TaskID) > maxTaskIDBytes || strings.Trim(tc.TaskID, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-@") != "" {
			t.Errorf("task_id %q", tc.TaskID)
		}
		if len(tc.ButtonList) > maxButtons || len(tc.SelectList) > maxSelects || len(tc.Horizontal) > maxFields {
			t.Errorf("too many buttons, selects or fields: %d %d %d", len(tc.ButtonList), len(tc.SelectList), len(tc.Horizontal))
		}
		switch tc.CardType {
		case cardButton:
			if len(tc.ButtonList) == 0 {
				t.Error("button_interaction without buttons")
			}
		case cardMultiple:
			if len(tc.SelectList) == 0 || tc.SubmitButton == nil {
				t.Error("multiple_interaction without selects or submit")
			}
		}
		for _, b := range tc.ButtonList {
			if len(b.Key) > maxKeyBytes || b.Key == "" {
				t.Errorf("button key of %d bytes", len(b.Key))
			}
		}
		sels := tc.SelectList
		if tc.ButtonSelection != nil {
			sels = append(sels, *tc.ButtonSelection)
		}
		for _, s := range sels {
			if len(s.OptionList) == 0 || len(s.OptionList) > maxOptions {
				t.Errorf("select %s with %d options", s.QuestionKey, len(s.OptionList))
			}
			for _, o := range s.OptionList {
				if len(o.ID) > maxOptionIDBytes {
					t.Errorf("option id of %d bytes", len(o.ID))
				}
			}
		}
		if utf8.RuneCountInString(tc.MainTitle.Title) > maxTitleRunes {
			t.Errorf("title %q too long", tc.MainTitle.Title)
		}
	}
}

func checkGoldenFile(t *testing.T, path string, got []byte) {
	t.Helper()
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run Golden -update)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the golden file; run with -update if the change is right.\ngot:\n%s", path, got)
	}
}

// TestLongKeyIsStored: a token too long for WeCom's 1024-byte key goes to
// the store, and the card carries a short reference that the click resolves.
func TestLongKeyIsStored(t *testing.T) {
	e := testEnvNow(t)
	long := "accept|" + strings.Repeat("x", 2000)
	k, err := e.a.fitKey(t.Context())(long)
	if err != nil || len(k) > maxKeyBytes || !strings.HasPrefix(k, "ref:") {
		t.Fatalf("fitKey: %q, %v", k, err)
	}
	if got := e.a.resolveKey(t.Context(), k); got != long {
		t.Errorf("resolveKey gives %d bytes, want the long key", len(got))
	}
	if short, _ := e.a.fitKey(t.Context())("accept|abc"); short != "accept|abc" {
		t.Errorf("a short key was changed: %q", short)
	}
}

// TestMarkdownEscapes: text people typed shows literally in WeCom markdown.
func TestMarkdownEscapes(t *testing.T) {
	got := renderMarkdown("**Bold** and " + bot.EscapeMarkdown("[x](http://e) <@all> **y** #h"))
	want := `**Bold** and \[x\]\(http://e\) &lt;@all&gt; \*\*y\*\* \#h`
	if got != want {
		t.Errorf("renderMarkdown = %q, want %q", got, want)
	}
	if got := renderMarkdown("- item\n~~old~~"); got != "• item\n<font color=\"comment\">old</font>" {
		t.Errorf("bullets and strike: %q", got)
	}
}

// TestLimits: WeCom's documented limits, each window widened by the
// margin for the latency to WeCom, never loosened.
func TestLimits(t *testing.T) {
	got := Limits()
	want := bot.DefaultLimits(bot.WeCom)
	if len(got) != len(want) || len(got) != 3 {
		t.Fatalf("Limits() = %v", got)
	}
	for i := range got {
		if got[i].N != want[i].N || got[i].Scope != want[i].Scope || got[i].Per <= want[i].Per {
			t.Errorf("limit %d = %+v, documented %+v", i, got[i], want[i])
		}
	}
}

// TestChartAsImageLink: WeCom cannot draw a chart; a card's chart with a PNG
// URL becomes a link right under the title (kept when the text is cut), and
// a URL that could break the markdown is left out.
func TestChartAsImageLink(t *testing.T) {
	c := bot.Card{Kind: bot.CardReviewSummary, Title: "周报 P1", Color: bot.ColorBlue, Text: strings.Repeat("很长的正文。", 2000),
		Chart: &bot.Chart{Type: "burnup", Image: "https://bot.example.com/files/eyJr.sig"}}
	got := cardMarkdown(lang("zh"), c, maxMarkdownBytes)
	if !strings.Contains(got, "[📈 图表（图片）](https://bot.example.com/files/eyJr.sig)") {
		t.Errorf("no chart link in %.200q", got)
	}
	c.Chart.Image = "https://e.com/x) [y](https://evil"
	if got := cardMarkdown(lang("en"), c, maxMarkdownBytes); strings.Contains(got, "evil") {
		t.Errorf("an unsafe URL was linked: %.200q", got)
	}
}
