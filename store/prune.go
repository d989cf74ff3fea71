package store

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"go.etcd.io/bbolt"

	"github.com/loopbot/loopbot/bot"
)

// PruneCards removes up to limit card records that can no longer change:
// those with no buttons left (bot.Card.Finished) that have not changed since
// finishedBefore, and any card not changed since openBefore, whose buttons
// have expired. It walks the index of cards by last change
// (bucketCardsByUpdate), the finished ones up to the later of the two
// times and the open ones up to openBefore, and reads only the cards it
// removes, the oldest change first. It reports how many it
// removed and whether it stopped at the limit with more to look at. Each
// card's final state goes to the audit log as it is removed
// (CardFinalState), besides the state changes that drew it, which were
// recorded there when they happened; gone, when not nil, gets each record
// before it is removed, in the same transaction. When gone returns
// bot.ErrPruneEnough, PruneCards stops before that card (it stays, for
// the next call) and reports what it removed, with more to look at.
func (t *tx) PruneCards(finishedBefore, openBefore time.Time, limit int, gone func(bot.CardRecord) error) (int, bool, error) {
	if err := t.writable("prune cards"); err != nil {
		return 0, false, err
	}
	if openBefore.After(finishedBefore) {
		finishedBefore = openBefore
	}
	// The finished cards up to their cut-off and the open ones up to
	// theirs, merged by last change: neither walk passes over a card it
	// keeps.
	type walk struct {
		c      *bbolt.Cursor
		k, end []byte
	}
	// step moves w to its next key of its flag before its end (nil
	// after the last).
	step := func(w *walk, k []byte) {
		for ; k != nil && k[0] == w.end[0] && bytes.Compare(k[:min(len(k), 9)], w.end) < 0; k, _ = w.c.Next() {
			if len(k) == 17 {
				w.k = k
				return
			}
		}
		w.k = nil
	}
	var walks [2]walk
	for i, before := range []time.Time{finishedBefore, openBefore} {
		flag := byte(1 - i)
		w := &walks[i]
		w.c, w.end = t.bucket(bucketCardsByUpdate).Cursor(), append([]byte{flag}, timeKey(before, 0)[:8]...)
		k, _ := w.c.Seek([]byte{flag})
		step(w, k)
	}
	var victims [][]byte
	more := false
	for {
		w := &walks[0]
		if w.k == nil || walks[1].k != nil && bytes.Compare(walks[1].k[1:], w.k[1:]) < 0 {
			w = &walks[1]
		}
		if w.k == nil {
			break
		}
		if len(victims) == limit {
			more = true
			break
		}
		victims = append(victims, bytes.Clone(w.k))
		k, _ := w.c.Next()
		step(w, k)
	}
	n := 0
	for _, k := range victims {
		id := btoi(k[9:17])
		var rec bot.CardRecord
		found, err := t.get(bucketCards, itob(id), &rec)
		if err != nil {
			return 0, false, err
		}
		if found && gone != nil {
			if err := gone(rec); errors.Is(err, bot.ErrPruneEnough) {
				return n, true, nil
			} else if err != nil {
				return 0, false, err
			}
		}
		n++
		if err := t.del(bucketCardsByUpdate, k); err != nil {
			return 0, false, err
		}
		if !found {
			continue
		}
		if err := t.AppendAudit(CardFinalState(rec)); err != nil {
			return 0, false, err
		}
		if err := t.keepChatCards(id); err != nil {
			return 0, false, err
		}
		if key := strKey(rec.Key, id); key != nil {
			if err := t.del(bucketCardsByKey, key); err != nil {
				return 0, false, err
			}
		}
		if err := t.del(bucketCards, itob(id)); err != nil {
			return 0, false, err
		}
	}
	return n, more, nil
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
		if err := decodeValue(v, &m); err != nil {
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
		if m.CardID != 0 {
			if err := t.del(bucketChatByCard, chatCardKey(m.CardID, m.ID)); err != nil {
				return 0, false, err
			}
			if err := t.del(bucketChatKept, itob(m.ID)); err != nil {
				return 0, false, err
			}
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
		if err := decodeValue(v, &it); err != nil {
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

// AuditCardFinal is the audit Kind of a card's final state, recorded when
// its record is pruned (CardFinalState).
const AuditCardFinal = "card_final"

// cardNoteMax is how many bytes of a card's final state its audit event
// keeps (Note): the history is kept forever, so it stays short.
const cardNoteMax = 240

// CardFinalState returns the audit event that keeps a card's final state
// once its record is gone: Kind AuditCardFinal, at its last change (its
// creation if it never changed), Old the card's key (which names its
// subject: "assign/T7", "esc/E3"), New its final color, and Note its title
// and its state:
// the first line of its text for a finished card (the state line that
// cards.Finish puts there, such as "**Accepted · Bob · 11-02 10:00**"), or
// "expired, open: <action names>" for one whose buttons expired; at most
// cardNoteMax bytes, cut at a rune boundary. It names no project or task,
// so that it stays out of a task's history (/task) and of the project's
// reports and digests, which show what happened, not the cards about it.
func CardFinalState(rec bot.CardRecord) bot.AuditEvent {
	at := rec.UpdatedAt
	if at.IsZero() {
		at = rec.CreatedAt
	}
	e := bot.AuditEvent{Time: at, Kind: AuditCardFinal, Old: rec.Key, New: rec.Card.Color}
	state, _, _ := strings.Cut(rec.Card.Text, "\n")
	if !rec.Card.Finished() {
		names := make([]string, len(rec.Card.Actions))
		for i, a := range rec.Card.Actions {
			names[i] = a.Name
		}
		state = "expired, open: " + strings.Join(names, ", ")
	}
	note := rec.Card.Title
	if state != "" {
		note += "\n" + state
	}
	if len(note) > cardNoteMax {
		cut := cardNoteMax
		for cut > 0 && !utf8.RuneStart(note[cut]) {
			cut--
		}
		note = note[:cut] + "…"
	}
	e.Note = note
	return e
}
