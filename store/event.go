package store

import (
	"bytes"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// SeenEvent reports whether the inbound event id was marked and not yet
// pruned.
func (t *tx) SeenEvent(id string) (bool, error) {
	if id == "" {
		return false, nil
	}
	return t.bucket(bucketEvents).Get([]byte(id)) != nil, nil
}

// MarkEvent records the inbound event id as seen at the given time (the
// store's current time when zero). Marking an id again moves its time. It
// returns EINVALID for an empty id.
func (t *tx) MarkEvent(id string, at time.Time) error {
	if err := t.writable("mark event"); err != nil {
		return err
	}
	if id == "" {
		return bot.Errorf(bot.EINVALID, "an event needs an id")
	}
	if at.IsZero() {
		at = t.now()
	}
	var oldKey []byte
	if v := t.bucket(bucketEvents).Get([]byte(id)); v != nil {
		oldKey = eventTimeKey(btoi(v), id)
	}
	nanos := uint64(at.UnixNano())
	if err := t.reindex(bucketEventsByTime, oldKey, eventTimeKey(nanos, id)); err != nil {
		return err
	}
	return t.putRaw(bucketEvents, []byte(id), itob(nanos))
}

// eventTimeKey returns <unix nanos><id>, the time index key of an event.
func eventTimeKey(nanos uint64, id string) []byte {
	return append(itob(nanos), id...)
}

// PruneEvents forgets up to limit event ids marked before the given time,
// oldest first, and returns how many it forgot and whether more are due.
func (t *tx) PruneEvents(before time.Time, limit int) (int, bool, error) {
	if err := t.writable("prune events"); err != nil {
		return 0, false, err
	}
	end := itob(uint64(before.UnixNano()))
	// Keys are collected first and deleted afterwards: deleting under a
	// bbolt cursor can make it skip the next key.
	var keys [][]byte
	c := t.bucket(bucketEventsByTime).Cursor()
	more := false
	for k, _ := c.First(); k != nil && bytes.Compare(k[:8], end) < 0; k, _ = c.Next() {
		if len(keys) == limit {
			more = true
			break
		}
		keys = append(keys, bytes.Clone(k))
	}
	for _, k := range keys {
		if err := t.del(bucketEventsByTime, k); err != nil {
			return 0, false, err
		}
		if err := t.del(bucketEvents, k[8:]); err != nil {
			return 0, false, err
		}
	}
	return len(keys), more, nil
}
