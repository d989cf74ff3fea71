package wecom

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// pollEvery is the inbox's safety net: it is looked at this often even when
// nothing wakes it.
const pollEvery = 30 * time.Second

// askLife is how long the bot waits for a free-text reply it asked for.
const askLife = 24 * time.Hour

// pruneEvery is how often Run forgets state that has run out.
const pruneEvery = time.Hour

// Prune forgets the state that has run out: response codes older than 72
// hours, free-text replies asked for more than a day ago, check-ins
// answered card by card that were left unfinished for that long, and what
// a chat was told of a group warning (tellChange) once the card's record is
// pruned, as the card can no longer change.
func (a *Adapter) Prune(ctx context.Context) error {
	now := a.now()
	return a.cfg.Store.Update(ctx, func(tx bot.Tx) error {
		if err := bot.PruneTold(tx, metaFollow); err != nil {
			return err
		}
		for _, prefix := range []string{metaRC, metaAsk, metaCheckin} {
			items, err := tx.MetaPrefix(prefix)
			if err != nil {
				return err
			}
			for k, raw := range items {
				var v struct {
					At time.Time `json:"at"`
				}
				life := askLife
				if prefix == metaRC {
					life = rcLife
				}
				if json.Unmarshal(raw, &v) != nil || now.Sub(v.At) >= life {
					if err := tx.DeleteMeta(k); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
}

// maxTries is how often an inbox item is tried before it is dropped (and
// logged as such), so that one bad item cannot stop the inbox.
const maxTries = 5

// Run handles the inbox until ctx ends: at start (what a crash left), when
// a callback is accepted, and every 30 s.
func (a *Adapter) Run(ctx context.Context) error {
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	tries := map[string]int{}
	var pruned time.Time
	for {
		a.processInbox(ctx, tries)
		if time.Since(pruned) >= pruneEvery {
			pruned = time.Now()
			if err := a.Prune(ctx); err != nil {
				a.log.Error("prune adapter state", slog.Any("error", err))
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-a.kick:
		case <-tick.C:
		}
	}
}

// Flush handles every callback accepted so far, and returns once it has.
func (a *Adapter) Flush(ctx context.Context) error {
	return a.processInbox(ctx, map[string]int{})
}

// processInbox handles the inbox in the order the callbacks came.
func (a *Adapter) processInbox(ctx context.Context, tries map[string]int) error {
	a.procMu.Lock()
	defer a.procMu.Unlock()
	var items map[string][]byte
	err := a.cfg.Store.View(ctx, func(tx bot.Tx) (err error) {
		items, err = tx.MetaPrefix(metaInbox)
		return err
	})
	if err != nil {
		a.log.Error("read inbox", slog.Any("error", err))
		return err
	}
	keys := make([]string, 0, len(items))
	for k := range items {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := ctx.Err(); err != nil {
			return err
		}
		var in inbound
		if err := json.Unmarshal(items[k], &in); err == nil {
			if err := a.handleInbound(ctx, in); err != nil {
				tries[k]++
				if tries[k] < maxTries {
					a.log.Error("inbound event failed; will retry", slog.Any("error", err))
					return err
				}
				a.log.Error("inbound event dropped after retries", "tries", tries[k], slog.Any("error", err))
			}
		}
		delete(tries, k)
		if err := a.cfg.Store.Update(context.WithoutCancel(ctx), func(tx bot.Tx) error { return tx.DeleteMeta(k) }); err != nil {
			return err
		}
	}
	return nil
}

// handleInbound turns an accepted callback into bot events.
func (a *Adapter) handleInbound(ctx context.Context, in inbound) error {
	m := in.Msg
	ev := bot.Event{ID: "wecom:" + m.DedupKey(), Platform: bot.WeCom, From: bot.PersonID(bot.WeCom + ":" + m.FromUserName)}
	ev.Chat, ev.Time = bot.DM(ev.From), in.At
	switch {
	case m.MsgType == MsgTypeText:
		return a.handleText(ctx, ev, strings.TrimSpace(m.Content))
	case m.MsgType == MsgTypeEvent && m.Event == EventTemplateCard:
		return a.handleCardEvent(ctx, ev, m)
	case m.MsgType == MsgTypeEvent:
		return nil // enter_agent, subscribe and the like need no answer
	}
	l := a.langOf(ctx, m.FromUserName)
	return a.say(ctx, ev.From, l.t("I read text only. Send /help for the commands.", "我只能读文字消息。发送 /帮助 查看命令。"))
}

// handleText handles a text from the app's chat: the free-text reply the
// bot asked for, or else a command.
func (a *Adapter) handleText(ctx context.Context, ev bot.Event, text string) error {
	if text == "" {
		return nil
	}
	if !isCommand(text) {
		p, ok, err := a.pending(ctx, ev.From)
		if err != nil {
			return err
		}
		if ok {
			return a.answerPending(ctx, ev, p, text)
		}
	}
	ev.Kind, ev.Text = bot.EventMessage, text
	_, err := a.handle(ctx, ev)
	return err
}

func isCommand(text string) bool {
	return strings.HasPrefix(text, "/") || strings.HasPrefix(text, "／")
}

// handle passes an event to the engine.
func (a *Adapter) handle(ctx context.Context, ev bot.Event) (bot.Response, error) {
	if a.handler == nil {
		return bot.Response{}, fmt.Errorf("wecom: no handler")
	}
	return a.handler.Handle(ctx, ev)
}

// handleCardEvent handles a template_card_event: a button click, or the
// submit of a card with selects. The event's response code is kept for the
// card's next update.
func (a *Adapter) handleCardEvent(ctx context.Context, ev bot.Event, m Message) error {
	a.saveRC(ctx, m.TaskID, m.ResponseCode)
	key := a.resolveKey(ctx, strings.TrimSpace(m.EventKey))
	name, rest, ok := strings.Cut(key, "|")
	l := a.langOf(ctx, m.FromUserName)
	if !ok || rest == "" {
		a.log.Warn("card event with an unknown key refused", "from", string(ev.From))
		return a.say(ctx, ev.From, l.t("This button is not valid.", "此按钮无效。"))
	}
	form := m.Selected()
	if name == "checkin" {
		return a.checkinSubmit(ctx, ev, l, m.TaskID, rest, form)
	}
	act := bot.ActionEvent{Name: name, Token: rest, Form: form, MessageRef: m.TaskID}
	if asks, title := a.textInputs(ctx, m.TaskID, name, form); len(asks) > 0 {
		return a.ask(ctx, ev, l, pending{Action: &act, Inputs: asks, Title: title})
	}
	ev.Kind, ev.Action = bot.EventAction, &act
	return a.act(ctx, ev)
}

// act runs a card action and tells the clicker its toast.
func (a *Adapter) act(ctx context.Context, ev bot.Event) error {
	resp, err := a.handle(ctx, ev)
	if err != nil {
		return err
	}
	if resp.Toast != "" {
		return a.say(ctx, ev.From, bot.EscapeMarkdown(resp.Toast))
	}
	return nil
}

// checkinSubmit keeps one task's answer from its check-in card's selects
// and asks for the hours and a note by a reply. Once every task with a card
// of its own is answered, the whole check-in is submitted as the card's
// Submit would be (the other tasks keep the card's values).
func (a *Adapter) checkinSubmit(ctx context.Context, ev bot.Event, l lang, tid, task string, form map[string]string) error {
	id, ok := cardIDOf(tid)
	if !ok {
		return a.say(ctx, ev.From, l.t("This button is not valid.", "此按钮无效。"))
	}
	st, err := a.checkinState(ctx, ev.From, id)
	if err != nil {
		return err
	}
	ans := map[string]string{}
	for _, f := range []string{"progress", "status"} {
		if v, ok := form[f+"."+task]; ok {
			ans[f+"."+task] = v
		}
	}
	st.Answers[task] = ans
	p := pending{Checkin: &checkinAsk{Card: id, Task: task},
		Inputs: []askInput{{Name: "note", Label: l.f("hours and a note for %s, such as “2h API done”", "%s 的工时和备注，如“2h 完成接口联调”", task)}}}
	return a.saveCheckinAndAsk(ctx, ev, l, st, p)
}

// checkinAsk names the check-in task whose hours and note a reply gives.
type checkinAsk struct {
	Card uint64 `json:"card"`
	Task string `json:"task"`
}

// checkinState is a check-in being answered card by card.
type checkinState struct {
	Card    uint64                       `json:"card"`
	Answers map[string]map[string]string `json:"answers"`
	At      time.Time                    `json:"at"`
}

func checkinStateKey(who bot.PersonID, card uint64) string {
	return fmt.Sprintf("%s%s/%d", metaCheckin, who.Local(), card)
}

// checkinState reads the answers given so far to a check-in card.
func (a *Adapter) checkinState(ctx context.Context, who bot.PersonID, card uint64) (checkinState, error) {
	st := checkinState{Card: card, Answers: map[string]map[string]string{}}
	err := a.cfg.Store.View(ctx, func(tx bot.Tx) error {
		raw, err := tx.Meta(checkinStateKey(who, card))
		if bot.ErrorCode(err) == bot.ENOTFOUND {
			return nil
		} else if err != nil {
			return err
		}
		_ = json.Unmarshal(raw, &st)
		if st.Answers == nil {
			st.Answers = map[string]map[string]string{}
		}
		return nil
	})
	return st, err
}

// saveCheckinAndAsk keeps the answers so far and asks for the next reply.
func (a *Adapter) saveCheckinAndAsk(ctx context.Context, ev bot.Event, l lang, st checkinState, p pending) error {
	st.At = a.now()
	raw, err := json.Marshal(st)
	if err != nil {
		return err
	}
	p.At = a.now()
	ask, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return a.queue(ctx, func(tx bot.Tx) error {
		if err := tx.PutMeta(checkinStateKey(ev.From, st.Card), raw); err != nil {
			return err
		}
		if err := tx.PutMeta(metaAsk+ev.From.Local(), ask); err != nil {
			return err
		}
		return enqueueText(tx, ev.From, askText(l, p))
	})
}

var hoursWord = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)(?:h|H|小时)$`)

// answerCheckin adds the hours and note of a reply to a task's answer, and
// submits the check-in once every carded task is answered.
func (a *Adapter) answerCheckin(ctx context.Context, ev bot.Event, ask checkinAsk, text string) error {
	l := a.langOf(ctx, ev.From.Local())
	st, err := a.checkinState(ctx, ev.From, ask.Card)
	if err != nil {
		return err
	}
	var rec bot.CardRecord
	err = a.cfg.Store.View(ctx, func(tx bot.Tx) (err error) { rec, err = tx.Card(ask.Card); return err })
	if err != nil {
		return err
	}
	ans := st.Answers[ask.Task]
	if ans == nil {
		ans = map[string]string{}
	}
	if text != "-" && text != "—" {
		words := strings.Fields(text)
		if len(words) > 0 {
			if m := hoursWord.FindStringSubmatch(words[0]); m != nil {
				ans["hours."+ask.Task], words = m[1], words[1:]
			}
		}
		if note := strings.Join(words, " "); note != "" {
			ans["note."+ask.Task] = note
		}
	}
	st.Answers[ask.Task] = ans
	tasks := checkinTasks(rec.Card)
	var missing []string
	for i, t := range tasks {
		if _, ok := st.Answers[t]; !ok && i < maxCheckinCards {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		raw, _ := json.Marshal(st)
		return a.queue(ctx, func(tx bot.Tx) error {
			if err := tx.PutMeta(checkinStateKey(ev.From, ask.Card), raw); err != nil {
				return err
			}
			return enqueueText(tx, ev.From, l.f("✅ %s noted. Answer %s on its card to send your check-in.", "✅ 已记下 %s。请在卡片上填写 %s 后一并提交。", ask.Task, strings.Join(missing, ", ")))
		})
	}
	return a.submitCheckin(ctx, ev, rec, st)
}

// submitCheckin submits a check-in card with the answers given card by
// card; the card's own values stand for what was not answered.
func (a *Adapter) submitCheckin(ctx context.Context, ev bot.Event, rec bot.CardRecord, st checkinState) error {
	submit, ok := rec.Card.Action("submit")
	if !ok {
		l := a.langOf(ctx, ev.From.Local())
		return a.say(ctx, ev.From, l.t("This check-in was already handled; nothing changed.", "此打卡已处理过，未做任何更改。"))
	}
	form := map[string]string{}
	for _, in := range rec.Card.Inputs {
		if in.Value != "" {
			form[in.Name] = in.Value
		}
	}
	for _, ans := range st.Answers {
		for k, v := range ans {
			form[k] = v
		}
	}
	ev.Kind, ev.Action = bot.EventAction, &bot.ActionEvent{Name: "submit", Token: submit.Value, Form: form}
	if err := a.act(ctx, ev); err != nil {
		return err
	}
	return a.cfg.Store.Update(context.WithoutCancel(ctx), func(tx bot.Tx) error { return tx.DeleteMeta(checkinStateKey(ev.From, st.Card)) })
}

// askInput is one free-text input the bot asks for.
type askInput struct {
	Name  string `json:"name"`
	Label string `json:"label"`
}

// pending is a free-text reply the bot asked for: the card action (or the
// command) it completes.
type pending struct {
	Action  *bot.ActionEvent `json:"action,omitempty"`
	Checkin *checkinAsk      `json:"checkin,omitempty"`
	Inputs  []askInput       `json:"inputs"`
	// Title is the card's, so that the question names what it is for (and
	// two questions are never the same text, which WeCom's duplicate check
	// would drop).
	Title string    `json:"title,omitempty"`
	At    time.Time `json:"at"`
}

// textInputs returns the inputs of a card's action that only a text reply
// can fill: not selects, and not already answered by a selection.
// It also returns the card's title, which the question names.
func (a *Adapter) textInputs(ctx context.Context, tid, action string, form map[string]string) ([]askInput, string) {
	id, ok := cardIDOf(tid)
	if !ok {
		return nil, ""
	}
	var rec bot.CardRecord
	err := a.cfg.Store.View(ctx, func(tx bot.Tx) (err error) {
		rec, err = tx.Card(id)
		return err
	})
	if err != nil || rec.Card.Finished() {
		// A finished card asks for nothing: the click gets its toast.
		return nil, ""
	}
	var out []askInput
	for _, in := range rec.Card.Inputs {
		if in.For != "" && in.For != action || in.Kind == bot.InputSelect {
			continue
		}
		if _, done := form[in.Name]; done {
			continue
		}
		out = append(out, askInput{Name: in.Name, Label: in.Label})
	}
	return out, rec.Card.Title
}

// ask keeps what a reply completes and asks the member for it.
func (a *Adapter) ask(ctx context.Context, ev bot.Event, l lang, p pending) error {
	p.At = a.now()
	raw, err := json.Marshal(p)
	if err != nil {
		return err
	}
	text := askText(l, p)
	return a.queue(ctx, func(tx bot.Tx) error {
		if err := tx.PutMeta(metaAsk+ev.From.Local(), raw); err != nil {
			return err
		}
		return enqueueText(tx, ev.From, text)
	})
}

// askText is the question for a pending reply. It names the card (or the
// check-in task) it belongs to.
func askText(l lang, p pending) string {
	labels := make([]string, len(p.Inputs))
	for i, in := range p.Inputs {
		labels[i] = bot.EscapeMarkdown(in.Label)
	}
	if p.Checkin != nil {
		return l.f("✍️ Please reply with the %s; reply - for none.", "✍️ 请回复%s；没有请回复 -。", labels[0])
	}
	about := ""
	if p.Title != "" {
		about = l.f(" (for «%s»)", "（「%s」）", bot.EscapeMarkdown(p.Title))
	}
	if len(labels) == 1 {
		return l.f("✍️ Please reply with the %s%s.", "✍️ 请回复%s%s。", labels[0], about)
	}
	return l.f("✍️ Please reply with, one per line%s: %s.", "✍️ 请回复以下内容%s，每行一项：%s。", about, strings.Join(labels, l.t("; ", "；")))
}

// pending returns a member's pending reply, if one is waiting and fresh.
func (a *Adapter) pending(ctx context.Context, who bot.PersonID) (pending, bool, error) {
	var p pending
	var found bool
	err := a.cfg.Store.View(ctx, func(tx bot.Tx) error {
		raw, err := tx.Meta(metaAsk + who.Local())
		if bot.ErrorCode(err) == bot.ENOTFOUND {
			return nil
		} else if err != nil {
			return err
		}
		found = json.Unmarshal(raw, &p) == nil && a.now().Sub(p.At) < askLife
		return nil
	})
	return p, found, err
}

// answerPending completes what the bot asked for with the member's reply:
// the card action with the reply as its inputs, or the command with the
// reply appended. The pending reply is forgotten only after the event was
// handled, so that a crash in between handles it again (the engine drops
// the duplicate).
func (a *Adapter) answerPending(ctx context.Context, ev bot.Event, p pending, text string) error {
	skip := text == "-" || text == "—"
	switch {
	case p.Checkin != nil:
		if err := a.answerCheckin(ctx, ev, *p.Checkin, text); err != nil {
			return err
		}
	case p.Action != nil:
		act := *p.Action
		act.Form = map[string]string{}
		for k, v := range p.Action.Form {
			act.Form[k] = v
		}
		values := splitReply(text, len(p.Inputs))
		for i, in := range p.Inputs {
			if !skip {
				act.Form[in.Name] = values[i]
			}
		}
		ev.Kind, ev.Action = bot.EventAction, &act
		if err := a.act(ctx, ev); err != nil {
			return err
		}
	}
	return a.cfg.Store.Update(context.WithoutCancel(ctx), func(tx bot.Tx) error { return tx.DeleteMeta(metaAsk + ev.From.Local()) })
}

// splitReply spreads a reply over n inputs: one per line; with fewer lines,
// the first line's leading words fill the first inputs ("11-30 need more
// time" gives a date and a reason); the last input takes what is left.
func splitReply(text string, n int) []string {
	out := make([]string, n)
	if n <= 1 {
		if n == 1 {
			out[0] = text
		}
		return out
	}
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	if len(lines) < n {
		words := strings.Fields(lines[0])
		k := min(n-len(lines), len(words))
		head := append(words[:k:k], strings.Join(words[k:], " "))
		lines = append(head, lines[1:]...)
	}
	for i := 0; i < n && i < len(lines); i++ {
		out[i] = strings.TrimSpace(lines[i])
	}
	if len(lines) > n {
		out[n-1] = strings.TrimSpace(strings.Join(lines[n-1:], "\n"))
	}
	return out
}

// say queues a text (card markdown) to a member through the outbox.
func (a *Adapter) say(ctx context.Context, to bot.PersonID, text string) error {
	return a.queue(ctx, func(tx bot.Tx) error { return enqueueText(tx, to, text) })
}

// queue runs fn, which queues outgoing messages, and wakes the outbox once
// it committed.
func (a *Adapter) queue(ctx context.Context, fn func(tx bot.Tx) error) error {
	if err := a.cfg.Store.Update(ctx, fn); err != nil {
		return err
	}
	a.cfg.Kick()
	return nil
}

func enqueueText(tx bot.Tx, to bot.PersonID, text string) error {
	_, err := tx.Enqueue(bot.OutboxItem{Op: bot.OpSend, Target: bot.DM(to), Text: text})
	return err
}
