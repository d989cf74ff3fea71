package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"
)

// Meta key prefixes of the scheduler's state (see store/bucket.go).
const (
	// MetaSchedPrefix + job name holds a job's state: {"last_slot": time}.
	MetaSchedPrefix = "sched/"
	// MetaSchedMissPrefix + job name + "/" + slot (RFC 3339, UTC) holds a
	// recorded miss.
	MetaSchedMissPrefix = "sched_miss/"
)

const (
	// defaultGrace is how late a slot may run when its job has no Grace.
	defaultGrace = 5 * time.Minute
	// maxSleep caps the real-time loop's sleep, so that it notices a moved
	// clock or a changed calendar within a minute.
	maxSleep = time.Minute
	// errorPause is the least the real-time loop waits after a failed tick.
	errorPause = 5 * time.Second
)

// Job is a piece of scheduled work, such as sending the daily check-in
// cards.
//
// Run must be idempotent: the scheduler records a slot as done only after
// Run returns nil, so a crash in the middle of a run, or an error, runs the
// same slot again. A job therefore marks its own per-item progress in the
// store (a check-in card already sent to a person today, say) in the same
// transaction that enqueues the item, and skips what is already marked, so
// that a retried run never sends anything twice.
type Job struct {
	// Name is unique among the scheduler's jobs; it keys the job's state.
	Name string
	// Next returns the first planned slot strictly after the given time,
	// or the zero time for none.
	Next func(after time.Time) time.Time
	// Grace returns the last instant at which a missed slot may still run
	// (for the check-in, its cut-off). Nil means five minutes after the
	// slot.
	Grace func(slot time.Time) time.Time
	// Run does the work of one slot.
	Run func(ctx context.Context, slot time.Time) error
	// Sweep marks a job whose every run does all that its missed slots
	// would have done (the escalation check, the pruning): slots it misses
	// are caught up by the next run, so they are not recorded as misses,
	// and a week of downtime does not leave thousands of them behind.
	Sweep bool
}

// grace returns the last instant at which the slot may run.
func (j Job) grace(slot time.Time) time.Time {
	if j.Grace == nil {
		return slot.Add(defaultGrace)
	}
	return j.Grace(slot)
}

// Miss is a planned slot that did not run because the bot was down past the
// slot's grace, or because a later slot of the same job ran in its place.
type Miss struct {
	Job        string    `json:"job"`
	Slot       time.Time `json:"slot"`
	RecordedAt time.Time `json:"recorded_at"`
}

// jobState is the stored state of a job.
type jobState struct {
	LastSlot time.Time `json:"last_slot"`
}

// Scheduler runs jobs at their planned slots, by the business clock, and
// keeps in the store which slot of each job ran last. After downtime it
// catches each job up once, with its latest slot that is still within grace,
// and records every other missed slot as a Miss: none is silently dropped.
type Scheduler struct {
	store Store
	clock Clock
	log   *slog.Logger
	jobs  []Job
	kick  chan struct{}

	// tickMu serialises ticks; advanceMu serialises AdvanceTo.
	tickMu    sync.Mutex
	advanceMu sync.Mutex
}

// NewScheduler returns a scheduler of the jobs. It panics if a job has no
// name, no Next or no Run, or if two jobs share a name, which are
// programming errors.
func NewScheduler(store Store, clock Clock, logger *slog.Logger, jobs ...Job) *Scheduler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	names := make(map[string]bool)
	for _, j := range jobs {
		if j.Name == "" || j.Next == nil || j.Run == nil || names[j.Name] {
			panic(fmt.Sprintf("bot: scheduler: job %q is incomplete or duplicated", j.Name))
		}
		names[j.Name] = true
	}
	return &Scheduler{
		store: store,
		clock: clock,
		log:   logger.With("component", "scheduler"),
		jobs:  jobs,
		kick:  make(chan struct{}, 1),
	}
}

// Kick wakes the real-time loop, for instance after the calendar changed. It
// never blocks.
func (s *Scheduler) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// plan is what one tick does for one job.
type plan struct {
	job Job
	// before holds the missed slots up to the one that runs (all of them
	// when none runs); after those past it.
	before, after []time.Time
	// run is the slot that runs; zero for none.
	run time.Time
}

// Tick runs every slot that is due by the clock: each job's latest due slot
// that is still within grace, in time order across jobs, and records the
// other due slots as missed. A job whose run fails keeps its slot, to be run
// again on the next tick. Ticks are serialised. Tick returns the jobs'
// errors and the store's, joined.
func (s *Scheduler) Tick(ctx context.Context) error {
	s.tickMu.Lock()
	defer s.tickMu.Unlock()
	now := s.clock.Now()
	plans, err := s.plans(ctx, now)
	if err != nil {
		return err
	}
	var errs []error
	for i, p := range plans {
		if len(p.before) == 0 {
			continue
		}
		if err := s.recordMisses(ctx, p.job, p.before, now); err != nil {
			// Without the misses recorded, running a later slot would
			// skip them silently: the job waits for the next tick.
			plans[i].run = time.Time{}
			errs = append(errs, err)
		}
	}
	sort.SliceStable(plans, func(a, b int) bool { return plans[a].run.Before(plans[b].run) })
	for _, p := range plans {
		if !p.run.IsZero() {
			errs = append(errs, s.run(ctx, p, now))
		}
	}
	return errors.Join(errs...)
}

