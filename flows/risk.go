package flows

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/cards"
	"github.com/loopbot/loopbot/command"
)

// The risk register (风险清单, SPEC §3): /risk add, /risk update, /risk
// close, /risks. Project members add risks; a risk's owner or a manager of
// its project changes and closes it. An open risk that nobody reviews for
// bot.RiskStaleAfter is raised to its owner once (riskReviewJob).

// maxClosedShown is how many recently closed risks /risks shows.
const maxClosedShown = 5

// riskAdd runs /risk add <P> <text> [owner:@a] [impact:…] [task:<T>].
func (s *Service) riskAdd(r *req, cmd command.Command) error {
	if len(cmd.Args) == 0 {
		return badRisk(r, "add", r.l.T("Which project? Give its id, such as P1.", "哪个项目？请写项目编号，如 P1。"))
	}
	p, err := s.loadProject(r, cmd.Args[0])
	if err != nil {
		return err
	}
	if !r.inProject(p) {
		return forbidden(r, "Only the members of %s add risks to it.", "只有 %s 的成员可以新增风险。", p.Code())
	} else if p.Closed {
		return invalid(r, "%s is closed.", "%s 已关闭。", p.Code())
	}
	text := cmd.Rest(1)
	if text == "" {
		return badRisk(r, "add", r.l.T("Describe the risk.", "请描述风险。"))
	} else if len([]rune(text)) > maxNote {
		return invalid(r, "The text is longer than %d characters.", "描述超过了 %d 个字符。", maxNote)
	}
	now := s.cfg.Clock.Now()
	rk := bot.Risk{Project: p.ID, Text: text, Owner: r.me.ID, Impact: bot.ImpactMedium, State: bot.RiskOpen,
		CreatedBy: r.me.ID, CreatedAt: now, ReviewedAt: now}
	if _, err := s.riskOptions(r, cmd, p, &rk); err != nil {
		return err
	}
	if rk.ID, err = r.tx.NextRiskID(); err != nil {
		return err
	}
	if err := r.tx.PutRisk(rk); err != nil {
		return err
	}
	if err := s.audit(r.tx, bot.AuditEvent{Actor: r.me.ID, Kind: "risk_added", Project: p.ID, Field: rk.Code(), New: rk.Text}); err != nil {
		return err
	}
	owner := s.person(r.tx, rk.Owner)
	if rk.Owner != r.me.ID {
		ol := s.lang(owner)
		if err := s.notify(r.tx, rk.Owner, ol.M("%s added risk %s to %s and made you its owner:\n%s",
			"%[1]s 在 %[3]s 新增了风险 %[2]s，负责人是你：\n%[4]s", r.me.DisplayName(), rk.Code(), p.Code(), rk.Text)); err != nil {
			return err
		}
	}
	return s.reply(r, r.l.M("⚠️ Risk %s added to %s:\n%s", "⚠️ 已在 %[2]s 新增风险 %[1]s：\n%[3]s", rk.Code(), p.Code(), rk.Text)+"\n"+
		r.l.M("Impact %s · owner %s", "影响 %s · 负责人 %s", r.l.Impact(rk.Impact), owner.DisplayName())+taskSuffix(rk))
}

// taskSuffix names a risk's linked task, if any.
func taskSuffix(rk bot.Risk) string {
	if rk.Task == 0 {
		return ""
	}
	return " · " + bot.TaskCode(rk.Task)
}

// riskOptions applies owner:/@mention, impact: and task: to rk, and
// reports which fields changed (by their English names, for the audit).
func (s *Service) riskOptions(r *req, cmd command.Command, p bot.Project, rk *bot.Risk) ([]string, error) {
	var changed []string
	ownerTok := cmd.KV["owner"]
	if ownerTok == "" && len(cmd.Mentions) > 0 {
		ownerTok = cmd.Mentions[0]
	}
	if len(cmd.Mentions) > 1 || (cmd.KV["owner"] != "" && len(cmd.Mentions) > 0) {
		return nil, badRisk(r, cmd.Sub, r.l.T("A risk has one owner.", "一条风险只有一个负责人。"))
	}
	if ownerTok != "" {
		owner, err := s.mention(r, ownerTok)
		if err != nil {
			return nil, err
		}
		if !p.IsMember(owner.ID) {
			return nil, invalid(r, "%s is not a member of %s; a risk's owner must be.", "%s 不是 %s 的成员，风险负责人须为项目成员。", owner.DisplayName(), p.Code())
		}
		if owner.ID != rk.Owner {
			rk.Owner, changed = owner.ID, append(changed, "owner")
		}
	}
	if v, ok := cmd.KV["impact"]; ok {
		impact, err := bot.ParseImpact(v)
		if err != nil {
			return nil, bot.Errorf(bot.EINVALID, "%s\n%s %s", bot.MessageIn(err, string(r.l)), r.l.T("Usage:", "用法："), riskUsage(r, cmd.Sub))
		}
		if impact != rk.Impact {
			rk.Impact, changed = impact, append(changed, "impact")
		}
	}
	if v, ok := cmd.KV["task"]; ok {
		t, err := s.loadTask(r, v)
		if err != nil {
			return nil, err
		}
		if t.Project != p.ID {
			return nil, invalid(r, "%s is not a task of %s.", "%s 不是 %s 的任务。", t.Code(), p.Code())
		}
		if t.ID != rk.Task {
			rk.Task, changed = t.ID, append(changed, "task")
		}
	}
	return changed, nil
}

