package store

import "github.com/loopbot/loopbot/bot"

// Person returns the person with the given id, or an ENOTFOUND error. A
// linked identity gives its person (whose ID is the canonical one).
func (t *tx) Person(id bot.PersonID) (bot.Person, error) {
	canon, _ := t.canonicalOf(id)
	p, ok, err := memoGet(t, t.personMemo(), bucketPeople, []byte(canon))
	if err != nil {
		return bot.Person{}, err
	} else if !ok {
		return bot.Person{}, bot.Errorf(bot.ENOTFOUND, "person %s not found", id)
	}
	return p, nil
}

// PutPerson stores p under its id, and keeps the identity index in step
// with p.Identities (an identity with a record of its own is joined with
// MergePeople instead). It returns EINVALID for a person with no id or with
// two identities on a platform, and ECONFLICT for an id that is a linked
// identity, or an identity that is someone else's.
func (t *tx) PutPerson(p bot.Person) error {
	if err := t.writable("put person"); err != nil {
		return err
	}
	if p.ID == "" {
		return bot.Errorf(bot.EINVALID, "a person needs an id")
	}
	if c, linked := t.canonicalOf(p.ID); linked {
		return bot.Errorf(bot.ECONFLICT, "%s is a linked identity of %s", p.ID, c)
	}
	var old bot.Person
	if _, err := t.get(bucketPeople, []byte(p.ID), &old); err != nil {
		return err
	}
	if err := t.syncIdentities(old, p); err != nil {
		return err
	}
	// A new zone or leave changes when their rules fire.
	if err := t.markChanged(personSubject(p.ID)); err != nil {
		return err
	}
	return t.put(bucketPeople, []byte(p.ID), p)
}

// People returns everyone, by id.
func (t *tx) People() ([]bot.Person, error) {
	return loadAll[bot.Person](t, bucketPeople)
}
