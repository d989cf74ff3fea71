// Package feishu is the Feishu/Lark messenger (SPEC §7): it receives events
// over the long connection (the SDK's WebSocket protocol) or as HTTP
// callbacks at /callback/feishu, turns them into bot events, and sends and
// updates JSON 2.0 cards through the im/v1 OpenAPI.
//
// It follows github.com/larksuite/oapi-sdk-go/v3 v3.5.4: the ws package's
// frames and endpoint call, the event and callback shapes, and the SDK's
// request layer for OpenAPI calls. It owns the long-connection loop instead
// of calling ws.Client.Start, which never returns, cannot be stopped, and
// drops card callbacks sent as type=card frames.
package feishu

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// Modes of receiving events.
const (
	ModeWebSocket = "websocket"
	ModeWebhook   = "webhook"
)

// DefaultBaseURL is Feishu's OpenAPI host; Lark's is https://open.larksuite.com.
const DefaultBaseURL = "https://open.feishu.cn"

// updateWindow is how long Feishu lets an app update a message it sent
// (im/v1 message patch: "仅支持更新 14 天内发送的消息").
const updateWindow = 14 * 24 * time.Hour

// Handler handles inbound events; the engine implements it. Its error is a
// failure of the store only: the event is then not acknowledged, and Feishu
// delivers it again.
type Handler interface {
	Handle(ctx context.Context, ev bot.Event) (bot.Response, error)
}

// Config configures the adapter.
type Config struct {
	AppID     string
	AppSecret string
	// BaseURL is the OpenAPI host (DefaultBaseURL when empty).
	BaseURL string
	// Mode is ModeWebSocket (default) or ModeWebhook.
	Mode string
	// VerificationToken and EncryptKey verify and decrypt callbacks.
	VerificationToken string
	EncryptKey        string
	Handler           Handler
	// KnownName reports whether the store already has a person's name; the
	// contact API is asked only for people it does not know. Nil asks for
	// everyone (once per run).
	KnownName func(ctx context.Context, id bot.PersonID) bool
	// Now is the service clock (fake in tests): the time events are marked
	// seen and cards are dated for the 14-day update window.
	Now        func() time.Time
	HTTPClient *http.Client
	Logger     *slog.Logger
}

// Adapter is the Feishu messenger.
type Adapter struct {
	cfg     Config
	log     *slog.Logger
	api     *client
	dec     decoder
	names   *nameCache
	depts   bot.DepartmentCache // department names for LookUp
	wallNow func() time.Time    // real time, for callback timestamps

	mu        sync.Mutex
	botOpenID string

	wsDone   chan struct{}
	wsCancel context.CancelFunc
	// connected is closed once the long connection is first up.
	connected     chan struct{}
	connectedOnce sync.Once
}

// New returns an adapter. Nothing runs until Start.
func New(cfg Config) *Adapter {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.Mode == "" {
		cfg.Mode = ModeWebSocket
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	a := &Adapter{cfg: cfg, log: cfg.Logger.With("component", "feishu"),
		api:     newClient(cfg.AppID, cfg.AppSecret, cfg.BaseURL, cfg.HTTPClient),
		wallNow: time.Now, connected: make(chan struct{})}
	a.dec = decoder{botOpenID: a.selfID, now: cfg.Now}
	a.names = newNameCache()
	return a
}

// SetHandler sets the event handler, for wiring where the engine is built
// after the adapter.
func (a *Adapter) SetHandler(h Handler) { a.cfg.Handler = h }

// Platform implements bot.Messenger.
func (a *Adapter) Platform() string { return bot.Feishu }

func (a *Adapter) selfID() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.botOpenID
}

// Start learns the bot's open_id (to tell its mentions apart) and, in
// websocket mode, opens the long connection in the background. It does not
// wait for Feishu: a failure is logged and retried.
func (a *Adapter) Start(ctx context.Context) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.wsCancel = cancel
	a.wsDone = make(chan struct{})
	go func() {
		defer close(a.wsDone)
		a.learnSelf(ctx)
		if a.cfg.Mode == ModeWebSocket {
			a.runLongConnection(ctx)
		}
	}()
}