// riskUpdate runs /risk update <R> [text] [owner:@a] [impact:…] [task:<T>]:
// it changes what is given, and with nothing given confirms that the risk
// still stands. Either way the risk counts as reviewed now.
func (s *Service) riskUpdate(r *req, cmd command.Command) error {
	rk, p, err := s.ownRisk(r, cmd, "update")
	if err != nil {
		return err
	}
	old := rk
	changed, err := s.riskOptions(r, cmd, p, &rk)
	if err != nil {
		return err
	}
	if text := cmd.Rest(1); text != "" && text != rk.Text {
		if len([]rune(text)) > maxNote {
			return invalid(r, "The text is longer than %d characters.", "描述超过了 %d 个字符。", maxNote)
		}
		rk.Text, changed = text, append(changed, "text")
	}
	rk.ReviewedAt = s.cfg.Clock.Now()
	if err := r.tx.PutRisk(rk); err != nil {
		return err
	}
	if len(changed) == 0 {
		if err := s.audit(r.tx, bot.AuditEvent{Actor: r.me.ID, Kind: "risk_reviewed", Project: p.ID, Field: rk.Code()}); err != nil {
			return err
		}
		return s.reply(r, r.l.M("✅ Risk %s confirmed as still open; next review due in two weeks.", "✅ 已确认风险 %s 仍然存在，两周后再复核。", rk.Code()))
	}
	for _, f := range changed {
		e := bot.AuditEvent{Actor: r.me.ID, Kind: "risk_updated", Project: p.ID, Field: rk.Code() + "." + f}
		e.Old, e.New = riskField(old, f), riskField(rk, f)
		if err := s.audit(r.tx, e); err != nil {
			return err
		}
	}
	owner := s.person(r.tx, rk.Owner)
	return s.reply(r, r.l.M("✅ Risk %s updated:\n%s", "✅ 已更新风险 %s：\n%s", rk.Code(), rk.Text)+"\n"+
		r.l.M("Impact %s · owner %s", "影响 %s · 负责人 %s", r.l.Impact(rk.Impact), owner.DisplayName())+taskSuffix(rk))
}

// riskField returns a field of a risk as text, for the audit log.
func riskField(rk bot.Risk, f string) string {
	switch f {
	case "owner":
		return string(rk.Owner)
	case "impact":
		return rk.Impact
	case "task":
		if rk.Task == 0 {
			return ""
		}
		return bot.TaskCode(rk.Task)
	}
	return rk.Text
}

// riskClose runs /risk close <R> <note>.
func (s *Service) riskClose(r *req, cmd command.Command) error {
	rk, p, err := s.ownRisk(r, cmd, "close")
	if err != nil {
		return err
	}
	note := cmd.Rest(1)
	if note == "" {
		return badRisk(r, "close", r.l.F("Say why %s is closed.", "请说明关闭 %s 的原因。", rk.Code()))
	} else if len([]rune(note)) > maxNote {
		return invalid(r, "The note is longer than %d characters.", "说明超过了 %d 个字符。", maxNote)
	}
	now := s.cfg.Clock.Now()
	rk.State, rk.ClosedAt, rk.ClosedBy, rk.ClosingNote, rk.ReviewedAt = bot.RiskClosed, now, r.me.ID, note, now
	if err := r.tx.PutRisk(rk); err != nil {
		return err
	}
	if err := s.audit(r.tx, bot.AuditEvent{Actor: r.me.ID, Kind: "risk_closed", Project: p.ID, Field: rk.Code(), Note: note}); err != nil {
		return err
	}
	if rk.Owner != r.me.ID {
		ol := s.lang(s.person(r.tx, rk.Owner))
		if err := s.notify(r.tx, rk.Owner, ol.M("%s closed risk %s, which you own:\n%s", "%s 关闭了你负责的风险 %s：\n%s",
			r.me.DisplayName(), rk.Code(), note)); err != nil {
			return err
		}
	}
	return s.reply(r, r.l.M("☑️ Risk %s closed: %s", "☑️ 已关闭风险 %s：%s", rk.Code(), note))
}

