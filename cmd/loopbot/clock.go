package main

import (
	"context"
	"sync"
	"time"

	"github.com/loopbot/loopbot/adapters/playground"
	"github.com/loopbot/loopbot/bot"
)

// fakeClockKey is the meta key the fake clock is kept under, so that a
// restart resumes where it stood.
const fakeClockKey = "playground/fake_clock"

// fakeClock is the playground's clock: it moves only by the clock API, and
// runs the scheduled work that falls due on the way, in time order. It
// implements playground.ClockControl.
type fakeClock struct {
	// mu serialises the moves: a move waits for the one before it to
	// finish, then starts from where that one left the clock.
	mu    sync.Mutex
	clock *bot.FakeClock
	app   *App
}

func (a *App) setupClock(ctx context.Context) error {
	if !a.cfg.Playground.Enabled || !a.cfg.Playground.FakeClock {
		a.clock = bot.SystemClock{}
		return nil
	}
	start := time.Now()
	if a.cfg.Playground.FakeClockStart != "" {
		start, _ = time.Parse(time.RFC3339, a.cfg.Playground.FakeClockStart)
	}
	err := a.store.View(ctx, func(tx bot.Tx) error {
		raw, err := tx.Meta(fakeClockKey)
		if bot.ErrorCode(err) == bot.ENOTFOUND {
			return nil
		} else if err != nil {
			return err
		}
		return start.UnmarshalText(raw)
	})
	if err != nil {
		return err
	}
	a.fake = &fakeClock{clock: bot.NewFakeClock(start), app: a}
	a.clock = a.fake.clock
	return a.fake.save(ctx, start)
}

// Set implements playground.ClockControl.
func (f *fakeClock) Set(ctx context.Context, t time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.advanceTo(ctx, t)
}

// Advance implements playground.ClockControl.
func (f *fakeClock) Advance(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.advanceTo(ctx, f.clock.Now().Add(d))
}

// advanceTo moves the clock to t through every slot on the way. The clock
// is saved at each slot before it gets there, so that a crash at any point
// (kill -9 in the middle of an advance) restarts it no earlier than any
// message sent or work stored.
func (f *fakeClock) advanceTo(ctx context.Context, t time.Time) error {
	now := f.clock.Now()
	if t.Before(now) {
		return bot.Errorf(bot.ECONFLICT, "the clock never moves backwards: it is %s", now.Format(time.RFC3339))
	}
	if t.Sub(now) > playground.MaxClockJump {
		return bot.Errorf(bot.EINVALID, "%s is more than %d days after the clock (%s): move it in steps of at most %d days",
			t.Format(time.RFC3339), playground.MaxClockJump/(24*time.Hour), now.Format(time.RFC3339), playground.MaxClockJump/(24*time.Hour))
	}
	return f.app.scheduler.AdvanceTo(ctx, f.clock, t, f.save, f.app.dispatcher.Drain)
}

// save keeps t as the clock's time in the store.
func (f *fakeClock) save(ctx context.Context, t time.Time) error {
	raw, _ := t.MarshalText()
	return f.app.store.Update(ctx, func(tx bot.Tx) error { return tx.PutMeta(fakeClockKey, raw) })
}

// limitsClock is the time of the outbox's rate limits: the service's
// clock, plus the real time since the service's clock last moved, never
// going back. With the system clock it is the real time. With the
// playground's fake clock, a burst is spread over fake time when a test
// moves the clock, and over real time when nobody does, so that no
// platform's deliveries wait for a clock that may never move.
type limitsClock struct {
	now func() time.Time

	mu       sync.Mutex
	lastSvc  time.Time
	lastReal time.Time
	last     time.Time
}

// Now implements the dispatcher's clock.
func (c *limitsClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	svc, real := c.now(), time.Now()
	if !svc.Equal(c.lastSvc) {
		c.lastSvc, c.lastReal = svc, real
	}
	t := svc.Add(real.Sub(c.lastReal))
	if t.Before(c.last) {
		t = c.last
	}
	c.last = t
	return t
}
