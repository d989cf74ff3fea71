package store

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
)

func TestOutboxQueue(t *testing.T) {
	db := MustOpen(t)
	send := bot.OutboxItem{Op: bot.OpSend, Target: bot.DM(alice), Text: "hello"}
	update(t, db, func(tx bot.Tx) error {
		for i := range 3 {
			id, err := tx.Enqueue(send)
			if err != nil || id != uint64(i+1) {
				t.Errorf("Enqueue #%d: id %d, %v", i+1, id, err)
			}
		}
		// The depth counts this transaction's items too.
		if n, _ := tx.OutboxDepth(); n != 3 {
			t.Errorf("OutboxDepth in the enqueuing transaction: %d, want 3", n)
		}
		return nil
	})
	view(t, db, func(tx bot.Tx) error {
		first, _ := tx.PendingOutbox(2)
		all, _ := tx.PendingOutbox(0)
		if !slices.Equal(itemIDs(first), []uint64{1, 2}) || !slices.Equal(itemIDs(all), []uint64{1, 2, 3}) {
			t.Errorf("PendingOutbox(2) = %v, PendingOutbox(0) = %v", itemIDs(first), itemIDs(all))
		}
		if !all[0].CreatedAt.Equal(t0) || all[0].Text != "hello" {
			t.Errorf("item 1: %+v; want the text and CreatedAt from the store's clock", all[0])
		}
		return nil
	})
	update(t, db, func(tx bot.Tx) error {
		it, _ := tx.OutboxItem(1)
		it.Attempts, it.LastError, it.NextAt = 1, "503", t0.Add(time.Minute)
		if err := tx.PutOutboxItem(it); err != nil {
			return err
		}
		return tx.CompleteOutbox(2)
	})
	view(t, db, func(tx bot.Tx) error {
		it, err := tx.OutboxItem(1)
		if err != nil || it.Attempts != 1 || it.LastError != "503" || !it.NextAt.Equal(t0.Add(time.Minute)) {
			t.Errorf("retried item: %+v, %v", it, err)
		}
		_, err = tx.OutboxItem(2)
		wantCode(t, err, bot.ENOTFOUND)
		pending, _ := tx.PendingOutbox(0)
		depth, _ := tx.OutboxDepth()
		if !slices.Equal(itemIDs(pending), []uint64{1, 3}) || depth != 2 {
			t.Errorf("after completing 2: pending %v, depth %d", itemIDs(pending), depth)
		}
		return nil
	})
}

func TestOutboxCoalescesCardUpdates(t *testing.T) {
	db := MustOpen(t)
	upd := func(card uint64) bot.OutboxItem { return bot.OutboxItem{Op: bot.OpUpdate, CardID: card} }
	steps := []struct {
		name string
		do   func(bot.Tx) (uint64, error)
		want uint64
	}{
		{"first update of card 7", enqueue(upd(7)), 1},
		{"second update of card 7 coalesces", enqueue(upd(7)), 1},
		{"send of card 7 does not", enqueue(bot.OutboxItem{Op: bot.OpSend, CardID: 7}), 2},
		{"update of card 8", enqueue(upd(8)), 3},
		{"update of card 8 coalesces", enqueue(upd(8)), 3},
		{"card 7's update delivered", complete(1), 0},
		{"card 7 updated again", enqueue(upd(7)), 4},
		{"card 8's update dead", deadLetter(3), 0},
		{"card 8 updated again", enqueue(upd(8)), 5},
		{"and coalesces into the new one", enqueue(upd(8)), 5},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			update(t, db, func(tx bot.Tx) error {
				id, err := s.do(tx)
				if err != nil || id != s.want {
					t.Errorf("got %d, %v; want %d", id, err, s.want)
				}
				return nil
			})
		})
	}
	view(t, db, func(tx bot.Tx) error {
		pending, _ := tx.PendingOutbox(0)
		if !slices.Equal(itemIDs(pending), []uint64{2, 4, 5}) {
			t.Errorf("pending %v, want [2 4 5]", itemIDs(pending))
		}
		return nil
	})
	update(t, db, func(tx bot.Tx) error {
		return errors.Join(tx.CompleteOutbox(4), tx.CompleteOutbox(5))
	})
	if keys := indexKeys(t, db, bucketOutboxUpdates); len(keys) != 0 {
		t.Errorf("coalescing index keeps %q after every update was delivered", keys)
	}
}

