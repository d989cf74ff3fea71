package flows

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/cards"
	"github.com/loopbot/loopbot/command"
)

// weekOf returns the Monday that starts the ISO week of d.
func weekOf(d bot.Date) bot.Date {
	return d.AddDays(-((int(d.Weekday()) + 6) % 7))
}

// weeklyDay returns the day of a week's weekly event: the configured
// weekday when it is a working day, else the nearest working day of the
// same week before it (prompt) or after it (summary); false if none.
func (s *Service) weeklyDay(monday bot.Date, w Weekly, before bool) (bot.Date, bool) {
	d := monday.AddDays((int(w.Day) + 6) % 7)
	step := 1
	if before {
		step = -1
	}
	for x := d; !x.Before(monday) && x.Before(monday.AddDays(7)); x = x.AddDays(step) {
		if s.cfg.Calendar.IsWorkday(x) {
			return x, true
		}
	}
	return d, false
}

// nextWeekly returns the first slot of a weekly event after `after`.
func (s *Service) nextWeekly(after time.Time, w Weekly, before bool) time.Time {
	loc := s.cfg.Location
	monday := weekOf(bot.DateOf(after.In(loc)))
	for range 60 {
		if d, ok := s.weeklyDay(monday, w, before); ok {
			if t := d.At(w.Minute/60, w.Minute%60, loc); t.After(after) {
				return t
			}
		}
		monday = monday.AddDays(7)
	}
	return time.Time{}
}

func (s *Service) reviewJob() bot.Job {
	w := s.cfg.Schedule.ReviewPrompt
	return bot.Job{
		Name:  "review_prompt",
		Next:  func(after time.Time) time.Time { return s.nextWeekly(after, w, true) },
		Grace: func(slot time.Time) time.Time { return s.cutoff(bot.DateOf(slot.In(s.cfg.Location)), s.cfg.Location) },
		Run:   s.RunReviewPrompts,
	}
}

func (s *Service) summaryJob() bot.Job {
	w := s.cfg.Schedule.ReviewSummary
	return bot.Job{
		Name:  "review_summary",
		Next:  func(after time.Time) time.Time { return s.nextWeekly(after, w, false) },
		Grace: func(slot time.Time) time.Time { return slot.Add(24 * time.Hour) },
		Run:   s.RunSummaries,
	}
}

// RunReviewPrompts sends every member of every open project the review
// card of the slot's week, once, in short transactions (Service.batches).
func (s *Service) RunReviewPrompts(ctx context.Context, slot time.Time) error {
	day := bot.DateOf(slot.In(s.cfg.Location))
	type card struct {
		project uint64
		member  bot.PersonID
	}
	var todo []card
	err := s.cfg.Store.View(ctx, func(tx bot.Tx) error {
		projects, err := tx.Projects()
		for _, p := range projects {
			if !p.Closed {
				for _, m := range p.Members {
					todo = append(todo, card{p.ID, m})
				}
			}
		}
		return err
	})
	if err != nil {
		return err
	}
	// Each card commits with its review record, in short transactions.
	return s.batches(ctx, len(todo), txSteps{begin: new(runCache).begin}, func(tx bot.Tx, i int) error {
		p, err := tx.Project(todo[i].project)
		if err != nil || p.Closed || !slices.Contains(p.Members, todo[i].member) {
			return err
		}
		return s.promptReview(tx, p, todo[i].member, day, false)
	})
}

// promptReview sends a person the review card of a project for the week of
// day, unless it was sent (force sends it again, for /review). People on
// leave that day are skipped.
func (s *Service) promptReview(tx bot.Tx, p bot.Project, person bot.PersonID, day bot.Date, force bool) error {
	week := bot.ISOWeek(day)
	_, err := tx.Review(p.ID, week, person)
	sent := err == nil
	if sent && !force {
		return nil
	} else if err != nil && bot.ErrorCode(err) != bot.ENOTFOUND {
		return err
	}
	who := s.person(tx, person)
	if who.OnLeave(day) && !force {
		return nil
	}
	w, err := s.personWeek(tx, p, person, day)
	if err != nil {
		return err
	}
	rec, err := s.sendDM(tx, person, "review/"+p.Code()+"/"+week+"/"+string(person), cards.ReviewPrompt(s.lang(who), w))
	if err != nil || sent {
		// A card sent again by /review keeps the answers already given.
		return err
	}
	return tx.PutReview(bot.Review{Person: person, Project: p.ID, Week: week, CardID: rec.ID, SentAt: s.cfg.Clock.Now()})
}

