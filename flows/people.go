package flows

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/importer"
)

// PeopleImport is a people file to import (loopbot people import): names,
// departments, direct managers, emails and mobile numbers, for deployments
// whose apps may not read the platforms' contact APIs.
type PeopleImport struct {
	// File names the file in the audit log and messages.
	File string
	// Table is the decoded file (importer.Decode).
	Table importer.Table
	// Platform is the platform of an id written without one; "" makes
	// such an id a problem.
	Platform string
	// Platforms are the enabled platforms: a person on another one is a
	// problem, and so is a playground id that is not one of its people.
	Platforms []string
	// Apply writes the changes; otherwise the import is a dry run.
	Apply bool
}

// FieldChange is one field of a person that an import changes.
type FieldChange struct {
	Field string `json:"field"` // "name", "department", "manager", "email" or "mobile"
	Old   string `json:"old,omitempty"`
	New   string `json:"new"`
}

// ImportedPerson is a row of a people import and what it changes.
type ImportedPerson struct {
	importer.PersonRow
	// Person is the person the row is about (by their canonical id, when
	// the row names a linked identity), as the import leaves them.
	Person bot.Person
	// New says the bot did not know the person; applying creates them.
	New bool
	// Changes lists the fields that change; none when the row only repeats
	// what the bot knows.
	Changes []FieldChange
}

// PeopleResult says what a people import did or would do.
type PeopleResult struct {
	// File is the file read as people (importer.ParsePeople).
	File   *importer.People
	People []ImportedPerson
	// Problems stop the import: nothing was written. They include the
	// file's own. Warnings (a manager that matches nobody) do not.
	Problems []importer.Problem
	Warnings []importer.Problem
	// Applied says the changes were written.
	Applied bool
}

// Changed counts the people the import creates or changes.
func (r PeopleResult) Changed() int {
	n := 0
	for _, p := range r.People {
		if p.New || len(p.Changes) > 0 {
			n++
		}
	}
	return n
}

// ImportPeople checks a people file against the store and, with in.Apply
// and no problem, writes it in one transaction: each row fills the
// person's name, department, direct manager, email and mobile through
// bot.Person.Seed (an empty cell changes nothing, and what a person chose
// with a command stays), creating the people the bot does not know, with an
// audit event for each field changed. A manager is found by person id (a
// row's or someone the bot knows), else by the name or email of another
// row, else of someone the bot knows; one that matches nobody, or several
// people, is a warning and leaves the manager as it was. Problems: an id on
// a platform that is not enabled, a playground id that is none of its
// people. The error is for the store failing only.
func (s *Service) ImportPeople(ctx context.Context, in PeopleImport) (PeopleResult, error) {
	file := importer.ParsePeople(in.Table, importer.PeopleOptions{Platform: in.Platform})
	var res PeopleResult
	run := s.cfg.Store.View
	if in.Apply {
		run = s.cfg.Store.Update
	}
	err := run(ctx, func(tx bot.Tx) error {
		res = PeopleResult{File: file, Problems: slices.Clone(file.Problems), Warnings: slices.Clone(file.Warnings)}
		if err := s.checkPeople(tx, in, &res); err != nil || len(res.Problems) > 0 || !in.Apply {
			return err
		}
		return s.applyPeople(tx, in, &res)
	})
	if err != nil {
		return PeopleResult{}, err
	}
	return res, nil
}

// checkPeople fills res.People with each row's person and changes, and
// res with every problem and warning.
func (s *Service) checkPeople(tx bot.Tx, in PeopleImport, res *PeopleResult) error {
	known, err := tx.People()
	if err != nil {
		return err
	}
	byID := make(map[bot.PersonID]bot.Person, len(known))
	for _, p := range known {
		byID[p.ID] = p
	}
	for _, row := range res.File.Rows {
		id, err := s.canonical(tx, row.ID)
		if err != nil {
			return err
		}
		p, ok := byID[id]
		if msg := personProblem(id, ok, in.Platforms); msg != "" {
			res.Problems = append(res.Problems, idProblem(res.File, row, msg))
			continue
		}
		if !ok {
			p = bot.Person{ID: id, Role: bot.RoleMember}
		}
		res.People = append(res.People, ImportedPerson{PersonRow: row, Person: p, New: !ok})
	}
	rows := peopleRows{res: res, known: known, byID: byID, platform: in.Platform, platforms: in.Platforms,
		resolve: func(id bot.PersonID) (bot.PersonID, error) { return s.canonical(tx, id) }}
	for i := range res.People {
		ip := &res.People[i]
		mgr, warn, err := rows.manager(ip)
		if err != nil {
			return err
		}
		if warn != "" {
			res.Warnings = append(res.Warnings, peopleCellProblem(res.File, ip.PersonRow, importer.FieldManager, ip.Manager, warn))
		}
		before := ip.Person
		ip.Person.Seed(bot.Person{Name: ip.Name, Department: ip.Department, Email: ip.Email, Mobile: ip.Mobile, Manager: mgr})
		ip.Changes = personChanges(before, ip.Person)
	}
	return nil
}

// canonical returns the id a person is kept under: their person's, for a
// linked identity (bot.Tx.ResolvePerson).
func (s *Service) canonical(tx bot.Tx, id bot.PersonID) (bot.PersonID, error) {
	return tx.ResolvePerson(id)
}

// personProblem says why a row's id cannot be imported, or "".
func personProblem(id bot.PersonID, known bool, platforms []string) string {
	switch {
	case known:
		return ""
	case id.Platform() == bot.Playground:
		return fmt.Sprintf("%q is not a playground person; they are listed in [[playground.people]]", string(id))
	case platforms != nil && !slices.Contains(platforms, id.Platform()):
		return fmt.Sprintf("%q is on %s, which is not enabled in this deployment", string(id), id.Platform())
	}
	return ""
}

