// Package playground is the built-in web messenger: a page where one can be
// any demo person, type commands and click cards, and the JSON API that
// end-to-end tests drive (SPEC §11).
package playground

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// Person is a demo person.
type Person struct {
	ID    string   `json:"id"`
	Name  string   `json:"name"`
	Roles []string `json:"roles"`
}

// Group is a demo group chat.
type Group struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Members []string `json:"members"`
}

// Handler handles inbound events; the engine implements it.
type Handler interface {
	Handle(ctx context.Context, ev bot.Event) (bot.Response, error)
	// HandleWith is bot.Engine.HandleWith: prepare runs in the event's
	// transaction before it is handled, and may run more than once.
	HandleWith(ctx context.Context, ev bot.Event, prepare func(tx bot.Tx, ev *bot.Event) error) (bot.Event, bot.Response, error)
}

// MaxClockJump is the furthest one clock request may move the fake clock:
// 400 days, a year and its turn with room to spare. A farther target would
// replay years of five-minute checks in one request; it is refused with 400
// (EINVALID), and can be reached in several steps.
const MaxClockJump = 400 * 24 * time.Hour

// ClockControl moves the fake clock. Each call returns once the work that
// fell due on the way has run, in time order. Calls made at the same time
// run one after the other, each from where the clock stands when its turn
// comes.
type ClockControl interface {
	// Set moves the clock to t. It returns ECONFLICT for a t before the
	// clock's time and EINVALID for one more than MaxClockJump after it.
	Set(ctx context.Context, t time.Time) error
	// Advance moves the clock forward by d, 0 < d <= MaxClockJump, from
	// where it stands when this call's turn comes.
	Advance(ctx context.Context, d time.Duration) error
}

// Config wires the playground.
type Config struct {
	People []Person
	Groups []Group
	Log    bot.ChatLog
	Clock  bot.Clock
	// Handler receives the events of the page and the API.
	Handler Handler
	// Settle returns once every outgoing message queued so far is
	// delivered, so that an API call answers after the bot has answered.
	Settle func(ctx context.Context) error
	// FakeClock is nil unless playground.fake_clock is on.
	FakeClock ClockControl
	// Zone returns the zone the page shows and sets times in for a person
	// id (the bot's zone of that person), or the calendar's for "". Nil
	// shows times in the clock's own zone.
	Zone   func(ctx context.Context, person string) *time.Location
	Logger *slog.Logger
	// PublicURL is server.public_url: a Host and an Origin it names are
	// the playground's own too (behind a reverse proxy). Optional.
	PublicURL string
}

// Adapter is the playground messenger and its HTTP API.
type Adapter struct {
	cfg    Config
	logger *slog.Logger
	// personAt and groupAt index cfg.People and cfg.Groups by id, the first
	// of each id, so that a request finds its person without a scan.
	personAt map[string]int
	groupAt  map[string]int
}

// New returns the playground adapter.
func New(cfg Config) *Adapter {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	a := &Adapter{cfg: cfg, logger: cfg.Logger.With("component", "playground"),
		personAt: make(map[string]int, len(cfg.People)), groupAt: make(map[string]int, len(cfg.Groups))}
	for i, p := range cfg.People {
		if _, dup := a.personAt[p.ID]; !dup {
			a.personAt[p.ID] = i
		}
	}
	for i, g := range cfg.Groups {
		if _, dup := a.groupAt[g.ID]; !dup {
			a.groupAt[g.ID] = i
		}
	}
	return a
}

// SetHandler sets the event handler, for wiring where the engine is built
// after the adapter.
func (a *Adapter) SetHandler(h Handler, settle func(ctx context.Context) error) {
	a.cfg.Handler, a.cfg.Settle = h, settle
}

// Platform implements bot.Messenger.
func (a *Adapter) Platform() string { return bot.Playground }

// Send implements bot.Messenger: it appends the message to the chat. A
// message delivered twice with the same idempotency key shows once.
func (a *Adapter) Send(ctx context.Context, msg bot.OutMessage) (string, error) {
	saved, err := a.cfg.Log.AppendChat(ctx, a.botLine(msg))
	if err != nil {
		return "", bot.Temporary(err, 0)
	}
	return strconv.FormatUint(saved.ID, 10), nil
}