// personWeek gathers a person's week in a project for the review card.
func (s *Service) personWeek(tx bot.Tx, p bot.Project, person bot.PersonID, day bot.Date) (cards.Week, error) {
	monday := weekOf(day)
	from, to := monday.In(s.cfg.Location), monday.AddDays(7).In(s.cfg.Location)
	w := cards.Week{Project: p, Week: bot.ISOWeek(day)}
	tasks, err := tx.Tasks(bot.TaskFilter{Project: p.ID, Assignee: person})
	if err != nil {
		return w, err
	}
	for _, t := range tasks {
		switch {
		case !t.DoneAt.IsZero() && !t.DoneAt.Before(from) && t.DoneAt.Before(to):
			w.Done = append(w.Done, t)
		case t.Status.Open() && !t.Due.IsZero() && t.Due.Before(day):
			w.Overdue = append(w.Overdue, t)
		case t.Status.Open():
			w.Open = append(w.Open, t)
		}
	}
	if w.Risks, err = s.openRiskItems(tx, p); err != nil {
		return w, err
	}
	cis, err := tx.CheckIns(person, monday, monday.AddDays(6))
	for _, ci := range cis {
		for _, a := range ci.Answers {
			if slices.ContainsFunc(tasks, func(t bot.Task) bool { return t.ID == a.Task }) {
				w.Hours += a.Hours
			}
		}
	}
	return w, err
}

// actReviewSubmit stores the answers of a review card.
func (s *Service) actReviewSubmit(a *act) (bot.Response, error) {
	pid, ok := command.ParseProjectID(a.card.Card.Refs["project"])
	week := a.card.Card.Refs["week"]
	if !ok || week == "" {
		return bot.Response{}, bot.Errorf(bot.EINVALID, "%s", a.l.T("This card has no project week.", "此卡片缺少项目周。"))
	}
	rv, err := a.tx.Review(pid, week, a.me.ID)
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		rv, err = bot.Review{Person: a.me.ID, Project: pid, Week: week, CardID: a.card.ID}, nil
	}
	if err != nil {
		return bot.Response{}, err
	}
	if err := s.readReview(a, &rv); err != nil {
		return bot.Response{}, err
	}
	rv.SubmittedAt = s.cfg.Clock.Now()
	if err := a.tx.PutReview(rv); err != nil {
		return bot.Response{}, err
	}
	if err := s.audit(a.tx, bot.AuditEvent{Actor: a.me.ID, Kind: "review", Project: pid, Note: week}); err != nil {
		return bot.Response{}, err
	}
	c := cards.Finish(a.card.Card, bot.ColorGreen, cards.State(a.l, a.l.T("Submitted", "已提交"), a.me, rv.SubmittedAt.In(s.loc(a.me))))
	if rv.Cause != "" {
		c.Fields = append(c.Fields, bot.Field{Label: a.l.T("Main cause of delay", "主要延误原因"), Value: a.l.CauseName(rv.Cause)})
	}
	rec, err := s.updateCard(a.tx, a.card, c)
	if err != nil {
		return bot.Response{}, err
	}
	return bot.Response{Toast: a.l.T("Review saved. Thank you!", "复盘已提交，谢谢！"), Card: &rec.Card}, nil
}

func (s *Service) readReview(a *act, rv *bot.Review) error {
	for name, v := range a.form {
		if len([]rune(v)) > maxNote {
			return invalid(a.req, "%s: longer than %d characters.", "%s：超过 %d 个字符。", name, maxNote)
		}
	}
	if c := a.form["cause"]; c != "" && !slices.Contains(bot.Causes(), c) {
		return invalid(a.req, "cause: %q is not one of %s.", "cause：“%s”不在 %s 之中。", c, strings.Join(bot.Causes(), ", "))
	}
	rv.Done, rv.Slipped, rv.Cause = a.form["done"], a.form["slipped"], a.form["cause"]
	rv.NextWeek, rv.Improvement = a.form["next_week"], a.form["improvement"]
	return nil
}

