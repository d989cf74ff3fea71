package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loopbot/loopbot/adapters/dingtalk"
	"github.com/loopbot/loopbot/adapters/feishu"
	"github.com/loopbot/loopbot/adapters/playground"
	"github.com/loopbot/loopbot/adapters/wecom"
	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/calendar"
	"github.com/loopbot/loopbot/cards"
	"github.com/loopbot/loopbot/export"
	"github.com/loopbot/loopbot/flows"
	"github.com/loopbot/loopbot/store"
)

// App is one running loopbot: the store, the engine, the outbox, the
// scheduler, the adapters and the HTTP listener.
type App struct {
	cfg        Config
	logger     *slog.Logger
	store      *store.DB
	clock      bot.Clock
	fake       *fakeClock
	cal        *calendar.Calendar
	flows      *flows.Service
	exporter   *export.Exporter
	engine     *bot.Engine
	dispatcher *bot.Dispatcher
	// onFlush, when set, is told the time of each flushRedraws that drew
	// something (BenchmarkMonth).
	onFlush func(time.Duration)
	// onPruned, when set, is told what each retention run removed
	// (BenchmarkMonth).
	onPruned func(bot.Pruned)
	// messengers are the enabled platforms' messengers, by platform.
	messengers map[string]bot.Messenger
	scheduler  *bot.Scheduler
	playground *playground.Adapter
	feishu     *feishu.Adapter
	wecom      *wecom.Adapter
	dingtalk   *dingtalk.Adapter
	metrics    *metrics
	limits     *limitsClock
	ready      atomic.Bool

	observe store.Options // its ObserveWrite and ObserveBatch: see newApp

	created    string // the database file that this start created, removed when it fails
	createdDir string // its folder, when this start created it
	timeouts   httpTimeouts
	listener   net.Listener
	signer     *bot.Signer
	charts     chartFonts
	server     *http.Server
	wg         sync.WaitGroup
	cancel     context.CancelFunc
}

func newLogger(level string, w io.Writer) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// NewApp validates cfg as `loopbot check-config` does, then opens the store
// and wires every component. Nothing runs until Start or Serve. A config
// that does not validate is refused before the store is opened, and a start
// that fails later removes the database file that it created.
func NewApp(ctx context.Context, cfg Config, logger *slog.Logger) (*App, error) {
	return newApp(ctx, cfg, logger, store.Options{})
}

// newApp is NewApp whose store reports each write transaction's duration to
// observe.ObserveWrite and each group commit to observe.ObserveBatch, when
// they are set (store.Options), for benchmarks; observe's other fields are
// not used.
func newApp(ctx context.Context, cfg Config, logger *slog.Logger, observe store.Options) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &App{cfg: cfg, logger: logger, timeouts: defaultTimeouts, observe: observe}
	if err := a.openStore(); err != nil {
		return nil, err
	}
	if err := a.wire(ctx); err != nil {
		a.closeFailed()
		return nil, err
	}
	return a, nil
}

func (a *App) openStore() error {
	path := a.cfg.Store.Path
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		a.created = path
	}
	if dir := filepath.Dir(path); dir != "" {
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			a.createdDir = dir
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("store: create %s: %w", dir, err)
		}
	}
	db, err := store.Open(path, store.Options{Now: func() time.Time { return a.now() },
		ObserveWrite: a.observe.ObserveWrite, ObserveBatch: a.observe.ObserveBatch})
	if err != nil {
		a.removeCreated()
		return err
	}
	a.store = db
	return nil
}

// closeFailed closes the store of a start that failed, and removes the
// database file when this start created it: a failed start leaves nothing
// behind.
func (a *App) closeFailed() {
	if err := a.store.Close(); err != nil {
		a.logger.Error("store close failed", slog.Any("error", err))
	}
	a.removeCreated()
}

// removeCreated removes the database file that this start created, if any,
// and its folder when the start created that too and it is empty.
func (a *App) removeCreated() {
	if a.created != "" {
		_ = os.Remove(a.created)
	}
	if a.createdDir != "" {
		_ = os.Remove(a.createdDir)
	}
}

func (a *App) now() time.Time {
	if a.clock == nil {
		return time.Now()
	}
	return a.clock.Now()
}

