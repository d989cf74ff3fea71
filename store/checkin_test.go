package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// alice2 has alice's id as a prefix, so that a read by person that matched
// on the prefix alone would mix their records.
const alice2 bot.PersonID = "playground:alice2"

// Days of the test week, which starts on t0's Monday.
var (
	mon = bot.DateOf(t0)
	tue = mon.AddDays(1)
	wed = mon.AddDays(2)
	thu = mon.AddDays(3)
)

func TestPromptGetPut(t *testing.T) {
	db := MustOpen(t)
	update(t, db, func(tx bot.Tx) error {
		if err := tx.PutPrompt(bot.Prompt{Person: alice, Day: mon, CardID: 4, Tasks: []uint64{1, 2}, SentAt: t0}); err != nil {
			return err
		}
		// The reminder rewrites the same prompt.
		return tx.PutPrompt(bot.Prompt{Person: alice, Day: mon, CardID: 4, Tasks: []uint64{1, 2}, SentAt: t0,
			RemindedAt: t0.Add(time.Hour)})
	})
	view(t, db, func(tx bot.Tx) error {
		p, err := tx.Prompt(alice, mon)
		if err != nil || p.CardID != 4 || !p.RemindedAt.Equal(t0.Add(time.Hour)) ||
			!slices.Equal(p.Tasks, []uint64{1, 2}) || p.Day != mon {
			t.Errorf("Prompt(alice, mon): %+v, %v", p, err)
		}
		_, err = tx.Prompt(alice, tue)
		wantCode(t, err, bot.ENOTFOUND)
		if msg := bot.ErrorMessage(err); msg != "playground:alice was not asked to check in on 2026-03-03" {
			t.Errorf("message %q", msg)
		}
		_, err = tx.Prompt(alice2, mon)
		wantCode(t, err, bot.ENOTFOUND)
		return nil
	})
	if got := indexKeys(t, db, bucketPromptsByDay); !slices.Equal(got, []string{"20260302\x00" + string(alice)}) {
		t.Errorf("day index %q after two puts of one prompt", got)
	}
}

func TestPutCheckInRefusesBadKeys(t *testing.T) {
	db := MustOpen(t)
	cases := []struct {
		name   string
		person bot.PersonID
		day    bot.Date
		msg    string
	}{
		{"no person", "", mon, "a check-in needs a person"},
		{"zero byte in person", "playground:a\x00b", mon, `"playground:a\x00b" is not a person id`},
		{"no day", alice, bot.Date{}, "a check-in needs a day"},
		{"month 13", alice, bot.Date{Year: 2026, Month: 13, Day: 1}, "2026-13-01 is not a date"},
		{"February 30", alice, bot.Date{Year: 2026, Month: 2, Day: 30}, "2026-02-30 is not a date"},
		{"five-digit year", alice, bot.Date{Year: 10000, Month: 1, Day: 1}, "10000-01-01 is not a date"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			update(t, db, func(tx bot.Tx) error {
				err := tx.PutCheckIn(bot.CheckIn{Person: c.person, Day: c.day})
				wantCode(t, err, bot.EINVALID)
				if msg := bot.ErrorMessage(err); msg != c.msg {
					t.Errorf("message %q, want %q", msg, c.msg)
				}
				err = tx.PutPrompt(bot.Prompt{Person: c.person, Day: c.day})
				wantCode(t, err, bot.EINVALID)
				return nil
			})
		})
	}
	if n := len(indexKeys(t, db, bucketCheckIns)) + len(indexKeys(t, db, bucketPrompts)); n != 0 {
		t.Errorf("refused puts left %d records", n)
	}
}

