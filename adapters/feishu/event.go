package feishu

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// Event types loopbot subscribes to (developer console → Events and
// callbacks).
const (
	typeMessageReceive = "im.message.receive_v1"
	typeBotAdded       = "im.chat.member.bot.added_v1"
	typeCardAction     = "card.action.trigger"
	typeURLVerify      = "url_verification"
)

// envelope is a callback body after decryption: a schema 2.0 event or card
// callback (header + event), or the URL verification challenge (type,
// challenge, token), or an encrypted body (encrypt).
type envelope struct {
	Schema    string          `json:"schema"`
	Header    eventHeader     `json:"header"`
	Event     json.RawMessage `json:"event"`
	Type      string          `json:"type"`
	Challenge string          `json:"challenge"`
	Token     string          `json:"token"`
	Encrypt   string          `json:"encrypt"`
}

// eventHeader is the header of a schema 2.0 event.
type eventHeader struct {
	EventID    string `json:"event_id"`
	EventType  string `json:"event_type"`
	CreateTime string `json:"create_time"`
	Token      string `json:"token"`
	AppID      string `json:"app_id"`
	TenantKey  string `json:"tenant_key"`
}

// userID is the id triple Feishu gives for a person.
type userID struct {
	OpenID  string `json:"open_id"`
	UnionID string `json:"union_id"`
	UserID  string `json:"user_id"`
}

// receiveEvent is the event body of im.message.receive_v1.
type receiveEvent struct {
	Sender struct {
		SenderID   userID `json:"sender_id"`
		SenderType string `json:"sender_type"`
	} `json:"sender"`
	Message struct {
		MessageID   string    `json:"message_id"`
		CreateTime  string    `json:"create_time"`
		ChatID      string    `json:"chat_id"`
		ChatType    string    `json:"chat_type"`
		MessageType string    `json:"message_type"`
		Content     string    `json:"content"`
		Mentions    []mention `json:"mentions"`
	} `json:"message"`
}

// mention is one @ in a received message: Key is its placeholder in the
// text ("@_user_1").
type mention struct {
	Key           string `json:"key"`
	ID            userID `json:"id"`
	Name          string `json:"name"`
	MentionedType string `json:"mentioned_type"`
}

// cardActionEvent is the event body of card.action.trigger.
type cardActionEvent struct {
	Operator userID `json:"operator"`
	Action   struct {
		Value     map[string]any `json:"value"`
		Tag       string         `json:"tag"`
		Name      string         `json:"name"`
		FormValue map[string]any `json:"form_value"`
		Timezone  string         `json:"timezone"`
	} `json:"action"`
	Context struct {
		OpenMessageID string `json:"open_message_id"`
		OpenChatID    string `json:"open_chat_id"`
	} `json:"context"`
}

// botAddedEvent is the event body of im.chat.member.bot.added_v1.
type botAddedEvent struct {
	ChatID     string `json:"chat_id"`
	OperatorID userID `json:"operator_id"`
	Name       string `json:"name"`
}

// Button values: the callback value of every button loopbot renders.
const (
	valueAction = "action"
	valueToken  = "token"
)

// errIgnored marks an event that is valid but not for the bot (another
// group's chatter, the bot's own message, an event type it does not use):
// it is acknowledged and dropped.
var errIgnored = errors.New("event not for the bot")

// decoder turns decrypted callback bodies into bot events.
type decoder struct {
	// botOpenID returns the bot's own open_id, or "" while unknown.
	botOpenID func() string
	// now is the service clock: the time an event is marked as seen, so
	// that de-duplication is pruned on the same clock as everything else.
	now func() time.Time
}

// token returns the verification token a callback carries: header.token
// in a schema 2.0 event or callback, else the top-level token of a schema
// 1.0 event or of the URL verification (SDK event/dispatcher parse).
func (e envelope) token() string {
	if e.Header.Token != "" {
		return e.Header.Token
	}
	return e.Token
}

// parseEnvelope reads a plaintext callback body.
func parseEnvelope(body []byte) (envelope, error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return env, fmt.Errorf("feishu: the callback body is not JSON: %w", err)
	}
	return env, nil
}