func (a *App) wire(ctx context.Context) error {
	if err := a.setupClock(ctx); err != nil {
		return err
	}
	if err := a.setupCalendar(ctx); err != nil {
		return err
	}
	secret, err := a.secret(ctx)
	if err != nil {
		return err
	}
	loc, _ := time.LoadLocation(a.cfg.Calendar.Timezone)
	a.signer = bot.NewSigner(secret)
	fc := flows.Config{
		Clock: a.clock, Calendar: a.cal, Signer: a.signer, Logger: a.logger,
		Lang: cards.Lang(a.cfg.Server.Lang), Location: loc, Admins: a.admins(),
		Store: a.store, Kick: func() { a.dispatcher.Kick() }, Schedule: schedule(a.cfg),
		LinkURL: a.linkURL, BoardTTL: a.cfg.Export.BoardTTL(), FileTTL: a.cfg.Export.FileTTL(),
		ChartImages: a.cfg.Server.PublicURL != "", Platforms: enabledPlatforms(a.cfg),
		// The platforms' contact APIs, filled in below as the adapters are
		// made (before the scheduler starts).
		Directories: map[string]bot.Directory{}, DirectoryObserved: func(platform, outcome string) { a.metrics.directoryLookup(platform, outcome) },
	}
	if a.cfg.WeCom.Enabled {
		if a.wecom, err = a.newWeCom(); err != nil {
			return err
		}
		fc.Robots = a.wecom
		if a.cfg.WeCom.Directory {
			fc.Directories[bot.WeCom] = a.wecom
		}
	}
	// The messengers are built below, before any event is handled.
	fc.SendsFile = func(platform, name string) bool {
		fs, ok := a.messengers[platform].(bot.FileSender)
		return ok && fs.TakesFile(name)
	}
	a.flows = flows.New(fc)
	a.exporter = a.newExporter(loc)
	a.metrics = newMetrics(a.store, func() bot.Date { return bot.DateOf(a.now().In(loc)) })
	a.engine = bot.NewEngine(a.store, a.flows, a.logger)
	a.engine.Observe = a.metrics.observeEvent
	messengers := map[string]bot.Messenger{}
	a.messengers = messengers
	if a.cfg.Playground.Enabled {
		a.playground = a.newPlayground()
		messengers[bot.Playground] = a.playground
		if err := a.seedPlayground(ctx); err != nil {
			return err
		}
	}
	if a.wecom != nil {
		messengers[bot.WeCom] = a.wecom
		a.wecom.SetHandler(a.engine)
		if err := a.bindConfigRobots(ctx); err != nil {
			return err
		}
	}
	if a.cfg.Feishu.Enabled {
		a.feishu = feishu.New(a.feishuConfig())
		messengers[bot.Feishu] = a.feishu
		if a.cfg.Feishu.Directory {
			fc.Directories[bot.Feishu] = a.feishu
		}
	}
	if a.cfg.DingTalk.Enabled {
		a.dingtalk = newDingTalk(a.cfg.DingTalk, a.engine, a.store, a.logger)
		a.dingtalk.SetClock(a.now)
		messengers[bot.DingTalk] = a.dingtalk
		if a.cfg.DingTalk.Directory {
			fc.Directories[bot.DingTalk] = a.dingtalk
		}
	}
	if err := a.seedAdmins(ctx); err != nil {
		return err
	}
	a.dispatcher = bot.NewDispatcher(bot.DispatcherConfig{Store: a.store, Messengers: messengers, Logger: a.logger, Observer: a.metrics,
		Limits: map[string][]bot.Limit{bot.WeCom: wecom.Limits()}, Now: a.limitsNow(), MakeFile: a.makeFile,
		Prepare: a.flushRedraws})
	a.engine.Committed = a.dispatcher.Kick
	a.scheduler = bot.NewScheduler(a.store, a.clock, a.logger, a.jobs()...)
	if a.playground != nil {
		a.playground.SetHandler(a.engine, a.dispatcher.Settle)
	}
	if a.feishu != nil {
		a.feishu.SetHandler(a.engine)
	}
	return nil
}

// flushRedraws draws the group warning lines that events and jobs queued
// (flows.Service.FlushGroupRedraws), before the outbox delivers; onFlush,
// when set, is told how long it took (BenchmarkMonth).
func (a *App) flushRedraws(ctx context.Context) error {
	t0 := time.Now()
	n, err := a.flows.FlushGroupRedraws(ctx)
	if a.onFlush != nil && n > 0 {
		a.onFlush(time.Since(t0))
	}
	return err
}

