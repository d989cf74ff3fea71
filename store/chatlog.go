package store

import (
	"bytes"
	"context"
	"fmt"
	"reflect"

	"github.com/loopbot/loopbot/bot"
)

// AppendChat stores m with the next message id (any ID in m is ignored) and,
// when m.Time is zero, the store's current time, and returns it. A message
// whose IdemKey was stored before is not stored again: the earlier message is
// returned, so that an outbox item delivered twice shows once.
func (d *DB) AppendChat(ctx context.Context, m bot.ChatMessage) (bot.ChatMessage, error) {
	// Deliveries that finish together share a commit.
	var out bot.ChatMessage
	err := d.runBatch(ctx, func(t *tx) error {
		var err error
		out, err = t.appendChat(m)
		return err
	})
	if err != nil {
		return bot.ChatMessage{}, err
	}
	return out, nil
}

// AppendChat implements bot.ChatTx: DB.AppendChat inside t.
func (t *tx) AppendChat(m bot.ChatMessage) (bot.ChatMessage, error) {
	if err := t.writable("append chat"); err != nil {
		return bot.ChatMessage{}, err
	}
	return t.appendChat(m)
}

func (t *tx) appendChat(m bot.ChatMessage) (bot.ChatMessage, error) {
	if m.IdemKey != "" {
		if v := t.bucket(bucketChatIdem).Get([]byte(m.IdemKey)); v != nil {
			return t.chatMessage(btoi(v))
		}
	}
	id, err := t.nextID(bucketChat, "append chat")
	if err != nil {
		return bot.ChatMessage{}, err
	}
	m.ID = id
	if m.Time.IsZero() {
		m.Time = t.now()
	}
	if err := t.putChatLine(m); err != nil {
		return bot.ChatMessage{}, err
	}
	if err := t.putRaw(bucketChatByChat, chatKey(m.Chat, id), nil); err != nil {
		return bot.ChatMessage{}, err
	}
	if m.IdemKey == "" {
		return m, nil
	}
	return m, t.putRaw(bucketChatIdem, []byte(m.IdemKey), itob(id))
}

// chatKey returns the chat index key of message id. Unlike strKey it also
// indexes the empty chat name, so that every message is reachable.
func chatKey(chat string, id uint64) []byte {
	return append(strPrefix(chat), itob(id)...)
}

// UpdateChatCard replaces the card of message id. It returns ENOTFOUND when
// there is no such message.
func (d *DB) UpdateChatCard(ctx context.Context, id uint64, c bot.Card) error {
	return d.runBatch(ctx, func(t *tx) error { return t.updateChatCard(id, c) })
}

// UpdateChatCard implements bot.ChatTx: DB.UpdateChatCard inside t.
func (t *tx) UpdateChatCard(id uint64, c bot.Card) error {
	if err := t.writable("update chat card"); err != nil {
		return err
	}
	return t.updateChatCard(id, c)
}

func (t *tx) updateChatCard(id uint64, c bot.Card) error {
	m, ok, err := t.storedChatLine(id)
	if err != nil {
		return err
	} else if !ok {
		return bot.Errorf(bot.ENOTFOUND, "message %d not found", id)
	}
	m.Card = &c
	return t.putChatLine(m)
}

// Cards in chat lines. A bot line that shows a card (Card) sent from a
// card record (CardID) is stored without its card while the card is the
// record's, which it is from its delivery until the record's card next
// changes: the line is read with the record's card, and bucketChatByCard
// names it under the record. Before the record's card changes, and before
// the record is pruned, the lines named under it get the record's stored
// bytes as they are (keepChatCards, into bucketChatKept), so that a line
// still shows the card as it was delivered, and outlives the record as
// before, without the card being decoded and encoded again. A line whose
// card is written to it (UpdateChatCard) drops what was kept for it.

