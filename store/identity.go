package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// ResolvePerson returns the canonical id of the person that id belongs to:
// the id the identity index maps it to, or id itself.
func (t *tx) ResolvePerson(id bot.PersonID) (bot.PersonID, error) {
	t.read()
	if v := t.bucket(bucketIdentities).Get([]byte(id)); v != nil {
		return bot.PersonID(v), nil
	}
	return id, nil
}

// canonicalOf is ResolvePerson's lookup, reporting whether id is linked.
func (t *tx) canonicalOf(id bot.PersonID) (bot.PersonID, bool) {
	t.read()
	if v := t.bucket(bucketIdentities).Get([]byte(id)); v != nil {
		return bot.PersonID(v), true
	}
	return id, false
}

// syncIdentities checks p's identities and moves their index entries after
// they changed from old's: a removed identity leaves the index, an added one
// enters it. It returns EINVALID for an identity that is p's id, a repeat,
// or a second one on a platform, and ECONFLICT for one that is someone
// else's (linked to another person, or a person with a record of their own:
// those are joined with MergePeople).
func (t *tx) syncIdentities(old, p bot.Person) error {
	platforms := map[string]bool{p.ID.Platform(): true}
	for _, id := range p.Identities {
		if id == "" || id == p.ID || platforms[id.Platform()] {
			return bot.Errorf(bot.EINVALID, "%s cannot be one more identity of %s: one identity per platform", id, p.ID)
		}
		platforms[id.Platform()] = true
	}
	for _, id := range old.Identities {
		if !slices.Contains(p.Identities, id) {
			if err := t.del(bucketIdentities, []byte(id)); err != nil {
				return err
			}
		}
	}
	for _, id := range p.Identities {
		if slices.Contains(old.Identities, id) {
			continue
		}
		if c, linked := t.canonicalOf(id); linked && c != p.ID {
			return bot.Errorf(bot.ECONFLICT, "%s is linked to %s", id, c)
		}
		if t.bucket(bucketPeople).Get([]byte(id)) != nil {
			return bot.Errorf(bot.ECONFLICT, "%s is a person of their own; merge them", id)
		}
		if err := t.putRaw(bucketIdentities, []byte(id), []byte(p.ID)); err != nil {
			return err
		}
	}
	return nil
}

// putPersonRaw stores p as it is, for merges and splits, which keep the
// identity index themselves.
func (t *tx) putPersonRaw(p bot.Person) error {
	if err := t.markChanged(personSubject(p.ID), checkinsSubject(p.ID)); err != nil {
		return err
	}
	return t.put(bucketPeople, []byte(p.ID), p)
}

