package flows

import (
	"slices"

	"github.com/loopbot/loopbot/bot"
)

// projectCache wraps the transaction of a scheduled run, so that a project
// read once per task (thousands of times in a morning's fan-out or an
// escalation sweep) is decoded once.
type projectCache struct {
	bot.Tx
	projects map[uint64]bot.Project
	// plans are the projects planned in this run (escalationPlan).
	plans map[uint64]*escPlan
	// people are the people read by readPerson, to be read only.
	people map[bot.PersonID]bot.Person
	// redraws, when not nil, collects the group warning lines to draw
	// again at the end of the transaction (Service.flushGroupRedraws).
	redraws *groupRedraws
	// memo is what those redraws read (escalations, what their lines
	// show), kept with the cache from one transaction of a flush to the
	// next.
	memo *groupMemo
}

// groupRedraws are the lines of group warnings that a transaction of
// FlushGroupRedraws has yet to draw again: the cards, in the order first
// named, and for each the escalations whose lines changed. Each card is
// drawn and written once, however many of its lines changed: when a
// project's tasks fall overdue together, each closes a "no progress"
// escalation listed in every day's warning, and drawing each card once a
// task wrote the same long card again and again (issue 7).
type groupRedraws struct {
	cards []uint64
	escs  map[uint64][]uint64
	lines int // of all the cards
}

// add files escalation e's line of group warning card.
func (g *groupRedraws) add(card, e uint64) {
	if g.escs == nil {
		g.escs = map[uint64][]uint64{}
	}
	list, ok := g.escs[card]
	if !ok {
		g.cards = append(g.cards, card)
	}
	if !slices.Contains(list, e) {
		g.escs[card] = append(list, e)
		g.lines++
	}
}

// deferredRedraws returns the group redraws that tx collects, or nil when
// it draws them at once.
func deferredRedraws(tx bot.Tx) *groupRedraws {
	if c, ok := tx.(*projectCache); ok {
		return c.redraws
	}
	return nil
}

// PutPerson writes through and forgets the cached copy.
func (c *projectCache) PutPerson(p bot.Person) error {
	delete(c.people, p.ID)
	return c.Tx.PutPerson(p)
}

// Person returns a copy of the cached person (its slices too), reading
// it the first time: a group warning of 200 lines names the same few
// dozen people again and again. A person that cannot be read is not
// cached.
func (c *projectCache) Person(id bot.PersonID) (bot.Person, error) {
	p, ok := c.people[id]
	if !ok {
		var err error
		if p, err = c.Tx.Person(id); err != nil {
			return p, err
		}
		if c.people == nil {
			c.people = map[bot.PersonID]bot.Person{}
		}
		c.people[id] = p
	}
	p.Leave, p.Chosen, p.Identities = slices.Clone(p.Leave), slices.Clone(p.Chosen), slices.Clone(p.Identities)
	return p, nil
}

// readPerson is Service.person through the run's cache, when tx has one,
// without the copy: for callers that only read the person (its slices are
// shared with the cache's copy).
func (s *Service) readPerson(tx bot.Tx, id bot.PersonID) bot.Person {
	c, ok := tx.(*projectCache)
	if !ok {
		return s.person(tx, id)
	}
	if p, ok := c.people[id]; ok {
		return p
	}
	if _, err := c.Person(id); err != nil {
		return bot.Person{ID: id}
	}
	return c.people[id]
}

// cachedProjects returns tx with a projectCache over it, unless it has one.
func cachedProjects(tx bot.Tx) bot.Tx {
	if _, ok := tx.(*projectCache); ok {
		return tx
	}
	return withProjectCache(tx)
}

func withProjectCache(tx bot.Tx) bot.Tx {
	return &projectCache{Tx: tx, projects: map[uint64]bot.Project{}}
}

// runCache keeps one projectCache over the transactions of a job run in
// batches (Service.batches), for as long as no other transaction commits
// between two of them: what it holds was read from the state the next
// transaction starts from. Once another commits, it starts afresh.
type runCache struct {
	c *projectCache
	// deferGroups has the cache collect group warning redraws, to draw
	// with Service.flushGroupRedraws before each commit
	// (FlushGroupRedraws).
	deferGroups bool
}

// begin is a txSteps.begin: it returns the cache over tx, kept from the
// job's previous transaction when continued.
func (r *runCache) begin(tx bot.Tx, continued bool) bot.Tx {
	if r.c == nil || !continued {
		r.c = withProjectCache(tx).(*projectCache)
	}
	r.c.Tx = tx
	if r.deferGroups {
		r.c.redraws = &groupRedraws{}
	}
	return r.c
}

// Project returns a copy of the cached project, reading it the first time.
func (c *projectCache) Project(id uint64) (bot.Project, error) {
	p, ok := c.projects[id]
	if !ok {
		var err error
		if p, err = c.Tx.Project(id); err != nil {
			return p, err
		}
		c.projects[id] = p
	}
	p.Managers, p.Members, p.Groups = slices.Clone(p.Managers), slices.Clone(p.Members), slices.Clone(p.Groups)
	return p, nil
}

// PutProject writes through and forgets the cached copy.
func (c *projectCache) PutProject(p bot.Project) error {
	delete(c.projects, p.ID)
	return c.Tx.PutProject(p)
}

// PutTask writes through and forgets the plan of the task's project.
func (c *projectCache) PutTask(t bot.Task) error {
	delete(c.plans, t.Project)
	return c.Tx.PutTask(t)
}

// plan returns the plan of a project kept in this run; a nil cache keeps
// none.
func (c *projectCache) plan(pid uint64) (*escPlan, bool) {
	if c == nil {
		return nil, false
	}
	pp, ok := c.plans[pid]
	return pp, ok
}

// keepPlan keeps a project's plan for the rest of the run.
func (c *projectCache) keepPlan(pid uint64, pp *escPlan) {
	if c == nil {
		return
	}
	if c.plans == nil {
		c.plans = map[uint64]*escPlan{}
	}
	c.plans[pid] = pp
}
