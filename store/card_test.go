package store

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

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

// TestFinishedCardsKeepPagesFull: cards are sent open (their inputs and
// signed buttons make them large) and shrink when they finish; the pages
// they were written to are merged as they empty, so that the cards bucket
// does not keep a page per two or three finished cards.
func TestFinishedCardsKeepPagesFull(t *testing.T) {
	db := MustOpen(t)
	rng := rand.New(rand.NewPCG(1, 2))
	token := func() string { // as incompressible as a signed button value
		b := make([]byte, 60)
		for i := range b {
			b[i] = byte('a' + rng.IntN(26))
		}
		return string(b)
	}
	const n, perTx = 1200, 50
	for first := uint64(1); first <= n; first += perTx {
		update(t, db, func(tx bot.Tx) error {
			for id := first; id < first+perTx; id++ {
				c := bigCard(id, fmt.Sprintf("checkin/%d", id))
				for range 8 {
					c.Card.Actions = append(c.Card.Actions, bot.Action{Name: "a", Value: token()})
				}
				if err := tx.PutCard(c); err != nil {
					return err
				}
			}
			return nil
		})
	}
	for id := uint64(1); id <= n; id += 7 { // answered one at a time, in any order
		for _, id := range []uint64{id, id + 3, id + 1, id + 6, id + 2, id + 5, id + 4} {
			update(t, db, func(tx bot.Tx) error {
				c, err := tx.Card(id)
				if bot.ErrorCode(err) == bot.ENOTFOUND {
					return nil
				} else if err != nil {
					return err
				}
				c.Card.Text, c.Card.Actions = "**已提交**", []bot.Action{}
				return tx.PutCard(c)
			})
		}
	}
	sizes, err := db.BucketSizes()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sizes {
		if s.Name == bucketCards && float64(s.Pages) > 1.7*float64(s.Data) {
			t.Errorf("%d finished cards of %d bytes take %d bytes of pages (%.1f×); want at most 1.7×",
				s.Keys, s.Data, s.Pages, float64(s.Pages)/float64(s.Data))
		}
	}
}

// TestCardUpdateIndexFollowsTheCard: the update index (cardUpdateKey: when
// the card last changed, and whether it is finished) has one entry a card,
// the one of its current state, whether or not a chat line shows the card
// (PutCard then reads the replaced record whole or only its index fields).
func TestCardUpdateIndexFollowsTheCard(t *testing.T) {
	db := MustOpen(t)
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	open := bot.CardRecord{ID: 1, Key: "esc/T1", Target: bot.DM(alice), CreatedAt: at,
		Card: bot.Card{Kind: bot.CardTaskAssigned, Title: "T1", Actions: []bot.Action{{Name: "ack"}, {Name: "snooze"}}}}
	put := func(rec bot.CardRecord) {
		t.Helper()
		update(t, db, func(tx bot.Tx) error { return tx.PutCard(rec) })
	}
	want := func(rec bot.CardRecord) {
		t.Helper()
		if got := indexKeys(t, db, bucketCardsByUpdate); !slices.Equal(got, []string{string(cardUpdateKey(rec))}) {
			t.Errorf("update index %q; want only %q", got, cardUpdateKey(rec))
		}
	}
	put(open)
	want(open)
	moved := open
	moved.UpdatedAt = at.Add(time.Hour)
	put(moved) // still open, later
	want(moved)
	done := moved
	done.UpdatedAt, done.Card.Actions = at.Add(2*time.Hour), nil
	put(done) // finished
	want(done)
	again := done
	again.UpdatedAt, again.Card.Actions = at.Add(3*time.Hour), []bot.Action{{Name: "reopen"}}
	put(again) // open again
	want(again)
}