// Close stops the long connection and waits for the events in flight.
func (a *Adapter) Close() {
	if a.wsCancel == nil {
		return
	}
	a.wsCancel()
	<-a.wsDone
}

// Connected is closed once the long connection is up (websocket mode).
func (a *Adapter) Connected() <-chan struct{} { return a.connected }

// learnSelf asks the bot-info API for the bot's open_id, retrying a few
// times; while it is unknown, a group message is taken as addressed to the
// bot by a mention that looks like a bot's, or by the one it starts with.
func (a *Adapter) learnSelf(ctx context.Context) {
	for try := 0; try < 5; try++ {
		id, _, err := a.api.botInfo(ctx)
		if err == nil {
			a.mu.Lock()
			a.botOpenID = id
			a.mu.Unlock()
			return
		}
		a.log.Warn("get bot info failed", slog.Any("error", err))
		if sleep(ctx, time.Duration(1<<try)*time.Second) != nil {
			return
		}
	}
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Check is `loopbot doctor`'s test of the credentials and the base URL: it
// gets a tenant token and calls the bot-info API. The error names what is
// wrong: the secret, the app id, the base URL, or the network.
func (a *Adapter) Check(ctx context.Context) (string, error) {
	var ae *APIError
	if _, err := a.api.tenantToken(ctx); errors.As(err, &ae) {
		return "", ae
	} else if err != nil {
		return "", fmt.Errorf("cannot reach Feishu at feishu.base_url %s: %w", a.cfg.BaseURL, errors.Unwrap(err))
	}
	_, name, err := a.api.botInfo(ctx)
	if err != nil {
		return "", err
	}
	return name, nil
}

// Send implements bot.Messenger: a card, or a text as a card with one
// markdown block, to a person's open_id or a group's chat_id, with the
// outbox item's key as uuid. The ref is "<message_id>@<unix ms>", the
// message and when it was sent, for the 14-day update window.
func (a *Adapter) Send(ctx context.Context, msg bot.OutMessage) (string, error) {
	var content string
	if msg.Card != nil {
		content = cardJSON(renderCard(*msg.Card))
	} else {
		content = cardJSON(textCard(msg.Text))
	}
	idType := "chat_id"
	if msg.Target.DM {
		idType = "open_id"
	}
	id, err := a.api.sendMessage(ctx, idType, msg.Target.Chat, "interactive", content, msg.IdemKey)
	if err != nil {
		return "", err
	}
	return id + "@" + strconv.FormatInt(a.cfg.Now().UnixMilli(), 10), nil
}

// UpdateCard implements bot.CardUpdater with PATCH im/v1/messages/:id.
func (a *Adapter) UpdateCard(ctx context.Context, ref string, msg bot.OutMessage) error {
	_, err := a.RefreshCard(ctx, ref, msg)
	return err
}

// RefreshCard implements bot.CardRefresher: it patches the card's message,
// or, once that is older than Feishu's 14-day update window, sends the card
// as a new message and leaves the old one alone.
func (a *Adapter) RefreshCard(ctx context.Context, ref string, msg bot.OutMessage) (string, error) {
	if msg.Card == nil {
		return "", bot.Permanent(errors.New("feishu: update card: no card"))
	}
	id, sent := parseRef(ref)
	if id == "" {
		return "", bot.Permanent(fmt.Errorf("feishu: update card: bad message reference %q", ref))
	}
	if !sent.IsZero() && a.cfg.Now().Sub(sent) >= updateWindow {
		return a.Send(ctx, msg)
	}
	if err := a.api.patchMessage(ctx, id, cardJSON(renderCard(*msg.Card))); err != nil {
		return "", err
	}
	return ref, nil
}

// parseRef splits a message reference into the message id and the send
// time (zero when the reference has none).
func parseRef(ref string) (string, time.Time) {
	id, ms, ok := strings.Cut(ref, "@")
	if !ok {
		return ref, time.Time{}
	}
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return id, time.Time{}
	}
	return id, time.UnixMilli(n)
}
