package store

import (
	"slices"
	"strings"
)

// Buckets. This is the one place that lists every bucket of the file. The
// first migration creates them all in a new file; a later step that adds
// buckets creates them in a file made before it, and so finds them already
// there in a new file. Ids are big-endian uint64 keys from the
// bucket's own NextSequence, so that each kind of short id (P1, T1, …) is
// dense and never reused, and cursors walk records in creation order. Values
// are JSON unless noted.
const (
	// bucketMeta holds small named values: the store's own keys below and
	// the keys of bot.MetaTx.
	bucketMeta = "meta"

	// bucketPeople maps a bot.PersonID to a bot.Person.
	bucketPeople = "people"

	// bucketProjects maps a project id to a bot.Project.
	bucketProjects = "projects"
	// bucketProjectsByGroup maps a bound group's Target.String() to the id
	// of the open project bound to it. Closed projects have no entries.
	bucketProjectsByGroup = "projects_by_group"

	// bucketTasks maps a task id to a bot.Task.
	bucketTasks = "tasks"
	// bucketTasksByAssignee holds the keys <assignee>\x00<task id>, with
	// empty values.
	bucketTasksByAssignee = "tasks_by_assignee"
	// bucketTasksByProject holds the keys <project id><task id>, with empty
	// values.
	bucketTasksByProject = "tasks_by_project"

	// bucketAudit maps an audit event id to a bot.AuditEvent. Ids grow with
	// time, but an event's Time is set by the caller, so range reads filter.
	bucketAudit = "audit"
	// bucketAuditByTask holds the keys <task id><audit id>, with empty
	// values.
	bucketAuditByTask = "audit_by_task"

	// bucketCards maps a card id to a bot.CardRecord.
	bucketCards = "cards"
	// bucketCardsByKey holds the keys <card key>\x00<card id>, with empty
	// values.
	bucketCardsByKey = "cards_by_key"

	// bucketOutbox maps an outbox item id to a pending bot.OutboxItem.
	bucketOutbox = "outbox"
	// bucketOutboxUpdates maps a card id to the id of its pending OpUpdate
	// item, so that later updates of the card coalesce into it.
	bucketOutboxUpdates = "outbox_updates"
	// bucketDeadLetters maps an outbox item id to a dead-lettered
	// bot.OutboxItem.
	bucketDeadLetters = "dead_letters"

	// bucketEvents maps an inbound event id to the time it was marked, as
	// big-endian Unix nanoseconds.
	bucketEvents = "events"
	// bucketEventsByTime holds the keys <unix nanos><event id>, with empty
	// values, so that pruning walks the oldest first.
	bucketEventsByTime = "events_by_time"

	// bucketChat maps a chat message id to a bot.ChatMessage.
	bucketChat = "chat"
	// bucketChatByChat holds the keys <chat>\x00<message id>, with empty
	// values.
	bucketChatByChat = "chat_by_chat"
	// bucketChatIdem maps a message's IdemKey to its message id.
	bucketChatIdem = "chat_idem"
)

// Buckets added by schema version 2.
const (
	// bucketPrompts maps <person>\x00<yyyymmdd> (bot.Date.Key) to the
	// bot.Prompt that asked the person to check in that day.
	bucketPrompts = "prompts"
	// bucketPromptsByDay holds the keys <yyyymmdd>\x00<person>, with empty
	// values, so that a day's prompts are read without a scan.
	bucketPromptsByDay = "prompts_by_day"

	// bucketCheckIns maps <person>\x00<yyyymmdd> to the bot.CheckIn of the
	// person for that day.
	bucketCheckIns = "checkins"
	// bucketCheckInsByDay holds the keys <yyyymmdd>\x00<person>, with empty
	// values.
	bucketCheckInsByDay = "checkins_by_day"

	// bucketEscalations maps an escalation id to a bot.Escalation.
	bucketEscalations = "escalations"
	// bucketEscalationsOpen maps <subject>\x00<rule> to the id of the open
	// escalation of that rule for that subject (bot.Escalation.Subject).
	// Resolved escalations have no entries.
	bucketEscalationsOpen = "escalations_open"
	// bucketEscalationsByOpened holds the keys <opened at><escalation id>,
	// with empty values. The time is big-endian Unix nanoseconds with the
	// sign bit flipped (timeKey), so that keys sort in time order.
	bucketEscalationsByOpened = "escalations_by_opened"
	// bucketEscalationsByResolved holds the keys <resolved at><escalation
	// id>, with empty values, for resolved escalations only.
	bucketEscalationsByResolved = "escalations_by_resolved"

	// bucketReviews maps <project id><ISO week>\x00<person> to a
	// bot.Review.
	bucketReviews = "reviews"
)

