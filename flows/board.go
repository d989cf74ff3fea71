package flows

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/command"
	"github.com/loopbot/loopbot/plan"
)

// Board is what a project's read-only web board (/board/<token>) shows, as
// its data.json: the Gantt with the critical path and the milestones, the
// burn-up, the open escalations by colour, this week's check-in
// participation and the risks. Texts are as people typed them; the page
// escapes them.
type Board struct {
	Project   BoardProject `json:"project"`
	Today     bot.Date     `json:"today"`
	Generated time.Time    `json:"generated_at"`
	// Zone is the IANA zone of Today (calendar.timezone).
	Zone string `json:"zone"`
	// Gantt is a "gantt" chart: a bar per task that is not cancelled.
	Gantt bot.Chart `json:"gantt"`
	// Critical lists the tasks on the critical path ("T3"), in plan order.
	Critical   []string         `json:"critical"`
	Milestones []BoardMilestone `json:"milestones"`
	// Burnup is the burn-up of the last four weeks up to today.
	Burnup      bot.Chart         `json:"burnup"`
	Escalations []BoardEscalation `json:"escalations"`
	Checkins    BoardCheckins     `json:"checkins"`
	Risks       []BoardRisk       `json:"risks"`
}

// BoardProject is the board's heading.
type BoardProject struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Owner    string   `json:"owner"`
	Start    bot.Date `json:"start,omitzero"`
	Deadline bot.Date `json:"deadline,omitzero"`
	// Projected is the latest due date of the open tasks.
	Projected bot.Date `json:"projected,omitzero"`
	Tasks     int      `json:"tasks"`
	Done      int      `json:"done"`
	Closed    bool     `json:"closed,omitempty"`
}

// BoardMilestone is a milestone task and whether it is met, or late.
type BoardMilestone struct {
	Task  string   `json:"task"`
	Title string   `json:"title"`
	Due   bot.Date `json:"due,omitzero"`
	Done  bool     `json:"done"`
	Late  bool     `json:"late"`
}

// BoardEscalation is an open escalation: its colour (blue, yellow, red by
// level), rule and task.
type BoardEscalation struct {
	ID     string    `json:"id"`
	Color  string    `json:"color"`
	Level  int       `json:"level"`
	Rule   string    `json:"rule"`
	Task   string    `json:"task,omitempty"`
	Title  string    `json:"title,omitempty"`
	Person string    `json:"person"`
	Opened time.Time `json:"opened_at"`
}

// BoardCheckins is the check-in participation of the week so far: the
// check-in cards asked of each member and how many they answered.
type BoardCheckins struct {
	Week     string        `json:"week"`
	From     bot.Date      `json:"from"`
	Asked    int           `json:"asked"`
	Answered int           `json:"answered"`
	People   []BoardPerson `json:"people"`
}

// BoardPerson is one member's check-ins of the week.
type BoardPerson struct {
	Name     string `json:"name"`
	Asked    int    `json:"asked"`
	Answered int    `json:"answered"`
}

// BoardRisk is an open risk of the project.
type BoardRisk struct {
	ID     string `json:"id"`
	Text   string `json:"text"`
	Impact string `json:"impact,omitempty"`
	Owner  string `json:"owner,omitempty"`
	Task   string `json:"task,omitempty"`
}

