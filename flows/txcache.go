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
}

func withProjectCache(tx bot.Tx) bot.Tx {
	return &projectCache{Tx: tx, projects: map[uint64]bot.Project{}}
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
