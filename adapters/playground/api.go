package playground

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/loopbot/loopbot/bot"
)

//go:embed web
var webFS embed.FS

// maxBody is the largest request body the API reads.
const maxBody = 64 << 10

// Routes registers the page and the API on mux, behind guard: a request
// must name this playground in its Host and come from its own page or none.
func (a *Adapter) Routes(mux *http.ServeMux) {
	web, _ := fs.Sub(webFS, "web")
	mux.Handle("GET /playground/", a.guard(http.StripPrefix("/playground/", http.FileServer(http.FS(web)))))
	mux.Handle("GET /playground/api/people", a.guard(http.HandlerFunc(a.people)))
	mux.Handle("POST /playground/api/messages", a.guard(http.HandlerFunc(a.postMessage)))
	mux.Handle("GET /playground/api/chats/{chat}", a.guard(http.HandlerFunc(a.chat)))
	mux.Handle("POST /playground/api/actions", a.guard(http.HandlerFunc(a.postAction)))
	mux.Handle("GET /playground/api/clock", a.guard(http.HandlerFunc(a.getClock)))
	mux.Handle("POST /playground/api/clock", a.guard(http.HandlerFunc(a.postClock)))
	mux.Handle("GET /{$}", a.guard(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/playground/", http.StatusFound)
	})))
}

type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, format string, args ...any) {
	writeJSON(w, status, map[string]apiError{"error": {Code: code, Message: fmt.Sprintf(format, args...)}})
}

// decode reads a JSON body into v, refusing unknown fields. It answers 415
// to a body that is not declared application/json (a cross-site form can
// only send text/plain and form types), and 400 to one that is not valid
// UTF-8 (encoding/json would turn the bytes into U+FFFD).
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if !isJSON(r) {
		writeError(w, http.StatusUnsupportedMediaType, bot.EINVALID, "the body must be JSON, sent as Content-Type: application/json")
		return false
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, bot.EINVALID, "the body could not be read: %v", err)
		return false
	}
	if !utf8.Valid(raw) {
		writeError(w, http.StatusBadRequest, bot.EINVALID, "the body is not valid UTF-8 text")
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, bot.EINVALID, "the body is not valid JSON for this call: %v", err)
		return false
	}
	return true
}

func (a *Adapter) people(w http.ResponseWriter, r *http.Request) {
	people := a.cfg.People
	if people == nil {
		people = []Person{}
	}
	groups := a.cfg.Groups
	if groups == nil {
		groups = []Group{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"people": people, "groups": groups})
}

type messageIn struct {
	From string `json:"from"`
	Chat string `json:"chat"`
	Text string `json:"text"`
}

func (a *Adapter) postMessage(w http.ResponseWriter, r *http.Request) {
	var in messageIn
	if !decode(w, r, &in) {
		return
	}
	p, ok := a.person(in.From)
	if !ok {
		writeError(w, http.StatusBadRequest, bot.EINVALID, "from: %q is not a playground person", in.From)
		return
	}
	target, chat, ok := a.resolveChat(w, in)
	if !ok {
		return
	}
	if strings.TrimSpace(in.Text) == "" {
		writeError(w, http.StatusBadRequest, bot.EINVALID, "text: the message is empty")
		return
	}
	// The chat line and the command's handling commit together: a crash
	// between them cannot leave a line that is never answered.
	line := bot.ChatMessage{Chat: chat, From: p.ID, Time: a.cfg.Clock.Now(), Text: in.Text}
	ev := bot.Event{Platform: bot.Playground, Kind: bot.EventMessage,
		From: bot.PersonID(bot.Playground + ":" + p.ID), FromName: p.Name, Chat: target, Text: in.Text}
	var id uint64 // the line's id, from the run that committed
	_, _, err := a.cfg.Handler.HandleWith(r.Context(), ev, func(tx bot.Tx, ev *bot.Event) error {
		saved, err := tx.AppendChat(line)
		if err != nil {
			return err
		}
		id = saved.ID
		ev.ID, ev.Time = "playground:msg:"+strconv.FormatUint(id, 10), saved.Time
		return nil
	})
	if err == nil {
		err = a.cfg.Settle(r.Context())
	}
	if err != nil {
		a.internal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"message_id": strconv.FormatUint(id, 10)})
}