// ownRisk loads the risk named by the first argument for a change by its
// owner or a manager of its project; a closed risk is refused.
func (s *Service) ownRisk(r *req, cmd command.Command, sub string) (bot.Risk, bot.Project, error) {
	if len(cmd.Args) == 0 {
		return bot.Risk{}, bot.Project{}, badRisk(r, sub, r.l.T("Which risk? Give its id, such as R2.", "哪条风险？请写风险编号，如 R2。"))
	}
	id, ok := command.ParseRiskID(cmd.Args[0])
	if !ok {
		return bot.Risk{}, bot.Project{}, badRisk(r, sub, r.l.F("%q is not a risk id; write it like R2.", "“%s”不是风险编号，请写成 R2 这样。", cmd.Args[0]))
	}
	rk, err := r.tx.Risk(id)
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		return rk, bot.Project{}, bot.Errorf(bot.ENOTFOUND, "%s", r.l.F("There is no risk %s.", "没有风险 %s。", bot.RiskCode(id)))
	} else if err != nil {
		return rk, bot.Project{}, err
	}
	p, err := r.tx.Project(rk.Project)
	if err != nil {
		return rk, p, err
	}
	if rk.Owner != r.me.ID && !r.manages(p) {
		return rk, p, forbidden(r, "Only the owner of %s or a manager of %s changes or closes it.", "只有 %s 的负责人或 %s 的经理可以修改或关闭它。", rk.Code(), p.Code())
	}
	if !rk.Open() {
		return rk, p, bot.Errorf(bot.ECONFLICT, "%s", r.l.F("%s was already closed on %s.", "%s 已于 %s 关闭。", rk.Code(), rk.ClosedAt.In(s.loc(r.me)).Format("2006-01-02")))
	}
	return rk, p, nil
}

// risksList runs /risks <P> and /risk list <P>: the open risks, worst
// first, and the ones closed lately. In a project's group the project may
// be left out.
func (s *Service) risksList(r *req, cmd command.Command) error {
	name := "risks"
	if cmd.Name == "risk" {
		name = "risk list"
	}
	var p bot.Project
	var err error
	switch {
	case len(cmd.Args) > 1:
		return badRisk(r, strings.TrimPrefix(name, "risk "), r.l.T("Give one project id.", "请只写一个项目编号。"))
	case len(cmd.Args) == 1:
		p, err = s.loadProject(r, cmd.Args[0])
	default:
		var ok bool
		if p, ok, err = s.projectOf(r, cmd); err == nil && !ok {
			return badRisk(r, strings.TrimPrefix(name, "risk "), r.l.T("Which project? Give its id, such as P1, or ask in the project's group.", "哪个项目？请写项目编号，如 P1，或在项目群中发送。"))
		}
	}
	if err != nil {
		return err
	}
	if !r.inProject(p) {
		return forbidden(r, "You are not a member of %s.", "你不是 %s 的成员。", p.Code())
	}
	all, err := r.tx.Risks(p.ID)
	if err != nil {
		return err
	}
	return s.reply(r, s.riskListText(r, p, all))
}

// riskListText writes a project's register: open risks by impact, then by
// id, each with how long ago it was last reviewed; then the latest closed.
func (s *Service) riskListText(r *req, p bot.Project, all []bot.Risk) string {
	open, closed := splitRisks(all)
	now := s.cfg.Clock.Now()
	var b strings.Builder
	b.WriteString("**" + r.l.M("Risks of %s %s", "%s %s 的风险清单", p.Code(), p.Name) + "**\n")
	if len(open) == 0 {
		b.WriteString(r.l.T("No open risks.", "没有未关闭的风险。") + "\n")
	}
	for _, rk := range open {
		line := cards.RiskLine(r.l, rk, s.person(r.tx, rk.Owner).DisplayName())
		days := int(now.Sub(rk.ReviewedAt).Hours() / 24)
		line += r.l.F(" · reviewed %d days ago", " · %d 天前复核", days)
		if now.Sub(rk.ReviewedAt) >= bot.RiskStaleAfter {
			line += r.l.T(" ⏰ due for review", " ⏰ 待复核")
		}
		b.WriteString("- " + bot.EscapeMarkdown(line) + "\n")
	}
	if len(closed) > 0 {
		b.WriteString("\n**" + r.l.F("Closed (%d), latest first", "已关闭（%d），最近的在前", len(closed)) + "**\n")
		for i, rk := range closed {
			if i == maxClosedShown {
				break
			}
			line := r.l.F("%s %s · closed %s by %s: %s", "%s %s · %s 由 %s 关闭：%s", rk.Code(), cards.OneLine(rk.Text),
				rk.ClosedAt.In(s.loc(r.me)).Format("01-02"), s.person(r.tx, rk.ClosedBy).DisplayName(), cards.OneLine(rk.ClosingNote))
			b.WriteString("- " + bot.EscapeMarkdown(line) + "\n")
		}
	}
	return strings.TrimSpace(b.String())
}