// plans reads the jobs' states and returns what this tick does for each. A
// job without state starts at now: there is no catch-up from the epoch.
func (s *Scheduler) plans(ctx context.Context, now time.Time) ([]plan, error) {
	states, err := s.states(ctx)
	if err != nil {
		return nil, err
	}
	var plans []plan
	for _, j := range s.jobs {
		last, ok := states[j.Name]
		if !ok {
			if err := s.saveLast(ctx, j.Name, now); err != nil {
				return nil, err
			}
			continue
		}
		p, err := planJob(j, last, now)
		if err != nil {
			return nil, err
		}
		plans = append(plans, p)
	}
	return plans, nil
}

// planJob walks the due slots of a job after last. The latest slot within
// grace runs; the others are misses.
func planJob(j Job, last, now time.Time) (plan, error) {
	var slots []time.Time
	run := -1
	for slot := j.Next(last); !slot.IsZero() && !slot.After(now); slot = j.Next(slot) {
		if !slot.After(last) {
			return plan{}, fmt.Errorf("scheduler: job %s: next slot %s is not after %s", j.Name, slot, last)
		}
		if !now.After(j.grace(slot)) {
			run = len(slots)
		}
		slots = append(slots, slot)
		last = slot
	}
	p := plan{job: j, before: slots}
	if run >= 0 {
		p.before, p.run, p.after = slots[:run], slots[run], slots[run+1:]
	}
	return p, nil
}

// run runs a job's slot and, if it succeeded, records the slot and the
// misses after it.
func (s *Scheduler) run(ctx context.Context, p plan, now time.Time) error {
	s.log.Debug("scheduled run", "job", p.job.Name, "slot", p.run)
	if err := runSafely(ctx, p.job, p.run); err != nil {
		return fmt.Errorf("scheduler: job %s at %s: %w", p.job.Name, p.run.Format(time.RFC3339), err)
	}
	if len(p.after) == 0 {
		return s.saveLast(ctx, p.job.Name, p.run)
	}
	return s.recordMisses(ctx, p.job, p.after, now)
}

// runSafely runs a job's slot, turning a panic into an error, so that a
// defect in one job cannot stop the scheduler (the slot is tried again).
func runSafely(ctx context.Context, j Job, slot time.Time) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return j.Run(ctx, slot)
}

// recordMisses records missed slots of a job, and the last of them as the
// job's last slot, in one transaction.
func (s *Scheduler) recordMisses(ctx context.Context, j Job, slots []time.Time, now time.Time) error {
	if j.Sweep {
		s.log.Info("scheduled sweep caught up", "job", j.Name, "skipped_slots", len(slots))
		return s.saveLast(ctx, j.Name, slots[len(slots)-1])
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		for _, slot := range slots {
			b, err := json.Marshal(Miss{Job: j.Name, Slot: slot, RecordedAt: now})
			if err != nil {
				return err
			}
			if err := tx.PutMeta(missKey(j.Name, slot), b); err != nil {
				return err
			}
		}
		return putLast(tx, j.Name, slots[len(slots)-1])
	})
	if err != nil {
		return fmt.Errorf("scheduler: record misses of %s: %w", j.Name, err)
	}
	for _, slot := range slots {
		s.log.Warn("scheduled run missed", "job", j.Name, "slot", slot, "grace_until", j.grace(slot))
	}
	return nil
}

// missKey returns the meta key of a miss.
func missKey(job string, slot time.Time) string {
	return MetaSchedMissPrefix + job + "/" + slot.UTC().Format(time.RFC3339)
}

// states returns the last slot of every job that has a state.
func (s *Scheduler) states(ctx context.Context) (map[string]time.Time, error) {
	var raw map[string][]byte
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		raw, err = tx.MetaPrefix(MetaSchedPrefix)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("scheduler: read state: %w", err)
	}
	states := make(map[string]time.Time, len(raw))
	for key, b := range raw {
		var st jobState
		if err := json.Unmarshal(b, &st); err != nil {
			return nil, fmt.Errorf("scheduler: state %s: %w", key, err)
		}
		states[key[len(MetaSchedPrefix):]] = st.LastSlot
	}
	return states, nil
}

// saveLast records a job's last slot.
func (s *Scheduler) saveLast(ctx context.Context, job string, slot time.Time) error {
	err := s.store.Update(ctx, func(tx Tx) error { return putLast(tx, job, slot) })
	if err != nil {
		return fmt.Errorf("scheduler: save state of %s: %w", job, err)
	}
	return nil
}

