// Package wecom is the WeCom (企业微信) adapter: a self-built app's callback
// URL (signature + AES, composed from github.com/silenceper/wechat/v2 util),
// app messages with template cards (button_interaction and
// multiple_interaction), card updates through response codes, and group
// warnings through each project's group robot webhook.
//
// A self-built app sees only its own chat with each member: it cannot read
// or post in group chats. Group cards therefore go to a group robot, set per
// project with /project webhook or in config.
package wecom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// Handler handles inbound events; the engine implements it.
type Handler interface {
	Handle(ctx context.Context, ev bot.Event) (bot.Response, error)
}

// Config configures the adapter.
type Config struct {
	CorpID         string
	AgentID        int
	Secret         string
	Token          string
	EncodingAESKey string
	// APIBase is the server API, DefaultAPIBase unless a private deployment
	// or a test says otherwise.
	APIBase string
	// Robots are the group robots of [[wecom.group_robots]]: project code
	// (P1) → webhook URL. Robots set by /project webhook live in the store.
	Robots map[string]string
	// Lang is the language of the adapter's own prompts for a person who
	// set none ("zh" or "en").
	Lang  string
	Store bot.Store
	Clock bot.Clock
	// Kick wakes the outbox after the adapter queued a message.
	Kick func()
	// Expired reports whether a card has waited past its use (a check-in
	// card after the day's cut-off): such a card is not sent, and the outbox
	// dead-letters it, so that it is counted and logged, not lost silently.
	Expired    func(c bot.Card, now time.Time) bool
	HTTPClient *http.Client
	Logger     *slog.Logger
}

// Adapter is the WeCom messenger and its callback endpoint.
type Adapter struct {
	cfg     Config
	crypto  *Crypto
	api     *client
	log     *slog.Logger
	handler Handler

	kick   chan struct{}
	procMu sync.Mutex
	depts  bot.DepartmentCache // department names for LookUp
	// files keeps the media_ids of files sent, for retries.
	files mediaCache
}

// New checks the config and returns the adapter. It returns an error naming
// a key that is missing or malformed.
func New(cfg Config) (*Adapter, error) {
	crypto, err := NewCrypto(cfg.Token, cfg.EncodingAESKey, cfg.CorpID)
	if err != nil {
		return nil, err
	}
	if cfg.AgentID <= 0 || cfg.Secret == "" {
		return nil, errors.New("wecom: agent_id and secret are required")
	}
	if cfg.APIBase == "" {
		cfg.APIBase = DefaultAPIBase
	}
	cfg.APIBase = strings.TrimRight(cfg.APIBase, "/")
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = bot.SystemClock{}
	}
	if cfg.Kick == nil {
		cfg.Kick = func() {}
	}
	a := &Adapter{cfg: cfg, crypto: crypto, log: cfg.Logger.With("component", "wecom"), kick: make(chan struct{}, 1),
		api: &client{base: cfg.APIBase, corpID: cfg.CorpID, secret: cfg.Secret, agentID: cfg.AgentID, http: cfg.HTTPClient}}
	return a, nil
}

// SetHandler sets the event handler, for wiring where the engine is built
// after the adapter.
func (a *Adapter) SetHandler(h Handler) { a.handler = h }

// Platform implements bot.Messenger.
func (a *Adapter) Platform() string { return bot.WeCom }

// Meta keys of the adapter's state in the store.
const (
	metaRC      = "wecom/rc/"      // + task_id → responseCode: the unused code of a template card
	metaKey     = "wecom/key/"     // + ref → a button key too long for WeCom
	metaAsk     = "wecom/ask/"     // + userid → pending: the free-text reply the bot asked for
	metaCheckin = "wecom/checkin/" // + userid/card → checkinState: a check-in answered card by card
	metaInbox   = "wecom/inbox/"   // + sequence → inbound: an accepted callback not yet handled
	metaSeq     = "wecom/inbox_seq"
	metaRobot   = "wecom/robot/"    // + chat → webhook URL set by /project webhook
	metaFollow  = "wecom/follow/"   // + card id → the lines of a group warning a chat was told of (bot.TellChange)
	eventInbox  = "wecom-callback:" // + dedup key: the de-duplication mark of a callback
)

