package flows

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/command"
	"github.com/loopbot/loopbot/importer"
)

// PlanImport is a plan file to import into a project (loopbot import,
// POST /api/v1/import).
type PlanImport struct {
	// Project is the project's short id, "P1".
	Project string
	// File names the file in the audit log and messages.
	File string
	// Table is the decoded file (importer.Decode).
	Table importer.Table
	// As is the person importing: the assigner of the tasks, who must be an
	// admin or a manager of the project. Empty means the project's owner.
	As bot.PersonID
	// Platforms are the enabled platforms: an assignee given by a platform
	// id ("feishu:ou_x") that the bot has not met yet is accepted on these,
	// except the playground, whose people all come from the config.
	Platforms []string
	// Apply writes the tasks; otherwise the import is a dry run.
	Apply bool
}

// ImportedTask is a row of an import: the task it makes, with its
// assignee. Task.ID is set once applied.
type ImportedTask struct {
	importer.Item
	Task     bot.Task
	Assignee bot.Person
	// NewPerson says the assignee was given by a platform id that the bot
	// has not met yet; applying creates their record.
	NewPerson bool
}

// ImportResult says what an import did or would do.
type ImportResult struct {
	// Plan is the file read as a plan (importer.Parse).
	Plan     *importer.Plan
	Project  bot.Project
	Assigner bot.Person
	Tasks    []ImportedTask
	// Problems stop the import: nothing was written. They include the
	// file's own (importer.Plan.Problems).
	Problems []importer.Problem
	Warnings []importer.Problem
	// Applied says the tasks were written; Cards counts the assignment
	// cards queued.
	Applied bool
	Cards   int
}

// ImportPlan checks a plan against the store and, with in.Apply and no
// problem, creates all its tasks in one transaction: with their plan fields
// (depends-on, parent, planned start, due and baseline due, estimate,
// milestone, priority), the assigner, the audit events, the assignees added
// to the project, and an assignment card queued in the outbox for each
// assignee other than the assigner, as /task new does. Problems found here,
// each with its row and column: an unknown project or one closed, an
// importer who may not assign in it, an assignee who matches nobody or
// several people. Any problem, in the file or here, means nothing is
// written. The error is for the store failing only.
func (s *Service) ImportPlan(ctx context.Context, in PlanImport) (ImportResult, error) {
	now := s.cfg.Clock.Now().In(s.cfg.Location)
	plan := importer.Parse(in.Table, importer.Options{Today: bot.DateOf(now), Cal: s.cfg.Calendar})
	var res ImportResult
	run := s.cfg.Store.View
	if in.Apply {
		run = s.cfg.Store.Update
	}
	err := run(ctx, func(tx bot.Tx) error {
		res = ImportResult{Plan: plan}
		if err := s.checkImport(tx, in, &res); err != nil || len(res.Problems) > 0 || !in.Apply {
			return err
		}
		return s.applyImport(tx, in, &res)
	})
	if err != nil {
		return ImportResult{}, err
	}
	if res.Applied && res.Cards > 0 && s.cfg.Kick != nil {
		s.cfg.Kick()
	}
	return res, nil
}

// checkImport fills res with the project, the assigner, the tasks and every
// problem.
func (s *Service) checkImport(tx bot.Tx, in PlanImport, res *ImportResult) error {
	res.Problems = append(res.Problems, res.Plan.Problems...)
	res.Warnings = append(res.Warnings, res.Plan.Warnings...)
	proj, err := s.importProject(tx, in, res)
	if err != nil || proj == nil {
		return err
	}
	people, err := tx.People()
	if err != nil {
		return err
	}
	m := matcher{people: people, platforms: in.Platforms}
	for _, it := range res.Plan.Items {
		task := bot.Task{Project: proj.ID, Title: it.Title, Description: it.Description, Assigner: res.Assigner.ID,
			PlannedStart: it.Start, Due: it.Due, BaselineDue: it.Due, EstimateDays: it.Estimate, Priority: it.Priority,
			Milestone: it.Milestone, Status: bot.StatusAssigned}
		if task.Priority == "" {
			task.Priority = bot.PrioNormal
		}
		imp := ImportedTask{Item: it, Task: task, Assignee: s.person(tx, proj.Owner)}
		if it.Assignee != "" {
			p, isNew, msg := m.match(it.Assignee)
			if msg != "" {
				res.Problems = append(res.Problems, cellProblem(res.Plan, it, importer.FieldAssignee, msg))
			}
			imp.Assignee, imp.NewPerson = p, isNew
		}
		imp.Task.Assignee = imp.Assignee.ID
		res.Tasks = append(res.Tasks, imp)
	}
	slices.SortStableFunc(res.Problems, func(a, b importer.Problem) int { return a.Row - b.Row })
	return nil
}

// importProject finds the project and the assigner, or records why not.
func (s *Service) importProject(tx bot.Tx, in PlanImport, res *ImportResult) (*bot.Project, error) {
	id, ok := command.ParseProjectID(in.Project)
	if !ok {
		res.Problems = append(res.Problems, importer.Problem{Message: fmt.Sprintf("%q is not a project id like P1", in.Project)})
		return nil, nil
	}
	p, err := tx.Project(id)
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		res.Problems = append(res.Problems, importer.Problem{Message: fmt.Sprintf("there is no project %s; create it first with /project new", bot.ProjectCode(id))})
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	res.Project = p
	if p.Closed {
		res.Problems = append(res.Problems, importer.Problem{Message: fmt.Sprintf("project %s is closed", p.Code())})
		return nil, nil
	}
	as, err := tx.ResolvePerson(in.As)
	if err != nil {
		return nil, err
	}
	if as == "" {
		as = p.Owner
	}
	res.Assigner = s.person(tx, as)
	if in.As != "" && !res.Assigner.IsAdmin() && !p.IsManager(as) {
		res.Problems = append(res.Problems, importer.Problem{Message: fmt.Sprintf(
			"%s may not import into %s: only admins and the project's managers assign its tasks", as, p.Code())})
		return nil, nil
	}
	return &p, nil
}

