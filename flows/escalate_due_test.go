package flows_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/calendar"
	"github.com/loopbot/loopbot/flows"
	"github.com/loopbot/loopbot/store"
	"github.com/loopbot/loopbot/store/storetest"
)

// readCounter counts the tasks and people that the escalation check reads.
type readCounter struct {
	bot.Store
	reads       atomic.Int64
	escReads    atomic.Int64 // escalations read, apart
	groupWrites atomic.Int64 // group warnings written
}

func (s *readCounter) Update(ctx context.Context, fn func(bot.Tx) error) error {
	return s.Store.Update(ctx, func(tx bot.Tx) error { return fn(countingTx{tx, &s.reads, &s.escReads, &s.groupWrites}) })
}

func (s *readCounter) Batch(ctx context.Context, fn func(bot.Tx) error) error {
	return s.Store.Batch(ctx, func(tx bot.Tx) error { return fn(countingTx{tx, &s.reads, &s.escReads, &s.groupWrites}) })
}

func (s *readCounter) View(ctx context.Context, fn func(bot.Tx) error) error {
	return s.Store.View(ctx, func(tx bot.Tx) error { return fn(countingTx{tx, &s.reads, &s.escReads, &s.groupWrites}) })
}

type countingTx struct {
	bot.Tx
	reads, escReads, groupWrites *atomic.Int64
}

func (t countingTx) PutCard(rec bot.CardRecord) error {
	if rec.Card.Kind == bot.CardGroupWarning {
		t.groupWrites.Add(1)
	}
	return t.Tx.PutCard(rec)
}

func (t countingTx) Escalation(id uint64) (bot.Escalation, error) {
	t.escReads.Add(1)
	return t.Tx.Escalation(id)
}

func (t countingTx) OpenEscalations() ([]bot.Escalation, error) {
	open, err := t.Tx.OpenEscalations()
	t.escReads.Add(int64(len(open)))
	return open, err
}

// ProjectRevision and LinksRevision pass the store's revisions through, so
// that the flows keep plans under the counter as they do without it.
func (t countingTx) ProjectRevision(p uint64) (string, error) {
	return t.Tx.(bot.ProjectRevision).ProjectRevision(p)
}

func (t countingTx) LinksRevision(p uint64) (string, error) {
	return t.Tx.(bot.ProjectRevision).LinksRevision(p)
}

func (t countingTx) Task(id uint64) (bot.Task, error) {
	t.reads.Add(1)
	return t.Tx.Task(id)
}

func (t countingTx) Tasks(f bot.TaskFilter) ([]bot.Task, error) {
	tasks, err := t.Tx.Tasks(f)
	t.reads.Add(int64(len(tasks)))
	return tasks, err
}

func (t countingTx) People() ([]bot.Person, error) {
	people, err := t.Tx.People()
	t.reads.Add(int64(len(people)))
	return people, err
}

// mondayStore returns the benchmarks' zone, Monday 2026-11-23 10:00 in it,
// a fake clock set to it and an empty store on that clock.
func mondayStore(t *testing.T) (*time.Location, time.Time, *bot.FakeClock, *store.DB) {
	loc := benchZone(t)
	mon := time.Date(2026, 11, 23, 10, 0, 0, 0, loc)
	clock := bot.NewFakeClock(mon)
	return loc, mon, clock, storetest.OpenWith(t, store.Options{Now: clock.Now})
}

