package store

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"go.etcd.io/bbolt"
)

// bigCard is a card record as the flows write them: long enough to be
// stored compressed.
func bigCard(id uint64, key string) bot.CardRecord {
	return bot.CardRecord{ID: id, Key: key, Target: bot.DM(alice), To: alice,
		Card: bot.Card{Kind: bot.CardCheckin, Title: "每日签到 · 11-02", Color: bot.ColorBlue,
			Text:    strings.Repeat("T1 模块 3 的第 1 项工作：进度 40%\n", 8),
			Actions: []bot.Action{{Name: "submit", Label: "提交", Value: strings.Repeat("eyJjIjo3LCJhIjoiZG9uZSJ9", 6)}}},
		CreatedAt: t0, UpdatedAt: t0}
}

// TestCompressedRecords: large card records and chat lines are stored
// compressed and read back whole; small ones, and every other bucket's
// records, stay JSON.
func TestCompressedRecords(t *testing.T) {
	db := MustOpen(t)
	small := bot.CardRecord{ID: 2, Key: "small", Target: bot.DM(alice), Card: bot.Card{Title: "hi", Actions: []bot.Action{}}, CreatedAt: t0}
	var chatID uint64
	update(t, db, func(tx bot.Tx) error {
		if err := tx.PutCard(bigCard(1, "big")); err != nil {
			return err
		}
		if err := tx.PutCard(small); err != nil {
			return err
		}
		c := bigCard(1, "").Card
		m, err := tx.AppendChat(bot.ChatMessage{Chat: "dm:" + string(alice), From: "bot", Card: &c, Time: t0})
		chatID = m.ID
		return err
	})
	raw := func(bucket string, id uint64) []byte {
		var out []byte
		err := db.bolt.View(func(btx *bbolt.Tx) error {
			out = bytes.Clone(btx.Bucket([]byte(bucket)).Get(itob(id)))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	bigJSON, _ := json.Marshal(bigCard(1, "big"))
	if v := raw(bucketCards, 1); len(v) == 0 || v[0] != valueDeflated || len(v) >= len(bigJSON) {
		t.Errorf("big card stored as %d bytes starting %q; want compressed, under its JSON's %d", len(v), v[:min(len(v), 1)], len(bigJSON))
	}
	if v := raw(bucketCards, 2); len(v) == 0 || v[0] != '{' {
		t.Errorf("small card stored as %q; want JSON", v)
	}
	if v := raw(bucketChat, chatID); len(v) == 0 || v[0] != valueDeflated {
		t.Errorf("chat line with a card stored as %q…; want compressed", v[:min(len(v), 8)])
	}
	view(t, db, func(tx bot.Tx) error {
		got, err := tx.Card(1)
		want := bigCard(1, "big")
		if err != nil || got.Card.Text != want.Card.Text || got.Card.Actions[0].Value != want.Card.Actions[0].Value || !got.CreatedAt.Equal(t0) {
			t.Errorf("big card read back as %+v, %v", got, err)
		}
		if recs, err := tx.CardsByKey("big"); err != nil || len(recs) != 1 {
			t.Errorf("CardsByKey(big): %+v, %v", recs, err)
		}
		return nil
	})
	m, err := db.ChatMessage(t.Context(), chatID)
	if err != nil || m.Card == nil || m.Card.Title != "每日签到 · 11-02" {
		t.Errorf("chat line read back as %+v, %v", m, err)
	}
}

// TestUncompressedRecordsStillRead: card records and chat lines written as
// plain JSON (by schema 4 and earlier) read, update and prune as before.
func TestUncompressedRecordsStillRead(t *testing.T) {
	db := MustOpen(t)
	old := bigCard(1, "old")
	old.UpdatedAt = t0.Add(-40 * 24 * time.Hour)
	old.CreatedAt = old.UpdatedAt
	oldJSON, _ := json.Marshal(old)
	c := old.Card
	chatJSON, _ := json.Marshal(bot.ChatMessage{ID: 1, Chat: "dm:x", From: "bot", Card: &c, Time: old.CreatedAt})
	err := db.bolt.Update(func(btx *bbolt.Tx) error {
		cards := btx.Bucket([]byte(bucketCards))
		if err := cards.SetSequence(1); err != nil {
			return err
		}
		if err := cards.Put(itob(1), oldJSON); err != nil {
			return err
		}
		if err := btx.Bucket([]byte(bucketCardsByKey)).Put(strKey("old", 1), nil); err != nil {
			return err
		}
		chat := btx.Bucket([]byte(bucketChat))
		if err := chat.SetSequence(1); err != nil {
			return err
		}
		if err := chat.Put(itob(1), chatJSON); err != nil {
			return err
		}
		return btx.Bucket([]byte(bucketChatByChat)).Put(chatKey("dm:x", 1), nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	view(t, db, func(tx bot.Tx) error {
		got, err := tx.Card(1)
		if err != nil || got.Card.Text != old.Card.Text {
			t.Errorf("old card: %+v, %v", got, err)
		}
		return nil
	})
	if ms, err := db.ChatMessages(t.Context(), "dm:x"); err != nil || len(ms) != 1 || ms[0].Card == nil || ms[0].Card.Text != old.Card.Text {
		t.Errorf("old chat line: %+v, %v", ms, err)
	}
	update(t, db, func(tx bot.Tx) error {
		n, _, err := tx.PruneCards(t0.Add(-7*24*time.Hour), t0.Add(-31*24*time.Hour), 10)
		if n != 1 || err != nil {
			t.Errorf("pruning the old card: %d, %v", n, err)
		}
		m, _, err := tx.PruneChat(t0, 10)
		if m != 1 || err != nil {
			t.Errorf("pruning the old chat line: %d, %v", m, err)
		}
		return nil
	})
}

// FuzzDecodeValue: a damaged record is an error, never a panic.
func FuzzDecodeValue(f *testing.F) {
	good, _ := encodeValue(bucketCards, bigCard(1, "k"))
	f.Add(good)
	f.Add([]byte(`{"id":1}`))
	f.Add([]byte{valueDeflated})
	f.Add([]byte{valueDeflated, 0xff, 0x00})
	f.Add(good[:len(good)/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		var rec bot.CardRecord
		_ = decodeValue(data, &rec)
	})
}
