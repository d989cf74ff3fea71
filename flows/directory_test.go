package flows_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/flows"
)

// fakeDirectory is a platform's contact API: entries by local id, or a
// refusal for everyone; it counts the lookups of each id.
type fakeDirectory struct {
	mu      sync.Mutex
	entries map[string]bot.DirectoryEntry
	err     error // returned for every lookup when set
	calls   map[string]int
}

func (d *fakeDirectory) LookUp(_ context.Context, id string) (bot.DirectoryEntry, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.calls == nil {
		d.calls = map[string]int{}
	}
	d.calls[id]++
	if d.err != nil {
		return bot.DirectoryEntry{}, d.err
	}
	e, ok := d.entries[id]
	if !ok {
		return bot.DirectoryEntry{}, bot.Errorf(bot.ENOTFOUND, "no such person")
	}
	return e, nil
}

func (d *fakeDirectory) total() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, c := range d.calls {
		n += c
	}
	return n
}

func (d *fakeDirectory) count(id string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.calls[id]
}

// logCount counts the log records at warn and above.
type logCount struct {
	mu      sync.Mutex
	records []string
}

func (h *logCount) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (h *logCount) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	line := r.Level.String() + " " + r.Message
	r.Attrs(func(a slog.Attr) bool {
		line += " " + a.Key + "=" + a.Value.String()
		return true
	})
	h.records = append(h.records, line)
	return nil
}
func (h *logCount) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logCount) WithGroup(string) slog.Handler      { return h }

func (h *logCount) matching(s string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range h.records {
		if strings.Contains(r, s) {
			out = append(out, r)
		}
	}
	return out
}

func dirRig(t *testing.T, start time.Time, dir *fakeDirectory, logs *logCount) *rig {
	return newRigWith(t, start, func(c *flows.Config) {
		c.Directories = map[string]bot.Directory{bot.Playground: dir}
		if logs != nil {
			c.Logger = slog.New(logs)
		}
	})
}

func (r *rig) runDirectory() {
	r.t.Helper()
	if err := r.svc.RunDirectory(context.Background()); err != nil {
		r.t.Fatalf("RunDirectory: %v", err)
	}
}

