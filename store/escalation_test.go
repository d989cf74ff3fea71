package store

import (
	"slices"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
)

func TestEscalationGetPut(t *testing.T) {
	db := MustOpen(t)
	update(t, db, func(tx bot.Tx) error {
		for want := uint64(1); want <= 2; want++ {
			id, err := tx.NextEscalationID()
			if err != nil || id != want {
				t.Errorf("NextEscalationID = %d, %v; want %d", id, err, want)
			}
			err = tx.PutEscalation(bot.Escalation{ID: id, Rule: bot.RuleOverdue, Task: id, Project: 1,
				Person: alice, OpenedAt: t0, Extension: bot.NewDate(2026, 3, 9)})
			if err != nil {
				return err
			}
		}
		// An escalation stored with an id the sequence never handed out
		// moves the sequence past it.
		if err := tx.PutEscalation(bot.Escalation{ID: 10, Rule: bot.RuleStale, Task: 4, OpenedAt: t0}); err != nil {
			return err
		}
		if next, _ := tx.NextEscalationID(); next != 11 {
			t.Errorf("after storing E10 the next escalation is E%d, want E11", next)
		}
		return nil
	})
	view(t, db, func(tx bot.Tx) error {
		e, err := tx.Escalation(2)
		if err != nil || e.Task != 2 || e.Person != alice || !e.OpenedAt.Equal(t0) || e.Extension != bot.NewDate(2026, 3, 9) {
			t.Errorf("Escalation(2): %+v, %v", e, err)
		}
		_, err = tx.Escalation(9)
		wantCode(t, err, bot.ENOTFOUND)
		if msg := bot.ErrorMessage(err); msg != "escalation E9 not found" {
			t.Errorf("message %q", msg)
		}
		return nil
	})
}

func TestPutEscalationRefusesBadKeys(t *testing.T) {
	db := MustOpen(t)
	cases := []struct {
		name string
		e    bot.Escalation
		msg  string
	}{
		{"no id", bot.Escalation{Rule: bot.RuleOverdue, Task: 1, OpenedAt: t0}, "an escalation needs an id"},
		{"no rule", bot.Escalation{ID: 1, Task: 1, OpenedAt: t0}, "escalation E1 needs a rule"},
		{"no subject", bot.Escalation{ID: 1, Rule: bot.RuleOverdue, OpenedAt: t0}, "escalation E1 needs a task or a person"},
		{"zero byte in person", bot.Escalation{ID: 1, Rule: bot.RuleMissedCheckins, Person: "a\x00b", OpenedAt: t0}, `"a\x00b" is not a person id`},
		{"not opened", bot.Escalation{ID: 1, Rule: bot.RuleOverdue, Task: 1}, "escalation E1 needs the time it opened"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			update(t, db, func(tx bot.Tx) error {
				err := tx.PutEscalation(c.e)
				wantCode(t, err, bot.EINVALID)
				if msg := bot.ErrorMessage(err); msg != c.msg {
					t.Errorf("message %q, want %q", msg, c.msg)
				}
				return nil
			})
		})
	}
	if n := len(indexKeys(t, db, bucketEscalations)); n != 0 {
		t.Errorf("refused puts left %d escalations", n)
	}
}

