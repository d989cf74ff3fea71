package flows

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/cards"
	"github.com/loopbot/loopbot/command"
)

// fanoutBatch is how many people's check-in cards the morning fan-out
// builds in one read transaction, while the cards built before are written
// (Service.batches: as many people per write transaction as fit its time
// budget). Each person's prompt, card and outbox item commit together, so a
// crash leaves every person either fully asked or not at all.
const fanoutBatch = 250

func checkinKey(p bot.PersonID, day bot.Date) string {
	return "checkin/" + string(p) + "/" + day.String()
}
func reminderKey(p bot.PersonID, day bot.Date) string {
	return "reminder/" + string(p) + "/" + day.String()
}

func (s *Service) checkinJob() bot.Job {
	sc := s.cfg.Schedule
	window := time.Duration(sc.Cutoff-sc.CheckinAt) * time.Minute
	return bot.Job{
		Name: "checkin",
		Next: func(after time.Time) time.Time {
			return s.nextOf(after, func(zm zoneMinute) time.Time { return s.nextAt(after, zm.loc, zm.minute) })
		},
		// A missed morning is caught up until the cut-off; each person's
		// own cut-off is checked again in the run.
		Grace: func(slot time.Time) time.Time { return slot.Add(max(window, time.Minute)) },
		Run:   func(ctx context.Context, _ time.Time) error { return s.RunCheckins(ctx) },
	}
}

