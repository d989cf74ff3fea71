package bot

import (
	"slices"
	"strings"
	"time"
)

// PersonID identifies a person by one platform identity: "feishu:<open_id>",
// "dingtalk:<userId>", "wecom:<userid>" or "playground:<id>".
type PersonID string

// Platform returns the platform part of p ("feishu", "playground", …).
func (p PersonID) Platform() string {
	platform, _, _ := strings.Cut(string(p), ":")
	return platform
}

// Local returns the platform's own id of p, without the platform prefix.
func (p PersonID) Local() string {
	_, local, _ := strings.Cut(string(p), ":")
	return local
}

// ParsePersonID reads "<platform>:<id>", or a bare id on the given default
// platform. It returns EINVALID for an empty id or an unknown platform.
func ParsePersonID(s, defaultPlatform string) (PersonID, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "@")
	platform, local, ok := strings.Cut(s, ":")
	if !ok {
		platform, local = defaultPlatform, s
	}
	if local == "" || !KnownPlatform(platform) {
		return "", Errorf(EINVALID, "%q is not a person; write @name", s)
	}
	return PersonID(platform + ":" + local), nil
}

// Platform names.
const (
	Feishu     = "feishu"
	DingTalk   = "dingtalk"
	WeCom      = "wecom"
	Playground = "playground"
)

// KnownPlatform reports whether name is one of the supported platforms.
func KnownPlatform(name string) bool {
	switch name {
	case Feishu, DingTalk, WeCom, Playground:
		return true
	}
	return false
}

// ParsePlatform reads a platform's name as people write it, in English or
// Chinese ("feishu", "Lark", "飞书", "钉钉", "企业微信", …). It returns EINVALID
// for anything else.
func ParsePlatform(s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "feishu", "lark", "飞书":
		return Feishu, nil
	case "dingtalk", "dingding", "钉钉":
		return DingTalk, nil
	case "wecom", "wework", "企业微信", "企微":
		return WeCom, nil
	case "playground", "演练场":
		return Playground, nil
	}
	return "", Errorf(EINVALID, "%q is not a platform; use feishu, dingtalk, wecom or playground", s)
}

// Role is a person's deployment-wide role.
type Role string

// Roles, from most to least powerful.
const (
	RoleAdmin   Role = "admin"
	RoleManager Role = "manager"
	RoleMember  Role = "member"
)

// ParseRole reads a role name in English or Chinese. It returns EINVALID for
// anything else.
func ParseRole(s string) (Role, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "admin", "管理员":
		return RoleAdmin, nil
	case "manager", "经理", "项目经理":
		return RoleManager, nil
	case "member", "成员":
		return RoleMember, nil
	}
	return "", Errorf(EINVALID, "%q is not a role; use admin, manager or member", s)
}

