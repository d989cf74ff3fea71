package bot

import "time"

// LinkCodeTTL is how long a /link code works.
const LinkCodeTTL = 10 * time.Minute

// LinkCode is a one-time code that /link handed out: whoever types it with
// /link on another platform joins that identity to the person who asked.
// The store keeps it under a hash of the code, never the code itself.
type LinkCode struct {
	// Person is the canonical id of the person who asked; Identity the
	// identity they asked from (its platform is the code's platform).
	Person   PersonID  `json:"person"`
	Identity PersonID  `json:"identity"`
	Created  time.Time `json:"created"`
	Expires  time.Time `json:"expires"`
	// Used is when the code linked an identity (UsedBy); a used code is kept
	// until it expires, so that a second use is told so.
	Used   time.Time `json:"used,omitzero"`
	UsedBy PersonID  `json:"used_by,omitempty"`
}

// Kinds of MergeRef: the records that a merge re-points from the joined
// person to the kept one.
const (
	RefTask       = "task"       // ID; Field "assignee" or "assigner"
	RefProject    = "project"    // ID; Field "owner", "manager" or "member"
	RefEscalation = "escalation" // ID; Field "person", "acknowledged_by", "snoozed_by", "resolved_by"
	RefRisk       = "risk"       // ID; Field "owner", "created_by", "closed_by"
	RefChange     = "change"     // ID; Field "requester", "asked_of", "decider"
	RefCard       = "card"       // ID; Field "to" or "key" (Key: the old key)
	RefCheckIn    = "checkin"    // Key: the day, yyyy-mm-dd
	RefPrompt     = "prompt"     // Key: the day, yyyy-mm-dd
	RefReview     = "review"     // ID: the project; Key: the ISO week
	RefManager    = "manager"    // Key: the person whose manager it was
	RefMeta       = "meta"       // Key: the meta key under the joined id
)

// MergeRef names one record, and the field of it, that a merge moved from
// the joined person to the kept one, so that a split can move it back.
type MergeRef struct {
	Kind  string `json:"k"`
	ID    uint64 `json:"i,omitempty"`
	Key   string `json:"key,omitempty"`
	Field string `json:"f,omitempty"`
}

// Merge records that two people became one: Joined (with Identities) was
// linked to Kept, and what moved. /unlink reads it to split them again.
type Merge struct {
	ID   uint64    `json:"id"`
	Time time.Time `json:"time"`
	By   PersonID  `json:"by,omitempty"`
	Kept PersonID  `json:"kept"`
	// Joined is the canonical id of the person who joined; Identities all
	// of their identities, Joined first.
	Joined     PersonID   `json:"joined"`
	Identities []PersonID `json:"identities"`
	// Before is the joined person's record as it was (zero ID when the
	// identity had no record yet); KeptBefore the kept person's.
	Before     Person `json:"before"`
	KeptBefore Person `json:"kept_before"`
	// Adopted are the settings (Person.Chosen fields) the kept person took
	// from the joined one; Conflicts those both had chosen, where the kept
	// person's stayed.
	Adopted   []string `json:"adopted,omitempty"`
	Conflicts []string `json:"conflicts,omitempty"`
	// LeaveAdded are the joined person's days of leave that the kept
	// person did not have.
	LeaveAdded []Date `json:"leave_added,omitempty"`
	// RoleFrom is the kept person's role when the joined one's was higher
	// and replaced it; "" otherwise.
	RoleFrom Role       `json:"role_from,omitempty"`
	Moved    []MergeRef `json:"moved,omitempty"`
	// The joined person's check-ins, prompts and reviews for days (weeks)
	// the kept person had their own, which stayed: kept here, put back by a
	// split.
	HeldCheckIns []CheckIn `json:"held_checkins,omitempty"`
	HeldPrompts  []Prompt  `json:"held_prompts,omitempty"`
	HeldReviews  []Review  `json:"held_reviews,omitempty"`
	// SplitAt is when /unlink split the joined person off again.
	SplitAt time.Time `json:"split_at,omitzero"`
	SplitBy PersonID  `json:"split_by,omitempty"`
}

// Count returns how many records of a kind moved (each record once, even
// when several of its fields did).
func (m Merge) Count(kind string) int {
	seen := map[MergeRef]bool{}
	for _, r := range m.Moved {
		if r.Kind == kind {
			seen[MergeRef{Kind: r.Kind, ID: r.ID, Key: r.Key}] = true
		}
	}
	return len(seen)
}

// IdentityTx links the identities of people (SPEC §1). Every record names a
// person by their canonical id; the store maps each linked identity to it.
type IdentityTx interface {
	// ResolvePerson returns the canonical id of the person an identity
	// belongs to: id itself when it is no one's linked identity.
	ResolvePerson(id PersonID) (PersonID, error)
	// MergePeople joins the person join (a canonical id; an identity with
	// no record is linked as it is) into the person keep: join's
	// identities become keep's, and every record of join is re-pointed to
	// keep, as the returned Merge lists. It returns ECONFLICT when both
	// have an identity on the same platform, or when join is a linked
	// identity or keep is not a canonical person, and ENOTFOUND when keep
	// has no record.
	MergePeople(keep, join, by PersonID, at time.Time) (Merge, error)
	// SplitPerson unlinks the identity id from its person and makes it a
	// person of its own again, moving back what the merge that joined it
	// moved and still names the person. It returns EINVALID when id is not
	// a linked identity (a canonical id cannot be split off), and the
	// Merge it undid (zero ID when none recorded the identity).
	SplitPerson(id, by PersonID, at time.Time) (Merge, error)
	// Merges returns every merge record, oldest first.
	Merges() ([]Merge, error)
	// PutLinkCode stores a link code under a hash of code. It forgets the
	// codes that expired a day before c was made, and the unused ones of
	// the same identity.
	PutLinkCode(code string, c LinkCode) error
	// LinkCode returns the code's record, or ENOTFOUND.
	LinkCode(code string) (LinkCode, error)
	// UseLinkCode marks the code used by id at the time; ENOTFOUND when
	// there is none.
	UseLinkCode(code string, by PersonID, at time.Time) error
}