// resolveChat resolves the chat of a posted message: "dm" or a group the
// sender is in.
func (a *Adapter) resolveChat(w http.ResponseWriter, in messageIn) (bot.Target, string, bool) {
	if in.Chat == "dm" || in.Chat == "dm:"+in.From {
		return targetOf("dm:" + in.From), "dm:" + in.From, true
	}
	if _, ok := a.group(in.Chat); !ok {
		writeError(w, http.StatusNotFound, bot.ENOTFOUND, "chat: there is no group %q; use \"dm\" or a group id", in.Chat)
		return bot.Target{}, "", false
	}
	if !a.canSee(in.From, in.Chat) {
		writeError(w, http.StatusForbidden, bot.EFORBIDDEN, "chat: %s is not a member of %s", in.From, in.Chat)
		return bot.Target{}, "", false
	}
	return targetOf(in.Chat), in.Chat, true
}

// handle passes an event to the bot and waits until its answers are
// delivered.
func (a *Adapter) handle(r *http.Request, ev bot.Event) (bot.Response, error) {
	resp, err := a.cfg.Handler.Handle(r.Context(), ev)
	if err != nil {
		return resp, err
	}
	return resp, a.cfg.Settle(r.Context())
}

func (a *Adapter) internal(w http.ResponseWriter, err error) {
	a.logger.Error("request failed", slog.Any("error", err))
	writeError(w, http.StatusInternalServerError, bot.EINTERNAL, "internal error; nothing was lost, try again")
}

type messageOut struct {
	ID   string    `json:"id"`
	From string    `json:"from"`
	Time time.Time `json:"time"`
	Text string    `json:"text,omitempty"`
	Card *bot.Card `json:"card,omitempty"`
}

