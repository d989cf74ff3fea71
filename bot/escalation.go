package bot

import (
	"strconv"
	"time"
)

// Escalation rules (SPEC §4.3).
const (
	RuleOverdue        = "overdue"
	RuleDueSoon        = "due_soon"
	RuleBlocked        = "blocked"
	RuleStale          = "stale"
	RuleUnaccepted     = "unaccepted"
	RuleMissedCheckins = "missed_checkins"
)

// Escalation levels: the 三色督办 ladder.
const (
	LevelAssignee = 0 // blue: a card to the assignee
	LevelManager  = 1 // yellow: a card to the task's manager
	LevelGroup    = 2 // red: a warning in the project's group chat
)

// LevelColor returns the colour of a ladder level.
func LevelColor(level int) string {
	switch level {
	case LevelManager:
		return ColorYellow
	case LevelGroup:
		return ColorRed
	}
	return ColorBlue
}

// Escalation is one rule firing for one task (or, for missed check-ins, one
// person), and its climb up the ladder. A task has at most one open
// escalation for each rule.
type Escalation struct {
	ID      uint64   `json:"id"`
	Rule    string   `json:"rule"`
	Task    uint64   `json:"task,omitempty"`
	Project uint64   `json:"project,omitempty"`
	Person  PersonID `json:"person"`
	Level   int      `json:"level"`
	// OpenedAt is when the rule fired; WarnedAt when the first card went
	// out (warnings wait for working hours), from which the ladder counts.
	OpenedAt    time.Time `json:"opened_at"`
	WarnedAt    time.Time `json:"warned_at,omitzero"`
	EscalatedAt time.Time `json:"escalated_at,omitzero"`
	// AcknowledgedAt holds the ladder until the task next changes.
	AcknowledgedAt time.Time `json:"acknowledged_at,omitzero"`
	AcknowledgedBy PersonID  `json:"acknowledged_by,omitempty"`
	SnoozedUntil   time.Time `json:"snoozed_until,omitzero"`
	SnoozedBy      PersonID  `json:"snoozed_by,omitempty"`
	// GroupWarnedOn is the last day a group warning named this escalation.
	GroupWarnedOn Date      `json:"group_warned_on,omitzero"`
	ResolvedAt    time.Time `json:"resolved_at,omitzero"`
	ResolvedBy    PersonID  `json:"resolved_by,omitempty"`
	// Extension is a due date the assignee asked for, with its reason.
	Extension       Date   `json:"extension,omitzero"`
	ExtensionReason string `json:"extension_reason,omitempty"`
	// Also are the other rules of the task that its cards list, the worst
	// first (a task has one open escalation, for its worst rule).
	Also []string `json:"also,omitempty"`
}

// Code returns the escalation's short id, such as "E2".
func (e Escalation) Code() string { return "E" + strconv.FormatUint(e.ID, 10) }

// Open reports whether the escalation is unresolved.
func (e Escalation) Open() bool { return e.ResolvedAt.IsZero() }

// EscalationTx reads and writes escalations. PutEscalation keeps the index
// of open escalations by task (or person) and rule.
type EscalationTx interface {
	NextEscalationID() (uint64, error)
	Escalation(id uint64) (Escalation, error)
	PutEscalation(e Escalation) error
	// OpenEscalations returns every open escalation, by id.
	OpenEscalations() ([]Escalation, error)
	// OpenSubjects returns the subjects (task codes, person ids) with an
	// open escalation of rule, from the open index alone: no escalation is
	// read.
	OpenSubjects(rule string) ([]string, error)
	// OpenEscalation returns the open escalation of a rule for a subject
	// (a task code like "T3", or a person id for missed check-ins).
	// ENOTFOUND if none.
	OpenEscalation(subject, rule string) (Escalation, error)
	// Escalations returns the escalations opened or resolved with
	// from <= time < to, by id.
	Escalations(from, to time.Time) ([]Escalation, error)
}

// Subject returns what an escalation is about: the task code, or the person
// for missed check-ins. It keys the index of open escalations.
func (e Escalation) Subject() string {
	if e.Task != 0 {
		return TaskCode(e.Task)
	}
	return string(e.Person)
}