// TestOpenEscalationIndex follows one task's overdue escalation through
// resolution and a second one for the same task and rule, and checks that
// the open index names the open one at every step.
func TestOpenEscalationIndex(t *testing.T) {
	db := MustOpen(t)
	put := func(es ...bot.Escalation) {
		t.Helper()
		update(t, db, func(tx bot.Tx) error {
			for _, e := range es {
				if err := tx.PutEscalation(e); err != nil {
					return err
				}
			}
			return nil
		})
	}
	type lookup struct{ subject, rule string }
	check := func(step string, open []uint64, found map[lookup]uint64) {
		t.Helper()
		view(t, db, func(tx bot.Tx) error {
			all, err := tx.OpenEscalations()
			if got := escalationIDs(all); err != nil || !slices.Equal(got, open) {
				t.Errorf("%s: OpenEscalations = %v, %v; want %v", step, got, err, open)
			}
			for l, want := range found {
				e, err := tx.OpenEscalation(l.subject, l.rule)
				if want == 0 {
					wantCode(t, err, bot.ENOTFOUND)
				} else if err != nil || e.ID != want {
					t.Errorf("%s: OpenEscalation(%s, %s) = E%d, %v; want E%d", step, l.subject, l.rule, e.ID, err, want)
				}
			}
			return nil
		})
	}
	t3Overdue := lookup{"T3", bot.RuleOverdue}
	t3Blocked := lookup{"T3", bot.RuleBlocked}
	aliceMissed := lookup{string(alice), bot.RuleMissedCheckins}

	e1 := bot.Escalation{ID: 1, Rule: bot.RuleOverdue, Task: 3, Person: alice, OpenedAt: t0}
	e2 := bot.Escalation{ID: 2, Rule: bot.RuleMissedCheckins, Person: alice, OpenedAt: t0}
	e3 := bot.Escalation{ID: 3, Rule: bot.RuleBlocked, Task: 3, Person: alice, OpenedAt: t0}
	put(e1, e2, e3)
	check("all open", []uint64{1, 2, 3}, map[lookup]uint64{t3Overdue: 1, t3Blocked: 3, aliceMissed: 2})

	// A second open escalation of the same rule for the same task is
	// refused, and leaves nothing behind even if the caller carries on.
	update(t, db, func(tx bot.Tx) error {
		err := tx.PutEscalation(bot.Escalation{ID: 4, Rule: bot.RuleOverdue, Task: 3, OpenedAt: t0})
		wantCode(t, err, bot.ECONFLICT)
		if msg := bot.ErrorMessage(err); msg != "T3 already has an open overdue escalation, E1" {
			t.Errorf("message %q", msg)
		}
		return nil
	})
	check("after the refused duplicate", []uint64{1, 2, 3}, map[lookup]uint64{t3Overdue: 1})

	e1.Level, e1.EscalatedAt = bot.LevelManager, t0.Add(time.Hour)
	e1.ResolvedAt, e1.ResolvedBy = t0.Add(2*time.Hour), alice
	put(e1)
	check("E1 resolved", []uint64{2, 3}, map[lookup]uint64{t3Overdue: 0, t3Blocked: 3, aliceMissed: 2})

	e4 := bot.Escalation{ID: 4, Rule: bot.RuleOverdue, Task: 3, Person: alice, OpenedAt: t0.Add(24 * time.Hour)}
	put(e4)
	check("E4 re-opens T3 overdue", []uint64{2, 3, 4}, map[lookup]uint64{t3Overdue: 4})

	// Saving the resolved E1 again (say, a late note) must not take the
	// index back from E4, and re-opening E1 while E4 is open is refused.
	e1.ResolvedBy = bob
	put(e1)
	check("E1 saved again", []uint64{2, 3, 4}, map[lookup]uint64{t3Overdue: 4})
	update(t, db, func(tx bot.Tx) error {
		reopened := e1
		reopened.ResolvedAt = time.Time{}
		wantCode(t, tx.PutEscalation(reopened), bot.ECONFLICT)
		return nil
	})

	e2.ResolvedAt, e3.ResolvedAt, e4.ResolvedAt = t0, t0, t0.Add(25*time.Hour)
	put(e2, e3, e4)
	check("all resolved", nil, map[lookup]uint64{t3Overdue: 0, t3Blocked: 0, aliceMissed: 0})
	if got := indexKeys(t, db, bucketEscalationsOpen); len(got) != 0 {
		t.Errorf("open index holds %q with nothing open", got)
	}
	view(t, db, func(tx bot.Tx) error {
		_, err := tx.OpenEscalation("T3", bot.RuleOverdue)
		if msg := bot.ErrorMessage(err); msg != "T3 has no open overdue escalation" {
			t.Errorf("message %q", msg)
		}
		return nil
	})
}

