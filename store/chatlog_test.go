package store

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"go.etcd.io/bbolt"
)

func TestChatLog(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	appendChat := func(m bot.ChatMessage) bot.ChatMessage {
		t.Helper()
		got, err := db.AppendChat(ctx, m)
		if err != nil {
			t.Fatalf("AppendChat: %v", err)
		}
		return got
	}
	first := appendChat(bot.ChatMessage{Chat: "dm:alice", From: "alice", Text: "/tasks"})
	card := &bot.Card{Kind: bot.CardNotice, Title: "Your tasks"}
	reply := appendChat(bot.ChatMessage{Chat: "dm:alice", From: "bot", Card: card, IdemKey: "loopbot-1"})
	appendChat(bot.ChatMessage{Chat: "dm:alice2", From: "bot", Text: "other chat"})
	// The outbox delivers item 1 again after a crash: it shows once.
	again := appendChat(bot.ChatMessage{Chat: "dm:alice", From: "bot", Text: "re-delivered", IdemKey: "loopbot-1"})

	if first.ID != 1 || !first.Time.Equal(t0) || reply.ID != 2 || again.ID != 2 || again.Card == nil {
		t.Errorf("ids and times: first %+v, reply %+v, again %+v", first, reply, again)
	}
	msgs, err := db.ChatMessages(ctx, "dm:alice")
	if err != nil || len(msgs) != 2 || msgs[0].Text != "/tasks" || msgs[1].ID != 2 {
		t.Errorf("ChatMessages: %+v, %v; want /tasks then the card", msgs, err)
	}
	if msgs, _ := db.ChatMessages(ctx, "dm:nobody"); len(msgs) != 0 {
		t.Errorf("ChatMessages of an empty chat: %+v", msgs)
	}

	done := bot.Card{Kind: bot.CardNotice, Title: "Done", Color: bot.ColorGrey}
	if err := db.UpdateChatCard(ctx, 2, done); err != nil {
		t.Fatal(err)
	}
	m, err := db.ChatMessage(ctx, 2)
	if err != nil || m.Card == nil || m.Card.Title != "Done" {
		t.Errorf("ChatMessage after UpdateChatCard: %+v, %v", m, err)
	}
	wantCode(t, db.UpdateChatCard(ctx, 9, done), bot.ENOTFOUND)
	_, err = db.ChatMessage(ctx, 9)
	wantCode(t, err, bot.ENOTFOUND)
}

// storedLine returns chat line id as the file holds it.
func storedLine(tb testing.TB, db *DB, id uint64) (bot.ChatMessage, int) {
	tb.Helper()
	var m bot.ChatMessage
	var n int
	err := db.bolt.View(func(btx *bbolt.Tx) error {
		v := btx.Bucket([]byte(bucketChat)).Get(itob(id))
		n = len(v)
		return decodeValue(v, &m)
	})
	if err != nil {
		tb.Fatal(err)
	}
	return m, n
}

