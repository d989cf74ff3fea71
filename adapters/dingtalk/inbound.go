package dingtalk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode"

	"github.com/open-dingtalk/dingtalk-stream-sdk-go/card"
	"github.com/open-dingtalk/dingtalk-stream-sdk-go/chatbot"
	"github.com/open-dingtalk/dingtalk-stream-sdk-go/payload"

	"github.com/loopbot/loopbot/bot"
)

// Answers of CALLBACK frames, as protocol.md shows them: a chatbot message
// is answered {"response": null}; a card callback {"response": {…}} with
// the card's new data, if any.
const (
	chatbotAck = `{"response": null}`
	eventAck   = `{"status": "SUCCESS", "message": "success"}`
)

// handleFrame turns a CALLBACK or EVENT frame into an event, hands it to the
// engine, and answers once the engine returns (the event has committed, or
// it was a duplicate). A frame that cannot be read is answered OK and
// logged, since pushing it again would not help; a store failure is
// answered 500, so that DingTalk pushes the frame again.
func (a *Adapter) handleFrame(ctx context.Context, df *payload.DataFrame) *payload.DataFrameResponse {
	resp := payload.NewSuccessDataFrameResponse()
	var ev bot.Event
	var err error
	switch df.GetTopic() {
	case payload.BotMessageCallbackTopic:
		resp.SetData(chatbotAck)
		ev, err = a.chatbotEvent(df)
	case payload.CardInstanceCallbackTopic:
		return a.handleCardCallback(ctx, df)
	default:
		// Anything else is read and let go: an EVENT (subscribed as "*")
		// is answered SUCCESS, a CALLBACK of another topic with an empty
		// response, as protocol.md's generic ack shows.
		resp.SetData(eventAck)
		if df.Type == typeCallback {
			resp.SetData(`{"response": {}}`)
		}
		return resp
	}
	if err != nil {
		a.log.Warn("dingtalk: frame refused", "topic", df.GetTopic(), "message_id", df.GetMessageId(), slog.Any("error", err))
		return resp
	}
	if _, err := a.handler.Handle(ctx, ev); err != nil {
		a.log.Error("dingtalk: event not stored; DingTalk will push it again", "event_id", ev.ID, slog.Any("error", err))
		return errorAnswer(df, errors.New("not stored"))
	}
	return resp
}

// handleCardCallback handles an interactive card's callback. Its answer
// is {"response": CardResponse} (SDK card/handler.go, card.CardResponse):
// after a click the engine took, the card's new variables as cardData
// (updateCardDataByKey), so that the card changes at once; and, for the
// person who clicked only, the private variable "toast" (userPrivateData)
// with the reason a click was refused, or "" to clear an earlier one. A
// callback that names its clicker by unionId (userIdType 2) is mapped to
// the userId first; when DingTalk cannot map it, the toast says so.
func (a *Adapter) handleCardCallback(ctx context.Context, df *payload.DataFrame) *payload.DataFrameResponse {
	resp := payload.NewSuccessDataFrameResponse()
	ev, err := a.cardEvent(ctx, df)
	var ue *unionError
	switch {
	case errors.As(err, &ue) && ue.temporary:
		a.log.Warn("dingtalk: the clicker's unionId could not be mapped yet; DingTalk will push the click again",
			"message_id", df.GetMessageId(), slog.Any("error", ue.err))
		return errorAnswer(df, errors.New("unionId not mapped yet"))
	case errors.As(err, &ue):
		a.log.Warn("dingtalk: the clicker's unionId has no userId; the click is refused", "message_id", df.GetMessageId(), slog.Any("error", ue.err))
		resp.SetData(a.cardAnswer(nil, unknownClicker))
		return resp
	case err != nil:
		a.log.Warn("dingtalk: frame refused", "topic", df.GetTopic(), "message_id", df.GetMessageId(), slog.Any("error", err))
		resp.SetData(`{"response": {}}`)
		return resp
	}
	answer, err := a.handler.Handle(ctx, ev)
	if err != nil {
		a.log.Error("dingtalk: event not stored; DingTalk will push it again", "event_id", ev.ID, slog.Any("error", err))
		return errorAnswer(df, errors.New("not stored"))
	}
	if answer.Toast != "" && answer.Card == nil {
		// A refusal. Not every template shows the private toast, so the
		// reason also goes to the clicker's direct chat, after the answer
		// to the frame.
		go a.toast(ev, answer.Toast)
	}
	resp.SetData(a.cardAnswer(answer.Card, answer.Toast))
	return resp
}

// unknownClicker is the toast of a click whose unionId DingTalk could not
// map to a person of the organisation.
const unknownClicker = "钉钉没能告诉 loopbot 你是谁（unionId 换不到 userId），这次点击没有生效；请管理员查看 loopbot 的日志。" +
	" DingTalk did not tell loopbot who you are (no userId for your unionId), so the click did nothing; ask an admin to check loopbot's log."

