package main

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/calendar"
	"github.com/loopbot/loopbot/flows"
	"github.com/loopbot/loopbot/internal/benchratio"
	"github.com/loopbot/loopbot/store"
)

// TestMain measures the baselines that the benchmarks compare with, when
// benchmarks run; see benchratio.
func TestMain(m *testing.M) { os.Exit(benchratio.Main(m)) }

// Month benchmark sizes. LOOPBOT_MONTH_PEOPLE sets the number of people
// (default 10,000); LOOPBOT_MONTH_DAYS the number of working days (20).
const (
	monthTeam    = 50 // people per project, with one manager and one group chat each
	monthTasks   = 5  // open tasks per person at the start
	monthAnswers = 85 // percent of the people asked who answer their check-in
	monthWorkers = 8  // concurrent clients answering check-ins
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkMonth runs a month of the loop on the playground and its fake
// clock, through the real App (events go to its engine as a platform's
// callback hands them over; latencies are until the event's changes
// commit, which is when a platform gets its answer; the outbox delivers to
// the playground's chats afterwards): N people in projects of 50 (each with a
// manager and a group chat), 5 open tasks each, over 20 working days from
// Monday 2026-11-02 (no holidays), after a warm-up of 22 working days of
// the default calendar, from Thursday 09-24 across the National Day holiday
// (LOOPBOT_MONTH_WARMUP; 0 for none), printed but not counted. The
// warm-up is there so that day 2 and day 20 carry the same load and their
// ratio shows what grows with the history: from a cold start, 247
// escalations are open on day 2 and 40,000 from day 3 on at 10,000
// people (the seeded tasks' no-progress and due rules fire together), and
// the first group warnings go out on day 5; a group warning is updated for
// 7 days after it is sent (escalation.group_updates_for), so after 7
// working days a resolution has as many warnings to update on day 2 as on
// day 20 (those of the last 5 working days). Retention prunes what falls
// out of its windows, so its work grows until each window has passed once:
// a group warning goes 7 days after its last update, 14 after it was sent,
// and a card with buttons 31 days after its last change; after a warm-up
// of a month, day 2 prunes as much as day 20 (the playground's chat lines,
// kept 62 days, are pruned on neither). Each working day: the 09:30 check-in
// fan-out (with a client typing /progress meanwhile), the 09:35 escalation
// check (with a client typing meanwhile), 85 % of the people answering
// their check-in through the playground API from 8 concurrent clients, 2 %
// marking a task done and their managers verifying yesterday's, one new
// task and one reassignment per manager (each accepted by /accept), then
// the reminder, digest, cut-off and the Friday review up to 18:05; the
// nights and weekends run every scheduled job on the way (the escalation
// check every 5 minutes, retention every hour).
//
// LOOPBOT_MONTH_TXLOG=<ms> also prints every write transaction held that
// long or longer, with its caller and its commit, and
// LOOPBOT_MONTH_TRACE=<ms> writes an execution trace around the first 5 of
// them (traceLongTx).
//
// It prints, per day: the time of each scheduled job (the sum of its runs
// that day, and the longest run) and of the group warning redraws that
// events and the escalation check queued (flows.Service.FlushGroupRedraws,
// run before each delivery), the 09:35 check (and how long its own
// write transactions and everyone else's held the writer while it ran),
// the answers' p50 and p99, the p99 of the
// clicks during the fan-out and during the 09:35 check, the longest write
// transaction (long_tx, with its commit: bbolt's page writes and
// fdatasyncs, where a disk's flush stalls show) and the longest time a write
// transaction held the writer without its commit (tx_work, the part the
// code controls), the store's live and file size, and the escalations open at
// the end of the day (with the escalation check's time per 1,000 of them:
// SPEC lists each open one in its project's group warning again every
// working day, so that part of the work follows how many are open, not the
// history); then the ratios day N ÷
// day 2, and the baselines of the same run.
//
//	go test -run XXX -bench Month -benchtime 1x -timeout 0 ./cmd/loopbot/
//	LOOPBOT_MONTH_PEOPLE=1000 go test -run XXX -bench Month -benchtime 1x ./cmd/loopbot/
//	LOOPBOT_MONTH_PROFILE_DAYS=4,14 …   # CPU profiles of working days 4 and 14
//	LOOPBOT_MONTH_PROFILE_0935=1 …      # a CPU profile of each day's 09:35 check
func BenchmarkMonth(b *testing.B) {
	people := envInt("LOOPBOT_MONTH_PEOPLE", 10000)
	days := envInt("LOOPBOT_MONTH_DAYS", 20)
	raw := benchratio.RawCommit(b)
	batch := benchratio.BatchWrites(b)
	for b.Loop() {
		runMonth(b, people, days)
	}
	fmt.Printf("baselines: raw bbolt commit %.0f/s, DB.Batch %.0f writes/s (64 writers)\n",
		float64(time.Second)/float64(raw), batch)
}

// monthDay is what one working day measured.
type monthDay struct {
	day        bot.Date
	jobs       map[string]time.Duration // sum of runs
	jobMax     map[string]time.Duration // longest run
	answers    []time.Duration
	commands   []time.Duration
	fanClicks  []time.Duration
	escClicks  []time.Duration
	esc0935    time.Duration
	own0935    time.Duration    // the 09:35 run's own write transactions
	other0935  time.Duration    // the others' write transactions meanwhile
	commit0935 time.Duration    // of own0935, the time in bbolt's commits
	txs0935    int64            // how many write transactions own0935 is
	written    store.Written    // what the day's commits wrote, and their time
	check0935  flows.CheckStats // what the 09:35 run looked at
	longestTx  time.Duration
	longestAt  string
	// The longest write transaction's commit (bbolt's page writes and
	// fdatasyncs), and the longest time any write transaction held the
	// writer without its commit: the part the code controls.
	longestCommit time.Duration
	longestWork   time.Duration
	live, file    int64
	openEscs      int        // open escalations at the end of the day
	pruned        bot.Pruned // what the retention runs removed
}

type monthRun struct {
	b      *testing.B
	app    *App
	ctx    context.Context
	people int
	teams  int
	rng    *rand.Rand

	mu            sync.Mutex
	cur           *monthDay
	longestTx     atomic.Int64
	longestAt     string // who ran the longest write transaction (txCaller)
	longestCommit int64  // its commit, under mu
	longestWork   atomic.Int64
	toVerify      map[int][]uint64 // team → tasks done yesterday

	// While the 09:35 check runs: the time its own write transactions
	// and the others' held the writer, apart.
	in0935, own0935, other0935 atomic.Int64
	commit0935, txs0935        atomic.Int64
}

// monthWarmup returns LOOPBOT_MONTH_WARMUP, the working days run before the
// month and not measured (default 22, a month of the default calendar
// before 11-02; 0 for none).
func monthWarmup() int {
	if v, err := strconv.Atoi(os.Getenv("LOOPBOT_MONTH_WARMUP")); err == nil && v >= 0 {
		return v
	}
	return 22
}

func runMonth(b *testing.B, people, days int) {
	// The month is measured from Monday 11-02, after the warm-up's
	// working days, as the default calendar has them (a warm-up of more
	// than 17 reaches back past the National Day holiday and its make-up
	// Saturday).
	first := time.Date(2026, 11, 2, 8, 0, 0, 0, shanghai)
	start := first
	dc := DefaultConfig().Calendar
	cal := calendar.New(calendar.Config{Location: shanghai, Workdays: weekdays(dc.Workdays)})
	for n := monthWarmup(); n > 0; {
		if start = start.AddDate(0, 0, -1); cal.IsWorkday(bot.DateOf(start)) {
			n--
		}
	}
	r := &monthRun{b: b, ctx: context.Background(), people: people, teams: (people + monthTeam - 1) / monthTeam,
		rng: rand.New(rand.NewPCG(1, 2)), toVerify: map[int][]uint64{}}
	cfg := DefaultConfig()
	cfg.Server.Listen = "127.0.0.1:0"
	cfg.Server.AdminToken = "bench-token"
	cfg.Store.Path = filepath.Join(b.TempDir(), "loopbot.db")
	cfg.Playground = PlaygroundConfig{Enabled: true, FakeClock: true, FakeClockStart: start.Format(time.RFC3339)}
	for k := range r.teams {
		g := PlaygroundGroup{ID: fmt.Sprintf("g%d", k), Name: fmt.Sprintf("项目群 %d", k)}
		mgr := fmt.Sprintf("m%d", k)
		cfg.Playground.People = append(cfg.Playground.People, PlaygroundPerson{ID: mgr, Name: "经理" + strconv.Itoa(k), Roles: []string{"manager"}})
		g.Members = append(g.Members, mgr)
		for i := k * monthTeam; i < min((k+1)*monthTeam, people); i++ {
			id := fmt.Sprintf("u%d", i)
			cfg.Playground.People = append(cfg.Playground.People, PlaygroundPerson{ID: id, Name: "员工" + strconv.Itoa(i), Manager: mgr})
			g.Members = append(g.Members, id)
		}
		cfg.Playground.Groups = append(cfg.Playground.Groups, g)
	}
	// LOOPBOT_MONTH_TXLOG=<ms> prints each write transaction held that
	// long or longer, with its caller: where the long ones come from.
	txLog, _ := strconv.Atoi(os.Getenv("LOOPBOT_MONTH_TXLOG"))
	traceLong := traceLongTx(b)
	var observe store.Options
	observe.ObserveBatch = func(calls int, work, held time.Duration) {
		if txLog > 0 && held >= time.Duration(txLog)*time.Millisecond {
			fmt.Printf("tx %.1f ms: a group commit of %d calls, which ran %.1f ms\n",
				float64(held)/float64(time.Millisecond), calls, float64(work)/float64(time.Millisecond))
		}
	}
	observe.ObserveWrite = func(held, commit time.Duration) {
		traceLong(held)
		if txLog > 0 && held >= time.Duration(txLog)*time.Millisecond {
			// ObserveBatch tells of group commits.
			if where := txCaller(); where != groupCommit {
				fmt.Printf("tx %.1f ms (its commit %.1f ms): %s\n", float64(held)/float64(time.Millisecond),
					float64(commit)/float64(time.Millisecond), where)
			}
		}
		raise(&r.longestWork, int64(held-commit))
		if r.in0935.Load() != 0 {
			if onStack("RunEscalations") {
				r.own0935.Add(int64(held))
				r.commit0935.Add(int64(commit))
				r.txs0935.Add(1)
			} else {
				r.other0935.Add(int64(held))
			}
		}
		if raise(&r.longestTx, int64(held)) {
			where := txCaller()
			r.mu.Lock()
			r.longestAt = where
			r.longestCommit = int64(commit)
			r.mu.Unlock()
		}
	}
	app, err := newApp(r.ctx, cfg, slog.New(slog.DiscardHandler), observe)
	if err != nil {
		b.Fatal(err)
	}
	defer app.store.Close()
	r.app = app
	app.scheduler = bot.NewScheduler(app.store, app.clock, app.logger, r.timedJobs(app.jobs())...)
	r.seed(start)

	app.onPruned = func(n bot.Pruned) {
		r.mu.Lock()
		if d := r.cur; d != nil {
			d.pruned.Cards += n.Cards
			d.pruned.Links += n.Links
			d.pruned.Chat += n.Chat
			d.pruned.Events += n.Events
			d.pruned.Misses += n.Misses
			d.pruned.DeadLetters += n.DeadLetters
			d.pruned.Other += n.Other
		}
		r.mu.Unlock()
	}
	app.onFlush = func(took time.Duration) {
		r.mu.Lock()
		if d := r.cur; d != nil {
			d.jobs["redraws"] += took
			d.jobMax["redraws"] = max(d.jobMax["redraws"], took)
		}
		r.mu.Unlock()
	}

	var results []*monthDay
	header := true
	for d := bot.DateOf(start); len(results) < days; d = d.AddDays(1) {
		if !app.cal.IsWorkday(d) {
			continue
		}
		if d.Before(bot.DateOf(first)) {
			r.printDay(r.day(d), header)
			header = false
			continue
		}
		if len(results) == 0 && !header {
			fmt.Println("(the rows above are the warm-up; the month starts here)")
		}
		stop := profileDay(b, len(results)+1)
		results = append(results, r.day(d))
		stop()
		r.printDay(results[len(results)-1], header)
		header = false
	}
	if len(results) >= 2 {
		r.printRatios(results[1], results[len(results)-1], len(results))
	}
	r.printBuckets(len(results) + monthWarmup())
}

// profileDay starts a CPU profile of working day n when
// LOOPBOT_MONTH_PROFILE_DAYS lists it ("4,14"), written to
// month-day<n>.prof in LOOPBOT_MONTH_PROFILE_DIR (default the system's
// temporary directory), and returns what stops it: which work grows from
// one day to a later one.
func profileDay(b *testing.B, n int) (stop func()) {
	if !slices.Contains(strings.Split(os.Getenv("LOOPBOT_MONTH_PROFILE_DAYS"), ","), strconv.Itoa(n)) {
		return func() {}
	}
	dir := cmp.Or(os.Getenv("LOOPBOT_MONTH_PROFILE_DIR"), os.TempDir())
	f, err := os.Create(filepath.Join(dir, fmt.Sprintf("month-day%d.prof", n)))
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// profile0935 starts a CPU profile of the 09:35 escalation check when
// LOOPBOT_MONTH_PROFILE_0935 is 1, written to month-0935-<date>.prof in
// LOOPBOT_MONTH_PROFILE_DIR (default the system's temporary directory), and
// returns what stops it. It profiles nothing while a day's profile runs.
func profile0935(b *testing.B, slot time.Time) (stop func()) {
	if os.Getenv("LOOPBOT_MONTH_PROFILE_0935") != "1" {
		return func() {}
	}
	dir := cmp.Or(os.Getenv("LOOPBOT_MONTH_PROFILE_DIR"), os.TempDir())
	f, err := os.Create(filepath.Join(dir, "month-0935-"+bot.DateOf(slot.In(shanghai)).String()+".prof"))
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// raise sets *a to v when v is larger, and reports whether it did.
func raise(a *atomic.Int64, v int64) bool {
	for {
		old := a.Load()
		if v <= old {
			return false
		}
		if a.CompareAndSwap(old, v) {
			return true
		}
	}
}

// traceLongTx returns what to call with each write transaction's time
// held. When LOOPBOT_MONTH_TRACE=<ms> is set, it keeps a flight recorder of
// the runtime's execution trace (the last 2 s or so) and, a second after
// each of the first 5 write transactions held that long or longer (those
// that end while a window is being written are skipped), writes the window
// to month-tx<k>.trace in LOOPBOT_MONTH_PROFILE_DIR (default the system's
// temporary directory), for `go tool trace`: what the writer's goroutine
// waited on while it held the lock (a core, the disk, a collection). A
// user log "write tx <k> held <d>" marks the transaction's end on its
// goroutine.
func traceLongTx(b *testing.B) func(held time.Duration) {
	ms, _ := strconv.Atoi(os.Getenv("LOOPBOT_MONTH_TRACE"))
	if ms <= 0 {
		return func(time.Duration) {}
	}
	fr := trace.NewFlightRecorder(trace.FlightRecorderConfig{MinAge: 2 * time.Second})
	if err := fr.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(fr.Stop)
	dir := cmp.Or(os.Getenv("LOOPBOT_MONTH_PROFILE_DIR"), os.TempDir())
	var taken atomic.Int32
	var writing sync.Mutex
	return func(held time.Duration) {
		if held < time.Duration(ms)*time.Millisecond || taken.Load() >= 5 || !writing.TryLock() {
			return
		}
		k := taken.Add(1)
		// The writer's goroutine marks the moment the transaction
		// ended: it began held before.
		trace.Log(context.Background(), "loopbot", fmt.Sprintf("write tx %d held %v", k, held))
		go func() {
			defer writing.Unlock()
			// The window then holds the second after the transaction too.
			time.Sleep(time.Second)
			name := filepath.Join(dir, fmt.Sprintf("month-tx%d.trace", k))
			f, err := os.Create(name)
			if err != nil {
				fmt.Printf("trace: %v\n", err)
				return
			}
			defer f.Close()
			if _, err := fr.WriteTo(f); err != nil {
				fmt.Printf("trace: %v\n", err)
				return
			}
			fmt.Printf("trace of a write transaction held %.1f ms: %s\n", float64(held)/float64(time.Millisecond), name)
		}()
	}
}

// printBuckets prints what each bucket holds at the end, largest first:
// its keys, its pages (its share of the live data) and the bytes of its keys
// and values, per person per working day (days: the working days run, the
// warm-up's included).
func (r *monthRun) printBuckets(days int) {
	sizes, err := r.app.store.BucketSizes()
	if err != nil {
		r.b.Fatal(err)
	}
	per := float64(r.people * days)
	fmt.Printf("%-26s %10s %10s %10s %14s %14s\n", "bucket", "keys", "pages MiB", "data MiB", "pages B/p/day", "data B/p/day")
	for _, s := range sizes {
		if s.Keys == 0 {
			continue
		}
		fmt.Printf("%-26s %10d %10.2f %10.2f %14.0f %14.0f\n", s.Name, s.Keys, float64(s.Pages)/(1<<20), float64(s.Data)/(1<<20),
			float64(s.Pages)/per, float64(s.Data)/per)
	}
}

// timedJobs wraps each job's Run to add its time to the current day.
func (r *monthRun) timedJobs(jobs []bot.Job) []bot.Job {
	for i := range jobs {
		name, run := jobs[i].Name, jobs[i].Run
		jobs[i].Run = func(ctx context.Context, slot time.Time) error {
			at0935 := name == "escalation" && slot.In(shanghai).Format("15:04") == "09:35"
			if at0935 {
				r.own0935.Store(0)
				r.other0935.Store(0)
				r.commit0935.Store(0)
				r.txs0935.Store(0)
				r.in0935.Store(1)
			}
			stop := func() {}
			if at0935 {
				stop = profile0935(r.b, slot)
			}
			t0 := time.Now()
			err := run(ctx, slot)
			took := time.Since(t0)
			stop()
			r.in0935.Store(0)
			r.mu.Lock()
			if d := r.cur; d != nil {
				d.jobs[name] += took
				d.jobMax[name] = max(d.jobMax[name], took)
				if at0935 {
					d.esc0935 = took
					d.own0935, d.other0935 = time.Duration(r.own0935.Load()), time.Duration(r.other0935.Load())
					d.commit0935, d.txs0935 = time.Duration(r.commit0935.Load()), r.txs0935.Load()
					d.check0935 = r.app.flows.LastCheck()
				}
			}
			r.mu.Unlock()
			return err
		}
	}
	return jobs
}

// seed writes the projects and their open, accepted tasks, due over the
// next six weeks, straight into the store.
func (r *monthRun) seed(start time.Time) {
	today := bot.DateOf(start)
	for k := range r.teams {
		err := r.app.store.Update(r.ctx, func(tx bot.Tx) error {
			pid, err := tx.NextProjectID()
			if err != nil {
				return err
			}
			mgr := bot.PersonID(fmt.Sprintf("playground:m%d", k))
			proj := bot.Project{ID: pid, Name: fmt.Sprintf("项目 %d", k), Owner: mgr, Acceptance: true, Start: today,
				Groups: []bot.Target{bot.Group(bot.Playground, fmt.Sprintf("g%d", k))}, CreatedAt: start, UpdatedAt: start}
			for i := k * monthTeam; i < min((k+1)*monthTeam, r.people); i++ {
				p := bot.PersonID(fmt.Sprintf("playground:u%d", i))
				proj.Members = append(proj.Members, p)
				for j := range monthTasks {
					id, err := tx.NextTaskID()
					if err != nil {
						return err
					}
					due := today.AddDays(3 + (i*7+j*9)%42)
					t := bot.Task{ID: id, Project: pid, Title: fmt.Sprintf("模块 %d 的第 %d 项工作", i, j+1), Assignee: p, Assigner: mgr,
						PlannedStart: today, Due: due, BaselineDue: due, EstimateDays: 3, Priority: bot.PrioNormal,
						Status: bot.StatusAccepted, Progress: (i * 3 % 5) * 10, ProgressAt: start, StatusAt: start,
						CreatedAt: start, UpdatedAt: start}
					if err := tx.PutTask(t); err != nil {
						return err
					}
				}
			}
			return tx.PutProject(proj)
		})
		if err != nil {
			r.b.Fatal(err)
		}
	}
}

func (r *monthRun) at(d bot.Date, hh, mm int) {
	if err := r.app.fake.Set(r.ctx, d.At(hh, mm, shanghai)); err != nil {
		r.b.Fatalf("advance to %s %02d:%02d: %v", d, hh, mm, err)
	}
}

// day runs one working day and returns what it measured.
func (r *monthRun) day(d bot.Date) *monthDay {
	md := &monthDay{day: d, jobs: map[string]time.Duration{}, jobMax: map[string]time.Duration{}}
	r.mu.Lock()
	r.cur = md
	r.mu.Unlock()
	r.longestTx.Store(0)
	r.longestWork.Store(0)
	r.mu.Lock()
	r.longestAt = ""
	r.longestCommit = 0
	r.mu.Unlock()

	w0 := r.app.store.Written()
	r.at(d, 9, 29) // the night before: escalation checks, retention, Monday's summary
	md.fanClicks = r.whileClicking(func() { r.at(d, 9, 30) })
	md.escClicks = r.whileClicking(func() { r.at(d, 9, 35) })
	r.at(d, 10, 0)
	md.answers = r.answers(d)
	r.at(d, 10, 30)
	md.commands = r.work(d)
	r.drain()
	r.at(d, 18, 5)

	md.longestTx = time.Duration(r.longestTx.Load())
	md.longestWork = time.Duration(r.longestWork.Load())
	r.mu.Lock()
	md.longestAt = r.longestAt
	md.longestCommit = time.Duration(r.longestCommit)
	r.mu.Unlock()
	size, err := r.app.store.Size()
	if err != nil {
		r.b.Fatal(err)
	}
	md.live, md.file = size.Live, size.File
	w := r.app.store.Written()
	md.written = store.Written{Bytes: w.Bytes - w0.Bytes, Time: w.Time - w0.Time}
	err = r.app.store.View(r.ctx, func(tx bot.Tx) error {
		for _, rule := range []string{bot.RuleOverdue, bot.RuleDueSoon, bot.RuleBlocked, bot.RuleStale, bot.RuleUnaccepted, bot.RuleMissedCheckins} {
			subjects, err := tx.OpenSubjects(rule)
			if err != nil {
				return err
			}
			md.openEscs += len(subjects)
		}
		return nil
	})
	if err != nil {
		r.b.Fatal(err)
	}
	return md
}

// say hands a typed command to the engine, as a platform's callback does,
// and returns how long its handling took to commit (what the platform
// waits for); the replies are delivered later, by the outbox.
func (r *monthRun) say(from, chat, text string) time.Duration {
	target := bot.DM(bot.PersonID("playground:" + from))
	if chat != "dm" {
		target = bot.Group(bot.Playground, chat)
	}
	return r.handle(bot.Event{Kind: bot.EventMessage, From: bot.PersonID("playground:" + from), Chat: target, Text: text})
}

var monthEventSeq atomic.Int64

// handle passes an event to the engine and returns how long it took.
func (r *monthRun) handle(ev bot.Event) time.Duration {
	ev.ID = "month-" + strconv.FormatInt(monthEventSeq.Add(1), 10)
	ev.Platform, ev.Time = bot.Playground, r.app.clock.Now()
	t0 := time.Now()
	_, err := r.app.engine.Handle(r.ctx, ev)
	took := time.Since(t0)
	if err != nil {
		r.b.Errorf("event %q: %v", ev.Text, err)
	}
	return took
}

// drain delivers what is queued.
func (r *monthRun) drain() {
	if err := r.app.dispatcher.Drain(r.ctx); err != nil {
		r.b.Fatal(err)
	}
}

// openTasks returns a person's open tasks.
func (r *monthRun) openTasks(person string) []bot.Task {
	var tasks []bot.Task
	err := r.app.store.View(r.ctx, func(tx bot.Tx) (err error) {
		tasks, err = tx.Tasks(bot.TaskFilter{Assignee: bot.PersonID("playground:" + person), OpenOnly: true})
		return err
	})
	if err != nil {
		r.b.Fatal(err)
	}
	return tasks
}

// whileClicking runs fn while one client types /progress on random tasks,
// about 50 a second, and returns the latencies of the clicks.
func (r *monthRun) whileClicking(fn func()) []time.Duration {
	stop := make(chan struct{})
	done := make(chan []time.Duration)
	go func() {
		var lat []time.Duration
		rng := rand.New(rand.NewPCG(uint64(len(lat)), 7))
		for {
			select {
			case <-stop:
				done <- lat
				return
			default:
			}
			who := fmt.Sprintf("u%d", rng.IntN(r.people))
			tasks := r.openTasks(who)
			if len(tasks) == 0 {
				continue
			}
			t := tasks[rng.IntN(len(tasks))]
			t0 := time.Now()
			lat = append(lat, r.say(who, "dm", fmt.Sprintf("/progress %s %d", t.Code(), min(t.Progress+5, 95))))
			// About 50 clicks a second, whatever they cost.
			time.Sleep(20*time.Millisecond - time.Since(t0))
		}
	}()
	fn()
	close(stop)
	return <-done
}

// answers has 85 % of the people asked today submit their check-in card
// from monthWorkers concurrent clients, and returns the latencies.
func (r *monthRun) answers(d bot.Date) []time.Duration {
	type job struct {
		person string
		token  string
		ref    string
		form   map[string]string
	}
	var jobs []job
	err := r.app.store.View(r.ctx, func(tx bot.Tx) error {
		for i := range r.people {
			if r.rng.IntN(100) >= monthAnswers {
				continue
			}
			p := fmt.Sprintf("u%d", i)
			recs, err := tx.CardsByKey("checkin/playground:" + p + "/" + d.String())
			if err != nil {
				return err
			}
			if len(recs) == 0 || recs[0].MessageRef == "" {
				continue
			}
			submit, ok := recs[0].Card.Action("submit")
			if !ok {
				continue
			}
			form := map[string]string{}
			for _, in := range recs[0].Card.Inputs {
				if strings.HasPrefix(in.Name, "progress.") && len(form) < 2 {
					v, _ := strconv.Atoi(in.Value)
					form[in.Name] = strconv.Itoa(min(v+10, 95))
					form["hours."+strings.TrimPrefix(in.Name, "progress.")] = "3"
				}
			}
			jobs = append(jobs, job{p, submit.Value, recs[0].MessageRef, form})
		}
		return nil
	})
	if err != nil {
		r.b.Fatal(err)
	}
	lat := make([]time.Duration, len(jobs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range monthWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < len(jobs); i = int(next.Add(1)) - 1 {
				j := jobs[i]
				who := bot.PersonID("playground:" + j.person)
				lat[i] = r.handle(bot.Event{Kind: bot.EventAction, From: who, Chat: bot.DM(who),
					Action: &bot.ActionEvent{Name: "submit", Token: j.token, Form: j.form, MessageRef: j.ref}})
			}
		}()
	}
	wg.Wait()
	r.drain()
	return lat
}

// work is the day's other events: 2 % of the people mark a task done, each
// manager verifies yesterday's done tasks, assigns one new task and
// reassigns one, and the assignees accept. It returns the commands'
// latencies.
func (r *monthRun) work(d bot.Date) []time.Duration {
	var lat []time.Duration
	verify := r.toVerify
	r.toVerify = map[int][]uint64{}
	for i := range r.people {
		if r.rng.IntN(100) >= 2 {
			continue
		}
		p := fmt.Sprintf("u%d", i)
		if tasks := r.openTasks(p); len(tasks) > 0 {
			t := tasks[0]
			lat = append(lat, r.say(p, "dm", "/done "+t.Code()))
			r.toVerify[i/monthTeam] = append(r.toVerify[i/monthTeam], t.ID)
		}
	}
	for k := range r.teams {
		mgr, group := fmt.Sprintf("m%d", k), fmt.Sprintf("g%d", k)
		for _, id := range verify[k] {
			lat = append(lat, r.say(mgr, "dm", fmt.Sprintf("/verify T%d", id)))
		}
		size := min(monthTeam, r.people-k*monthTeam)
		who := k*monthTeam + r.rng.IntN(size)
		lat = append(lat, r.say(mgr, group, fmt.Sprintf("/task new 新任务%s-%d @员工%d due:%s project:P%d", d, k, who, d.AddDays(10), k+1)))
		lat = append(lat, r.say(fmt.Sprintf("u%d", who), "dm", fmt.Sprintf("/accept T%d", r.lastTaskID(who))))
		from := fmt.Sprintf("u%d", k*monthTeam+r.rng.IntN(size))
		to := k*monthTeam + r.rng.IntN(size)
		if tasks := r.openTasks(from); len(tasks) > 1 && from != fmt.Sprintf("u%d", to) {
			t := tasks[len(tasks)-1]
			lat = append(lat, r.say(mgr, group, fmt.Sprintf("/reassign %s @员工%d", t.Code(), to)))
			lat = append(lat, r.say(fmt.Sprintf("u%d", to), "dm", "/accept "+t.Code()))
		}
	}
	return lat
}

// lastTaskID returns the id of the newest task of person u<who> (the one
// just assigned): their tasks only, not every task, so that the harness
// does not read 50,000 tasks a manager a day.
func (r *monthRun) lastTaskID(who int) uint64 {
	var id uint64
	err := r.app.store.View(r.ctx, func(tx bot.Tx) error {
		// By id, as the assignee index keeps them.
		tasks, err := tx.Tasks(bot.TaskFilter{Assignee: bot.PersonID(fmt.Sprintf("playground:u%d", who))})
		if len(tasks) > 0 {
			id = tasks[len(tasks)-1].ID
		}
		return err
	})
	if err != nil {
		r.b.Fatal(err)
	}
	return id
}

func pct(lat []time.Duration, p int) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

// monthJobs are the scheduled jobs, and "redraws": the group warning lines
// that events and the escalation check queued, drawn after they commit
// (flows.Service.FlushGroupRedraws).
var monthJobs = []string{"checkin", "checkin_reminder", "daily_digest", "escalation", "review_prompt", "review_summary", "retention", "redraws"}

// monthJobHeads are the short column names of monthJobs.
var monthJobHeads = []string{"checkin", "reminder", "digest", "escalation", "review", "summary", "retention", "redraws"}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64)
}

func (r *monthRun) printDay(md *monthDay, header bool) {
	if header {
		fmt.Printf("month: %d people, %d projects, %d tasks at the start, %d working days of warm-up; times in ms, sizes in MiB\n",
			r.people, r.teams, r.people*monthTasks, monthWarmup())
		fmt.Printf("%-10s", "day")
		for _, j := range monthJobHeads {
			fmt.Printf(" %10s", j)
		}
		fmt.Printf(" %9s %8s %8s %8s %8s %8s %8s %8s %8s %7s %7s\n", "esc_max", "esc0935", "ans_p50", "ans_p99", "cmd_p99", "fan_p99", "esc_p99", "long_tx", "tx_work", "live", "file")
	}
	fmt.Printf("%-10s", md.day)
	for _, j := range monthJobs {
		fmt.Printf(" %10s", ms(md.jobs[j]))
	}
	fmt.Printf(" %9s %8s %8s %8s %8s %8s %8s %8s %8s %7.1f %7.1f\n", ms(md.jobMax["escalation"]), ms(md.esc0935),
		ms(pct(md.answers, 50)), ms(pct(md.answers, 99)), ms(pct(md.commands, 99)),
		ms(pct(md.fanClicks, 99)), ms(pct(md.escClicks, 99)), ms(md.longestTx), ms(md.longestWork),
		float64(md.live)/(1<<20), float64(md.file)/(1<<20))
	perK := "-"
	if md.openEscs > 0 {
		perK = ms(md.jobs["escalation"] * 1000 / time.Duration(md.openEscs))
	}
	fmt.Printf("%-10s longest write transaction: %s, its commit %s ms; %d escalations open, escalation ms per 1,000 open: %s; "+
		"09:35 run's %d write transactions %s ms (their commits %s ms), others' meanwhile %s ms; it checked %d tasks and %d people, looked at %d escalations "+
		"to climb and drew %d projects' group warnings\n", "", md.longestAt, ms(md.longestCommit), md.openEscs, perK,
		md.txs0935, ms(md.own0935), ms(md.commit0935), ms(md.other0935), md.check0935.Tasks, md.check0935.People, md.check0935.Escalations, md.check0935.WarnProjects)
	fmt.Printf("%-10s the day's commits wrote %.0f MiB of pages and spent %s ms writing and syncing them\n", "",
		float64(md.written.Bytes)/(1<<20), ms(md.written.Time))
	p := md.pruned
	fmt.Printf("%-10s retention removed %d records (cards %d and their links %d, chat lines %d, events %d, missed runs %d, "+
		"dead letters %d, marks %d), ms per 1,000: %s\n", "", p.Records(), p.Cards, p.Links, p.Chat, p.Events, p.Misses,
		p.DeadLetters, p.Other, retentionPerK(md))
}

// retentionPerK is the retention job's time per 1,000 records it removed
// that day: its work follows what falls out of the windows, which grows
// until every window has passed once (a month for cards with buttons).
func retentionPerK(md *monthDay) string {
	if md.pruned.Records() == 0 {
		return "-"
	}
	return ms(md.jobs["retention"] * 1000 / time.Duration(md.pruned.Records()))
}

// onStack reports whether a function whose name contains name is on the
// calling goroutine's stack.
func onStack(name string) bool {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(3, pcs)])
	for {
		f, more := frames.Next()
		if strings.Contains(f.Function, name) {
			return true
		}
		if !more {
			return false
		}
	}
}