// Buckets added by schema version 3.
const (
	// bucketDue holds the keys <time><subject> (the time as timeKey's
	// first eight bytes), with empty values: the escalation check's work
	// list (bot.DueTx). A changed subject is filed at the zero time.
	bucketDue = "due"
	// bucketDueBySubject maps a subject to its time in bucketDue.
	bucketDueBySubject = "due_by_subject"
)

// Buckets added by schema version 4. Every new bucket of this release goes
// here and into bucketsV4, so that one migration step creates them all.
const (
	// bucketRisks maps a risk id to a bot.Risk.
	bucketRisks = "risks"
	// bucketRisksByProject holds the keys <project id><risk id>, with empty
	// values.
	bucketRisksByProject = "risks_by_project"
	// bucketRisksOpen holds the keys <risk id> of the open risks, with
	// empty values, so that the check for unreviewed risks skips closed ones.
	bucketRisksOpen = "risks_open"

	// bucketChanges maps a change request id to a bot.ChangeRequest.
	bucketChanges = "changes"
	// bucketChangesByProject holds the keys <project id><change id>, with
	// empty values, for requests of tasks in a project.
	bucketChangesByProject = "changes_by_project"
	// bucketChangesPending maps a task id to the id of its pending change
	// request. Decided requests have no entries.
	bucketChangesPending = "changes_pending"

	// bucketTasksByParent holds the keys <parent task id><task id>, with
	// empty values, for the sub-tasks of WBS summary tasks. Version 4
	// fills it from the tasks a file already has.
	bucketTasksByParent = "tasks_by_parent"
)

// Buckets added by schema version 5. Every new bucket of this release goes
// here and into bucketsV5, so that one migration step creates them all.
const (
	// bucketIdentities maps each linked, non-canonical identity (a
	// bot.PersonID) to the canonical id of its person, as plain text.
	bucketIdentities = "identities"
	// bucketMerges maps a merge id to a bot.Merge: two people joined by
	// /link, and what moved, for /unlink.
	bucketMerges = "merges"
	// bucketLinkCodes maps the hex SHA-256 of a /link code to a
	// bot.LinkCode; the code itself is never stored.
	bucketLinkCodes = "link_codes"
	// bucketFiles maps a file id to a bot.File: an export that an outbox
	// item sends as a file message (OutboxItem.FileID).
	bucketFiles = "files"
	// bucketFileData maps a file id to the file's bytes, as they are (not
	// JSON), once the outbox has made them.
	bucketFileData = "file_data"

	// bucketAuditByProject holds the keys <project id><time><audit id>
	// (the time as timeKey's first eight bytes), with empty values, for
	// the events that name a project, so that a project's events of a
	// time range (the daily digest, a report) are read without the whole
	// log. Version 5 fills it from the events a file already has.
	bucketAuditByProject = "audit_by_project"

	// bucketVersion holds the key "data": the data version, a big-endian
	// uint64 that goes up by one with every committed write transaction
	// that changed a record outside deliveryBuckets (tx.Version,
	// bot.TxVersion).
	bucketVersion = "version"
)

// Buckets added by schema version 6.
const (
	// bucketChatByCard holds the keys <card id><message id>, with empty
	// values, for the playground chat lines whose card is stored as a
	// reference to the card record it was sent from (chatlog.go), so that
	// they get a copy of the card before the record changes or is pruned.
	bucketChatByCard = "chat_by_card"
)

// Buckets added by schema version 7.
const (
	// bucketCardsByUpdate holds the keys <finished><time><card id>, with
	// empty values: whether a card record has no buttons left (1) or has
	// some (0), and its last change (UpdatedAt, else CreatedAt; timeKey's
	// first eight bytes), so that retention finds the cards past their
	// window without reading, or even passing over, the kept ones.
	// Version 7 filled it from the cards a file already had, with the
	// keys <time><card id><finished>; version 8 moves the flag first.
	bucketCardsByUpdate = "cards_by_update"
)

// Buckets added by schema version 9.
const (
	// bucketChatKept maps the id of a playground chat line that shows an
	// earlier card of its card record to that record's stored bytes (as
	// bucketCards held them, compressed or not) when its card changed or
	// it was pruned: the line reads its card from them (chatlog.go). A
	// line of schema 8 or earlier holds such a card itself.
	bucketChatKept = "chat_kept"
)

