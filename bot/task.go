package bot

import (
	"strconv"
	"time"
)

// TaskStatus is where a task stands in its life cycle.
type TaskStatus string

// Task statuses. assigned → accepted ⇄ blocked → done → verified; declined
// goes back to the assigner; cancelled ends a task.
const (
	StatusAssigned  TaskStatus = "assigned"
	StatusAccepted  TaskStatus = "accepted"
	StatusBlocked   TaskStatus = "blocked"
	StatusDone      TaskStatus = "done"
	StatusVerified  TaskStatus = "verified"
	StatusDeclined  TaskStatus = "declined"
	StatusCancelled TaskStatus = "cancelled"
)

// Open reports whether work on a task with this status is still expected.
func (s TaskStatus) Open() bool {
	switch s {
	case StatusAssigned, StatusAccepted, StatusBlocked:
		return true
	}
	return false
}

// Priorities.
const (
	PrioHigh   = "high"
	PrioNormal = "normal"
	PrioLow    = "low"
)

// Task is a unit of work with an assignee and a due date. Due is the current
// due date; BaselineDue is the one first agreed, kept for reports.
type Task struct {
	ID           uint64     `json:"id"`
	Project      uint64     `json:"project,omitempty"`
	Parent       uint64     `json:"parent,omitempty"`
	Title        string     `json:"title"`
	Description  string     `json:"description,omitempty"`
	Assignee     PersonID   `json:"assignee"`
	Assigner     PersonID   `json:"assigner"`
	PlannedStart Date       `json:"planned_start,omitempty"`
	Due          Date       `json:"due,omitempty"`
	BaselineDue  Date       `json:"baseline_due,omitempty"`
	EstimateDays float64    `json:"estimate_days,omitempty"`
	Priority     string     `json:"priority"`
	DependsOn    []uint64   `json:"depends_on,omitempty"`
	Milestone    bool       `json:"milestone,omitempty"`
	Status       TaskStatus `json:"status"`
	Progress     int        `json:"progress"`
	Hours        float64    `json:"hours,omitempty"`
	BlockReason  string     `json:"block_reason,omitempty"`
	// ProgressAt is when the progress last changed, for the stale rule.
	ProgressAt time.Time `json:"progress_at,omitempty"`
	// StatusAt is when the status last changed (blocked since, done at, …).
	StatusAt time.Time `json:"status_at,omitempty"`
	// DoneAt is when the task was last marked done; zero while it is open.
	DoneAt    time.Time `json:"done_at,omitzero"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Code returns the task's short id, such as "T12".
func (t Task) Code() string { return TaskCode(t.ID) }

// TaskCode returns the short id of task id, such as "T12".
func TaskCode(id uint64) string { return "T" + strconv.FormatUint(id, 10) }

// ProjectCode returns the short id of project id, such as "P3".
func ProjectCode(id uint64) string { return "P" + strconv.FormatUint(id, 10) }

// Manager returns the person escalations of t go to: the assigner, or, when
// the assigner is the assignee, the project owner (if given), else "".
func (t Task) Manager(p *Project) PersonID {
	if t.Assigner != t.Assignee {
		return t.Assigner
	}
	if p != nil && p.Owner != t.Assignee {
		return p.Owner
	}
	return ""
}

// TaskFilter selects tasks; zero fields match everything.
type TaskFilter struct {
	Project  uint64
	Assignee PersonID
	// Parent selects the sub-tasks of a WBS summary task.
	Parent   uint64
	Status   TaskStatus
	OpenOnly bool
}

// Match reports whether t passes the filter.
func (f TaskFilter) Match(t Task) bool {
	switch {
	case f.Project != 0 && t.Project != f.Project:
		return false
	case f.Assignee != "" && t.Assignee != f.Assignee:
		return false
	case f.Parent != 0 && t.Parent != f.Parent:
		return false
	case f.Status != "" && t.Status != f.Status:
		return false
	case f.OpenOnly && !t.Status.Open():
		return false
	}
	return true
}