// Board computes the board of project id at now, reading through tx only.
// It returns ENOTFOUND for an unknown project.
func (s *Service) Board(tx bot.Tx, id uint64, now time.Time) (*Board, error) {
	p, err := tx.Project(id)
	if err != nil {
		return nil, err
	}
	today := bot.DateOf(now.In(s.cfg.Location))
	tasks, err := tx.Tasks(bot.TaskFilter{Project: p.ID})
	if err != nil {
		return nil, err
	}
	tasks = slices.DeleteFunc(tasks, func(t bot.Task) bool { return t.Status == bot.StatusCancelled })
	b := &Board{Today: today, Generated: now, Zone: s.cfg.Location.String(), Critical: []string{}, Milestones: []BoardMilestone{}}
	b.Project = BoardProject{ID: p.Code(), Name: p.Name, Owner: s.person(tx, p.Owner).DisplayName(), Start: p.Start,
		Deadline: p.Deadline, Tasks: len(tasks), Closed: p.Closed}
	for _, t := range tasks {
		if isDone(t) {
			b.Project.Done++
		} else if t.Due.After(b.Project.Projected) {
			b.Project.Projected = t.Due
		}
	}
	b.Gantt = s.boardGantt(p, tasks, today)
	for _, bar := range b.Gantt.Bars {
		if bar.Critical {
			b.Critical = append(b.Critical, bar.Task)
		}
	}
	for _, t := range tasks {
		if t.Milestone {
			b.Milestones = append(b.Milestones, BoardMilestone{Task: t.Code(), Title: t.Title, Due: t.Due, Done: isDone(t),
				Late: !isDone(t) && !t.Due.IsZero() && t.Due.Before(today)})
		}
	}
	b.Burnup = *s.burnup(p, tasks, today.AddDays(1))
	if b.Escalations, err = s.boardEscalations(tx, p); err != nil {
		return nil, err
	}
	if b.Checkins, err = s.boardCheckins(tx, p, today); err != nil {
		return nil, err
	}
	if b.Risks, err = s.boardRisks(tx, p); err != nil {
		return nil, err
	}
	return b, nil
}

// boardRisks lists the project's open risks, high impact first.
func (s *Service) boardRisks(tx bot.Tx, p bot.Project) ([]BoardRisk, error) {
	risks, err := tx.Risks(p.ID)
	if err != nil {
		return nil, err
	}
	rank := map[string]int{bot.ImpactHigh: 0, bot.ImpactMedium: 1, bot.ImpactLow: 2}
	risks = slices.DeleteFunc(risks, func(r bot.Risk) bool { return r.State != bot.RiskOpen })
	slices.SortStableFunc(risks, func(a, b bot.Risk) int { return cmp.Compare(rankOf(rank, a.Impact), rankOf(rank, b.Impact)) })
	out := []BoardRisk{}
	for _, r := range risks {
		br := BoardRisk{ID: r.Code(), Text: r.Text, Impact: r.Impact}
		if r.Owner != "" {
			br.Owner = s.person(tx, r.Owner).DisplayName()
		}
		if r.Task != 0 {
			br.Task = bot.TaskCode(r.Task)
		}
		out = append(out, br)
	}
	return out, nil
}

func rankOf(rank map[string]int, impact string) int {
	if r, ok := rank[impact]; ok {
		return r
	}
	return len(rank)
}

func isDone(t bot.Task) bool { return t.Status == bot.StatusDone || t.Status == bot.StatusVerified }

// boardGantt draws the project's Gantt (GanttSchedule: its plan as of today),
// as the board and its PNG chart show it.
func (s *Service) boardGantt(p bot.Project, tasks []bot.Task, today bot.Date) bot.Chart {
	ch := bot.Chart{Type: "gantt", Title: p.Code() + " " + p.Name, Labels: []string{}, Series: []bot.Series{}, Bars: []bot.Bar{}}
	var cal plan.Calendar
	if s.cfg.Calendar != nil {
		cal = s.cfg.Calendar
	}
	for _, b := range GanttSchedule(p, tasks, today, cal, s.cfg.Location) {
		t := b.Task
		ch.Bars = append(ch.Bars, bot.Bar{Task: t.Code(), Label: t.Title, Start: b.Start, Finish: b.Finish, Progress: b.Progress,
			Milestone: t.Milestone, Done: isDone(t), Critical: b.Critical})
	}
	return ch
}

