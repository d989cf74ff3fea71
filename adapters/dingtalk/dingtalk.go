// Package dingtalk is the DingTalk (钉钉) adapter: it receives chatbot
// messages and interactive-card callbacks over Stream mode, and sends robot
// messages and interactive cards through the OpenAPI (SPEC §7).
//
// Cards whose kind has a template in the config are sent as interactive
// cards (card/instances/createAndDeliver, updated with PUT card/instances);
// every other card is a markdown message that shows the text command of
// each button, since markdown messages have no buttons.
package dingtalk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/open-dingtalk/dingtalk-stream-sdk-go/payload"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/cards"
)

// DefaultOpenAPIHost is DingTalk's OpenAPI, which also hands out the stream
// connections.
const DefaultOpenAPIHost = "https://api.dingtalk.com"

// Config configures the adapter.
type Config struct {
	ClientID     string
	ClientSecret string
	// RobotCode is the robot that sends; the client id when empty.
	RobotCode string
	// OpenAPIHost is the base of the OpenAPI and of the stream's
	// connections/open, such as https://api.dingtalk.com.
	OpenAPIHost string
	// Templates maps a template name (task, checkin, escalation, review,
	// report) to the id of an interactive-card template.
	Templates map[string]string
	Logger    *slog.Logger
	// HTTPClient is used for every call; a client with a 15 s timeout
	// when nil.
	HTTPClient *http.Client
	// Now is the service's clock (the playground's fake clock in tests);
	// time.Now when nil. It decides which messages are immediate answers.
	Now func() time.Time
	// Version is loopbot's version; the stream's connection-open request
	// names the client "loopbot/<Version>" in its ua field, and every HTTP
	// call carries it as its User-Agent.
	Version string
	// OAPIHost is the base of DingTalk's older server API
	// (https://oapi.dingtalk.com), which maps a unionId to a userId. When
	// empty it is https://oapi.dingtalk.com if OpenAPIHost is DingTalk's own,
	// else OpenAPIHost (a test's fake, or a proxy that serves both).
	OAPIHost string
	// Store keeps the unionId → userId mappings across restarts; without
	// one they are kept in memory only.
	Store bot.Store
}

// DefaultOAPIHost is DingTalk's older server API (topapi).
const DefaultOAPIHost = "https://oapi.dingtalk.com"

// answerWindow is how long after a chatbot message the bot's messages to
// that chat count as its immediate answers, which go through the
// message's sessionWebhook.
const answerWindow = time.Minute

// Handler handles inbound events; the engine implements it. It returns
// after the event's transaction has committed, or with an error when the
// store failed.
type Handler interface {
	Handle(ctx context.Context, ev bot.Event) (bot.Response, error)
}

// Adapter is the DingTalk messenger and its stream.
type Adapter struct {
	cfg     Config
	log     *slog.Logger
	api     *apiClient
	handler Handler
	stream  *Stream

	mu       sync.Mutex
	sessions map[string]session  // by chat: a chatbot message's sessionWebhook
	unions   map[string]string   // unionId → userId, as DingTalk mapped them
	depts    bot.DepartmentCache // department names for LookUp
	// media keeps the media_ids of files sent, for retries.
	media mediaCache
	// followPruned is when groupUpdate last forgot what groups were told
	// of cards whose records are pruned (bot.PruneTold).
	followPruned time.Time
}

// session is a sessionWebhook, when its message came (service clock) and
// when the webhook stops being valid (DingTalk's clock).
type session struct {
	url     string
	at      time.Time
	expires time.Time
}

// New returns the adapter; Run connects it.
func New(cfg Config, h Handler) *Adapter {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.OpenAPIHost == "" {
		cfg.OpenAPIHost = DefaultOpenAPIHost
	}
	cfg.OpenAPIHost = strings.TrimRight(cfg.OpenAPIHost, "/")
	if cfg.RobotCode == "" {
		cfg.RobotCode = cfg.ClientID
	}
	if cfg.OAPIHost == "" {
		cfg.OAPIHost = cfg.OpenAPIHost
		if cfg.OpenAPIHost == DefaultOpenAPIHost {
			cfg.OAPIHost = DefaultOAPIHost
		}
	}
	cfg.OAPIHost = strings.TrimRight(cfg.OAPIHost, "/")
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	log := cfg.Logger.With("component", "dingtalk")
	a := &Adapter{
		cfg: cfg, log: log, handler: h, sessions: map[string]session{},
		unions: map[string]string{},
		api: &apiClient{host: cfg.OpenAPIHost, oapi: cfg.OAPIHost, id: cfg.ClientID, secret: cfg.ClientSecret,
			http: cfg.HTTPClient, now: time.Now, ua: UserAgent(cfg.Version)},
	}
	a.stream = &Stream{
		Host: cfg.OpenAPIHost, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
		Topics: []string{payload.BotMessageCallbackTopic, payload.CardInstanceCallbackTopic},
		Handle: a.handleFrame, Logger: log, HTTPClient: cfg.HTTPClient, UA: UserAgent(cfg.Version),
	}
	return a
}

