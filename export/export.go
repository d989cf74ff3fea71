// Package export writes a project's data as an XLSX workbook, a zip of CSV
// files, or the Markdown weekly report (项目周报), to an io.Writer (SPEC §12).
//
// Every export reads one consistent snapshot: a single read transaction of
// the store, which never blocks the bot's writers (bbolt readers and the
// writer run side by side; the store maps a large file region up front so
// that a long read does not hold up a remap). Tables are written row by row
// as they are read, so that a million check-ins need no more memory than a
// few.
package export

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/cards"
	"github.com/loopbot/loopbot/flows"
)

// Format is an export's file format.
type Format string

// Formats.
const (
	XLSX     Format = "xlsx"
	CSV      Format = "csv"
	Markdown Format = "md"
)

// ParseFormat reads "xlsx", "csv" or "md" (also "excel", "markdown",
// case-insensitive). Anything else is EINVALID.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "xlsx", "excel":
		return XLSX, nil
	case "csv", "zip":
		return CSV, nil
	case "md", "markdown":
		return Markdown, nil
	}
	return "", bot.Bilingual(bot.EINVALID, fmt.Sprintf("%q is not an export format: use xlsx, csv or md.", s),
		fmt.Sprintf("“%s”不是可用的导出格式：请写 xlsx、csv 或 md。", s))
}

// Ext returns the file name extension of the format's file: "xlsx", "zip"
// (CSV files in a zip) or "md".
func (f Format) Ext() string {
	if f == CSV {
		return "zip"
	}
	return string(f)
}

// ContentType returns the MIME type of the format's file.
func (f Format) ContentType() string {
	switch f {
	case XLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case CSV:
		return "application/zip"
	}
	return "text/markdown; charset=utf-8"
}

// Request says what to export.
type Request struct {
	// Project is the project's id; 0 exports every project.
	Project uint64
	// From and To bound the dated records (check-ins, escalations, reviews,
	// change requests) and the report's span, both days included. A zero
	// From means since the project started; a zero To means today.
	From, To bot.Date
	// Lang is the language of the Markdown report's words (the sheets'
	// headers are bilingual).
	Lang cards.Lang
}

// Calendar tells working days; *calendar.Calendar implements it.
type Calendar interface {
	IsWorkday(d bot.Date) bool
}

// SummaryFunc computes the weekly summary card's figures of project p for
// the days from..through (flows.Service.Summary): a zero from means the ISO
// week that holds through.
type SummaryFunc func(tx bot.Tx, p bot.Project, from, through bot.Date) (cards.Summary, error)

// Exporter writes exports of one store.
type Exporter struct {
	Store    bot.Store
	Calendar Calendar
	Location *time.Location
	// Now tells today; nil means time.Now.
	Now     func() time.Time
	Summary SummaryFunc
	// Adoption computes the adoption report (flows.Service.Adoption) for
	// the sheet 使用 Adoption; nil leaves the sheet empty.
	Adoption func(tx bot.Tx, today bot.Date, now time.Time) (*flows.Adoption, error)
	// CPUShare is the part of one CPU core an XLSX or CSV export may keep
	// busy, above 0 and up to 1: after each stretch of work (about 20 ms)
	// it rests in proportion (0.5: as long as it worked), so that on a small
	// machine the bot's commands keep the CPU while an export runs. 0 or 1
	// means no rests (the offline `loopbot export`).
	CPUShare float64
	// QueueWait bounds how long an XLSX or CSV export waits for the one
	// running before it (they run one at a time) before it fails with
	// EUNAVAILABLE; 0 waits as long as its context allows.
	QueueWait time.Duration

	slotOnce sync.Once
	slot     chan struct{} // holds a token while an XLSX or CSV export runs
}

// Filename returns a file name for an export of req in format f, such as
// "loopbot-P1-2026-11-23.xlsx".
func (e *Exporter) Filename(req Request, f Format) string {
	return bot.ExportName(req.Project, e.today(), f.Ext())
}

