package bot

import (
	"strconv"
	"time"
)

// Outbox operations.
const (
	OpSend   = "send"
	OpUpdate = "update"
)

// OutboxItem is an outgoing message or card update, written to the store in
// the same transaction as the state change that caused it, and delivered
// afterwards by the dispatcher.
type OutboxItem struct {
	ID     uint64 `json:"id"`
	Op     string `json:"op"`
	Target Target `json:"target"`
	// Text is the body of a text message; of an item with a file, the
	// message sent instead when the file cannot go out as a file message
	// (its download link).
	Text string `json:"text,omitempty"`
	// CardID names the card to send or update; its current content is read
	// from the card record at delivery, so that several updates coalesce.
	CardID uint64 `json:"card_id,omitempty"`
	// FileID names the file (File, kept in the store) to send as a file
	// message, with Op OpSend, through the platform's FileSender.
	FileID    uint64    `json:"file_id,omitempty"`
	Attempts  int       `json:"attempts,omitempty"`
	NextAt    time.Time `json:"next_at,omitempty"`
	LastError string    `json:"last_error,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// DeadAt is set when the item was dead-lettered.
	DeadAt time.Time `json:"dead_at,omitempty"`
}

// IdemKey returns the item's idempotency key, stable across retries and
// restarts.
func (it OutboxItem) IdemKey() string {
	return "loopbot-" + strconv.FormatUint(it.ID, 10)
}