// TestChatCardsShareTheirRecord: a chat line that shows a card record's
// card is stored without it, and shows, at every step, the card as it was
// last delivered to the chat: when the record's card changes before its
// update is delivered, when the update is delivered, and once the record
// is pruned.
func TestChatCardsShareTheirRecord(t *testing.T) {
	db := MustOpen(t)
	ctx := t.Context()
	open := bigCard(1, "checkin/alice")
	update(t, db, func(tx bot.Tx) error { return tx.PutCard(open) })
	line, err := db.AppendChat(ctx, bot.ChatMessage{Chat: "dm:alice", From: "bot", Card: &open.Card, CardID: 1, IdemKey: "loopbot-1"})
	if err != nil {
		t.Fatal(err)
	}
	shows := func(step string, want bot.Card) {
		t.Helper()
		m, err := db.ChatMessage(ctx, line.ID)
		if err != nil || m.Card == nil || !reflect.DeepEqual(*m.Card, want) {
			t.Errorf("%s: the line shows %+v, %v; want %+v", step, m.Card, err, want)
		}
		ms, err := db.ChatMessages(ctx, "dm:alice")
		if err != nil || len(ms) != 1 || ms[0].Card == nil || !reflect.DeepEqual(*ms[0].Card, want) {
			t.Errorf("%s: the chat shows %+v, %v; want the card %+v", step, ms, err, want)
		}
	}
	// How the line is stored: "shared" (no card, named under its
	// record), "kept" (no card, its record's bytes of the time kept for
	// it) or "own" (its card in it).
	stored := func(step, want string, kept []byte) {
		t.Helper()
		m, n := storedLine(t, db, line.ID)
		indexed := slices.Contains(indexKeys(t, db, bucketChatByCard), string(chatCardKey(m.CardID, line.ID)))
		k := keptFor(t, db, line.ID)
		got := "own"
		switch {
		case m.Card == nil && indexed && k == nil:
			got = "shared"
		case m.Card == nil && !indexed && k != nil:
			got = "kept"
		case m.Card == nil || indexed || k != nil:
			got = fmt.Sprintf("inconsistent (card %v, indexed %v, kept %d bytes)", m.Card != nil, indexed, len(k))
		}
		if got != want {
			t.Errorf("%s: the line (%d bytes) is stored %s, want %s", step, n, got, want)
		}
		if want == "kept" && !bytes.Equal(k, kept) {
			t.Errorf("%s: kept %d bytes, want the record's %d as they were", step, len(k), len(kept))
		}
	}
	shows("delivered", open.Card)
	stored("delivered", "shared", nil)
	openBytes := rawRecord(t, db, bucketCards, 1)

	// The card is answered: the record changes, and its update waits in
	// the outbox. The chat still shows the card as delivered.
	done := open
	done.Card.Text, done.Card.Color, done.Card.Actions = "**已提交**", bot.ColorGreen, []bot.Action{}
	update(t, db, func(tx bot.Tx) error { return tx.PutCard(done) })
	shows("answered, not delivered", open.Card)
	stored("answered, not delivered", "kept", openBytes)

	if err := db.UpdateChatCard(ctx, line.ID, done.Card); err != nil {
		t.Fatal(err)
	}
	shows("update delivered", done.Card)
	stored("update delivered", "shared", nil)

	// A change of the record that leaves its card alone (its message id,
	// a merge of its person) leaves the line shared.
	update(t, db, func(tx bot.Tx) error {
		rec := done
		rec.MessageRef = "1"
		return tx.PutCard(rec)
	})
	stored("record changed, card not", "shared", nil)
	doneBytes := rawRecord(t, db, bucketCards, 1)

	update(t, db, func(tx bot.Tx) error {
		n, _, err := tx.PruneCards(t0.Add(time.Hour), t0.Add(-time.Hour), 10, nil)
		if n != 1 {
			t.Errorf("pruned %d cards, %v; want the finished one", n, err)
		}
		return err
	})
	shows("record pruned", done.Card)
	stored("record pruned", "kept", doneBytes)

	// A card delivered as other than its record's current card (the
	// record changed between the outbox's read and the delivery) is kept
	// as delivered.
	update(t, db, func(tx bot.Tx) error { return tx.PutCard(bigCard(2, "checkin/bob")) })
	stale := bigCard(2, "").Card
	stale.Title = "an older title"
	other, err := db.AppendChat(ctx, bot.ChatMessage{Chat: "dm:bob", From: "bot", Card: &stale, CardID: 2})
	if err != nil {
		t.Fatal(err)
	}
	if m, err := db.ChatMessage(ctx, other.ID); err != nil || m.Card == nil || m.Card.Title != "an older title" {
		t.Errorf("a card delivered as other than its record's shows %+v, %v", m.Card, err)
	}

	if err := db.UpdateChatCard(ctx, other.ID, bigCard(2, "").Card); err != nil {
		t.Fatal(err)
	}
	if keys := indexKeys(t, db, bucketChatByCard); len(keys) != 1 {
		t.Errorf("with bob's card delivered as its record's, chat_by_card holds %q", keys)
	}
	update(t, db, func(tx bot.Tx) error {
		_, _, err := tx.PruneChat(t0.Add(time.Hour), 10)
		return err
	})
	if keys := indexKeys(t, db, bucketChatByCard); len(keys) != 0 {
		t.Errorf("after the chat was pruned, chat_by_card holds %q", keys)
	}
	if keys := indexKeys(t, db, bucketChatKept); len(keys) != 0 {
		t.Errorf("after the chat was pruned, chat_kept holds %q", keys)
	}
}