// RunCheckins sends today's check-in card to everyone whose check-in time
// has come on a working day of their own, who is not on leave, has open
// tasks and was not asked yet today. It is idempotent.
//
// People are asked in short write transactions (Service.batches). While a
// batch of fanoutBatch people is written, the next one's cards are built in
// a read transaction on another core; the write checks again that nobody
// was asked already.
func (s *Service) RunCheckins(ctx context.Context) error {
	now := s.cfg.Clock.Now()
	var due []bot.Person
	err := s.cfg.Store.View(ctx, func(tx bot.Tx) error {
		people, err := tx.People()
		for _, p := range people {
			if s.checkinDue(p, now) {
				due = append(due, p)
			}
		}
		return err
	})
	if err != nil || len(due) == 0 {
		return err
	}
	batches := slices.Collect(slices.Chunk(due, fanoutBatch))
	next := s.buildAsync(ctx, batches[0], now)
	for i, batch := range batches {
		built := <-next
		if i+1 < len(batches) {
			next = s.buildAsync(ctx, batches[i+1], now)
		}
		if built.err != nil {
			return built.err
		}
		err := s.batches(ctx, len(batch), txSteps{}, func(tx bot.Tx, j int) error {
			return s.sendCheckin(tx, batch[j], now, false, built.cards[j])
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// builtBatch is the check-in cards of one batch of people, in order.
type builtBatch struct {
	cards []checkinCard
	err   error
}

// buildAsync builds the check-in cards of a batch in a read transaction,
// in the background.
func (s *Service) buildAsync(ctx context.Context, batch []bot.Person, now time.Time) <-chan builtBatch {
	out := make(chan builtBatch, 1)
	go func() {
		var b builtBatch
		b.err = s.cfg.Store.View(ctx, func(tx bot.Tx) error {
			tx = withProjectCache(tx)
			for _, p := range batch {
				cc, err := s.buildCheckin(tx, p, bot.DateOf(now.In(s.loc(p))))
				if err != nil {
					return err
				}
				b.cards = append(b.cards, cc)
			}
			return nil
		})
		out <- b
	}()
	return out
}

// checkinDue reports whether a person's check-in window is open now.
func (s *Service) checkinDue(p bot.Person, now time.Time) bool {
	loc := s.loc(p)
	today := bot.DateOf(now.In(loc))
	if !s.cfg.Calendar.IsWorkday(today) || p.OnLeave(today) {
		return false
	}
	at := s.checkinMinute(p)
	start := today.At(at/60, at%60, loc)
	return !now.Before(start) && now.Before(s.cutoff(today, loc))
}

func (s *Service) cutoff(day bot.Date, loc *time.Location) time.Time {
	c := s.cfg.Schedule.Cutoff
	return day.At(c/60, c%60, loc)
}

// checkinCard is a person's check-in card for a day, before it is sent;
// empty when they have no open task.
type checkinCard struct {
	tasks []bot.Task
	card  bot.Card
}

// buildCheckin builds a person's check-in card for a day.
func (s *Service) buildCheckin(tx bot.Tx, p bot.Person, day bot.Date) (checkinCard, error) {
	tasks, err := s.checkinTasks(tx, p.ID, day)
	if err != nil || len(tasks) == 0 {
		return checkinCard{}, err
	}
	earlier, err := s.dayAnswers(tx, p.ID, day)
	if err != nil {
		return checkinCard{}, err
	}
	return checkinCard{tasks: tasks, card: cards.Checkin(s.lang(p), day, tasks, earlier)}, nil
}

// dayAnswers returns a person's answer of a day by task, empty when they
// have not answered it.
func (s *Service) dayAnswers(tx bot.Tx, p bot.PersonID, day bot.Date) (map[uint64]bot.CheckInAnswer, error) {
	ci, err := tx.CheckIn(p, day)
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	out := make(map[uint64]bot.CheckInAnswer, len(ci.Answers))
	for _, a := range ci.Answers {
		out[a.Task] = a
	}
	return out, nil
}

// promptPerson sends a person today's check-in card, unless they were asked
// already (force sends a new card anyway, for /checkin). It returns nil
// without sending when they have no open task.
func (s *Service) promptPerson(tx bot.Tx, p bot.Person, now time.Time, force bool) error {
	cc, err := s.buildCheckin(tx, p, bot.DateOf(now.In(s.loc(p))))
	if err != nil {
		return err
	}
	return s.sendCheckin(tx, p, now, force, cc)
}

// sendCheckin sends a built check-in card and records the prompt, in the
// caller's transaction, unless the person was asked already today (and
// force is off).
func (s *Service) sendCheckin(tx bot.Tx, p bot.Person, now time.Time, force bool, cc checkinCard) error {
	day := bot.DateOf(now.In(s.loc(p)))
	_, err := tx.Prompt(p.ID, day)
	asked := err == nil
	if err != nil && bot.ErrorCode(err) != bot.ENOTFOUND {
		return err
	}
	if (asked && !force) || len(cc.tasks) == 0 {
		return nil
	}
	if err := s.expireOldPrompts(tx, p, day); err != nil {
		return err
	}
	rec, err := s.sendDM(tx, p.ID, checkinKey(p.ID, day), cc.card)
	if err != nil || asked {
		return err
	}
	ids := make([]uint64, len(cc.tasks))
	for i, t := range cc.tasks {
		ids[i] = t.ID
	}
	return tx.PutPrompt(bot.Prompt{Person: p.ID, Day: day, CardID: rec.ID, Tasks: ids, SentAt: now, Cutoff: s.cutoff(day, s.loc(p))})
}

// checkinTasks returns up to ten open tasks of a person, the most urgent
// first: overdue, then by due date, then by priority. Tasks with sub-tasks
// are left out: their progress rolls up from their sub-tasks'.
func (s *Service) checkinTasks(tx bot.Tx, p bot.PersonID, day bot.Date) ([]bot.Task, error) {
	tasks, err := s.openTasks(tx, p)
	if err != nil {
		return nil, err
	}
	var ferr error
	tasks = slices.DeleteFunc(tasks, func(t bot.Task) bool {
		sum, err := isSummary(tx, t)
		ferr = cmp.Or(ferr, err)
		return sum
	})
	if ferr != nil {
		return nil, ferr
	}
	slices.SortStableFunc(tasks, func(a, b bot.Task) int { return urgency(a, day) - urgency(b, day) })
	if len(tasks) > cards.MaxCheckinTasks {
		tasks = tasks[:cards.MaxCheckinTasks]
	}
	return tasks, nil
}

// openTasks returns the open tasks of a person outside closed projects,
// summary tasks included.
func (s *Service) openTasks(tx bot.Tx, p bot.PersonID) ([]bot.Task, error) {
	tasks, err := tx.Tasks(bot.TaskFilter{Assignee: p, OpenOnly: true})
	return slices.DeleteFunc(tasks, func(t bot.Task) bool { return s.projectClosed(tx, t.Project) }), err
}

// urgency orders tasks: a smaller number is more urgent.
func urgency(t bot.Task, day bot.Date) int {
	u := 100000
	if !t.Due.IsZero() {
		u = min(day.DaysUntil(t.Due), 90000) + 50000
	}
	switch t.Priority {
	case bot.PrioHigh:
		u -= 3
	case bot.PrioLow:
		u += 3
	}
	return u
}

// expireOldPrompts closes the unanswered check-in cards of earlier days: a
// late answer counts only until the next card.
func (s *Service) expireOldPrompts(tx bot.Tx, p bot.Person, day bot.Date) error {
	old, err := tx.PersonPrompts(p.ID, day.AddDays(-7), day.AddDays(-1))
	if err != nil {
		return err
	}
	for _, pr := range old {
		if !pr.Answered.IsZero() {
			continue
		}
		_, err := s.finishCards(tx, checkinKey(p.ID, pr.Day), func(rec bot.CardRecord, l reader) bot.Card {
			return cards.Finish(rec.Card, bot.ColorGrey, l.T("Not answered · closed", "未提交 · 已过期"))
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// checkinOrRow runs /checkin alone (the card, now) or /checkin <T> … (one
// row of the card, answered as text).
func (s *Service) checkinOrRow(r *req, cmd command.Command) error {
	if len(cmd.Args) > 0 {
		return s.textActionCmd(r, cmd)
	}
	return s.checkinCmd(r, cmd)
}

// checkinCmd runs /checkin: today's check-in card, now.
func (s *Service) checkinCmd(r *req, cmd command.Command) error {
	tasks, err := s.checkinTasks(r.tx, r.me.ID, bot.DateOf(r.now))
	if err != nil {
		return err
	}
	if len(tasks) == 0 {
		return s.reply(r, r.l.T("You have no open tasks, so there is nothing to check in.", "你没有未完成的任务，无需打卡。"))
	}
	if err := s.promptPerson(r.tx, r.me, s.cfg.Clock.Now(), true); err != nil {
		return err
	}
	if r.ev.Chat.DM {
		return nil
	}
	return s.reply(r, r.l.T("I sent you today's check-in card in our direct chat.", "已在私聊中发送今天的打卡卡片。"))
}

// leaveCmd runs /leave <date>[..<date>].
func (s *Service) leaveCmd(r *req, cmd command.Command) error {
	if len(cmd.Args) != 1 {
		return badUsage(r, "leave", r.l.T("Which days?", "哪几天？"))
	}
	from, to, err := parseRange(r, s, cmd.Args[0])
	if err != nil {
		return err
	}
	if from.DaysUntil(to) > 60 {
		return invalid(r, "At most 60 days at a time.", "一次最多 60 天。")
	}
	p := r.me
	for d := from; !d.After(to); d = d.AddDays(1) {
		if !p.OnLeave(d) {
			p.Leave = append(p.Leave, d)
		}
	}
	p.Leave = recentLeave(p.Leave, bot.DateOf(r.now))
	p.UpdatedAt = s.cfg.Clock.Now()
	if err := r.tx.PutPerson(p); err != nil {
		return err
	}
	if err := s.audit(r.tx, bot.AuditEvent{Actor: p.ID, Kind: "leave", Old: from.String(), New: to.String()}); err != nil {
		return err
	}
	return s.reply(r, r.l.F("🌴 On leave %s – %s: no check-ins, reminders or warnings to you on those days.", "🌴 已登记请假 %s 至 %s：这些天不会给你发打卡、提醒或督办。", r.l.Date(from), r.l.Date(to)))
}

// recentLeave keeps the leave days from a month ago on, sorted.
func recentLeave(days []bot.Date, today bot.Date) []bot.Date {
	keep := slices.DeleteFunc(slices.Clone(days), func(d bot.Date) bool { return d.Before(today.AddDays(-31)) })
	slices.SortFunc(keep, bot.Date.Compare)
	return keep
}

// actSubmit records the check-in form: it checks every value first, and
// saves nothing if one is wrong.
func (s *Service) actSubmit(a *act) (bot.Response, error) {
	day, prompt, err := s.actPrompt(a)
	if err != nil {
		return bot.Response{}, err
	}
	answers, err := s.readCheckinForm(a, day)
	if err != nil {
		return bot.Response{}, err
	}
	ci := bot.CheckIn{Person: a.me.ID, Day: day, Answers: answers}
	return s.saveCheckin(a, prompt, ci, a.l.T("Submitted", "已提交"))
}

func (s *Service) actLeaveToday(a *act) (bot.Response, error) {
	day, prompt, err := s.actPrompt(a)
	if err != nil {
		return bot.Response{}, err
	}
	p := a.me
	if !p.OnLeave(day) {
		p.Leave = recentLeave(append(p.Leave, day), day)
		if err := a.tx.PutPerson(p); err != nil {
			return bot.Response{}, err
		}
	}
	return s.saveCheckin(a, prompt, bot.CheckIn{Person: a.me.ID, Day: day, Leave: true}, a.l.T("On leave today", "今天请假"))
}

func (s *Service) actNoChange(a *act) (bot.Response, error) {
	day, prompt, err := s.actPrompt(a)
	if err != nil {
		return bot.Response{}, err
	}
	// No change keeps what an earlier answer of the day said.
	earlier, err := s.dayAnswers(a.tx, a.me.ID, day)
	if err != nil {
		return bot.Response{}, err
	}
	var answers []bot.CheckInAnswer
	for _, id := range prompt.Tasks {
		if t, err := a.tx.Task(id); err == nil && t.Status.Open() {
			prev, ok := earlier[id]
			answers = append(answers, cards.CheckinDefault(t, prev, ok))
		}
	}
	return s.saveCheckin(a, prompt, bot.CheckIn{Person: a.me.ID, Day: day, NoChange: true, Answers: answers}, a.l.T("No change", "无变化"))
}

// actPrompt returns the day and the prompt a check-in card belongs to.
func (s *Service) actPrompt(a *act) (bot.Date, bot.Prompt, error) {
	day, err := bot.ParseISODate(a.card.Card.Refs["checkin"])
	if err != nil {
		return day, bot.Prompt{}, err
	}
	prompt, err := a.tx.Prompt(a.me.ID, day)
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		// A card sent by /checkin on a day without a prompt still counts.
		prompt, err = bot.Prompt{Person: a.me.ID, Day: day, CardID: a.card.ID, Cutoff: s.cutoff(day, s.loc(a.me))}, nil
		prompt.Tasks = formTasks(a.card.Card)
	}
	return day, prompt, err
}

// formTasks lists the tasks a check-in card asks about.
func formTasks(c bot.Card) []uint64 {
	var ids []uint64
	for _, in := range c.Inputs {
		if code, ok := strings.CutPrefix(in.Name, "progress."); ok {
			if id, ok := command.ParseTaskID(code); ok {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// readCheckinForm validates the form of a check-in card. A field left
// empty keeps the day's earlier answer (cards.CheckinDefault).
func (s *Service) readCheckinForm(a *act, day bot.Date) ([]bot.CheckInAnswer, error) {
	known := map[string]bool{}
	for _, in := range a.card.Card.Inputs {
		known[in.Name] = true
	}
	for name := range a.form {
		if !known[name] {
			return nil, invalid(a.req, "%s: this card has no such field.", "%s：此卡片没有这个字段。", name)
		}
	}
	earlier, err := s.dayAnswers(a.tx, a.me.ID, day)
	if err != nil {
		return nil, err
	}
	var answers []bot.CheckInAnswer
	total := 0.0
	for _, id := range formTasks(a.card.Card) {
		ans, err := s.readAnswer(a, id, earlier)
		if err != nil {
			return nil, err
		}
		total += ans.Hours
		answers = append(answers, ans)
	}
	if total > 24 {
		return nil, invalid(a.req, "hours: %s hours in one day is more than 24.", "hours：一天合计 %s 小时，超过 24 小时。", strconv.FormatFloat(total, 'f', -1, 64))
	}
	return answers, nil
}

func (s *Service) readAnswer(a *act, id uint64, earlier map[uint64]bot.CheckInAnswer) (bot.CheckInAnswer, error) {
	code := bot.TaskCode(id)
	t, err := a.tx.Task(id)
	if err != nil {
		return bot.CheckInAnswer{}, err
	}
	prev, ok := earlier[id]
	ans := cards.CheckinDefault(t, prev, ok)
	if v := a.form["progress."+code]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 100 {
			return ans, invalid(a.req, "progress.%s: %q is not a number from 0 to 100.", "progress.%s：“%s”不是 0 到 100 的数字。", code, v)
		}
		ans.Progress = n
	}
	if v := a.form["status."+code]; v != "" {
		if v != bot.OnTrack && v != bot.AtRisk && v != bot.Blocked {
			return ans, invalid(a.req, "status.%s: %q is not on_track, at_risk or blocked.", "status.%s：“%s”应为 on_track、at_risk 或 blocked。", code, v)
		}
		ans.Status = v
	}
	if v := a.form["hours."+code]; v != "" {
		h, ok := bot.ParseDecimal(v)
		if !ok || !(h >= 0 && h <= 24) {
			return ans, invalid(a.req, "hours.%s: %q is not a number of hours from 0 to 24.", "hours.%s：“%s”不是 0 到 24 之间的工时。", code, v)
		}
		ans.Hours = h
	}
	if note := a.form["note."+code]; note != "" {
		if len([]rune(note)) > maxNote {
			return ans, invalid(a.req, "note.%s: longer than %d characters.", "note.%s：超过 %d 个字符。", code, maxNote)
		}
		ans.Note = note
	}
	return ans, nil
}

// saveCheckin stores a check-in (replacing an earlier one of the day and
// keeping it in the history), applies it to the tasks, and turns the day's
// cards into the read-only summary.
func (s *Service) saveCheckin(a *act, prompt bot.Prompt, ci bot.CheckIn, verb string) (bot.Response, error) {
	now := s.cfg.Clock.Now()
	ci.SubmittedAt, ci.Late = now, now.After(prompt.Cutoff)
	var old bot.CheckIn
	if prev, err := a.tx.CheckIn(a.me.ID, ci.Day); err == nil {
		old = prev
		ci.History = append(prev.History, withoutHistory(prev))
	} else if bot.ErrorCode(err) != bot.ENOTFOUND {
		return bot.Response{}, err
	}
	titles, err := s.applyCheckin(a.req, ci, old)
	if err != nil {
		return bot.Response{}, err
	}
	if err := a.tx.PutCheckIn(ci); err != nil {
		return bot.Response{}, err
	}
	if prompt.Answered.IsZero() {
		prompt.Answered = now
	}
	if err := a.tx.PutPrompt(prompt); err != nil {
		return bot.Response{}, err
	}
	if err := s.audit(a.tx, bot.AuditEvent{Actor: a.me.ID, Kind: "checkin", Note: ci.Day.String()}); err != nil {
		return bot.Response{}, err
	}
	if err := s.resolveMissedCheckins(a.tx, a.me.ID); err != nil {
		return bot.Response{}, err
	}
	return s.finishCheckinCards(a, ci, titles, verb)
}

func withoutHistory(c bot.CheckIn) bot.CheckIn {
	c.History = nil
	return c
}

func (s *Service) finishCheckinCards(a *act, ci bot.CheckIn, titles map[uint64]string, verb string) (bot.Response, error) {
	at := s.cfg.Clock.Now()
	finished, err := s.finishCards(a.tx, checkinKey(a.me.ID, ci.Day), func(rec bot.CardRecord, l reader) bot.Card {
		return cards.CheckinDone(l.Lang, rec.Card, ci, titles, l.State(verb, a.me, at))
	})
	if err != nil {
		return bot.Response{}, err
	}
	if _, err := s.finishCards(a.tx, reminderKey(a.me.ID, ci.Day), func(rec bot.CardRecord, l reader) bot.Card {
		return cards.Finish(rec.Card, bot.ColorGreen, l.State(verb, a.me, at))
	}); err != nil {
		return bot.Response{}, err
	}
	toast := a.l.T("Check-in saved.", "打卡已保存。")
	if ci.Late {
		toast = a.l.T("Check-in saved (late).", "打卡已保存（迟交）。")
	}
	return a.answer(toast, finished), nil
}

// applyCheckin moves the tasks by the answers: progress, blocked or not,
// and hours (an earlier answer of the same day is replaced, not added). It
// returns the task titles for the summary.
func (s *Service) applyCheckin(r *req, ci, old bot.CheckIn) (map[uint64]string, error) {
	titles := map[uint64]string{}
	oldHours := map[uint64]float64{}
	for _, a := range old.Answers {
		oldHours[a.Task] = a.Hours
	}
	if err := s.dropOldHours(r, ci, oldHours); err != nil {
		return nil, err
	}
	for _, ans := range ci.Answers {
		t, err := r.tx.Task(ans.Task)
		if err != nil {
			return nil, err
		}
		titles[t.ID] = t.Title
		if !t.Status.Open() || t.Assignee != r.me.ID {
			continue
		}
		if err := s.applyAnswer(r, t, ans, oldHours[t.ID]); err != nil {
			return nil, err
		}
	}
	return titles, nil
}

// dropOldHours takes back the hours an earlier answer of the day logged on
// tasks the new answer leaves out (a leave after a submit).
func (s *Service) dropOldHours(r *req, ci bot.CheckIn, oldHours map[uint64]float64) error {
	for id, h := range oldHours {
		if h == 0 || slices.ContainsFunc(ci.Answers, func(a bot.CheckInAnswer) bool { return a.Task == id }) {
			continue
		}
		t, err := r.tx.Task(id)
		if err != nil {
			return err
		}
		t.Hours = max(0, t.Hours-h)
		if err := r.tx.PutTask(t); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) applyAnswer(r *req, t bot.Task, ans bot.CheckInAnswer, oldHours float64) error {
	if t.Status == bot.StatusAssigned {
		if _, err := s.accept(r, &t); err != nil {
			return err
		}
	}
	now := s.cfg.Clock.Now()
	t.Hours = max(0, t.Hours-oldHours+ans.Hours)
	moved := ans.Progress != t.Progress
	if moved {
		if err := s.audit(r.tx, bot.AuditEvent{Actor: r.me.ID, Kind: "progress", Project: t.Project, Task: t.ID, Field: "progress",
			Old: strconv.Itoa(t.Progress), New: strconv.Itoa(ans.Progress), Note: ans.Note}); err != nil {
			return err
		}
		t.Progress, t.ProgressAt = ans.Progress, now
	}
	switch {
	case ans.Status == bot.Blocked && t.Status != bot.StatusBlocked:
		t.BlockReason = ans.Note
		return s.setStatus(r, &t, bot.StatusBlocked, ans.Note)
	case ans.Status != bot.Blocked && t.Status == bot.StatusBlocked:
		t.BlockReason = ""
		return s.setStatus(r, &t, bot.StatusAccepted, ans.Note)
	}
	t.UpdatedAt = now
	if err := r.tx.PutTask(t); err != nil || !moved {
		return err
	}
	// A progress change is a change of the task: its warnings are checked
	// at once. A "no change" answer is not, and holds an acknowledgement.
	return s.taskChanged(r.tx, t, r.me.ID)
}
