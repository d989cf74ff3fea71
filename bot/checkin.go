package bot

import "time"

// Check-in task statuses (SPEC §4.2).
const (
	OnTrack = "on_track"
	AtRisk  = "at_risk"
	Blocked = "blocked"
)

// Prompt records that a person was asked to check in for a working day: the
// card sent, the tasks it listed, and the one reminder. It is written in the
// same transaction as the card, so that a restart never asks twice.
type Prompt struct {
	Person     PersonID  `json:"person"`
	Day        Date      `json:"day"`
	CardID     uint64    `json:"card_id"`
	Tasks      []uint64  `json:"tasks"`
	SentAt     time.Time `json:"sent_at"`
	RemindedAt time.Time `json:"reminded_at,omitzero"`
	// Cutoff is when an answer starts to count as late.
	Cutoff time.Time `json:"cutoff"`
	// Answered is when the first answer came.
	Answered time.Time `json:"answered,omitzero"`
}

// CheckIn is a person's answer for a working day. Re-submitting replaces the
// answer; the replaced ones are kept in History.
type CheckIn struct {
	Person      PersonID        `json:"person"`
	Day         Date            `json:"day"`
	Answers     []CheckInAnswer `json:"answers,omitempty"`
	SubmittedAt time.Time       `json:"submitted_at"`
	Late        bool            `json:"late,omitempty"`
	Leave       bool            `json:"leave,omitempty"`
	NoChange    bool            `json:"no_change,omitempty"`
	History     []CheckIn       `json:"history,omitempty"`
}

// CheckInAnswer is the answer about one task.
type CheckInAnswer struct {
	Task     uint64  `json:"task"`
	Progress int     `json:"progress"`
	Status   string  `json:"status"`
	Hours    float64 `json:"hours,omitempty"`
	Note     string  `json:"note,omitempty"`
}

// CheckinTx reads and writes prompts and check-ins, keyed by person and day.
type CheckinTx interface {
	Prompt(person PersonID, day Date) (Prompt, error)
	PutPrompt(p Prompt) error
	// Prompts returns the prompts of one day, by person.
	Prompts(day Date) ([]Prompt, error)
	// PersonPrompts returns a person's prompts with from <= Day <= to, oldest
	// first.
	PersonPrompts(person PersonID, from, to Date) ([]Prompt, error)
	// LatestPrompts returns the last n of a person's prompts with from <=
	// Day <= to, oldest first; fewer when there are not n.
	LatestPrompts(person PersonID, from, to Date, n int) ([]Prompt, error)
	CheckIn(person PersonID, day Date) (CheckIn, error)
	PutCheckIn(c CheckIn) error
	// CheckIns returns the check-ins with from <= Day <= to, of one person
	// or of everyone when person is "", by day then person.
	CheckIns(person PersonID, from, to Date) ([]CheckIn, error)
	// EachCheckIn calls fn with each check-in with from <= Day <= to, by
	// day then person, one at a time (exports of millions of rows), and
	// stops at fn's first error, which it returns.
	EachCheckIn(from, to Date, fn func(CheckIn) error) error
}
