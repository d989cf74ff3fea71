package main

import (
	"bytes"
	"context"
	"io"
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

// clockNow reads the playground's clock.
func (ta *testApp) clockNow() time.Time {
	ta.tb.Helper()
	var out struct{ Now string }
	if code := ta.call("GET", "/playground/api/clock", nil, &out); code != 200 {
		ta.tb.Fatalf("GET clock: status %d", code)
	}
	t, err := time.Parse(time.RFC3339, out.Now)
	if err != nil {
		ta.tb.Fatal(err)
	}
	return t
}

// postClock posts a clock request from any goroutine and returns the
// status and the answer.
func postClock(base, body string) (int, string, error) {
	resp, err := http.Post(base+"/playground/api/clock", "application/json", strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw), nil
}

// TestClockConcurrentAdvances posts ten {"advance":"10m"} at once: each
// moves the clock by exactly its ten minutes, 100 in all, and none is
// refused. Then a three-day advance and five one-hour ones race: the short
// ones wait for the long one instead of failing with 409, and the clock
// ends 3 days and 5 hours on.
func TestClockConcurrentAdvances(t *testing.T) {
	ta := startApp(t, testConfig, "")
	ta.reply("alice", "alpha", "/project new Clock")
	ta.reply("alice", "alpha", "/task new 压测 @bob due:2026-12-18")
	start := ta.clockNow()

	race := func(bodies ...string) {
		t.Helper()
		var wg sync.WaitGroup
		answers := make([]string, len(bodies))
		for i, body := range bodies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				code, raw, err := postClock(ta.base, body)
				if err != nil || code != 200 {
					answers[i] = body + ": " + raw
					if err != nil {
						answers[i] += err.Error()
					}
				}
			}()
		}
		wg.Wait()
		for _, a := range answers {
			if a != "" {
				t.Errorf("refused: %s", a)
			}
		}
	}
	ten := make([]string, 10)
	for i := range ten {
		ten[i] = `{"advance":"10m"}`
	}
	race(ten...)
	if got, want := ta.clockNow(), start.Add(100*time.Minute); !got.Equal(want) {
		t.Errorf("after ten concurrent 10m advances the clock is %s, want %s", got.Format(time.RFC3339), want.Format(time.RFC3339))
	}
	race(`{"advance":"3d"}`, `{"advance":"1h"}`, `{"advance":"1h"}`, `{"advance":"1h"}`, `{"advance":"1h"}`, `{"advance":"1h"}`)
	if got, want := ta.clockNow(), start.Add(100*time.Minute+3*24*time.Hour+5*time.Hour); !got.Equal(want) {
		t.Errorf("after 3d and five 1h the clock is %s, want %s", got.Format(time.RFC3339), want.Format(time.RFC3339))
	}
}

// TestClockCap refuses a target more than 400 days ahead with 400, and
// leaves the clock where it stood (the playground's API tests accept 400
// days; replaying them here would take minutes).
func TestClockCap(t *testing.T) {
	ta := startApp(t, testConfig, "")
	start := ta.clockNow()
	for _, body := range []string{`{"set":"2100-01-01T00:00:00+08:00"}`, `{"advance":"401d"}`, `{"set":"` + start.Add(401*24*time.Hour).Format(time.RFC3339) + `"}`} {
		code, raw, err := postClock(ta.base, body)
		if err != nil || code != 400 || !strings.Contains(raw, `"invalid"`) || !strings.Contains(raw, "400 days") {
			t.Errorf("%s: %d %s %v, want 400 naming the 400-day cap", body, code, raw, err)
		}
		if got := ta.clockNow(); !got.Equal(start) {
			t.Fatalf("%s moved the clock to %s", body, got)
		}
	}
}

// childConfigEnv marks a child process that serves the config file it names
// (serveChild); the parent runs the test's own binary with -test.run.
const childConfigEnv = "E2E_CHILD_CONFIG"

