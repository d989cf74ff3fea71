package flows_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/calendar"
	"github.com/loopbot/loopbot/flows"
	"github.com/loopbot/loopbot/store/storetest"
)

// TestAdoption checks the adoption report's figures against a scenario
// counted by hand: today is Thursday 2026-11-26, noon in Shanghai, so the
// weeks are W45 (11-02) to W48 (11-23).
func TestAdoption(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	at := func(m time.Month, d, hh, mm int) time.Time { return time.Date(2026, m, d, hh, mm, 0, 0, loc) }
	day := func(d time.Time) bot.Date { return bot.DateOf(d) }
	ann, bob, cat, dan := bot.PersonID("playground:ann"), bot.PersonID("playground:bob"), bot.PersonID("playground:cat"), bot.PersonID("playground:dan")
	// prompt is a check-in card sent at 09:30, answered after `after`
	// minutes (-1: not answered), with an 18:00 cut-off.
	prompt := func(p bot.PersonID, m time.Month, d, after int) bot.Prompt {
		sent := at(m, d, 9, 30)
		pr := bot.Prompt{Person: p, Day: day(sent), SentAt: sent, Cutoff: at(m, d, 18, 0)}
		if after >= 0 {
			pr.Answered = sent.Add(time.Duration(after) * time.Minute)
		}
		return pr
	}
	st := storetest.Open(t)
	err := st.Update(context.Background(), func(tx bot.Tx) error {
		for _, p := range []bot.Person{
			{ID: ann, Name: "Ann", Department: "研发部"}, {ID: bob, Name: "Bob", Department: "研发部"},
			{ID: cat, Name: "Cat"}, {ID: dan, Name: "Dan", Department: "销售部"},
		} {
			if err := tx.PutPerson(p); err != nil {
				return err
			}
		}
		for _, pr := range []bot.Prompt{
			prompt(ann, 11, 2, 10), prompt(ann, 11, 3, 60), // W45: 2/2
			prompt(ann, 11, 9, 30), prompt(ann, 11, 10, -1), // W46: 1/2, one left unanswered
			prompt(ann, 11, 23, 120), prompt(ann, 11, 26, -1), // W48: 1/2, today's still open (not unanswered yet)
			prompt(bob, 11, 24, 20), prompt(bob, 11, 25, 40), // W48: 2/2
			prompt(cat, 11, 11, -1), // W46: 0/1
			prompt(ann, 10, 30, -1), // before the four weeks
		} {
			if err := tx.PutPrompt(pr); err != nil {
				return err
			}
		}
		for i, e := range []bot.Escalation{
			{Rule: "overdue", Person: ann, OpenedAt: at(11, 17, 10, 0)}, // W47
			{Rule: "stale", Person: ann, OpenedAt: at(10, 30, 10, 0)},   // before
			{Rule: "overdue", Person: bob, OpenedAt: at(11, 24, 10, 0)}, // W48
			{Rule: "blocked", Person: bob, OpenedAt: at(11, 25, 15, 0)}, // W48
		} {
			e.ID = uint64(i + 1)
			e.Task = uint64(10 + i)
			if err := tx.PutEscalation(e); err != nil {
				return err
			}
		}
		for i, tk := range []bot.Task{
			{Assignee: ann, Status: bot.StatusAssigned, CreatedAt: at(11, 24, 11, 0)}, // W48: waits for an answer
			{Assignee: ann, Status: bot.StatusAccepted, CreatedAt: at(11, 24, 11, 0)}, // answered
			{Assignee: ann, Status: bot.StatusAssigned, CreatedAt: at(10, 20, 11, 0)}, // before
		} {
			tk.ID, tk.Title, tk.Assigner = uint64(i+1), "t", bob
			if err := tx.PutTask(tk); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s := flows.New(flows.Config{Clock: bot.NewFakeClock(at(11, 26, 12, 0)), Store: st, Location: loc,
		Calendar: calendar.New(calendar.Config{Location: loc}), Signer: bot.NewSigner("s"), Logger: slog.New(slog.DiscardHandler)})
	var a *flows.Adoption
	if err := st.View(context.Background(), func(tx bot.Tx) error {
		a, err = s.Adoption(tx, bot.NewDate(2026, 11, 26), at(11, 26, 12, 0))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got := a.Weeks; len(got) != 4 || got[0] != "2026-W45" || got[3] != "2026-W48" {
		t.Fatalf("weeks = %v", got)
	}
	type fig struct {
		asked, answered, unanswered, warnings int
		median                                time.Duration
	}
	of := func(s flows.AdoptionStats) fig {
		return fig{s.Asked, s.Answered, s.Unanswered, s.Warnings, s.MedianAnswer}
	}
	m := time.Minute
	want := []struct {
		dept, name string
		total      fig
		weeks      [4]fig
	}{
		// Ann: answers after 10, 60, 30 and 120 minutes → median (30+60)/2 = 45.
		{"研发部", "Ann", fig{6, 4, 2, 1, 45 * m}, [4]fig{{2, 2, 0, 0, 35 * m}, {2, 1, 1, 0, 30 * m}, {0, 0, 0, 1, 0}, {2, 1, 1, 0, 120 * m}}},
		{"研发部", "Bob", fig{2, 2, 0, 2, 30 * m}, [4]fig{{}, {}, {}, {2, 2, 0, 2, 30 * m}}},
		{"—", "Cat", fig{1, 0, 1, 0, 0}, [4]fig{{}, {1, 0, 1, 0, 0}, {}, {}}},
	}
	if len(a.People) != len(want) {
		t.Fatalf("%d people, want %d (Dan did nothing): %+v", len(a.People), len(want), a.People)
	}
	for i, w := range want {
		p := a.People[i]
		if p.Department != w.dept || p.Name != w.name || of(p.Total) != w.total {
			t.Errorf("person %d = %s %s %+v, want %s %s %+v", i, p.Department, p.Name, of(p.Total), w.dept, w.name, w.total)
		}
		for k := range 4 {
			if of(p.Weeks[k]) != w.weeks[k] {
				t.Errorf("%s week %s = %+v, want %+v", w.name, a.Weeks[k], of(p.Weeks[k]), w.weeks[k])
			}
		}
	}
	// 研发部: answers after 10, 60, 30, 120 (Ann), 20, 40 (Bob) → median (30+40)/2 = 35.
	wantDepts := []struct {
		name  string
		total fig
		w48   fig
	}{
		{"研发部", fig{8, 6, 2, 3, 35 * m}, fig{4, 3, 1, 2, 40 * m}},
		{"—", fig{1, 0, 1, 0, 0}, fig{}},
	}
	if len(a.Departments) != len(wantDepts) {
		t.Fatalf("departments = %+v", a.Departments)
	}
	for i, w := range wantDepts {
		d := a.Departments[i]
		if d.Department != w.name || of(d.Total) != w.total || of(d.Weeks[3]) != w.w48 {
			t.Errorf("department %d = %s %+v (W48 %+v), want %s %+v (W48 %+v)", i, d.Department, of(d.Total), of(d.Weeks[3]), w.name, w.total, w.w48)
		}
	}
	if r := a.People[0].Weeks[0].AnswerRate(); r != 1 {
		t.Errorf("Ann's W45 answer rate = %v, want 1", r)
	}
}
