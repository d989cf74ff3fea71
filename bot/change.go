package bot

import (
	"strconv"
	"time"
)

// ChangeState is where a change request stands (SPEC §2).
type ChangeState string

// Change request states. A request waits as pending until one who may
// decide on the task approves it (approved: the new value is in effect) or
// rejects it. A change made by one who may decide takes effect at once and
// is recorded as applied. A pending request of a task that is done or
// cancelled before anyone decides is withdrawn: there is no due date left
// to move.
const (
	ChangePending   ChangeState = "pending"
	ChangeApproved  ChangeState = "approved"
	ChangeRejected  ChangeState = "rejected"
	ChangeApplied   ChangeState = "applied"
	ChangeWithdrawn ChangeState = "withdrawn"
)

// ChangeFieldDue is the field of a change of a task's current due date, the
// only field changed through requests so far.
const ChangeFieldDue = "due"

// ChangeRequest is a proposed change of a task's plan, with the impact
// computed when it was made (SPEC §4.5). Old and New are the field's values:
// for "due", the current due date before and after.
type ChangeRequest struct {
	ID        uint64      `json:"id"`
	Task      uint64      `json:"task"`
	Project   uint64      `json:"project,omitempty"`
	Field     string      `json:"field"`
	Old       Date        `json:"old,omitzero"`
	New       Date        `json:"new"`
	Reason    string      `json:"reason"`
	Requester PersonID    `json:"requester"`
	State     ChangeState `json:"state"`
	// AskedOf is the person the request went to for a decision: the task's
	// manager (SPEC §1). Empty for an applied change.
	AskedOf PersonID `json:"asked_of,omitempty"`
	// Decider is who approved or rejected it, or who applied it.
	Decider        PersonID  `json:"decider,omitempty"`
	DecidedAt      time.Time `json:"decided_at,omitzero"`
	DecisionReason string    `json:"decision_reason,omitempty"`
	// Escalation is the warning the request was made from (Request
	// extension on its card), 0 for none.
	Escalation uint64       `json:"escalation,omitempty"`
	Impact     ChangeImpact `json:"impact"`
	CreatedAt  time.Time    `json:"created_at"`
	UpdatedAt  time.Time    `json:"updated_at"`
}

// Code returns the change request's short id, such as "C4".
func (c ChangeRequest) Code() string { return ChangeCode(c.ID) }

// ChangeCode returns the short id of change request id, such as "C4".
func ChangeCode(id uint64) string { return "C" + strconv.FormatUint(id, 10) }

// Pending reports whether the request waits for a decision.
func (c ChangeRequest) Pending() bool { return c.State == ChangePending }

// ChangeImpact is what a change does to the plan of its project: the
// essentials of the scheduling engine's answer, kept as plain data so that
// the request shows the impact it was decided on. Days count working days.
type ChangeImpact struct {
	// Moves are the tasks (milestones included) whose scheduled finish
	// moves, in plan order; Milestones are the milestones among them.
	Moves      []DateMove `json:"moves,omitempty"`
	Milestones []DateMove `json:"milestones,omitempty"`
	// FinishFrom and FinishTo are the project's scheduled finish before
	// and after, FinishDays the working days between (+ later).
	FinishFrom Date `json:"finish_from,omitzero"`
	FinishTo   Date `json:"finish_to,omitzero"`
	FinishDays int  `json:"finish_days,omitempty"`
	// Deadline is the project's deadline (zero for none), and
	// DeadlineMissed whether the finish after the change falls past it.
	Deadline       Date `json:"deadline,omitzero"`
	DeadlineMissed bool `json:"deadline_missed,omitempty"`
	// CriticalBefore and CriticalAfter are the critical path's task ids.
	CriticalBefore  []uint64 `json:"critical_before,omitempty"`
	CriticalAfter   []uint64 `json:"critical_after,omitempty"`
	CriticalChanged bool     `json:"critical_changed,omitempty"`
	// Unplanned says why no impact could be computed (a dependency cycle),
	// in words a person may read; "" when it was.
	Unplanned string `json:"unplanned,omitempty"`
}

// DateMove is one task's scheduled finish moving From → To, by Days working
// days (+ later, - earlier).
type DateMove struct {
	Task uint64 `json:"task"`
	From Date   `json:"from,omitzero"`
	To   Date   `json:"to,omitzero"`
	Days int    `json:"days"`
}

// ChangeTx reads and writes change requests. PutChange keeps the indexes by
// project and of the pending request of each task in step.
type ChangeTx interface {
	NextChangeID() (uint64, error)
	// Change returns a change request; ENOTFOUND if there is none.
	Change(id uint64) (ChangeRequest, error)
	// PutChange stores a change request. EINVALID for one without an id,
	// task, field or creation time; ECONFLICT for a pending request of a
	// task that already has another one pending.
	PutChange(c ChangeRequest) error
	// Changes returns a project's change requests by id; project 0 returns
	// every change request.
	Changes(project uint64) ([]ChangeRequest, error)
	// PendingChange returns the pending request of a task; ENOTFOUND if
	// there is none.
	PendingChange(task uint64) (ChangeRequest, error)
}