// personChanges lists the imported fields that differ between before and
// after.
func personChanges(before, after bot.Person) []FieldChange {
	var out []FieldChange
	for _, f := range []struct {
		name     string
		old, new string
	}{
		{"name", before.Name, after.Name},
		{"department", before.Department, after.Department},
		{"manager", string(before.Manager), string(after.Manager)},
		{"email", before.Email, after.Email},
		{"mobile", before.Mobile, after.Mobile},
	} {
		if f.old != f.new {
			out = append(out, FieldChange{Field: f.name, Old: f.old, New: f.new})
		}
	}
	return out
}

// peopleRows resolves the managers of a people import.
type peopleRows struct {
	res       *PeopleResult
	known     []bot.Person
	byID      map[bot.PersonID]bot.Person
	platform  string
	platforms []string
	resolve   func(bot.PersonID) (bot.PersonID, error) // to the canonical id
}

// manager resolves a row's manager cell: "" with no warning for an empty
// cell; "" with a warning for one that matches nobody, several people, or
// the person themselves.
func (m peopleRows) manager(ip *ImportedPerson) (bot.PersonID, string, error) {
	cell := ip.Manager
	if cell == "" {
		return "", "", nil
	}
	id, found, err := m.managerByID(cell)
	if err != nil {
		return "", "", err
	}
	if !found {
		var warn string
		if id, warn = m.managerByNameOrEmail(cell); warn != "" {
			return "", warn, nil
		}
		found = id != ""
	}
	switch {
	case !found:
		return "", fmt.Sprintf("%q matches no row's id, name or email and nobody the bot knows; the manager is left as it was", cell), nil
	case id == ip.Person.ID:
		return "", "a person cannot be their own manager; the manager is left as it was", nil
	}
	return id, "", nil
}

// managerByID reads the cell as a person id: a row's, or someone the bot
// knows, or on an enabled platform when written with its platform.
func (m peopleRows) managerByID(cell string) (bot.PersonID, bool, error) {
	raw, err := bot.ParsePersonID(cell, m.platform)
	if err != nil {
		return "", false, nil
	}
	id, err := m.resolve(raw)
	if err != nil {
		return "", false, err
	}
	for _, ip := range m.res.People {
		if ip.Person.ID == id {
			return id, true, nil
		}
	}
	if _, ok := m.byID[id]; ok {
		return id, true, nil
	}
	explicit := strings.Contains(cell, ":") && bot.KnownPlatform(raw.Platform())
	ok := explicit && raw.Platform() != bot.Playground && (m.platforms == nil || slices.Contains(m.platforms, raw.Platform()))
	return id, ok, nil
}

// managerByNameOrEmail finds the one row, else the one person the bot
// knows, whose name or email is the cell. warn says the cell names several.
func (m peopleRows) managerByNameOrEmail(cell string) (bot.PersonID, string) {
	match := func(name, email string) bool {
		return name != "" && strings.EqualFold(strings.TrimSpace(name), cell) || email != "" && strings.EqualFold(email, cell)
	}
	var rows []string
	var ids []bot.PersonID
	for _, ip := range m.res.People {
		// A row's own cells, else what the bot knows of the person.
		if match(cmp.Or(ip.Name, ip.Person.Name), cmp.Or(ip.Email, ip.Person.Email)) {
			rows, ids = append(rows, fmt.Sprintf("row %d (%s)", ip.Row, ip.Person.ID)), append(ids, ip.Person.ID)
		}
	}
	if len(ids) == 0 {
		for _, p := range m.known {
			if match(p.Name, p.Email) {
				rows, ids = append(rows, string(p.ID)), append(ids, p.ID)
			}
		}
	}
	switch len(ids) {
	case 0:
		return "", ""
	case 1:
		return ids[0], ""
	}
	return "", fmt.Sprintf("%q matches %d people: %s; write the manager's id; the manager is left as it was", cell, len(ids), strings.Join(rows[:min(len(rows), 5)], ", "))
}

// applyPeople writes the changed and new people, and an audit event for
// each field changed.
func (s *Service) applyPeople(tx bot.Tx, in PeopleImport, res *PeopleResult) error {
	now := s.cfg.Clock.Now()
	for i := range res.People {
		ip := &res.People[i]
		if !ip.New && len(ip.Changes) == 0 {
			continue
		}
		if ip.New {
			ip.Person.CreatedAt = now
		}
		ip.Person.UpdatedAt = now
		if err := tx.PutPerson(ip.Person); err != nil {
			return err
		}
		for _, c := range ip.Changes {
			e := bot.AuditEvent{Kind: "person_imported", Field: c.Field, Old: c.Old, New: c.New, Note: string(ip.Person.ID) + " from " + in.File}
			if err := s.audit(tx, e); err != nil {
				return err
			}
		}
	}
	res.Applied = true
	return nil
}

// idProblem is a problem with a row's id.
func idProblem(f *importer.People, row importer.PersonRow, msg string) importer.Problem {
	return peopleCellProblem(f, row, importer.FieldID, string(row.ID), msg)
}

func peopleCellProblem(f *importer.People, row importer.PersonRow, field importer.Field, value, msg string) importer.Problem {
	pr := importer.Problem{Row: row.Row, Field: field, Value: value, Message: msg}
	for _, c := range f.Columns {
		if c.Field == field {
			pr.Column = c.Header
		}
	}
	return pr
}
