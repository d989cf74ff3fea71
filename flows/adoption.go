package flows

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/cards"
)

// AdoptionWeeks is how many ISO weeks the adoption report covers: the week
// of today, counted up to today, and the three before it.
const AdoptionWeeks = 4

// NoDepartment names the department of people whose department is unknown.
const NoDepartment = "—"

// AdoptionStats are one person's (or department's) figures over a span.
type AdoptionStats struct {
	// Asked counts the check-in cards sent; Answered those answered (late
	// answers included).
	Asked, Answered int
	// Unanswered counts the cards left unanswered: check-in cards with no
	// answer by their cut-off, and assignment cards sent in the span whose
	// task still waits to be accepted or declined.
	Unanswered int
	// MedianAnswer is the median time from a check-in card going out to its
	// first answer; 0 when none was answered.
	MedianAnswer time.Duration
	// Warnings counts the escalations (督办) opened about the person.
	Warnings int
	answers  []time.Duration
}

// AnswerRate is Answered / Asked, from 0 to 1; 0 when nothing was asked.
func (a AdoptionStats) AnswerRate() float64 {
	if a.Asked == 0 {
		return 0
	}
	return float64(a.Answered) / float64(a.Asked)
}

func (a *AdoptionStats) add(b AdoptionStats) {
	a.Asked += b.Asked
	a.Answered += b.Answered
	a.Unanswered += b.Unanswered
	a.Warnings += b.Warnings
	a.answers = append(a.answers, b.answers...)
	a.MedianAnswer = median(a.answers)
}

// median returns the median of ds (the mean of the two middle values for an
// even count); 0 for none.
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// AdoptionRow is one person's, or one department's, figures: per week,
// oldest first, and in total.
type AdoptionRow struct {
	Department string
	// Person is "" in a department's row.
	Person bot.PersonID
	Name   string
	Weeks  []AdoptionStats
	Total  AdoptionStats
}

// Adoption is the adoption report for admins (/report adoption, and the
// export's sheet): per department and per person, over AdoptionWeeks weeks.
type Adoption struct {
	// Weeks are the ISO weeks ("2026-W48"), oldest first; Mondays their
	// first days.
	Weeks   []string
	Mondays []bot.Date
	From    bot.Date
	Through bot.Date
	// Departments are the departments' totals, by name ("—" last).
	Departments []AdoptionRow
	// People are the people who were asked a check-in, sent an assignment or
	// warned in the span, by department, then name.
	People []AdoptionRow
}

// Adoption computes the adoption report up to the end of today (a day in
// the calendar's zone), reading through tx only.
func (s *Service) Adoption(tx bot.Tx, today bot.Date, now time.Time) (*Adoption, error) {
	first := weekOf(today).AddDays(-7 * (AdoptionWeeks - 1))
	a := &Adoption{From: first, Through: today}
	for i := range AdoptionWeeks {
		m := first.AddDays(7 * i)
		a.Weeks, a.Mondays = append(a.Weeks, bot.ISOWeek(m)), append(a.Mondays, m)
	}
	people, err := tx.People()
	if err != nil {
		return nil, err
	}
	warned, err := s.warningsByPerson(tx, a, today)
	if err != nil {
		return nil, err
	}
	depts := map[string]*AdoptionRow{}
	for _, p := range people {
		row, err := s.adoptionRow(tx, a, p, warned[p.ID], today, now)
		if err != nil {
			return nil, err
		}
		if row.Total.Asked == 0 && row.Total.Unanswered == 0 && row.Total.Warnings == 0 {
			continue
		}
		a.People = append(a.People, row)
		d := depts[row.Department]
		if d == nil {
			d = &AdoptionRow{Department: row.Department, Name: row.Department, Weeks: make([]AdoptionStats, AdoptionWeeks)}
			depts[row.Department] = d
		}
		for i := range row.Weeks {
			d.Weeks[i].add(row.Weeks[i])
		}
		d.Total.add(row.Total)
	}
	for _, d := range depts {
		a.Departments = append(a.Departments, *d)
	}
	byDept := func(x, y string) int {
		if (x == NoDepartment) != (y == NoDepartment) {
			if x == NoDepartment {
				return 1
			}
			return -1
		}
		return strings.Compare(x, y)
	}
	slices.SortFunc(a.Departments, func(x, y AdoptionRow) int { return byDept(x.Department, y.Department) })
	slices.SortFunc(a.People, func(x, y AdoptionRow) int {
		return cmp.Or(byDept(x.Department, y.Department), strings.Compare(x.Name, y.Name), strings.Compare(string(x.Person), string(y.Person)))
	})
	return a, nil
}

// warningsByPerson counts the escalations opened about each person in each
// week of the report.
func (s *Service) warningsByPerson(tx bot.Tx, a *Adoption, today bot.Date) (map[bot.PersonID][]int, error) {
	out := map[bot.PersonID][]int{}
	end := today.AddDays(1).In(s.cfg.Location)
	escs, err := tx.Escalations(a.From.In(s.cfg.Location), end)
	if err != nil {
		return nil, err
	}
	for _, e := range escs {
		if e.OpenedAt.Before(a.From.In(s.cfg.Location)) || !e.OpenedAt.Before(end) {
			continue
		}
		w := a.From.DaysUntil(bot.DateOf(e.OpenedAt.In(s.cfg.Location))) / 7
		if w < 0 || w >= AdoptionWeeks {
			continue
		}
		if out[e.Person] == nil {
			out[e.Person] = make([]int, AdoptionWeeks)
		}
		out[e.Person][w]++
	}
	return out, nil
}

