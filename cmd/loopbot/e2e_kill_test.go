package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/store"
)

// killChildEnv marks the child process of TestKillDuringFanout; its value is
// the config file the child serves.
const killChildEnv = "E2E_KILL_FANOUT_CONFIG"

const fanoutDay = "2026-11-23"

// fanoutPeople returns how many people the fan-out asks: 3000, or 1000 under
// the race detector (raceEnabled), which exercise the same paths. Delivering
// the backlog after the restart is linear in it (see checkOneCardEach), but
// each delivery costs several times more under -race: on two cores the test
// took 8 s with 3000 people without -race, and 10 s with 1000 or 20 s with
// 3000 under it.
func fanoutPeople() int {
	if raceEnabled {
		return 1000
	}
	return 3000
}

func fanoutPerson(i int) bot.PersonID { return bot.PersonID(fmt.Sprintf("playground:p%04d", i)) }

// fanoutConfig is the service of TestKillDuringFanout: only alice is a
// playground person; the fanoutPeople() people are in the store, and their
// check-in cards land in their chats (dm:pNNNN) all the same.
const fanoutConfig = `
[server]
listen = "%LISTEN%"
admin_token = "test-token"
[store]
path = "%DB%"
[playground]
enabled = true
fake_clock = true
fake_clock_start = "2026-11-23T09:29:00+08:00"
[[playground.people]]
id = "alice"
name = "Alice"
roles = ["admin"]
`

// TestKillDuringFanout kills the real service (SIGKILL, in a child process)
// while it sends the 09:30 check-in cards to 3000 people (1000 under -race:
// fanoutPeople), then starts it again on the same file a few minutes later:
// everyone ends up with exactly one check-in card for the day. Nobody gets
// two, nobody gets none.
//
// Without -race it takes about 8 s on two cores, mostly delivering the
// backlog.
func TestKillDuringFanout(t *testing.T) {
	if cfg := os.Getenv(killChildEnv); cfg != "" {
		serveUntilKilled(t, cfg)
		return
	}
	dir := t.TempDir()
	db, pristine := filepath.Join(dir, "loopbot.db"), filepath.Join(dir, "pristine.db")
	began := time.Now()
	buildFanoutDB(t, pristine)
	t.Logf("built the store of %d people in %s", fanoutPeople(), time.Since(began).Round(time.Millisecond))

	// Kill the child mid-way through the fan-out: too early (nobody asked)
	// lengthens the delay, too late (everybody asked) shortens it.
	delay := time.Duration(20+rand.IntN(181)) * time.Millisecond
	asked := 0
	for attempt := 1; attempt <= 8; attempt++ {
		copyFile(t, pristine, db)
		st := killDuringFanout(t, dir, db, delay)
		asked = st.asked
		t.Logf("attempt %d: killed %s after the clock moved to 09:31: %d of %d people asked, %d cards delivered, %d outbox items left",
			attempt, delay, st.asked, fanoutPeople(), st.delivered, st.queued)
		if asked > 0 && asked < fanoutPeople() {
			break
		}
		if asked == 0 {
			delay = delay*2 + time.Duration(rand.IntN(20))*time.Millisecond
		} else {
			delay = max(delay/3, time.Millisecond) + time.Duration(rand.IntN(5))*time.Millisecond
		}
	}
	if asked == 0 || asked == fanoutPeople() {
		t.Logf("WARNING: no kill landed mid-way through the fan-out (last: %d asked); checking the recovery anyway", asked)
	}

	// Back a few minutes later, within the check-in's grace: the start
	// catches the 09:30 run up and the outbox delivers what was queued.
	restart, _ := time.Parse(time.RFC3339, "2026-11-23T09:35:00+08:00")
	setStoredClock(t, db, restart)
	began = time.Now()
	ta := startApp(t, strings.Replace(fanoutConfig, "%LISTEN%", "127.0.0.1:0", 1), db)
	t.Logf("start (with the catch-up) took %s", time.Since(began).Round(time.Millisecond))
	if n := promptsNow(t, ta); n != fanoutPeople() {
		t.Errorf("after the start's catch-up %d people were asked, want %d", n, fanoutPeople())
	}
	ta.at("2026-11-23 09:36")
	if err := ta.app.dispatcher.Drain(context.Background()); err != nil {
		t.Fatalf("drain: %v", err)
	}
	t.Logf("restart, catch-up and delivery took %s", time.Since(began).Round(time.Millisecond))
	checkOneCardEach(t, ta)
}

