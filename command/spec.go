package command

import "strings"

// Access levels of a command: who may run it. The /help handler uses them to
// list only what a person may use; the real permission checks are made where
// the command is handled.
const (
	AccessAnyone  = "anyone"
	AccessManager = "manager"
	AccessAdmin   = "admin"
)

// Spec describes one command of SPEC §3: its English and Chinese names, how it
// is written, and who may run it. Parse accepts every command of the table;
// whether one is built is known only to its handler (flows), which answers
// "not available yet" for the others.
type Spec struct {
	Name      string // canonical English name, such as "task"
	Zh        string // Chinese name, such as "任务"
	Usage     string // English usage; for a command with subcommands, one line per subcommand
	UsageZh   string // Chinese usage, written with the Chinese names
	Summary   string // one sentence in English
	SummaryZh string // one sentence in Chinese
	Subs      []SubSpec
	// Access is who may run the command: AccessAnyone, AccessManager or
	// AccessAdmin. For a command with subcommands it is the loosest access of
	// its subcommands, and each SubSpec carries its own.
	Access string
}

// SubSpec describes one subcommand, such as "task new" (任务 新建).
type SubSpec struct {
	Name      string   // canonical English name, such as "new"
	Zh        string   // Chinese name, such as "新建"
	Aliases   []string // further accepted names, such as "移除" and "delete" for "remove"
	Usage     string
	UsageZh   string
	Summary   string
	SummaryZh string
	Access    string
}

// Specs returns every command of SPEC §3, plus /assign (指派), in the order of
// SPEC §3. The result is a fresh copy that the caller may change.
func Specs() []Spec {
	var specs []Spec
	specs = append(specs, planningSpecs()...)
	specs = append(specs, updateSpecs()...)
	specs = append(specs, rhythmSpecs()...)
	specs = append(specs, adminSpecs()...)
	specs = append(specs, registerSpecs()...)
	specs = append(specs, actionSpecs()...)
	for i := range specs {
		specs[i].fillFromSubs()
	}
	return specs
}

// Lookup finds a command by its English or Chinese name, in any case and
// width, with or without the leading '/' (or '／').
func Lookup(name string) (Spec, bool) {
	key := strings.TrimPrefix(fold(strings.TrimSpace(name)), "/")
	for _, s := range Specs() {
		if key == s.Name || key == s.Zh {
			return s, true
		}
	}
	return Spec{}, false
}

// Sub finds a subcommand of s by its English or Chinese name or an alias, in
// any case and width.
func (s Spec) Sub(name string) (SubSpec, bool) {
	key := fold(name)
	for _, sub := range s.Subs {
		if sub.matches(key) {
			return sub, true
		}
	}
	return SubSpec{}, false
}

// UsageFor returns the usage in lang ("zh" or anything else for English).
func (s Spec) UsageFor(lang string) string {
	if isZh(lang) {
		return s.UsageZh
	}
	return s.Usage
}

// UsageFor returns the usage in lang ("zh" or anything else for English).
func (s SubSpec) UsageFor(lang string) string {
	if isZh(lang) {
		return s.UsageZh
	}
	return s.Usage
}

// NameFor returns the command's name in lang, without the slash.
func (s Spec) NameFor(lang string) string {
	if isZh(lang) {
		return s.Zh
	}
	return s.Name
}

// NameFor returns the subcommand's name in lang.
func (s SubSpec) NameFor(lang string) string {
	if isZh(lang) {
		return s.Zh
	}
	return s.Name
}

// matches reports whether the folded name key names s.
func (s SubSpec) matches(key string) bool {
	if key == s.Name || key == s.Zh {
		return true
	}
	for _, a := range s.Aliases {
		if key == a {
			return true
		}
	}
	return false
}

// fillFromSubs derives the usage and the access of a command with
// subcommands from its subcommands, so that the table says each thing once.
func (s *Spec) fillFromSubs() {
	if len(s.Subs) == 0 {
		return
	}
	var en, zh []string
	access := AccessAdmin
	for _, sub := range s.Subs {
		en = append(en, sub.Usage)
		zh = append(zh, sub.UsageZh)
		access = looser(access, sub.Access)
	}
	s.Usage = strings.Join(en, "\n")
	s.UsageZh = strings.Join(zh, "\n")
	s.Access = access
}

// looser returns the access level of a and b that lets more people in.
func looser(a, b string) string {
	rank := map[string]int{AccessAnyone: 0, AccessManager: 1, AccessAdmin: 2}
	if rank[b] < rank[a] {
		return b
	}
	return a
}
