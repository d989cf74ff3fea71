package bot

import (
	"testing"
	"time"
)

func TestRiskStale(t *testing.T) {
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	r := Risk{ID: 2, State: RiskOpen, CreatedAt: t0, ReviewedAt: t0}
	cases := []struct {
		name string
		edit func(*Risk)
		now  time.Time
		want bool
	}{
		{"a day short of two weeks", nil, t0.Add(13 * 24 * time.Hour), false},
		{"two weeks unreviewed", nil, t0.Add(14 * 24 * time.Hour), true},
		{"already raised", func(r *Risk) { r.RaisedAt = t0.Add(14 * 24 * time.Hour) }, t0.Add(30 * 24 * time.Hour), false},
		{"reviewed after the raise, two weeks ago", func(r *Risk) {
			r.RaisedAt = t0.Add(14 * 24 * time.Hour)
			r.ReviewedAt = t0.Add(15 * 24 * time.Hour)
		}, t0.Add(29 * 24 * time.Hour), true},
		{"reviewed after the raise, recently", func(r *Risk) {
			r.RaisedAt = t0.Add(14 * 24 * time.Hour)
			r.ReviewedAt = t0.Add(15 * 24 * time.Hour)
		}, t0.Add(28 * 24 * time.Hour), false},
		{"closed", func(r *Risk) { r.State = RiskClosed }, t0.Add(30 * 24 * time.Hour), false},
	}
	for _, c := range cases {
		x := r
		if c.edit != nil {
			c.edit(&x)
		}
		if got := x.Stale(c.now); got != c.want {
			t.Errorf("%s: Stale = %v, want %v", c.name, got, c.want)
		}
	}
	if r.Code() != "R2" {
		t.Errorf("Code %q", r.Code())
	}
}

func TestParseImpact(t *testing.T) {
	for in, want := range map[string]string{"high": ImpactHigh, "HIGH": ImpactHigh, "高": ImpactHigh, "medium": ImpactMedium,
		"中": ImpactMedium, " low ": ImpactLow, "低": ImpactLow} {
		if got, err := ParseImpact(in); got != want || err != nil {
			t.Errorf("ParseImpact(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	_, err := ParseImpact("huge")
	if ErrorCode(err) != EINVALID || MessageIn(err, "en") != `impact: "huge" is not high, medium or low.` ||
		MessageIn(err, "zh") != "影响：“huge”不是 high（高）、medium（中）或 low（低）。" {
		t.Errorf("ParseImpact(huge): %v", err)
	}
}