// groupCommit is what txCaller says of a group commit, whose callers
// are the batcher's, not loopbot's.
const groupCommit = "a group commit (DB.Batch: events, outbox completions)"

// txCaller names the functions of loopbot's own packages (outside the
// store) on the stack of the goroutine that ran a write transaction, the
// innermost first: which job or event the transaction was.
func txCaller() string {
	pcs := make([]uintptr, 32)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(3, pcs)])
	var names []string
	for {
		f, more := frames.Next()
		name := strings.TrimPrefix(f.Function, "github.com/loopbot/loopbot/")
		if name != f.Function && !strings.HasPrefix(name, "store.") && !strings.Contains(name, "month") && len(names) < 3 {
			names = append(names, name)
		}
		if !more {
			if len(names) == 0 {
				return groupCommit
			}
			return strings.Join(names, " < ")
		}
	}
}

func (r *monthRun) printRatios(d2, dn *monthDay, n int) {
	ratio := func(a, b float64) string {
		if b == 0 {
			return "-"
		}
		return strconv.FormatFloat(a/b, 'f', 2, 64)
	}
	dur := func(a, b time.Duration) string { return ratio(float64(a), float64(b)) }
	fmt.Printf("day %d ÷ day 2:", n)
	for i, j := range monthJobs {
		fmt.Printf(" %s %s,", monthJobHeads[i], dur(dn.jobs[j], d2.jobs[j]))
	}
	fmt.Printf(" esc_0935 %s, ans_p50 %s, ans_p99 %s, cmd_p99 %s, fan_p99 %s, esc_p99 %s, long_tx %s, tx_work %s, live %s, file %s\n",
		dur(dn.esc0935, d2.esc0935), dur(pct(dn.answers, 50), pct(d2.answers, 50)), dur(pct(dn.answers, 99), pct(d2.answers, 99)),
		dur(pct(dn.commands, 99), pct(d2.commands, 99)), dur(pct(dn.fanClicks, 99), pct(d2.fanClicks, 99)),
		dur(pct(dn.escClicks, 99), pct(d2.escClicks, 99)), dur(dn.longestTx, d2.longestTx), dur(dn.longestWork, d2.longestWork),
		ratio(float64(dn.live), float64(d2.live)), ratio(float64(dn.file), float64(d2.file)))
	perK := func(md *monthDay) float64 {
		if md.pruned.Records() == 0 {
			return 0
		}
		return float64(md.jobs["retention"]) / float64(md.pruned.Records())
	}
	fmt.Printf("retention per record removed: day %d ÷ day 2 %s (records removed %d and %d)\n", n,
		ratio(perK(dn), perK(d2)), dn.pruned.Records(), d2.pruned.Records())
	// The store holds the warm-up's days too.
	worked := n + monthWarmup()
	perPersonDay := float64(dn.live) / float64(r.people) / float64(worked)
	fmt.Printf("live data per person per working day: %.0f bytes over %d working days, the warm-up's included (target < 8 KiB); file ÷ live: %.2f (target <= 2)\n",
		perPersonDay, worked, float64(dn.file)/float64(dn.live))
}
