package feishu

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher/callback"

	"github.com/loopbot/loopbot/bot"
)

// handleEnvelope runs one decrypted event: it decodes it, asks the engine
// to handle it, and returns the answer Feishu expects (the card callback's
// toast and card, or nil). An error means the engine did not commit the
// event: it must not be acknowledged, so that Feishu delivers it again.
func (a *Adapter) handleEnvelope(ctx context.Context, env envelope) (any, error) {
	// A card callback is always answered with its own shape: {} when
	// nothing changes (card-callback-communication: toast and card are
	// both optional), never an event's acknowledgement.
	var none any
	if env.Header.EventType == typeCardAction {
		none = &callback.CardActionTriggerResponse{}
	}
	ev, err := a.dec.decode(env)
	if errors.Is(err, errIgnored) {
		a.log.Debug("event ignored", "event_type", env.Header.EventType, "event_id", env.Header.EventID)
		return none, nil
	} else if err != nil {
		// Malformed: a retry would fail the same way.
		a.log.Warn("event dropped", "event_type", env.Header.EventType, "event_id", env.Header.EventID, slog.Any("error", err))
		return none, nil
	}
	if ev.Kind != bot.EventAction {
		ev.FromName = a.nameOf(ctx, ev.From)
	}
	if a.cfg.Handler == nil {
		return nil, errors.New("feishu: no event handler")
	}
	resp, err := a.cfg.Handler.Handle(ctx, ev)
	if err != nil {
		return nil, err
	}
	if ev.Kind != bot.EventAction {
		return nil, nil
	}
	return callbackAnswer(resp), nil
}

// callbackAnswer is the answer to card.action.trigger: the toast, and the
// card's new content (JSON 2.0, type raw) so that it changes at once for the
// person who clicked.
func callbackAnswer(resp bot.Response) *callback.CardActionTriggerResponse {
	out := &callback.CardActionTriggerResponse{}
	if resp.Toast != "" {
		typ := "info"
		if resp.Card == nil {
			// A refusal: nothing changed on the card.
			typ = "warning"
		}
		out.Toast = &callback.Toast{Type: typ, Content: resp.Toast}
	}
	if resp.Card != nil {
		out.Card = &callback.Card{Type: "raw", Data: renderCard(*resp.Card)}
	}
	return out
}

// nameLookup bounds the contact API call made while an event waits.
const nameLookup = 1500 * time.Millisecond

// nameOf returns a person's name from the contact API, for people the store
// does not know by name yet. Without the contact scope it returns "" and
// stops asking for an hour; the name the event carries, if any, serves.
func (a *Adapter) nameOf(ctx context.Context, id bot.PersonID) string {
	if a.cfg.KnownName != nil && a.cfg.KnownName(ctx, id) {
		return ""
	}
	if name, ok := a.names.get(id, a.wallNow()); ok {
		return name
	}
	ctx, cancel := context.WithTimeout(ctx, nameLookup)
	defer cancel()
	name, err := a.api.userName(ctx, id.Local())
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) {
			a.log.Info("contact API refused; using the names events carry", "code", ae.Code)
			a.names.refused(a.wallNow())
		}
		return ""
	}
	a.names.put(id, name)
	return name
}

// nameCache remembers names from the contact API for this run, and when
// the API last refused (no scope).
type nameCache struct {
	mu        sync.Mutex
	names     map[bot.PersonID]string
	refusedAt time.Time
}

func newNameCache() *nameCache { return &nameCache{names: map[bot.PersonID]string{}} }

// get returns a cached name; ok is also true while the API is known to
// refuse, so that it is not asked.
func (c *nameCache) get(id bot.PersonID, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if name, ok := c.names[id]; ok {
		return name, true
	}
	return "", !c.refusedAt.IsZero() && now.Sub(c.refusedAt) < time.Hour
}

func (c *nameCache) put(id bot.PersonID, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.names) > 10000 {
		c.names = map[bot.PersonID]string{}
	}
	c.names[id] = name
}

func (c *nameCache) refused(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.refusedAt = now
}
