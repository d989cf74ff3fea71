package store

import (
	"github.com/loopbot/loopbot/bot"
)

// Enqueue stores a new pending item with the next outbox id (any ID in it is
// ignored) and, when CreatedAt is zero, the store's current time. An OpUpdate
// of a card that already has a pending OpUpdate stores nothing and returns
// that item's id: the dispatcher reads the card's content at delivery, so
// one update carries every change. It returns EINVALID for an unknown op, or
// an update or send with nothing to deliver.
//
// A dispatcher that sends an update outside a transaction and completes it
// afterwards must check, in the completing transaction, that the card did
// not change meanwhile: an update coalesced into an item in flight would
// otherwise be lost.
func (t *tx) Enqueue(it bot.OutboxItem) (uint64, error) {
	if err := t.writable("enqueue"); err != nil {
		return 0, err
	}
	if err := validOutboxItem(it); err != nil {
		return 0, err
	}
	if id, ok := t.pendingUpdate(it); ok {
		return id, nil
	}
	if it.FileID != 0 {
		if _, err := t.File(it.FileID); bot.ErrorCode(err) == bot.ENOTFOUND {
			return 0, bot.Errorf(bot.EINVALID, "file %d to send is not stored", it.FileID)
		} else if err != nil {
			return 0, err
		}
	}
	id, err := t.nextID(bucketOutbox, "enqueue")
	if err != nil {
		return 0, err
	}
	it.ID = id
	if it.CreatedAt.IsZero() {
		it.CreatedAt = t.now()
	}
	if err := t.put(bucketOutbox, itob(id), it); err != nil {
		return 0, err
	}
	if it.Op != bot.OpUpdate {
		return id, nil
	}
	return id, t.putRaw(bucketOutboxUpdates, itob(it.CardID), itob(id))
}

// validOutboxItem checks that it says what to deliver.
func validOutboxItem(it bot.OutboxItem) error {
	switch {
	case it.Op == bot.OpUpdate && it.CardID == 0:
		return bot.Errorf(bot.EINVALID, "a card update needs a card")
	case it.FileID != 0 && (it.Op != bot.OpSend || it.CardID != 0):
		return bot.Errorf(bot.EINVALID, "a file goes out alone, as a new message")
	case it.Op == bot.OpSend && it.CardID == 0 && it.Text == "" && it.FileID == 0:
		return bot.Errorf(bot.EINVALID, "a message needs a text, a card or a file")
	case it.Op != bot.OpSend && it.Op != bot.OpUpdate:
		return bot.Errorf(bot.EINVALID, "outbox op %q is neither %q nor %q", it.Op, bot.OpSend, bot.OpUpdate)
	}
	return nil
}

// pendingUpdate returns the id of the pending update that it coalesces
// into, if there is one.
func (t *tx) pendingUpdate(it bot.OutboxItem) (uint64, bool) {
	if it.Op != bot.OpUpdate {
		return 0, false
	}
	v := t.bucket(bucketOutboxUpdates).Get(itob(it.CardID))
	if v == nil {
		return 0, false
	}
	id := btoi(v)
	return id, t.bucket(bucketOutbox).Get(itob(id)) != nil
}

// OutboxItem returns the pending item with the given id, or an ENOTFOUND
// error when it is not pending (never queued, delivered or dead-lettered).
func (t *tx) OutboxItem(id uint64) (bot.OutboxItem, error) {
	var it bot.OutboxItem
	ok, err := t.get(bucketOutbox, itob(id), &it)
	if err != nil {
		return bot.OutboxItem{}, err
	} else if !ok {
		return bot.OutboxItem{}, bot.Errorf(bot.ENOTFOUND, "outbox item %d is not pending", id)
	}
	return it, nil
}

// PendingOutbox returns up to limit pending items, oldest (lowest id) first,
// whatever their NextAt. A limit of zero or less means all of them.
func (t *tx) PendingOutbox(limit int) ([]bot.OutboxItem, error) {
	return t.PendingOutboxAfter(0, limit)
}

// PendingOutboxAfter is PendingOutbox for the items whose id is greater
// than after.
func (t *tx) PendingOutboxAfter(after uint64, limit int) ([]bot.OutboxItem, error) {
	var ids []uint64
	c := t.bucket(bucketOutbox).Cursor()
	for k, _ := c.Seek(itob(after + 1)); k != nil && (limit <= 0 || len(ids) < limit); k, _ = c.Next() {
		ids = append(ids, btoi(k))
	}
	return loadIDs[bot.OutboxItem](t, bucketOutbox, ids)
}

// PutOutboxItem saves a pending item after a failed try (attempts, next try,
// last error), or as its text alone (FileID cleared: the file's link goes
// instead), which removes the file it carried. It returns ENOTFOUND when the
// item is no longer pending, so that a delivered or dead-lettered item never
// comes back.
func (t *tx) PutOutboxItem(it bot.OutboxItem) error {
	if err := t.writable("put outbox item"); err != nil {
		return err
	}
	pending, err := t.OutboxItem(it.ID)
	if err != nil {
		return err
	}
	if err := validOutboxItem(it); err != nil {
		return err
	}
	if pending.FileID != 0 && pending.FileID != it.FileID {
		if err := t.DeleteFile(pending.FileID); err != nil {
			return err
		}
	}
	return t.put(bucketOutbox, itob(it.ID), it)
}

// CompleteOutbox removes a delivered item, and ends the coalescing of
// updates into it. Completing an item that is not pending does nothing, so
// that a completion that runs twice is harmless.
func (t *tx) CompleteOutbox(id uint64) error {
	if err := t.writable("complete outbox item"); err != nil {
		return err
	}
	it, err := t.OutboxItem(id)
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	return t.removePending(it)
}

// removePending deletes a pending item, its coalescing entry and the file
// it carried.
func (t *tx) removePending(it bot.OutboxItem) error {
	if err := t.del(bucketOutbox, itob(it.ID)); err != nil {
		return err
	}
	if it.FileID != 0 {
		if err := t.DeleteFile(it.FileID); err != nil {
			return err
		}
	}
	if it.Op != bot.OpUpdate {
		return nil
	}
	key := itob(it.CardID)
	if v := t.bucket(bucketOutboxUpdates).Get(key); v == nil || btoi(v) != it.ID {
		return nil
	}
	return t.del(bucketOutboxUpdates, key)
}

// DeadLetter moves a pending item to the dead letters, as given (so with
// its last attempts and error), with DeadAt set to the store's current time
// when zero. It returns ENOTFOUND when the item is not pending.
func (t *tx) DeadLetter(it bot.OutboxItem) error {
	if err := t.writable("dead-letter outbox item"); err != nil {
		return err
	}
	pending, err := t.OutboxItem(it.ID)
	if err != nil {
		return err
	}
	if err := t.removePending(pending); err != nil {
		return err
	}
	if it.DeadAt.IsZero() {
		it.DeadAt = t.now()
	}
	return t.put(bucketDeadLetters, itob(it.ID), it)
}

// DeadLetters returns every dead-lettered item, by id.
func (t *tx) DeadLetters() ([]bot.OutboxItem, error) {
	return loadAll[bot.OutboxItem](t, bucketDeadLetters)
}

// OutboxDepth returns the number of pending items. It counts keys with a
// cursor: bbolt's Bucket.Stats reads only committed pages, so it would miss
// the items of the current transaction.
func (t *tx) OutboxDepth() (int, error) {
	n := 0
	c := t.bucket(bucketOutbox).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		n++
	}
	return n, nil
}
