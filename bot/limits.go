package bot

import (
	"context"
	"sync"
	"time"
)

// Scopes of a Limit.
const (
	// ScopeApp counts every delivery of the app on one platform.
	ScopeApp = "app"
	// ScopeUser counts the deliveries to one person's direct chat.
	ScopeUser = "user"
	// ScopeChat counts the deliveries to one group chat.
	ScopeChat = "chat"
)

// Limit is one documented rate limit of a platform: at most N deliveries per
// Per, counted over the scope (the app, one user, or one chat).
type Limit struct {
	Scope string        `json:"scope"`
	N     int           `json:"n"`
	Per   time.Duration `json:"per"`
}

// DefaultLimits returns the documented limits of a platform (SPEC §6):
//   - Feishu: 50/s and 1000/min per app, 5/s per user, 5/s per chat;
//   - WeCom: 30/min and 1000/h per member, and 20/min per group robot webhook;
//   - DingTalk: 20/s per app, and 20/min per group robot webhook.
//
// The playground, and any platform it does not know, has none.
func DefaultLimits(platform string) []Limit {
	switch platform {
	case Feishu:
		return []Limit{
			{Scope: ScopeApp, N: 50, Per: time.Second},
			{Scope: ScopeApp, N: 1000, Per: time.Minute},
			{Scope: ScopeUser, N: 5, Per: time.Second},
			{Scope: ScopeChat, N: 5, Per: time.Second},
		}
	case WeCom:
		return []Limit{
			{Scope: ScopeUser, N: 30, Per: time.Minute},
			{Scope: ScopeUser, N: 1000, Per: time.Hour},
			{Scope: ScopeChat, N: 20, Per: time.Minute},
		}
	case DingTalk:
		return []Limit{
			{Scope: ScopeApp, N: 20, Per: time.Second},
			{Scope: ScopeChat, N: 20, Per: time.Minute},
		}
	}
	return nil
}

// applies reports whether the limit counts deliveries to t.
func (l Limit) applies(t Target) bool {
	if l.N <= 0 || l.Per <= 0 {
		return false
	}
	switch l.Scope {
	case ScopeApp:
		return true
	case ScopeUser:
		return t.DM
	case ScopeChat:
		return !t.DM
	}
	return false
}

// key returns the name of the bucket that counts deliveries to t.
func (l Limit) key(t Target) string {
	if l.Scope == ScopeApp {
		return t.Platform
	}
	return t.String()
}

// sweepEvery is how often the limiter forgets idle windows.
const sweepEvery = time.Minute

// Limiter spaces out deliveries so that no applicable limit is exceeded. For
// each limit and each app, user or chat it keeps a sliding window: the times
// of the deliveries of the last Per. A delivery may go when every window
// holds fewer than N, so that no span of Per ever sees more than N, while a
// burst of N still goes at once.
//
// A token bucket of burst N would let up to 2N-1 through in one span of Per
// (a full burst, then the refill), and WeCom drops the messages past its
// per-member limits without an error. The windows cost memory only for the
// deliveries of the last Per: the limiter forgets a window once it is empty,
// so that 10,000 users written to once do not stay in memory.
//
// Limiter is safe for concurrent use.
type Limiter struct {
	limits map[string][]Limit
	now    func() time.Time

	mu      sync.Mutex
	windows map[windowKey]*window
	swept   time.Time
}

// windowKey names a window: the app, user or chat it counts, and the index of
// its limit in the platform's list.
type windowKey struct {
	id    string
	limit int
}

// NewLimiter returns a limiter that applies limits[platform] to a platform
// listed in the map (even with an empty list, which means none), and
// DefaultLimits to the others. now tells the time; nil means time.Now.
func NewLimiter(limits map[string][]Limit, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{limits: limits, now: now, windows: make(map[windowKey]*window)}
}

// Take records a delivery to t and returns 0 if every window that applies
// to t has room now. Otherwise it records nothing and returns how long until
// they all may have room; the caller waits that long and tries again.
func (l *Limiter) Take(t Target) time.Duration { return l.TakeN(t, 1) }

// TakeN is Take for one delivery that is n platform messages: it records n
// deliveries to t if every window that applies has room for all n, and
// otherwise records nothing and returns how long until they all may have.
// n is at least 1; an n larger than a window's N counts as N, so that the
// delivery waits for an empty window rather than forever.
func (l *Limiter) TakeN(t Target, n int) time.Duration {
	n = max(n, 1)
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.sweep(now)
	windows := l.windowsFor(t)
	var wait time.Duration
	for _, w := range windows {
		wait = max(wait, w.waitN(now, min(n, w.n)))
	}
	if wait > 0 {
		return wait
	}
	for _, w := range windows {
		for range min(n, w.n) {
			w.add(now)
		}
	}
	return 0
}

// Wait waits until a delivery to t may happen, and records it. It returns
// ctx's error if ctx ends first.
func (l *Limiter) Wait(ctx context.Context, t Target) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		d := l.Take(t)
		if d <= 0 {
			return nil
		}
		if err := sleepCtx(ctx, d); err != nil {
			return err
		}
	}
}

// sleepCtx waits for d, or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// Len returns the number of windows the limiter holds.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.windows)
}

// platformLimits returns the limits of a platform.
func (l *Limiter) platformLimits(platform string) []Limit {
	if limits, ok := l.limits[platform]; ok {
		return limits
	}
	return DefaultLimits(platform)
}

// windowsFor returns the windows that apply to t, creating missing ones.
func (l *Limiter) windowsFor(t Target) []*window {
	var windows []*window
	for i, lim := range l.platformLimits(t.Platform) {
		if !lim.applies(t) {
			continue
		}
		k := windowKey{id: lim.key(t), limit: i}
		w, ok := l.windows[k]
		if !ok {
			w = &window{n: lim.N, per: lim.Per}
			l.windows[k] = w
		}
		windows = append(windows, w)
	}
	return windows
}

// sweep forgets the windows that are empty: they behave exactly like new
// ones, so nothing is lost.
func (l *Limiter) sweep(now time.Time) {
	if now.Sub(l.swept) < sweepEvery {
		return
	}
	l.swept = now
	for k, w := range l.windows {
		if w.prune(now); len(w.times) == 0 {
			delete(l.windows, k)
		}
	}
}

// window holds the times of the deliveries of the last per, oldest first.
// Deliveries are recorded at the limiter's now, which never goes back, so
// the times stay in order.
type window struct {
	n     int
	per   time.Duration
	times []time.Time
}

// prune drops the deliveries that are a whole per old.
func (w *window) prune(now time.Time) {
	cutoff := now.Add(-w.per)
	i := 0
	for i < len(w.times) && !w.times[i].After(cutoff) {
		i++
	}
	w.times = w.times[i:]
	if len(w.times) == 0 {
		w.times = nil
	}
}

// waitN returns how long until the window has room for n more deliveries
// (1 <= n <= w.n): until the oldest ones that must leave it are a whole
// per old.
func (w *window) waitN(now time.Time, n int) time.Duration {
	w.prune(now)
	over := len(w.times) + n - w.n
	if over <= 0 {
		return 0
	}
	return w.times[over-1].Add(w.per).Sub(now)
}

// add records a delivery at now.
func (w *window) add(now time.Time) {
	w.times = append(w.times, now)
}