// limitsNow returns the clock of the outbox's rate limits.
func (a *App) limitsNow() func() time.Time {
	a.limits = &limitsClock{now: a.now}
	return a.limits.Now
}

// newDingTalk builds the DingTalk adapter from [dingtalk].
// The store keeps the unionId → userId mappings of card clicks; doctor
// passes none.
func newDingTalk(c DingTalkConfig, h dingtalk.Handler, st bot.Store, logger *slog.Logger) *dingtalk.Adapter {
	return dingtalk.New(dingtalk.Config{
		ClientID: c.ClientID, ClientSecret: c.ClientSecret, RobotCode: c.RobotCode,
		OpenAPIHost: c.OpenAPIHost, OAPIHost: c.OAPIHost, Templates: c.Templates, Logger: logger,
		Version: version, Store: st,
	}, h)
}

// jobs returns the scheduled jobs.
func (a *App) jobs() []bot.Job {
	jobs := append(a.flows.Jobs(), a.retentionJob())
	if b := a.backupJob(a.cal.Location()); b != nil {
		jobs = append(jobs, *b)
	}
	return jobs
}

// retentionJob removes, every hour, what [retention] keeps only for a while
// (bot.Prune), in short transactions.
func (a *App) retentionJob() bot.Job {
	r := a.cfg.Retention.Retention()
	return bot.Job{
		Name:  "retention",
		Next:  func(after time.Time) time.Time { return after.Truncate(time.Hour).Add(time.Hour) },
		Grace: func(slot time.Time) time.Time { return slot.Add(24 * time.Hour) },
		Run: func(ctx context.Context, slot time.Time) error {
			n, err := bot.Prune(ctx, a.store, r, slot, bot.PruneHooks{Marks: a.flows.PruneMarks, CardGone: a.flows.CardPruned})
			if n != (bot.Pruned{}) {
				a.logger.Debug("pruned", "cards", n.Cards, "links", n.Links, "chat", n.Chat, "events", n.Events,
					"missed_runs", n.Misses, "dead_letters", n.DeadLetters, "marks", n.Other)
			}
			if a.onPruned != nil {
				a.onPruned(n)
			}
			return err
		},
		Sweep: true,
	}
}

func (a *App) setupCalendar(ctx context.Context) error {
	loc, err := time.LoadLocation(a.cfg.Calendar.Timezone)
	if err != nil {
		return fmt.Errorf("calendar.timezone: %w", err)
	}
	start, _ := clockMinutes(a.cfg.Calendar.DayStart)
	end, _ := clockMinutes(a.cfg.Calendar.DayEnd)
	a.cal = calendar.New(calendar.Config{Location: loc, Workdays: weekdays(a.cfg.Calendar.Workdays), DayStart: start, DayEnd: end})
	for _, s := range a.cfg.Calendar.ExtraHolidays {
		d, _ := bot.ParseISODate(s)
		a.cal.AddHoliday(d, "")
	}
	for _, s := range a.cfg.Calendar.ExtraWorkdays {
		d, _ := bot.ParseISODate(s)
		a.cal.AddWorkday(d, "")
	}
	return flows.LoadCalendar(ctx, a.store, a.cal)
}

// weekdays reads calendar.workdays, which LoadConfig checked.
func weekdays(names []string) []time.Weekday {
	out := make([]time.Weekday, 0, len(names))
	for _, n := range names {
		if w, ok := configWeekday(n); ok {
			out = append(out, w)
		}
	}
	return out
}

// secret returns server.secret, or the one this store generated for itself
// when the config has none (allowed with the playground alone).
func (a *App) secret(ctx context.Context) (string, error) {
	if a.cfg.Server.Secret != "" {
		return a.cfg.Server.Secret, nil
	}
	var secret string
	err := a.store.Update(ctx, func(tx bot.Tx) error {
		raw, err := tx.Meta("server/secret")
		if err == nil {
			secret = string(raw)
			return nil
		} else if bot.ErrorCode(err) != bot.ENOTFOUND {
			return err
		}
		var b [32]byte
		_, _ = rand.Read(b[:])
		secret = hex.EncodeToString(b[:])
		return tx.PutMeta("server/secret", []byte(secret))
	})
	return secret, err
}

