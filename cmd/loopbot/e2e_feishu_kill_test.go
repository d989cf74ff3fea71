package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loopbot/loopbot/internal/feishufake"
)

// feishuKillEnv marks the child process of TestFeishuKillBetweenSendAndRecord;
// its value is the config file the child serves.
const feishuKillEnv = "E2E_FEISHU_KILL_CONFIG"

// TestFeishuKillBetweenSendAndRecord kills the service (SIGKILL, in a child
// process) after its send reached Feishu and before it heard back, so that
// the outbox item is still pending. After a restart on the same file the
// item goes out again with the same uuid, and Feishu shows the message once.
func TestFeishuKillBetweenSendAndRecord(t *testing.T) {
	if cfg := os.Getenv(feishuKillEnv); cfg != "" {
		serveUntilKilled(t, cfg)
		return
	}
	held := make(chan feishufake.Message, 1)
	release := make(chan struct{})
	var first atomic.Bool
	fake := feishufake.Start(t, &feishufake.Server{AppID: "cli_e2e_kill", AppSecret: "app-secret-e2e", BotOpenID: "ou_bot",
		EncryptKey: "encrypt-key-e2e", VerificationToken: "verify-token-e2e"})
	fake.OnSend = func(m feishufake.Message) {
		if first.CompareAndSwap(false, true) {
			held <- m
			<-release // the answer to the first send waits for the kill
		}
	}
	defer close(release)

	dir := t.TempDir()
	db := filepath.Join(dir, "loopbot.db")
	addr := freeAddr(t)
	w := &feishuWorld{t: t, mode: "websocket", fake: fake}
	cfgText := strings.NewReplacer("%LISTEN%", addr, "%DB%", filepath.ToSlash(db), "%MODE%", "websocket",
		"%APPID%", fake.AppID, "%BASE%", fake.URL()).Replace(feishuConfig)
	cfg := filepath.Join(dir, "child.toml")
	writeFile(t, cfg, cfgText)

	var out bytes.Buffer
	cmd := exec.Command(os.Args[0], "-test.run=^TestFeishuKillBetweenSendAndRecord$")
	cmd.Env = append(os.Environ(), feishuKillEnv+"="+cfg)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()
	waitReady(t, "http://"+addr, &out)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := fake.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	// alice writes to the bot; the reply is written to the outbox with the
	// event, then sent.
	go func() {
		_, _ = fake.Push(ctx, fake.MessageEvent("ev-kill", "om_kill", "p2p", "oc_dm_alice", "ou_alice", "/help"), 0)
	}()
	var m feishufake.Message
	select {
	case m = <-held:
	case <-ctx.Done():
		t.Fatalf("the reply never reached Feishu; child output:\n%s", out.String())
	}
	_ = cmd.Process.Kill() // SIGKILL while Feishu's answer is held
	_ = cmd.Wait()
	killed = true

	// Back on the same file: the pending item goes out again, same uuid.
	w.conns = 1
	w.ctx = ctx
	w.start(db)
	if err := w.ta.app.dispatcher.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if n := fake.SendCalls(m.UUID); n < 2 {
		t.Fatalf("the reply was sent %d times; want it sent again after the restart", n)
	}
	if got := w.cards("ou_alice"); len(got) != 1 || got[0].ID != m.ID {
		t.Fatalf("alice sees %d messages, want the one reply once", len(got))
	}
}
