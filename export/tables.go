package export

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/cards"
)

// kind is a column's cell type: how XLSX formats it and CSV writes it.
type kind int

const (
	kEmpty kind = iota // an empty cell; never a column's kind
	kText
	kInt
	kNum
	kPct  // a percent value 0–100, written as a number with a % format
	kDate // a bot.Date
	kTime // a time.Time, in the exporter's zone
	kBool // yes / no
)

// column is one column of a table: its bilingual header, its width in
// characters in the workbook, and its type.
type column struct {
	head  string
	width float64
	kind  kind
}

// table is one sheet of the workbook and one file of the CSV zip. each
// emits its rows; each row holds one cell per column. emit may keep the
// row only until it returns (each reuses it).
type table struct {
	sheet, file string
	cols        []column
	// flag is the index of the column that holds a row's flag (done,
	// overdue, at_risk) for the workbook's conditional colours; -1: none.
	flag int
	each func(s *snapshot, emit func(row []cell) error) error
}

// tables returns the tables of an export, in sheet order (SPEC §12). The
// Gantt is drawn by the workbook itself; its CSV file is the schedule.
func tables() []table {
	return []table{summaryTable(), tasksTable(), checkinsTable(), escalationsTable(), reviewsTable(), changesTable(), ganttTable(),
		adoptionTable()}
}

func adoptionTable() table {
	return table{sheet: "使用 Adoption", file: "adoption.csv", flag: -1,
		cols: []column{{"部门 Department", 16, kText}, {"人员 Person", 22, kText}, {"姓名 Name", 14, kText}, {"周 Week", 10, kText},
			{"打卡应答 Check-ins asked", 10, kInt}, {"已答 Answered", 9, kInt}, {"应答率 Answer rate", 10, kPct},
			{"未答卡片 Cards unanswered", 10, kInt}, {"答复中位数（分钟） Median answer (min)", 12, kNum}, {"督办 Warnings", 9, kInt}},
		each: eachAdoption}
}

// eachAdoption emits the adoption report (flows.Service.Adoption: the last
// four ISO weeks up to today): each department's rows, then each person's,
// one row a week and one for the total. An export of one project has its
// members' rows only, and no departments' (they count everyone).
func eachAdoption(s *snapshot, emit func([]cell) error) error {
	if s.e.Adoption == nil {
		return nil
	}
	a, err := s.e.Adoption(s.tx, s.today, s.e.now())
	if err != nil || a == nil {
		return err
	}
	rows := a.People
	if s.req.Project == 0 {
		rows = append(slices.Clone(a.Departments), a.People...)
	}
	for _, r := range rows {
		if r.Person != "" && s.req.Project != 0 && !s.members[r.Person] {
			continue
		}
		weeks := append(slices.Clone(a.Weeks), "合计 Total")
		stats := append(slices.Clone(r.Weeks), r.Total)
		for i, st := range stats {
			median := empty
			if st.MedianAnswer > 0 {
				median = number(math.Round(st.MedianAnswer.Minutes()*10) / 10)
			}
			rate := empty
			if st.Asked > 0 {
				rate = pct(int(math.Round(st.AnswerRate() * 100)))
			}
			row := []cell{text(r.Department), text(string(r.Person)), text(r.Name), text(weeks[i]), integer(st.Asked),
				integer(st.Answered), rate, integer(st.Unanswered), median, integer(st.Warnings)}
			if err := emit(row); err != nil {
				return err
			}
		}
	}
	return nil
}

func summaryTable() table {
	return table{sheet: "概览 Summary", file: "summary.csv", flag: -1,
		cols: []column{{"项目 Project", 10, kText}, {"名称 Name", 24, kText}, {"指标 Metric", 28, kText},
			{"本期 This period", 16, kText}, {"上期 Previous", 16, kText}},
		each: eachSummary}
}