// splitRisks returns the open risks, worst impact first and then by id,
// and the closed ones, the latest closed first.
func splitRisks(all []bot.Risk) (open, closed []bot.Risk) {
	for _, rk := range all {
		if rk.Open() {
			open = append(open, rk)
		} else {
			closed = append(closed, rk)
		}
	}
	slices.SortStableFunc(open, func(a, b bot.Risk) int {
		return cmp.Or(bot.ImpactRank(a.Impact)-bot.ImpactRank(b.Impact), cmp.Compare(a.ID, b.ID))
	})
	slices.SortStableFunc(closed, func(a, b bot.Risk) int { return b.ClosedAt.Compare(a.ClosedAt) })
	return open, closed
}

// openRiskItems returns a project's open risks, worst first, with their
// owners' names, for the review card and the weekly summary.
func (s *Service) openRiskItems(tx bot.Tx, p bot.Project) ([]cards.RiskItem, error) {
	all, err := tx.Risks(p.ID)
	if err != nil {
		return nil, err
	}
	open, _ := splitRisks(all)
	items := make([]cards.RiskItem, len(open))
	for i, rk := range open {
		items[i] = cards.RiskItem{Risk: rk, Owner: s.person(tx, rk.Owner).DisplayName()}
	}
	return items, nil
}

// badRisk is badUsage for a subcommand of /risk ("" or "risks" for the
// list).
func badRisk(r *req, sub, problem string) error {
	return bot.Errorf(bot.EINVALID, "%s\n%s %s", problem, r.l.T("Usage:", "用法："), riskUsage(r, sub))
}

// riskUsage returns the usage of a subcommand of /risk, or of /risks.
func riskUsage(r *req, sub string) string {
	if sub == "" || sub == "risks" {
		return usage(r, "risks")
	}
	spec, _ := command.Lookup("risk")
	if ss, ok := spec.Sub(sub); ok {
		return ss.UsageFor(string(r.l))
	}
	return usage(r, "risk")
}

// riskReviewJob raises, once, each open risk that nobody reviewed for
// bot.RiskStaleAfter to its owner. It runs on working days at the default
// check-in time; each run looks at every open risk, so a missed run is
// caught up by the next (Sweep).
func (s *Service) riskReviewJob() bot.Job {
	return bot.Job{
		Name:  "risk_review",
		Next:  func(after time.Time) time.Time { return s.nextAt(after, s.cfg.Location, s.cfg.Schedule.CheckinAt) },
		Run:   s.RunRiskReview,
		Sweep: true,
	}
}

// RunRiskReview asks the owner of each stale open risk about it, and marks
// the risk raised in the same transaction as the card, so that neither a
// retried run nor a restart asks twice. An owner on leave today is asked on
// their next working day back.
func (s *Service) RunRiskReview(ctx context.Context, slot time.Time) error {
	var open []bot.Risk
	err := s.cfg.Store.View(ctx, func(tx bot.Tx) (err error) {
		open, err = tx.OpenRisks()
		return err
	})
	if err != nil {
		return err
	}
	now := s.cfg.Clock.Now()
	for _, rk := range open {
		if !rk.Stale(now) {
			continue
		}
		err := s.update(ctx, func(tx bot.Tx) error { return s.raiseRisk(tx, rk.ID, now) })
		if err != nil {
			return err
		}
	}
	return nil
}

// raiseRisk sends a stale risk's owner the review notice, unless the risk
// changed meanwhile or the owner is on leave today.
func (s *Service) raiseRisk(tx bot.Tx, id uint64, now time.Time) error {
	rk, err := tx.Risk(id)
	if err != nil || !rk.Stale(now) {
		return err
	}
	p, err := tx.Project(rk.Project)
	if err != nil {
		return err
	}
	if p.Closed {
		return nil
	}
	owner := s.person(tx, rk.Owner)
	loc := s.loc(owner)
	if owner.OnLeave(bot.DateOf(now.In(loc))) {
		return nil
	}
	if _, err := s.sendDM(tx, owner.ID, "risk/"+rk.Code(), cards.RiskStale(s.lang(owner), rk, p.Code()+" "+p.Name, rk.ReviewedAt.In(loc))); err != nil {
		return err
	}
	rk.RaisedAt = now
	if err := tx.PutRisk(rk); err != nil {
		return err
	}
	return s.audit(tx, bot.AuditEvent{Kind: "risk_raised", Project: p.ID, Field: rk.Code(), New: string(owner.ID)})
}
