package export_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/calendar"
	"github.com/loopbot/loopbot/cards"
	"github.com/loopbot/loopbot/export"
	"github.com/loopbot/loopbot/flows"
	"github.com/loopbot/loopbot/store"
)

var shanghai = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// now is the scenario's "today": Wednesday 2026-11-25, 15:00 in Shanghai.
var now = time.Date(2026, 11, 25, 15, 0, 0, 0, shanghai)

func at(day, hh, mm int) time.Time { return time.Date(2026, 11, day, hh, mm, 0, 0, shanghai) }

func d(m time.Month, day int) bot.Date { return bot.NewDate(2026, m, day) }

const (
	alice bot.PersonID = "playground:alice"
	bob   bot.PersonID = "playground:bob"
	carol bot.PersonID = "playground:carol"
	dave  bot.PersonID = "playground:dave"
)

// injection is a task title that a spreadsheet would run as a formula.
const injection = "=cmd|' /C calc'!A0"

// quoted is a task title with a comma, quotes and a line break.
const quoted = "测试, \"联调\"\n第二行"

// scenario returns an exporter over a store holding project P1 (Alpha 发布,
// tasks T1–T5 in every state a sheet colours, check-ins, an open
// escalation, a review) and project P2 (T6, dave), which an export of P1
// must leave out.
func scenario(tb testing.TB) *export.Exporter {
	tb.Helper()
	db, err := store.Open(filepath.Join(tb.TempDir(), "loopbot.db"), store.Options{Now: func() time.Time { return now }})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	ctx := context.Background()
	err = db.Update(ctx, func(tx bot.Tx) error {
		for _, p := range []bot.Person{{ID: alice, Name: "王丽 Alice"}, {ID: bob, Name: "Bob 张伟"}, {ID: carol, Name: "Carol 李娜"}, {ID: dave, Name: "Dave"}} {
			p.CreatedAt = at(16, 9, 0)
			must(tb, tx.PutPerson(p))
		}
		must(tb, tx.PutProject(bot.Project{ID: 1, Name: "Alpha 发布", Owner: alice, Members: []bot.PersonID{bob, carol}, Start: d(11, 16),
			Deadline: d(12, 18), Acceptance: false, CreatedAt: at(16, 9, 0), UpdatedAt: at(16, 9, 0)}))
		must(tb, tx.PutProject(bot.Project{ID: 2, Name: "Beta", Owner: dave, Members: []bot.PersonID{dave}, CreatedAt: at(16, 9, 0)}))
		base := bot.Task{Project: 1, Assigner: alice, Priority: bot.PrioNormal, CreatedAt: at(16, 9, 30), UpdatedAt: at(16, 9, 30)}
		tasks := []bot.Task{
			{ID: 1, Title: "设计评审 Design review", Assignee: bob, PlannedStart: d(11, 16), Due: d(11, 20), BaselineDue: d(11, 20),
				EstimateDays: 5, Status: bot.StatusDone, Progress: 100, Hours: 12, DoneAt: at(19, 10, 0)},
			{ID: 2, Title: "接口开发 API", Assignee: bob, Due: d(11, 24), BaselineDue: d(11, 23), EstimateDays: 3, DependsOn: []uint64{1},
				Status: bot.StatusAccepted, Progress: 40, Hours: 4, Priority: bot.PrioHigh},
			{ID: 3, Title: quoted, Assignee: carol, Due: d(11, 27), BaselineDue: d(11, 27), Status: bot.StatusAccepted, Progress: 20, Hours: 6.5},
			{ID: 4, Title: injection, Assignee: carol, Due: d(12, 4), BaselineDue: d(12, 4), Status: bot.StatusAssigned, Parent: 2},
			{ID: 5, Title: "上线 Launch", Assignee: alice, Due: d(12, 4), BaselineDue: d(12, 4), Milestone: true, Status: bot.StatusAccepted},
		}
		for _, t := range tasks {
			t.Project, t.Assigner, t.CreatedAt, t.UpdatedAt = base.Project, base.Assigner, base.CreatedAt, base.UpdatedAt
			if t.Priority == "" {
				t.Priority = base.Priority
			}
			must(tb, tx.PutTask(t))
		}
		must(tb, tx.PutTask(bot.Task{ID: 6, Project: 2, Title: "Beta task", Assignee: dave, Assigner: dave, Due: d(11, 30),
			Status: bot.StatusAccepted, Priority: bot.PrioNormal, CreatedAt: at(16, 9, 0)}))
		for _, p := range []bot.Prompt{{Person: bob, Day: d(11, 23), Answered: at(23, 10, 0)}, {Person: bob, Day: d(11, 24)},
			{Person: carol, Day: d(11, 24), Answered: at(24, 19, 0)}, {Person: carol, Day: d(11, 23)}} {
			p.SentAt, p.Cutoff = p.Day.At(9, 30, shanghai), p.Day.At(18, 0, shanghai)
			must(tb, tx.PutPrompt(p))
		}
		for _, c := range []bot.CheckIn{
			{Person: bob, Day: d(11, 23), SubmittedAt: at(23, 10, 0), Answers: []bot.CheckInAnswer{{Task: 2, Progress: 30, Status: bot.OnTrack, Hours: 4, Note: "进展顺利"}}},
			{Person: bob, Day: d(11, 24), SubmittedAt: at(24, 9, 40), Leave: true},
			{Person: carol, Day: d(11, 24), SubmittedAt: at(24, 19, 0), Late: true,
				Answers: []bot.CheckInAnswer{{Task: 3, Progress: 20, Status: bot.AtRisk, Hours: 6.5, Note: "等待环境, \"test\" env"}}},
			{Person: dave, Day: d(11, 24), SubmittedAt: at(24, 10, 0), Answers: []bot.CheckInAnswer{{Task: 6, Progress: 50, Status: bot.OnTrack, Hours: 8}}},
		} {
			must(tb, tx.PutCheckIn(c))
		}
		must(tb, tx.PutEscalation(bot.Escalation{ID: 1, Rule: bot.RuleOverdue, Task: 2, Project: 1, Person: bob, Level: 1,
			OpenedAt: at(25, 9, 35), WarnedAt: at(25, 9, 35), AcknowledgedAt: at(25, 11, 0), AcknowledgedBy: alice}))
		must(tb, tx.PutEscalation(bot.Escalation{ID: 2, Rule: bot.RuleStale, Task: 1, Project: 1, Person: bob, Level: 0,
			OpenedAt: at(18, 9, 35), ResolvedAt: at(19, 10, 0), ResolvedBy: bob}))
		must(tb, tx.PutEscalation(bot.Escalation{ID: 3, Rule: bot.RuleOverdue, Task: 6, Project: 2, Person: dave, OpenedAt: at(25, 9, 35)}))
		must(tb, tx.PutChange(bot.ChangeRequest{ID: 1, Task: 3, Project: 1, Field: bot.ChangeFieldDue, Old: d(11, 27), New: d(12, 2),
			Reason: "环境延迟", Requester: carol, State: bot.ChangePending, AskedOf: alice, CreatedAt: at(25, 10, 0), UpdatedAt: at(25, 10, 0),
			Impact: bot.ChangeImpact{FinishFrom: d(12, 4), FinishTo: d(12, 4), Moves: []bot.DateMove{{Task: 3, From: d(11, 27), To: d(12, 2), Days: 3}}}}))
		must(tb, tx.PutChange(bot.ChangeRequest{ID: 2, Task: 6, Project: 2, Field: bot.ChangeFieldDue, Old: d(11, 30), New: d(12, 9),
			Reason: "Beta", Requester: dave, State: bot.ChangePending, CreatedAt: at(25, 10, 0), UpdatedAt: at(25, 10, 0)}))
		must(tb, tx.PutReview(bot.Review{Person: carol, Project: 1, Week: "2026-W47", SentAt: at(20, 16, 0), Done: "需求确认",
			Slipped: "环境没准备好", Cause: "external", NextWeek: "联调", Improvement: "提前申请环境", SubmittedAt: at(20, 17, 0)}))
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return exporterOver(db)
}

func exporterOver(db bot.Store) *export.Exporter {
	cal := calendar.New(calendar.Config{Location: shanghai})
	clock := bot.NewFakeClock(now)
	svc := flows.New(flows.Config{Clock: clock, Calendar: cal, Location: shanghai, Lang: cards.ZH, Store: db,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return &export.Exporter{Store: db, Calendar: cal, Location: shanghai, Now: clock.Now, Summary: svc.Summary, Adoption: svc.Adoption}
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

func codeOf(err error) string { return bot.ErrorCode(err) }
