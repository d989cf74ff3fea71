package store

import "github.com/loopbot/loopbot/bot"

// Person returns the person with the given id, or an ENOTFOUND error.
func (t *tx) Person(id bot.PersonID) (bot.Person, error) {
	var p bot.Person
	ok, err := t.get(bucketPeople, []byte(id), &p)
	if err != nil {
		return bot.Person{}, err
	} else if !ok {
		return bot.Person{}, bot.Errorf(bot.ENOTFOUND, "person %s not found", id)
	}
	return p, nil
}

// PutPerson stores p under its id. It returns EINVALID for a person with no
// id.
func (t *tx) PutPerson(p bot.Person) error {
	if err := t.writable("put person"); err != nil {
		return err
	}
	if p.ID == "" {
		return bot.Errorf(bot.EINVALID, "a person needs an id")
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
