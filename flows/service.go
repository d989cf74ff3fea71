// Package flows holds the business rules: commands, assignment and
// acceptance, and the other flows of the progress loop. It implements
// bot.Handler and reaches the store only through the transaction it is given.
package flows

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/calendar"
	"github.com/loopbot/loopbot/cards"
	"github.com/loopbot/loopbot/command"
)

// Config holds the dependencies and settings of the flows.
type Config struct {
	Clock    bot.Clock
	Calendar *calendar.Calendar
	Signer   *bot.Signer
	Logger   *slog.Logger
	// Lang is the language of people who have not chosen one.
	Lang cards.Lang
	// Location is the zone of people who have not set one.
	Location *time.Location
	// Admins are the person ids that the config makes admins.
	Admins []bot.PersonID
	// Store is used by the scheduled jobs, which run outside events.
	Store bot.Store
	// Kick wakes the outbox after a job queued messages.
	Kick func()
	// Schedule holds the times and thresholds of the loop.
	Schedule Schedule
	// Robots binds WeCom group robots (/project webhook); nil when WeCom is
	// not enabled.
	Robots RobotBinder
	// LinkURL returns the full URL of a path of this server, such as
	// "/files/<token>" (server.public_url, or the listener's address); nil
	// turns /export and /board off.
	LinkURL func(path string) string
	// BoardTTL is how long a /board link works (0: 7 days).
	BoardTTL time.Duration
	// FileTTL is how long /export's download links work; 0 means
	// DefaultLinkTTL.
	FileTTL time.Duration
	// Directories are the contact APIs of the enabled platforms, by
	// platform name; the directory job looks people up in them
	// (RunDirectory). Empty turns the job off.
	Directories map[string]bot.Directory
	// DirectoryObserved, when set, counts each lookup by platform and
	// outcome (DirOK, DirForbidden, DirNotFound, DirError).
	DirectoryObserved func(platform, outcome string)
	// SendsFile reports whether a platform's messenger sends a file of
	// this name as a file message (bot.FileSender and its TakesFile):
	// /export there answers with the file, and its download link only if
	// the file cannot go out. Nil: links everywhere.
	SendsFile func(platform, name string) bool
	// ChartImages puts on each card's chart the link to its PNG
	// (bot.Chart.Image), for platforms that cannot draw charts; set when
	// server.public_url is, since the platforms fetch the image from there.
	ChartImages bool
	// Platforms are the platforms enabled in this deployment (bot.Feishu,
	// bot.DingTalk, bot.WeCom, bot.Playground); nil means every one. A
	// project's group bound on a platform no longer enabled gets nothing.
	// Direct messages go only there too (dmTarget).
	Platforms []string
	// TxBudget is how long one write transaction of a scheduled job over
	// many people, tasks or escalations runs before it commits and the job
	// goes on in the next (batches); 0 means DefaultTxBudget.
	TxBudget time.Duration
}

// DefaultTxBudget is Config.TxBudget's default: with the commit's fsyncs, a
// job's transaction holds the writer for well under 50 ms.
const DefaultTxBudget = 20 * time.Millisecond

// Service implements bot.Handler.
type Service struct {
	cfg      Config
	logger   *slog.Logger
	commands map[string]commandFunc
	zones    sync.Map // zone name → *time.Location
	// due says whether the escalation check's due index is complete.
	due dueIndex
	// markPos is the last escalation card link that PruneMarks looked at
	// ("" for the start), under markMu.
	markMu  sync.Mutex
	markPos string
	// redrawMu lets one FlushGroupRedraws run at a time: the others
	// would only wait for the writer to find nothing left.
	redrawMu sync.Mutex
	// drawCard is what drawing a group warning again and writing it has
	// been taking, in nanoseconds (learnDrawCost).
	drawCard atomic.Int64
	// times keeps the distinct check-in times (see checkinTimes).
	times struct {
		sync.Mutex
		list []zoneMinute
	}
	// dir is the directory job's memory (directory.go).
	dir dirState
	// plans keeps each project's plan from one transaction to the next
	// while the project's revision stands (escalationPlan).
	plans planCache
	// lastCheck is what the latest escalation check looked at (LastCheck).
	lastCheck atomic.Pointer[CheckStats]
}

