package bot

import "time"

// Event kinds.
const (
	EventMessage = "message"
	EventAction  = "action"
	// EventJoined tells that the bot was added to the group chat Chat, by
	// From.
	EventJoined = "joined"
)

// Event is one inbound event from a messenger, already verified and decoded
// by its adapter.
type Event struct {
	// ID is the platform's event or message id, unique per platform; it is
	// the key of inbound de-duplication.
	ID       string    `json:"id"`
	Platform string    `json:"platform"`
	Kind     string    `json:"kind"`
	From     PersonID  `json:"from"`
	FromName string    `json:"from_name,omitempty"`
	Chat     Target    `json:"chat"`
	Time     time.Time `json:"time"`
	// Text is a message's text, with mentions rewritten as @<id>.
	Text string `json:"text,omitempty"`
	// Names holds the names the platform gave for the people mentioned in
	// Text, where it gave any (a Feishu mention carries one).
	Names map[PersonID]string `json:"names,omitempty"`
	// Action is set for card actions.
	Action *ActionEvent `json:"action,omitempty"`
}

// ActionEvent is a click on a card's button, with the card's form values.
type ActionEvent struct {
	Name string `json:"name"`
	// Token is the signed value of the button (see Signer).
	Token string            `json:"token"`
	Form  map[string]string `json:"form,omitempty"`
	// MessageRef is the platform's id of the card's message, where known.
	MessageRef string `json:"message_ref,omitempty"`
}

// Response is what the bot answers to an event synchronously: a toast for
// the person who acted, and the card's new content for an in-place update.
type Response struct {
	Toast string `json:"toast,omitempty"`
	Card  *Card  `json:"card,omitempty"`
}
