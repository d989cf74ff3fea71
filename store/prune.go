package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// PruneCards removes up to limit card records that can no longer change:
// those with no buttons left (bot.Card.Finished) that have not changed since
// finishedBefore, and any card not changed since openBefore, whose buttons
// have expired. It walks the cards oldest first and stops at the first card
// created at or after finishedBefore, since no later card qualifies. It
// reports how many it removed and whether it stopped at the limit with more
// to look at. What a card showed stays in the audit log: the state changes
// that drew it were recorded there when they happened.
func (t *tx) PruneCards(finishedBefore, openBefore time.Time, limit int) (int, bool, error) {
	if err := t.writable("prune cards"); err != nil {
		return 0, false, err
	}
	type victim struct {
		id  uint64
		key string
	}
	var victims []victim
	more := false
	c := t.bucket(bucketCards).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		var rec struct {
			Key  string `json:"key"`
			Card struct {
				Actions []json.RawMessage `json:"actions"`
			} `json:"card"`
			CreatedAt time.Time `json:"created_at"`
			UpdatedAt time.Time `json:"updated_at"`
		}
		if err := json.Unmarshal(v, &rec); err != nil {
			return 0, false, fmt.Errorf("store: decode %s %x: %w", bucketCards, k, err)
		}
		if !rec.CreatedAt.Before(finishedBefore) {
			break
		}
		last := rec.UpdatedAt
		if last.IsZero() {
			last = rec.CreatedAt
		}
		if last.Before(openBefore) || len(rec.Card.Actions) == 0 && last.Before(finishedBefore) {
			if len(victims) == limit {
				more = true
				break
			}
			victims = append(victims, victim{btoi(k), rec.Key})
		}
	}
	for _, v := range victims {
		if key := strKey(v.key, v.id); key != nil {
			if err := t.del(bucketCardsByKey, key); err != nil {
				return 0, false, err
			}
		}
		if err := t.del(bucketCards, itob(v.id)); err != nil {
			return 0, false, err
		}
	}
	return len(victims), more, nil
}

// PruneChat removes up to limit playground chat lines sent before the given
// time, oldest first, with their index entries and idempotency keys. It
// reports how many it removed and whether more are due.
func (t *tx) PruneChat(before time.Time, limit int) (int, bool, error) {
	if err := t.writable("prune chat"); err != nil {
		return 0, false, err
	}
	var victims []bot.ChatMessage
	more := false
	c := t.bucket(bucketChat).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		var m bot.ChatMessage
		if err := json.Unmarshal(v, &m); err != nil {
			return 0, false, fmt.Errorf("store: decode %s %x: %w", bucketChat, k, err)
		}
		if !m.Time.Before(before) {
			break
		}
		if len(victims) == limit {
			more = true
			break
		}
		victims = append(victims, m)
	}
	for _, m := range victims {
		if err := t.del(bucketChatByChat, chatKey(m.Chat, m.ID)); err != nil {
			return 0, false, err
		}
		if m.IdemKey != "" {
			if v := t.bucket(bucketChatIdem).Get([]byte(m.IdemKey)); v != nil && btoi(v) == m.ID {
				if err := t.del(bucketChatIdem, []byte(m.IdemKey)); err != nil {
					return 0, false, err
				}
			}
		}
		if err := t.del(bucketChat, itob(m.ID)); err != nil {
			return 0, false, err
		}
	}
	return len(victims), more, nil
}

// PruneDeadLetters removes up to limit dead letters that died before the
// given time, and reports how many it removed and whether more are due.
func (t *tx) PruneDeadLetters(before time.Time, limit int) (int, bool, error) {
	if err := t.writable("prune dead letters"); err != nil {
		return 0, false, err
	}
	var keys [][]byte
	more := false
	err := t.bucket(bucketDeadLetters).ForEach(func(k, v []byte) error {
		if more {
			return nil
		}
		var it bot.OutboxItem
		if err := json.Unmarshal(v, &it); err != nil {
			return fmt.Errorf("store: decode %s %x: %w", bucketDeadLetters, k, err)
		}
		if it.DeadAt.Before(before) {
			if len(keys) == limit {
				more = true
				return nil
			}
			keys = append(keys, bytes.Clone(k))
		}
		return nil
	})
	if err != nil {
		return 0, false, err
	}
	for _, k := range keys {
		if err := t.del(bucketDeadLetters, k); err != nil {
			return 0, false, err
		}
	}
	return len(keys), more, nil
}
