package store

import (
	"strings"

	"github.com/loopbot/loopbot/bot"
)

// NextRiskID hands out the next risk id. Ids are dense and never reused; one
// handed out in a transaction that rolls back is handed out again.
func (t *tx) NextRiskID() (uint64, error) {
	return t.nextID(bucketRisks, "next risk id")
}

// Risk returns the risk with the given id, or an ENOTFOUND error.
func (t *tx) Risk(id uint64) (bot.Risk, error) {
	var r bot.Risk
	ok, err := t.get(bucketRisks, itob(id), &r)
	if err != nil {
		return bot.Risk{}, err
	} else if !ok {
		return bot.Risk{}, bot.Errorf(bot.ENOTFOUND, "risk %s not found", bot.RiskCode(id))
	}
	return r, nil
}

// PutRisk stores r and keeps its indexes in step: by project, and of open
// risks while r is open. It returns EINVALID for a risk with no id, no
// project, no text, no owner, or an impact or state it does not know.
func (t *tx) PutRisk(r bot.Risk) error {
	if err := t.writable("put risk"); err != nil {
		return err
	}
	if err := checkRisk(r); err != nil {
		return err
	}
	var old bot.Risk
	had, err := t.get(bucketRisks, itob(r.ID), &old)
	if err != nil {
		return err
	}
	var oldProject, oldOpen []byte
	if had {
		oldProject = idKey(old.Project, old.ID)
		if old.Open() {
			oldOpen = itob(old.ID)
		}
	}
	var newOpen []byte
	if r.Open() {
		newOpen = itob(r.ID)
	}
	if err := t.reindex(bucketRisksByProject, oldProject, idKey(r.Project, r.ID)); err != nil {
		return err
	}
	if err := t.reindex(bucketRisksOpen, oldOpen, newOpen); err != nil {
		return err
	}
	if err := t.claimID(bucketRisks, r.ID); err != nil {
		return err
	}
	return t.put(bucketRisks, itob(r.ID), r)
}

// checkRisk returns EINVALID unless r is complete.
func checkRisk(r bot.Risk) error {
	switch {
	case r.ID == 0:
		return bot.Errorf(bot.EINVALID, "a risk needs an id")
	case r.Project == 0:
		return bot.Errorf(bot.EINVALID, "risk %s needs a project", r.Code())
	case strings.TrimSpace(r.Text) == "":
		return bot.Errorf(bot.EINVALID, "risk %s needs a text", r.Code())
	case r.Impact != bot.ImpactHigh && r.Impact != bot.ImpactMedium && r.Impact != bot.ImpactLow:
		return bot.Errorf(bot.EINVALID, "risk %s: %q is not an impact", r.Code(), r.Impact)
	case r.State != bot.RiskOpen && r.State != bot.RiskClosed:
		return bot.Errorf(bot.EINVALID, "risk %s: %q is not a risk state", r.Code(), r.State)
	}
	return checkPerson(r.Owner, "a risk")
}

// Risks returns the risks of a project, by id.
func (t *tx) Risks(project uint64) ([]bot.Risk, error) {
	return loadIDs[bot.Risk](t, bucketRisks, t.idsWithPrefix(bucketRisksByProject, itob(project)))
}

// OpenRisks returns the open risks of every project, by id.
func (t *tx) OpenRisks() ([]bot.Risk, error) {
	var ids []uint64
	err := t.bucket(bucketRisksOpen).ForEach(func(k, _ []byte) error {
		ids = append(ids, btoi(k))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return loadIDs[bot.Risk](t, bucketRisks, ids)
}
