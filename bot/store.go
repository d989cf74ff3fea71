package bot

import (
	"context"
	"io"
	"strconv"
	"time"
)

// Store is the persistent state. Every read and change happens in a
// transaction, so that a state change and the messages it causes commit
// together or not at all. The bbolt store implements it; a clustered backend
// could replace it.
type Store interface {
	View(ctx context.Context, fn func(Tx) error) error
	Update(ctx context.Context, fn func(Tx) error) error
	// Batch is Update for writes that arrive together (inbound events,
	// delivery records): concurrent calls share one transaction and its
	// fsyncs. When fn fails, the others commit without it and fn runs again
	// alone, whose error is returned. So fn may run more than once, and
	// must change nothing outside the transaction: collect results in
	// variables it sets afresh on each run, and use AfterCommit for the rest.
	Batch(ctx context.Context, fn func(Tx) error) error
	// Backup writes a consistent copy of the whole store to w.
	Backup(ctx context.Context, w io.Writer) (int64, error)
	// Check verifies the store's integrity.
	Check(ctx context.Context) error
	Close() error
}

// Tx is one transaction. The methods of a View transaction that change state
// fail. Errors for missing records have the code ENOTFOUND.
type Tx interface {
	PersonTx
	IdentityTx
	ProjectTx
	TaskTx
	AuditTx
	CardTx
	OutboxTx
	EventTx
	MetaTx
	CheckinTx
	EscalationTx
	ReviewTx
	ChatTx
	RetentionTx
	DueTx
	RiskTx
	ChangeTx
	FileTx
}

// PersonTx reads and writes people.
type PersonTx interface {
	Person(id PersonID) (Person, error)
	PutPerson(p Person) error
	People() ([]Person, error)
}

// ProjectTx reads and writes projects. Short ids come from NextProjectID and
// are never reused.
type ProjectTx interface {
	NextProjectID() (uint64, error)
	Project(id uint64) (Project, error)
	PutProject(p Project) error
	Projects() ([]Project, error)
	// ProjectByGroup returns the open project bound to a group chat.
	ProjectByGroup(g Target) (Project, error)
}

// TaskTx reads and writes tasks. PutTask keeps the secondary indexes (by
// assignee, by project and by parent) in step.
type TaskTx interface {
	NextTaskID() (uint64, error)
	Task(id uint64) (Task, error)
	PutTask(t Task) error
	// Tasks returns the tasks that match f, by id, using an index when f
	// names a parent, a project or an assignee.
	Tasks(f TaskFilter) ([]Task, error)
}

// TxVersion is implemented by a Tx that tells which committed data it
// sees: Version is the same in two transactions when no record changed
// between them (deliveries aside: the outbox's progress and the
// playground's chat lines), so that what was worked out in the first, a
// read transaction that holds no lock, can be written in the second without
// working it out again. In a write transaction that changed a record, it is
// the version that the transaction commits.
type TxVersion interface {
	Version() uint64
}

// ProjectRevision is implemented by a Tx that tells, for a project, a
// revision that changes whenever the project or one of its tasks is
// written, and is never given twice (not even after a transaction that
// rolls back), so that what was worked out from them (the project's plan)
// can be kept from one transaction to the next while the revision stands.
// A project never written since the store kept revisions has "".
//
// LinksRevision changes, the same way, only when a task joins or leaves
// the project, is cancelled or restored, or has its dependencies changed:
// what the project's task network (whether any task waits for another)
// depends on, and not its tasks' progress or dates. "" while none did
// since the store kept them.
type ProjectRevision interface {
	ProjectRevision(project uint64) (string, error)
	LinksRevision(project uint64) (string, error)
}

// AuditTx appends to and reads the audit log.
type AuditTx interface {
	AppendAudit(e AuditEvent) error
	TaskHistory(task uint64) ([]AuditEvent, error)
	// Audit returns the events with from <= Time < to, oldest first.
	Audit(from, to time.Time) ([]AuditEvent, error)
	// ProjectAudit returns the events that name the project with
	// from <= Time < to, oldest first, reading only those.
	ProjectAudit(project uint64, from, to time.Time) ([]AuditEvent, error)
}

// CardTx reads and writes sent cards.
type CardTx interface {
	NextCardID() (uint64, error)
	Card(id uint64) (CardRecord, error)
	// HasCard reports whether the card's record is still kept, without
	// reading it.
	HasCard(id uint64) (bool, error)
	PutCard(c CardRecord) error
	// CardsByKey returns the cards with the given key, oldest first.
	CardsByKey(key string) ([]CardRecord, error)
}