// reviewCmd runs /review: this week's review card now, for each project
// the caller takes part in (or the group's project).
func (s *Service) reviewCmd(r *req, cmd command.Command) error {
	projects, err := s.myProjects(r, cmd)
	if err != nil {
		return err
	}
	if len(projects) == 0 {
		return s.reply(r, r.l.T("You are in no open project, so there is nothing to review.", "你没有参加进行中的项目，无需复盘。"))
	}
	for _, p := range projects {
		if err := s.promptReview(r.tx, p, r.me.ID, bot.DateOf(r.now), true); err != nil {
			return err
		}
	}
	if r.ev.Chat.DM {
		return nil
	}
	return s.reply(r, r.l.T("I sent you the review card in our direct chat.", "已在私聊中发送复盘卡片。"))
}

// myProjects returns the open projects the caller takes part in: the one
// named, or the group's, or all.
func (s *Service) myProjects(r *req, cmd command.Command) ([]bot.Project, error) {
	if p, ok, err := s.projectOf(r, cmd); err != nil || ok {
		if err == nil && !p.IsMember(r.me.ID) {
			return nil, forbidden(r, "You are not a member of %s.", "你不是 %s 的成员。", p.Code())
		}
		return []bot.Project{p}, err
	}
	all, err := r.tx.Projects()
	return slices.DeleteFunc(all, func(p bot.Project) bool { return p.Closed || !p.IsMember(r.me.ID) }), err
}

