package store

import (
	"slices"
	"testing"

	"github.com/loopbot/loopbot/bot"
)

func TestReviewGetPut(t *testing.T) {
	db := MustOpen(t)
	week := bot.ISOWeek(mon)
	update(t, db, func(tx bot.Tx) error {
		if err := tx.PutReview(bot.Review{Person: alice, Project: 1, Week: week, CardID: 7, SentAt: t0}); err != nil {
			return err
		}
		// Submitting fills in the same review.
		return tx.PutReview(bot.Review{Person: alice, Project: 1, Week: week, CardID: 7, SentAt: t0,
			Done: "spec", Slipped: "tests", Cause: "technical", SubmittedAt: t0.AddDate(0, 0, 4)})
	})
	view(t, db, func(tx bot.Tx) error {
		r, err := tx.Review(1, week, alice)
		if err != nil || r.Done != "spec" || r.Cause != "technical" || r.CardID != 7 || !r.SubmittedAt.Equal(t0.AddDate(0, 0, 4)) {
			t.Errorf("Review(P1, %s, alice): %+v, %v", week, r, err)
		}
		_, err = tx.Review(1, week, bob)
		wantCode(t, err, bot.ENOTFOUND)
		if msg := bot.ErrorMessage(err); msg != "no review from playground:bob of P1 for 2026-W10" {
			t.Errorf("message %q", msg)
		}
		_, err = tx.Review(2, week, alice)
		wantCode(t, err, bot.ENOTFOUND)
		return nil
	})
	if n := len(indexKeys(t, db, bucketReviews)); n != 1 {
		t.Errorf("%d reviews stored after two puts of one", n)
	}
}

func TestPutReviewRefusesBadKeys(t *testing.T) {
	db := MustOpen(t)
	cases := []struct {
		name string
		r    bot.Review
		msg  string
	}{
		{"no project", bot.Review{Person: alice, Week: "2026-W10"}, "a review needs a project"},
		{"no week", bot.Review{Person: alice, Project: 1}, `"" is not a week like 2026-W48`},
		{"a date for a week", bot.Review{Person: alice, Project: 1, Week: "2026-03-02"}, `"2026-03-02" is not a week like 2026-W48`},
		{"one-digit week", bot.Review{Person: alice, Project: 1, Week: "2026-W9"}, `"2026-W9" is not a week like 2026-W48`},
		{"week 54", bot.Review{Person: alice, Project: 1, Week: "2026-W54"}, `"2026-W54" is not a week like 2026-W48`},
		{"no person", bot.Review{Project: 1, Week: "2026-W10"}, "a review needs a person"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			update(t, db, func(tx bot.Tx) error {
				err := tx.PutReview(c.r)
				wantCode(t, err, bot.EINVALID)
				if msg := bot.ErrorMessage(err); msg != c.msg {
					t.Errorf("message %q, want %q", msg, c.msg)
				}
				return nil
			})
		})
	}
}

func TestReviews(t *testing.T) {
	db := MustOpen(t)
	update(t, db, func(tx bot.Tx) error {
		for _, r := range []bot.Review{
			{Project: 1, Week: "2026-W10", Person: bob},
			{Project: 1, Week: "2026-W10", Person: alice2},
			{Project: 1, Week: "2026-W10", Person: alice},
			{Project: 1, Week: "2026-W11", Person: alice},
			{Project: 2, Week: "2026-W10", Person: bob},
			{Project: 256, Week: "2026-W10", Person: alice},
		} {
			if err := tx.PutReview(r); err != nil {
				return err
			}
		}
		return nil
	})
	cases := []struct {
		name    string
		project uint64
		week    string
		want    []bot.PersonID
	}{
		{"P1 W10, by person", 1, "2026-W10", []bot.PersonID{alice, alice2, bob}},
		{"P1 W11", 1, "2026-W11", []bot.PersonID{alice}},
		{"P2 W10", 2, "2026-W10", []bot.PersonID{bob}},
		{"P256 W10", 256, "2026-W10", []bot.PersonID{alice}},
		{"P1 W12: none yet", 1, "2026-W12", nil},
		{"P3: no such project", 3, "2026-W10", nil},
		{"a prefix of a week matches nothing", 1, "2026-W1", nil},
	}
	view(t, db, func(tx bot.Tx) error {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				got, err := tx.Reviews(c.project, c.week)
				var people []bot.PersonID
				for _, r := range got {
					if r.Project != c.project || r.Week != c.week {
						t.Errorf("Reviews(%d, %s) returned %+v", c.project, c.week, r)
					}
					people = append(people, r.Person)
				}
				if err != nil || !slices.Equal(people, c.want) {
					t.Errorf("Reviews(%d, %s) = %v, %v; want %v", c.project, c.week, people, err, c.want)
				}
			})
		}
		return nil
	})
}