// MergePeople joins the person join into keep (see bot.IdentityTx).
func (t *tx) MergePeople(keep, join, by bot.PersonID, at time.Time) (bot.Merge, error) {
	if err := t.writable("merge people"); err != nil {
		return bot.Merge{}, err
	}
	if keep == join {
		return bot.Merge{}, bot.Errorf(bot.ECONFLICT, "%s is already that person", join)
	}
	if c, linked := t.canonicalOf(keep); linked {
		return bot.Merge{}, bot.Errorf(bot.ECONFLICT, "%s is a linked identity of %s", keep, c)
	}
	if c, linked := t.canonicalOf(join); linked {
		return bot.Merge{}, bot.Errorf(bot.ECONFLICT, "%s is linked to %s", join, c)
	}
	var kept, joined bot.Person
	if ok, err := t.get(bucketPeople, []byte(keep), &kept); err != nil {
		return bot.Merge{}, err
	} else if !ok {
		return bot.Merge{}, bot.Errorf(bot.ENOTFOUND, "person %s not found", keep)
	}
	hasJoined, err := t.get(bucketPeople, []byte(join), &joined)
	if err != nil {
		return bot.Merge{}, err
	}
	if !hasJoined {
		joined = bot.Person{}
	}
	ids := append([]bot.PersonID{join}, joined.Identities...)
	for _, id := range ids {
		if other, ok := kept.IdentityOn(id.Platform()); ok {
			return bot.Merge{}, bot.Errorf(bot.ECONFLICT, "%s already has an identity on %s, %s", keep, id.Platform(), other)
		}
	}
	m := bot.Merge{Time: at, By: by, Kept: keep, Joined: join, Identities: ids, Before: joined, KeptBefore: kept}
	if hasJoined {
		if err := t.moveRecords(&m, join, keep); err != nil {
			return bot.Merge{}, err
		}
		// Moved again, whether by joining or by re-pointing: people whose
		// manager it was, read back with their new manager.
		if err := t.get2(bucketPeople, []byte(keep), &kept); err != nil {
			return bot.Merge{}, err
		}
		mergeSettings(&m, &kept, joined)
		if err := t.del(bucketPeople, []byte(join)); err != nil {
			return bot.Merge{}, err
		}
		for _, s := range []string{personSubject(join), checkinsSubject(join)} {
			if err := t.SetDue(s, bot.DueNever); err != nil {
				return bot.Merge{}, err
			}
		}
	}
	kept.Identities = append(kept.Identities, ids...)
	kept.UpdatedAt = at
	for _, id := range ids {
		if err := t.putRaw(bucketIdentities, []byte(id), []byte(keep)); err != nil {
			return bot.Merge{}, err
		}
	}
	// Identities linked to the joined person now point at keep.
	if err := t.putPersonRaw(kept); err != nil {
		return bot.Merge{}, err
	}
	id, err := t.nextID(bucketMerges, "merge people")
	if err != nil {
		return bot.Merge{}, err
	}
	m.ID = id
	return m, t.put(bucketMerges, itob(id), m)
}

// get2 is get for a record that must exist.
func (t *tx) get2(bucket string, key []byte, v any) error {
	ok, err := t.get(bucket, key, v)
	if err == nil && !ok {
		err = bot.Errorf(bot.ENOTFOUND, "%s %s not found", bucket, key)
	}
	return err
}

// mergeSettings gives kept the settings of joined that kept did not choose
// (recording them in m.Adopted, and the ones both chose in m.Conflicts),
// the joined person's leave, the higher of their roles, and what kept does
// not know (name, email, department, manager).
func mergeSettings(m *bot.Merge, kept *bot.Person, joined bot.Person) {
	fields := []struct {
		name     string
		dst, src *string
	}{
		{bot.SettingTimezone, &kept.Timezone, &joined.Timezone},
		{bot.SettingCheckin, &kept.CheckinAt, &joined.CheckinAt},
		{bot.SettingLang, &kept.Lang, &joined.Lang},
		{bot.SettingPlatform, &kept.Platform, &joined.Platform},
	}
	for _, f := range fields {
		if !joined.HasChosen(f.name) {
			continue
		}
		if kept.HasChosen(f.name) {
			if *f.dst != *f.src {
				m.Conflicts = append(m.Conflicts, f.name)
			}
			continue
		}
		*f.dst = *f.src
		kept.Choose(f.name)
		m.Adopted = append(m.Adopted, f.name)
	}
	if roleRank(joined.Role) > roleRank(kept.Role) {
		m.RoleFrom, kept.Role = kept.Role, joined.Role
		if joined.HasChosen(bot.SettingRole) {
			kept.Choose(bot.SettingRole)
		}
	}
	for _, d := range joined.Leave {
		if !slices.Contains(kept.Leave, d) {
			kept.Leave = append(kept.Leave, d)
			m.LeaveAdded = append(m.LeaveAdded, d)
		}
	}
	slices.SortFunc(kept.Leave, bot.Date.Compare)
	for _, f := range []struct{ dst, src *string }{
		{&kept.Name, &joined.Name}, {&kept.Email, &joined.Email}, {&kept.Department, &joined.Department},
		{(*string)(&kept.Manager), (*string)(&joined.Manager)},
	} {
		if *f.dst == "" {
			*f.dst = *f.src
		}
	}
	if kept.Manager == kept.ID || kept.Manager == joined.ID {
		kept.Manager = ""
	}
}

