package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"go.etcd.io/bbolt"

	"github.com/loopbot/loopbot/bot"
)

// TestPruneCards: a finished card goes once it has not changed for the
// finished window; a card with buttons stays until the open window, so that
// it can still be clicked and updated; the key index follows; the limit
// bounds one call and "more" says there is more.
func TestPruneCards(t *testing.T) {
	db := MustOpen(t)
	day := 24 * time.Hour
	buttons := []bot.Action{{Name: "accept", Label: "Accept"}}
	type c struct {
		key     string
		age     time.Duration // since its last change
		actions []bot.Action
	}
	// In creation order, as ids are handed out.
	cards := []c{
		{"done/updated", 1 * day, nil},      // created 50 days ago, changed recently: kept
		{"open/ancient", 40 * day, buttons}, // open, past 31d: gone
		{"done/ancient", 40 * day, nil},     // gone
		{"done/old", 10 * day, nil},         // finished, past 7d: gone
		{"open/old", 10 * day, buttons},     // open, within 31d: kept
		{"done/new", 2 * day, nil},          // finished, within 7d: kept
		{"open/new", time.Hour, buttons},    // kept
	}
	update(t, db, func(tx bot.Tx) error {
		for _, x := range cards {
			id, err := tx.NextCardID()
			if err != nil {
				return err
			}
			created := t0.Add(-x.age)
			if x.key == "done/updated" {
				created = t0.Add(-50 * day)
			}
			if err := tx.PutCard(bot.CardRecord{ID: id, Key: x.key, Target: bot.DM(alice),
				Card:      bot.Card{Kind: bot.CardTaskAssigned, Title: x.key, Actions: x.actions},
				CreatedAt: created, UpdatedAt: t0.Add(-x.age)}); err != nil {
				return err
			}
		}
		return nil
	})
	finished, open := t0.Add(-7*day), t0.Add(-31*day)
	var total int
	var told []string // what gone got
	for {
		var n int
		var more bool
		update(t, db, func(tx bot.Tx) (err error) {
			n, more, err = tx.PruneCards(finished, open, 1, func(rec bot.CardRecord) error {
				if ok, err := tx.HasCard(rec.ID); err != nil || !ok {
					t.Errorf("gone got card %d (%s) after it was removed", rec.ID, rec.Key)
				}
				told = append(told, rec.Key)
				return nil
			})
			return err
		})
		if n > 1 {
			t.Fatalf("one call removed %d cards past its limit of 1", n)
		}
		total += n
		if !more {
			break
		}
	}
	if total != 3 {
		t.Errorf("removed %d cards, want 3", total)
	}
	// The oldest change first (of two at once, the older card).
	if want := []string{"open/ancient", "done/ancient", "done/old"}; !slices.Equal(told, want) {
		t.Errorf("gone got %q; want %q", told, want)
	}
	view(t, db, func(tx bot.Tx) error {
		for _, x := range cards {
			recs, err := tx.CardsByKey(x.key)
			if err != nil {
				return err
			}
			gone := x.key == "done/old" || x.key == "open/ancient" || x.key == "done/ancient"
			if (len(recs) == 0) != gone {
				t.Errorf("%s: %d records; want gone = %v", x.key, len(recs), gone)
			}
		}
		return nil
	})
	// A kept open card can still be updated.
	update(t, db, func(tx bot.Tx) error {
		recs, err := tx.CardsByKey("open/old")
		if err != nil {
			return err
		}
		recs[0].Card.Actions = nil
		return tx.PutCard(recs[0])
	})
}

