package bot

import (
	"context"
	"time"
)

// ChatMessage is one message of the playground's chat history.
type ChatMessage struct {
	ID uint64 `json:"id"`
	// Chat is "dm:<person>" or a group id.
	Chat string    `json:"chat"`
	From string    `json:"from"`
	Time time.Time `json:"time"`
	Text string    `json:"text,omitempty"`
	Card *Card     `json:"card,omitempty"`
	// CardID is the card record that Card was sent from
	// (OutMessage.CardID), 0 for none. The store keeps the line's card as a
	// reference to the record for as long as the two are the same.
	CardID uint64 `json:"card_id,omitempty"`
	// IdemKey de-duplicates bot messages delivered twice by the outbox.
	IdemKey string `json:"idem_key,omitempty"`
}

// ChatLog keeps the playground's chat history in the store, so that it
// survives restarts.
type ChatLog interface {
	// AppendChat stores m with a new id and returns it. A message whose
	// IdemKey was stored before is not stored again: the earlier one is
	// returned.
	AppendChat(ctx context.Context, m ChatMessage) (ChatMessage, error)
	// UpdateChatCard replaces the card of a message. ENOTFOUND if none.
	UpdateChatCard(ctx context.Context, id uint64, c Card) error
	// ChatMessages returns a chat's messages, oldest first.
	ChatMessages(ctx context.Context, chat string) ([]ChatMessage, error)
	// ChatMessage returns one message. ENOTFOUND if none.
	ChatMessage(ctx context.Context, id uint64) (ChatMessage, error)
}

// ChatTx records a playground chat line inside a transaction, so that the
// line and the handling of the command it carries commit together.
type ChatTx interface {
	// AppendChat is ChatLog.AppendChat in the transaction.
	AppendChat(m ChatMessage) (ChatMessage, error)
	// UpdateChatCard is ChatLog.UpdateChatCard in the transaction.
	UpdateChatCard(id uint64, c Card) error
}