// responseCode is a template card's response_code: single use, valid 72 h.
type responseCode struct {
	Code string    `json:"code"`
	At   time.Time `json:"at"`
}

// rcLife is how long WeCom honours a response code.
const rcLife = 72 * time.Hour

func (a *Adapter) now() time.Time { return a.cfg.Clock.Now() }

// putMeta writes one meta value as JSON in its own transaction.
func (a *Adapter) putMeta(ctx context.Context, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return a.cfg.Store.Update(ctx, func(tx bot.Tx) error { return tx.PutMeta(key, raw) })
}

// saveRC keeps a template card's response code for its next update.
func (a *Adapter) saveRC(ctx context.Context, tid, code string) {
	if code == "" || tid == "" {
		return
	}
	if err := a.putMeta(context.WithoutCancel(ctx), metaRC+tid, responseCode{Code: code, At: a.now()}); err != nil {
		a.log.Error("save response code", slog.Any("error", err))
	}
}

// takeRC returns a card's unused, unexpired response code and forgets it:
// a code is good for one update only.
func (a *Adapter) takeRC(ctx context.Context, tid string) string {
	var rc responseCode
	err := a.cfg.Store.Update(context.WithoutCancel(ctx), func(tx bot.Tx) error {
		raw, err := tx.Meta(metaRC + tid)
		if err != nil || len(raw) == 0 {
			return nil
		}
		_ = json.Unmarshal(raw, &rc)
		return tx.DeleteMeta(metaRC + tid)
	})
	if err != nil || rc.Code == "" || a.now().Sub(rc.At) >= rcLife {
		return ""
	}
	return rc.Code
}

// fitKey returns a key that fits WeCom's 1024 bytes: the key itself, or a
// short reference to it kept in the store ("ref:<n>").
func (a *Adapter) fitKey(ctx context.Context) keyFunc {
	return func(key string) (string, error) {
		if len(key) <= maxKeyBytes {
			return key, nil
		}
		ref := shortHash(key)
		if err := a.cfg.Store.Update(ctx, func(tx bot.Tx) error { return tx.PutMeta(metaKey+ref, []byte(key)) }); err != nil {
			return "", fmt.Errorf("wecom: keep a long button key: %w", err)
		}
		return "ref:" + ref, nil
	}
}

// resolveKey undoes fitKey.
func (a *Adapter) resolveKey(ctx context.Context, key string) string {
	ref, ok := strings.CutPrefix(key, "ref:")
	if !ok {
		return key
	}
	var out string
	_ = a.cfg.Store.View(ctx, func(tx bot.Tx) error {
		raw, err := tx.Meta(metaKey + ref)
		if err == nil {
			out = string(raw)
		}
		return nil
	})
	return out
}

// langOf returns the language a member reads.
func (a *Adapter) langOf(ctx context.Context, user string) lang {
	l := lang(a.cfg.Lang)
	_ = a.cfg.Store.View(ctx, func(tx bot.Tx) error {
		p, err := tx.Person(bot.PersonID(bot.WeCom + ":" + user))
		if err == nil && p.Lang != "" {
			l = lang(p.Lang)
		}
		return nil
	})
	return l
}

// lang is "zh" or "en"; anything else reads as zh.
type lang string

func (l lang) t(en, zh string) string {
	if l == "en" {
		return en
	}
	return zh
}

func (l lang) f(en, zh string, args ...any) string { return fmt.Sprintf(l.t(en, zh), args...) }

// limitMargin widens each of WeCom's windows: WeCom counts messages when
// they reach it, after a latency that varies, so a message sent just as a
// window frees up could still fall into it on WeCom's side, and be dropped
// without an error.
const limitMargin = 2 * time.Second

// Limits returns the outbox's rate limits for WeCom: 30 a minute and 1000
// an hour to one member, and 20 a minute to one group robot (SPEC §6, and
// 发送应用消息 path/90236, 群机器人 path/91770), each window widened by a
// margin for the latency to WeCom.
func Limits() []bot.Limit {
	out := bot.DefaultLimits(bot.WeCom)
	for i := range out {
		out[i].Per += limitMargin
	}
	return out
}