// summaryRows are the figures of the weekly summary card, in its order.
func summaryRows(sum cards.Summary) [][3]cell {
	k, p := sum.This, sum.Last
	n := integer
	rows := [][3]cell{
		{text("期间 Period"), text(sum.Period), empty},
		{text("开始 From"), date(sum.From), empty},
		{text("截至 Through"), date(sum.Through), empty},
		{text("计划 Planned"), n(k.Planned), n(p.Planned)},
		{text("计划已完成 Planned done"), n(k.PlannedDone), n(p.PlannedDone)},
		{text("完成 Completed"), n(k.Completed), n(p.Completed)},
		{text("按时完成 On time"), n(k.OnTime), n(p.OnTime)},
		{text("按时完成率 On-time rate"), pct(k.OnTimeRate()), pct(p.OnTimeRate())},
		{text("逾期 Overdue"), n(k.Overdue), n(p.Overdue)},
		{text("逾期工作日 Working days late"), n(k.DaysLate), n(p.DaysLate)},
		{text("打卡应答 Check-ins asked"), n(k.Asked), n(p.Asked)},
		{text("打卡已答 Check-ins answered"), n(k.Answered), n(p.Answered)},
		{text("打卡参与率 Participation"), pct(k.Participation()), pct(p.Participation())},
		{text("工时 Hours"), number(k.Hours), number(p.Hours)},
		{text("督办新增 Warnings opened"), n(k.EscOpened), n(p.EscOpened)},
		{text("督办解决 Warnings resolved"), n(k.EscResolved), n(p.EscResolved)},
		{text("平均解决小时 Mean hours to resolve"), meanHours(k), meanHours(p)},
	}
	for _, c := range sum.Causes {
		rows = append(rows, [3]cell{text("延误原因 Cause: " + cards.EN.CauseName(c.Cause) + " " + cards.ZH.CauseName(c.Cause)), n(c.Count), empty})
	}
	rows = append(rows, [3]cell{text("下周到期 Due next week"), n(len(sum.NextWeek)), empty})
	if !sum.Projected.IsZero() {
		rows = append(rows, [3]cell{text("预计完成 Projected finish"), date(sum.Projected), empty})
	}
	if !sum.Project.Deadline.IsZero() {
		rows = append(rows, [3]cell{text("截止 Deadline"), date(sum.Project.Deadline), empty})
	}
	return rows
}

func meanHours(k cards.KPIs) cell {
	if k.EscResolved == 0 {
		return empty
	}
	return number(k.MeanResolveHours)
}

func eachSummary(s *snapshot, emit func([]cell) error) error {
	for _, p := range s.sortedProjects() {
		sum, err := s.summary(p)
		if err != nil {
			return err
		}
		for _, r := range summaryRows(sum) {
			if err := emit([]cell{text(p.Code()), text(p.Name), r[0], r[1], r[2]}); err != nil {
				return err
			}
		}
	}
	return nil
}

func tasksTable() table {
	return table{sheet: "任务 Tasks", file: "tasks.csv", flag: 19,
		cols: []column{{"编号 ID", 8, kText}, {"项目 Project", 9, kText}, {"父任务 Parent", 9, kText}, {"标题 Title", 32, kText},
			{"负责人 Assignee", 14, kText}, {"分派人 Assigner", 14, kText}, {"状态 Status", 11, kText}, {"进度 Progress", 10, kPct},
			{"优先级 Priority", 10, kText}, {"计划开始 Planned start", 12, kDate}, {"基线截止 Baseline due", 12, kDate},
			{"当前截止 Due", 12, kDate}, {"估算工作日 Estimate (wd)", 10, kNum}, {"依赖 Depends on", 14, kText},
			{"里程碑 Milestone", 9, kBool}, {"工时 Hours", 9, kNum}, {"完成时间 Done at", 17, kTime},
			{"创建时间 Created", 17, kTime}, {"人员编号 Assignee id", 22, kText}, {"标记 Flag", 10, kText}},
		each: eachTask}
}

func eachTask(s *snapshot, emit func([]cell) error) error {
	for _, t := range s.tasks {
		deps := make([]string, len(t.DependsOn))
		for i, d := range t.DependsOn {
			deps[i] = bot.TaskCode(d)
		}
		var parent string
		if t.Parent != 0 {
			parent = bot.TaskCode(t.Parent)
		}
		row := []cell{text(t.Code()), text(s.projectCode(t.Project)), text(parent), text(t.Title), text(s.name(t.Assignee)),
			text(s.name(t.Assigner)), text(string(t.Status)), pct(t.Progress), text(t.Priority), date(t.PlannedStart),
			date(t.BaselineDue), date(t.Due), number(t.EstimateDays), text(strings.Join(deps, ",")), yes(t.Milestone),
			number(t.Hours), instant(t.DoneAt), instant(t.CreatedAt), text(string(t.Assignee)), text(s.flag(t))}
		if err := emit(row); err != nil {
			return err
		}
	}
	return nil
}

func checkinsTable() table {
	return table{sheet: "打卡 Check-ins", file: "checkins.csv", flag: -1,
		cols: []column{{"日期 Day", 11, kDate}, {"人员 Person", 22, kText}, {"姓名 Name", 14, kText}, {"任务 Task", 8, kText},
			{"进度 Progress", 10, kPct}, {"状态 Status", 10, kText}, {"工时 Hours", 8, kNum}, {"备注 Note", 36, kText},
			{"提交时间 Submitted", 17, kTime}, {"迟交 Late", 7, kBool}, {"请假 Leave", 7, kBool}, {"无变化 No change", 9, kBool}},
		each: eachCheckin}
}

