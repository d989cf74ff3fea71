package store

import (
	"reflect"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// NextCardID hands out the next card id. Ids are dense and never reused.
func (t *tx) NextCardID() (uint64, error) {
	return t.nextID(bucketCards, "next card id")
}

// HasCard reports whether the card with the given id is kept (bot.CardTx).
func (t *tx) HasCard(id uint64) (bool, error) {
	t.read()
	return t.bucket(bucketCards).Get(itob(id)) != nil, nil
}

// Card returns a card record, or ENOTFOUND.
func (t *tx) Card(id uint64) (bot.CardRecord, error) {
	var c bot.CardRecord
	ok, err := t.get(bucketCards, itob(id), &c)
	if err != nil {
		return bot.CardRecord{}, err
	} else if !ok {
		return bot.CardRecord{}, bot.Errorf(bot.ENOTFOUND, "card %d not found", id)
	}
	return c, nil
}

// PutCard stores c and moves its entry in the key index when its key
// changed. It returns EINVALID for a card with no id.
func (t *tx) PutCard(c bot.CardRecord) error {
	if err := t.writable("put card"); err != nil {
		return err
	}
	if c.ID == 0 {
		return bot.Errorf(bot.EINVALID, "a card needs an id")
	}
	var (
		old   bot.CardRecord
		found bool
		err   error
	)
	if t.hasPrefix(bucketChatByCard, itob(c.ID)) {
		found, err = t.get(bucketCards, itob(c.ID), &old)
		if err != nil {
			return err
		}
		if found && !reflect.DeepEqual(old.Card, c.Card) {
			// The chat lines that show the card as it was keep it.
			if err := t.keepChatCards(c.ID); err != nil {
				return err
			}
		}
	} else {
		// Only what its index entries are made of: a group warning's
		// text is long, and each update of it would decode it whole.
		var idx cardIndexed
		found, err = t.get(bucketCards, itob(c.ID), &idx)
		if err != nil {
			return err
		}
		old = bot.CardRecord{ID: c.ID, Key: idx.Key, CreatedAt: idx.CreatedAt, UpdatedAt: idx.UpdatedAt,
			Card: bot.Card{Actions: make([]bot.Action, len(idx.Card.Actions))}}
	}
	if err := t.reindex(bucketCardsByKey, strKey(old.Key, c.ID), strKey(c.Key, c.ID)); err != nil {
		return err
	}
	var oldUpdate []byte
	if found {
		oldUpdate = cardUpdateKey(old)
	}
	if err := t.reindex(bucketCardsByUpdate, oldUpdate, cardUpdateKey(c)); err != nil {
		return err
	}
	if err := t.claimID(bucketCards, c.ID); err != nil {
		return err
	}
	return t.put(bucketCards, itob(c.ID), c)
}

// cardIndexed is the part of a stored card record that its index entries
// (cardsByKey, cardUpdateKey) are made of.
type cardIndexed struct {
	Key  string `json:"key"`
	Card struct {
		Actions []struct{} `json:"actions"`
	} `json:"card"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// CardsByKey returns the cards with the given key, oldest first. An empty
// key matches no card.
func (t *tx) CardsByKey(key string) ([]bot.CardRecord, error) {
	if key == "" {
		return nil, nil
	}
	ids := t.idsWithPrefix(bucketCardsByKey, strPrefix(key))
	return loadIDs[bot.CardRecord](t, bucketCards, ids)
}

// cardUpdateKey is the key of bucketCardsByUpdate for a card record.
func cardUpdateKey(c bot.CardRecord) []byte {
	last := c.UpdatedAt
	if last.IsZero() {
		last = c.CreatedAt
	}
	finished := byte(0)
	if c.Card.Finished() {
		finished = 1
	}
	return append(append([]byte{finished}, timeKey(last, 0)[:8]...), itob(c.ID)...)
}

// cardUpdateKeyV7 is the key schema version 7 gave a card record in
// bucketCardsByUpdate, <time><card id><finished>, which version 8 turns
// into cardUpdateKey's (createBucketsV8).
func cardUpdateKeyV7(c bot.CardRecord) []byte {
	k := cardUpdateKey(c)
	return append(k[1:], k[0])
}
