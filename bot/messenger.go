package bot

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Messenger delivers outgoing messages on one platform. The outbox is its
// only caller.
type Messenger interface {
	// Platform returns the platform name the messenger serves.
	Platform() string
	// Send delivers msg and returns the platform's message id. It must pass
	// msg.IdemKey to the platform where the platform de-duplicates by key.
	Send(ctx context.Context, msg OutMessage) (ref string, err error)
}

// CardUpdater is implemented by messengers that can change a sent card in
// place.
type CardUpdater interface {
	UpdateCard(ctx context.Context, ref string, msg OutMessage) error
}

// CardRefresher is implemented by messengers that update a card in place
// only for a while (Feishu: 14 days). RefreshCard updates the card's message,
// or, once that is too old, sends the card as a new message and leaves the
// old one alone. It returns the message that now shows the card: ref, or the
// new message's id, which later updates use. The outbox prefers it to
// CardUpdater.
type CardRefresher interface {
	RefreshCard(ctx context.Context, ref string, msg OutMessage) (newRef string, err error)
}

// TxMessenger is implemented by a messenger whose delivery is a write to
// the service's own store (the playground, whose chats are kept there). The
// outbox then delivers inside the transaction that records the delivery,
// which it shares with the deliveries that finish at the same moment
// (Store.Batch): a delivery costs no commit of its own, and a message cannot
// show twice after a crash. The methods must have no effect outside tx, and
// may run more than once, as any Batch callback. Their errors are treated
// as Send's and UpdateCard's: Temporary ones are retried.
type TxMessenger interface {
	SendTx(tx Tx, msg OutMessage) (ref string, err error)
	UpdateCardTx(tx Tx, ref string, msg OutMessage) error
}

// MessageCounter is implemented by messengers that may deliver one outbox
// item as several platform messages (WeCom: a check-in is a list card plus
// a card per task; a long text is split). Messages returns how many
// platform messages Send will post for msg, so that the outbox's rate
// limits count each of them.
type MessageCounter interface {
	Messages(msg OutMessage) int
}

// OutMessage is one message for a messenger: a text (markdown) or a card.
type OutMessage struct {
	Target Target `json:"target"`
	Text   string `json:"text,omitempty"`
	Card   *Card  `json:"card,omitempty"`
	// CardID is the card's store id, when Card is set.
	CardID uint64 `json:"card_id,omitempty"`
	// IdemKey is unique per outbox item and stays the same across retries.
	IdemKey string `json:"idem_key"`
}

// DeliveryError is returned by messengers to tell the outbox whether a failed
// delivery may succeed later, and when.
type DeliveryError struct {
	Err       error
	Temporary bool
	// RetryAfter is the platform's reset hint, if it gave one.
	RetryAfter time.Duration
}

// Error implements error.
func (e *DeliveryError) Error() string {
	kind := "permanent"
	if e.Temporary {
		kind = "temporary"
	}
	return fmt.Sprintf("%s delivery error: %v", kind, e.Err)
}

// Unwrap returns the underlying error.
func (e *DeliveryError) Unwrap() error { return e.Err }

// Temporary wraps err as a delivery error worth retrying, after the given
// hint (0 for none).
func Temporary(err error, retryAfter time.Duration) error {
	return &DeliveryError{Err: err, Temporary: true, RetryAfter: retryAfter}
}

// Permanent wraps err as a delivery error that no retry will fix.
func Permanent(err error) error {
	return &DeliveryError{Err: err}
}

// IsTemporary reports whether err is worth retrying. Errors that are not
// DeliveryErrors (network failures, timeouts) count as temporary.
func IsTemporary(err error) (bool, time.Duration) {
	var de *DeliveryError
	if errors.As(err, &de) {
		return de.Temporary, de.RetryAfter
	}
	return true, 0
}