// eachCheckin emits one row per answered task (of the exported projects),
// and one row without a task for a day on leave or with no change.
func eachCheckin(s *snapshot, emit func([]cell) error) error {
	var row [12]cell
	codes := map[uint64]string{} // the task codes, made once each
	return s.tx.EachCheckIn(s.from, s.to, func(ci bot.CheckIn) error {
		if s.req.Project != 0 && !s.members[ci.Person] {
			return nil
		}
		row[0], row[1], row[2] = date(ci.Day), text(string(ci.Person)), text(s.name(ci.Person))
		row[8], row[9], row[10], row[11] = instant(ci.SubmittedAt), yes(ci.Late), yes(ci.Leave), yes(ci.NoChange)
		wrote := false
		for _, a := range ci.Answers {
			if s.req.Project != 0 && s.taskByID[a.Task].ID == 0 {
				continue
			}
			code, ok := codes[a.Task]
			if !ok {
				code = bot.TaskCode(a.Task)
				if len(codes) < 1<<16 {
					codes[a.Task] = code
				}
			}
			row[3], row[4], row[5], row[6], row[7] = text(code), pct(a.Progress), text(a.Status), number(a.Hours), text(a.Note)
			if err := emit(row[:]); err != nil {
				return err
			}
			wrote = true
		}
		if !wrote && (ci.Leave || ci.NoChange || len(ci.Answers) == 0) {
			row[3], row[4], row[5], row[6], row[7] = empty, empty, empty, empty, empty
			return emit(row[:])
		}
		return nil
	})
}

func escalationsTable() table {
	return table{sheet: "督办 Escalations", file: "escalations.csv", flag: -1,
		cols: []column{{"编号 ID", 7, kText}, {"任务 Task", 8, kText}, {"项目 Project", 9, kText}, {"人员 Person", 14, kText},
			{"规则 Rule", 15, kText}, {"级别 Level", 7, kInt}, {"颜色 Color", 8, kText}, {"开启 Opened", 17, kTime},
			{"确认 Acknowledged", 17, kTime}, {"暂缓至 Snoozed until", 17, kTime}, {"解决 Resolved", 17, kTime},
			{"解决人 Resolved by", 14, kText}, {"状态 State", 9, kText}},
		each: eachEscalation}
}

// escalations returns the escalations of the span (opened or resolved in
// it) and every one still open, by id.
func (s *snapshot) escalations() ([]bot.Escalation, error) {
	loc := s.loc()
	escs, err := s.tx.Escalations(s.from.In(loc), s.to.AddDays(1).In(loc))
	if err != nil {
		return nil, err
	}
	open, err := s.tx.OpenEscalations()
	if err != nil {
		return nil, err
	}
	seen := map[uint64]bool{}
	var out []bot.Escalation
	for _, e := range append(escs, open...) {
		if seen[e.ID] || (s.req.Project != 0 && !s.inScope[e.Project]) {
			continue
		}
		seen[e.ID] = true
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b bot.Escalation) int { return int(a.ID) - int(b.ID) })
	return out, nil
}

func eachEscalation(s *snapshot, emit func([]cell) error) error {
	escs, err := s.escalations()
	if err != nil {
		return err
	}
	for _, e := range escs {
		var task string
		if e.Task != 0 {
			task = bot.TaskCode(e.Task)
		}
		state, by := "open 未解决", ""
		if !e.Open() {
			state, by = "resolved 已解决", s.name(e.ResolvedBy)
			if e.ResolvedBy == "" {
				by = ""
			}
		}
		row := []cell{text(e.Code()), text(task), text(s.projectCode(e.Project)), text(s.name(e.Person)), text(e.Rule),
			integer(e.Level), text(bot.LevelColor(e.Level)), instant(e.OpenedAt), instant(e.AcknowledgedAt), instant(e.SnoozedUntil),
			instant(e.ResolvedAt), text(by), text(state)}
		if err := emit(row); err != nil {
			return err
		}
	}
	return nil
}

func reviewsTable() table {
	return table{sheet: "复盘 Reviews", file: "reviews.csv", flag: -1,
		cols: []column{{"周 Week", 10, kText}, {"项目 Project", 9, kText}, {"人员 Person", 22, kText}, {"姓名 Name", 14, kText},
			{"本周完成 Done", 30, kText}, {"延误 Slipped", 30, kText}, {"原因 Cause", 16, kText}, {"下周计划 Next week", 30, kText},
			{"改进 Improvement", 30, kText}, {"提交时间 Submitted", 17, kTime}},
		each: eachReview}
}

