package bot

import (
	"fmt"
	"time"
)

// Causes returns the causes of delay a weekly review asks for (SPEC §4.4),
// in the order the card lists them.
func Causes() []string {
	return []string{"requirement_change", "resources", "technical", "external", "unrealistic_plan", "other"}
}

// Review is a person's weekly review (复盘) of one project.
type Review struct {
	Person  PersonID `json:"person"`
	Project uint64   `json:"project"`
	// Week is the ISO week, such as "2026-W48".
	Week        string    `json:"week"`
	CardID      uint64    `json:"card_id,omitempty"`
	SentAt      time.Time `json:"sent_at"`
	Done        string    `json:"done,omitempty"`
	Slipped     string    `json:"slipped,omitempty"`
	Cause       string    `json:"cause,omitempty"`
	NextWeek    string    `json:"next_week,omitempty"`
	Improvement string    `json:"improvement,omitempty"`
	SubmittedAt time.Time `json:"submitted_at,omitzero"`
}

// ISOWeek returns the ISO week of d, such as "2026-W48".
func ISOWeek(d Date) string {
	y, w := d.In(time.UTC).ISOWeek()
	return fmt.Sprintf("%d-W%02d", y, w)
}

// ReviewTx reads and writes weekly reviews, keyed by project, week and
// person.
type ReviewTx interface {
	Review(project uint64, week string, person PersonID) (Review, error)
	PutReview(r Review) error
	// Reviews returns the reviews of a project for a week, by person.
	Reviews(project uint64, week string) ([]Review, error)
}