func TestEscalationsByTime(t *testing.T) {
	db := MustOpen(t)
	h := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Hour) }
	update(t, db, func(tx bot.Tx) error {
		for _, e := range []bot.Escalation{
			{ID: 1, Task: 1, OpenedAt: h(3)},                                        // opened late, id first
			{ID: 2, Task: 2, OpenedAt: h(-1), ResolvedAt: h(1)},                     // resolved inside
			{ID: 3, Task: 3, OpenedAt: h(0), ResolvedAt: h(2)},                      // opened and resolved inside: once
			{ID: 4, Task: 4, OpenedAt: h(-48), ResolvedAt: h(-24)},                  // all before
			{ID: 5, Task: 5, OpenedAt: time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)}, // before 1970
			{ID: 6, Task: 6, OpenedAt: h(2)},                                        // opened at the end of [0,2)
		} {
			e.Rule = bot.RuleOverdue
			if err := tx.PutEscalation(e); err != nil {
				return err
			}
		}
		return nil
	})
	cases := []struct {
		name     string
		from, to time.Time
		want     []uint64
	}{
		{"[0h,2h): start included, end excluded", h(0), h(2), []uint64{2, 3}},
		{"[0h,3h)", h(0), h(3), []uint64{2, 3, 6}},
		{"[2h,4h): resolution at 2h counts", h(2), h(4), []uint64{1, 3, 6}},
		{"[1h,1h+1ns): a resolution at exactly 1h", h(1), h(1).Add(1), []uint64{2}},
		{"[3h+1ns, +1d): nothing", h(3).Add(1), h(24), nil},
		{"yesterday", h(-48), h(-24), []uint64{4}},
		{"empty range", h(0), h(0), nil},
		{"from after to", h(3), h(0), nil},
		{"the 1960s", time.Date(1959, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), []uint64{5}},
		{"everything", time.Time{}, t0.AddDate(1000, 0, 0), []uint64{1, 2, 3, 4, 5, 6}},
	}
	view(t, db, func(tx bot.Tx) error {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				got, err := tx.Escalations(c.from, c.to)
				if ids := escalationIDs(got); err != nil || !slices.Equal(ids, c.want) {
					t.Errorf("Escalations = %v, %v; want %v", ids, err, c.want)
				}
			})
		}
		return nil
	})

	// Moving a resolution moves its index entry: E2 no longer counts at 1h.
	update(t, db, func(tx bot.Tx) error {
		e, err := tx.Escalation(2)
		if err != nil {
			return err
		}
		e.ResolvedAt = h(5)
		return tx.PutEscalation(e)
	})
	view(t, db, func(tx bot.Tx) error {
		early, _ := tx.Escalations(h(1), h(2))
		late, _ := tx.Escalations(h(5), h(6))
		if got := escalationIDs(early); len(got) != 0 {
			t.Errorf("[1h,2h) after moving E2's resolution: %v, want none", got)
		}
		if got := escalationIDs(late); !slices.Equal(got, []uint64{2}) {
			t.Errorf("[5h,6h) after moving E2's resolution: %v, want [2]", got)
		}
		return nil
	})
	opened, resolved := indexKeys(t, db, bucketEscalationsByOpened), indexKeys(t, db, bucketEscalationsByResolved)
	if len(opened) != 6 || len(resolved) != 3 {
		t.Errorf("time indexes hold %d opened and %d resolved keys, want 6 and 3", len(opened), len(resolved))
	}
}

func escalationIDs(es []bot.Escalation) []uint64 {
	var ids []uint64
	for _, e := range es {
		ids = append(ids, e.ID)
	}
	return ids
}

