package store

import (
	"bytes"
	"testing"

	"github.com/loopbot/loopbot/bot"
)

// TestFiles keeps a file and its bytes, and drops both when the outbox item
// that carries the file completes, is dead-lettered, or falls back to its
// link.
func TestFiles(t *testing.T) {
	db := MustOpen(t)
	var ids []uint64
	update(t, db, func(tx bot.Tx) error {
		if _, err := tx.PutFile(bot.File{}); bot.ErrorCode(err) != bot.EINVALID {
			t.Errorf("PutFile without a name: %v, want EINVALID", err)
		}
		if _, err := tx.Enqueue(bot.OutboxItem{Op: bot.OpSend, Target: bot.DM(alice), FileID: 99}); bot.ErrorCode(err) != bot.EINVALID {
			t.Errorf("Enqueue of an unknown file: %v, want EINVALID", err)
		}
		for range 3 {
			id, err := tx.PutFile(bot.File{Name: "loopbot-P1-2026-12-01.xlsx", Format: "xlsx", Project: 1})
			if err != nil {
				return err
			}
			if _, err := tx.Enqueue(bot.OutboxItem{Op: bot.OpSend, Target: bot.DM(alice), FileID: id, Text: "link"}); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		if _, err := tx.Enqueue(bot.OutboxItem{Op: bot.OpUpdate, Target: bot.DM(alice), FileID: ids[0], CardID: 3}); bot.ErrorCode(err) != bot.EINVALID {
			t.Errorf("Enqueue of a file as a card update: %v, want EINVALID", err)
		}
		return nil
	})
	data := bytes.Repeat([]byte{0, 1, 2, 0xff}, 1<<18) // 1 MiB, not text
	update(t, db, func(tx bot.Tx) error {
		if d, err := tx.FileData(ids[0]); d != nil || err != nil {
			t.Errorf("FileData before it is made: %d bytes, %v; want nil", len(d), err)
		}
		if err := tx.PutFileData(77, data); bot.ErrorCode(err) != bot.ENOTFOUND {
			t.Errorf("PutFileData of an unknown file: %v, want ENOTFOUND", err)
		}
		return tx.PutFileData(ids[0], data)
	})
	view(t, db, func(tx bot.Tx) error {
		f, err := tx.File(ids[0])
		d, derr := tx.FileData(ids[0])
		if err != nil || derr != nil || f.Name != "loopbot-P1-2026-12-01.xlsx" || f.CreatedAt.IsZero() || !bytes.Equal(d, data) {
			t.Errorf("File = %+v, %v; data %d bytes, %v", f, err, len(d), derr)
		}
		return nil
	})
	update(t, db, func(tx bot.Tx) error {
		pending, _ := tx.PendingOutbox(0)
		if err := tx.CompleteOutbox(pending[0].ID); err != nil {
			return err
		}
		if err := tx.DeadLetter(pending[1]); err != nil {
			return err
		}
		it := pending[2]
		it.FileID = 0
		return tx.PutOutboxItem(it)
	})
	view(t, db, func(tx bot.Tx) error {
		for _, id := range ids {
			if _, err := tx.File(id); bot.ErrorCode(err) != bot.ENOTFOUND {
				t.Errorf("file %d after its item left: %v, want ENOTFOUND", id, err)
			}
			if _, err := tx.FileData(id); bot.ErrorCode(err) != bot.ENOTFOUND {
				t.Errorf("file data %d after its item left: %v, want ENOTFOUND", id, err)
			}
		}
		pending, _ := tx.PendingOutbox(0)
		if len(pending) != 1 || pending[0].Text != "link" || pending[0].FileID != 0 {
			t.Errorf("pending %+v, want the link alone", pending)
		}
		return nil
	})
}