// decode turns an event envelope into a bot event. It returns errIgnored
// for events the bot does not act on.
func (d decoder) decode(env envelope) (bot.Event, error) {
	switch env.Header.EventType {
	case typeMessageReceive:
		return d.message(env)
	case typeCardAction:
		return d.action(env)
	case typeBotAdded:
		return d.botAdded(env)
	}
	return bot.Event{}, errIgnored
}

// message decodes im.message.receive_v1: a text in a direct chat, or in a
// group where the bot is @-ed. The event id is the message id, so that the
// same message delivered under another event id has one effect.
func (d decoder) message(env envelope) (bot.Event, error) {
	var ev receiveEvent
	if err := json.Unmarshal(env.Event, &ev); err != nil {
		return bot.Event{}, fmt.Errorf("feishu: im.message.receive_v1: %w", err)
	}
	m := ev.Message
	from := ev.Sender.SenderID.OpenID
	if ev.Sender.SenderType != "user" || from == "" || m.MessageID == "" || m.ChatID == "" {
		return bot.Event{}, errIgnored
	}
	text, ok := messageText(m.MessageType, m.Content)
	if !ok {
		return bot.Event{}, errIgnored
	}
	group := m.ChatType != "p2p"
	text, names, addressed := d.rewriteMentions(text, m.Mentions)
	if group && !addressed {
		return bot.Event{}, errIgnored
	}
	out := bot.Event{
		ID: "feishu:msg:" + m.MessageID, Platform: bot.Feishu, Kind: bot.EventMessage,
		From: bot.PersonID("feishu:" + from), Time: d.now(),
		Text: strings.TrimSpace(text), Names: names,
	}
	if group {
		out.Chat = bot.Group(bot.Feishu, m.ChatID)
	} else {
		out.Chat = bot.DM(out.From)
	}
	return out, nil
}

// messageText returns the text of a text message, or of a rich-text (post)
// message's text elements.
func messageText(kind, content string) (string, bool) {
	switch kind {
	case "text":
		var c struct {
			Text string `json:"text"`
		}
		if json.Unmarshal([]byte(content), &c) != nil {
			return "", false
		}
		return c.Text, true
	case "post":
		return postText(content)
	}
	return "", false
}

// postText flattens a received post: its title and the text of its text
// and at elements, one line per paragraph.
func postText(content string) (string, bool) {
	var c struct {
		Title   string `json:"title"`
		Content [][]struct {
			Tag      string `json:"tag"`
			Text     string `json:"text"`
			UserID   string `json:"user_id"`
			UserName string `json:"user_name"`
		} `json:"content"`
	}
	if json.Unmarshal([]byte(content), &c) != nil {
		return "", false
	}
	var lines []string
	for _, para := range c.Content {
		var b strings.Builder
		for _, el := range para {
			switch el.Tag {
			case "text", "a":
				b.WriteString(el.Text)
			case "at":
				// Posts carry the placeholder in user_id ("@_user_1").
				b.WriteString(" " + el.UserID + " ")
			}
		}
		lines = append(lines, b.String())
	}
	return strings.Join(lines, "\n"), true
}

// rewriteMentions replaces the mention placeholders of a text: the bot's
// own mention is removed, @_all becomes plain text, and each person becomes
// "@feishu:<open_id>", the form the command parser reads as a person. It
// returns the names Feishu gave for the people, and whether the bot was
// mentioned (or, while the bot's own open_id is unknown, whether a mention
// looks like a bot's, or else the text starts with a mention).
func (d decoder) rewriteMentions(text string, mentions []mention) (string, map[bot.PersonID]string, bool) {
	self := d.botOpenID()
	addressed := false
	names := map[bot.PersonID]string{}
	// Replace longer keys first, so that @_user_1 does not eat @_user_10.
	sorted := append([]mention(nil), mentions...)
	sort.Slice(sorted, func(i, j int) bool { return len(sorted[i].Key) > len(sorted[j].Key) })
	botLike := func(mt mention) bool {
		return mt.MentionedType == "bot" || mt.ID.UserID == "" && mt.ID.UnionID == "" && mt.ID.OpenID != ""
	}
	// While the bot is unknown and no mention looks like a bot, the
	// mention a message starts with ("@bot /command") is the bot's: with
	// im:message.group_at_msg, Feishu delivers only group messages that @
	// the bot.
	leading := ""
	if self == "" && !slices.ContainsFunc(sorted, botLike) {
		start := strings.TrimSpace(text)
		for _, mt := range sorted {
			if mt.Key != "" && strings.HasPrefix(start, mt.Key) {
				leading = mt.Key
				break
			}
		}
	}
	for _, mt := range sorted {
		if mt.Key == "" {
			continue
		}
		isBot := mt.ID.OpenID != "" && mt.ID.OpenID == self || self == "" && (botLike(mt) || mt.Key == leading)
		switch {
		case isBot:
			addressed = true
			text = strings.ReplaceAll(text, mt.Key, " ")
		case mt.ID.OpenID == "":
			text = strings.ReplaceAll(text, mt.Key, " "+mt.Name+" ")
		default:
			id := bot.PersonID("feishu:" + mt.ID.OpenID)
			if mt.Name != "" {
				names[id] = mt.Name
			}
			text = strings.ReplaceAll(text, mt.Key, " @"+string(id)+" ")
		}
	}
	// "@_all" is Feishu's placeholder for @所有人; it names nobody.
	text = strings.ReplaceAll(text, "@_all", " ")
	if len(names) == 0 {
		names = nil
	}
	return collapseSpaces(text), names, addressed
}