func cellProblem(p *importer.Plan, it importer.Item, f importer.Field, msg string) importer.Problem {
	pr := importer.Problem{Row: it.Row, Field: f, Message: msg}
	for _, c := range p.Columns {
		if c.Field == f {
			pr.Column = c.Header
		}
	}
	if f == importer.FieldAssignee {
		pr.Value = it.Assignee
	}
	return pr
}

// applyImport writes the checked tasks, then queues their cards, so that
// each card shows the titles of the task's dependencies.
func (s *Service) applyImport(tx bot.Tx, in PlanImport, res *ImportResult) error {
	proj := res.Project
	for i := range res.Tasks {
		id, err := tx.NextTaskID()
		if err != nil {
			return err
		}
		res.Tasks[i].Task.ID = id
	}
	for i := range res.Tasks {
		imp := &res.Tasks[i]
		if imp.NewPerson {
			if _, err := s.ensurePerson(tx, imp.Assignee.ID, ""); err != nil {
				return err
			}
		}
		for _, j := range imp.After {
			imp.Task.DependsOn = append(imp.Task.DependsOn, res.Tasks[j].Task.ID)
		}
		if imp.Parent >= 0 {
			imp.Task.Parent = res.Tasks[imp.Parent].Task.ID
		}
		if err := s.storeNewTask(tx, &imp.Task, &proj, res.Assigner.ID); err != nil {
			return err
		}
	}
	for _, imp := range res.Tasks {
		if imp.Task.Assignee == res.Assigner.ID {
			continue
		}
		info, err := s.taskInfo(tx, imp.Task)
		if err != nil {
			return err
		}
		if err := s.sendAssigned(tx, imp.Task, info); err != nil {
			return err
		}
		res.Cards++
	}
	res.Project, res.Applied = proj, true
	return s.audit(tx, bot.AuditEvent{Actor: res.Assigner.ID, Kind: "plan_imported", Project: proj.ID,
		Note: fmt.Sprintf("%d tasks from %s", len(res.Tasks), in.File)})
}

// matcher finds the person an assignee cell names.
type matcher struct {
	people    []bot.Person
	platforms []string
}

// match returns the person that s names, trying in turn: a platform id
// ("feishu:ou_x"), a bare platform id ("bob"), an email address, a full
// name ("王丽 Alice"), one word of a name ("Alice"), and a one-word name that
// is one word of s (the person "Bob" for "李博 Bob"), all without case; isNew when s is a
// platform id on an enabled platform that the bot has not met yet. msg says
// why s matches nobody, or several people.
func (m matcher) match(s string) (p bot.Person, isNew bool, msg string) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "@")
	if platform, local, ok := strings.Cut(s, ":"); ok && bot.KnownPlatform(platform) {
		return m.byID(bot.PersonID(platform+":"+local), local)
	}
	for _, by := range []func(bot.Person) bool{
		func(p bot.Person) bool { return strings.EqualFold(p.ID.Local(), s) },
		func(p bot.Person) bool { return p.Email != "" && strings.EqualFold(p.Email, s) },
		func(p bot.Person) bool {
			return p.Name != "" && strings.EqualFold(strings.Join(strings.Fields(p.Name), " "), strings.Join(strings.Fields(s), " "))
		},
		func(p bot.Person) bool {
			return slices.ContainsFunc(strings.Fields(p.Name), func(w string) bool { return strings.EqualFold(w, s) })
		},
		func(p bot.Person) bool {
			return p.Name != "" && slices.ContainsFunc(strings.Fields(s), func(w string) bool { return strings.EqualFold(w, p.Name) })
		},
	} {
		found := m.filter(by)
		switch len(found) {
		case 0:
			continue
		case 1:
			return found[0], false, ""
		}
		return bot.Person{}, false, fmt.Sprintf("%q matches %d people: %s; write the platform id of the one you mean", s, len(found), describe(found))
	}
	return bot.Person{}, false, fmt.Sprintf("%q matches nobody the bot knows; write a platform id (feishu:ou_…), a name or an email address", s)
}

func (m matcher) byID(id bot.PersonID, local string) (bot.Person, bool, string) {
	if local == "" {
		return bot.Person{}, false, fmt.Sprintf("%q has no id after the platform", string(id))
	}
	for _, p := range m.people {
		if p.HasIdentity(id) { // a linked identity is its person
			return p, false, ""
		}
	}
	switch {
	case id.Platform() == bot.Playground:
		return bot.Person{}, false, fmt.Sprintf("%q is not a playground person; they are listed in [[playground.people]]", string(id))
	case !slices.Contains(m.platforms, id.Platform()):
		return bot.Person{}, false, fmt.Sprintf("%q is on %s, which is not enabled in this deployment", string(id), id.Platform())
	}
	return bot.Person{ID: id}, true, ""
}

func (m matcher) filter(by func(bot.Person) bool) []bot.Person {
	var out []bot.Person
	for _, p := range m.people {
		if by(p) {
			out = append(out, p)
		}
	}
	return out
}

func describe(people []bot.Person) string {
	parts := make([]string, 0, len(people))
	for _, p := range people[:min(len(people), 5)] {
		parts = append(parts, fmt.Sprintf("%s (%s)", p.ID, p.DisplayName()))
	}
	if len(people) > 5 {
		parts = append(parts, "…")
	}
	return strings.Join(parts, ", ")
}