// OutboxTx queues and tracks outgoing deliveries.
type OutboxTx interface {
	// Enqueue stores a new item and returns its id. An update of a card that
	// already has an undelivered update queued is coalesced into that one
	// (and its id returned).
	Enqueue(it OutboxItem) (uint64, error)
	OutboxItem(id uint64) (OutboxItem, error)
	// PendingOutbox returns up to limit undelivered items, oldest first.
	PendingOutbox(limit int) ([]OutboxItem, error)
	// PendingOutboxAfter is PendingOutbox for the items whose id is
	// greater than after.
	PendingOutboxAfter(after uint64, limit int) ([]OutboxItem, error)
	// PutOutboxItem saves a retried item (attempts, next try, last error).
	PutOutboxItem(it OutboxItem) error
	// CompleteOutbox removes a delivered item.
	CompleteOutbox(id uint64) error
	// DeadLetter moves an item to the dead letters.
	DeadLetter(it OutboxItem) error
	DeadLetters() ([]OutboxItem, error)
	OutboxDepth() (int, error)
}

// EventTx de-duplicates inbound events.
type EventTx interface {
	// SeenEvent reports whether an event id was recorded.
	SeenEvent(id string) (bool, error)
	MarkEvent(id string, at time.Time) error
	// PruneEvents forgets up to limit event ids recorded before the given
	// time, oldest first, and reports whether more are due.
	PruneEvents(before time.Time, limit int) (int, bool, error)
}

// MetaTx keeps small named values: scheduler state, calendar additions, the
// fake clock, adapter state.
type MetaTx interface {
	Meta(key string) ([]byte, error)
	PutMeta(key string, value []byte) error
	// MetaPrefix returns every key with the prefix and its value, in key order.
	MetaPrefix(prefix string) (map[string][]byte, error)
	// MetaKeysAfter returns up to limit keys with the prefix that sort
	// after the key after ("" for the first), in key order, without their
	// values.
	MetaKeysAfter(prefix, after string, limit int) ([]string, error)
	// DeleteMeta removes a key; a missing key is no error.
	DeleteMeta(key string) error
}

// RetentionTx removes what is kept only for a while (see Retention). Each
// method removes at most limit records, oldest first, so that a caller can
// commit in short transactions, and reports how many it removed and whether
// more are due.
type RetentionTx interface {
	// PruneCards removes the card records that can no longer change: those
	// with no buttons left that have not changed since finishedBefore, and
	// any not changed since openBefore (their buttons have expired). gone,
	// when not nil, gets each record before it is removed, in the same
	// transaction, to remove what refers to it; ErrPruneEnough from it stops
	// the call before that card, which reports more to look at.
	PruneCards(finishedBefore, openBefore time.Time, limit int, gone func(CardRecord) error) (int, bool, error)
	// PruneChat removes the playground chat lines sent before the time.
	PruneChat(before time.Time, limit int) (int, bool, error)
	// PruneDeadLetters removes the dead letters that died before the time.
	PruneDeadLetters(before time.Time, limit int) (int, bool, error)
}

// Due index subjects, each followed by an id: a task's rules; a person's
// (their zone or leave changed: their tasks' rules and their missed
// check-ins); a person's missed check-ins alone (a check-in or one of
// their tasks changed, a prompt's cut-off came, a project of their open
// tasks closed or opened again); a project's (its tasks' rules); an open
// escalation's next step up the ladder.
const (
	DueTaskPrefix       = "task/"
	DuePersonPrefix     = "person/"
	DueCheckinsPrefix   = "checkins/"
	DueProjectPrefix    = "project/"
	DueEscalationPrefix = "esc/"
)

// DueEscalation returns the due index subject of escalation id's climb.
func DueEscalation(id uint64) string { return DueEscalationPrefix + strconv.FormatUint(id, 10) }

// DueNever is the time that removes a subject from the due index.
var DueNever = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// DueTx is the escalation check's work list, so that a check looks only at
// what changed and at what a rule may fire for by now, not at everything.
// The store files a subject as changed whenever it writes a task (the task,
// and its assignees' check-ins), a person, a project (and, when it closes
// or opens again, its open tasks' assignees' check-ins), a check-in (the
// person's check-ins), and an escalation (the escalation, while it is
// open; a resolved one leaves the index); a prompt files its person's
// check-ins by its cut-off, keeping a sooner entry; the check files each
// subject it looked at for the next time one of its rules may change, and
// each open escalation for the next time it may climb.
type DueTx interface {
	// SetDue files subject for the given time, replacing its entry; the
	// zero time means at once, DueNever removes it.
	SetDue(subject string, at time.Time) error
	// TakeDue removes and returns up to limit subjects due at or before
	// the time, changed ones first, and reports whether more are due.
	TakeDue(at time.Time, limit int) ([]string, bool, error)
	// DueSubjects returns the subjects due at or before the time, changed
	// ones first, and leaves them filed.
	DueSubjects(at time.Time) ([]string, error)
}

// longReadKey marks a context whose read transaction is long (LongRead).
type longReadKey struct{}

// LongRead marks ctx for a View that reads a large part of the store (an
// export), so that the store gives back the memory of what it has read as
// it goes rather than keeping it resident. Short reads should not use it:
// they would only fault their pages in again.
func LongRead(ctx context.Context) context.Context {
	return context.WithValue(ctx, longReadKey{}, true)
}

// IsLongRead reports whether ctx was marked by LongRead.
func IsLongRead(ctx context.Context) bool {
	v, _ := ctx.Value(longReadKey{}).(bool)
	return v
}