// Write writes the export of req in format f to w, from one read
// transaction. It returns ENOTFOUND for a project that does not exist,
// EINVALID for a span that ends before it starts, EUNAVAILABLE when
// another XLSX or CSV export ran for longer than QueueWait, and w's errors
// wrapped. XLSX and CSV exports run one at a time, paced to CPUShare.
func (e *Exporter) Write(ctx context.Context, w io.Writer, req Request, f Format) error {
	if !req.From.IsZero() && !req.To.IsZero() && req.To.Before(req.From) {
		return bot.Bilingual(bot.EINVALID, fmt.Sprintf("to: %s is before from: %s.", req.To, req.From),
			fmt.Sprintf("结束日期 %s 早于开始日期 %s。", req.To, req.From))
	}
	switch f {
	case XLSX, CSV:
		release, err := e.acquire(ctx)
		if err != nil {
			return err
		}
		defer release()
		p := &pacer{share: e.CPUShare}
		w = &pacedWriter{w: w, p: p, ctx: ctx}
		if f == XLSX {
			return e.writeXLSX(ctx, w, req, p)
		}
		return e.writeCSV(ctx, w, req, p)
	case Markdown:
		return e.writeMarkdown(ctx, w, req)
	}
	_, err := ParseFormat(string(f))
	return err
}

// acquire waits for the slot of the one XLSX or CSV export that runs at a
// time (QueueWait at most, and while ctx lasts), and returns its release.
func (e *Exporter) acquire(ctx context.Context) (release func(), err error) {
	e.slotOnce.Do(func() { e.slot = make(chan struct{}, 1) })
	release = func() { <-e.slot }
	select {
	case e.slot <- struct{}{}:
		return release, nil
	default:
	}
	var timeout <-chan time.Time
	if e.QueueWait > 0 {
		t := time.NewTimer(e.QueueWait)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case e.slot <- struct{}{}:
		return release, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-timeout:
		return nil, bot.Bilingual(bot.EUNAVAILABLE, "Another export is running: try again in a minute.",
			"另一个导出正在进行，请一分钟后再试。")
	}
}

// paceStretch is how long an export works between two rests.
const paceStretch = 20 * time.Millisecond

// pacer rests an export in proportion to the work it did, so that it keeps
// at most its share of one CPU core busy (Exporter.CPUShare). Work is
// measured in wall time, so that on a loaded machine, where the same work
// takes longer, the export rests longer too.
type pacer struct {
	share float64
	began time.Time // when the current stretch of work began
}

// rest returns ctx's error once it is done; otherwise, after a stretch of
// work, it sleeps (1/share - 1) times as long as the stretch took.
func (p *pacer) rest(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if p == nil || p.share <= 0 || p.share >= 1 {
		return nil
	}
	now := time.Now()
	if p.began.IsZero() {
		p.began = now
		return nil
	}
	worked := now.Sub(p.began)
	if worked < paceStretch {
		return nil
	}
	t := time.NewTimer(time.Duration(float64(worked) * (1 - p.share) / p.share))
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	p.began = time.Now()
	return nil
}

// pacedWriter rests (pacer) before each write: an XLSX export's last part,
// zipping the streamed sheets, is work that writes only.
type pacedWriter struct {
	w   io.Writer
	p   *pacer
	ctx context.Context
}

func (w *pacedWriter) Write(b []byte) (int, error) {
	if err := w.p.rest(w.ctx); err != nil {
		return 0, err
	}
	return w.w.Write(b)
}

func (e *Exporter) now() time.Time {
	if e.Now == nil {
		return time.Now()
	}
	return e.Now()
}

func (e *Exporter) loc() *time.Location {
	if e.Location == nil {
		return time.UTC
	}
	return e.Location
}

func (e *Exporter) today() bot.Date { return bot.DateOf(e.now().In(e.loc())) }

// snapshot is what an export reads up front in its transaction: everything
// but the check-ins, which are streamed.
type snapshot struct {
	e        *Exporter
	pace     *pacer // nil: no rests
	tx       bot.Tx
	req      Request
	today    bot.Date
	from, to bot.Date // the span, resolved
	projects []bot.Project
	tasks    []bot.Task
	taskByID map[uint64]bot.Task
	inScope  map[uint64]bool // project ids exported
	members  map[bot.PersonID]bool
	names    map[bot.PersonID]string
	// dateCells are the workbook's date cells made so far (xlsxCell).
	dateCells map[bot.Date]any
	// bars is the Gantt's schedule, computed once (schedule).
	bars []bar
	// risk is the latest check-in status (at_risk, blocked) of each task
	// over the last two weeks, for the at-risk colour.
	risk map[uint64]string
}

