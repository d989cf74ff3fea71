package flows_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// riskRig is a rig with project P1 (owner bob; members carol and dave) and
// its task T1 for carol, on Monday 2026-11-23 at 09:00.
func riskRig(t *testing.T) *rig {
	t.Helper()
	r := newRig(t, time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC).Add(-8*time.Hour))
	r.say("bob", "/project new Alpha")
	r.say("bob", "/project members P1 add @carol @dave")
	r.say("bob", "/task new 接口联调 @carol project:P1 due:2026-12-04")
	return r
}

// risks returns every risk of project 1.
func (r *rig) risks() []bot.Risk {
	r.t.Helper()
	var out []bot.Risk
	r.view(func(tx bot.Tx) (err error) {
		out, err = tx.Risks(1)
		return err
	})
	return out
}

// auditKinds returns the kinds of the audit events with a prefix.
func (r *rig) auditKinds(prefix string) []string {
	r.t.Helper()
	var kinds []string
	r.view(func(tx bot.Tx) error {
		events, err := tx.Audit(time.Time{}, r.clock.Now().Add(time.Hour))
		for _, e := range events {
			if strings.HasPrefix(e.Kind, prefix) {
				kinds = append(kinds, e.Kind+" "+e.Field+" "+string(e.Actor))
			}
		}
		return err
	})
	return kinds
}

func TestRiskAdd(t *testing.T) {
	r := riskRig(t)
	got := r.say("carol", "/risk add P1 供应商可能延期交付 impact:high task:T1")
	wantIn(t, "add", got, "已在 P1 新增风险 R1：\n供应商可能延期交付", "影响 高", "负责人 Carol", "T1")
	// Chinese names, an owner other than the caller, who is told.
	ms := r.do("bob", "", "/风险 新增 P1 服务器采购慢 负责人:@dave 影响:低")
	wantIn(t, "zh add", strings.Join(textsTo(ms, "bob"), "\n"), "已在 P1 新增风险 R2：\n服务器采购慢", "影响 低", "负责人 Dave")
	if dm := textsTo(ms, "dave"); len(dm) != 1 || !strings.Contains(dm[0], "Bob added risk R2 to P1 and made you its owner") {
		t.Errorf("dave was told %q", dm)
	}
	// A mention is the owner too; the impact defaults to medium.
	wantIn(t, "mention owner", r.say("dave", "/risk add P1 Test lab booked @carol"), "R3", "Carol", "Impact medium")
	rs := r.risks()
	if len(rs) != 3 || rs[0].Owner != "playground:carol" || rs[0].Impact != bot.ImpactHigh || rs[0].Task != 1 ||
		rs[1].Owner != "playground:dave" || rs[1].Impact != bot.ImpactLow || rs[1].CreatedBy != "playground:bob" ||
		rs[2].Impact != bot.ImpactMedium || !rs[0].Open() || !rs[0].ReviewedAt.Equal(r.clock.Now()) {
		t.Errorf("risks %+v", rs)
	}
	if kinds := r.auditKinds("risk_"); len(kinds) != 3 || kinds[0] != "risk_added R1 playground:carol" {
		t.Errorf("audit %v", kinds)
	}
	// A zh reader of someone else's risk is told in the right order.
	ms0 := r.do("dave", "", "/risk add P1 Vendor may slip owner:@carol")
	if dm := textsTo(ms0, "carol"); len(dm) != 1 || !strings.Contains(dm[0], "Dave 在 P1 新增了风险 R4，负责人是你") {
		t.Errorf("carol was told %q", dm)
	}
}