// roleRank orders roles from member up to admin.
func roleRank(r bot.Role) int {
	switch r {
	case bot.RoleAdmin:
		return 2
	case bot.RoleManager:
		return 1
	}
	return 0
}

// SplitPerson unlinks id from its person (see bot.IdentityTx).
func (t *tx) SplitPerson(id, by bot.PersonID, at time.Time) (bot.Merge, error) {
	if err := t.writable("split person"); err != nil {
		return bot.Merge{}, err
	}
	canon, linked := t.canonicalOf(id)
	if !linked {
		return bot.Merge{}, bot.Errorf(bot.EINVALID, "%s is not a linked identity", id)
	}
	var kept bot.Person
	if err := t.get2(bucketPeople, []byte(canon), &kept); err != nil {
		return bot.Merge{}, err
	}
	kept.Identities = slices.DeleteFunc(kept.Identities, func(x bot.PersonID) bool { return x == id })
	if err := t.del(bucketIdentities, []byte(id)); err != nil {
		return bot.Merge{}, err
	}
	m, err := t.mergeOf(id)
	if err != nil {
		return bot.Merge{}, err
	}
	p := bot.Person{ID: id, Name: kept.Name, Role: bot.RoleMember, CreatedAt: at}
	if m.ID != 0 && m.Joined == id {
		if m.Before.ID == id {
			p = m.Before
			p.Identities = nil
		}
		if err := t.moveBack(m, canon, id); err != nil {
			return bot.Merge{}, err
		}
		if err := t.get2(bucketPeople, []byte(canon), &kept); err != nil {
			return bot.Merge{}, err
		}
		kept.Identities = slices.DeleteFunc(kept.Identities, func(x bot.PersonID) bool { return x == id })
		restoreSettings(m, &kept)
	}
	p.Platform, p.LastPlatform = keepOn(p.Platform, id), keepOn(p.LastPlatform, id)
	if p.Platform == "" {
		p.Chosen = slices.DeleteFunc(p.Chosen, func(f string) bool { return f == bot.SettingPlatform })
	}
	if kept.Platform == id.Platform() {
		kept.Platform = ""
		kept.Chosen = slices.DeleteFunc(kept.Chosen, func(f string) bool { return f == bot.SettingPlatform })
	}
	kept.LastPlatform = keepOn(kept.LastPlatform, kept.AllIdentities()...)
	p.UpdatedAt, kept.UpdatedAt = at, at
	if err := t.putPersonRaw(kept); err != nil {
		return bot.Merge{}, err
	}
	if err := t.putPersonRaw(p); err != nil {
		return bot.Merge{}, err
	}
	if m.ID == 0 {
		return m, nil
	}
	m.SplitAt, m.SplitBy = at, by
	return m, t.put(bucketMerges, itob(m.ID), m)
}

// keepOn returns platform when one of ids is on it, else "".
func keepOn(platform string, ids ...bot.PersonID) string {
	for _, id := range ids {
		if id.Platform() == platform {
			return platform
		}
	}
	return ""
}

// restoreSettings takes back from kept what a merge gave it: the adopted
// settings (as kept had them before), the added days of leave, the role.
func restoreSettings(m bot.Merge, kept *bot.Person) {
	before := m.KeptBefore
	for _, f := range m.Adopted {
		switch f {
		case bot.SettingTimezone:
			kept.Timezone = before.Timezone
		case bot.SettingCheckin:
			kept.CheckinAt = before.CheckinAt
		case bot.SettingLang:
			kept.Lang = before.Lang
		case bot.SettingPlatform:
			kept.Platform = before.Platform
		}
		if !before.HasChosen(f) {
			kept.Chosen = slices.DeleteFunc(kept.Chosen, func(x string) bool { return x == f })
		}
	}
	kept.Leave = slices.DeleteFunc(kept.Leave, func(d bot.Date) bool {
		return slices.Contains(m.LeaveAdded, d) && !slices.Contains(before.Leave, d)
	})
	if m.RoleFrom != "" && kept.Role == m.Before.Role {
		kept.Role = m.RoleFrom
	}
}