func TestCheckInResubmitOverwrites(t *testing.T) {
	db := MustOpen(t)
	first := bot.CheckIn{Person: alice, Day: mon, SubmittedAt: t0,
		Answers: []bot.CheckInAnswer{{Task: 1, Progress: 30, Status: bot.OnTrack}}}
	update(t, db, func(tx bot.Tx) error { return tx.PutCheckIn(first) })
	second := bot.CheckIn{Person: alice, Day: mon, SubmittedAt: t0.Add(2 * time.Hour), Late: true,
		Answers: []bot.CheckInAnswer{{Task: 1, Progress: 50, Status: bot.Blocked, Note: "waiting for design"}},
		History: []bot.CheckIn{first}}
	update(t, db, func(tx bot.Tx) error { return tx.PutCheckIn(second) })
	view(t, db, func(tx bot.Tx) error {
		c, err := tx.CheckIn(alice, mon)
		if err != nil || !c.Late || len(c.Answers) != 1 || c.Answers[0].Progress != 50 ||
			c.Answers[0].Note != "waiting for design" || len(c.History) != 1 || c.History[0].Answers[0].Progress != 30 {
			t.Errorf("CheckIn after re-submitting: %+v, %v", c, err)
		}
		all, err := tx.CheckIns("", mon, mon)
		if err != nil || len(all) != 1 || !all[0].SubmittedAt.Equal(t0.Add(2*time.Hour)) {
			t.Errorf("CheckIns of the day after re-submitting: %+v, %v", all, err)
		}
		_, err = tx.CheckIn(bob, mon)
		wantCode(t, err, bot.ENOTFOUND)
		if msg := bot.ErrorMessage(err); msg != "no check-in from playground:bob on 2026-03-02" {
			t.Errorf("message %q", msg)
		}
		return nil
	})
	if got := indexKeys(t, db, bucketCheckInsByDay); !slices.Equal(got, []string{"20260302\x00" + string(alice)}) {
		t.Errorf("day index %q after re-submitting", got)
	}
}