// keptFor returns what bucketChatKept holds for chat line id, or nil.
func keptFor(tb testing.TB, db *DB, id uint64) []byte {
	return rawRecord(tb, db, bucketChatKept, id)
}

// rawRecord returns the stored bytes of key id of bucket, or nil.
func rawRecord(tb testing.TB, db *DB, bucket string, id uint64) []byte {
	tb.Helper()
	var v []byte
	if err := db.bolt.View(func(btx *bbolt.Tx) error {
		v = bytes.Clone(btx.Bucket([]byte(bucket)).Get(itob(id)))
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	return v
}

// TestMigrateToVersion6: a file of schema 5 gets the index of the chat
// lines that share their card record's card; the lines it had keep their
// cards, and the cards delivered after the upgrade are shared.
func TestMigrateToVersion6(t *testing.T) {
	db := MustOpen(t)
	ctx := t.Context()
	rec := bigCard(1, "checkin/alice")
	update(t, db, func(tx bot.Tx) error { return tx.PutCard(rec) })
	// As schema 5 wrote it: the card, and no record id.
	before, err := db.AppendChat(ctx, bot.ChatMessage{Chat: "dm:alice", From: "bot", Card: &rec.Card, IdemKey: "loopbot-1"})
	if err != nil {
		t.Fatal(err)
	}
	db = mustOpenAt(t, downgrade(t, db, 5, bucketChatByCard))
	if version, buckets := migratedState(t, db.bolt); version != len(migrations()) || !slices.Contains(buckets, bucketChatByCard) {
		t.Fatalf("after the upgrade: version %d, buckets %v", version, buckets)
	}
	if m, err := db.ChatMessage(ctx, before.ID); err != nil || m.Card == nil || m.Card.Text != rec.Card.Text {
		t.Errorf("the line of schema 5 reads as %+v, %v", m, err)
	}
	changed := rec.Card
	changed.Color = bot.ColorGreen
	if err := db.UpdateChatCard(ctx, before.ID, changed); err != nil {
		t.Fatal(err)
	}
	if m, err := db.ChatMessage(ctx, before.ID); err != nil || m.Card == nil || m.Card.Color != bot.ColorGreen {
		t.Errorf("the line of schema 5, updated, reads as %+v, %v", m, err)
	}
	after, err := db.AppendChat(ctx, bot.ChatMessage{Chat: "dm:alice", From: "bot", Card: &rec.Card, CardID: 1, IdemKey: "loopbot-2"})
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := storedLine(t, db, after.ID); m.Card != nil {
		t.Errorf("a card delivered after the upgrade is stored whole, want shared with its record")
	}
	if m, err := db.ChatMessage(ctx, after.ID); err != nil || m.Card == nil || !reflect.DeepEqual(*m.Card, rec.Card) {
		t.Errorf("a line after the upgrade reads as %+v, %v", m, err)
	}
}

// downgrade closes db and makes its file look as schema version left it:
// without the given buckets, and the version set back. It returns the
// file's path.
func downgrade(t *testing.T, db *DB, version int, buckets ...string) string {
	t.Helper()
	return closeAndUpdate(t, db, func(btx *bbolt.Tx) error {
		for _, name := range buckets {
			if err := btx.DeleteBucket([]byte(name)); err != nil {
				return err
			}
		}
		return setSchemaVersion(btx, version)
	})
}

// closeAndUpdate closes db, changes its file with fn in one raw bbolt
// transaction, as an older or newer loopbot would have left it, and returns
// its path.
func closeAndUpdate(t *testing.T, db *DB, fn func(btx *bbolt.Tx) error) string {
	t.Helper()
	path := db.Path()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = raw.Update(fn)
	raw.Close()
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// TestMigrateToVersion9: a file of schema 8 gets the bucket of kept
// cards. A line that holds an earlier card itself (as schema 8 kept it)
// reads as before, and a line that shares its record's card gets the
// record's bytes when the card changes after the upgrade.
func TestMigrateToVersion9(t *testing.T) {
	db := MustOpen(t)
	ctx := t.Context()
	update(t, db, func(tx bot.Tx) error { return tx.PutCard(bigCard(1, "checkin/alice")) })
	update(t, db, func(tx bot.Tx) error { return tx.PutCard(bigCard(2, "checkin/bob")) })
	earlier := bigCard(1, "").Card
	earlier.Title = "as delivered"
	own, err := db.AppendChat(ctx, bot.ChatMessage{Chat: "dm:alice", From: "bot", Card: &earlier, CardID: 1})
	if err != nil {
		t.Fatal(err)
	}
	bob := bigCard(2, "checkin/bob")
	shared, err := db.AppendChat(ctx, bot.ChatMessage{Chat: "dm:bob", From: "bot", Card: &bob.Card, CardID: 2})
	if err != nil {
		t.Fatal(err)
	}
	db = mustOpenAt(t, downgrade(t, db, 8, bucketChatKept))
	if version, buckets := migratedState(t, db.bolt); version != len(migrations()) || !slices.Contains(buckets, bucketChatKept) {
		t.Fatalf("after the upgrade: version %d, buckets %v", version, buckets)
	}
	if m, err := db.ChatMessage(ctx, own.ID); err != nil || m.Card == nil || m.Card.Title != "as delivered" {
		t.Errorf("a line of schema 8 that holds its card reads as %+v, %v", m.Card, err)
	}
	before := rawRecord(t, db, bucketCards, 2)
	changed := bob
	changed.Card.Color = bot.ColorGreen
	update(t, db, func(tx bot.Tx) error { return tx.PutCard(changed) })
	if k := keptFor(t, db, shared.ID); !bytes.Equal(k, before) {
		t.Errorf("bob's line kept %d bytes, want the record's %d of before the change", len(k), len(before))
	}
	if m, err := db.ChatMessage(ctx, shared.ID); err != nil || m.Card == nil || !reflect.DeepEqual(*m.Card, bob.Card) {
		t.Errorf("bob's line reads as %+v, %v; want the card as delivered", m.Card, err)
	}
}

// TestKeepSkipsMissingLines: an index entry that names a chat line which
// is gone (an index left inconsistent) gets no kept copy when its record's
// card changes, which nothing would ever remove, and goes.
func TestKeepSkipsMissingLines(t *testing.T) {
	db := MustOpen(t)
	rec := bigCard(1, "checkin/alice")
	update(t, db, func(tx bot.Tx) error { return tx.PutCard(rec) })
	if err := db.bolt.Update(func(btx *bbolt.Tx) error {
		return btx.Bucket([]byte(bucketChatByCard)).Put(chatCardKey(1, 99), nil)
	}); err != nil {
		t.Fatal(err)
	}
	changed := rec
	changed.Card.Color = bot.ColorGreen
	update(t, db, func(tx bot.Tx) error { return tx.PutCard(changed) })
	if keys := indexKeys(t, db, bucketChatKept); len(keys) != 0 {
		t.Errorf("chat_kept holds %q for a line that does not exist", keys)
	}
	if keys := indexKeys(t, db, bucketChatByCard); len(keys) != 0 {
		t.Errorf("chat_by_card still holds %q", keys)
	}
}
