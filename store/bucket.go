package store

// Buckets. This is the one place that lists every bucket of the file; the
// first migration creates them all. Ids are big-endian uint64 keys from the
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

// allBuckets lists every bucket, in the order above.
func allBuckets() []string {
	return []string{
		bucketMeta,
		bucketPeople,
		bucketProjects, bucketProjectsByGroup,
		bucketTasks, bucketTasksByAssignee, bucketTasksByProject,
		bucketAudit, bucketAuditByTask,
		bucketCards, bucketCardsByKey,
		bucketOutbox, bucketOutboxUpdates, bucketDeadLetters,
		bucketEvents, bucketEventsByTime,
		bucketChat, bucketChatByChat, bucketChatIdem,
	}
}

// Meta keys that the store itself uses. bot.MetaTx may read them but not
// write them.
const (
	// keySchemaVersion holds the number of migrations applied, in decimal.
	keySchemaVersion = "schema_version"
)

// reservedMetaKey reports whether key belongs to the store.
func reservedMetaKey(key string) bool {
	return key == keySchemaVersion
}