// putWeek stores a prompt and, for some, a check-in for each person and day
// of the test week; the note of each check-in names its person and day.
func putWeek(tb testing.TB, db *DB) {
	tb.Helper()
	update(tb, db, func(tx bot.Tx) error {
		// Written out of order, so that the order of the answers comes from
		// the keys.
		for _, day := range []bot.Date{wed, mon, tue} {
			for _, p := range []bot.PersonID{bob, alice2, alice} {
				if err := tx.PutPrompt(bot.Prompt{Person: p, Day: day, SentAt: day.At(9, 0, time.UTC)}); err != nil {
					return err
				}
				if p == bob && day == tue {
					continue // bob did not answer on Tuesday
				}
				c := bot.CheckIn{Person: p, Day: day, NoChange: true}
				if err := tx.PutCheckIn(c); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func TestCheckInRanges(t *testing.T) {
	db := MustOpen(t)
	putWeek(t, db)
	cases := []struct {
		name     string
		person   bot.PersonID
		from, to bot.Date
		want     []string
	}{
		{"alice, whole week", alice, mon, wed, []string{"alice mon", "alice tue", "alice wed"}},
		{"alice, one day", alice, tue, tue, []string{"alice tue"}},
		{"alice, range ends are included", alice, tue, wed, []string{"alice tue", "alice wed"}},
		{"alice, before the week", alice, mon.AddDays(-7), mon.AddDays(-1), nil},
		{"alice, after the week", alice, thu, thu.AddDays(30), nil},
		{"alice, from after to", alice, wed, mon, nil},
		{"alice, open range", alice, bot.Date{}, bot.Date{Year: 10000, Month: 1, Day: 1}, []string{"alice mon", "alice tue", "alice wed"}},
		{"alice2 is not alice", alice2, mon, mon, []string{"alice2 mon"}},
		{"bob skipped Tuesday", bob, mon, wed, []string{"bob mon", "bob wed"}},
		{"unknown person", "playground:al", mon, wed, nil},
		{"everyone, one day, by person", "", tue, tue, []string{"alice tue", "alice2 tue"}},
		{"everyone, by day then person", "", mon, tue,
			[]string{"alice mon", "alice2 mon", "bob mon", "alice tue", "alice2 tue"}},
		{"everyone, from after to", "", wed, tue, nil},
		{"everyone, after the week", "", thu, thu, nil},
	}
	view(t, db, func(tx bot.Tx) error {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				got, err := tx.CheckIns(c.person, c.from, c.to)
				if names := checkInNames(got); err != nil || !slices.Equal(names, c.want) {
					t.Errorf("CheckIns(%q, %s, %s) = %v, %v; want %v", c.person, c.from, c.to, names, err, c.want)
				}
			})
		}
		return nil
	})
}

func TestPromptRanges(t *testing.T) {
	db := MustOpen(t)
	putWeek(t, db)
	view(t, db, func(tx bot.Tx) error {
		cases := []struct {
			name string
			get  func() ([]bot.Prompt, error)
			want []string
		}{
			{"Monday, by person", func() ([]bot.Prompt, error) { return tx.Prompts(mon) }, []string{"alice mon", "alice2 mon", "bob mon"}},
			{"Thursday", func() ([]bot.Prompt, error) { return tx.Prompts(thu) }, nil},
			{"bob, whole week", func() ([]bot.Prompt, error) { return tx.PersonPrompts(bob, mon, wed) }, []string{"bob mon", "bob tue", "bob wed"}},
			{"alice, Tuesday on", func() ([]bot.Prompt, error) { return tx.PersonPrompts(alice, tue, thu) }, []string{"alice tue", "alice wed"}},
			{"alice2 is not alice", func() ([]bot.Prompt, error) { return tx.PersonPrompts(alice2, mon, mon) }, []string{"alice2 mon"}},
			{"alice, from after to", func() ([]bot.Prompt, error) { return tx.PersonPrompts(alice, wed, mon) }, nil},
			// LatestPrompts reads backwards from to: bob's keys are the
			// bucket's last, alice's end on a key of to or before alice2's.
			{"bob, latest 2", func() ([]bot.Prompt, error) { return tx.LatestPrompts(bob, mon, thu.AddDays(5), 2) }, []string{"bob tue", "bob wed"}},
			{"alice, latest 2 to Tuesday", func() ([]bot.Prompt, error) { return tx.LatestPrompts(alice, mon, tue, 2) }, []string{"alice mon", "alice tue"}},
			{"alice, latest 5 to Thursday", func() ([]bot.Prompt, error) { return tx.LatestPrompts(alice, mon, thu, 5) }, []string{"alice mon", "alice tue", "alice wed"}},
			{"alice, latest 9 from Wednesday", func() ([]bot.Prompt, error) { return tx.LatestPrompts(alice, wed, thu, 9) }, []string{"alice wed"}},
			{"alice2, latest before the week", func() ([]bot.Prompt, error) {
				return tx.LatestPrompts(alice2, mon.AddDays(-7), mon.AddDays(-1), 3)
			}, nil},
			{"alice, none asked for", func() ([]bot.Prompt, error) { return tx.LatestPrompts(alice, mon, wed, 0) }, nil},
			{"alice, latest from after to", func() ([]bot.Prompt, error) { return tx.LatestPrompts(alice, wed, mon, 3) }, nil},
			{"an unknown person before alice", func() ([]bot.Prompt, error) { return tx.LatestPrompts("playground:al", mon, wed, 3) }, nil},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				got, err := c.get()
				var names []string
				for _, p := range got {
					names = append(names, dayName(p.Person, p.Day))
				}
				if err != nil || !slices.Equal(names, c.want) {
					t.Errorf("got %v, %v; want %v", names, err, c.want)
				}
			})
		}
		return nil
	})
	want := []string{
		"20260302\x00" + string(alice), "20260302\x00" + string(alice2), "20260302\x00" + string(bob),
		"20260303\x00" + string(alice), "20260303\x00" + string(alice2), "20260303\x00" + string(bob),
		"20260304\x00" + string(alice), "20260304\x00" + string(alice2), "20260304\x00" + string(bob),
	}
	if got := indexKeys(t, db, bucketPromptsByDay); !slices.Equal(got, want) {
		t.Errorf("prompt day index %q, want %q", got, want)
	}
	if got := indexKeys(t, db, bucketCheckInsByDay); len(got) != 8 {
		t.Errorf("check-in day index has %d keys, want 8 (bob skipped Tuesday): %q", len(got), got)
	}
}

