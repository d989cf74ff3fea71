package wecom

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/cards"
)

// Duplicate checks of message/send: WeCom drops a message with the same
// content to the same member within the interval, which makes a redelivery
// by the outbox (after a timeout, or a crash between send and record)
// harmless. Template cards carry a task_id unique to their outbox item, so
// their interval is WeCom's maximum, 4 hours, beyond any retry. Texts have no
// such id, and a member may rightly get the same text twice (two /help), so
// theirs covers the outbox's retry window only: eight tries with backoff of
// at most 5 minutes each after the first fail within 10 minutes in practice.
const (
	dupIntervalCard = 4 * 3600
	dupIntervalText = 600
)

// appMessage is the body of message/send (发送应用消息, path/90236).
type appMessage struct {
	ToUser                 string        `json:"touser"`
	MsgType                string        `json:"msgtype"`
	AgentID                int           `json:"agentid"`
	Markdown               *mdContent    `json:"markdown,omitempty"`
	TemplateCard           *TemplateCard `json:"template_card,omitempty"`
	File                   *mediaContent `json:"file,omitempty"`
	EnableDuplicateCheck   int           `json:"enable_duplicate_check"`
	DuplicateCheckInterval int           `json:"duplicate_check_interval"`
}

type mdContent struct {
	Content string `json:"content"`
}

// Send implements bot.Messenger. A direct-chat card becomes template cards
// (or markdown, for a card without actions); a text becomes markdown; a
// group message goes to the group's robot. The ref is the list of task_ids
// (and "md:<msgid>" for markdown) of the messages sent.
func (a *Adapter) Send(ctx context.Context, msg bot.OutMessage) (string, error) {
	if !msg.Target.DM {
		return a.sendRobot(ctx, msg)
	}
	user := msg.Target.Chat
	if msg.Card == nil {
		return a.sendText(ctx, user, renderMarkdown(msg.Text))
	}
	if a.cfg.Expired != nil && a.cfg.Expired(*msg.Card, a.now()) {
		return "", bot.Permanent(fmt.Errorf("wecom: %s card %d not sent: it waited past its use (the check-in cut-off)", msg.Card.Kind, msg.CardID))
	}
	l := a.langOf(ctx, user)
	msgs, err := a.messages(l, *msg.Card, user, func(n int) string { return taskID(msg.CardID, msg.IdemKey, n) }, a.fitKey(ctx))
	if err != nil {
		return "", bot.Temporary(err, 0)
	}
	refs := make([]string, 0, len(msgs))
	for _, m := range msgs {
		ref, err := a.sendMessage(ctx, m)
		if err != nil {
			return "", err
		}
		refs = append(refs, ref)
	}
	return strings.Join(refs, ","), nil
}

// messages renders a card into the message/send bodies that show it.
func (a *Adapter) messages(l lang, c bot.Card, user string, ids func(int) string, key keyFunc) ([]appMessage, error) {
	parts, err := renderCard(l, c, ids, key)
	if err != nil {
		return nil, err
	}
	out := make([]appMessage, len(parts))
	for i, p := range parts {
		if p.Card == nil {
			out[i] = a.markdownMessage(user, p.Markdown)
			continue
		}
		out[i] = appMessage{ToUser: user, MsgType: "template_card", AgentID: a.cfg.AgentID, TemplateCard: p.Card,
			EnableDuplicateCheck: 1, DuplicateCheckInterval: dupIntervalCard}
	}
	return out, nil
}

func (a *Adapter) markdownMessage(user, md string) appMessage {
	return appMessage{ToUser: user, MsgType: "markdown", AgentID: a.cfg.AgentID, Markdown: &mdContent{Content: md},
		EnableDuplicateCheck: 1, DuplicateCheckInterval: dupIntervalText}
}

// sendMessage sends one message and keeps a template card's response code
// for its update. It returns the card's task_id, or "md:<msgid>".
func (a *Adapter) sendMessage(ctx context.Context, m appMessage) (string, error) {
	out, err := a.api.send(ctx, m.ToUser, m)
	if err != nil {
		return "", deliveryError(err)
	}
	if m.TemplateCard == nil {
		return "md:" + out.MsgID, nil
	}
	a.saveRC(ctx, m.TemplateCard.TaskID, out.ResponseCode)
	return m.TemplateCard.TaskID, nil
}