// RunSummaries sends each open project's owner and group the summary of
// the week before the slot, once. Like the digest (RunDigest), each
// project's summary is made in a read transaction, which holds no lock, and
// sent in a short write one, made again there only if data changed in
// between.
func (s *Service) RunSummaries(ctx context.Context, slot time.Time) error {
	lastWeek := weekOf(bot.DateOf(slot.In(s.cfg.Location))).AddDays(-7)
	pd := weekPeriod(lastWeek)
	projects, err := s.openProjects(ctx)
	if err != nil {
		return err
	}
	for _, p := range projects {
		marker := "review_summary/" + p.Code() + "/" + bot.ISOWeek(lastWeek)
		// makeSum reads the project and makes its summary, unless it is
		// closed or its summary went out already (skip).
		makeSum := func(tx bot.Tx) (proj bot.Project, sum cards.Summary, skip bool, err error) {
			if proj, err = tx.Project(p.ID); err != nil || proj.Closed {
				return proj, sum, true, err
			}
			if _, err := tx.Meta(marker); err == nil {
				return proj, sum, true, nil
			}
			sum, err = s.summary(tx, proj, pd)
			return proj, sum, false, err
		}
		var (
			proj    bot.Project
			sum     cards.Summary
			skip    bool
			version uint64
			known   bool
		)
		err := s.cfg.Store.View(ctx, func(tx bot.Tx) (err error) {
			version, known = txVersion(tx)
			proj, sum, skip, err = makeSum(tx)
			return err
		})
		if err != nil {
			return err
		}
		if known && skip {
			continue
		}
		err = s.update(ctx, func(tx bot.Tx) (err error) {
			if v, ok := txVersion(tx); !known || !ok || v != version {
				if proj, sum, skip, err = makeSum(tx); err != nil || skip {
					return err
				}
			}
			if err := s.sendSummary(tx, proj, sum, true); err != nil {
				return err
			}
			return tx.PutMeta(marker, nil)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// sendSummary sends a project's summary to the owner (and the project's
// groups when toGroups).
func (s *Service) sendSummary(tx bot.Tx, p bot.Project, sum cards.Summary, toGroups bool) error {
	owner := s.person(tx, p.Owner)
	key := "summary/" + p.Code()
	if _, err := s.sendDM(tx, owner.ID, key, cards.WeeklySummary(s.lang(owner), sum)); err != nil || !toGroups {
		return err
	}
	for _, g := range s.groupDests(tx, p, owner.ID) {
		if _, err := s.sendGroupCard(tx, p, g, key, cards.WeeklySummary(s.cfg.Lang, sum)); err != nil {
			return err
		}
	}
	return nil
}

// reportCmd runs /report [<P>] [week|month]: the summary of this week (or
// calendar month) so far, now, to the chat it was asked in. While the
// current period has no data yet (a Monday morning), it is the period that
// just ended, and the card says so.
func (s *Service) reportCmd(r *req, cmd command.Command) error {
	if len(cmd.Args) == 1 && isAdoption(cmd.Args[0]) {
		return s.adoptionCmd(r)
	}
	month, args, err := reportArgs(r, cmd.Args)
	if err != nil {
		return err
	}
	cmd.Args = args
	p, err := s.reportProject(r, cmd)
	if err != nil {
		return err
	}
	today := bot.DateOf(r.now)
	pd := periodOf(month, today)
	note := ""
	if has, err := s.hasData(r.tx, p, pd, today); err != nil {
		return err
	} else if !has {
		pd = periodOf(month, pd.From.AddDays(-1))
		note = r.l.F("This week has no data yet, so this is last week, %s.", "本周尚无数据，以下为上周（%s）。", pd.label())
		if month {
			note = r.l.F("This month has no data yet, so this is last month, %s.", "本月尚无数据，以下为上月（%s）。", pd.label())
		}
	}
	sum, err := s.summary(r.tx, p, pd)
	if err != nil {
		return err
	}
	sum.Note = note
	_, err = s.sendCard(r.tx, r.ev.Chat, "", "report/"+p.Code(), cards.WeeklySummary(r.l, sum))
	return err
}

// isAdoption reports whether a is the adoption report's name.
func isAdoption(a string) bool {
	switch strings.ToLower(a) {
	case "adoption", "使用情况", "使用":
		return true
	}
	return false
}

// reportArgs splits the arguments of /report into the project id (left in
// args) and the period: month is false for week (周, 本周), true for month
// (月, 本月). Anything else is refused with the accepted forms (EINVALID).
func reportArgs(r *req, in []string) (month bool, args []string, err error) {
	for _, a := range in {
		switch strings.ToLower(a) {
		case "week", "周", "本周":
			month = false
		case "month", "月", "本月":
			month = true
		default:
			if _, ok := command.ParseProjectID(a); ok && len(args) == 0 {
				args = append(args, a)
				continue
			}
			return false, nil, badUsage(r, "report", r.l.F("%q is not a period: use week (本周) or month (本月), or /report adoption alone.",
				"“%s”不是可用的期间：请写 week（本周）或 month（本月），或单独写 /报告 使用情况。", a))
		}
	}
	return month, args, nil
}

// period is the span a summary covers: an ISO week or a calendar month,
// [From, To), counted up to End: To for a past period, the day after today
// for the current one.
type period struct {
	Month bool
	// Span is a span of days given by hand (an export's from..to): its
	// trend compares with as many days just before it.
	Span     bool
	From, To bot.Date
	End      bot.Date
}

// weekPeriod is the whole ISO week that starts on monday.
func weekPeriod(monday bot.Date) period {
	return period{From: monday, To: monday.AddDays(7), End: monday.AddDays(7)}
}

// monthPeriod is the whole calendar month of d.
func monthPeriod(d bot.Date) period {
	from := bot.NewDate(d.Year, d.Month, 1)
	to := bot.NewDate(d.Year, d.Month+1, 1)
	return period{Month: true, From: from, To: to, End: to}
}

// periodOf is the week (or month) that holds day, counted up to the end of
// day.
func periodOf(month bool, day bot.Date) period {
	pd := weekPeriod(weekOf(day))
	if month {
		pd = monthPeriod(day)
	}
	if end := day.AddDays(1); end.Before(pd.End) {
		pd.End = end
	}
	return pd
}

// before is the period before pd, counted as many days into it as pd is,
// so that a trend compares like with like.
func (pd period) before() period {
	if pd.Span {
		n := pd.From.DaysUntil(pd.End)
		return period{Span: true, From: pd.From.AddDays(-n), To: pd.From, End: pd.From}
	}
	prev := weekPeriod(pd.From.AddDays(-7))
	if pd.Month {
		prev = monthPeriod(pd.From.AddDays(-1))
	}
	if end := prev.From.AddDays(pd.From.DaysUntil(pd.End)); end.Before(prev.End) {
		prev.End = end
	}
	return prev
}

// label names the period: "2026-W48" or "2026-11".
func (pd period) label() string {
	if pd.Span {
		return pd.From.String() + "–" + pd.To.AddDays(-1).String()
	}
	if pd.Month {
		return fmt.Sprintf("%04d-%02d", pd.From.Year, int(pd.From.Month))
	}
	return bot.ISOWeek(pd.From)
}

// hasData reports whether anything happened in a project in the period up
// to today: a change recorded in its audit log (a task created, updated,
// done, a warning), or a check-in answered by one of its members.
func (s *Service) hasData(tx bot.Tx, p bot.Project, pd period, today bot.Date) (bool, error) {
	events, err := tx.ProjectAudit(p.ID, pd.From.In(s.cfg.Location), s.cfg.Clock.Now().Add(time.Second))
	if err != nil {
		return false, err
	} else if len(events) > 0 {
		return true, nil
	}
	for _, m := range p.Members {
		cis, err := tx.CheckIns(m, pd.From, today)
		if err != nil {
			return false, err
		}
		if len(cis) > 0 {
			return true, nil
		}
	}
	return false, nil
}

// reportProject finds the project of /report and checks that the caller
// manages it.
func (s *Service) reportProject(r *req, cmd command.Command) (bot.Project, error) {
	var p bot.Project
	var err error
	switch {
	case len(cmd.Args) > 0:
		p, err = s.loadProject(r, cmd.Args[0])
	default:
		var ok bool
		if p, ok, err = s.projectOf(r, cmd); err == nil && !ok {
			return p, badUsage(r, "report", r.l.T("Which project? Give its id, such as P1, or ask in the project's group.", "哪个项目？请写项目编号，如 P1，或在项目群中发送。"))
		}
	}
	if err != nil {
		return p, err
	}
	if !r.manages(p) {
		return p, forbidden(r, "Only the managers of %s see its reports.", "只有 %s 的经理可以查看报告。", p.Code())
	}
	return p, nil
}

// Summary computes what the weekly summary card of project p shows (SPEC
// §4.4), for exports: the ISO week that holds through, counted up to the end
// of through, when from is zero; else the days from..through, with the
// trend against as many days just before from. It reads through tx only.
func (s *Service) Summary(tx bot.Tx, p bot.Project, from, through bot.Date) (cards.Summary, error) {
	pd := periodOf(false, through)
	if !from.IsZero() {
		pd = period{Span: true, From: from, To: through.AddDays(1), End: through.AddDays(1)}
	}
	return s.summary(tx, p, pd)
}

// summary computes the KPIs of a period (up to its End) and of the same
// span of the period before it.
func (s *Service) summary(tx bot.Tx, p bot.Project, pd period) (cards.Summary, error) {
	from, to := pd.From, pd.End
	sum := cards.Summary{Project: p, Period: pd.label(), Month: pd.Month, From: from, Through: to.AddDays(-1), SoFar: to.Before(pd.To)}
	tasks, err := tx.Tasks(bot.TaskFilter{Project: p.ID})
	if err != nil {
		return sum, err
	}
	tasks = slices.DeleteFunc(tasks, func(t bot.Task) bool { return t.Status == bot.StatusCancelled })
	if sum.This, err = s.kpis(tx, p, tasks, from, to); err != nil {
		return sum, err
	}
	prev := pd.before()
	if sum.Last, err = s.kpis(tx, p, tasks, prev.From, prev.End); err != nil {
		return sum, err
	}
	if sum.Causes, err = s.causes(tx, p, from, to); err != nil {
		return sum, err
	}
	for _, t := range tasks {
		if t.Status.Open() && !t.Due.Before(to) && t.Due.Before(to.AddDays(7)) {
			sum.NextWeek = append(sum.NextWeek, t)
		}
		if t.Status.Open() && t.Due.After(sum.Projected) {
			sum.Projected = t.Due
		}
	}
	sum.Chart = s.burnup(p, tasks, to)
	sum.Chart.Image = s.chartImage(p, ChartBurnup, to)
	if sum.Risks, err = s.openRiskItems(tx, p); err != nil {
		return sum, err
	}
	// The workload of the week after the last day counted: for the Monday
	// summary of last week, the week it is sent in.
	w := s.workload(tx, slices.DeleteFunc(slices.Clone(tasks), func(t bot.Task) bool { return !t.Status.Open() }), weekOf(to.AddDays(-1)).AddDays(7))
	w.Scope = p.Code() + " " + p.Name
	sum.Workload = &w
	return sum, nil
}

// kpis computes the figures of [from, to); see README "Weekly summary".
func (s *Service) kpis(tx bot.Tx, p bot.Project, tasks []bot.Task, from, to bot.Date) (cards.KPIs, error) {
	loc := s.cfg.Location
	start, end := from.In(loc), to.In(loc)
	var k cards.KPIs
	lastDay := to.AddDays(-1)
	for _, t := range tasks {
		doneBy := !t.DoneAt.IsZero() && t.DoneAt.Before(end)
		if !t.Due.IsZero() && !t.Due.Before(from) && t.Due.Before(to) {
			k.Planned++
			if doneBy {
				k.PlannedDone++
			}
		}
		if doneBy && !t.DoneAt.Before(start) {
			k.Completed++
			if t.Due.IsZero() || !bot.DateOf(t.DoneAt.In(loc)).After(t.Due) {
				k.OnTime++
			}
		}
		if !doneBy && !t.Due.IsZero() && t.Due.Before(lastDay) && t.CreatedAt.Before(end) {
			k.Overdue++
			k.DaysLate += s.cfg.Calendar.WorkdaysBetween(t.Due, lastDay)
		}
	}
	if err := s.participation(tx, p, tasks, from, lastDay, &k); err != nil {
		return k, err
	}
	return k, s.escalationKPIs(tx, p, start, end, &k)
}

// participation counts the check-ins asked of and answered by the project's
// members, and the hours they logged on its tasks.
func (s *Service) participation(tx bot.Tx, p bot.Project, tasks []bot.Task, from, to bot.Date, k *cards.KPIs) error {
	ids := map[uint64]bool{}
	for _, t := range tasks {
		ids[t.ID] = true
	}
	for _, m := range p.Members {
		prompts, err := tx.PersonPrompts(m, from, to)
		if err != nil {
			return err
		}
		for _, pr := range prompts {
			k.Asked++
			if !pr.Answered.IsZero() {
				k.Answered++
			}
		}
		cis, err := tx.CheckIns(m, from, to)
		if err != nil {
			return err
		}
		for _, ci := range cis {
			for _, a := range ci.Answers {
				if ids[a.Task] {
					k.Hours += a.Hours
				}
			}
		}
	}
	return nil
}

// escalationKPIs counts the project's escalations opened and resolved in
// the span, and their mean time to resolve in working hours.
func (s *Service) escalationKPIs(tx bot.Tx, p bot.Project, start, end time.Time, k *cards.KPIs) error {
	escs, err := tx.Escalations(start, end)
	if err != nil {
		return err
	}
	var total time.Duration
	for _, e := range escs {
		if e.Project != p.ID {
			continue
		}
		if !e.OpenedAt.Before(start) && e.OpenedAt.Before(end) {
			k.EscOpened++
		}
		if !e.ResolvedAt.IsZero() && !e.ResolvedAt.Before(start) && e.ResolvedAt.Before(end) {
			k.EscResolved++
			total += s.cfg.Calendar.WorkingTime(e.OpenedAt, e.ResolvedAt, s.cfg.Location)
		}
	}
	if k.EscResolved > 0 {
		k.MeanResolveHours = total.Hours() / float64(k.EscResolved)
	}
	return nil
}

// causes counts the causes of delay of the span's reviews, most first.
func (s *Service) causes(tx bot.Tx, p bot.Project, from, to bot.Date) ([]cards.CauseCount, error) {
	counts := map[string]int{}
	for d := weekOf(from); d.Before(to); d = d.AddDays(7) {
		reviews, err := tx.Reviews(p.ID, bot.ISOWeek(d))
		if err != nil {
			return nil, err
		}
		for _, rv := range reviews {
			if rv.Cause != "" {
				counts[rv.Cause]++
			}
		}
	}
	var out []cards.CauseCount
	for _, c := range bot.Causes() {
		if counts[c] > 0 {
			out = append(out, cards.CauseCount{Cause: c, Count: counts[c]})
		}
	}
	slices.SortStableFunc(out, func(a, b cards.CauseCount) int { return b.Count - a.Count })
	return out, nil
}

// burnup charts, for each working day of the last four weeks up to `to`,
// how many tasks were planned to be done by then and how many were.
func (s *Service) burnup(p bot.Project, tasks []bot.Task, to bot.Date) *bot.Chart {
	start := to.AddDays(-28)
	if p.Start.After(start) {
		start = p.Start
	}
	chart := &bot.Chart{Type: "burnup", Series: []bot.Series{{Name: "planned 计划"}, {Name: "done 完成"}}}
	for d := start; d.Before(to); d = d.AddDays(1) {
		if !s.cfg.Calendar.IsWorkday(d) {
			continue
		}
		end := d.AddDays(1).In(s.cfg.Location)
		planned, done := 0.0, 0.0
		for _, t := range tasks {
			if !t.Due.IsZero() && !t.Due.After(d) {
				planned++
			}
			if !t.DoneAt.IsZero() && t.DoneAt.Before(end) {
				done++
			}
		}
		chart.Labels = append(chart.Labels, fmt.Sprintf("%02d-%02d", int(d.Month), d.Day))
		chart.Series[0].Values = append(chart.Series[0].Values, planned)
		chart.Series[1].Values = append(chart.Series[1].Values, done)
	}
	return chart
}