// serveChild runs the service in this process when it is such a child, and
// reports whether it was.
func serveChild(t *testing.T) bool {
	cfg := os.Getenv(childConfigEnv)
	if cfg == "" {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := Run(ctx, []string{"serve", "-config", cfg}, os.Environ(), io.Discard, io.Discard); err != nil {
		t.Fatalf("child: serve: %v", err)
	}
	return true
}

// startChild runs the real service in a child process (this test binary,
// re-run for the current test) on config text with %DB% set to db, with the
// extra environment env. It returns a client and the SIGKILL of the child,
// which the test's end also does.
func startChild(t *testing.T, configText, db string, env ...string) (*testApp, func()) {
	t.Helper()
	addr := freeAddr(t)
	cfgPath := filepath.Join(t.TempDir(), "child.toml")
	text := strings.Replace(configText, `listen = "127.0.0.1:0"`, `listen = "`+addr+`"`, 1)
	writeFile(t, cfgPath, strings.ReplaceAll(text, "%DB%", filepath.ToSlash(db)))
	var out bytes.Buffer
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$")
	cmd.Env = append(append(os.Environ(), childConfigEnv+"="+cfgPath), env...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the child: %v", err)
	}
	var once sync.Once
	kill := func() { once.Do(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }) }
	t.Cleanup(kill)
	child := &testApp{tb: t, base: "http://" + addr, db: db}
	waitReady(t, child.base, &out)
	return child, kill
}

// TestKillDuringAdvance SIGKILLs the real service (a child process) in the
// middle of a 60-day advance, once bob has had three days of check-in
// cards: the clock saved in the store is not behind any message already
// sent, and a restart resumes there.
func TestKillDuringAdvance(t *testing.T) {
	if serveChild(t) {
		return
	}
	db := filepath.Join(t.TempDir(), "loopbot.db")
	child, kill := startChild(t, testConfig, db)
	child.reply("alice", "alpha", "/project new Kill")
	child.reply("alice", "alpha", "/task new 长跑 @bob due:2027-03-31")
	child.act("bob", child.lastCard("dm:bob", "task_assigned").ID, "accept", nil)

	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _, _ = postClock(child.base, `{"advance":"60d"}`)
	}()
	for deadline := time.Now().Add(2 * time.Minute); len(child.cards("dm:bob", "checkin")) < 3; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("bob got no three check-in cards")
		}
	}
	kill()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the clock request did not end after the kill")
	}

	saved, last := storedClockAndLastMessage(t, db)
	if saved.Before(last) {
		t.Errorf("after the kill the saved clock is %s, behind the last message sent at %s", saved.Format(time.RFC3339), last.Format(time.RFC3339))
	}
	ta := startApp(t, testConfig, db)
	if got := ta.clockNow(); got.Before(last) {
		t.Errorf("after the restart the clock is %s, behind the last message sent at %s", got.Format(time.RFC3339), last.Format(time.RFC3339))
	}
}

// storedClockAndLastMessage reads a stopped service's saved fake clock and
// the time of the newest message in its chats.
func storedClockAndLastMessage(tb testing.TB, db string) (saved, last time.Time) {
	tb.Helper()
	s, err := store.Open(db, store.Options{Timeout: 5 * time.Second})
	if err != nil {
		tb.Fatalf("open after the kill: %v", err)
	}
	defer s.Close()
	err = s.View(context.Background(), func(tx bot.Tx) error {
		raw, err := tx.Meta(fakeClockKey)
		if err != nil {
			return err
		}
		return saved.UnmarshalText(raw)
	})
	if err != nil {
		tb.Fatal(err)
	}
	for _, chat := range []string{"dm:alice", "dm:bob", "alpha"} {
		msgs, err := s.ChatMessages(context.Background(), chat)
		if err != nil {
			tb.Fatal(err)
		}
		for _, m := range msgs {
			if m.Time.After(last) {
				last = m.Time
			}
		}
	}
	return saved, last
}