// cardAnswer is the data of a card callback's answer: {"response":
// {"cardData": {"cardParamMap": …}, "cardUpdateOptions": {…},
// "userPrivateData": {"cardParamMap": {"toast": …}}}}. cardData is there
// only for a card of a kind with a template; the toast is always set, so
// that an empty one clears the last refusal shown.
func (a *Adapter) cardAnswer(c *bot.Card, toast string) string {
	out := card.CardResponse{
		CardUpdateOptions: &card.CardUpdateOptions{UpdatePrivateDataByKey: true},
		UserPrivateData:   &card.CardDataDto{CardParamMap: map[string]string{"toast": toast}},
	}
	if c != nil && a.template(c.Kind) != "" {
		out.CardData = &card.CardDataDto{CardParamMap: templateParams(*c)}
		out.CardUpdateOptions.UpdateCardDataByKey = true
	}
	raw, err := json.Marshal(map[string]any{"response": out})
	if err != nil {
		return `{"response": {}}`
	}
	return string(raw)
}

// chatbotEvent decodes a chatbot message (topic /v1.0/im/bot/messages/get,
// SDK chatbot.BotCallbackDataModel): a direct chat (conversationType "1")
// or a group where the robot was @-ed ("2"). The sender is
// dingtalk:<senderStaffId>; @-ed people other than the robot become
// mentions @dingtalk:<staffId>. The event id is the message's msgId, which
// stays the same when DingTalk pushes it again.
func (a *Adapter) chatbotEvent(df *payload.DataFrame) (bot.Event, error) {
	var m chatbot.BotCallbackDataModel
	if err := json.Unmarshal([]byte(df.Data), &m); err != nil {
		return bot.Event{}, fmt.Errorf("chatbot message: %w", err)
	}
	if m.SenderStaffId == "" {
		return bot.Event{}, errors.New("chatbot message: no senderStaffId (a person outside the organisation)")
	}
	from := bot.PersonID(bot.DingTalk + ":" + m.SenderStaffId)
	var chat bot.Target
	switch m.ConversationType {
	case "1":
		chat = bot.DM(from)
	case "2":
		if m.ConversationId == "" {
			return bot.Event{}, errors.New("chatbot message: group message without conversationId")
		}
		chat = bot.Group(bot.DingTalk, m.ConversationId)
	default:
		return bot.Event{}, fmt.Errorf("chatbot message: conversationType %q", m.ConversationType)
	}
	id := m.MsgId
	if id == "" {
		id = df.GetMessageId()
	}
	if id == "" {
		return bot.Event{}, errors.New("chatbot message: no msgId")
	}
	a.remember(chat, m.SessionWebhook, m.SessionWebhookExpiredTime)
	at := time.UnixMilli(df.GetTimestamp())
	if df.GetTimestamp() == 0 {
		at = time.Now()
	}
	return bot.Event{
		ID: bot.DingTalk + ":" + id, Platform: bot.DingTalk, Kind: bot.EventMessage,
		From: from, FromName: m.SenderNick, Chat: chat, Time: at, Text: messageText(m),
	}, nil
}

// messageText is the text of a chatbot message with its mentions: the
// robot's own @ is not in the text; each other @-ed person's "@name" is
// taken out and @dingtalk:<staffId> is added at the end, in the order of
// atUsers.
func messageText(m chatbot.BotCallbackDataModel) string {
	text := strings.TrimSpace(m.Text.Content)
	var mentions []string
	for _, u := range m.AtUsers {
		if u.StaffId == "" || u.DingtalkId == m.ChatbotUserId {
			continue
		}
		mentions = append(mentions, "@"+bot.DingTalk+":"+u.StaffId)
	}
	if len(mentions) == 0 {
		return text
	}
	words := strings.FieldsFunc(text, unicode.IsSpace)
	out := words[:0]
	removed := 0
	for _, w := range words {
		if removed < len(mentions) && (strings.HasPrefix(w, "@") || strings.HasPrefix(w, "＠")) {
			removed++
			continue
		}
		out = append(out, w)
	}
	return strings.Join(append(out, mentions...), " ")
}

// userIdType values of a card callback: the clicker's userId (staffId),
// or their unionId.
const (
	userIDTypeUserID  = 1
	userIDTypeUnionID = 2
)

// unionError is a clicker's unionId that could not be mapped to a userId.
type unionError struct {
	err       error
	temporary bool
}

func (e *unionError) Error() string { return "map the clicker's unionId: " + e.err.Error() }
func (e *unionError) Unwrap() error { return e.err }

