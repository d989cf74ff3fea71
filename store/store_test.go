package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"go.etcd.io/bbolt"
)

// t0 is the time of the test clock: a Monday morning.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// MustOpen opens a store in a fresh file under tb.TempDir, with a clock
// standing at t0, and closes it when the test ends.
func MustOpen(tb testing.TB) *DB {
	tb.Helper()
	return mustOpenAt(tb, filepath.Join(tb.TempDir(), "loopbot.db"))
}

// mustOpenAt opens the store file at path, with a clock standing at t0, and
// closes it when the test ends.
func mustOpenAt(tb testing.TB, path string) *DB {
	tb.Helper()
	db, err := Open(path, Options{Now: func() time.Time { return t0 }, Timeout: 100 * time.Millisecond})
	if err != nil {
		tb.Fatalf("Open(%s): %v", path, err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return db
}

// reopen closes db and opens its file again, as a restart does.
func reopen(tb testing.TB, db *DB) *DB {
	tb.Helper()
	if err := db.Close(); err != nil {
		tb.Fatalf("Close: %v", err)
	}
	return mustOpenAt(tb, db.Path())
}

// update runs fn in an Update and fails the test on error.
func update(tb testing.TB, db *DB, fn func(bot.Tx) error) {
	tb.Helper()
	if err := db.Update(context.Background(), fn); err != nil {
		tb.Fatalf("Update: %v", err)
	}
}

// view runs fn in a View and fails the test on error.
func view(tb testing.TB, db *DB, fn func(bot.Tx) error) {
	tb.Helper()
	if err := db.View(context.Background(), fn); err != nil {
		tb.Fatalf("View: %v", err)
	}
}

// wantCode fails the test unless err carries the domain error code.
func wantCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if got := bot.ErrorCode(err); got != code {
		tb.Fatalf("error %v has code %q, want %q", err, got, code)
	}
}

// indexKeys returns the keys of a bucket, for checking that an index holds
// exactly the entries it should.
func indexKeys(tb testing.TB, db *DB, bucket string) []string {
	tb.Helper()
	var keys []string
	err := db.bolt.View(func(btx *bbolt.Tx) error {
		return btx.Bucket([]byte(bucket)).ForEach(func(k, _ []byte) error {
			keys = append(keys, string(k))
			return nil
		})
	})
	if err != nil {
		tb.Fatalf("read %s: %v", bucket, err)
	}
	return keys
}

func TestOpenRefusesSecondProcess(t *testing.T) {
	db := MustOpen(t)
	_, err := Open(db.Path(), Options{Timeout: 50 * time.Millisecond})
	if !errors.Is(err, ErrInUse) {
		t.Fatalf("second Open: %v, want ErrInUse", err)
	}
	want := "store: " + db.Path() + " is in use by another loopbot process"
	if err.Error() != want {
		t.Errorf("second Open: %q, want %q", err, want)
	}
}

func TestOpenSetsSchemaVersion(t *testing.T) {
	db := MustOpen(t)
	view(t, db, func(tx bot.Tx) error {
		v, err := tx.Meta(keySchemaVersion)
		if err != nil {
			return err
		}
		if string(v) != "9" || len(migrations()) != 9 {
			t.Errorf("schema version %q with %d migrations", v, len(migrations()))
		}
		return nil
	})
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "loopbot.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	// Bump the version by hand, as a newer loopbot would have.
	raw, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = raw.Update(func(btx *bbolt.Tx) error { return setSchemaVersion(btx, len(migrations())+1) })
	raw.Close()
	if err != nil {
		t.Fatal(err)
	}

	_, err = Open(path, Options{})
	want := "store: " + path + " has schema version 10, newer than this loopbot (9); upgrade loopbot"
	if err == nil || err.Error() != want {
		t.Fatalf("Open: %v, want %q", err, want)
	}
	// The refusal must release the lock, or the operator's next try fails
	// for the wrong reason.
	if _, err := Open(path, Options{Timeout: 50 * time.Millisecond}); errors.Is(err, ErrInUse) {
		t.Errorf("file still locked after refusal: %v", err)
	}
}

func TestMigrateStopsAtFailedStep(t *testing.T) {
	raw, err := bbolt.Open(filepath.Join(t.TempDir(), "m.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var ran []int
	step := func(i int, err error) func(*bbolt.Tx) error {
		return func(btx *bbolt.Tx) error {
			ran = append(ran, i)
			if _, err := btx.CreateBucketIfNotExists([]byte{byte('a' + i)}); err != nil {
				return err
			}
			return err
		}
	}
	boom := errors.New("boom")
	steps := []func(*bbolt.Tx) error{step(0, nil), step(1, boom), step(2, nil)}
	if err := migrate(raw, "m.db", steps); !errors.Is(err, boom) {
		t.Fatalf("migrate: %v, want boom", err)
	}
	version, buckets := migratedState(t, raw)
	if version != 1 || !slices.Equal(buckets, []string{"a", "meta"}) {
		t.Errorf("after failed step: version %d, buckets %v; want 1, [a meta]", version, buckets)
	}

	steps[1] = step(1, nil)
	ran = nil
	if err := migrate(raw, "m.db", steps); err != nil {
		t.Fatal(err)
	}
	version, buckets = migratedState(t, raw)
	if version != 3 || !slices.Equal(ran, []int{1, 2}) || len(buckets) != 4 {
		t.Errorf("after retry: version %d, ran %v, buckets %v; want 3, [1 2], 4 buckets", version, ran, buckets)
	}
}

// TestMigrateFromVersion1 opens a file as the release before schema
// version 2 left it, and checks that the upgrade adds the new buckets and
// keeps what was there.
func TestMigrateFromVersion1(t *testing.T) {
	db := MustOpen(t)
	update(t, db, func(tx bot.Tx) error {
		if err := createTask(tx, bot.Task{Title: "Write spec", Project: 1, Assignee: "playground:a"}); err != nil {
			return err
		}
		if err := createTask(tx, bot.Task{Title: "Outline", Project: 1, Parent: 1, Assignee: "playground:a"}); err != nil {
			return err
		}
		for i, e := range []bot.AuditEvent{
			{Time: t0, Kind: "task.created", Project: 1, Task: 1},
			{Time: t0.Add(time.Hour), Kind: "task.updated", Project: 2, Task: 9},
			{Time: t0.Add(2 * time.Hour), Kind: "task.updated", Project: 1, Task: 2, Field: "progress", New: "20"},
			{Time: t0.Add(3 * time.Hour), Kind: "admin"},
		} {
			if err := tx.AppendAudit(e); err != nil {
				return fmt.Errorf("event %d: %w", i, err)
			}
		}
		return tx.PutMeta("sched/checkin", []byte(`{"last_slot":"2026-03-02T09:00:00Z"}`))
	})
	path := db.Path()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	downgradeToVersion1(t, path)

	db = mustOpenAt(t, path)
	version, buckets := migratedState(t, db.bolt)
	if version != len(migrations()) {
		t.Errorf("schema version %d after the upgrade, want %d", version, len(migrations()))
	}
	for _, name := range allBuckets() {
		if !slices.Contains(buckets, name) {
			t.Errorf("bucket %s missing after the upgrade", name)
		}
	}
	update(t, db, func(tx bot.Tx) error {
		task, err := tx.Task(1)
		mine, _ := tx.Tasks(bot.TaskFilter{Assignee: "playground:a"})
		v, _ := tx.Meta("sched/checkin")
		if err != nil || task.Title != "Write spec" || len(mine) != 2 || len(v) == 0 {
			t.Errorf("after the upgrade: task %+v, %v; by assignee %v; meta %q", task, err, mine, v)
		}
		// Version 5 indexed the audit events the file had by project.
		if evs, err := tx.ProjectAudit(1, t0, t0.Add(24*time.Hour)); err != nil || len(evs) != 2 || evs[0].Task != 1 || evs[1].New != "20" {
			t.Errorf("P1's audit after the upgrade: %+v, %v", evs, err)
		}
		// Version 4 indexed the sub-task the file had.
		if kids, err := tx.Tasks(bot.TaskFilter{Parent: 1}); err != nil || len(kids) != 1 || kids[0].Title != "Outline" {
			t.Errorf("sub-tasks of T1 after the upgrade: %+v, %v", kids, err)
		}
		if id, _ := tx.NextTaskID(); id != 3 {
			t.Errorf("next task after the upgrade is T%d, want T3", id)
		}
		if id, _ := tx.NextEscalationID(); id != 1 {
			t.Errorf("first escalation after the upgrade is E%d, want E1", id)
		}
		if id, _ := tx.NextRiskID(); id != 1 {
			t.Errorf("first risk after the upgrade is R%d, want R1", id)
		}
		if id, _ := tx.NextChangeID(); id != 1 {
			t.Errorf("first change request after the upgrade is C%d, want C1", id)
		}
		return tx.PutCheckIn(bot.CheckIn{Person: "playground:a", Day: bot.DateOf(t0), NoChange: true})
	})
	view(t, db, func(tx bot.Tx) error {
		if got, err := tx.CheckIns("", bot.DateOf(t0), bot.DateOf(t0)); err != nil || len(got) != 1 {
			t.Errorf("check-ins after the upgrade: %+v, %v", got, err)
		}
		return nil
	})
}

// downgradeToVersion1 makes the closed store file at path look as schema
// version 1 left it: no buckets of versions 2 to 7, and the version set
// back.
func downgradeToVersion1(tb testing.TB, path string) {
	tb.Helper()
	raw, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer raw.Close()
	err = raw.Update(func(btx *bbolt.Tx) error {
		for _, name := range slices.Concat(bucketsV2(), bucketsV3(), bucketsV4(), bucketsV5(), bucketsV6(), bucketsV7()) {
			if err := btx.DeleteBucket([]byte(name)); err != nil {
				return fmt.Errorf("delete %s: %w", name, err)
			}
		}
		return setSchemaVersion(btx, 1)
	})
	if err != nil {
		tb.Fatal(err)
	}
	version, buckets := migratedState(tb, raw)
	if version != 1 || slices.Contains(buckets, bucketCheckIns) {
		tb.Fatalf("downgrade left version %d, buckets %v", version, buckets)
	}
}

// migratedState returns a file's schema version and bucket names.
func migratedState(tb testing.TB, raw *bbolt.DB) (int, []string) {
	tb.Helper()
	var version int
	var names []string
	err := raw.View(func(btx *bbolt.Tx) error {
		var err error
		version, err = schemaVersion(btx)
		_ = btx.ForEach(func(name []byte, _ *bbolt.Bucket) error {
			names = append(names, string(name))
			return nil
		})
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return version, names
}

func TestContextDone(t *testing.T) {
	db := MustOpen(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	fn := func(bot.Tx) error { ran = true; return nil }
	calls := map[string]error{
		"View":   db.View(ctx, fn),
		"Update": db.Update(ctx, fn),
		"Check":  db.Check(ctx),
	}
	_, calls["Backup"] = db.Backup(ctx, &discard{})
	_, calls["AppendChat"] = db.AppendChat(ctx, bot.ChatMessage{Chat: "c", Text: "hi"})
	for name, err := range calls {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: %v, want context.Canceled", name, err)
		}
	}
	if ran {
		t.Error("fn ran under a cancelled context")
	}
}

type discard struct{ n int }

func (d *discard) Write(p []byte) (int, error) { d.n += len(p); return len(p), nil }

func TestReadOnlyTxRefusesWrites(t *testing.T) {
	db := MustOpen(t)
	item := bot.OutboxItem{ID: 1, Op: bot.OpSend, Text: "hi"}
	writes := []struct {
		name string
		call func(bot.Tx) error
	}{
		{"NextProjectID", func(tx bot.Tx) error { _, err := tx.NextProjectID(); return err }},
		{"PutProject", func(tx bot.Tx) error { return tx.PutProject(bot.Project{ID: 1}) }},
		{"NextTaskID", func(tx bot.Tx) error { _, err := tx.NextTaskID(); return err }},
		{"PutTask", func(tx bot.Tx) error { return tx.PutTask(bot.Task{ID: 1}) }},
		{"PutPerson", func(tx bot.Tx) error { return tx.PutPerson(bot.Person{ID: "playground:a"}) }},
		{"AppendAudit", func(tx bot.Tx) error { return tx.AppendAudit(bot.AuditEvent{Kind: "k"}) }},
		{"NextCardID", func(tx bot.Tx) error { _, err := tx.NextCardID(); return err }},
		{"PutCard", func(tx bot.Tx) error { return tx.PutCard(bot.CardRecord{ID: 1}) }},
		{"Enqueue", func(tx bot.Tx) error { _, err := tx.Enqueue(item); return err }},
		{"PutOutboxItem", func(tx bot.Tx) error { return tx.PutOutboxItem(item) }},
		{"CompleteOutbox", func(tx bot.Tx) error { return tx.CompleteOutbox(1) }},
		{"DeadLetter", func(tx bot.Tx) error { return tx.DeadLetter(item) }},
		{"MarkEvent", func(tx bot.Tx) error { return tx.MarkEvent("e", t0) }},
		{"PruneEvents", func(tx bot.Tx) error { _, _, err := tx.PruneEvents(t0, 10); return err }},
		{"PutMeta", func(tx bot.Tx) error { return tx.PutMeta("k", nil) }},
		{"DeleteMeta", func(tx bot.Tx) error { return tx.DeleteMeta("k") }},
		{"PutPrompt", func(tx bot.Tx) error { return tx.PutPrompt(bot.Prompt{Person: "playground:a", Day: bot.DateOf(t0)}) }},
		{"PutCheckIn", func(tx bot.Tx) error { return tx.PutCheckIn(bot.CheckIn{Person: "playground:a", Day: bot.DateOf(t0)}) }},
		{"NextEscalationID", func(tx bot.Tx) error { _, err := tx.NextEscalationID(); return err }},
		{"PutEscalation", func(tx bot.Tx) error {
			return tx.PutEscalation(bot.Escalation{ID: 1, Rule: bot.RuleOverdue, Task: 1, OpenedAt: t0})
		}},
		{"PutReview", func(tx bot.Tx) error {
			return tx.PutReview(bot.Review{Person: "playground:a", Project: 1, Week: "2026-W10"})
		}},
	}
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			err := db.View(context.Background(), w.call)
			if !errors.Is(err, ErrReadOnly) {
				t.Errorf("%s in View: %v, want ErrReadOnly", w.name, err)
			}
		})
	}
}

func TestUpdateRollbackLeavesNothing(t *testing.T) {
	db := MustOpen(t)
	boom := errors.New("boom")
	err := db.Update(context.Background(), func(tx bot.Tx) error {
		id, err := tx.NextTaskID()
		if err != nil {
			return err
		}
		steps := []error{
			tx.PutTask(bot.Task{ID: id, Title: "lost", Assignee: "playground:a", Project: 1}),
			tx.AppendAudit(bot.AuditEvent{Kind: "created", Task: id}),
			tx.PutMeta("sched/last", []byte("x")),
			tx.MarkEvent("ev1", t0),
		}
		_, qerr := tx.Enqueue(bot.OutboxItem{Op: bot.OpSend, Text: "hi"})
		if err := errors.Join(append(steps, qerr)...); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update: %v, want boom", err)
	}
	view(t, db, func(tx bot.Tx) error {
		_, err := tx.Task(1)
		wantCode(t, err, bot.ENOTFOUND)
		_, err = tx.Meta("sched/last")
		wantCode(t, err, bot.ENOTFOUND)
		tasks, _ := tx.Tasks(bot.TaskFilter{Assignee: "playground:a"})
		history, _ := tx.TaskHistory(1)
		depth, _ := tx.OutboxDepth()
		seen, _ := tx.SeenEvent("ev1")
		if len(tasks) != 0 || len(history) != 0 || depth != 0 || seen {
			t.Errorf("after rollback: tasks %v, history %v, depth %d, seen %v", tasks, history, depth, seen)
		}
		return nil
	})
	// The rolled-back task's short id goes to the next task, so users see
	// no gap.
	update(t, db, func(tx bot.Tx) error {
		if id, _ := tx.NextTaskID(); id != 1 {
			t.Errorf("next task after rollback is %s, want T1", bot.TaskCode(id))
		}
		return nil
	})
}

func TestUpdateKeepsDomainErrors(t *testing.T) {
	db := MustOpen(t)
	err := db.Update(context.Background(), func(tx bot.Tx) error {
		return bot.Errorf(bot.ECONFLICT, "task T1 is done")
	})
	wantCode(t, err, bot.ECONFLICT)
	if bot.ErrorMessage(err) != "task T1 is done" {
		t.Errorf("message %q", bot.ErrorMessage(err))
	}
}

func TestIDsDenseAndNeverReused(t *testing.T) {
	db := MustOpen(t)
	update(t, db, func(tx bot.Tx) error {
		for range 2 {
			id, _ := tx.NextTaskID()
			if err := tx.PutTask(bot.Task{ID: id, Title: "t"}); err != nil {
				return err
			}
			qid, _ := tx.Enqueue(bot.OutboxItem{Op: bot.OpSend, Text: "x"})
			if err := tx.CompleteOutbox(qid); err != nil {
				return err
			}
		}
		return nil
	})
	db = reopen(t, db)
	update(t, db, func(tx bot.Tx) error {
		task, _ := tx.NextTaskID()
		project, _ := tx.NextProjectID()
		card, _ := tx.NextCardID()
		item, _ := tx.Enqueue(bot.OutboxItem{Op: bot.OpSend, Text: "x"})
		if task != 3 || project != 1 || card != 1 || item != 3 {
			t.Errorf("after reopen: task %d, project %d, card %d, outbox %d; want 3, 1, 1, 3",
				task, project, card, item)
		}
		// A task stored with an id the sequence never handed out (an
		// import) moves the sequence past it.
		if err := tx.PutTask(bot.Task{ID: 10, Title: "imported"}); err != nil {
			return err
		}
		if next, _ := tx.NextTaskID(); next != 11 {
			t.Errorf("after importing T10 the next task is T%d, want T11", next)
		}
		return nil
	})
}

func TestConcurrentUpdates(t *testing.T) {
	db := MustOpen(t)
	const writers, each = 8, 10
	people := []bot.PersonID{"playground:a", "playground:b", "playground:c"}
	errs := make(chan error, writers)
	for w := range writers {
		go func() {
			var err error
			for range each {
				err = errors.Join(err, db.Update(context.Background(), func(tx bot.Tx) error {
					return createTask(tx, bot.Task{Title: "t", Project: 1, Assignee: people[w%3]})
				}))
			}
			errs <- err
		}()
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	view(t, db, func(tx bot.Tx) error {
		tasks, _ := tx.Tasks(bot.TaskFilter{Project: 1})
		for i, task := range tasks {
			if task.ID != uint64(i+1) {
				t.Fatalf("task %d has id %d: ids are not dense", i, task.ID)
			}
		}
		perPerson := 0
		for _, p := range people {
			mine, _ := tx.Tasks(bot.TaskFilter{Assignee: p})
			perPerson += len(mine)
		}
		audit, _ := tx.Audit(t0, t0.Add(time.Second))
		depth, _ := tx.OutboxDepth()
		if n := writers * each; len(tasks) != n || perPerson != n || len(audit) != n || depth != n {
			t.Errorf("tasks %d, by person %d, audit %d, outbox %d; want %d each",
				len(tasks), perPerson, len(audit), depth, n)
		}
		return nil
	})
}

// createTask does what a flow does when a task is created: a new id, the
// task, an audit event and a message.
func createTask(tx bot.Tx, task bot.Task) error {
	id, err := tx.NextTaskID()
	if err != nil {
		return err
	}
	task.ID = id
	if err := tx.PutTask(task); err != nil {
		return err
	}
	if err := tx.AppendAudit(bot.AuditEvent{Kind: "task_created", Task: id, Actor: task.Assigner}); err != nil {
		return err
	}
	_, err = tx.Enqueue(bot.OutboxItem{Op: bot.OpSend, Target: bot.DM(task.Assignee), Text: task.Title})
	return err
}

// TestVersion checks that the data version a transaction sees goes up
// with each committed write that changed a record, and only then: not with
// a transaction that wrote nothing or rolled back, nor with the outbox's
// deliveries and the playground's chat lines.
func TestVersion(t *testing.T) {
	db := MustOpen(t)
	version := func(write bool) uint64 {
		var v uint64
		fn := func(tx bot.Tx) error { v = tx.(bot.TxVersion).Version(); return nil }
		if write {
			update(t, db, fn)
		} else {
			view(t, db, fn)
		}
		return v
	}
	start := version(false)
	if w := version(true); w != start {
		t.Errorf("write transaction after a read one with no commit between: version %d, want %d", w, start)
	}
	if again := version(false); again != start {
		t.Errorf("version %d after a transaction that wrote nothing, want %d", again, start)
	}
	update(t, db, func(tx bot.Tx) error { return tx.PutMeta("k", []byte("v")) })
	changed := version(false)
	if changed != start+1 {
		t.Errorf("version %d after a write, want %d", changed, start+1)
	}
	if w := version(true); w != changed {
		t.Errorf("write transaction sees version %d, want %d", w, changed)
	}
	update(t, db, func(tx bot.Tx) error {
		if err := tx.PutMeta("k", []byte("v2")); err != nil {
			return err
		}
		if v := tx.(bot.TxVersion).Version(); v != changed+1 {
			t.Errorf("a write transaction that changed a record reports version %d, want the one it commits, %d", v, changed+1)
		}
		return nil
	})
	changed++
	var id uint64
	update(t, db, func(tx bot.Tx) (err error) {
		id, err = tx.Enqueue(bot.OutboxItem{Op: bot.OpSend, Target: bot.DM(alice), Text: "hi"})
		return err
	})
	after := version(false)
	update(t, db, func(tx bot.Tx) error { return tx.CompleteOutbox(id) })
	if _, err := db.AppendChat(t.Context(), bot.ChatMessage{Chat: "c", Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	if v := version(false); v != changed {
		t.Errorf("version %d after queueing, delivering and a chat line, want %d", v, changed)
	}
	err := db.Update(t.Context(), func(tx bot.Tx) error {
		if err := tx.PutMeta("k", []byte("w")); err != nil {
			return err
		}
		return errors.New("no")
	})
	if err == nil || version(false) != after {
		t.Errorf("a rolled back write: %v, version %d, want %d", err, version(false), after)
	}
	if err := db.Batch(t.Context(), func(tx bot.Tx) error { return tx.PutMeta("k", []byte("x")) }); err != nil {
		t.Fatal(err)
	}
	if v := version(false); v != after+1 {
		t.Errorf("version %d after a group commit's write, want %d", v, after+1)
	}
}
