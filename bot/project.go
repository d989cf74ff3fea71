package bot

import (
	"slices"
	"strconv"
	"time"
)

// Project groups tasks under an owner, with managers, members and at most one
// bound group chat per platform.
type Project struct {
	ID         uint64     `json:"id"`
	Name       string     `json:"name"`
	Owner      PersonID   `json:"owner"`
	Managers   []PersonID `json:"managers,omitempty"`
	Members    []PersonID `json:"members,omitempty"`
	Groups     []Target   `json:"groups,omitempty"`
	Start      Date       `json:"start,omitempty"`
	Deadline   Date       `json:"deadline,omitempty"`
	Acceptance bool       `json:"acceptance"`
	Closed     bool       `json:"closed,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// Code returns the project's short id, such as "P3".
func (p Project) Code() string { return "P" + strconv.FormatUint(p.ID, 10) }

// IsManager reports whether id owns or manages the project.
func (p Project) IsManager(id PersonID) bool {
	return p.Owner == id || slices.Contains(p.Managers, id)
}

// IsMember reports whether id takes part in the project in any role.
func (p Project) IsMember(id PersonID) bool {
	return p.IsManager(id) || slices.Contains(p.Members, id)
}

// Group returns the group chat bound on the given platform, if any.
func (p Project) Group(platform string) (Target, bool) {
	for _, g := range p.Groups {
		if g.Platform == platform {
			return g, true
		}
	}
	return Target{}, false
}

// BindGroup binds g as the project's group on g's platform, replacing any
// earlier one on that platform.
func (p *Project) BindGroup(g Target) {
	p.Groups = slices.DeleteFunc(p.Groups, func(x Target) bool { return x.Platform == g.Platform })
	p.Groups = append(p.Groups, g)
}

// AddMember adds id to the members unless it is there already.
func (p *Project) AddMember(id PersonID) {
	if !slices.Contains(p.Members, id) {
		p.Members = append(p.Members, id)
	}
}