// UpdateCard implements bot.CardUpdater: the card changes in place for
// everyone who sees the chat.
func (a *Adapter) UpdateCard(ctx context.Context, ref string, msg bot.OutMessage) error {
	id, err := cardRef(ref, msg)
	if err != nil {
		return err
	}
	return updateError(a.cfg.Log.UpdateChatCard(ctx, id, *msg.Card))
}

// SendTx implements bot.TxMessenger: Send, inside the transaction that
// records the delivery, since the chats are kept in the same store.
func (a *Adapter) SendTx(tx bot.Tx, msg bot.OutMessage) (string, error) {
	saved, err := tx.AppendChat(a.botLine(msg))
	if err != nil {
		return "", bot.Temporary(err, 0)
	}
	return strconv.FormatUint(saved.ID, 10), nil
}

// UpdateCardTx implements bot.TxMessenger: UpdateCard inside the
// transaction that records the delivery.
func (a *Adapter) UpdateCardTx(tx bot.Tx, ref string, msg bot.OutMessage) error {
	id, err := cardRef(ref, msg)
	if err != nil {
		return err
	}
	return updateError(tx.UpdateChatCard(id, *msg.Card))
}

// botLine is the chat line of a message the bot sends.
func (a *Adapter) botLine(msg bot.OutMessage) bot.ChatMessage {
	line := bot.ChatMessage{Chat: chatName(msg.Target), From: "bot", Time: a.cfg.Clock.Now(), Text: msg.Text, Card: msg.Card, IdemKey: msg.IdemKey}
	if msg.Card != nil {
		line.CardID = msg.CardID
	}
	return line
}

// cardRef reads the message id of a card update.
func cardRef(ref string, msg bot.OutMessage) (uint64, error) {
	id, err := strconv.ParseUint(ref, 10, 64)
	if err != nil || msg.Card == nil {
		return 0, bot.Permanent(bot.Errorf(bot.EINVALID, "playground: bad card reference %q", ref))
	}
	return id, nil
}

// updateError classifies the error of a card update: a missing message is
// permanent, anything else the store's and temporary.
func updateError(err error) error {
	switch {
	case err == nil:
		return nil
	case bot.ErrorCode(err) == bot.ENOTFOUND:
		return bot.Permanent(err)
	}
	return bot.Temporary(err, 0)
}

// chatName is the playground's name of a target: "dm:<person>" or the
// group id.
func chatName(t bot.Target) string {
	if t.DM {
		return "dm:" + t.Chat
	}
	return t.Chat
}

// targetOf is the inverse of chatName.
func targetOf(chat string) bot.Target {
	if person, ok := strings.CutPrefix(chat, "dm:"); ok {
		return bot.Target{Platform: bot.Playground, Chat: person, DM: true}
	}
	return bot.Group(bot.Playground, chat)
}

func (a *Adapter) person(id string) (Person, bool) {
	if i, ok := a.personAt[id]; ok {
		return a.cfg.People[i], true
	}
	return Person{}, false
}

func (a *Adapter) group(id string) (Group, bool) {
	if i, ok := a.groupAt[id]; ok {
		return a.cfg.Groups[i], true
	}
	return Group{}, false
}

// canSee reports whether a person sees a chat.
func (a *Adapter) canSee(person, chat string) bool {
	if rest, ok := strings.CutPrefix(chat, "dm:"); ok {
		return rest == person
	}
	g, ok := a.group(chat)
	return ok && slices.Contains(g.Members, person)
}

// publicCard returns a card as the API shows it: without the signed values,
// which stay on the server.
func publicCard(c *bot.Card) *bot.Card {
	if c == nil {
		return nil
	}
	out := *c
	out.Actions = make([]bot.Action, len(c.Actions))
	for i, act := range c.Actions {
		out.Actions[i] = bot.Action{Name: act.Name, Label: act.Label}
	}
	return &out
}

func newEventID(kind string) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "playground:" + kind + ":" + hex.EncodeToString(b[:])
}
