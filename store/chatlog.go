package store

import (
	"context"

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
	if err := t.put(bucketChat, itob(id), m); err != nil {
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
	m, err := t.chatMessage(id)
	if err != nil {
		return err
	}
	m.Card = &c
	return t.put(bucketChat, itob(id), m)
}

// ChatMessages returns the messages of a chat, oldest first.
func (d *DB) ChatMessages(ctx context.Context, chat string) ([]bot.ChatMessage, error) {
	var out []bot.ChatMessage
	err := d.run(ctx, false, func(t *tx) error {
		var err error
		out, err = loadIDs[bot.ChatMessage](t, bucketChat, t.idsWithPrefix(bucketChatByChat, strPrefix(chat)))
		return err
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
	var m bot.ChatMessage
	ok, err := t.get(bucketChat, itob(id), &m)
	if err != nil {
		return bot.ChatMessage{}, err
	} else if !ok {
		return bot.ChatMessage{}, bot.Errorf(bot.ENOTFOUND, "message %d not found", id)
	}
	return m, nil
}