// TestPruneCardsKeepsFinalState: a pruned card's final state stays in the
// audit log (under no task or project, so that it stays out of a task's
// history and a project's reports): the state line of a finished card
// (its first line), or the buttons of one that expired open; a long state
// is cut short at a rune boundary; a card that is kept writes nothing.
func TestPruneCardsKeepsFinalState(t *testing.T) {
	db := MustOpen(t)
	day := 24 * time.Hour
	long := strings.Repeat("很长的理由", 40)
	recs := []bot.CardRecord{
		{Key: "assign/T7", Card: bot.Card{Kind: bot.CardTaskAssigned, Title: "T7 Write spec", Color: bot.ColorGreen,
			Text: "**Accepted · Bob · 11-02 10:00**\n\nDue 11-09", Actions: []bot.Action{}, Refs: map[string]string{"task": "T7", "project": "P2"}},
			CreatedAt: t0.Add(-12 * day), UpdatedAt: t0.Add(-10 * day)},
		{Key: "esc/E3", Card: bot.Card{Kind: bot.CardEscalation, Title: "Stale · T8", Color: bot.ColorBlue,
			Actions: []bot.Action{{Name: "ack"}, {Name: "snooze"}}, Refs: map[string]string{"task": "T8", "project": "P2", "escalation": "E3"}},
			CreatedAt: t0.Add(-40 * day)},
		{Key: "checkin/x", Card: bot.Card{Title: "Check-in", Text: "**Declined · Bob · 11-02 10:00 " + long + "**\nmore", Actions: []bot.Action{}},
			CreatedAt: t0.Add(-9 * day), UpdatedAt: t0.Add(-9 * day)},
		{Key: "kept", Card: bot.Card{Title: "Kept", Actions: []bot.Action{}}, CreatedAt: t0, UpdatedAt: t0},
	}
	update(t, db, func(tx bot.Tx) error {
		for _, rec := range recs {
			id, err := tx.NextCardID()
			if err != nil {
				return err
			}
			rec.ID, rec.Target = id, bot.DM(alice)
			if err := tx.PutCard(rec); err != nil {
				return err
			}
		}
		return nil
	})
	update(t, db, func(tx bot.Tx) error {
		n, more, err := tx.PruneCards(t0.Add(-7*day), t0.Add(-31*day), 10, nil)
		if n != 3 || more || err != nil {
			t.Errorf("PruneCards: %d, %v, %v; want 3 removed", n, more, err)
		}
		return err
	})
	view(t, db, func(tx bot.Tx) error {
		events, err := tx.Audit(time.Time{}, t0.Add(day))
		if err != nil {
			return err
		}
		if len(events) != 3 {
			t.Fatalf("audit after pruning 3 cards: %+v", events)
		}
		want := []bot.AuditEvent{ // the oldest change first
			{Time: t0.Add(-40 * day), Kind: AuditCardFinal, Old: "esc/E3", New: bot.ColorBlue,
				Note: "Stale · T8\nexpired, open: ack, snooze"},
			{Time: t0.Add(-10 * day), Kind: AuditCardFinal, Old: "assign/T7", New: bot.ColorGreen,
				Note: "T7 Write spec\n**Accepted · Bob · 11-02 10:00**"},
		}
		for i, w := range want {
			e := events[i]
			e.ID = 0
			if !e.Time.Equal(w.Time) {
				t.Errorf("event %d at %v, want %v", i, e.Time, w.Time)
			}
			e.Time = w.Time
			if e != w {
				t.Errorf("event %d:\n got %+v\nwant %+v", i, e, w)
			}
		}
		if n := events[2].Note; len(n) > 240+len("…") || !utf8.ValidString(n) || !strings.HasPrefix(n, "Check-in\n**Declined") || !strings.HasSuffix(n, "…") {
			t.Errorf("long state kept as %q (%d bytes)", n, len(n))
		}
		if hist, _ := tx.TaskHistory(7); len(hist) != 0 {
			t.Errorf("T7's history: %+v", hist)
		}
		if evs, _ := tx.ProjectAudit(2, time.Time{}, t0); len(evs) != 0 {
			t.Errorf("P2's audit: %+v", evs)
		}
		return nil
	})
}

