package bot

import "time"

// AuditEvent records one state change. The audit log is append-only and is
// the source of task history, reports and exports.
type AuditEvent struct {
	ID      uint64    `json:"id"`
	Time    time.Time `json:"time"`
	Actor   PersonID  `json:"actor,omitempty"`
	Kind    string    `json:"kind"`
	Project uint64    `json:"project,omitempty"`
	Task    uint64    `json:"task,omitempty"`
	// Field, Old and New describe a field change where there is one.
	Field string `json:"field,omitempty"`
	Old   string `json:"old,omitempty"`
	New   string `json:"new,omitempty"`
	Note  string `json:"note,omitempty"`
}