func (a *App) admins() []bot.PersonID {
	out := make([]bot.PersonID, 0, len(a.cfg.Server.Admins))
	for _, id := range a.cfg.Server.Admins {
		out = append(out, bot.PersonID(id))
	}
	return out
}

// Start listens on server.listen and starts every component. It returns
// the address it listens on.
func (a *App) Start(ctx context.Context) (string, error) {
	ln, err := net.Listen("tcp", a.cfg.Server.Listen)
	if err != nil {
		return "", fmt.Errorf("server: listen on %s: %w", a.cfg.Server.Listen, err)
	}
	a.listener = ln
	ctx, a.cancel = context.WithCancel(ctx)
	t := a.timeouts
	a.server = &http.Server{
		Handler:           a.routes(),
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		IdleTimeout:       t.Idle,
		ErrorLog:          slog.NewLogLogger(a.logger.Handler(), slog.LevelWarn),
	}
	a.goRun(func() { _ = a.dispatcher.Run(ctx) })
	if err := a.flows.WarnMissingHolidayData(ctx); err != nil {
		a.logger.Error("checking the holiday data failed", slog.Any("error", err))
	}
	if a.wecom != nil {
		a.goRun(func() { _ = a.wecom.Run(ctx) })
	}
	if a.dingtalk != nil {
		a.goRun(func() { _ = a.dingtalk.Run(ctx) })
	}
	if a.fake == nil {
		a.goRun(func() { _ = a.scheduler.Run(ctx) })
	} else if err := a.scheduler.Tick(ctx); err != nil {
		a.logger.Error("scheduler catch-up failed", slog.Any("error", err))
	}
	a.goRun(func() {
		if err := a.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.logger.Error("http server stopped", slog.Any("error", err))
		}
	})
	if a.feishu != nil {
		a.feishu.Start(ctx)
	}
	a.ready.Store(true)
	a.logger.Info("loopbot started", "listen", ln.Addr().String(), "playground", a.playground != nil, "version", version)
	return ln.Addr().String(), nil
}

func (a *App) goRun(fn func()) {
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		fn()
	}()
}

// Serve starts the app and runs it until ctx ends, then shuts down.
func (a *App) Serve(ctx context.Context) error {
	addr, err := a.Start(ctx)
	if err != nil {
		a.closeFailed()
		return err
	}
	if a.playground != nil {
		a.logger.Info("playground ready", "url", "http://"+addr+"/playground/")
	}
	<-ctx.Done()
	return a.Close()
}

// httpTimeouts are the limits of the HTTP server, so that no client holds a
// connection, a handler or the shutdown for ever.
type httpTimeouts struct {
	ReadHeader time.Duration // to read a request's header
	Read       time.Duration // to read a whole request, body included (a trickled body is cut)
	Write      time.Duration // to write a response, from its first byte (writeDeadlines)
	Idle       time.Duration // a keep-alive connection waiting for its next request
	Chunk      time.Duration // to write each chunk of a streamed response (a backup): a rolling deadline
	Grace      time.Duration // for requests in flight at shutdown; then their connections are closed
}

// defaultTimeouts are the HTTP server's limits; tests shorten them.
var defaultTimeouts = httpTimeouts{
	ReadHeader: 10 * time.Second,
	Read:       30 * time.Second,
	Write:      time.Minute,
	Idle:       2 * time.Minute,
	Chunk:      30 * time.Second,
	Grace:      10 * time.Second,
}

// Close stops accepting requests, lets work in flight finish for the grace
// period, then closes the connections still open (a client that stalls a
// backup download included, so that its read transaction ends), and closes
// the store.
func (a *App) Close() error {
	a.ready.Store(false)
	if a.server != nil {
		sctx, cancel := context.WithTimeout(context.Background(), a.timeouts.Grace)
		if err := a.server.Shutdown(sctx); err != nil {
			a.logger.Warn("requests still running after the shutdown grace; closing their connections", "grace", a.timeouts.Grace.String())
			_ = a.server.Close()
		}
		cancel()
	}
	if a.feishu != nil {
		// The long connection stops taking events, and those in flight
		// commit (and are acknowledged) or are delivered again later.
		a.feishu.Close()
	}
	if a.cancel != nil {
		a.cancel()
	}
	a.wg.Wait()
	a.closeFonts()
	a.logger.Info("loopbot stopped")
	return a.store.Close()
}