// TestPruneChat: chat lines older than the window leave the chat, with
// their idempotency keys; newer ones stay.
func TestPruneChat(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	for i, age := range []time.Duration{20 * 24 * time.Hour, 15 * 24 * time.Hour, time.Hour} {
		_, err := db.AppendChat(ctx, bot.ChatMessage{Chat: "dm:bob", From: "bot", Time: t0.Add(-age),
			Text: "line", IdemKey: "k" + string(rune('a'+i))})
		if err != nil {
			t.Fatal(err)
		}
	}
	var n int
	update(t, db, func(tx bot.Tx) (err error) {
		n, _, err = tx.PruneChat(t0.Add(-14*24*time.Hour), 100)
		return err
	})
	msgs, err := db.ChatMessages(ctx, "dm:bob")
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 || len(msgs) != 1 || !msgs[0].Time.Equal(t0.Add(-time.Hour)) {
		t.Errorf("pruned %d, left %+v; want the newest line alone", n, msgs)
	}
	if keys := indexKeys(t, db, bucketChatIdem); len(keys) != 1 {
		t.Errorf("idempotency keys left: %q, want one", keys)
	}
}

// TestPruneDeadLetters: dead letters older than the window go.
func TestPruneDeadLetters(t *testing.T) {
	db := MustOpen(t)
	for _, age := range []time.Duration{40 * 24 * time.Hour, time.Hour} {
		update(t, db, func(tx bot.Tx) error {
			id, err := tx.Enqueue(bot.OutboxItem{Op: bot.OpSend, Target: bot.DM(alice), Text: "x"})
			if err != nil {
				return err
			}
			it, err := tx.OutboxItem(id)
			if err != nil {
				return err
			}
			it.DeadAt = t0.Add(-age)
			return tx.DeadLetter(it)
		})
	}
	var n int
	update(t, db, func(tx bot.Tx) (err error) {
		n, _, err = tx.PruneDeadLetters(t0.Add(-31*24*time.Hour), 10)
		return err
	})
	view(t, db, func(tx bot.Tx) error {
		dead, err := tx.DeadLetters()
		if n != 1 || len(dead) != 1 || err != nil {
			t.Errorf("pruned %d, left %d (%v); want the old one gone", n, len(dead), err)
		}
		return nil
	})
}

// TestMigrateToVersion7: a file of schema 6 gets the index of card records
// by last change from the cards it has, so that retention finds them.
func TestMigrateToVersion7(t *testing.T) {
	db := MustOpen(t)
	day := 24 * time.Hour
	update(t, db, func(tx bot.Tx) error {
		for id, age := range map[uint64]time.Duration{1: 10 * day, 2: day} {
			rec := bot.CardRecord{ID: id, Key: fmt.Sprintf("k%d", id), Target: bot.DM(alice), Card: bot.Card{Title: "done"},
				CreatedAt: t0.Add(-age), UpdatedAt: t0.Add(-age)}
			if err := tx.PutCard(rec); err != nil {
				return err
			}
		}
		return nil
	})
	db = mustOpenAt(t, downgrade(t, db, 6, bucketCardsByUpdate))
	if version, buckets := migratedState(t, db.bolt); version != len(migrations()) || !slices.Contains(buckets, bucketCardsByUpdate) {
		t.Fatalf("after the upgrade: version %d, buckets %v", version, buckets)
	}
	update(t, db, func(tx bot.Tx) error {
		n, more, err := tx.PruneCards(t0.Add(-7*day), t0.Add(-31*day), 10, nil)
		if n != 1 || more || err != nil {
			t.Errorf("PruneCards after the upgrade: %d, %v, %v; want the card of 10 days ago", n, more, err)
		}
		return err
	})
	view(t, db, func(tx bot.Tx) error {
		if ok, _ := tx.HasCard(1); ok {
			t.Error("the card of 10 days ago is kept")
		}
		if ok, _ := tx.HasCard(2); !ok {
			t.Error("the card of yesterday is gone")
		}
		return nil
	})
}