// serveUntilKilled is the child: it runs the real service on the config
// until the parent kills it (or, should the parent die, for two minutes).
func serveUntilKilled(t *testing.T, cfg string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := Run(ctx, []string{"serve", "-config", cfg}, os.Environ(), io.Discard, io.Discard); err != nil {
		t.Fatalf("child: serve: %v", err)
	}
}

// buildFanoutDB writes the people, each with one accepted open task, and
// the fake clock at Monday 09:29, in one transaction.
func buildFanoutDB(tb testing.TB, path string) {
	tb.Helper()
	s, err := store.Open(path, store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	at, _ := time.Parse(time.RFC3339, "2026-11-23T09:00:00+08:00")
	clock, _ := time.Parse(time.RFC3339, "2026-11-23T09:29:00+08:00")
	due, _ := bot.ParseISODate("2026-12-31")
	err = s.Update(context.Background(), func(tx bot.Tx) error {
		for i := 1; i <= fanoutPeople(); i++ {
			p := bot.Person{ID: fanoutPerson(i), Name: fmt.Sprintf("员工 %04d", i), Role: bot.RoleMember, CreatedAt: at, UpdatedAt: at}
			if err := tx.PutPerson(p); err != nil {
				return err
			}
			id, err := tx.NextTaskID()
			if err != nil {
				return err
			}
			task := bot.Task{ID: id, Title: fmt.Sprintf("任务 %04d", i), Assignee: p.ID, Assigner: "playground:alice",
				Due: due, BaselineDue: due, Priority: bot.PrioNormal, Status: bot.StatusAccepted,
				ProgressAt: at, StatusAt: at, CreatedAt: at, UpdatedAt: at}
			if err := tx.PutTask(task); err != nil {
				return err
			}
		}
		raw, _ := clock.MarshalText()
		return tx.PutMeta(fakeClockKey, raw)
	})
	if err != nil {
		tb.Fatalf("build the store: %v", err)
	}
}

// killDuringFanout runs the service on db in a child process, moves its
// clock to 09:31 (the 09:30 fan-out runs inside that request), SIGKILLs it
// after delay, and returns what the fan-out left in the store.
func killDuringFanout(t *testing.T, dir, db string, delay time.Duration) fanoutState {
	t.Helper()
	addr := freeAddr(t)
	cfg := filepath.Join(dir, "child.toml")
	text := strings.NewReplacer("%LISTEN%", addr, "%DB%", filepath.ToSlash(db)).Replace(fanoutConfig)
	writeFile(t, cfg, text)

	var out bytes.Buffer
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillDuringFanout$")
	cmd.Env = append(os.Environ(), killChildEnv+"="+cfg)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the child: %v", err)
	}
	var once sync.Once
	kill := func() {
		once.Do(func() {
			_ = cmd.Process.Kill() // SIGKILL
			_ = cmd.Wait()
		})
	}
	defer kill()
	base := "http://" + addr
	waitReady(t, base, &out)

	posted := make(chan error, 1)
	go func() {
		body := strings.NewReader(`{"set":"2026-11-23T09:31:00+08:00"}`)
		resp, err := http.Post(base+"/playground/api/clock", "application/json", body)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != 200 {
				err = fmt.Errorf("status %d", resp.StatusCode)
			}
		}
		posted <- err
	}()
	time.Sleep(delay)
	kill()
	select {
	case err := <-posted:
		if err == nil {
			t.Logf("the clock request finished before the kill")
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("the clock request did not end after the kill")
	}
	return readFanout(t, db)
}

// freeAddr returns a local address that was free a moment ago.
func freeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitReady waits until the child answers /readyz.
func waitReady(tb testing.TB, base string, out *bytes.Buffer) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	tb.Fatalf("the child never got ready; its output:\n%s", out.String())
}

// fanoutState is what a killed fan-out left in the store.
type fanoutState struct {
	asked     int // people with a prompt for the day
	delivered int // check-in cards in their chats
	queued    int // outbox items not delivered yet
}