// putChatLine stores m, without its card when the card is its record's.
func (t *tx) putChatLine(m bot.ChatMessage) error {
	shared, err := t.sharesCard(m)
	if err != nil {
		return err
	}
	stored := m
	if m.CardID != 0 {
		// What was kept for it shows an earlier card.
		if err := t.del(bucketChatKept, itob(m.ID)); err != nil {
			return err
		}
	}
	if shared {
		stored.Card = nil
		if err := t.putRaw(bucketChatByCard, chatCardKey(m.CardID, m.ID), nil); err != nil {
			return err
		}
	} else if m.CardID != 0 {
		if err := t.del(bucketChatByCard, chatCardKey(m.CardID, m.ID)); err != nil {
			return err
		}
	}
	return t.put(bucketChat, itob(m.ID), stored)
}

// sharesCard reports whether m's card is the current card of its record.
func (t *tx) sharesCard(m bot.ChatMessage) (bool, error) {
	if m.Card == nil || m.CardID == 0 {
		return false, nil
	}
	var rec bot.CardRecord
	ok, err := t.get(bucketCards, itob(m.CardID), &rec)
	if err != nil || !ok {
		return false, err
	}
	return reflect.DeepEqual(rec.Card, *m.Card), nil
}

// keepChatCards gives the chat lines that read their card from record id
// the record's stored bytes, before its card changes or it goes.
func (t *tx) keepChatCards(id uint64) error {
	lines := t.idsWithPrefix(bucketChatByCard, itob(id))
	if len(lines) == 0 {
		return nil
	}
	t.read()
	rec := t.bucket(bucketCards).Get(itob(id))
	for _, line := range lines {
		// The index names lines stored without their card; one it
		// names that is gone gets nothing, which nothing would remove.
		if rec != nil && t.bucket(bucketChat).Get(itob(line)) != nil {
			// A copy: bbolt holds a value put until the commit,
			// and rec points into the memory map.
			if err := t.putRaw(bucketChatKept, itob(line), bytes.Clone(rec)); err != nil {
				return err
			}
		}
		if err := t.del(bucketChatByCard, chatCardKey(id, line)); err != nil {
			return err
		}
	}
	return nil
}

// chatCardKey is the key of bucketChatByCard that names line under card.
func chatCardKey(card, line uint64) []byte {
	return append(itob(card), itob(line)...)
}

// storedChatLine reads message id as it is stored: a line whose card is
// its record's has no Card.
func (t *tx) storedChatLine(id uint64) (bot.ChatMessage, bool, error) {
	var m bot.ChatMessage
	ok, err := t.get(bucketChat, itob(id), &m)
	return m, ok, err
}

// withCard gives a line stored without its card the card it shows: the
// one kept for it (keepChatCards), else its record's.
func (t *tx) withCard(m *bot.ChatMessage) error {
	if m.Card != nil || m.CardID == 0 {
		return nil
	}
	var rec bot.CardRecord
	ok, err := t.get(bucketChatKept, itob(m.ID), &rec)
	if err == nil && !ok {
		ok, err = t.get(bucketCards, itob(m.CardID), &rec)
	}
	if err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("store: chat line %d: its card %d is gone", m.ID, m.CardID)
	}
	m.Card = &rec.Card
	return nil
}

// ChatMessages returns the messages of a chat, oldest first.
func (d *DB) ChatMessages(ctx context.Context, chat string) ([]bot.ChatMessage, error) {
	var out []bot.ChatMessage
	err := d.run(ctx, false, func(t *tx) error {
		var err error
		out, err = loadIDs[bot.ChatMessage](t, bucketChat, t.idsWithPrefix(bucketChatByChat, strPrefix(chat)))
		if err != nil {
			return err
		}
		for i := range out {
			if err := t.withCard(&out[i]); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// ChatMessage returns message id, or an ENOTFOUND error.
func (d *DB) ChatMessage(ctx context.Context, id uint64) (bot.ChatMessage, error) {
	var m bot.ChatMessage
	err := d.run(ctx, false, func(t *tx) error {
		var err error
		m, err = t.chatMessage(id)
		return err
	})
	return m, err
}

func (t *tx) chatMessage(id uint64) (bot.ChatMessage, error) {
	m, ok, err := t.storedChatLine(id)
	if err != nil {
		return bot.ChatMessage{}, err
	} else if !ok {
		return bot.ChatMessage{}, bot.Errorf(bot.ENOTFOUND, "message %d not found", id)
	}
	if err := t.withCard(&m); err != nil {
		return bot.ChatMessage{}, err
	}
	return m, nil
}