func eachReview(s *snapshot, emit func([]cell) error) error {
	monday := s.from.AddDays(-((int(s.from.Weekday()) + 6) % 7))
	for _, p := range s.sortedProjects() {
		for d := monday; !d.After(s.to); d = d.AddDays(7) {
			rvs, err := s.tx.Reviews(p.ID, bot.ISOWeek(d))
			if err != nil {
				return err
			}
			for _, rv := range rvs {
				cause := ""
				if rv.Cause != "" {
					cause = cards.ZH.CauseName(rv.Cause) + " " + rv.Cause
				}
				row := []cell{text(rv.Week), text(p.Code()), text(string(rv.Person)), text(s.name(rv.Person)), text(rv.Done),
					text(rv.Slipped), text(cause), text(rv.NextWeek), text(rv.Improvement), instant(rv.SubmittedAt)}
				if err := emit(row); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func changesTable() table {
	return table{sheet: "变更 Changes", file: "changes.csv", flag: -1,
		cols: []column{{"编号 ID", 7, kText}, {"任务 Task", 8, kText}, {"字段 Field", 10, kText}, {"原值 Old", 12, kDate},
			{"新值 New", 12, kDate}, {"原因 Reason", 30, kText}, {"申请人 Requester", 14, kText}, {"状态 State", 10, kText},
			{"决定人 Decider", 14, kText}, {"影响 Impact", 48, kText}, {"申请时间 Requested", 17, kTime}, {"决定时间 Decided", 17, kTime}},
		each: eachChange}
}

// eachChange emits the change requests (SPEC §4.5) of the exported
// projects that were made or decided in the span, and those still pending,
// by id.
func eachChange(s *snapshot, emit func([]cell) error) error {
	crs, err := s.tx.Changes(s.req.Project)
	if err != nil {
		return err
	}
	from, to := s.from.In(s.loc()), s.to.AddDays(1).In(s.loc())
	in := func(t time.Time) bool { return !t.IsZero() && !t.Before(from) && t.Before(to) }
	for _, c := range crs {
		if !c.Pending() && !in(c.CreatedAt) && !in(c.DecidedAt) {
			continue
		}
		var decider string
		if c.Decider != "" {
			decider = s.name(c.Decider)
		}
		row := []cell{text(c.Code()), text(bot.TaskCode(c.Task)), text(c.Field), date(c.Old), date(c.New), text(c.Reason),
			text(s.name(c.Requester)), text(string(c.State)), text(decider), text(impactText(c.Impact)), instant(c.CreatedAt),
			instant(c.DecidedAt)}
		if err := emit(row); err != nil {
			return err
		}
	}
	return nil
}

// impactText writes a change's impact on one line: the project finish's
// move, the tasks that move, the deadline, the critical path.
func impactText(im bot.ChangeImpact) string {
	if im.Unplanned != "" {
		return im.Unplanned
	}
	var parts []string
	if !im.FinishFrom.IsZero() || !im.FinishTo.IsZero() {
		parts = append(parts, fmt.Sprintf("完成 finish %s → %s (%+d wd)", im.FinishFrom, im.FinishTo, im.FinishDays))
	}
	if len(im.Moves) > 0 {
		moves := make([]string, len(im.Moves))
		for i, m := range im.Moves {
			moves[i] = fmt.Sprintf("%s %+d", bot.TaskCode(m.Task), m.Days)
		}
		parts = append(parts, "顺延 moves "+strings.Join(moves, ", "))
	}
	if im.DeadlineMissed {
		parts = append(parts, "超过截止 misses the deadline "+im.Deadline.String())
	}
	if im.CriticalChanged {
		parts = append(parts, "关键路径改变 critical path changes")
	}
	return strings.Join(parts, "; ")
}

func ganttTable() table {
	return table{sheet: "甘特 Gantt", file: "gantt.csv", flag: -1,
		cols: []column{{"编号 ID", 8, kText}, {"标题 Title", 30, kText}, {"负责人 Assignee", 14, kText}, {"开始 Start", 12, kDate},
			{"完成 Finish", 12, kDate}, {"工作日 Working days", 9, kInt}, {"进度 Progress", 9, kPct}, {"里程碑 Milestone", 9, kBool},
			{"关键路径 Critical", 9, kBool}, {"状态 Status", 10, kText}},
		each: eachGantt}
}

func eachGantt(s *snapshot, emit func([]cell) error) error {
	for _, b := range s.schedule() {
		t := b.task
		row := []cell{text(t.Code()), text(t.Title), text(s.name(t.Assignee)), date(b.start), date(b.finish), integer(b.days),
			pct(b.progress), yes(t.Milestone), yes(b.critical), text(string(t.Status))}
		if err := emit(row); err != nil {
			return err
		}
	}
	return nil
}
