package flows_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/calendar"
	"github.com/loopbot/loopbot/flows"
	"github.com/loopbot/loopbot/internal/benchratio"
	"github.com/loopbot/loopbot/store"
	"github.com/loopbot/loopbot/store/storetest"
)

// TestMain measures the raw commit that the benchmarks compare with, when
// benchmarks run; see benchratio.
func TestMain(m *testing.M) { os.Exit(benchratio.Main(m)) }

// benchZone is the zone of the benchmarks' people and calendar.
func benchZone(tb testing.TB) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		tb.Fatalf("load zone: %v", err)
	}
	return loc
}

// benchFlows returns the flows wired as cmd/loopbot wires them, over st, at
// the fake clock's time, with the default schedule.
func benchFlows(st bot.Store, clock bot.Clock, loc *time.Location, admins ...bot.PersonID) *flows.Service {
	return flows.New(flows.Config{
		Clock: clock, Calendar: calendar.New(calendar.Config{}), Signer: bot.NewSigner("bench-secret"),
		Logger: slog.New(slog.DiscardHandler), Location: loc, Admins: admins, Store: st,
	})
}

// BenchmarkCommandHandling is one chat command, end to end through the
// engine: de-duplication, parsing, the rules, the store writes and the
// queued replies and cards, committed in the event's one transaction. It
// alternates `/task new 标题N @bob due:fri project:P1` (a task, its audit
// event, the assignment card for bob and the reply) with `/progress T1 N`
// (a task update, its audit event and the reply), typed by an admin in her
// direct chat. Nothing drains the outbox, as when the dispatcher lags.
func BenchmarkCommandHandling(b *testing.B) {
	benchratio.RawCommit(b)
	loc := benchZone(b)
	clock := bot.NewFakeClock(time.Date(2026, 11, 23, 9, 0, 0, 0, loc)) // a Monday, a working day
	st := storetest.OpenWith(b, store.Options{Now: clock.Now})
	ctx := context.Background()
	alice, bob := bot.PersonID("playground:alice"), bot.PersonID("playground:bob")
	err := st.Update(ctx, func(tx bot.Tx) error {
		now := clock.Now()
		if err := tx.PutPerson(bot.Person{ID: alice, Name: "Alice", Role: bot.RoleAdmin, CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		return tx.PutPerson(bot.Person{ID: bob, Name: "Bob", Role: bot.RoleMember, CreatedAt: now, UpdatedAt: now})
	})
	if err != nil {
		b.Fatal(err)
	}
	engine := bot.NewEngine(st, benchFlows(st, clock, loc, alice), slog.New(slog.DiscardHandler))
	// A refused command still returns no error from Handle; the outcome
	// tells, and a benchmark of refusals would measure the wrong thing.
	var refused atomic.Int64
	engine.Observe = func(ev bot.Event, outcome string) {
		if outcome != "" {
			refused.Add(1)
			b.Errorf("event %s (%q): outcome %q", ev.ID, ev.Text, outcome)
		}
	}
	n := 0
	handle := func(text string) {
		n++
		ev := bot.Event{
			ID: fmt.Sprintf("bench-%d", n), Platform: bot.Playground, Kind: bot.EventMessage,
			From: alice, FromName: "Alice", Chat: bot.DM(alice), Time: clock.Now(), Text: text,
		}
		if _, err := engine.Handle(ctx, ev); err != nil {
			b.Fatalf("handle %q: %v", text, err)
		}
	}
	handle("/project new 基准项目")
	handle("/task new 种子任务 @bob due:fri project:P1")
	if refused.Load() > 0 {
		b.FailNow()
	}
	i := 0
	for b.Loop() {
		i++
		if i%2 == 1 {
			handle(fmt.Sprintf("/task new 标题%d @bob due:fri project:P1", i))
		} else {
			handle(fmt.Sprintf("/progress T1 %d", i%101))
		}
	}
	benchratio.Report(b, b.N, "commands")
}

// BenchmarkConcurrentEvents drives the engine with storetest.BatchWriters
// (64) goroutines at once, each typing `/progress T<k> N` on its own task,
// so that events arrive together and share commits (group commit). It
// reports "events/s" and "x_batch_writes", the events per second over the
// writes per second of bbolt's own DB.Batch measured in the same run
// (storetest.BatchWriteBaseline); the target is at least 0.3.
func BenchmarkConcurrentEvents(b *testing.B) {
	batchWrites := benchratio.BatchWrites(b)
	loc := benchZone(b)
	clock := bot.NewFakeClock(time.Date(2026, 11, 23, 9, 0, 0, 0, loc))
	st := storetest.OpenWith(b, store.Options{Now: clock.Now})
	ctx := context.Background()
	alice := bot.PersonID("playground:alice")
	engine := bot.NewEngine(st, benchFlows(st, clock, loc, alice), slog.New(slog.DiscardHandler))
	var refused atomic.Int64
	engine.Observe = func(ev bot.Event, outcome string) {
		if outcome != "" && refused.Add(1) == 1 {
			b.Errorf("event %s (%q): outcome %q", ev.ID, ev.Text, outcome)
		}
	}
	var seq atomic.Int64
	handle := func(text string) {
		ev := bot.Event{
			ID: fmt.Sprintf("bench-%d", seq.Add(1)), Platform: bot.Playground, Kind: bot.EventMessage,
			From: alice, FromName: "Alice", Chat: bot.DM(alice), Time: clock.Now(), Text: text,
		}
		if _, err := engine.Handle(ctx, ev); err != nil {
			b.Errorf("handle %q: %v", text, err)
		}
	}
	handle("/project new 基准项目")
	for k := range storetest.BatchWriters {
		handle(fmt.Sprintf("/task new 任务%d @alice due:fri project:P1", k))
	}
	if refused.Load() > 0 {
		b.FailNow()
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for k := range storetest.BatchWriters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
				handle(fmt.Sprintf("/progress T%d %d", k+1, i%101))
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	if refused.Load() > 0 {
		b.FailNow()
	}
	perSec := float64(b.N) / b.Elapsed().Seconds()
	b.ReportMetric(perSec, "events/s")
	b.ReportMetric(batchWrites, "batch_writes/s")
	b.ReportMetric(perSec/batchWrites, "x_batch_writes")
	b.Logf("%d concurrent events: %.0f events/s, DB.Batch %.0f writes/s, ratio %.2f (target >= 0.3)",
		storetest.BatchWriters, perSec, batchWrites, perSec/batchWrites)
}

// fanoutPeople and fanoutTasks size the morning fan-out as the issue does:
// 10,000 people, everyone with a handful of open work.
const (
	fanoutPeople = 10000
	fanoutTasks  = 5
)

// BenchmarkMorningFanout is the 09:30 check-in of 10,000 people with 5 open
// tasks each: RunCheckins reads everyone, then, in batches of people per
// transaction, writes each person's card, its outbox item and the prompt.
// Every iteration runs on a fresh copy of a template store, so that
// everyone is due; the copy is made with the timer stopped. The target is the whole
// fan-out planned and queued in under 2 s ("s/fanout"); nothing asserts it.
//
// Besides the ratios of benchratio it reports where the time goes, from a
// timing decorator around the store:
//
//   - "store_share": the time spent inside View and Update calls, callbacks
//     included, over the run's wall time. RunCheckins does all its work in
//     transactions, and builds the next batch's cards in a read transaction
//     while it writes the current one, so the shares are summed over two
//     goroutines and can exceed 1 (up to 2 on two cores).
//   - "store_commit_share": the part spent in Update calls outside their
//     callback: bbolt's begin (the writer lock, a remap when the file grew)
//     and its commit (rebalancing, spilling the dirty nodes into pages,
//     writing them and the two fdatasyncs). Approximate: it also holds the
//     wrapper's own few nanoseconds per call.
//   - "store_tx_share": the part spent in the Tx methods the fan-out calls
//     (reads, JSON encoding and decoding, bbolt puts), timed by a decorator
//     around the Tx; the rest of the callbacks is the flows' own work
//     (building and signing cards, sorting tasks).
func BenchmarkMorningFanout(b *testing.B) {
	benchratio.RawCommit(b)
	loc := benchZone(b)
	at := time.Date(2026, 11, 23, 9, 30, 0, 0, loc) // Monday 09:30, a working day
	dir := b.TempDir()
	template := filepath.Join(dir, "template.db")
	if err := buildFanoutTemplate(template, at); err != nil {
		b.Fatalf("build the template store: %v", err)
	}
	ctx := context.Background()
	var (
		times   storeTimes
		runTime time.Duration
	)
	for b.Loop() {
		b.StopTimer()
		path := filepath.Join(dir, "fanout.db")
		st := openCopy(b, template, path, at)
		svc := benchFlows(&timedStore{Store: st, times: &times}, bot.NewFakeClock(at), loc)
		b.StartTimer()

		start := time.Now()
		if err := svc.RunCheckins(ctx); err != nil {
			b.Fatalf("run check-ins: %v", err)
		}
		runTime += time.Since(start)

		b.StopTimer()
		checkFanout(b, st, bot.DateOf(at))
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
		if err := os.Remove(path); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	benchratio.Report(b, b.N*fanoutPeople, "cards")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/fanout")
	b.ReportMetric(times.inCalls.Seconds()/runTime.Seconds(), "store_share")
	b.ReportMetric(times.outsideFn.Seconds()/runTime.Seconds(), "store_commit_share")
	b.ReportMetric(times.inTx.Seconds()/runTime.Seconds(), "store_tx_share")
}

// buildFanoutTemplate writes the people, their projects and their tasks
// into a new store file at path, 100 people with their 500 tasks per
// transaction.
func buildFanoutTemplate(path string, now time.Time) (err error) {
	st, err := store.Open(path, store.Options{Now: func() time.Time { return now }})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := st.Close(); err == nil {
			err = cerr
		}
	}()
	ctx := context.Background()
	boss := bot.PersonID("feishu:ou_boss")
	err = st.Update(ctx, func(tx bot.Tx) error {
		return tx.PutPerson(bot.Person{ID: boss, Name: "老板", Role: bot.RoleManager, CreatedAt: now, UpdatedAt: now})
	})
	if err != nil {
		return err
	}
	const perProject = 100
	today := bot.DateOf(now)
	for first := 0; first < fanoutPeople; first += perProject {
		err := st.Update(ctx, func(tx bot.Tx) error {
			return putFanoutProject(tx, boss, first, perProject, today, now)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// putFanoutProject stores people first..first+n-1, a project with them as
// members, and their open, accepted tasks with due dates spread over the
// next weeks.
func putFanoutProject(tx bot.Tx, boss bot.PersonID, first, n int, today bot.Date, now time.Time) error {
	pid, err := tx.NextProjectID()
	if err != nil {
		return err
	}
	proj := bot.Project{ID: pid, Name: fmt.Sprintf("项目 %d", pid), Owner: boss, Acceptance: true, Start: today, CreatedAt: now, UpdatedAt: now}
	for i := first; i < first+n; i++ {
		p := bot.Person{ID: bot.PersonID(fmt.Sprintf("feishu:ou_%05d", i)), Name: fmt.Sprintf("员工%05d", i), Role: bot.RoleMember, Manager: boss, CreatedAt: now, UpdatedAt: now}
		if err := tx.PutPerson(p); err != nil {
			return err
		}
		proj.Members = append(proj.Members, p.ID)
		for k := range fanoutTasks {
			id, err := tx.NextTaskID()
			if err != nil {
				return err
			}
			due := today.AddDays(1 + (i+k*3)%20)
			t := bot.Task{
				ID: id, Project: pid, Title: fmt.Sprintf("完成模块 %d 的第 %d 项工作", i, k+1), Assignee: p.ID, Assigner: boss,
				PlannedStart: today.AddDays(-5), Due: due, BaselineDue: due, EstimateDays: 3, Priority: bot.PrioNormal,
				Status: bot.StatusAccepted, Progress: (i * 7 % 10) * 10, ProgressAt: now.Add(-24 * time.Hour),
				StatusAt: now.Add(-72 * time.Hour), CreatedAt: now.Add(-72 * time.Hour), UpdatedAt: now.Add(-24 * time.Hour),
			}
			if err := tx.PutTask(t); err != nil {
				return err
			}
		}
	}
	return tx.PutProject(proj)
}

// openCopy copies the template to path, syncs the copy so that its dirty
// pages do not land in the first commit's fdatasync, and opens it.
func openCopy(b *testing.B, template, path string, now time.Time) *store.DB {
	b.Helper()
	src, err := os.Open(template)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		b.Fatal(err)
	}
	if err := dst.Sync(); err != nil {
		b.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(path, store.Options{Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	return st
}

// checkFanout fails the benchmark unless everyone was asked: one prompt
// and one queued card per person.
func checkFanout(b *testing.B, st bot.Store, day bot.Date) {
	b.Helper()
	err := st.View(context.Background(), func(tx bot.Tx) error {
		prompts, err := tx.Prompts(day)
		if err != nil {
			return err
		}
		depth, err := tx.OutboxDepth()
		if err != nil {
			return err
		}
		if len(prompts) != fanoutPeople || depth != fanoutPeople {
			return fmt.Errorf("%d prompts and %d queued cards, want %d of each", len(prompts), depth, fanoutPeople)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// storeTimes are the sums a timedStore keeps, across iterations.
// RunCheckins calls the store from one goroutine; the sums are atomic all
// the same, so that a concurrent caller would not race.
type storeTimes struct {
	// inCalls is the time inside View and Update, callbacks included.
	inCalls atomicDuration
	// outsideFn is the time inside Update but outside its callback: the
	// begin and the commit.
	outsideFn atomicDuration
	// inTx is the time inside the Tx methods that the callbacks call.
	inTx atomicDuration
}

// atomicDuration is a duration that goroutines may add to.
type atomicDuration struct{ ns atomic.Int64 }

func (d *atomicDuration) add(dur time.Duration) { d.ns.Add(int64(dur)) }

// since adds the time since start; defer d.since(time.Now()) times a call.
func (d *atomicDuration) since(start time.Time) { d.add(time.Since(start)) }

// Seconds returns the sum in seconds.
func (d *atomicDuration) Seconds() float64 { return time.Duration(d.ns.Load()).Seconds() }

// timedStore is a bot.Store that sums the time spent in its transactions.
type timedStore struct {
	bot.Store
	times *storeTimes
}

func (s *timedStore) View(ctx context.Context, fn func(bot.Tx) error) error {
	defer s.times.inCalls.since(time.Now())
	return s.Store.View(ctx, func(tx bot.Tx) error { return fn(timedTx{Tx: tx, d: &s.times.inTx}) })
}

func (s *timedStore) Update(ctx context.Context, fn func(bot.Tx) error) error {
	start := time.Now()
	var inFn time.Duration
	err := s.Store.Update(ctx, func(tx bot.Tx) error {
		fnStart := time.Now()
		err := fn(timedTx{Tx: tx, d: &s.times.inTx})
		inFn = time.Since(fnStart)
		return err
	})
	total := time.Since(start)
	s.times.inCalls.add(total)
	s.times.outsideFn.add(total - inFn)
	return err
}

// timedTx times the Tx methods of the check-in fan-out; the others pass
// through untimed.
type timedTx struct {
	bot.Tx
	d *atomicDuration
}

func (t timedTx) People() ([]bot.Person, error) {
	defer t.d.since(time.Now())
	return t.Tx.People()
}

func (t timedTx) Person(id bot.PersonID) (bot.Person, error) {
	defer t.d.since(time.Now())
	return t.Tx.Person(id)
}

func (t timedTx) Prompt(p bot.PersonID, day bot.Date) (bot.Prompt, error) {
	defer t.d.since(time.Now())
	return t.Tx.Prompt(p, day)
}

func (t timedTx) PersonPrompts(p bot.PersonID, from, to bot.Date) ([]bot.Prompt, error) {
	defer t.d.since(time.Now())
	return t.Tx.PersonPrompts(p, from, to)
}

func (t timedTx) PutPrompt(p bot.Prompt) error {
	defer t.d.since(time.Now())
	return t.Tx.PutPrompt(p)
}

func (t timedTx) Tasks(f bot.TaskFilter) ([]bot.Task, error) {
	defer t.d.since(time.Now())
	return t.Tx.Tasks(f)
}

func (t timedTx) NextCardID() (uint64, error) {
	defer t.d.since(time.Now())
	return t.Tx.NextCardID()
}

func (t timedTx) PutCard(c bot.CardRecord) error {
	defer t.d.since(time.Now())
	return t.Tx.PutCard(c)
}

func (t timedTx) CardsByKey(key string) ([]bot.CardRecord, error) {
	defer t.d.since(time.Now())
	return t.Tx.CardsByKey(key)
}

func (t timedTx) Enqueue(it bot.OutboxItem) (uint64, error) {
	defer t.d.since(time.Now())
	return t.Tx.Enqueue(it)
}