// mergeOf returns the latest merge, not yet split, that joined id's own
// person (Joined == id), else the latest that brought id along with
// another, or the zero Merge. A person merged twice (B into A, then A
// into an older C) thus gives B back what was B's.
func (t *tx) mergeOf(id bot.PersonID) (bot.Merge, error) {
	merges, err := t.Merges()
	if err != nil {
		return bot.Merge{}, err
	}
	for _, own := range []bool{true, false} {
		for i := len(merges) - 1; i >= 0; i-- {
			m := merges[i]
			if m.SplitAt.IsZero() && slices.Contains(m.Identities, id) && (m.Joined == id) == own {
				return m, nil
			}
		}
	}
	return bot.Merge{}, nil
}

// Merges returns every merge record, oldest first.
func (t *tx) Merges() ([]bot.Merge, error) {
	return loadAll[bot.Merge](t, bucketMerges)
}

// linkCodeKey returns the key a link code is kept under: the hex SHA-256
// of the code, so that the file never holds a code that still works.
func linkCodeKey(code string) []byte {
	sum := sha256.Sum256([]byte(code))
	return []byte(hex.EncodeToString(sum[:]))
}

// PutLinkCode stores c under a hash of code (see bot.IdentityTx).
func (t *tx) PutLinkCode(code string, c bot.LinkCode) error {
	if err := t.writable("put link code"); err != nil {
		return err
	}
	if code == "" || c.Identity == "" {
		return bot.Errorf(bot.EINVALID, "a link code needs a code and an identity")
	}
	var stale [][]byte
	err := t.bucket(bucketLinkCodes).ForEach(func(k, v []byte) error {
		var old bot.LinkCode
		if err := decodeValue(v, &old); err != nil {
			return fmt.Errorf("store: decode %s: %w", bucketLinkCodes, err)
		}
		if old.Expires.Before(c.Created.Add(-24*time.Hour)) || (old.Identity == c.Identity && old.Used.IsZero()) {
			stale = append(stale, bytes.Clone(k))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range stale {
		if err := t.del(bucketLinkCodes, k); err != nil {
			return err
		}
	}
	return t.put(bucketLinkCodes, linkCodeKey(code), c)
}

// LinkCode returns the record of code, or ENOTFOUND.
func (t *tx) LinkCode(code string) (bot.LinkCode, error) {
	var c bot.LinkCode
	ok, err := t.get(bucketLinkCodes, linkCodeKey(code), &c)
	if err != nil {
		return c, err
	} else if !ok {
		return c, bot.Errorf(bot.ENOTFOUND, "no such link code")
	}
	return c, nil
}

// UseLinkCode marks code used (see bot.IdentityTx).
func (t *tx) UseLinkCode(code string, by bot.PersonID, at time.Time) error {
	if err := t.writable("use link code"); err != nil {
		return err
	}
	c, err := t.LinkCode(code)
	if err != nil {
		return err
	}
	c.Used, c.UsedBy = at, by
	return t.put(bucketLinkCodes, linkCodeKey(code), c)
}

// swapKeySegment returns key with every "/"-separated segment equal to
// from replaced by to, and whether there was one.
func swapKeySegment(key string, from, to bot.PersonID) (string, bool) {
	parts := strings.Split(key, "/")
	changed := false
	for i, p := range parts {
		if p == string(from) {
			parts[i], changed = string(to), true
		}
	}
	return strings.Join(parts, "/"), changed
}