// Person is someone the bot knows. Missing data (name, manager, zone) is
// never an error: the defaults of the deployment apply.
type Person struct {
	ID   PersonID `json:"id"`
	Name string   `json:"name,omitempty"`
	// Email is the person's work address, from the config or a platform
	// directory; plan imports match assignees by it.
	Email string `json:"email,omitempty"`
	// Mobile is the person's mobile number ("+8613800138000"), from a
	// platform directory or a people import; "" when unknown.
	Mobile  string   `json:"mobile,omitempty"`
	Role    Role     `json:"role,omitempty"`
	Manager PersonID `json:"manager,omitempty"`
	// Department is the person's department, from the platform's contact
	// API, an import or the config; "" when unknown.
	Department string `json:"department,omitempty"`
	Timezone   string `json:"timezone,omitempty"`
	Lang       string `json:"lang,omitempty"`
	CheckinAt  string `json:"checkin_at,omitempty"`
	// Leave lists the days off the person declared with /leave.
	Leave []Date `json:"leave,omitempty"`
	// Chosen lists the fields the person (or an admin, for the role) set
	// with a command: SettingTimezone, SettingCheckin, SettingLang,
	// SettingRole. Seeding from the config or a platform directory never
	// overwrites them (Seed).
	Chosen []string `json:"chosen,omitempty"`
	// Identities are the person's other platform identities, linked with
	// /link; never ID itself, at most one per platform. Every record names
	// the person by ID (the canonical identity); the store's identity index
	// maps each of these to ID (Tx.ResolvePerson).
	Identities []PersonID `json:"identities,omitempty"`
	// Platform is where the person chose to get their cards
	// (/settings platform, SettingPlatform); "" for no choice.
	Platform string `json:"platform,omitempty"`
	// LastPlatform is the platform the person last wrote from; cards go
	// there when Platform is not set.
	LastPlatform string    `json:"last_platform,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// The fields of Person that people choose with commands (Person.Chosen).
const (
	SettingTimezone = "timezone" // /settings timezone
	SettingCheckin  = "checkin"  // /settings checkin
	SettingLang     = "lang"     // /settings lang
	SettingRole     = "role"     // /role, by an admin
	SettingPlatform = "platform" // /settings platform
)

// Choose records that field was set by a command, so that seeding leaves
// it alone from now on.
func (p *Person) Choose(field string) {
	if !p.HasChosen(field) {
		p.Chosen = append(p.Chosen, field)
	}
}

// HasChosen reports whether field was set by a command.
func (p Person) HasChosen(field string) bool {
	for _, f := range p.Chosen {
		if f == field {
			return true
		}
	}
	return false
}

// Seed fills p with what the config or a platform directory knows about
// the person: each non-empty field of from (Name, Email, Mobile, Manager,
// Department, Timezone, Lang, CheckinAt, Role) replaces p's, unless the
// person chose that field with a command (Chosen). Empty fields of from change nothing. It reports whether
// p changed.
func (p *Person) Seed(from Person) bool {
	changed := false
	set := func(dst *string, v, field string) {
		if v != "" && *dst != v && (field == "" || !p.HasChosen(field)) {
			*dst, changed = v, true
		}
	}
	set(&p.Name, from.Name, "")
	set(&p.Email, from.Email, "")
	set(&p.Mobile, from.Mobile, "")
	set((*string)(&p.Manager), string(from.Manager), "")
	set(&p.Department, from.Department, "")
	set(&p.Timezone, from.Timezone, SettingTimezone)
	set(&p.Lang, from.Lang, SettingLang)
	set(&p.CheckinAt, from.CheckinAt, SettingCheckin)
	set((*string)(&p.Role), string(from.Role), SettingRole)
	return changed
}

// DisplayName returns the person's name, or their platform id when the name
// is unknown.
func (p Person) DisplayName() string {
	if p.Name != "" {
		return p.Name
	}
	return p.ID.Local()
}

// IsAdmin reports whether p has the admin role.
func (p Person) IsAdmin() bool { return p.Role == RoleAdmin }

// IsManager reports whether p may create projects (managers and admins).
func (p Person) IsManager() bool { return p.Role == RoleAdmin || p.Role == RoleManager }

// OnLeave reports whether p declared leave on d.
func (p Person) OnLeave(d Date) bool {
	for _, l := range p.Leave {
		if l == d {
			return true
		}
	}
	return false
}

// AllIdentities returns the person's canonical id followed by their linked
// identities.
func (p Person) AllIdentities() []PersonID {
	return append([]PersonID{p.ID}, p.Identities...)
}

// HasIdentity reports whether id is the person's canonical id or one of
// their linked identities.
func (p Person) HasIdentity(id PersonID) bool {
	return id == p.ID || slices.Contains(p.Identities, id)
}

// IdentityOn returns the person's identity on a platform, if they have one.
func (p Person) IdentityOn(platform string) (PersonID, bool) {
	for _, id := range p.AllIdentities() {
		if id.Platform() == platform {
			return id, true
		}
	}
	return "", false
}