func enqueue(it bot.OutboxItem) func(bot.Tx) (uint64, error) {
	return func(tx bot.Tx) (uint64, error) { return tx.Enqueue(it) }
}

func complete(id uint64) func(bot.Tx) (uint64, error) {
	return func(tx bot.Tx) (uint64, error) { return 0, tx.CompleteOutbox(id) }
}

func deadLetter(id uint64) func(bot.Tx) (uint64, error) {
	return func(tx bot.Tx) (uint64, error) {
		it, err := tx.OutboxItem(id)
		if err != nil {
			return 0, err
		}
		return 0, tx.DeadLetter(it)
	}
}

func TestOutboxDeadLetters(t *testing.T) {
	db := MustOpen(t)
	update(t, db, func(tx bot.Tx) error {
		for _, text := range []string{"a", "b"} {
			if _, err := tx.Enqueue(bot.OutboxItem{Op: bot.OpSend, Target: bot.DM(bob), Text: text}); err != nil {
				return err
			}
		}
		it, _ := tx.OutboxItem(1)
		it.Attempts, it.LastError = 8, "permanent delivery error: 403"
		return tx.DeadLetter(it)
	})
	db = reopen(t, db)
	view(t, db, func(tx bot.Tx) error {
		dead, _ := tx.DeadLetters()
		if len(dead) != 1 || dead[0].ID != 1 || dead[0].Attempts != 8 || dead[0].LastError == "" || !dead[0].DeadAt.Equal(t0) || dead[0].Text != "a" {
			t.Errorf("DeadLetters: %+v; want item 1 with its attempts, error and DeadAt", dead)
		}
		pending, _ := tx.PendingOutbox(0)
		depth, _ := tx.OutboxDepth()
		if !slices.Equal(itemIDs(pending), []uint64{2}) || depth != 1 {
			t.Errorf("pending %v, depth %d; want [2], 1", itemIDs(pending), depth)
		}
		return nil
	})
	update(t, db, func(tx bot.Tx) error {
		gone := bot.OutboxItem{ID: 1, Op: bot.OpSend, Text: "a"}
		wantCode(t, tx.PutOutboxItem(gone), bot.ENOTFOUND)
		wantCode(t, tx.DeadLetter(gone), bot.ENOTFOUND)
		if err := tx.CompleteOutbox(1); err != nil {
			t.Errorf("CompleteOutbox of an item no longer pending: %v, want nil", err)
		}
		if id, _ := tx.Enqueue(bot.OutboxItem{Op: bot.OpSend, Text: "c"}); id != 3 {
			t.Errorf("next outbox id %d, want 3", id)
		}
		return nil
	})
}

func TestOutboxRefusesEmptyItems(t *testing.T) {
	db := MustOpen(t)
	for name, it := range map[string]bot.OutboxItem{
		"unknown op":          {Op: "delete", CardID: 1},
		"update with no card": {Op: bot.OpUpdate, Text: "x"},
		"send of nothing":     {Op: bot.OpSend, Target: bot.DM(alice)},
	} {
		t.Run(name, func(t *testing.T) {
			update(t, db, func(tx bot.Tx) error {
				_, err := tx.Enqueue(it)
				wantCode(t, err, bot.EINVALID)
				return nil
			})
		})
	}
}

func itemIDs(items []bot.OutboxItem) []uint64 {
	var ids []uint64
	for _, it := range items {
		ids = append(ids, it.ID)
	}
	return ids
}