// TestMigrateToVersion8: the update index of a file of schema 7, keyed
// <time><card id><finished>, is keyed <finished><time><card id> after the
// upgrade, one entry a card, and retention prunes by it.
func TestMigrateToVersion8(t *testing.T) {
	db := MustOpen(t)
	day := 24 * time.Hour
	var recs []bot.CardRecord
	update(t, db, func(tx bot.Tx) error {
		for id, x := range []struct {
			age     time.Duration
			actions []bot.Action
		}{{10 * day, nil}, {day, nil}, {40 * day, []bot.Action{{Name: "ack"}}}, {10 * day, []bot.Action{{Name: "ack"}}}} {
			rec := bot.CardRecord{ID: uint64(id + 1), Key: fmt.Sprintf("k%d", id+1), Target: bot.DM(alice),
				Card: bot.Card{Title: "t", Actions: x.actions}, CreatedAt: t0.Add(-x.age), UpdatedAt: t0.Add(-x.age)}
			recs = append(recs, rec)
			if err := tx.PutCard(rec); err != nil {
				return err
			}
		}
		return nil
	})
	// The index as version 7 kept it.
	path := closeAndUpdate(t, db, func(btx *bbolt.Tx) error {
		if err := btx.DeleteBucket([]byte(bucketCardsByUpdate)); err != nil {
			return err
		}
		idx, err := btx.CreateBucket([]byte(bucketCardsByUpdate))
		if err != nil {
			return err
		}
		for _, rec := range recs {
			if err := idx.Put(cardUpdateKeyV7(rec), nil); err != nil {
				return err
			}
		}
		return setSchemaVersion(btx, 7)
	})
	db = mustOpenAt(t, path)
	var want []string
	for _, rec := range recs {
		want = append(want, string(cardUpdateKey(rec)))
	}
	slices.Sort(want)
	if got := indexKeys(t, db, bucketCardsByUpdate); !slices.Equal(got, want) {
		t.Errorf("update index after the upgrade %q; want %q", got, want)
	}
	update(t, db, func(tx bot.Tx) error {
		n, more, err := tx.PruneCards(t0.Add(-7*day), t0.Add(-31*day), 10, nil)
		if n != 2 || more || err != nil {
			t.Errorf("PruneCards after the upgrade: %d, %v, %v; want the finished card of 10 days ago and the open one of 40", n, more, err)
		}
		return err
	})
	view(t, db, func(tx bot.Tx) error {
		for id, kept := range map[uint64]bool{1: false, 2: true, 3: false, 4: true} {
			if ok, _ := tx.HasCard(id); ok != kept {
				t.Errorf("card %d kept = %v; want %v", id, ok, kept)
			}
		}
		return nil
	})
}

// TestPruneCardsStopsWhenGoneHasEnough: gone returning bot.ErrPruneEnough
// stops PruneCards before that card, which stays with its index entry and
// goes at the next call.
func TestPruneCardsStopsWhenGoneHasEnough(t *testing.T) {
	db := MustOpen(t)
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	update(t, db, func(tx bot.Tx) error {
		for id := uint64(1); id <= 3; id++ {
			at := t0.Add(time.Duration(id) * time.Minute)
			if err := tx.PutCard(bot.CardRecord{ID: id, Target: bot.DM("feishu:ou_1"), CreatedAt: at, UpdatedAt: at, Card: bot.Card{Title: "x"}}); err != nil {
				return err
			}
		}
		return nil
	})
	cut := t0.Add(time.Hour)
	var seen []uint64
	update(t, db, func(tx bot.Tx) error {
		n, more, err := tx.PruneCards(cut, cut, 10, func(rec bot.CardRecord) error {
			seen = append(seen, rec.ID)
			if len(seen) == 2 {
				return bot.ErrPruneEnough
			}
			return nil
		})
		if err != nil || n != 1 || !more {
			t.Errorf("PruneCards stopped at the second card: %d, %v, %v; want 1, more, no error", n, more, err)
		}
		return nil
	})
	update(t, db, func(tx bot.Tx) error {
		if _, err := tx.Card(1); bot.ErrorCode(err) != bot.ENOTFOUND {
			t.Errorf("card 1: %v, want pruned", err)
		}
		if _, err := tx.Card(2); err != nil {
			t.Errorf("card 2, where gone had enough: %v, want kept", err)
		}
		n, more, err := tx.PruneCards(cut, cut, 10, nil)
		if err != nil || n != 2 || more {
			t.Errorf("the next call: %d, %v, %v; want the other 2", n, more, err)
		}
		return nil
	})
}
