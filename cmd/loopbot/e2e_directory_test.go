package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/internal/feishufake"
)

// newDirectoryWorld is a Feishu world whose contact API knows carol, her
// department and her leader gina (whom the bot never met), or refuses.
func newDirectoryWorld(t *testing.T, refuse bool) *feishuWorld {
	t.Helper()
	fake := feishufake.Start(t, &feishufake.Server{AppID: "cli_e2e_dir", AppSecret: "app-secret-e2e", BotOpenID: "ou_bot",
		EncryptKey: "encrypt-key-e2e", VerificationToken: "verify-token-e2e", NoContactScope: refuse,
		Users:       map[string]string{"ou_alice": "王丽 Alice", "ou_carol": "陈晨 Carol", "ou_gina": "高娜 Gina"},
		Profiles:    map[string]feishufake.Profile{"ou_carol": {Email: "carol@example.com", Department: "od-rd", Leader: "ou_gina"}},
		Departments: map[string]string{"od-rd": "研发部"}})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	w := &feishuWorld{t: t, mode: "webhook", fake: fake, ctx: ctx}
	w.start("")
	return w
}

func (w *feishuWorld) person(id bot.PersonID) bot.Person {
	w.t.Helper()
	var p bot.Person
	err := w.ta.app.store.View(w.ctx, func(tx bot.Tx) error {
		var err error
		p, err = tx.Person(id)
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return p
}

// TestDirectoryManagerEscalation: carol's leader in Feishu's contact API
// is gina; the task carol gave herself is escalated to gina, the yellow
// card reaching her on Feishu, though nobody told loopbot who she is.
func TestDirectoryManagerEscalation(t *testing.T) {
	w := newDirectoryWorld(t, false)
	w.ta.at("2026-11-23 09:30")
	w.say("ou_carol", "oc_dm_carol", "/task new 周报 due:2026-11-24")
	if ts := w.tasks(); len(ts) != 1 || ts[0].Assignee != "feishu:ou_carol" {
		t.Fatalf("tasks = %+v", ts)
	}
	w.ta.at("2026-11-23 09:40")
	carol := w.person("feishu:ou_carol")
	if carol.Manager != "feishu:ou_gina" || carol.Department != "研发部" || carol.Email != "carol@example.com" {
		t.Fatalf("carol after the directory job = %+v", carol)
	}
	w.ta.at("2026-11-27 10:00")
	if err := w.ta.app.dispatcher.Drain(w.ctx); err != nil {
		t.Fatal(err)
	}
	yellow := 0
	for _, m := range w.cards("ou_gina", "周报") {
		if template(m.Card) == "yellow" {
			yellow++
		}
	}
	if yellow != 1 {
		t.Fatalf("gina got %d yellow cards, want 1 (cards: %d)", yellow, len(w.cards("ou_gina")))
	}
	if g := w.person("feishu:ou_gina"); g.Name != "高娜 Gina" {
		t.Fatalf("gina = %+v, want her name from the directory", g)
	}
	if !strings.Contains(w.metricsText(), `loopbot_directory_lookups_total{outcome="ok",platform="feishu"}`) {
		t.Fatal("no lookup counted in /metrics")
	}
}

func (w *feishuWorld) metricsText() string {
	w.t.Helper()
	resp, err := http.Get(w.ta.base + "/metrics")
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return string(raw)
}

// TestDirectoryRefusedLoopWorks: without the contact scope the loop works
// as before: the task is created and its overdue warning reaches carol.
func TestDirectoryRefusedLoopWorks(t *testing.T) {
	w := newDirectoryWorld(t, true)
	w.ta.at("2026-11-23 09:30")
	w.say("ou_carol", "oc_dm_carol", "/task new 周报 due:2026-11-24")
	w.ta.at("2026-11-25 10:00")
	if err := w.ta.app.dispatcher.Drain(w.ctx); err != nil {
		t.Fatal(err)
	}
	if len(w.cards("ou_carol", "周报")) < 2 {
		t.Fatalf("carol got %d cards about her task, want the reply and a warning", len(w.cards("ou_carol", "周报")))
	}
	if m := w.person("feishu:ou_carol").Manager; m != "" {
		t.Fatalf("carol's manager = %q without the permission", m)
	}
	if !strings.Contains(w.metricsText(), `loopbot_directory_lookups_total{outcome="forbidden",platform="feishu"}`) {
		t.Fatal("no forbidden lookup counted in /metrics")
	}
}