func (r *rig) person(id string) bot.Person {
	r.t.Helper()
	var p bot.Person
	err := r.st.View(context.Background(), func(tx bot.Tx) error {
		var err error
		p, err = tx.Person(bot.PersonID("playground:" + id))
		return err
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return p
}

// TestDirectoryManagerGetsTheYellowCard: carol's manager in the contact
// API is gina, whom the bot never met; a task carol gave herself, outside
// any project, escalates to gina.
func TestDirectoryManagerGetsTheYellowCard(t *testing.T) {
	dir := &fakeDirectory{entries: map[string]bot.DirectoryEntry{
		"carol": {Name: "陈卡罗", Email: "carol@example.com", Mobile: "13800000000", Department: "研发部", Manager: "gina"},
		"frank": {Name: "Frank"},
	}}
	r := dirRig(t, time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), dir, nil)
	r.at(2026, 11, 23, 10, 0) // a Monday
	r.runDirectory()
	carol := r.person("carol")
	if carol.Manager != "playground:gina" || carol.Name != "陈卡罗" || carol.Department != "研发部" || carol.Email != "carol@example.com" || carol.Mobile != "13800000000" {
		t.Fatalf("carol after the lookup = %+v", carol)
	}
	err := r.st.Update(context.Background(), func(tx bot.Tx) error {
		id, err := tx.NextTaskID()
		if err != nil {
			return err
		}
		now := r.clock.Now()
		return tx.PutTask(bot.Task{ID: id, Title: "自己的报告", Assignee: "playground:carol", Assigner: "playground:carol",
			Due: bot.Date{Year: 2026, Month: 11, Day: 19}, Status: bot.StatusAccepted, Progress: 40,
			ProgressAt: now.Add(-48 * time.Hour), StatusAt: now.Add(-96 * time.Hour), CreatedAt: now.Add(-96 * time.Hour), UpdatedAt: now.Add(-48 * time.Hour)})
	})
	if err != nil {
		t.Fatal(err)
	}
	r.drain()
	for _, at := range [][2]int{{23, 10}, {23, 15}, {24, 10}, {24, 15}, {25, 10}} {
		r.at(2026, 11, at[0], at[1], 0)
		if err := r.svc.RunEscalations(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	var yellow []bot.Card
	for _, c := range cardsTo(r.drain(), "gina") {
		if c.Color == bot.ColorYellow && c.Refs["task"] == "T1" {
			yellow = append(yellow, c)
		}
	}
	if len(yellow) != 1 {
		t.Fatalf("gina got %d yellow cards for T1, want 1", len(yellow))
	}
	// gina was met through the directory, and is looked up in turn.
	r.runDirectory()
	if dir.count("gina") != 1 {
		t.Fatalf("gina looked up %d times, want once", dir.count("gina"))
	}
}

// TestDirectoryAtMostDaily: a person is looked up when first met, then
// once a day, however often the job runs and across restarts.
func TestDirectoryAtMostDaily(t *testing.T) {
	dir := &fakeDirectory{entries: map[string]bot.DirectoryEntry{"carol": {Name: "Carol C"}, "frank": {Name: "Frank F", Manager: "bob"}}}
	r := dirRig(t, time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), dir, nil)
	r.at(2026, 11, 23, 9, 0)
	r.runDirectory()
	if n := dir.count("carol"); n != 1 {
		t.Fatalf("carol looked up %d times on the first run, want once", n)
	}
	// frank is met later that day, and looked up at the next run.
	r.at(2026, 11, 23, 11, 0)
	r.say("frank", "/help")
	r.runDirectory()
	if dir.count("frank") != 1 || r.person("frank").Name != "Frank F" || r.person("frank").Manager != "playground:bob" {
		t.Fatalf("frank: %d lookups, %+v", dir.count("frank"), r.person("frank"))
	}
	for h := 12; h <= 23; h++ {
		r.at(2026, 11, 23, h, 30)
		r.runDirectory()
	}
	r.restart()
	r.at(2026, 11, 24, 8, 59)
	r.runDirectory()
	if dir.count("carol") != 1 || dir.count("frank") != 1 {
		t.Fatalf("within a day: carol %d, frank %d lookups, want 1 each", dir.count("carol"), dir.count("frank"))
	}
	r.at(2026, 11, 24, 9, 0)
	r.runDirectory()
	if dir.count("carol") != 2 || dir.count("frank") != 1 {
		t.Fatalf("a day later: carol %d, frank %d lookups, want 2 and 1", dir.count("carol"), dir.count("frank"))
	}
}

// TestDirectoryKeepsWhatIsKnown: a field the contact API leaves out
// changes nothing; the ones it gives are added.
func TestDirectoryKeepsWhatIsKnown(t *testing.T) {
	dir := &fakeDirectory{entries: map[string]bot.DirectoryEntry{"carol": {Department: "研发部"}}}
	r := dirRig(t, time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), dir, nil)
	r.at(2026, 11, 23, 9, 0)
	r.runDirectory()
	if p := r.person("carol"); p.Name != "Carol" || p.Department != "研发部" || p.Manager != "" {
		t.Fatalf("carol = %+v, want her name kept and the department added", p)
	}
}

// TestDirectoryRefused: without the permission the loop works as before,
// the refusal is logged once a day, and the platform is left alone for the
// rest of the day after a few refusals.
func TestDirectoryRefused(t *testing.T) {
	dir := &fakeDirectory{err: &bot.Error{Code: bot.EFORBIDDEN, Message: "grant contact:contact.base:readonly"}}
	logs := &logCount{}
	r := dirRig(t, time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), dir, logs)
	r.at(2026, 11, 23, 9, 0)
	r.runDirectory()
	first := dir.total()
	if first == 0 || first > 3 {
		t.Fatalf("%d lookups on the first run, want 1 to 3 before the platform rests", first)
	}
	if reply := r.say("carol", "/help"); reply == "" {
		t.Fatal("no help")
	}
	for h := 10; h <= 23; h++ {
		r.at(2026, 11, 23, h, 0)
		r.runDirectory()
	}
	r.restart()
	r.at(2026, 11, 24, 8, 0)
	r.runDirectory()
	if dir.total() != first {
		t.Fatalf("%d lookups on the day of the refusal, want %d", dir.total(), first)
	}
	warns := logs.matching("directory")
	if len(warns) != 1 || !strings.Contains(warns[0], "WARN") || !strings.Contains(warns[0], "platform=playground") ||
		!strings.Contains(warns[0], "contact:contact.base:readonly") {
		t.Fatalf("log records = %q, want one warning naming the platform and the permission", logs.matching(""))
	}
	if errs := logs.matching("ERROR"); len(errs) != 0 {
		t.Fatalf("errors logged: %q", errs)
	}
	// The next day it is tried again, and the refusal logged once more.
	r.at(2026, 11, 24, 9, 30)
	r.runDirectory()
	if dir.total() <= first || len(logs.matching("directory")) != 2 {
		t.Fatalf("the next day: %d lookups, %d warnings", dir.total(), len(logs.matching("directory")))
	}
}