// allBuckets lists every bucket, in the order above.
func allBuckets() []string {
	return append([]string{
		bucketMeta,
		bucketPeople,
		bucketProjects, bucketProjectsByGroup,
		bucketTasks, bucketTasksByAssignee, bucketTasksByProject,
		bucketAudit, bucketAuditByTask,
		bucketCards, bucketCardsByKey,
		bucketOutbox, bucketOutboxUpdates, bucketDeadLetters,
		bucketEvents, bucketEventsByTime,
		bucketChat, bucketChatByChat, bucketChatIdem,
	}, slices.Concat(bucketsV2(), bucketsV3(), bucketsV4(), bucketsV5(), bucketsV6(), bucketsV7(), bucketsV9())...)
}

// bucketsV9 lists the buckets that schema version 9 added.
func bucketsV9() []string {
	return []string{bucketChatKept}
}

// bucketsV7 lists the buckets that schema version 7 added.
func bucketsV7() []string {
	return []string{bucketCardsByUpdate}
}

// bucketsV6 lists the buckets that schema version 6 added.
func bucketsV6() []string {
	return []string{bucketChatByCard}
}

// bucketsV5 lists the buckets that schema version 5 added.
func bucketsV5() []string {
	return []string{bucketIdentities, bucketMerges, bucketLinkCodes, bucketFiles, bucketFileData, bucketAuditByProject, bucketVersion}
}

// bucketsV4 lists the buckets that schema version 4 added.
func bucketsV4() []string {
	return []string{
		bucketRisks, bucketRisksByProject, bucketRisksOpen,
		bucketChanges, bucketChangesByProject, bucketChangesPending,
		bucketTasksByParent,
	}
}

// bucketsV3 lists the buckets that schema version 3 added.
func bucketsV3() []string {
	return []string{bucketDue, bucketDueBySubject}
}

// bucketsV2 lists the buckets that schema version 2 added.
func bucketsV2() []string {
	return []string{
		bucketPrompts, bucketPromptsByDay,
		bucketCheckIns, bucketCheckInsByDay,
		bucketEscalations, bucketEscalationsOpen, bucketEscalationsByOpened, bucketEscalationsByResolved,
		bucketReviews,
	}
}

// Meta keys that the store itself uses. bot.MetaTx may read them but not
// write them.
const (
	// keySchemaVersion holds the number of migrations applied, in decimal.
	keySchemaVersion = "schema_version"
)

// Meta keys that other packages keep through bot.MetaTx, listed so that this
// file names everything the meta bucket holds. The store does not read them.
//
//   - sched/<job> (bot.MetaSchedPrefix): the scheduler's state of a job,
//     JSON {"last_slot": time}.
//   - sched_miss/<job>/<slot, RFC 3339 in UTC> (bot.MetaSchedMissPrefix): a
//     slot the scheduler missed, a JSON bot.Miss.
//   - cal/<yyyy-mm-dd>: an admin's addition to the working-day calendar
//     (flows), JSON {"work": bool, "name": string}.
//   - digest/<project code>/<yyyy-mm-dd>: marks that the project's daily
//     digest for that day went out (flows); the value is the day.
//   - digest_seen/<project code>: when the project's last daily digest was
//     made, RFC 3339 (flows); the next one reports from there.
//   - review_summary/<project code>/<ISO week>: marks that the project's
//     weekly review summary for that week went out (flows); empty value.
//   - esc_card/<escalation id>/<card id>: a card that shows the escalation
//     and is updated when it changes (flows); the value is "d" for a card
//     in a direct chat, "g" and the Unix seconds it was sent for a group
//     warning ("g" alone before 2026-12-03, empty before 2026-12-02).
//   - project_rev/<project id>: the project's revision (tx.ProjectRevision),
//     16 bytes, written by the store with the project and its tasks.
//   - project_links/<project id>: the project's links revision
//     (tx.LinksRevision), 16 bytes, written by the store with a task whose
//     dependencies, project or cancellation change.
//   - missed_seen/<person id>: when the person's last missed_checkins
//     escalation was resolved, RFC 3339 (flows); check-ins sent before it
//     no longer open one.
//   - calendar/no_data_warned/<year>: marks that admins were told the year
//     has no holiday data (flows); the value is when, RFC 3339.
//   - playground/fake_clock: where the playground's fake clock stands, as
//     RFC 3339 text, so that a restart resumes there (cmd/loopbot).
//   - server/secret: the secret the server signs with when the config has
//     none (cmd/loopbot). Backups hold it too.

// reservedMetaKey reports whether key belongs to the store.
func reservedMetaKey(key string) bool {
	return key == keySchemaVersion || strings.HasPrefix(key, projectRevPrefix) || strings.HasPrefix(key, projectLinksPrefix)
}