// load reads the projects, tasks and people of req in tx.
func (e *Exporter) load(tx bot.Tx, req Request) (*snapshot, error) {
	s := &snapshot{e: e, tx: tx, req: req, today: e.today(), taskByID: map[uint64]bot.Task{}, inScope: map[uint64]bool{},
		members: map[bot.PersonID]bool{}, names: map[bot.PersonID]string{}, risk: map[uint64]string{}}
	if req.Project != 0 {
		p, err := tx.Project(req.Project)
		if err != nil {
			return nil, err
		}
		s.projects = []bot.Project{p}
	} else {
		ps, err := tx.Projects()
		if err != nil {
			return nil, err
		}
		s.projects = ps
	}
	for _, p := range s.projects {
		s.inScope[p.ID] = true
		for _, m := range append(append([]bot.PersonID{p.Owner}, p.Managers...), p.Members...) {
			s.members[m] = true
		}
	}
	tasks, err := tx.Tasks(bot.TaskFilter{Project: req.Project})
	if err != nil {
		return nil, err
	}
	for _, t := range tasks {
		if req.Project == 0 || s.inScope[t.Project] {
			s.tasks = append(s.tasks, t)
			s.taskByID[t.ID] = t
		}
	}
	people, err := tx.People()
	if err != nil {
		return nil, err
	}
	for _, p := range people {
		s.names[p.ID] = p.Name
	}
	s.resolveSpan()
	return s, s.loadRisk()
}

// resolveSpan fills in a zero From (the earliest project start or creation)
// and a zero To (today).
func (s *snapshot) resolveSpan() {
	s.from, s.to = s.req.From, s.req.To
	if s.to.IsZero() {
		s.to = s.today
	}
	if s.from.IsZero() {
		s.from = s.to
		for _, p := range s.projects {
			start := p.Start
			if start.IsZero() || bot.DateOf(p.CreatedAt).Before(start) {
				start = bot.DateOf(p.CreatedAt)
			}
			if !start.IsZero() && start.Before(s.from) {
				s.from = start
			}
		}
	}
}

// loadRisk reads the last two weeks of check-ins for the tasks' latest
// reported status.
func (s *snapshot) loadRisk() error {
	return s.tx.EachCheckIn(s.today.AddDays(-14), s.today, func(ci bot.CheckIn) error {
		for _, a := range ci.Answers {
			if _, ok := s.taskByID[a.Task]; ok {
				s.risk[a.Task] = a.Status
			}
		}
		return nil
	})
}

// yield returns ctx's error once it is done, and rests the export when it
// has worked a stretch (pacer).
func (s *snapshot) yield(ctx context.Context) error { return s.pace.rest(ctx) }

// name returns a person's name, or their id when the store has no name.
func (s *snapshot) name(id bot.PersonID) string {
	if n := s.names[id]; n != "" {
		return n
	}
	return string(id)
}

// flag is how a task is coloured: "done", "overdue", "at_risk" or "".
func (s *snapshot) flag(t bot.Task) string {
	switch {
	case t.Status == bot.StatusDone || t.Status == bot.StatusVerified:
		return flagDone
	case !t.Status.Open():
		return ""
	case !t.Due.IsZero() && t.Due.Before(s.today):
		return flagOverdue
	case t.Status == bot.StatusBlocked || s.risk[t.ID] == bot.AtRisk || s.risk[t.ID] == bot.Blocked:
		return flagAtRisk
	}
	return ""
}

// Row flags, the values of the tasks table's flag column.
const (
	flagDone    = "done"
	flagOverdue = "overdue"
	flagAtRisk  = "at_risk"
)

// projectName returns "P1 name" of a project id.
func (s *snapshot) projectCode(id uint64) string {
	if id == 0 {
		return ""
	}
	return bot.ProjectCode(id)
}

// sortedProjects returns the projects by id.
func (s *snapshot) sortedProjects() []bot.Project {
	ps := slices.Clone(s.projects)
	slices.SortFunc(ps, func(a, b bot.Project) int { return int(a.ID) - int(b.ID) })
	return ps
}