// sendText sends WeCom markdown, split into messages of at most 2048 bytes.
func (a *Adapter) sendText(ctx context.Context, user, md string) (string, error) {
	var ref string
	for _, chunk := range chunks(md, maxMarkdownBytes) {
		r, err := a.sendMessage(ctx, a.markdownMessage(user, chunk))
		if err != nil {
			return "", err
		}
		if ref == "" {
			ref = r
		}
	}
	return ref, nil
}

// chunks splits text at line ends into pieces of at most n bytes.
func chunks(s string, n int) []string {
	if len(s) <= n {
		return []string{s}
	}
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(s, "\n") {
		line = cutBytes(line, n)
		if cur.Len() > 0 && cur.Len()+1+len(line) > n {
			out = append(out, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteByte('\n')
		}
		cur.WriteString(line)
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// updateBody is the body of message/update_template_card.
type updateBody struct {
	UserIDs      []string      `json:"userids"`
	AgentID      int           `json:"agentid"`
	ResponseCode string        `json:"response_code"`
	Button       *replaceName  `json:"button,omitempty"`
	TemplateCard *TemplateCard `json:"template_card,omitempty"`
}

type replaceName struct {
	ReplaceName string `json:"replace_name"`
}

// UpdateCard implements bot.CardUpdater. Each template card of the ref is
// updated through its response code: a finished card's buttons turn grey
// with its state ("已接受 · Bob · 11-23 10:02"); an open card is replaced by
// its new content. A card without a usable code (used, older than 72 h, or
// refused) gets a follow-up message instead (tellChange). Group robot
// messages cannot be edited: the follow-up goes to the robot.
func (a *Adapter) UpdateCard(ctx context.Context, ref string, msg bot.OutMessage) error {
	if msg.Card == nil {
		return bot.Permanent(errors.New("wecom: card update without a card"))
	}
	c := *msg.Card
	if !msg.Target.DM {
		return a.tellChange(ctx, msg, a.langOf(ctx, ""), maxRobotBytes, func(md string) error {
			_, err := a.sendRobot(ctx, bot.OutMessage{Target: msg.Target, Text: md})
			return err
		})
	}
	user := msg.Target.Chat
	ids := strings.Split(ref, ",")
	var parts []part
	if !c.Finished() {
		var err error
		parts, err = renderCard(a.langOf(ctx, user), c, func(n int) string {
			if n < len(ids) {
				return ids[n]
			}
			return ""
		}, a.fitKey(ctx))
		if err != nil {
			return bot.Temporary(err, 0)
		}
	}
	missed := false
	for i, tid := range ids {
		if strings.HasPrefix(tid, "md:") || tid == "" {
			continue
		}
		body := updateBody{UserIDs: []string{user}, AgentID: a.cfg.AgentID}
		if c.Finished() {
			body.Button = &replaceName{ReplaceName: cut(stateLine(c), maxReplaceRunes)}
		} else if i < len(parts) && parts[i].Card != nil {
			body.TemplateCard = parts[i].Card
		} else {
			continue
		}
		if err := a.updatePart(ctx, tid, body); err != nil {
			if temp, _ := bot.IsTemporary(err); temp {
				return err
			}
			missed = true
		}
	}
	if missed || !hasTemplate(ids) {
		return a.tellChange(ctx, msg, a.langOf(ctx, user), maxMarkdownBytes, func(md string) error {
			_, err := a.sendText(ctx, user, renderMarkdown(md))
			return err
		})
	}
	return nil
}

// tellChange tells a chat of a change to a card whose message cannot be
// edited (a group robot's, a markdown message, a template card without a
// usable response code) through send, which takes card markdown. For a
// group warning that is the lines resolved since the chat was last told of
// the card (cards.GroupFollowUp, remembered by bot.TellChange under
// metaFollow until the card record is pruned), in messages of at most
// limit bytes as WeCom markdown, and nothing when no line is newly
// resolved; for another card, followUp.
func (a *Adapter) tellChange(ctx context.Context, msg bot.OutMessage, l lang, limit int, send func(md string) error) error {
	c := *msg.Card
	fits := func(md string) bool { return len(renderMarkdown(md)) <= limit }
	handled, saveErr, err := bot.TellChange(ctx, a.cfg.Store, bot.ToldKey(metaFollow, msg.CardID), a.now(),
		func(told []int) (string, []int, bool) { return cards.GroupFollowUp(cards.Lang(l), c, told, fits) }, send)
	if saveErr != nil {
		a.log.Error("save what a chat was told", slog.Any("error", saveErr))
	}
	if !handled {
		return send(followUp(c))
	}
	return err
}

// errNoCode: the card has no response code left to update it with.
var errNoCode = bot.Permanent(errors.New("wecom: no usable response_code"))

// updatePart updates one template card with its response code.
func (a *Adapter) updatePart(ctx context.Context, tid string, body updateBody) error {
	code := a.takeRC(ctx, tid)
	if code == "" {
		return errNoCode
	}
	body.ResponseCode = code
	if err := a.api.updateCard(ctx, body); err != nil {
		de := deliveryError(err)
		if temp, _ := bot.IsTemporary(de); temp {
			// The code was not used: keep it for the retry.
			a.saveRC(ctx, tid, code)
			return de
		}
		a.log.Warn("card update refused; a follow-up message goes instead", slog.Any("error", err))
		return de
	}
	return nil
}

func hasTemplate(ids []string) bool {
	for _, id := range ids {
		if strings.HasPrefix(id, "lb-") {
			return true
		}
	}
	return false
}

// stateLine is the first line of a card's text: for a finished card, its
// state written by cards.Finish.
func stateLine(c bot.Card) string {
	line, _, _ := strings.Cut(strings.TrimSpace(renderPlain(c.Text)), "\n")
	if line == "" {
		return c.Title
	}
	return line
}

// followUp is the short message, in card markdown, that tells of a card's
// change where the card itself cannot change: its title and the first line
// of its text (a finished card's state).
func followUp(c bot.Card) string {
	return "🔄 **" + bot.EscapeMarkdown(cards.OneLine(c.Title)) + "**\n" + bot.EscapeMarkdown(stateLine(c))
}

// robotMessage is the body of a group robot webhook (群机器人, path/91770).
type robotMessage struct {
	MsgType  string    `json:"msgtype"`
	Markdown mdContent `json:"markdown"`
}

// sendRobot posts a group message to the group's robot webhook, as
// markdown of at most 4096 bytes.
func (a *Adapter) sendRobot(ctx context.Context, msg bot.OutMessage) (string, error) {
	u, err := a.robotURL(ctx, msg.Target.Chat)
	if err != nil {
		return "", err
	}
	md := ""
	if msg.Card != nil {
		md = cardMarkdown(a.langOf(ctx, ""), *msg.Card, maxRobotBytes)
	} else {
		md = cutBytes(renderMarkdown(msg.Text), maxRobotBytes)
	}
	var out commonResp
	if err := doJSON(ctx, a.cfg.HTTPClient, "POST", u, "webhook/send", robotMessage{MsgType: "markdown", Markdown: mdContent{Content: md}}, &out); err != nil {
		return "", deliveryError(err)
	}
	if out.ErrCode != 0 {
		return "", deliveryError(&APIError{Path: "webhook/send", Code: out.ErrCode, Message: out.ErrMsg})
	}
	return "robot", nil
}

// Messages implements bot.MessageCounter: how many message/send calls Send
// makes for msg (a check-in is its list card plus a card for each of up to
// three tasks; a long text is split into 2048-byte pieces), so that the
// outbox's 30-a-minute and 1000-an-hour limits per member count each one.
// A group message is one robot post.
func (a *Adapter) Messages(msg bot.OutMessage) int {
	switch {
	case !msg.Target.DM:
		return 1
	case msg.Card == nil:
		return len(chunks(renderMarkdown(msg.Text), maxMarkdownBytes))
	}
	parts, err := renderCard(lang(a.cfg.Lang), *msg.Card, func(int) string { return "" }, func(k string) (string, error) { return k, nil })
	if err != nil || len(parts) == 0 {
		return 1
	}
	return len(parts)
}