// boardEscalations lists the project's open escalations, red first.
func (s *Service) boardEscalations(tx bot.Tx, p bot.Project) ([]BoardEscalation, error) {
	open, err := tx.OpenEscalations()
	if err != nil {
		return nil, err
	}
	out := []BoardEscalation{}
	for _, e := range open {
		if e.Project != p.ID {
			continue
		}
		be := BoardEscalation{ID: e.Code(), Color: bot.LevelColor(e.Level), Level: e.Level, Rule: e.Rule,
			Person: s.person(tx, e.Person).DisplayName(), Opened: e.OpenedAt}
		if e.Task != 0 {
			be.Task = bot.TaskCode(e.Task)
			if t, err := tx.Task(e.Task); err == nil {
				be.Title = t.Title
			}
		}
		out = append(out, be)
	}
	slices.SortStableFunc(out, func(a, b BoardEscalation) int {
		return cmp.Or(b.Level-a.Level, strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// boardCheckins counts the check-in cards of the ISO week of today asked
// of each member of the project (owner and managers included), and answered;
// people asked nothing are left out.
func (s *Service) boardCheckins(tx bot.Tx, p bot.Project, today bot.Date) (BoardCheckins, error) {
	monday := weekOf(today)
	c := BoardCheckins{Week: bot.ISOWeek(monday), From: monday, People: []BoardPerson{}}
	seen := map[bot.PersonID]bool{}
	people := append(append([]bot.PersonID{p.Owner}, p.Managers...), p.Members...)
	for _, id := range people {
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		prompts, err := tx.PersonPrompts(id, monday, today)
		if err != nil {
			return c, err
		}
		bp := BoardPerson{Name: s.person(tx, id).DisplayName()}
		for _, pr := range prompts {
			bp.Asked++
			if !pr.Answered.IsZero() {
				bp.Answered++
			}
		}
		if bp.Asked == 0 {
			continue // no open task, on leave, or not asked yet today
		}
		c.Asked += bp.Asked
		c.Answered += bp.Answered
		c.People = append(c.People, bp)
	}
	return c, nil
}

// boardCmd answers /board <P> with a signed link to the project's board,
// valid for Config.BoardTTL. Like reports, it is for the project's managers
// and admins: the link shows the board to whoever holds it.
func (s *Service) boardCmd(r *req, cmd command.Command) error {
	if len(cmd.Args) > 1 {
		return badUsage(r, "board", r.l.T("Give one project id, such as P1.", "请只写一个项目编号，如 P1。"))
	}
	var p bot.Project
	var err error
	if len(cmd.Args) > 0 {
		p, err = s.loadProject(r, cmd.Args[0])
	} else {
		var ok bool
		if p, ok, err = s.projectOf(r, cmd); err == nil && !ok {
			return badUsage(r, "board", r.l.T("Which project? Give its id, such as P1, or ask in the project's group.", "哪个项目？请写项目编号，如 P1，或在项目群中发送。"))
		}
	}
	if err != nil {
		return err
	}
	if !r.manages(p) {
		return forbidden(r, "Only the managers of %s share its board.", "只有 %s 的经理可以分享其看板。", p.Code())
	}
	if s.cfg.LinkURL == nil || s.cfg.Signer == nil {
		return bot.Errorf(bot.EUNAVAILABLE, "%s", r.l.T("The board is not available: the server has no secret to sign its links.",
			"看板不可用：服务器未配置签名链接所需的密钥。"))
	}
	ttl := s.cfg.BoardTTL
	if ttl <= 0 {
		ttl = 7 * 24 * time.Hour
	}
	expires := r.now.Add(ttl)
	url := s.cfg.LinkURL("/board/" + s.cfg.Signer.SignLink(bot.Link{Kind: bot.LinkBoard, Project: p.ID, By: r.me.ID, Expires: expires.Unix()}))
	return s.reply(r, r.l.F("📊 Board of %s %s (read-only, no login; anyone with the link can open it until %s):\n%s",
		"📊 %s %s 的进度看板（只读，无需登录；持有链接者均可查看，有效期至 %s）：\n%s",
		p.Code(), bot.EscapeMarkdown(p.Name), r.l.Stamp(expires.In(s.loc(r.me))), url))
}