// UserAgent is loopbot's name in the stream's connection-open request (its
// ua field, where DingTalk's SDKs put "dingtalk-sdk-java/1.0.2" and the
// like) and in the User-Agent of its HTTP calls: "loopbot/<version>".
func UserAgent(version string) string {
	return "loopbot/" + version
}

// SetClock sets the service's clock (see Config.Now).
func (a *Adapter) SetClock(now func() time.Time) {
	a.mu.Lock()
	a.cfg.Now = now
	a.mu.Unlock()
}

// Platform implements bot.Messenger.
func (a *Adapter) Platform() string { return bot.DingTalk }

// Run keeps the stream connected until ctx ends.
func (a *Adapter) Run(ctx context.Context) error { return a.stream.Run(ctx) }

// Check is loopbot doctor's test of the app: it gets an access token, then
// opens a stream connection and closes it. The error names the step that
// failed.
func (a *Adapter) Check(ctx context.Context) error {
	a.api.forget()
	if _, err := a.api.accessToken(ctx); err != nil {
		var ae *APIError
		if errors.As(err, &ae) && ae.Status >= 400 && ae.Status < 500 {
			return fmt.Errorf("DingTalk refused the client id or client secret (dingtalk.client_id, dingtalk.client_secret): %s %s", ae.Code, ae.Message)
		}
		return fmt.Errorf("get an access token: %w", err)
	}
	ep, err := a.stream.Endpoint(ctx)
	if err != nil {
		return fmt.Errorf("open a stream connection: %w", err)
	}
	conn, err := a.stream.Dial(ctx, ep)
	if err != nil {
		return fmt.Errorf("open a stream connection: %w", err)
	}
	return conn.Close()
}

// Send implements bot.Messenger. A card of a kind with a template becomes
// an interactive card whose outTrackId is the outbox key (so a retry after
// a crash does not deliver a second card); anything else is a markdown
// message, sent through the sessionWebhook of the chat's last message
// while it is valid, else through the robot API. The ref is "card:<outTrackId>"
// or "md:<processQueryKey>".
func (a *Adapter) Send(ctx context.Context, msg bot.OutMessage) (string, error) {
	if msg.Target.Chat == "" {
		return "", bot.Permanent(errors.New("dingtalk: no chat to send to"))
	}
	if msg.Card != nil {
		if tpl := a.template(msg.Card.Kind); tpl != "" {
			track := trackID(msg)
			if err := a.api.createAndDeliver(ctx, a.cfg.RobotCode, tpl, track, msg.Target, templateParams(*msg.Card)); err != nil {
				return "", fmt.Errorf("dingtalk: %w", err)
			}
			return "card:" + track, nil
		}
		title, text := cardMarkdown(*msg.Card, msg.Target.DM)
		return a.sendMarkdown(ctx, msg.Target, title, text)
	}
	title, text := textMarkdown(msg.Text)
	return a.sendMarkdown(ctx, msg.Target, title, text)
}

// UpdateCard implements bot.CardUpdater: an interactive card's variables
// are replaced in place; for a markdown card, which cannot be edited, a
// short follow-up message shows the new state.
func (a *Adapter) UpdateCard(ctx context.Context, ref string, msg bot.OutMessage) error {
	if msg.Card == nil {
		return bot.Permanent(errors.New("dingtalk: card update without a card"))
	}
	if track, ok := strings.CutPrefix(ref, "card:"); ok {
		if err := a.api.updateCard(ctx, track, templateParams(*msg.Card)); err != nil {
			return fmt.Errorf("dingtalk: %w", err)
		}
		return nil
	}
	if !msg.Target.DM {
		if handled, err := a.groupUpdate(ctx, msg); handled {
			return err
		}
	}
	title, text := updateMarkdown(*msg.Card, msg.Target.DM)
	_, err := a.sendMarkdown(ctx, msg.Target, title, text)
	return err
}

// metaFollow is the store's key of what a chat was told of a group
// warning sent as markdown: + card id → the lines told (bot.TellChange).
const metaFollow = "dingtalk/follow/"