// TestGrowingEscalationsKeepPagesFull: escalations open in bursts and grow
// as they climb (warned, escalated, acknowledged); their pages take the
// growth without being split into pages that hold a record or two.
func TestGrowingEscalationsKeepPagesFull(t *testing.T) {
	db := MustOpen(t)
	const n, perTx = 1200, 25
	for first := uint64(1); first <= n; first += perTx {
		update(t, db, func(tx bot.Tx) error {
			for id := first; id < first+perTx; id++ {
				e := bot.Escalation{ID: id, Rule: bot.RuleStale, Task: id, Project: 1 + id/50, Person: alice, Level: 1, OpenedAt: t0}
				if err := tx.PutEscalation(e); err != nil {
					return err
				}
			}
			return nil
		})
	}
	climb := []func(*bot.Escalation){
		func(e *bot.Escalation) { e.WarnedAt = t0.Add(15 * time.Hour) },
		func(e *bot.Escalation) { e.Level, e.EscalatedAt = 2, t0.Add(39*time.Hour) },
		func(e *bot.Escalation) { e.AcknowledgedAt, e.AcknowledgedBy = t0.Add(40*time.Hour), alice },
	}
	for _, step := range climb {
		for first := uint64(1); first <= n; first += perTx {
			update(t, db, func(tx bot.Tx) error {
				for id := first; id < first+perTx; id++ {
					e, err := tx.Escalation(id)
					if err != nil {
						return err
					}
					step(&e)
					if err := tx.PutEscalation(e); err != nil {
						return err
					}
				}
				return nil
			})
		}
	}
	sizes, err := db.BucketSizes()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sizes {
		if s.Name == bucketEscalations && float64(s.Pages) > 1.7*float64(s.Data) {
			t.Errorf("%d escalations of %d bytes take %d bytes of pages (%.1f×); want at most 1.7×",
				s.Keys, s.Data, s.Pages, float64(s.Pages)/float64(s.Data))
		}
	}
}

// TestEscalationDueAndOpenSubjects: an open escalation is filed in the due
// index as changed each time it is written, and leaves it once resolved;
// OpenSubjects lists the subjects of a rule's open escalations.
func TestEscalationDueAndOpenSubjects(t *testing.T) {
	db := MustOpen(t)
	later := t0.Add(24 * time.Hour)
	update(t, db, func(tx bot.Tx) error {
		for _, e := range []bot.Escalation{
			{ID: 1, Rule: bot.RuleOverdue, Task: 1, Person: alice, OpenedAt: t0},
			{ID: 2, Rule: bot.RuleMissedCheckins, Person: alice, OpenedAt: t0},
			{ID: 3, Rule: bot.RuleMissedCheckins, Person: bob, OpenedAt: t0},
			{ID: 4, Rule: bot.RuleMissedCheckins, Person: "feishu:carol", OpenedAt: t0, ResolvedAt: t0},
		} {
			if err := tx.PutEscalation(e); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, db, func(tx bot.Tx) error {
		due, err := tx.DueSubjects(t0)
		slices.Sort(due)
		if want := []string{"esc/1", "esc/2", "esc/3"}; err != nil || !slices.Equal(due, want) {
			t.Errorf("due after writing E1–E4 = %v, %v; want %v", due, err, want)
		}
		subj, err := tx.OpenSubjects(bot.RuleMissedCheckins)
		slices.Sort(subj)
		if want := []string{string(alice), string(bob)}; err != nil || !slices.Equal(subj, want) {
			t.Errorf("OpenSubjects(missed_checkins) = %v, %v; want %v", subj, err, want)
		}
		return nil
	})
	update(t, db, func(tx bot.Tx) error {
		if err := tx.SetDue("esc/1", later); err != nil {
			return err
		}
		e, err := tx.Escalation(2)
		if err != nil {
			return err
		}
		e.ResolvedAt = t0
		return tx.PutEscalation(e)
	})
	view(t, db, func(tx bot.Tx) error {
		if due, _ := tx.DueSubjects(t0); !slices.Equal(due, []string{"esc/3"}) {
			t.Errorf("due at t0 after filing E1 later and resolving E2 = %v, want [esc/3]", due)
		}
		if due, _ := tx.DueSubjects(later); !slices.Equal(due, []string{"esc/3", "esc/1"}) {
			t.Errorf("due a day later = %v, want [esc/3 esc/1]", due)
		}
		return nil
	})
}