// New returns the flows over cfg.
func New(cfg Config) *Service {
	if cfg.Lang == "" {
		cfg.Lang = cards.ZH
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.TxBudget <= 0 {
		cfg.TxBudget = DefaultTxBudget
	}
	if cfg.Schedule.CheckEvery == 0 {
		cfg.Schedule = DefaultSchedule()
	}
	s := &Service{cfg: cfg, logger: cfg.Logger.With("component", "flows"), commands: commandTable()}
	s.due.invalidate() // the first escalation check looks at everything
	return s
}

// platformEnabled reports whether a platform is named and this deployment
// runs it (Config.Platforms; nil: every platform).
func (s *Service) platformEnabled(platform string) bool {
	return platform != "" && (s.cfg.Platforms == nil || slices.Contains(s.cfg.Platforms, platform))
}

// req is the context of one event being handled.
type req struct {
	ctx context.Context
	tx  bot.Tx
	// ev is the event with its sender resolved to their canonical id;
	// via is the identity it came from.
	ev  bot.Event
	via bot.PersonID
	me  bot.Person
	l   cards.Lang
	now time.Time // in the acting person's zone
}

func (s *Service) newReq(ctx context.Context, tx bot.Tx, ev bot.Event) (*req, error) {
	via := ev.From
	me, err := s.sender(tx, &ev)
	if err != nil {
		return nil, err
	}
	return &req{ctx: ctx, tx: tx, ev: ev, via: via, me: me, l: s.lang(me), now: s.cfg.Clock.Now().In(s.loc(me))}, nil
}

// sender resolves the sender of ev to their person, first of all: ev.From
// becomes the canonical id (a linked identity's person), the person is
// created on first contact, and the platform they wrote from is kept as
// their LastPlatform (written only when it changes).
func (s *Service) sender(tx bot.Tx, ev *bot.Event) (bot.Person, error) {
	via := ev.From
	canon, err := tx.ResolvePerson(via)
	if err != nil {
		return bot.Person{}, err
	}
	ev.From = canon
	me, err := s.ensurePerson(tx, via, ev.FromName)
	if err != nil {
		return me, err
	}
	if platform := via.Platform(); me.LastPlatform != platform && bot.KnownPlatform(platform) {
		me.LastPlatform, me.UpdatedAt = platform, s.cfg.Clock.Now()
		if err := tx.PutPerson(me); err != nil {
			return me, err
		}
	}
	return me, nil
}

// ensurePerson returns the person of an identity (a linked one gives its
// person), creating them on first contact.
func (s *Service) ensurePerson(tx bot.Tx, id bot.PersonID, name string) (bot.Person, error) {
	p, err := tx.Person(id)
	if err == nil && p.Name == "" && name != "" {
		// Known by id only (a config admin, a mention): learn the name.
		p.Name, p.UpdatedAt = name, s.cfg.Clock.Now()
		return p, tx.PutPerson(p)
	}
	if err == nil || bot.ErrorCode(err) != bot.ENOTFOUND {
		return p, err
	}
	now := s.cfg.Clock.Now()
	p = bot.Person{ID: id, Name: name, Role: bot.RoleMember, CreatedAt: now, UpdatedAt: now}
	if slices.Contains(s.cfg.Admins, id) {
		p.Role = bot.RoleAdmin
	}
	s.metPerson()
	return p, tx.PutPerson(p)
}

func (s *Service) lang(p bot.Person) cards.Lang { return cards.Of(p, s.cfg.Lang) }

// loc returns a person's time zone, or the default one.
func (s *Service) loc(p bot.Person) *time.Location {
	if p.Timezone == "" {
		return s.cfg.Location
	}
	if l, ok := s.zones.Load(p.Timezone); ok {
		return l.(*time.Location)
	}
	l, err := time.LoadLocation(p.Timezone)
	if err != nil {
		return s.cfg.Location
	}
	s.zones.Store(p.Timezone, l)
	return l
}

// HandleMessage implements bot.Handler: it runs a command.
func (s *Service) HandleMessage(ctx context.Context, tx bot.Tx, ev bot.Event) error {
	r, err := s.newReq(ctx, tx, ev)
	if err != nil {
		return err
	}
	if ev.Kind == bot.EventJoined {
		return s.welcome(r)
	}
	if !command.IsCommand(ev.Text) {
		if ev.Chat.DM {
			return s.reply(r, r.l.T("I answer commands. Type /help to see them.", "我只理解命令。输入 /帮助 查看可用命令。"))
		}
		return nil
	}
	cmd, err := command.Parse(ev.Text, string(r.l))
	if err != nil {
		return err
	}
	return s.run(r, cmd)
}

// welcome greets a group chat the bot was just added to, and says how to
// make it a project's channel.
func (s *Service) welcome(r *req) error {
	return s.reply(r, r.l.T(
		"Hello, I'm loopbot: I keep a project's tasks, check-ins and warnings moving.\n"+
			"To make this group a project's channel, mention me with **/project new <name>** for a new project, or **/project bind P1** for an existing one.\n"+
			"Type /help to see the commands.",
		"大家好，我是 loopbot，负责推进项目的任务、打卡和督办。\n"+
			"要把本群设为项目群，请 @我 并发送 **/项目 新建 <名称>** 新建项目，或 **/项目 绑定 P1** 绑定已有项目。\n"+
			"发送 /帮助 查看全部命令。"))
}

// Refused implements bot.Handler: it tells the person why their event was
// refused, in a toast for card actions and in chat for commands.
func (s *Service) Refused(ctx context.Context, tx bot.Tx, ev bot.Event, err error) (bot.Response, error) {
	via := ev.From
	p, perr := s.sender(tx, &ev)
	if perr != nil {
		return bot.Response{}, perr
	}
	l := s.lang(p)
	msg := bot.MessageIn(err, string(l))
	if bot.ErrorCode(err) == bot.EINTERNAL {
		msg = l.T("Something went wrong on our side; nothing was changed. Please try again.", "系统出错，未做任何更改，请稍后再试。")
	}
	if ev.Kind == bot.EventAction {
		return bot.Response{Toast: msg}, nil
	}
	r := &req{ctx: ctx, tx: tx, ev: ev, via: via, me: p, l: l}
	return bot.Response{}, s.reply(r, "⚠️ "+bot.EscapeMarkdown(msg))
}

// reply answers in the chat the event came from. text is card markdown
// (bot.ParseMarkdown): what people typed goes in through l.M or
// bot.EscapeMarkdown.
func (s *Service) reply(r *req, text string) error {
	return s.say(r.tx, r.ev.Chat, text)
}

// notify sends a text to a person's direct chat.
func (s *Service) notify(tx bot.Tx, to bot.PersonID, text string) error {
	return s.say(tx, s.dmTarget(tx, to), text)
}

// dmTarget returns where a direct message to a person goes, on exactly one
// platform: their identity on the platform they chose (/settings platform),
// else on the one they last wrote from, else their canonical identity, or
// failing that (a platform not enabled) the first identity on an enabled
// platform. Every direct message of the flows goes through here.
func (s *Service) dmTarget(tx bot.Tx, to bot.PersonID) bot.Target {
	p, err := tx.Person(to)
	if err != nil {
		return bot.DM(to)
	}
	for _, platform := range []string{p.Platform, p.LastPlatform, p.ID.Platform()} {
		if id, ok := p.IdentityOn(platform); ok && s.platformEnabled(platform) {
			return bot.DM(id)
		}
	}
	for _, id := range p.Identities {
		if s.platformEnabled(id.Platform()) {
			return bot.DM(id)
		}
	}
	return bot.DM(p.ID)
}

// say queues a text message for a chat.
func (s *Service) say(tx bot.Tx, target bot.Target, text string) error {
	_, err := tx.Enqueue(bot.OutboxItem{Op: bot.OpSend, Target: target, Text: text})
	return err
}

// sendCard stores a new card for a target, signs its actions for the person
// it is meant for (to, or anyone in the chat when empty), and queues it.
func (s *Service) sendCard(tx bot.Tx, target bot.Target, to bot.PersonID, key string, c bot.Card) (bot.CardRecord, error) {
	id, err := tx.NextCardID()
	if err != nil {
		return bot.CardRecord{}, err
	}
	now := s.cfg.Clock.Now()
	rec := bot.CardRecord{ID: id, Key: key, Target: target, To: to, Card: s.sign(id, to, c), CreatedAt: now, UpdatedAt: now}
	if err := tx.PutCard(rec); err != nil {
		return rec, err
	}
	_, err = tx.Enqueue(bot.OutboxItem{Op: bot.OpSend, Target: target, CardID: id})
	return rec, err
}

// sendDM sends a card to a person's direct chat.
func (s *Service) sendDM(tx bot.Tx, to bot.PersonID, key string, c bot.Card) (bot.CardRecord, error) {
	return s.sendCard(tx, s.dmTarget(tx, to), to, key, c)
}

// updateCard replaces a sent card's content and queues the update.
func (s *Service) updateCard(tx bot.Tx, rec bot.CardRecord, c bot.Card) (bot.CardRecord, error) {
	rec.Card = s.sign(rec.ID, rec.To, c)
	rec.UpdatedAt = s.cfg.Clock.Now()
	if err := tx.PutCard(rec); err != nil {
		return rec, err
	}
	_, err := tx.Enqueue(bot.OutboxItem{Op: bot.OpUpdate, Target: rec.Target, CardID: rec.ID})
	return rec, err
}

func (s *Service) sign(id uint64, to bot.PersonID, c bot.Card) bot.Card {
	c.Actions = slices.Clone(c.Actions)
	if c.Actions == nil {
		c.Actions = []bot.Action{}
	}
	ref := c.Refs["task"]
	for i := range c.Actions {
		c.Actions[i].Value = s.cfg.Signer.Sign(bot.Claims{Card: id, Action: c.Actions[i].Name, Ref: ref, To: to})
	}
	return c
}

// reader is who reads a card: their language and time zone.
type reader struct {
	cards.Lang
	loc *time.Location
}

// State writes a card's state line with the moment in the reader's zone.
func (r reader) State(verb string, by bot.Person, at time.Time) string {
	return cards.State(r.Lang, verb, by, at.In(r.loc))
}

// readerOf returns the reader of a card: the person it was sent to, or the
// deployment's defaults for a group card.
func (s *Service) readerOf(tx bot.Tx, rec bot.CardRecord) reader {
	if rec.To == "" {
		return reader{s.cfg.Lang, s.cfg.Location}
	}
	p := s.person(tx, rec.To)
	return reader{s.lang(p), s.loc(p)}
}

// finishCards turns every open card with the key into its final state, as
// written by fn for each card's reader, and returns the new records by id.
func (s *Service) finishCards(tx bot.Tx, key string, fn func(rec bot.CardRecord, l reader) bot.Card) (map[uint64]bot.CardRecord, error) {
	recs, err := tx.CardsByKey(key)
	if err != nil {
		return nil, err
	}
	out := map[uint64]bot.CardRecord{}
	for _, rec := range recs {
		if rec.Card.Finished() {
			continue
		}
		if out[rec.ID], err = s.updateCard(tx, rec, fn(rec, s.readerOf(tx, rec))); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// audit appends an audit event at the current time.
func (s *Service) audit(tx bot.Tx, e bot.AuditEvent) error {
	e.Time = s.cfg.Clock.Now()
	return tx.AppendAudit(e)
}

// person loads a person, or describes them by id when unknown.
func (s *Service) person(tx bot.Tx, id bot.PersonID) bot.Person {
	p, err := tx.Person(id)
	if err != nil {
		return bot.Person{ID: id}
	}
	return p
}

// manages reports whether the acting person manages a project (or is an
// admin).
func (r *req) manages(p bot.Project) bool { return r.me.IsAdmin() || p.IsManager(r.me.ID) }

// inProject reports whether the acting person takes part in a project (or
// is an admin).
func (r *req) inProject(p bot.Project) bool { return r.me.IsAdmin() || p.IsMember(r.me.ID) }
