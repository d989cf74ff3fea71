package bot

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Risk states.
const (
	RiskOpen   = "open"
	RiskClosed = "closed"
)

// Impacts of a risk, from worst to mildest.
const (
	ImpactHigh   = "high"
	ImpactMedium = "medium"
	ImpactLow    = "low"
)

// RiskStaleAfter is how long an open risk may go without a review (its
// creation, an update, a confirmation) before its owner is asked about it,
// once (SPEC §4.5 "untouched for two weeks").
const RiskStaleAfter = 14 * 24 * time.Hour

// Risk is one entry of a project's risk register (风险清单).
type Risk struct {
	ID      uint64   `json:"id"`
	Project uint64   `json:"project"`
	Text    string   `json:"text"`
	Owner   PersonID `json:"owner"`
	// Impact is ImpactHigh, ImpactMedium or ImpactLow.
	Impact string `json:"impact"`
	// Task is the linked task's id; 0 for none.
	Task uint64 `json:"task,omitempty"`
	// State is RiskOpen or RiskClosed.
	State     string    `json:"state"`
	CreatedBy PersonID  `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	// ReviewedAt is when the risk was last looked at: created, updated or
	// confirmed as still relevant.
	ReviewedAt time.Time `json:"reviewed_at"`
	// RaisedAt is when the owner was last asked about the risk because it
	// went unreviewed; a review after it makes the risk due again later.
	RaisedAt    time.Time `json:"raised_at,omitzero"`
	ClosedAt    time.Time `json:"closed_at,omitzero"`
	ClosedBy    PersonID  `json:"closed_by,omitempty"`
	ClosingNote string    `json:"closing_note,omitempty"`
}

// Code returns the risk's short id, such as "R2".
func (r Risk) Code() string { return RiskCode(r.ID) }

// RiskCode returns the short id of risk id, such as "R2".
func RiskCode(id uint64) string { return "R" + strconv.FormatUint(id, 10) }

// Open reports whether the risk is still open.
func (r Risk) Open() bool { return r.State != RiskClosed }

// Stale reports whether an open risk has gone unreviewed for RiskStaleAfter
// by now and its owner has not been asked about it since its last review.
func (r Risk) Stale(now time.Time) bool {
	return r.Open() && !now.Before(r.ReviewedAt.Add(RiskStaleAfter)) && r.RaisedAt.Before(r.ReviewedAt)
}

// ImpactRank orders impacts for sorting: 0 for high, 1 medium, 2 low.
func ImpactRank(impact string) int {
	switch impact {
	case ImpactHigh:
		return 0
	case ImpactLow:
		return 2
	}
	return 1
}

// ParseImpact reads an impact in English or Chinese: high|高, medium|中,
// low|低 (any case). It returns a bilingual EINVALID error otherwise.
func ParseImpact(s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "high", "h", "高":
		return ImpactHigh, nil
	case "medium", "med", "m", "中":
		return ImpactMedium, nil
	case "low", "l", "低":
		return ImpactLow, nil
	}
	return "", Bilingual(EINVALID, fmt.Sprintf("impact: %q is not high, medium or low.", s),
		fmt.Sprintf("影响：“%s”不是 high（高）、medium（中）或 low（低）。", s))
}

// RiskTx reads and writes the risk register. Short ids come from
// NextRiskID and are never reused.
type RiskTx interface {
	NextRiskID() (uint64, error)
	// Risk returns the risk with the id, or an ENOTFOUND error.
	Risk(id uint64) (Risk, error)
	// PutRisk stores a risk, keeping the indexes by project and of open
	// risks in step.
	PutRisk(r Risk) error
	// Risks returns a project's risks, open and closed, by id.
	Risks(project uint64) ([]Risk, error)
	// OpenRisks returns the open risks of every project, by id.
	OpenRisks() ([]Risk, error)
}