// collapseSpaces trims and squeezes the runs of spaces that replacing
// mentions leaves, keeping line breaks.
func collapseSpaces(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// action decodes card.action.trigger: a button click or a form submit on a
// card loopbot sent. The button's callback value carries the action name
// and the signed token.
func (d decoder) action(env envelope) (bot.Event, error) {
	var ev cardActionEvent
	if err := json.Unmarshal(env.Event, &ev); err != nil {
		return bot.Event{}, fmt.Errorf("feishu: card.action.trigger: %w", err)
	}
	name, _ := ev.Action.Value[valueAction].(string)
	token, _ := ev.Action.Value[valueToken].(string)
	if ev.Operator.OpenID == "" || name == "" || env.Header.EventID == "" {
		return bot.Event{}, errIgnored
	}
	from := bot.PersonID("feishu:" + ev.Operator.OpenID)
	out := bot.Event{
		ID: "feishu:event:" + env.Header.EventID, Platform: bot.Feishu, Kind: bot.EventAction,
		From: from, Time: d.now(),
		Action: &bot.ActionEvent{Name: name, Token: token, Form: formValues(ev.Action.FormValue), MessageRef: ev.Context.OpenMessageID},
	}
	if ev.Context.OpenChatID != "" {
		out.Chat = bot.Group(bot.Feishu, ev.Context.OpenChatID)
	} else {
		out.Chat = bot.DM(from)
	}
	return out, nil
}

// formValues flattens a form's values to strings: a date picker's
// "2024-04-01 +0800" becomes "2024-04-01", a multi-select's list is joined
// with commas, numbers are written as typed.
func formValues(in map[string]any) map[string]string {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[k] = formValue(v)
	}
	return out
}

func formValue(v any) string {
	switch v := v.(type) {
	case string:
		if d, zone, ok := strings.Cut(v, " "); ok && isISODate(d) && (strings.HasPrefix(zone, "+") || strings.HasPrefix(zone, "-")) {
			return d
		}
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case []any:
		parts := make([]string, 0, len(v))
		for _, x := range v {
			parts = append(parts, formValue(x))
		}
		return strings.Join(parts, ",")
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func isISODate(s string) bool {
	_, err := time.Parse("2006-01-02", s)
	return err == nil
}

// botAdded decodes im.chat.member.bot.added_v1 into a "joined" event for
// the group, from the person who added the bot.
func (d decoder) botAdded(env envelope) (bot.Event, error) {
	var ev botAddedEvent
	if err := json.Unmarshal(env.Event, &ev); err != nil {
		return bot.Event{}, fmt.Errorf("feishu: im.chat.member.bot.added_v1: %w", err)
	}
	if ev.ChatID == "" || ev.OperatorID.OpenID == "" || env.Header.EventID == "" {
		return bot.Event{}, errIgnored
	}
	return bot.Event{
		ID: "feishu:event:" + env.Header.EventID, Platform: bot.Feishu, Kind: bot.EventJoined,
		From: bot.PersonID("feishu:" + ev.OperatorID.OpenID), Chat: bot.Group(bot.Feishu, ev.ChatID),
		Time: d.now(),
	}, nil
}