// TestDirectoryDown: a failing API is retried later, logged once a day.
func TestDirectoryDown(t *testing.T) {
	dir := &fakeDirectory{err: context.DeadlineExceeded}
	logs := &logCount{}
	r := dirRig(t, time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), dir, logs)
	r.at(2026, 11, 23, 9, 0)
	r.runDirectory()
	if dir.total() != 1 {
		t.Fatalf("%d lookups of a failing API in one run, want 1", dir.total())
	}
	r.at(2026, 11, 23, 9, 30)
	r.runDirectory()
	if dir.total() != 1 {
		t.Fatalf("tried again within the hour")
	}
	r.at(2026, 11, 23, 10, 30)
	dir.mu.Lock()
	dir.err, dir.entries = nil, map[string]bot.DirectoryEntry{"carol": {Name: "Carol Chen"}}
	dir.mu.Unlock()
	r.runDirectory()
	if r.person("carol").Name != "Carol Chen" {
		t.Fatalf("carol = %+v after the API came back", r.person("carol"))
	}
	if n := len(logs.matching("directory")); n != 1 {
		t.Fatalf("%d warnings, want 1", n)
	}
}

// TestDirectoryLinkedIdentities: a person linked across platforms is looked
// up on each; the other identity's entry fills what the canonical one does
// not know, and a manager who is a linked identity is their person.
func TestDirectoryLinkedIdentities(t *testing.T) {
	play := &fakeDirectory{entries: map[string]bot.DirectoryEntry{"carol": {Name: "Carol"}}}
	fs := &fakeDirectory{entries: map[string]bot.DirectoryEntry{
		"ou_carol": {Name: "陈卡罗", Department: "研发部", Manager: "ou_erin"},
		"ou_erin":  {Name: "Erin E"},
	}}
	r := newRigWith(t, time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), func(c *flows.Config) {
		c.Directories = map[string]bot.Directory{bot.Playground: play, bot.Feishu: fs}
	})
	r.at(2026, 11, 23, 9, 0)
	err := r.st.Update(context.Background(), func(tx bot.Tx) error {
		for _, l := range [][2]bot.PersonID{{"playground:carol", "feishu:ou_carol"}, {"playground:erin", "feishu:ou_erin"}} {
			if _, err := tx.MergePeople(l[0], l[1], "playground:alice", r.clock.Now()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	r.runDirectory()
	carol := r.person("carol")
	if carol.Name != "Carol" || carol.Department != "研发部" || carol.Manager != "playground:erin" {
		t.Fatalf("carol = %+v, want her name kept, the department and erin (linked as ou_erin) as manager", carol)
	}
	if fs.count("ou_carol") != 1 || play.count("carol") != 1 || fs.count("ou_erin") != 1 {
		t.Fatalf("lookups: ou_carol %d, carol %d, ou_erin %d; want one each", fs.count("ou_carol"), play.count("carol"), fs.count("ou_erin"))
	}
	var people []bot.Person
	r.st.View(context.Background(), func(tx bot.Tx) error {
		people, err = tx.People()
		return err
	})
	for _, p := range people {
		if p.ID == "feishu:ou_erin" || p.ID == "feishu:ou_carol" {
			t.Fatalf("a linked identity became a person of its own: %+v", p)
		}
	}
}