// TestConcurrentCheckIns has a team answer at the same moment, as they do
// when the prompt goes out, and checks that every answer is kept.
func TestConcurrentCheckIns(t *testing.T) {
	db := MustOpen(t)
	const people = 20
	errs := make(chan error, people)
	for i := range people {
		go func() {
			errs <- db.Update(context.Background(), func(tx bot.Tx) error {
				p := bot.PersonID(fmt.Sprintf("playground:p%02d", i))
				if err := tx.PutPrompt(bot.Prompt{Person: p, Day: mon, SentAt: t0}); err != nil {
					return err
				}
				return tx.PutCheckIn(bot.CheckIn{Person: p, Day: mon, SubmittedAt: t0})
			})
		}()
	}
	var err error
	for range people {
		err = errors.Join(err, <-errs)
	}
	if err != nil {
		t.Fatal(err)
	}
	view(t, db, func(tx bot.Tx) error {
		prompts, _ := tx.Prompts(mon)
		checkIns, _ := tx.CheckIns("", mon, mon)
		if len(prompts) != people || len(checkIns) != people {
			t.Errorf("%d prompts and %d check-ins, want %d each", len(prompts), len(checkIns), people)
		}
		return nil
	})
}

func checkInNames(cs []bot.CheckIn) []string {
	var names []string
	for _, c := range cs {
		names = append(names, dayName(c.Person, c.Day))
	}
	return names
}

// dayName names a record of the test week, such as "alice tue".
func dayName(p bot.PersonID, d bot.Date) string {
	return string(p[len("playground:"):]) + " " + map[bot.Date]string{mon: "mon", tue: "tue", wed: "wed", thu: "thu"}[d]
}

// TestLatestPromptsOfAnEmptyStore: no prompts at all, none back.
func TestLatestPromptsOfAnEmptyStore(t *testing.T) {
	db := MustOpen(t)
	view(t, db, func(tx bot.Tx) error {
		got, err := tx.LatestPrompts(alice, mon.AddDays(-31), mon, 3)
		if err != nil || len(got) != 0 {
			t.Errorf("LatestPrompts on an empty store = %v, %v; want none", got, err)
		}
		return nil
	})
}

// TestPromptFilesItsPersonByTheCutoff: a new prompt files its person's
// check-ins in the due index at its cut-off, not at once (nothing about
// their missed check-ins changes before it); a sooner entry stays, a later
// one is brought forward, and a prompt with no cut-off files them at once.
func TestPromptFilesItsPersonByTheCutoff(t *testing.T) {
	db := MustOpen(t)
	cutoff := t0.Add(8 * time.Hour)
	subject := bot.DueCheckinsPrefix + string(alice)
	dueAt := func(at time.Time) bool {
		t.Helper()
		var due []string
		view(t, db, func(tx bot.Tx) (err error) {
			due, err = tx.DueSubjects(at)
			return err
		})
		return slices.Contains(due, subject)
	}
	put := func(pr bot.Prompt, before func(bot.Tx) error) {
		t.Helper()
		update(t, db, func(tx bot.Tx) error {
			if _, _, err := tx.TakeDue(bot.DueNever, 100); err != nil {
				return err
			}
			if before != nil {
				if err := before(tx); err != nil {
					return err
				}
			}
			return tx.PutPrompt(pr)
		})
	}
	pr := bot.Prompt{Person: alice, Day: mon, SentAt: t0, Cutoff: cutoff}
	put(pr, nil)
	if dueAt(cutoff.Add(-time.Second)) || !dueAt(cutoff) {
		t.Errorf("a new prompt: alice due before its cut-off %v, or not at it", cutoff)
	}
	put(pr, func(tx bot.Tx) error { return tx.SetDue(subject, t0.Add(time.Hour)) })
	if !dueAt(t0.Add(time.Hour)) {
		t.Errorf("a prompt put after alice was filed for sooner moved her entry later")
	}
	put(pr, func(tx bot.Tx) error { return tx.SetDue(subject, cutoff.Add(24*time.Hour)) })
	if !dueAt(cutoff) {
		t.Errorf("a prompt put after alice was filed for later did not bring her entry forward to its cut-off")
	}
	put(bot.Prompt{Person: alice, Day: mon, SentAt: t0}, nil)
	if !dueAt(t0.Add(-24 * time.Hour)) {
		t.Errorf("a prompt with no cut-off did not file alice at once")
	}
}