// TestRiskAddRefused covers every refusal of /risk add: each names the
// problem (and, for a malformed command, shows the form) and stores
// nothing.
func TestRiskAddRefused(t *testing.T) {
	r := riskRig(t)
	r.say("bob", "/project new Beta")
	r.say("bob", "/task new 别的项目 @bob project:P2 due:2026-12-04")
	usage := "用法： /风险 新增 <P> <描述> [负责人:@a] [影响:高|中|低] [任务:<T>]"
	cases := []struct {
		who, text string
		want      []string
	}{
		{"erin", "/risk add P1 我也想加", []string{"只有 P1 的成员可以新增风险"}},
		{"carol", "/risk add", []string{"哪个项目？", usage}},
		{"carol", "/risk add P1", []string{"请描述风险", usage}},
		{"carol", "/risk add P1 owner:@dave", []string{"请描述风险", usage}},
		{"carol", "/risk add X1 延期", []string{"“X1”不是项目编号"}},
		{"carol", "/risk add P9 延期", []string{"没有项目 P9"}},
		{"carol", "/risk add P1 延期 impact:huge", []string{"影响：“huge”不是 high（高）、medium（中）或 low（低）", usage}},
		{"carol", "/risk add P1 延期 task:T9", []string{"没有任务 T9"}},
		{"carol", "/risk add P1 延期 task:T2", []string{"T2 不是 P1 的任务"}},
		{"carol", "/risk add P1 延期 owner:@erin", []string{"Erin 不是 P1 的成员"}},
		{"carol", "/risk add P1 延期 owner:@nobody", []string{"我不认识 @nobody"}},
		{"carol", "/risk add P1 延期 @bob @dave", []string{"一条风险只有一个负责人", usage}},
		{"carol", "/risk add P1 延期 due:fri", []string{"due: 不是 /risk add 的选项"}},
		{"carol", "/risk", []string{"/风险 新增"}},
		{"dave", "/risk add P1 delay impact:huge", []string{`impact: "huge" is not high, medium or low.`, "Usage: /risk add <P> <text>"}},
	}
	for _, c := range cases {
		got := r.say(c.who, c.text)
		wantIn(t, c.text[:min(len(c.text), 40)], got, c.want...)
		if !strings.HasPrefix(got, "⚠️") {
			t.Errorf("%q: the refusal %q is not marked", c.text[:min(len(c.text), 40)], got)
		}
	}
	r.say("bob", "/project close P2")
	wantIn(t, "closed project", r.say("bob", "/risk add P2 太晚了"), "P2 已关闭")
	if rs := r.risks(); len(rs) != 0 {
		t.Errorf("refusals stored %+v", rs)
	}
	if kinds := r.auditKinds("risk_"); len(kinds) != 0 {
		t.Errorf("refusals audited %v", kinds)
	}
}

func TestRiskCloseAndUpdatePermissions(t *testing.T) {
	r := riskRig(t)
	r.say("carol", "/risk add P1 供应商可能延期交付 impact:high")
	r.say("carol", "/risk add P1 测试环境不稳定")
	closeUsage := "用法： /风险 关闭 <R> <说明>"
	for _, c := range []struct {
		who, text string
		want      []string
	}{
		{"dave", "/risk close R1 not mine", []string{"Only the owner of R1 or a manager of P1 changes or closes it."}},
		{"erin", "/risk close R1 路过", []string{"只有 R1 的负责人或 P1 的经理可以修改或关闭它"}},
		{"dave", "/risk update R1 impact:low", []string{"Only the owner of R1 or a manager of P1 changes or closes it."}},
		{"carol", "/risk close R1", []string{"请说明关闭 R1 的原因", closeUsage}},
		{"carol", "/risk close", []string{"哪条风险？", closeUsage}},
		{"carol", "/risk close P1 好了", []string{"“P1”不是风险编号", closeUsage}},
		{"carol", "/risk close R9 好了", []string{"没有风险 R9"}},
		{"carol", "/risk update R1 impact:severe", []string{"影响：“severe”不是", "用法： /风险 更新 <R>"}},
		{"carol", "/risk update R1 owner:@erin", []string{"Erin 不是 P1 的成员"}},
	} {
		wantIn(t, c.text, c.who+": "+r.say(c.who, c.text), c.want...)
	}
	if rs := r.risks(); !rs[0].Open() || rs[0].Impact != bot.ImpactHigh || rs[0].Owner != "playground:carol" {
		t.Fatalf("refusals changed R1: %+v", rs[0])
	}

	// The owner updates; a manager closes; the owner is told.
	r.clock.Set(r.clock.Now().Add(2 * time.Hour))
	wantIn(t, "update", r.say("carol", "/risk update R1 供应商确认延期一周 impact:medium task:T1"), "已更新风险 R1", "供应商确认延期一周", "影响 中", "T1")
	rs := r.risks()
	if rs[0].Text != "供应商确认延期一周" || rs[0].Impact != bot.ImpactMedium || rs[0].Task != 1 || !rs[0].ReviewedAt.Equal(r.clock.Now()) {
		t.Errorf("after update: %+v", rs[0])
	}
	ms := r.do("bob", "", "/风险 关闭 R1 供应商已交付")
	wantIn(t, "close", strings.Join(textsTo(ms, "bob"), ""), "已关闭风险 R1：供应商已交付")
	if dm := textsTo(ms, "carol"); len(dm) != 1 || !strings.Contains(dm[0], "Bob 关闭了你负责的风险 R1") {
		t.Errorf("carol was told %q", dm)
	}
	rs = r.risks()
	if rs[0].Open() || rs[0].ClosedBy != "playground:bob" || rs[0].ClosingNote != "供应商已交付" || !rs[0].ClosedAt.Equal(r.clock.Now()) {
		t.Errorf("after close: %+v", rs[0])
	}
	wantIn(t, "close twice", r.say("carol", "/risk close R1 再关一次"), "R1 已于 2026-11-23 关闭")
	wantIn(t, "update closed", r.say("carol", "/risk update R1"), "R1 已于 2026-11-23 关闭")
	// The owner closes their own; an admin may too.
	wantIn(t, "owner closes", r.say("carol", "/risk close R2 环境已修复"), "已关闭风险 R2")
	want := []string{
		"risk_added R1 playground:carol", "risk_added R2 playground:carol",
		"risk_updated R1.impact playground:carol", "risk_updated R1.task playground:carol", "risk_updated R1.text playground:carol",
		"risk_closed R1 playground:bob", "risk_closed R2 playground:carol",
	}
	if kinds := r.auditKinds("risk_"); strings.Join(kinds, ";") != strings.Join(want, ";") {
		t.Errorf("audit\n got %v\nwant %v", kinds, want)
	}
}