// TestEscalationCheckReadsWhatChanged: the first check after a start reads
// every task and person; a later one, with nothing changed and no rule due,
// reads none; after one task changes, it reads that task and its
// assignee's.
func TestEscalationCheckReadsWhatChanged(t *testing.T) {
	loc, now, clock, db := mondayStore(t)
	ctx := context.Background()
	const people = 20
	err := db.Update(ctx, func(tx bot.Tx) error {
		return putFanoutProject(tx, "feishu:ou_boss", 0, people, bot.DateOf(now), now)
	})
	if err != nil {
		t.Fatal(err)
	}
	st := &readCounter{Store: db}
	svc := benchFlows(st, clock, loc)
	check := func() int64 {
		t.Helper()
		st.reads.Store(0)
		if err := svc.RunEscalations(ctx); err != nil {
			t.Fatal(err)
		}
		return st.reads.Load()
	}
	if n := check(); n < people*5 {
		t.Fatalf("the first check read %d tasks and people, want all %d tasks and more", n, people*5)
	}
	if got := svc.LastCheck(); !got.Full || got.Tasks != people*5 || got.People < people {
		t.Errorf("LastCheck after the first = %+v, want all %d tasks and the %d people", got, people*5, people)
	}
	clock.Set(now.Add(5 * time.Minute))
	if n := check(); n != 0 {
		t.Errorf("a check with nothing changed read %d tasks and people, want none", n)
	}
	if got := svc.LastCheck(); got != (flows.CheckStats{}) {
		t.Errorf("LastCheck with nothing changed = %+v, want zero", got)
	}
	err = db.Update(ctx, func(tx bot.Tx) error {
		task, err := tx.Task(3)
		if err != nil {
			return err
		}
		task.Progress = 90
		return tx.PutTask(task)
	})
	if err != nil {
		t.Fatal(err)
	}
	clock.Set(now.Add(10 * time.Minute))
	// The task, and its assignee's tasks (their missed check-ins end when
	// they have no open task): not the other 95 tasks or 19 people.
	if n := check(); n < 1 || n > 1+5 {
		t.Errorf("a check after one task changed read %d tasks and people, want the task and its assignee's 5", n)
	}
	if got := svc.LastCheck(); got.Full || got.Tasks != 1 || got.People != 1 {
		t.Errorf("LastCheck after one task changed = %+v, want the task and its assignee", got)
	}
}

// overdueRig is a project of 4 people with 5 tasks each, all overdue, and
// their boss, on Monday 10:00; check runs the escalation check at a time
// and returns how many escalations it read; levels counts the open
// escalations by ladder level.
type overdueRig struct {
	t     *testing.T
	db    *store.DB
	clock *bot.FakeClock
	mon   time.Time
	st    *readCounter
	svc   *flows.Service
	tasks int
}

