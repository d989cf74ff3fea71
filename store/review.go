package store

import (
	"bytes"
	"strings"

	"github.com/loopbot/loopbot/bot"
)

// Review returns person's review of project for week, or an ENOTFOUND error.
func (t *tx) Review(project uint64, week string, person bot.PersonID) (bot.Review, error) {
	var r bot.Review
	ok, err := t.get(bucketReviews, append(reviewPrefix(project, week), person...), &r)
	if err != nil {
		return bot.Review{}, err
	} else if !ok {
		return bot.Review{}, bot.Errorf(bot.ENOTFOUND, "no review from %s of %s for %s",
			person, bot.ProjectCode(project), week)
	}
	return r, nil
}

// PutReview stores r under its project, week and person, replacing the
// review stored there. It returns EINVALID for a review with no project, no
// person, or a week not written like 2026-W48.
func (t *tx) PutReview(r bot.Review) error {
	if err := t.writable("put review"); err != nil {
		return err
	}
	if r.Project == 0 {
		return bot.Errorf(bot.EINVALID, "a review needs a project")
	}
	if !validWeek(r.Week) {
		return bot.Errorf(bot.EINVALID, "%q is not a week like 2026-W48", r.Week)
	}
	if err := checkPerson(r.Person, "a review"); err != nil {
		return err
	}
	return t.put(bucketReviews, append(reviewPrefix(r.Project, r.Week), r.Person...), r)
}

// Reviews returns the reviews of project for week, by person.
func (t *tx) Reviews(project uint64, week string) ([]bot.Review, error) {
	prefix := reviewPrefix(project, week)
	return loadWhile[bot.Review](t, bucketReviews, prefix, func(k []byte) bool { return bytes.HasPrefix(k, prefix) })
}

// reviewPrefix returns <project><week>\x00, the prefix of the keys of a
// project's reviews for a week.
func reviewPrefix(project uint64, week string) []byte {
	return append(append(itob(project), week...), 0)
}

// validWeek reports whether week is an ISO week as bot.ISOWeek writes it,
// such as 2026-W48.
func validWeek(week string) bool {
	if len(week) != 8 || week[4:6] != "-W" {
		return false
	}
	digits := week[:4] + week[6:]
	return strings.Trim(digits, "0123456789") == "" && week[6:] >= "01" && week[6:] <= "53"
}