func TestRisksList(t *testing.T) {
	r := riskRig(t)
	r.say("carol", "/risk add P1 测试环境不稳定 impact:low")
	r.say("carol", "/risk add P1 供应商可能延期交付 impact:high task:T1")
	r.say("dave", "/risk add P1 Key engineer may leave")
	r.say("carol", "/risk close R1 环境已修复")
	r.at(2026, 12, 8, 10, 0) // 15 days later
	got := r.say("dave", "/risks P1")
	wantIn(t, "list", got, "Risks of P1 Alpha", "🔴 R2 [high] 供应商可能延期交付 · owner Carol · T1 · reviewed 15 days ago ⏰ due for review",
		"🟡 R3 [medium] Key engineer may leave · owner Dave", "Closed (1)", "R1 测试环境不稳定 · closed 11-23 by Carol: 环境已修复")
	if strings.Index(got, "R2") > strings.Index(got, "R3") {
		t.Errorf("high impact not first: %q", got)
	}
	if strings.Contains(got[:strings.Index(got, "Closed")], "R1") {
		t.Errorf("closed R1 among the open: %q", got)
	}
	wantIn(t, "zh list", r.say("carol", "/风险清单 P1"), "P1 Alpha 的风险清单", "R2 [高]")
	wantIn(t, "list sub", r.say("carol", "/风险 列表 P1"), "P1 Alpha 的风险清单")
	wantIn(t, "not a member", r.say("erin", "/risks P1"), "你不是 P1 的成员")
	wantIn(t, "no project", r.say("carol", "/risks"), "哪个项目？", "用法： /风险清单 <P>")
	wantIn(t, "two projects", r.say("carol", "/risks P1 P2"), "请只写一个项目编号")
	wantIn(t, "unknown", r.say("carol", "/risks P7"), "没有项目 P7")
	wantIn(t, "admin sees", r.say("alice", "/risks P1"), "R2")
}