// adoptionRow computes one person's figures, week by week.
func (s *Service) adoptionRow(tx bot.Tx, a *Adoption, p bot.Person, warned []int, today bot.Date, now time.Time) (AdoptionRow, error) {
	dept := strings.TrimSpace(p.Department)
	if dept == "" {
		dept = NoDepartment
	}
	row := AdoptionRow{Department: dept, Person: p.ID, Name: p.DisplayName(), Weeks: make([]AdoptionStats, AdoptionWeeks)}
	prompts, err := tx.PersonPrompts(p.ID, a.From, today)
	if err != nil {
		return row, err
	}
	week := func(d bot.Date) int { return a.From.DaysUntil(d) / 7 }
	for _, pr := range prompts {
		w := week(pr.Day)
		if w < 0 || w >= AdoptionWeeks {
			continue
		}
		st := &row.Weeks[w]
		st.Asked++
		switch {
		case !pr.Answered.IsZero():
			st.Answered++
			if d := pr.Answered.Sub(pr.SentAt); d >= 0 && !pr.SentAt.IsZero() {
				st.answers = append(st.answers, d)
			}
		case !pr.Cutoff.IsZero() && !now.Before(pr.Cutoff):
			st.Unanswered++
		}
	}
	waiting, err := tx.Tasks(bot.TaskFilter{Assignee: p.ID, Status: bot.StatusAssigned})
	if err != nil {
		return row, err
	}
	for _, t := range waiting {
		if w := week(bot.DateOf(t.CreatedAt.In(s.cfg.Location))); w >= 0 && w < AdoptionWeeks && !bot.DateOf(t.CreatedAt.In(s.cfg.Location)).After(today) {
			row.Weeks[w].Unanswered++
		}
	}
	for i := range row.Weeks {
		if warned != nil {
			row.Weeks[i].Warnings = warned[i]
		}
		row.Weeks[i].MedianAnswer = median(row.Weeks[i].answers)
		row.Total.add(row.Weeks[i])
	}
	return row, nil
}

// adoptionCmd answers /report adoption (admins): the adoption report as a
// card, per department and per person, with the weekly trend.
func (s *Service) adoptionCmd(r *req) error {
	if !r.me.IsAdmin() {
		return forbidden(r, "Only admins see the adoption report.", "只有管理员可以查看使用情况报告。")
	}
	a, err := s.Adoption(r.tx, bot.DateOf(r.now.In(s.cfg.Location)), r.now)
	if err != nil {
		return err
	}
	_, err = s.sendCard(r.tx, r.ev.Chat, "", "report/adoption", adoptionCard(r.l, a))
	return err
}

// maxAdoptionPeople is how many people the card lists; the export has all.
const maxAdoptionPeople = 40

func adoptionCard(l cards.Lang, a *Adoption) bot.Card {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", l.M("%s to %s, weeks %s – %s. Check-ins answered / asked, unanswered cards, median answer time, warnings; then the answer rate week by week.",
		"%s 至 %s（%s – %s）。打卡：已答 / 应答、未回复卡片、回复时间中位数、督办次数；其后为逐周回复率。",
		a.From, a.Through, a.Weeks[0], a.Weeks[len(a.Weeks)-1]))
	if len(a.People) == 0 {
		b.WriteString("\n" + l.T("Nobody was asked a check-in, sent an assignment or warned in these weeks.", "这几周没有人收到打卡、指派或督办。"))
	}
	if len(a.Departments) > 0 {
		b.WriteString("\n**" + l.T("By department", "按部门") + "**\n")
		for _, d := range a.Departments {
			b.WriteString("- " + adoptionLine(l, d) + "\n")
		}
	}
	if len(a.People) > 0 {
		b.WriteString("\n**" + l.T("By person", "按人员") + "**\n")
		for i, p := range a.People {
			if i == maxAdoptionPeople {
				b.WriteString(l.F("… and %d more: the XLSX export has everyone.", "……另有 %d 人，完整名单见 XLSX 导出。", len(a.People)-i) + "\n")
				break
			}
			b.WriteString("- " + l.M("%s · ", "%s · ", cards.OneLine(p.Department)) + adoptionLine(l, p) + "\n")
		}
	}
	return bot.Card{Kind: bot.CardReport, Title: l.T("📈 Adoption, last 4 weeks", "📈 使用情况（近 4 周）"), Color: bot.ColorBlue,
		Text: strings.TrimSpace(b.String()), Actions: []bot.Action{}, Refs: map[string]string{"report": "adoption"}}
}

// adoptionLine is "Name: 18/20 answered, 2 unanswered, median 1.5 h, 1
// warnings · trend 80% → 100% → – → 90%" (– for a week with nothing asked).
func adoptionLine(l cards.Lang, row AdoptionRow) string {
	t := row.Total
	med := "–"
	switch {
	case t.Answered > 0 && t.MedianAnswer < time.Hour:
		med = fmt.Sprintf("%d min", int(t.MedianAnswer.Round(time.Minute).Minutes()))
	case t.Answered > 0:
		med = fmt.Sprintf("%.1f h", t.MedianAnswer.Hours())
	}
	var trend []string
	for _, w := range row.Weeks {
		if w.Asked == 0 {
			trend = append(trend, "–")
			continue
		}
		trend = append(trend, fmt.Sprintf("%.0f%%", 100*w.AnswerRate()))
	}
	return l.M("**%s**: %d/%d answered, %d unanswered, median %s, %d warnings · trend %s",
		"**%s**：已答 %d/%d，未回复 %d，中位回复 %s，督办 %d · 趋势 %s",
		cards.OneLine(row.Name), t.Answered, t.Asked, t.Unanswered, med, t.Warnings, strings.Join(trend, " → "))
}