// cardEvent decodes an interactive card's callback (topic
// /v1.0/card/instances/callback, SDK card.CardRequest): the clicker is
// dingtalk:<userId>, mapped from a unionId first when userIdType is 2
// (a *unionError when that fails); the button's params carry "action"
// (the action name) and "token" (its signed value), and the card's form
// values are the other params (the checkin template's numbered inputs
// named back after their tasks, see slotForm).
func (a *Adapter) cardEvent(ctx context.Context, df *payload.DataFrame) (bot.Event, error) {
	var raw struct {
		card.CardRequest
		Value string `json:"value"`
	}
	if err := json.Unmarshal([]byte(df.Data), &raw); err != nil {
		return bot.Event{}, fmt.Errorf("card callback: %w", err)
	}
	req := raw.CardRequest
	content := req.Content
	if content == "" {
		content = raw.Value
	}
	if err := json.Unmarshal([]byte(content), &req.CardActionData); err != nil {
		return bot.Event{}, fmt.Errorf("card callback content: %w", err)
	}
	params := req.CardActionData.CardPrivateData.Params
	action, token := req.GetActionString("action"), req.GetActionString("token")
	if req.UserId == "" || action == "" || token == "" {
		return bot.Event{}, errors.New("card callback: no userId, action or token (not a loopbot card)")
	}
	id := df.GetMessageId()
	if id == "" {
		return bot.Event{}, errors.New("card callback: no messageId")
	}
	user := req.UserId
	switch req.UserIdType {
	case 0, userIDTypeUserID:
	case userIDTypeUnionID:
		var err error
		if user, err = a.userIDOf(ctx, req.UserId); err != nil {
			return bot.Event{}, err
		}
	default:
		return bot.Event{}, fmt.Errorf("card callback: userIdType %d", req.UserIdType)
	}
	form := map[string]string{}
	for k, v := range params {
		if s, ok := v.(string); ok && k != "action" && k != "token" {
			form[k] = s
		} else if n, ok := v.(float64); ok {
			form[k] = fmt.Sprint(n)
		}
	}
	slotForm(form)
	from := bot.PersonID(bot.DingTalk + ":" + user)
	// spaceId names the conversation in both kinds of chat, so the answer
	// to a click goes to the clicker's direct chat.
	chat := bot.DM(from)
	at := time.UnixMilli(df.GetTimestamp())
	if df.GetTimestamp() == 0 {
		at = time.Now()
	}
	return bot.Event{
		ID: bot.DingTalk + ":" + id, Platform: bot.DingTalk, Kind: bot.EventAction, From: from, Chat: chat, Time: at,
		Action: &bot.ActionEvent{Name: action, Token: token, Form: form, MessageRef: "card:" + req.OutTrackId},
	}, nil
}

// metaUnion is the store's key of a unionId's userId: + unionId → userId.
const metaUnion = "dingtalk/unionid/"

// userIDOf maps a unionId to the person's userId: from memory, then the
// store, then DingTalk (topapi/user/getbyunionid), whose answer is kept in
// both. A unionId never changes within an organisation, so the mapping
// is kept for good. Errors are *unionError.
func (a *Adapter) userIDOf(ctx context.Context, unionID string) (string, error) {
	a.mu.Lock()
	id, ok := a.unions[unionID]
	a.mu.Unlock()
	if ok {
		return id, nil
	}
	if st := a.cfg.Store; st != nil {
		err := st.View(ctx, func(tx bot.Tx) error {
			raw, err := tx.Meta(metaUnion + unionID)
			if err == nil {
				id = string(raw)
			} else if bot.ErrorCode(err) == bot.ENOTFOUND {
				err = nil
			}
			return err
		})
		if err != nil {
			return "", &unionError{err: err, temporary: true}
		}
	}
	if id == "" {
		var err error
		if id, err = a.api.userIDByUnionID(ctx, unionID); err != nil {
			return "", &unionError{err: err, temporary: unionTemporary(err)}
		}
		if st := a.cfg.Store; st != nil {
			err := st.Update(ctx, func(tx bot.Tx) error { return tx.PutMeta(metaUnion+unionID, []byte(id)) })
			if err != nil {
				// The mapping is known; only its copy is lost.
				a.log.Warn("dingtalk: unionId mapping not stored", slog.Any("error", err))
			}
		}
	}
	a.mu.Lock()
	a.unions[unionID] = id
	a.mu.Unlock()
	return id, nil
}

// toast shows a refused card action's reason to the person who clicked.
// It is best effort: nothing changed that the outbox would have to carry.
func (a *Adapter) toast(ev bot.Event, msg string) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	title, text := textMarkdown(bot.EscapeMarkdown(msg))
	if _, err := a.sendMarkdown(ctx, bot.DM(ev.From), title, text); err != nil {
		a.log.Warn("dingtalk: toast not sent", "event_id", ev.ID, slog.Any("error", err))
	}
}