// groupUpdate tells a group of a change to a group warning sent to it as
// markdown, which cannot be edited: the lines resolved since the group was
// last told of the card (cards.GroupFollowUp), once each; nothing when no
// line is newly resolved. What it told is kept (bot.TellChange) until the
// card's record is pruned, which it looks for at most once an hour.
// handled is false for another card, or without a store: updateMarkdown
// shows those.
func (a *Adapter) groupUpdate(ctx context.Context, msg bot.OutMessage) (handled bool, err error) {
	st := a.cfg.Store
	if st == nil {
		return false, nil
	}
	c := *msg.Card
	l := cards.EN
	if chinese(c) {
		l = cards.ZH
	}
	a.mu.Lock()
	now := a.cfg.Now()
	prune := now.Sub(a.followPruned) >= time.Hour
	if prune {
		a.followPruned = now
	}
	a.mu.Unlock()
	handled, saveErr, err := bot.TellChange(ctx, st, bot.ToldKey(metaFollow, msg.CardID), now,
		func(told []int) (string, []int, bool) { return cards.GroupFollowUp(l, c, told, nil) },
		func(text string) error {
			title, body := textMarkdown(text)
			_, err := a.sendMarkdown(ctx, msg.Target, title, body)
			return err
		})
	if saveErr != nil {
		a.log.Error("save what a group was told", slog.Any("error", saveErr))
	}
	if prune {
		perr := st.Update(context.WithoutCancel(ctx), func(tx bot.Tx) error { return bot.PruneTold(tx, metaFollow) })
		if perr != nil {
			a.log.Error("forget what groups were told", slog.Any("error", perr))
			a.mu.Lock()
			a.followPruned = time.Time{}
			a.mu.Unlock()
		}
	}
	return handled, err
}

// trackID is the outTrackId of a card: the outbox idempotency key, which
// stays the same across retries.
func trackID(msg bot.OutMessage) string {
	if msg.IdemKey != "" {
		return msg.IdemKey
	}
	return fmt.Sprintf("loopbot-card-%d", msg.CardID)
}

// template returns the template id configured for a card kind.
func (a *Adapter) template(kind string) string {
	return a.cfg.Templates[TemplateOf(kind)]
}

// TemplateOf returns the name of the template that renders a card kind:
// task, checkin, escalation, review or report; "" for kinds that are always
// markdown (notices, digests, plans).
func TemplateOf(kind string) string {
	switch kind {
	case bot.CardTaskAssigned, bot.CardAcceptance:
		return "task"
	case bot.CardCheckin, bot.CardCheckinReminder:
		return "checkin"
	case bot.CardEscalation, bot.CardGroupWarning:
		return "escalation"
	case bot.CardReviewPrompt, bot.CardReviewSummary:
		return "review"
	case bot.CardReport:
		return "report"
	}
	return ""
}

// TemplateNames are the template names of [dingtalk.templates].
var TemplateNames = []string{"task", "checkin", "escalation", "review", "report"}

// sendMarkdown sends a markdown message to a person or a group: an
// immediate answer to a chatbot message goes through that message's
// sessionWebhook, anything else as a robot sampleMarkdown message.
func (a *Adapter) sendMarkdown(ctx context.Context, t bot.Target, title, text string) (string, error) {
	param := map[string]string{"title": title, "text": text}
	if hook, ok := a.session(t); ok {
		body := map[string]any{"msgtype": "markdown", "markdown": param}
		err := a.api.sessionSend(ctx, hook, body)
		if err == nil {
			return "session", nil
		}
		a.log.Warn("sessionWebhook failed; sending through the robot API", slog.Any("error", err))
	}
	var key string
	var err error
	if t.DM {
		key, err = a.api.sendToUsers(ctx, a.cfg.RobotCode, []string{t.Chat}, "sampleMarkdown", param)
	} else {
		key, err = a.api.sendToGroup(ctx, a.cfg.RobotCode, t.Chat, "sampleMarkdown", param)
	}
	if err != nil {
		return "", fmt.Errorf("dingtalk: %w", err)
	}
	return "md:" + key, nil
}

// remember keeps the sessionWebhook of a chat's latest message.
func (a *Adapter) remember(chat bot.Target, hook string, expiresMs int64) {
	if hook == "" || expiresMs == 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sessions[chat.String()] = session{url: hook, at: a.cfg.Now(), expires: time.UnixMilli(expiresMs)}
	now := time.Now()
	for k, s := range a.sessions {
		if now.After(s.expires) {
			delete(a.sessions, k)
		}
	}
}

// session returns the sessionWebhook of a chat's latest message while a
// message to the chat is its immediate answer (within answerWindow) and
// the webhook stays valid for a few more seconds.
func (a *Adapter) session(chat bot.Target) (string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s, ok := a.sessions[chat.String()]
	if !ok || a.cfg.Now().Sub(s.at) > answerWindow || time.Now().Add(10*time.Second).After(s.expires) {
		return "", false
	}
	return s.url, true
}