func (a *Adapter) chat(w http.ResponseWriter, r *http.Request) {
	chat := r.PathValue("chat")
	if rest, ok := strings.CutPrefix(chat, "dm:"); ok {
		if _, known := a.person(rest); !known {
			writeError(w, http.StatusNotFound, bot.ENOTFOUND, "chat: there is no person %q", rest)
			return
		}
	} else if _, ok := a.group(chat); !ok {
		writeError(w, http.StatusNotFound, bot.ENOTFOUND, "chat: %q is neither dm:<person> nor a group id", chat)
		return
	}
	msgs, err := a.cfg.Log.ChatMessages(r.Context(), chat)
	if err != nil {
		a.internal(w, err)
		return
	}
	// Times are in the zone of the viewer (?as=, else the person of a
	// direct chat, else the calendar's), as the page shows them.
	viewer := r.URL.Query().Get("as")
	if rest, ok := strings.CutPrefix(chat, "dm:"); ok && viewer == "" {
		viewer = rest
	}
	loc, ok := a.zoneOf(w, r, viewer)
	if !ok {
		return
	}
	out := make([]messageOut, len(msgs))
	for i, m := range msgs {
		at := m.Time
		if loc != nil {
			at = at.In(loc)
		}
		out[i] = messageOut{ID: strconv.FormatUint(m.ID, 10), From: m.From, Time: at, Text: m.Text, Card: publicCard(m.Card)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": out})
}

type actionIn struct {
	As        string         `json:"as"`
	MessageID string         `json:"message_id"`
	Action    string         `json:"action"`
	Form      map[string]any `json:"form"`
}

type actionOut struct {
	Toast string    `json:"toast,omitempty"`
	Card  *bot.Card `json:"card,omitempty"`
}

func (a *Adapter) postAction(w http.ResponseWriter, r *http.Request) {
	var in actionIn
	if !decode(w, r, &in) {
		return
	}
	p, ok := a.person(in.As)
	if !ok {
		writeError(w, http.StatusBadRequest, bot.EINVALID, "as: %q is not a playground person", in.As)
		return
	}
	msg, ok := a.actionMessage(w, r, in)
	if !ok {
		return
	}
	if !a.canSee(p.ID, msg.Chat) {
		writeJSON(w, http.StatusOK, actionOut{Toast: "This card is not in any of your chats. 这不是你会话中的卡片。"})
		return
	}
	if msg.Card.Finished() {
		writeJSON(w, http.StatusOK, actionOut{Toast: "This card was already handled; nothing changed. 此卡片已处理过，未做任何更改。", Card: publicCard(msg.Card)})
		return
	}
	act, found := msg.Card.Action(in.Action)
	if !found {
		writeJSON(w, http.StatusOK, actionOut{Toast: fmt.Sprintf("This card has no %q button now; nothing changed. 此卡片当前没有该按钮，未做更改。", in.Action), Card: publicCard(msg.Card)})
		return
	}
	form, err := formStrings(in.Form)
	if err != nil {
		writeJSON(w, http.StatusOK, actionOut{Toast: err.Error()})
		return
	}
	target := targetOf(msg.Chat)
	ev := bot.Event{ID: newEventID("act"), Platform: bot.Playground, Kind: bot.EventAction, From: bot.PersonID(bot.Playground + ":" + p.ID),
		FromName: p.Name, Chat: target, Time: a.cfg.Clock.Now(),
		Action: &bot.ActionEvent{Name: in.Action, Token: act.Value, Form: form, MessageRef: in.MessageID}}
	resp, err := a.handle(r, ev)
	if err != nil {
		a.internal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, actionOut{Toast: resp.Toast, Card: publicCard(resp.Card)})
}

func (a *Adapter) actionMessage(w http.ResponseWriter, r *http.Request, in actionIn) (bot.ChatMessage, bool) {
	id, err := strconv.ParseUint(in.MessageID, 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, bot.EINVALID, "message_id: %q is not a message id", in.MessageID)
		return bot.ChatMessage{}, false
	}
	msg, err := a.cfg.Log.ChatMessage(r.Context(), id)
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		writeError(w, http.StatusNotFound, bot.ENOTFOUND, "message_id: there is no message %s", in.MessageID)
		return msg, false
	} else if err != nil {
		a.internal(w, err)
		return msg, false
	}
	if msg.Card == nil {
		writeError(w, http.StatusBadRequest, bot.EINVALID, "message_id: message %s is not a card", in.MessageID)
		return msg, false
	}
	return msg, true
}

// formStrings turns the form's JSON values into strings.
func formStrings(in map[string]any) (map[string]string, error) {
	out := make(map[string]string, len(in))
	for k, v := range in {
		switch x := v.(type) {
		case string:
			out[k] = x
		case float64:
			out[k] = strconv.FormatFloat(x, 'f', -1, 64)
		case bool:
			out[k] = strconv.FormatBool(x)
		case nil:
		default:
			return nil, fmt.Errorf("form: %s must be a string or a number", k)
		}
	}
	return out, nil
}

// getClock answers the fake clock's time in the zone of the person given
// as ?as= (the calendar's without), with the zone's name.
func (a *Adapter) getClock(w http.ResponseWriter, r *http.Request) {
	if a.cfg.FakeClock == nil {
		writeError(w, http.StatusForbidden, bot.EFORBIDDEN, "the fake clock is off; set playground.fake_clock = true")
		return
	}
	loc, ok := a.zoneOf(w, r, r.URL.Query().Get("as"))
	if !ok {
		return
	}
	a.writeClock(w, loc)
}

func (a *Adapter) writeClock(w http.ResponseWriter, loc *time.Location) {
	now := a.cfg.Clock.Now()
	if loc != nil {
		now = now.In(loc)
	}
	writeJSON(w, http.StatusOK, map[string]string{"now": now.Format(time.RFC3339), "zone": now.Location().String()})
}

