package flows

import (
	"context"
	"testing"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/store/storetest"
)

// TestCachedPerson: a transaction's cache reads a person once and hands
// out copies, forgets one written through it, and does not keep a person
// that is not there.
func TestCachedPerson(t *testing.T) {
	st := storetest.Open(t)
	ctx := context.Background()
	err := st.Update(ctx, func(raw bot.Tx) error {
		if err := raw.PutPerson(bot.Person{ID: "pg:bob", Name: "Bob", Chosen: []string{"a"}}); err != nil {
			return err
		}
		tx := withProjectCache(raw)
		p, err := tx.Person("pg:bob")
		if err != nil {
			return err
		}
		p.Chosen[0], p.Name = "changed", "Robert"
		if again, _ := tx.Person("pg:bob"); again.Name != "Bob" || again.Chosen[0] != "a" {
			t.Errorf("a caller's change to its copy reached the cache: %+v", again)
		}
		// Written around the cache: the cache still has what it read.
		if err := raw.PutPerson(bot.Person{ID: "pg:bob", Name: "Bobby"}); err != nil {
			return err
		}
		if again, _ := tx.Person("pg:bob"); again.Name != "Bob" {
			t.Errorf("the cache read the person again: %+v", again)
		}
		// Written through it: read afresh.
		if err := tx.PutPerson(bot.Person{ID: "pg:bob", Name: "Bobbie"}); err != nil {
			return err
		}
		if again, _ := tx.Person("pg:bob"); again.Name != "Bobbie" {
			t.Errorf("after PutPerson through the cache: %+v, want Bobbie", again)
		}
		s := &Service{}
		if p := s.readPerson(tx, "pg:nobody"); p.ID != "pg:nobody" || p.Name != "" {
			t.Errorf("readPerson of nobody = %+v", p)
		}
		if _, err := tx.Person("pg:nobody"); bot.ErrorCode(err) != bot.ENOTFOUND {
			t.Errorf("a person not there, after readPerson: error %v, want ENOTFOUND", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
