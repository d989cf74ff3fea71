package main

import (
	"context"
	"sync"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// fakeClockKey is the meta key the fake clock is kept under, so that a
// restart resumes where it stood.
const fakeClockKey = "playground/fake_clock"

// fakeClock is the playground's clock: it moves only by the clock API, and
// runs the scheduled work that falls due on the way, in time order.
type fakeClock struct {
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
	return a.fake.save(ctx)
}

// AdvanceTo implements playground.ClockControl.
func (f *fakeClock) AdvanceTo(ctx context.Context, t time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t.Before(f.clock.Now()) {
		return bot.Errorf(bot.ECONFLICT, "the clock never moves backwards: it is %s", f.clock.Now().Format(time.RFC3339))
	}
	err := f.app.scheduler.AdvanceTo(ctx, f.clock, t, f.app.dispatcher.Drain)
	if serr := f.save(ctx); err == nil {
		err = serr
	}
	return err
}

func (f *fakeClock) save(ctx context.Context) error {
	raw, _ := f.clock.Now().MarshalText()
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
