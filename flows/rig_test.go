package flows_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/calendar"
	"github.com/loopbot/loopbot/flows"
	"github.com/loopbot/loopbot/store"
)

// rig drives the flows through the engine, as cmd/loopbot wires them, over
// a real store file and a fake clock, in Shanghai with the shipped PRC
// calendar. Its people: alice (admin), bob (manager), carol and dave
// (members), erin (a member of nothing).
type rig struct {
	t     *testing.T
	path  string
	st    *store.DB
	clock *bot.FakeClock
	cal   *calendar.Calendar
	svc   *flows.Service
	eng   *bot.Engine
	loc   *time.Location
	n     int
	seen  uint64 // the last outbox item read
	// platforms are the enabled platforms (flows.Config.Platforms) of the
	// next open; nil: all.
	platforms []string
	// conf, when set, changes the flows' config at each open.
	conf func(*flows.Config)
	// writes counts the write transactions committed.
	writes atomic.Int64
}

// queued is one message the flows queued: a text or a card, to a chat.
type queued struct {
	To   bot.Target
	Text string
	Card *bot.Card
	// File is the id of the file the item sends (bot.OutboxItem.FileID).
	File uint64
}

func newRig(t *testing.T, start time.Time) *rig {
	t.Helper()
	return newRigWith(t, start, nil)
}

// newRigWith is newRig with a change to the flows' config.
func newRigWith(t *testing.T, start time.Time, conf func(*flows.Config)) *rig {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, path: filepath.Join(t.TempDir(), "loopbot.db"), clock: bot.NewFakeClock(start.In(loc)), loc: loc, conf: conf}
	r.open()
	t.Cleanup(r.close)
	err = r.st.Update(context.Background(), func(tx bot.Tx) error {
		for _, p := range []bot.Person{
			{ID: "playground:alice", Name: "Alice", Role: bot.RoleAdmin},
			{ID: "playground:bob", Name: "Bob", Role: bot.RoleManager},
			{ID: "playground:carol", Name: "Carol", Role: bot.RoleMember},
			{ID: "playground:dave", Name: "Dave", Role: bot.RoleMember, Lang: "en"},
			{ID: "playground:erin", Name: "Erin", Role: bot.RoleMember},
		} {
			p.CreatedAt, p.UpdatedAt = r.clock.Now(), r.clock.Now()
			if err := tx.PutPerson(p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// open opens the store file and wires fresh flows over it, as a start of
// the service does.
func (r *rig) open() {
	r.t.Helper()
	st, err := store.Open(r.path, store.Options{Now: r.clock.Now, ObserveWrite: func(_, _ time.Duration) { r.writes.Add(1) }})
	if err != nil {
		r.t.Fatalf("open store: %v", err)
	}
	r.st = st
	r.cal = calendar.New(calendar.Config{Location: r.loc})
	if err := flows.LoadCalendar(context.Background(), st, r.cal); err != nil {
		r.t.Fatal(err)
	}
	cfg := flows.Config{
		Clock: r.clock, Calendar: r.cal, Signer: bot.NewSigner("rig-secret"), Logger: slog.New(slog.DiscardHandler),
		Location: r.loc, Admins: []bot.PersonID{"playground:alice"}, Store: st, Platforms: r.platforms,
	}
	if r.conf != nil {
		r.conf(&cfg)
	}
	r.svc = flows.New(cfg)
	r.eng = bot.NewEngine(st, r.svc, slog.New(slog.DiscardHandler))
}

func (r *rig) close() {
	if r.st != nil {
		if err := r.st.Close(); err != nil {
			r.t.Errorf("close store: %v", err)
		}
		r.st = nil
	}
}

// restart closes the store and opens it again with new flows.
func (r *rig) restart() {
	r.t.Helper()
	r.close()
	r.open()
}

// at moves the fake clock to a Shanghai wall time.
func (r *rig) at(y int, m time.Month, d, hh, mm int) {
	r.t.Helper()
	if err := r.clock.Set(time.Date(y, m, d, hh, mm, 0, 0, r.loc)); err != nil {
		r.t.Fatal(err)
	}
}

// do handles a message from a person in a chat ("" for their direct chat,
// else a playground group id) and returns what it queued.
func (r *rig) do(from, chat, text string) []queued {
	r.t.Helper()
	return r.doOn(bot.Playground, from, chat, text)
}

// doOn is do on a platform: from is the person's id there, chat a group
// chat id there or "" for their direct chat.
func (r *rig) doOn(platform, from, chat, text string) []queued {
	r.t.Helper()
	r.n++
	id := bot.PersonID(platform + ":" + from)
	target := bot.DM(id)
	if chat != "" {
		target = bot.Group(platform, chat)
	}
	ev := bot.Event{ID: fmt.Sprintf("rig-%d", r.n), Platform: platform, Kind: bot.EventMessage,
		From: id, Chat: target, Time: r.clock.Now(), Text: text}
	if _, err := r.eng.Handle(context.Background(), ev); err != nil {
		r.t.Fatalf("handle %q: %v", text, err)
	}
	return r.drain()
}

// say is do in the person's direct chat, returning the text of the reply
// there (all texts joined).
func (r *rig) say(from, text string) string {
	r.t.Helper()
	var out []string
	for _, m := range r.do(from, "", text) {
		if m.To == bot.DM(bot.PersonID("playground:"+from)) && m.Text != "" {
			out = append(out, m.Text)
		}
	}
	if len(out) == 0 {
		r.t.Fatalf("%s: no reply to %q", from, text)
	}
	return strings.Join(out, "\n")
}

// drain returns the messages queued since the last call.
func (r *rig) drain() []queued {
	r.t.Helper()
	var out []queued
	err := r.st.View(context.Background(), func(tx bot.Tx) error {
		items, err := tx.PendingOutbox(100000)
		if err != nil {
			return err
		}
		for _, it := range items {
			if it.ID <= r.seen {
				continue
			}
			r.seen = it.ID
			m := queued{To: it.Target, Text: it.Text, File: it.FileID}
			if it.CardID != 0 {
				rec, err := tx.Card(it.CardID)
				if err != nil {
					return err
				}
				m.Card = &rec.Card
			}
			out = append(out, m)
		}
		return nil
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return out
}

// cardsTo returns the cards among ms sent to a person's direct chat.
func cardsTo(ms []queued, who string) []bot.Card {
	var out []bot.Card
	for _, m := range ms {
		if m.Card != nil && m.To == bot.DM(bot.PersonID("playground:"+who)) {
			out = append(out, *m.Card)
		}
	}
	return out
}

// textsTo returns the texts among ms sent to a person's direct chat.
func textsTo(ms []queued, who string) []string {
	var out []string
	for _, m := range ms {
		if m.Text != "" && m.To == bot.DM(bot.PersonID("playground:"+who)) {
			out = append(out, m.Text)
		}
	}
	return out
}

// wantIn fails unless every part is in s.
func wantIn(t *testing.T, what, s string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			t.Errorf("%s: %q lacks %q", what, s, p)
		}
	}
}

// view runs fn in a read transaction.
func (r *rig) view(fn func(tx bot.Tx) error) {
	r.t.Helper()
	if err := r.st.View(context.Background(), fn); err != nil {
		r.t.Fatal(err)
	}
}
