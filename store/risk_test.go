package store

import (
	"testing"

	"github.com/loopbot/loopbot/bot"
)

// newRisk returns an open risk of project p owned by alice, reviewed at t0.
func newRisk(tx bot.Tx, p uint64, text string) (bot.Risk, error) {
	id, err := tx.NextRiskID()
	if err != nil {
		return bot.Risk{}, err
	}
	r := bot.Risk{ID: id, Project: p, Text: text, Owner: alice, Impact: bot.ImpactMedium, State: bot.RiskOpen,
		CreatedBy: bob, CreatedAt: t0, ReviewedAt: t0}
	return r, tx.PutRisk(r)
}

func TestRiskGetPutAndIndexes(t *testing.T) {
	db := MustOpen(t)
	update(t, db, func(tx bot.Tx) error {
		for _, c := range []struct {
			p    uint64
			text string
		}{{1, "vendor late"}, {2, "staff leaves"}, {1, "API unstable"}, {256, "budget"}} {
			if _, err := newRisk(tx, c.p, c.text); err != nil {
				return err
			}
		}
		// R1 is closed: it leaves the open index and stays in its project.
		r, err := tx.Risk(1)
		if err != nil {
			return err
		}
		r.State, r.ClosedAt, r.ClosedBy, r.ClosingNote = bot.RiskClosed, t0.Add(48*3600e9), bob, "vendor delivered"
		return tx.PutRisk(r)
	})
	// Closed and reopened across a restart of the file: the indexes hold.
	db = reopen(t, db)
	view(t, db, func(tx bot.Tx) error {
		p1, err := tx.Risks(1)
		if err != nil || len(p1) != 2 || p1[0].Code() != "R1" || p1[1].Code() != "R3" || p1[0].Open() || p1[0].ClosingNote != "vendor delivered" {
			t.Errorf("Risks(P1): %+v, %v", p1, err)
		}
		if p256, _ := tx.Risks(256); len(p256) != 1 || p256[0].Text != "budget" {
			t.Errorf("Risks(P256) must not see P1's keys: %+v", p256)
		}
		open, err := tx.OpenRisks()
		var codes []string
		for _, r := range open {
			codes = append(codes, r.Code())
		}
		if err != nil || len(codes) != 3 || codes[0] != "R2" || codes[1] != "R3" || codes[2] != "R4" {
			t.Errorf("OpenRisks: %v, %v", codes, err)
		}
		_, err = tx.Risk(9)
		wantCode(t, err, bot.ENOTFOUND)
		if msg := bot.ErrorMessage(err); msg != "risk R9 not found" {
			t.Errorf("message %q", msg)
		}
		return nil
	})
	update(t, db, func(tx bot.Tx) error {
		// Moving a risk to another project moves its index entry.
		r, _ := tx.Risk(3)
		r.Project = 2
		if err := tx.PutRisk(r); err != nil {
			return err
		}
		if id, _ := tx.NextRiskID(); id != 5 {
			t.Errorf("next risk is R%d, want R5", id)
		}
		return nil
	})
	view(t, db, func(tx bot.Tx) error {
		p1, _ := tx.Risks(1)
		p2, _ := tx.Risks(2)
		if len(p1) != 1 || len(p2) != 2 {
			t.Errorf("after the move: P1 %+v, P2 %+v", p1, p2)
		}
		return nil
	})
	if n := len(indexKeys(t, db, bucketRisksOpen)); n != 3 {
		t.Errorf("%d open index keys, want 3", n)
	}
}

func TestPutRiskRefusesBadRecords(t *testing.T) {
	db := MustOpen(t)
	good := bot.Risk{ID: 1, Project: 1, Text: "x", Owner: alice, Impact: bot.ImpactLow, State: bot.RiskOpen}
	with := func(fn func(*bot.Risk)) bot.Risk { r := good; fn(&r); return r }
	cases := []struct {
		name string
		r    bot.Risk
		msg  string
	}{
		{"no id", with(func(r *bot.Risk) { r.ID = 0 }), "a risk needs an id"},
		{"no project", with(func(r *bot.Risk) { r.Project = 0 }), "risk R1 needs a project"},
		{"blank text", with(func(r *bot.Risk) { r.Text = "  " }), "risk R1 needs a text"},
		{"bad impact", with(func(r *bot.Risk) { r.Impact = "huge" }), `risk R1: "huge" is not an impact`},
		{"bad state", with(func(r *bot.Risk) { r.State = "maybe" }), `risk R1: "maybe" is not a risk state`},
		{"no owner", with(func(r *bot.Risk) { r.Owner = "" }), "a risk needs a person"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			update(t, db, func(tx bot.Tx) error {
				err := tx.PutRisk(c.r)
				wantCode(t, err, bot.EINVALID)
				if msg := bot.ErrorMessage(err); msg != c.msg {
					t.Errorf("message %q, want %q", msg, c.msg)
				}
				return nil
			})
		})
	}
	view(t, db, func(tx bot.Tx) error {
		if rs, _ := tx.OpenRisks(); len(rs) != 0 {
			t.Errorf("refused puts stored %+v", rs)
		}
		return nil
	})
}
