package store

import (
	"slices"
	"testing"

	"github.com/loopbot/loopbot/bot"
)

func TestCards(t *testing.T) {
	db := MustOpen(t)
	card := func(id uint64, key string) bot.CardRecord {
		return bot.CardRecord{ID: id, Key: key, Target: bot.DM(alice), Card: bot.Card{Kind: bot.CardTaskAssigned, Title: key}}
	}
	update(t, db, func(tx bot.Tx) error {
		wantCode(t, tx.PutCard(bot.CardRecord{Key: "x"}), bot.EINVALID)
		for _, key := range []string{"assign/T1", "assign/T1", "assign/T10", ""} {
			id, err := tx.NextCardID()
			if err != nil {
				return err
			}
			if err := tx.PutCard(card(id, key)); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, db, func(tx bot.Tx) error {
		for id, want := range map[uint64]bool{1: true, 4: true, 5: false, 0: false} {
			if got, err := tx.HasCard(id); got != want || err != nil {
				t.Errorf("HasCard(%d) = %v, %v; want %v", id, got, err, want)
			}
		}
		return nil
	})
	byKey := func(want map[string][]uint64) {
		t.Helper()
		view(t, db, func(tx bot.Tx) error {
			for key, ids := range want {
				cards, err := tx.CardsByKey(key)
				var got []uint64
				for _, c := range cards {
					got = append(got, c.ID)
				}
				if err != nil || !slices.Equal(got, ids) {
					t.Errorf("CardsByKey(%q) = %v, %v; want %v", key, got, err, ids)
				}
			}
			return nil
		})
	}
	byKey(map[string][]uint64{"assign/T1": {1, 2}, "assign/T10": {3}, "assign/T": nil, "": nil})

	update(t, db, func(tx bot.Tx) error {
		c, err := tx.Card(2)
		if err != nil {
			return err
		}
		c.Key, c.MessageRef = "checkin/T1", "om_123"
		return tx.PutCard(c)
	})
	byKey(map[string][]uint64{"assign/T1": {1}, "checkin/T1": {2}})
	view(t, db, func(tx bot.Tx) error {
		c, err := tx.Card(2)
		if err != nil || c.MessageRef != "om_123" || c.Card.Title != "assign/T1" {
			t.Errorf("Card(2): %+v, %v", c, err)
		}
		_, err = tx.Card(9)
		wantCode(t, err, bot.ENOTFOUND)
		return nil
	})
}