// putLast writes a job's state.
func putLast(tx Tx, job string, slot time.Time) error {
	b, err := json.Marshal(jobState{LastSlot: slot})
	if err != nil {
		return err
	}
	return tx.PutMeta(MetaSchedPrefix+job, b)
}

// NextDue returns the earliest next slot over all jobs, which may lie in the
// past when a tick is overdue; a job that has never ticked is due now. It
// returns the zero time when no job has another slot.
func (s *Scheduler) NextDue() (time.Time, error) {
	states, err := s.states(context.Background())
	if err != nil {
		return time.Time{}, err
	}
	var next time.Time
	for _, j := range s.jobs {
		last, ok := states[j.Name]
		slot := s.clock.Now()
		if ok {
			slot = j.Next(last)
		}
		if !slot.IsZero() {
			next = earlier(next, slot)
		}
	}
	return next, nil
}

// Missed returns the recorded misses, oldest slot first.
func (s *Scheduler) Missed(ctx context.Context) ([]Miss, error) {
	var raw map[string][]byte
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		raw, err = tx.MetaPrefix(MetaSchedMissPrefix)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("scheduler: read misses: %w", err)
	}
	misses := make([]Miss, 0, len(raw))
	for key, b := range raw {
		var m Miss
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("scheduler: miss %s: %w", key, err)
		}
		misses = append(misses, m)
	}
	sort.Slice(misses, func(a, b int) bool {
		if !misses[a].Slot.Equal(misses[b].Slot) {
			return misses[a].Slot.Before(misses[b].Slot)
		}
		return misses[a].Job < misses[b].Job
	})
	return misses, nil
}

// Run is the real-time loop: it ticks, then sleeps until the next slot (at
// most a minute, and less when kicked), until ctx ends; then it returns nil.
// After a failed tick it logs the error and waits a few seconds, kicks or
// not, so that a failing job is retried without a hot loop.
func (s *Scheduler) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		wait, failed := s.runOnce(ctx)
		if failed {
			sleep(ctx, wait, nil)
		} else {
			sleep(ctx, wait, s.kick)
		}
	}
	return nil
}

// runOnce ticks and returns how long to sleep, and whether the tick failed.
func (s *Scheduler) runOnce(ctx context.Context) (time.Duration, bool) {
	err := s.Tick(ctx)
	if err == nil {
		var next time.Time
		next, err = s.NextDue()
		if err == nil {
			return untilNext(next, s.clock.Now()), false
		}
	}
	if ctx.Err() == nil {
		s.log.Error("tick failed", slog.Any("error", err))
	}
	return errorPause, true
}

// untilNext returns the sleep until next, between zero and maxSleep.
func untilNext(next, now time.Time) time.Duration {
	if next.IsZero() {
		return maxSleep
	}
	return min(max(next.Sub(now), 0), maxSleep)
}

// sleep waits for d, for a kick (when kick is not nil), or for ctx to end.
func sleep(ctx context.Context, d time.Duration, kick <-chan struct{}) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
	case <-timer.C:
	case <-kick:
	}
}

// AdvanceTo moves a fake clock forward to `to`, one slot at a time: it sets
// the clock to each due slot in time order, right after calling moved with
// that time (such as saving the clock first, so that nothing is ever stored
// with a time ahead of the saved clock), ticks,
// and calls settle (such as the dispatcher's Drain) so that the slot's
// messages are out before the next one; finally it does the same at `to`.
// moved and settle may be nil. It returns ECONFLICT if `to` is before the
// clock's time, and stops at the first failing step, with the clock at that
// slot.
func (s *Scheduler) AdvanceTo(ctx context.Context, clock *FakeClock, to time.Time, moved func(context.Context, time.Time) error, settle func(context.Context) error) error {
	s.advanceMu.Lock()
	defer s.advanceMu.Unlock()
	if to.Before(clock.Now()) {
		return clock.Set(to)
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		next, err := s.NextDue()
		if err != nil {
			return err
		}
		if next.IsZero() || !next.Before(to) {
			break
		}
		if err := s.step(ctx, clock, next, moved, settle); err != nil {
			return err
		}
	}
	return s.step(ctx, clock, to, moved, settle)
}

// step calls moved and sets the clock to at (unless it is already past
// it), ticks and settles.
func (s *Scheduler) step(ctx context.Context, clock *FakeClock, at time.Time, moved func(context.Context, time.Time) error, settle func(context.Context) error) error {
	if at.After(clock.Now()) {
		if moved != nil {
			if err := moved(ctx, at); err != nil {
				return err
			}
		}
		if err := clock.Set(at); err != nil {
			return err
		}
	}
	if err := s.Tick(ctx); err != nil {
		return err
	}
	if settle == nil {
		return nil
	}
	return settle(ctx)
}