// TestRiskRaisedOnceAcrossRestart leaves a risk unreviewed for two weeks:
// the daily check asks its owner once, and neither a second run nor a
// restart of the service asks again; an update starts the two weeks
// afresh.
func TestRiskRaisedOnceAcrossRestart(t *testing.T) {
	r := riskRig(t)
	r.say("bob", "/risk add P1 供应商可能延期交付 owner:@carol impact:high")
	r.say("bob", "/risk add P1 Budget may be cut owner:@dave")
	r.say("bob", "/risk add P1 已处理的风险")
	r.say("bob", "/risk close R3 已解决")
	ctx := context.Background()
	run := func() []queued {
		t.Helper()
		if err := r.svc.RunRiskReview(ctx, r.clock.Now()); err != nil {
			t.Fatal(err)
		}
		return r.drain()
	}
	r.at(2026, 12, 7, 8, 59) // a minute short of two weeks
	if ms := run(); len(ms) != 0 {
		t.Fatalf("raised before two weeks: %+v", ms)
	}
	r.at(2026, 12, 7, 9, 0)
	ms := run()
	carol, dave := cardsTo(ms, "carol"), cardsTo(ms, "dave")
	if len(ms) != 2 || len(carol) != 1 || len(dave) != 1 {
		t.Fatalf("raised %+v", ms)
	}
	wantIn(t, "carol's card", carol[0].Title+"\n"+carol[0].Text, "风险待复核 · R1 · P1 Alpha", "自 2026-11-23 起未复核", "供应商可能延期交付", "/风险 更新 R1", "/风险 关闭 R1")
	wantIn(t, "dave's card", dave[0].Title+"\n"+dave[0].Text, "Risk to review · R2 · P1 Alpha", "not been reviewed since 2026-11-23", "/risk update R2")
	if carol[0].Color != bot.ColorYellow || carol[0].Refs["risk"] != "R1" {
		t.Errorf("card %+v", carol[0])
	}
	if ms := run(); len(ms) != 0 {
		t.Errorf("a second run raised again: %+v", ms)
	}
	r.restart()
	r.at(2026, 12, 8, 9, 30)
	if ms := run(); len(ms) != 0 {
		t.Errorf("after a restart, raised again: %+v", ms)
	}
	// Carol confirms R1 on 12-08; dave leaves R2 alone.
	r.say("carol", "/risk update R1")
	r.at(2026, 12, 21, 9, 30) // 13 days after the confirmation
	if ms := run(); len(ms) != 0 {
		t.Errorf("raised 13 days after a review: %+v", ms)
	}
	r.at(2026, 12, 22, 9, 30)
	ms = run()
	if c := cardsTo(ms, "carol"); len(ms) != 1 || len(c) != 1 || !strings.Contains(c[0].Text, "自 2026-12-08 起未复核") {
		t.Errorf("after the review went stale again: %+v", ms)
	}
	if kinds := r.auditKinds("risk_raised"); len(kinds) != 3 {
		t.Errorf("raised events %v", kinds)
	}
}

// TestRiskRaiseWaitsForLeave: an owner on leave is asked on their first day
// back, by the scheduled job, which runs on working days only.
func TestRiskRaiseWaitsForLeave(t *testing.T) {
	r := riskRig(t)
	r.say("carol", "/risk add P1 供应商可能延期交付")
	r.say("carol", "/leave 2026-12-07..2026-12-08")
	var job bot.Job
	for _, j := range r.svc.Jobs() {
		if j.Name == "risk_review" {
			job = j
		}
	}
	sched := bot.NewScheduler(r.st, r.clock, nil, job)
	advance := func(y int, m time.Month, d, hh, mm int) []bot.Card {
		t.Helper()
		if err := sched.AdvanceTo(context.Background(), r.clock, time.Date(y, m, d, hh, mm, 0, 0, r.loc), nil, nil); err != nil {
			t.Fatal(err)
		}
		var out []bot.Card
		for _, c := range cardsTo(r.drain(), "carol") {
			if strings.Contains(c.Title, "R1") {
				out = append(out, c)
			}
		}
		return out
	}
	if got := advance(2026, 12, 8, 18, 0); len(got) != 0 {
		t.Fatalf("raised while on leave: %+v", got)
	}
	if got := advance(2026, 12, 9, 9, 31); len(got) != 1 {
		t.Fatalf("on the first day back: %d cards", len(got))
	}
	if got := advance(2026, 12, 16, 18, 0); len(got) != 0 {
		t.Errorf("raised again: %+v", got)
	}
}
