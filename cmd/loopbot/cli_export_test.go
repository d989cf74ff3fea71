package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/store"
)

// seeded returns a stopped service's database file with project P1 and its
// task T1.
func seeded(t *testing.T) string {
	t.Helper()
	ta := startApp(t, testConfig, "")
	ta.reply("alice", "alpha", "/project new Alpha acceptance:off")
	ta.reply("alice", "alpha", "/task new 接口文档 @bob due:2026-11-25")
	ta.stop()
	return ta.db
}

func runCLI(args ...string) (string, string, error) {
	var stdout, stderr bytes.Buffer
	err := Run(context.Background(), args, []string{"LOOPBOT_SERVER_ADMIN_TOKEN=test-token"}, &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

// TestCLIExportOffline exports a stopped service's file in each format, and
// refuses a file that a running loopbot holds, saying what to do instead.
func TestCLIExportOffline(t *testing.T) {
	db := seeded(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "p1.zip")
	if _, stderr, err := runCLI("export", "-db", db, "-project", "P1", "-format", "csv", "-o", out); err != nil {
		t.Fatalf("export: %v %s", err, stderr)
	}
	raw, _ := os.ReadFile(out)
	if tasks := zipFile(t, raw, "tasks.csv"); !strings.Contains(tasks, "接口文档") {
		t.Errorf("tasks.csv = %q", tasks)
	}
	md, _, err := runCLI("export", "-db", db, "-project", "P1", "-format", "md", "-o", "-")
	if err != nil || !strings.Contains(md, "# 周报 · Alpha") {
		t.Errorf("md to stdout: %v %q", err, md)
	}
	for _, bad := range [][]string{
		{"export", "-db", db, "-o", out, "-format", "pdf"},
		{"export", "-db", db, "-o", out, "-project", "X1"},
		{"export", "-db", db, "-o", out, "-from", "someday"},
		{"export", "-db", db},
	} {
		if _, _, err := runCLI(bad...); err != errUsage {
			t.Errorf("%q: err = %v, want a usage error", bad, err)
		}
	}
	if _, _, err := runCLI("export", "-db", db, "-project", "P7", "-o", out); err == nil || !strings.Contains(bot.ErrorMessage(err), "P7") {
		t.Errorf("unknown project: %v", err)
	}

	ta := startApp(t, testConfig, db)
	_, _, err = runCLI("export", "-db", ta.db, "-o", filepath.Join(dir, "x.xlsx"))
	if err == nil || !strings.Contains(err.Error(), "in use") || !strings.Contains(err.Error(), "/api/v1/export") {
		t.Errorf("export of a file in use: %v, want a refusal naming the admin API", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "x.xlsx")); err == nil {
		t.Error("a refused export left a file")
	}
}

// TestCLIBackup takes a hot backup through the admin API and an offline one,
// each verified; the offline one refuses a file in use.
func TestCLIBackup(t *testing.T) {
	ta := startApp(t, testConfig, "")
	ta.reply("alice", "alpha", "/project new Alpha acceptance:off")
	dir := t.TempDir()
	hot := filepath.Join(dir, "hot.db")
	stdout, stderr, err := runCLI("backup", "-url", ta.base, "-o", hot)
	if err != nil || !strings.Contains(stdout, "verified") {
		t.Fatalf("hot backup: %v %s %s", err, stdout, stderr)
	}
	if name := projectName(t, hot); name != "Alpha" {
		t.Errorf("hot backup holds project %q", name)
	}
	if _, _, err := runCLI("backup", "-db", ta.db, "-o", filepath.Join(dir, "x.db")); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("offline backup of a file in use: %v", err)
	}
	err = Run(context.Background(), []string{"backup", "-url", ta.base, "-o", filepath.Join(dir, "y.db")},
		[]string{"LOOPBOT_SERVER_ADMIN_TOKEN=wrong-token"}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("hot backup with a wrong token: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "y.db")); err == nil {
		t.Error("a failed backup left a file")
	}
	ta.stop()
	cold := filepath.Join(dir, "cold.db")
	if _, stderr, err := runCLI("backup", "-db", ta.db, "-o", cold); err != nil {
		t.Fatalf("offline backup: %v %s", err, stderr)
	}
	if name := projectName(t, cold); name != "Alpha" {
		t.Errorf("offline backup holds project %q", name)
	}
}

// TestBackupVerifies refuses a copy that does not verify: a truncated one
// leaves no file behind.
func TestBackupVerifies(t *testing.T) {
	db := seeded(t)
	raw, _ := os.ReadFile(db)
	out := filepath.Join(t.TempDir(), "b.db")
	_, err := writeVerified(context.Background(), out, func(w io.Writer) (int64, error) {
		n, err := w.Write(raw[:3*4096]) // the meta pages and one more: short of the last commit
		return int64(n), err
	})
	if err == nil {
		t.Fatal("a truncated copy verified")
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a copy that did not verify took the backup's name")
	}
	if err := store.Verify(context.Background(), db); err != nil {
		t.Errorf("the good file does not verify: %v", err)
	}
}

// TestDailyBackups runs the daily backup at store.backup_at on the fake
// clock and keeps the newest store.backup_keep.
func TestDailyBackups(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "backups")
	cfg := strings.Replace(testConfig, `path = "%DB%"`, `path = "%DB%"`+"\nbackup_keep = 2\nbackup_at = \"03:00\"\nbackup_dir = \""+filepath.ToSlash(dir)+"\"", 1)
	ta := startApp(t, cfg, "")
	ta.reply("alice", "alpha", "/project new Alpha acceptance:off")
	ta.at("2026-11-26 04:00")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{"loopbot-20261125-030000.db", "loopbot-20261126-030000.db"}
	if !slices.Equal(names, want) {
		t.Fatalf("backups = %q, want %q (three made, the newest two kept)", names, want)
	}
	for _, n := range names {
		if err := store.Verify(context.Background(), filepath.Join(dir, n)); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
}

func projectName(t *testing.T, path string) string {
	t.Helper()
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var p bot.Project
	if err := db.View(context.Background(), func(tx bot.Tx) (err error) { p, err = tx.Project(1); return err }); err != nil {
		t.Fatal(err)
	}
	return p.Name
}