func newOverdueRig(t *testing.T) *overdueRig {
	loc, mon, clock, db := mondayStore(t)
	const people = 4
	boss := bot.PersonID("feishu:ou_boss")
	r := &overdueRig{t: t, db: db, clock: clock, mon: mon, st: &readCounter{Store: db}, tasks: people * 5}
	err := db.Update(context.Background(), func(tx bot.Tx) error {
		if err := tx.PutPerson(bot.Person{ID: boss, Name: "老板", Role: bot.RoleMember, CreatedAt: mon, UpdatedAt: mon}); err != nil {
			return err
		}
		if err := putFanoutProject(tx, boss, 0, people, bot.DateOf(mon), mon); err != nil {
			return err
		}
		for id := uint64(1); id <= uint64(r.tasks); id++ {
			task, err := tx.Task(id)
			if err != nil {
				return err
			}
			task.Due = bot.DateOf(mon).AddDays(-3)
			if err := tx.PutTask(task); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	r.svc = benchFlows(r.st, clock, loc)
	return r
}

func (r *overdueRig) check(at time.Time) int64 {
	r.t.Helper()
	r.clock.Set(at)
	r.st.escReads.Store(0)
	if err := r.svc.RunEscalations(context.Background()); err != nil {
		r.t.Fatal(err)
	}
	// The group warning lines it changed, as the service draws them
	// before it delivers.
	if _, err := r.svc.FlushGroupRedraws(context.Background()); err != nil {
		r.t.Fatal(err)
	}
	return r.st.escReads.Load()
}

func (r *overdueRig) levels() map[int]int {
	r.t.Helper()
	n := map[int]int{}
	err := r.db.View(context.Background(), func(tx bot.Tx) error {
		open, err := tx.OpenEscalations()
		for _, e := range open {
			if e.WarnedAt.IsZero() {
				r.t.Errorf("%s is not warned", e.Code())
			}
			n[e.Level]++
		}
		return err
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return n
}

// TestEscalationClimbReadsWhatCanMove: once warned, an escalation is read
// again when its next ladder step may fall due, not at every check; one
// due to a manager who has gone home waits, unread, for their next working
// time, and goes to them then.
func TestEscalationClimbReadsWhatCanMove(t *testing.T) {
	r := newOverdueRig(t)
	mon, tasks := r.mon, r.tasks
	r.check(mon)
	if n := r.levels(); n[bot.LevelAssignee] != tasks {
		t.Fatalf("after the first check: %v escalations by level, want %d at the assignee", n, tasks)
	}
	if n := r.check(mon.Add(5 * time.Minute)); n != 0 {
		t.Errorf("a check 5 minutes after the warnings read %d escalations, want none", n)
	}
	// Half a working day on, the step would be due for a critical task;
	// the project has no dependencies, so none is, and they are not read
	// again until the step is due for all.
	r.check(mon.Add(5 * time.Hour))
	if n := r.check(mon.Add(6 * time.Hour)); n != 0 {
		t.Errorf("the check an hour later read %d escalations, want none in a project without dependencies", n)
	}
	// One working day on, the boss has gone home.
	tue := mon.AddDate(0, 0, 1)
	if n := r.check(tue.Add(9 * time.Hour)); n < int64(tasks) {
		t.Errorf("the check at 19:00 on Tuesday read %d escalations, want the %d due to the boss", n, tasks)
	}
	if n := r.levels(); n[bot.LevelAssignee] != tasks {
		t.Errorf("at 19:00: %v escalations by level, want all %d waiting at the assignee", n, tasks)
	}
	for _, at := range []time.Duration{9*time.Hour + 5*time.Minute, 12 * time.Hour, 20 * time.Hour} {
		if n := r.check(tue.Add(at)); n != 0 {
			t.Errorf("the check at %s read %d escalations, want none before the boss is back", tue.Add(at).Format("Mon 15:04"), n)
		}
	}
	r.check(tue.Add(24 * time.Hour)) // Wednesday 10:00
	if n := r.levels(); n[bot.LevelManager] != tasks {
		t.Errorf("on Wednesday morning: %v escalations by level, want all %d at the manager", n, tasks)
	}
}

// TestEscalationClimbsOnceADependencyMakesItCritical: in a project without
// dependencies no escalation is looked at between the critical step and
// the normal one; a dependency added meanwhile has the next check look at
// them again, and the critical tasks' go to the manager at once.
func TestEscalationClimbsOnceADependencyMakesItCritical(t *testing.T) {
	r := newOverdueRig(t)
	r.check(r.mon)
	r.check(r.mon.Add(5 * time.Hour)) // 15:00, past the critical step
	if n := r.levels(); n[bot.LevelManager] != 0 {
		t.Fatalf("at 15:00 without dependencies: %v escalations by level, want none at the manager", n)
	}
	err := r.db.Update(context.Background(), func(tx bot.Tx) error {
		task, err := tx.Task(2)
		if err != nil {
			return err
		}
		task.DependsOn = []uint64{1}
		return tx.PutTask(task)
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := r.check(r.mon.Add(5*time.Hour + 5*time.Minute)); n < int64(r.tasks) {
		t.Errorf("the check after the dependency read %d escalations, want the project's %d", n, r.tasks)
	}
	if n := r.levels(); n[bot.LevelManager] == 0 {
		t.Errorf("after the dependency: %v escalations by level, want the critical tasks' at the manager", n)
	}
}

// TestGroupWarningRedrawPlansOnce: an answer that resolves one line of a
// group warning has the card drawn again after it commits
// (FlushGroupRedraws), with the project's plan made once, not once a line.
func TestGroupWarningRedrawPlansOnce(t *testing.T) {
	r := newOverdueRig(t)
	r.oneTransaction()
	r.groupChat(nil)
	for day := range 3 { // warned, to the boss, to the group
		r.check(r.mon.AddDate(0, 0, day))
	}
	if n := r.levels(); n[bot.LevelGroup] != r.tasks {
		t.Fatalf("on Wednesday: %v escalations by level, want all %d in the group warning", n, r.tasks)
	}
	engine := r.engine()
	r.st.reads.Store(0)
	r.say(engine, "done-1", "/done T1")
	r.flush(1)
	// One plan reads the project's 20 tasks; one a line would read 400.
	if n := r.st.reads.Load(); n > 3*int64(r.tasks) {
		t.Errorf("/done T1 read %d tasks and people, want the project's %d about once", n, r.tasks)
	}
}

// TestUnlinkedProjectNotPlannedAgain: in a project none of whose tasks
// waits for another, an answer after another draws the group warning
// without working the project's plan out again from its tasks (its
// progress changed, its task network did not); a dependency added makes
// the next one plan it.
func TestUnlinkedProjectNotPlannedAgain(t *testing.T) {
	r := newOverdueRig(t)
	r.oneTransaction()
	r.groupChat(nil)
	for day := range 3 {
		r.check(r.mon.AddDate(0, 0, day))
	}
	engine := r.engine()
	r.say(engine, "done-1", "/done T1")
	r.flush(1)
	r.st.reads.Store(0)
	r.say(engine, "done-2", "/done T2")
	r.flush(1)
	if n := r.st.reads.Load(); n >= int64(r.tasks) {
		t.Errorf("/done T2 read %d tasks and people, want fewer than the project's %d (no plan made again)", n, r.tasks)
	}
	err := r.db.Update(context.Background(), func(tx bot.Tx) error {
		task, err := tx.Task(4)
		if err != nil {
			return err
		}
		task.DependsOn = []uint64{5}
		return tx.PutTask(task)
	})
	if err != nil {
		t.Fatal(err)
	}
	r.st.reads.Store(0)
	r.say(engine, "done-3", "/done T3")
	r.flush(1)
	if n := r.st.reads.Load(); n < int64(r.tasks) {
		t.Errorf("/done T3 after a dependency read %d tasks and people, want the project's %d (planned again)", n, r.tasks)
	}
}

// groupChat gives the rig's project a group chat; more, when not nil,
// changes the store further in the same transaction.
func (r *overdueRig) groupChat(more func(tx bot.Tx) error) {
	r.t.Helper()
	err := r.db.Update(context.Background(), func(tx bot.Tx) error {
		p, err := tx.Project(1)
		if err != nil {
			return err
		}
		p.Groups = []bot.Target{bot.Group(bot.Playground, "team")}
		if err := tx.PutProject(p); err != nil || more == nil {
			return err
		}
		return more(tx)
	})
	if err != nil {
		r.t.Fatal(err)
	}
}

// groupCards returns the group warnings of project P1, oldest first.
func (r *overdueRig) groupCards() []bot.CardRecord {
	r.t.Helper()
	var recs []bot.CardRecord
	err := r.db.View(context.Background(), func(tx bot.Tx) (err error) {
		recs, err = tx.CardsByKey("escgroup/P1")
		return err
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return recs
}

// oneTransaction has the rig's flows run each job, and each flush of group
// warnings, in one transaction, however slow the machine: one split in two
// draws a card once in each, and may read what it read again.
func (r *overdueRig) oneTransaction() {
	r.svc = flows.New(flows.Config{
		Clock: r.clock, Calendar: calendar.New(calendar.Config{}), Signer: bot.NewSigner("bench-secret"),
		Logger: slog.New(slog.DiscardHandler), Location: r.mon.Location(), Store: r.st, TxBudget: time.Hour,
	})
}

// flush draws the group warning lines that events queued, as the
// service does before it delivers, and checks that it drew cards cards.
func (r *overdueRig) flush(cards int) {
	r.t.Helper()
	n, err := r.svc.FlushGroupRedraws(context.Background())
	if err != nil || n != cards {
		r.t.Fatalf("FlushGroupRedraws: %d cards, %v; want %d", n, err, cards)
	}
}

// engine returns an engine over the rig's flows and counting store that
// fails the test when an event is not handled.
func (r *overdueRig) engine() *bot.Engine {
	engine := bot.NewEngine(r.st, r.svc, slog.New(slog.DiscardHandler))
	engine.Observe = func(ev bot.Event, outcome string) {
		if outcome != "" {
			r.t.Errorf("%q: %s", ev.Text, outcome)
		}
	}
	return engine
}

// say has T1's assignee (who has T1–T5) type text to the bot.
func (r *overdueRig) say(engine *bot.Engine, id, text string) {
	r.t.Helper()
	who := bot.PersonID("feishu:ou_00000")
	_, err := engine.Handle(context.Background(), bot.Event{ID: id, Platform: bot.Feishu, Kind: bot.EventMessage, From: who,
		Chat: bot.DM(who), Time: r.clock.Now(), Text: text})
	if err != nil {
		r.t.Fatal(err)
	}
}

// TestGroupWarningRedrawsOneLine: T1 holds up T2, and all 20 overdue
// tasks of the project are in Wednesday's and Thursday's group warnings.
// /done T1 on Friday queues T1's line of both cards, which its
// transaction neither reads nor writes (an event costs the same however
// many days a task was listed), and the flush after it redraws that line of
// each card once, and not the 19 others (they keep what they showed,
// though each task is a day later now); the projected finish goes once no
// open line holds up other work; and the reads are about one plan of the
// project, not a line's worth each. A change to T2's rules while it stays
// open is drawn in Thursday's warning only.
func TestGroupWarningRedrawsOneLine(t *testing.T) {
	r := newOverdueRig(t)
	r.oneTransaction()
	r.groupChat(func(tx bot.Tx) error {
		t2, err := tx.Task(2)
		if err != nil {
			return err
		}
		t2.DependsOn = []uint64{1}
		return tx.PutTask(t2)
	})
	for day := range 4 { // warned, to the boss, to the group, to the group again
		r.check(r.mon.AddDate(0, 0, day))
	}
	before := r.groupCards()
	if len(before) != 2 {
		t.Fatalf("%d group warnings by Thursday, want Wednesday's and Thursday's", len(before))
	}
	for _, rec := range before {
		if lines := strings.Count(rec.Card.Text, "\n- "); lines != r.tasks-1 || !strings.Contains(rec.Card.Text, "项目预计完工") {
			t.Fatalf("group warning of %d lines, want %d with the projected finish:\n%s", lines+1, r.tasks, rec.Card.Text)
		}
	}
	// Friday morning, before its check: each line drawn again would say
	// a day more late.
	r.clock.Set(r.mon.AddDate(0, 0, 4))
	engine := r.engine()
	r.st.reads.Store(0)
	r.st.escReads.Store(0)
	r.say(engine, "done-1", "/done T1")
	for i, rec := range r.groupCards() {
		if rec.Card.Text != before[i].Card.Text || !rec.UpdatedAt.Equal(before[i].UpdatedAt) {
			t.Errorf("card %d changed in /done's own transaction", i)
		}
	}
	r.flush(2)
	r.flush(0)
	// One plan reads the project's 20 tasks; each card drawn whole would
	// read them again, and each of its lines a task and its people.
	if n := r.st.reads.Load(); n > int64(r.tasks)+12 {
		t.Errorf("/done T1 read %d tasks and people, want the project's %d and a few", n, r.tasks)
	}
	// Whether an open line holds up work: each line's escalation once,
	// not once a card.
	if n := r.st.escReads.Load(); n > int64(r.tasks)+5 {
		t.Errorf("/done T1 read %d escalations, want %d at most", n, r.tasks+5)
	}
	after := r.groupCards()
	for i, rec := range after {
		was := strings.Split(before[i].Card.Text, "\n")
		now := strings.Split(rec.Card.Text, "\n")
		if !strings.HasPrefix(now[0], "- ✅ ~~**T1 ") || rec.Card.Color != bot.ColorRed {
			t.Errorf("card %d: T1's line %q (colour %s), want it resolved in a red card", i, now[0], rec.Card.Color)
		}
		if !slices.Equal(now[1:r.tasks], was[1:r.tasks]) {
			t.Errorf("card %d: the other lines changed:\n%s\nwas:\n%s", i, rec.Card.Text, before[i].Card.Text)
		}
		if strings.Contains(rec.Card.Text, "项目预计完工") {
			t.Errorf("card %d still shows the projected finish with no open line holding up work:\n%s", i, rec.Card.Text)
		}
	}
	// Progress on T2 ends its "no progress" rule, and it stays overdue:
	// the next check draws that in Thursday's warning, which people read
	// now, and leaves Wednesday's as it was.
	r.say(engine, "progress-2", "/progress T2 80")
	r.flush(0)
	r.check(r.clock.Now().Add(5 * time.Minute))
	final := r.groupCards()
	t2 := func(rec bot.CardRecord) string { return strings.Split(rec.Card.Text, "\n")[1] }
	if got := t2(final[1]); !strings.HasPrefix(got, "- **T2 ") || strings.Contains(got, "没有进度更新") {
		t.Errorf("Thursday's line for T2 after its progress: %q, want it open without the no-progress rule", got)
	}
	if t2(final[0]) != t2(after[0]) {
		t.Errorf("Wednesday's line for T2 changed to %q, want it as it was: %q", t2(final[0]), t2(after[0]))
	}
}

// TestGroupWarningsDrawnOnceACheck: five tasks listed in three days' group
// warnings get a later due date together; the next check closes their five
// overdue escalations, and it and the flush after it (FlushGroupRedraws)
// write each warning once, with the five lines changed (not once a task: 15
// writes of the same long cards), and the other lines as they were.
func TestGroupWarningsDrawnOnceACheck(t *testing.T) {
	r := newOverdueRig(t)
	r.oneTransaction()
	ctx := context.Background()
	r.groupChat(nil)
	for day := range 5 { // warned, to the boss, to the group Wednesday, Thursday, Friday
		r.check(r.mon.AddDate(0, 0, day))
	}
	before := r.groupCards()
	if len(before) != 3 {
		t.Fatalf("%d group warnings by Friday, want Wednesday's, Thursday's and Friday's", len(before))
	}
	err := r.db.Update(ctx, func(tx bot.Tx) error {
		for id := uint64(1); id <= 5; id++ {
			task, err := tx.Task(id)
			if err != nil {
				return err
			}
			task.Due = bot.DateOf(r.mon).AddDays(30)
			if err := tx.PutTask(task); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	r.st.groupWrites.Store(0)
	r.check(r.clock.Now().Add(5 * time.Minute))
	if n := r.st.groupWrites.Load(); n != int64(len(before)) {
		t.Errorf("the check wrote group warnings %d times, want each of the %d once", n, len(before))
	}
	after := r.groupCards()
	for i, rec := range after {
		was := strings.Split(before[i].Card.Text, "\n")
		now := strings.Split(rec.Card.Text, "\n")
		for j := range 5 {
			if !strings.HasPrefix(now[j], "- ✅ ~~**T") {
				t.Errorf("card %d, line %d: %q, want it resolved", i, j+1, now[j])
			}
		}
		if !slices.Equal(now[5:r.tasks], was[5:r.tasks]) {
			t.Errorf("card %d: the other lines changed:\n%s\nwas:\n%s", i, rec.Card.Text, before[i].Card.Text)
		}
	}
}

// TestBadQueuedLineDoesNotHoldUpRedraws: a queued group warning line
// whose escalation cannot be read is skipped, and the other lines of its
// card and the other cards are drawn, the queue left empty.
func TestBadQueuedLineDoesNotHoldUpRedraws(t *testing.T) {
	r := newOverdueRig(t)
	r.oneTransaction()
	r.groupChat(nil)
	for day := range 4 { // warned, to the boss, to the group Wednesday and Thursday
		r.check(r.mon.AddDate(0, 0, day))
	}
	before := r.groupCards()
	if len(before) != 2 {
		t.Fatalf("%d group warnings by Thursday, want 2", len(before))
	}
	err := r.db.Update(context.Background(), func(tx bot.Tx) error {
		return tx.PutMeta(fmt.Sprintf("group_redraw/%d/999999", before[0].ID), nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	r.say(r.engine(), "done-1", "/done T1")
	r.flush(2)
	for i, rec := range r.groupCards() {
		if !strings.HasPrefix(rec.Card.Text, "- ✅ ~~**T1 ") {
			t.Errorf("card %d after the flush:\n%s", i, rec.Card.Text)
		}
	}
	err = r.db.View(context.Background(), func(tx bot.Tx) error {
		left, err := tx.MetaKeysAfter("group_redraw/", "", 10)
		if len(left) != 0 {
			t.Errorf("queue after the flush: %q", left)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