// zoneOf returns the zone of a person of the page ("" for the calendar's),
// or answers 400 for an unknown one.
func (a *Adapter) zoneOf(w http.ResponseWriter, r *http.Request, person string) (*time.Location, bool) {
	if person != "" {
		if _, ok := a.person(person); !ok {
			writeError(w, http.StatusBadRequest, bot.EINVALID, "as: there is no person %q", person)
			return nil, false
		}
	}
	if a.cfg.Zone == nil {
		return nil, true
	}
	return a.cfg.Zone(r.Context(), person), true
}

type clockIn struct {
	Set     string `json:"set"`
	Advance string `json:"advance"`
	// As names the person whose zone the answer is in, and the zone of a
	// set time written without an offset.
	As string `json:"as"`
}

func (a *Adapter) postClock(w http.ResponseWriter, r *http.Request) {
	if a.cfg.FakeClock == nil {
		writeError(w, http.StatusForbidden, bot.EFORBIDDEN, "the fake clock is off; set playground.fake_clock = true")
		return
	}
	var in clockIn
	if !decode(w, r, &in) {
		return
	}
	loc, ok := a.zoneOf(w, r, in.As)
	if !ok {
		return
	}
	move, err := a.clockMove(in, loc)
	if err != nil {
		writeError(w, http.StatusBadRequest, bot.EINVALID, "%s", err.Error())
		return
	}
	if err := move(r.Context()); err != nil {
		switch bot.ErrorCode(err) {
		case bot.ECONFLICT:
			writeError(w, http.StatusConflict, bot.ECONFLICT, "%s", bot.ErrorMessage(err))
		case bot.EINVALID:
			writeError(w, http.StatusBadRequest, bot.EINVALID, "%s", bot.ErrorMessage(err))
		default:
			a.internal(w, err)
		}
		return
	}
	a.writeClock(w, loc)
}

// clockMove reads a clock request into the call that makes it. An advance
// is resolved against the clock only when its turn comes, so that
// concurrent advances add up.
func (a *Adapter) clockMove(in clockIn, loc *time.Location) (func(context.Context) error, error) {
	switch {
	case in.Set != "" && in.Advance != "":
		return nil, errors.New("give either set or advance, not both")
	case in.Set != "":
		t, err := parseSet(in.Set, loc)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) error { return a.cfg.FakeClock.Set(ctx, t) }, nil
	case in.Advance != "":
		d, err := parseAdvance(in.Advance)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) error { return a.cfg.FakeClock.Advance(ctx, d) }, nil
	}
	return nil, errors.New("give set (RFC 3339) or advance (like 26h or 2d)")
}

// parseSet reads a set time: RFC 3339, or a wall time without an offset
// (2026-11-24T09:30 or 2026-11-24T09:30:00) in loc, the zone of the person
// the page shows (bot.Date.At: a time that daylight saving skips moves
// forward by the gap).
func parseSet(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if w, err := time.Parse(layout, s); err == nil && loc != nil {
			return bot.DateOf(w).At(w.Hour(), w.Minute(), loc).Add(time.Duration(w.Second()) * time.Second), nil
		}
	}
	return time.Time{}, fmt.Errorf("set: %q is not an RFC 3339 time like 2026-11-23T09:29:00+08:00, or a wall time like 2026-11-23T09:29 in the zone of the person given as \"as\"", s)
}

// parseAdvance reads a positive Go duration, or whole days as "2d", of at
// most MaxClockJump.
func parseAdvance(s string) (time.Duration, error) {
	var d time.Duration
	var err error
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		n, err = strconv.Atoi(days)
		if err == nil && n > int(MaxClockJump/(24*time.Hour)) {
			n = int(MaxClockJump/(24*time.Hour)) + 1 // too far, without overflowing
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		d, err = time.ParseDuration(s)
	}
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("advance: %q is not a positive duration like 90m, 26h or 2d", s)
	}
	if d > MaxClockJump {
		return 0, fmt.Errorf("advance: %q is more than the %d days that the clock moves at most at a time; move it in steps", s, MaxClockJump/(24*time.Hour))
	}
	return d, nil
}