// readFanout reads a stopped service's store: the check-in prompts of the
// day, the cards delivered, and the outbox.
func readFanout(tb testing.TB, db string) fanoutState {
	tb.Helper()
	s, err := store.Open(db, store.Options{Timeout: 5 * time.Second})
	if err != nil {
		tb.Fatalf("open after the kill: %v", err)
	}
	defer s.Close()
	ctx := context.Background()
	day, _ := bot.ParseISODate(fanoutDay)
	var st fanoutState
	var prompts []bot.Prompt
	err = s.View(ctx, func(tx bot.Tx) error {
		if prompts, err = tx.Prompts(day); err != nil {
			return err
		}
		st.queued, err = tx.OutboxDepth()
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	st.asked = len(prompts)
	for _, p := range prompts {
		msgs, err := s.ChatMessages(ctx, "dm:"+p.Person.Local())
		if err != nil {
			tb.Fatal(err)
		}
		st.delivered += len(msgs)
	}
	return st
}

// promptsNow counts the prompts of the day in a running app.
func promptsNow(tb testing.TB, ta *testApp) int {
	tb.Helper()
	day, _ := bot.ParseISODate(fanoutDay)
	var n int
	err := ta.app.store.View(context.Background(), func(tx bot.Tx) error {
		prompts, err := tx.Prompts(day)
		n = len(prompts)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// checkOneCardEach checks that each of the people was asked once for the
// day, and has one check-in card in their chat.
//
// Delivering the backlog left by the kill takes most of the test's time,
// in proportion to its size: the dispatcher keeps its pending list in memory
// between passes (bot.Dispatcher.claim), so the backlog is read from the
// store once, not once per delivery.
func checkOneCardEach(t *testing.T, ta *testApp) {
	t.Helper()
	ctx := context.Background()
	day, _ := bot.ParseISODate(fanoutDay)
	prompted := map[bot.PersonID]int{}
	cardsByKey := map[bot.PersonID]int{}
	var depth int
	var dead []bot.OutboxItem
	err := ta.app.store.View(ctx, func(tx bot.Tx) error {
		prompts, err := tx.Prompts(day)
		if err != nil {
			return err
		}
		for _, p := range prompts {
			prompted[p.Person]++
		}
		for i := 1; i <= fanoutPeople(); i++ {
			id := fanoutPerson(i)
			recs, err := tx.CardsByKey("checkin/" + string(id) + "/" + fanoutDay)
			if err != nil {
				return err
			}
			cardsByKey[id] = len(recs)
		}
		if depth, err = tx.OutboxDepth(); err != nil {
			return err
		}
		dead, err = tx.DeadLetters()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if depth != 0 || len(dead) != 0 {
		t.Errorf("after the drain: outbox depth %d, %d dead letters", depth, len(dead))
	}
	var none, twice []string
	for i := 1; i <= fanoutPeople(); i++ {
		id := fanoutPerson(i)
		msgs, err := ta.app.store.ChatMessages(ctx, "dm:"+id.Local())
		if err != nil {
			t.Fatal(err)
		}
		inChat := 0
		for _, m := range msgs {
			if m.From == "bot" && m.Card != nil && m.Card.Kind == bot.CardCheckin && m.Card.Refs["checkin"] == fanoutDay {
				inChat++
			}
		}
		switch {
		case prompted[id] == 1 && cardsByKey[id] == 1 && inChat == 1:
		case prompted[id] == 0 || cardsByKey[id] == 0 || inChat == 0:
			none = append(none, fmt.Sprintf("%s (prompts %d, cards %d, in chat %d)", id.Local(), prompted[id], cardsByKey[id], inChat))
		default:
			twice = append(twice, fmt.Sprintf("%s (prompts %d, cards %d, in chat %d)", id.Local(), prompted[id], cardsByKey[id], inChat))
		}
	}
	if len(prompted) != fanoutPeople() {
		t.Errorf("%d people have a prompt for %s, want %d", len(prompted), fanoutDay, fanoutPeople())
	}
	if len(none) > 0 {
		t.Errorf("%d people got no check-in card, e.g. %v", len(none), none[:min(5, len(none))])
	}
	if len(twice) > 0 {
		t.Errorf("%d people got more than one check-in card, e.g. %v", len(twice), twice[:min(5, len(twice))])
	}
}

// copyFile copies a stopped store's file.
func copyFile(tb testing.TB, from, to string) {
	tb.Helper()
	raw, err := os.ReadFile(from)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(to, raw, 0o600); err != nil {
		tb.Fatal(err)
	}
}
