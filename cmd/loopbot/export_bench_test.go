package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/store"
)

// The export benchmarks (docs/benchmarks.md):
//
//	go test -run XXX -bench Export -benchtime 1x -timeout 0 ./cmd/loopbot/
//
// They build (once, kept in the temp folder) a store of 1,000 playground
// people in one project with 4 tasks each, who checked in on 250 working
// days: 250,000 check-ins, 1,000,000 check-in rows, and run `loopbot export`
// (the real binary) on it in a child process. LOOPBOT_EXPORT_ROWS
// changes the row count (a multiple of 4,000).

// exportBenchDB returns the benchmark's store file, building it if needed.
func exportBenchDB(tb testing.TB) string {
	tb.Helper()
	rows := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("LOOPBOT_EXPORT_ROWS")); err == nil && v >= 4000 {
		rows = v
	}
	path := filepath.Join(os.TempDir(), fmt.Sprintf("loopbot-export-bench-%d.db", rows))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if os.Getenv("LOOPBOT_EXPORT_BENCH_BUILD") == "" {
		// Built by a child process (TestExportBenchDB): a child that os/exec
		// starts shares this process's memory until it runs the binary, and
		// Linux counts this process's peak resident memory then in the
		// child's ru_maxrss, so building the store here (300 MiB resident)
		// would make every export's peak RSS read 300 MiB.
		cmd := exec.Command(os.Args[0], "-test.run=^TestExportBenchDB$", "-test.timeout=0")
		cmd.Env = append(os.Environ(), "LOOPBOT_EXPORT_BENCH_BUILD=1")
		if msg, err := cmd.CombinedOutput(); err != nil {
			tb.Fatalf("building the benchmark store: %v\n%s", err, msg)
		}
		if _, err := os.Stat(path); err != nil {
			tb.Fatalf("building the benchmark store: %v", err)
		}
		return path
	}
	tmp := path + ".building"
	os.Remove(tmp)
	start := time.Date(2025, 12, 1, 9, 0, 0, 0, shanghai)
	db, err := store.Open(tmp, store.Options{Now: func() time.Time { return start }})
	if err != nil {
		tb.Fatal(err)
	}
	const people, perPerson = 1000, 4
	days := rows / (people * perPerson)
	ctx := context.Background()
	ids := make([]bot.PersonID, people)
	err = db.Update(ctx, func(tx bot.Tx) error {
		p := bot.Project{ID: 1, Name: "Bench 项目", Owner: "playground:alice", Start: bot.DateOf(start), CreatedAt: start}
		for i := range ids {
			ids[i] = bot.PersonID(fmt.Sprintf("playground:u%04d", i))
			p.Members = append(p.Members, ids[i])
			if err := tx.PutPerson(bot.Person{ID: ids[i], Name: fmt.Sprintf("员工 %04d", i), CreatedAt: start}); err != nil {
				return err
			}
			for k := range perPerson {
				id := uint64(i*perPerson + k + 1)
				t := bot.Task{ID: id, Project: 1, Title: fmt.Sprintf("任务 %d：接口与联调", id), Assignee: ids[i], Assigner: "playground:alice",
					Due: bot.DateOf(start).AddDays(400), Status: bot.StatusAccepted, Priority: bot.PrioNormal, CreatedAt: start}
				if err := tx.PutTask(t); err != nil {
					return err
				}
			}
		}
		return tx.PutProject(p)
	})
	if err != nil {
		tb.Fatal(err)
	}
	day := bot.DateOf(start)
	for d := 0; d < days; d++ {
		for day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
			day = day.AddDays(1)
		}
		err := db.Update(ctx, func(tx bot.Tx) error {
			for i, id := range ids {
				ci := bot.CheckIn{Person: id, Day: day, SubmittedAt: day.At(10, 0, shanghai)}
				for k := range perPerson {
					ci.Answers = append(ci.Answers, bot.CheckInAnswer{Task: uint64(i*perPerson + k + 1), Progress: (d + k) % 101,
						Status: bot.OnTrack, Hours: 2, Note: "按计划推进"})
				}
				if err := tx.PutCheckIn(ci); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
		day = day.AddDays(1)
	}
	if err := db.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		tb.Fatal(err)
	}
	return path
}

// TestExportBenchDB builds the export benchmarks' store, in the child
// process that exportBenchDB starts; otherwise it is skipped.
func TestExportBenchDB(t *testing.T) {
	if os.Getenv("LOOPBOT_EXPORT_BENCH_BUILD") == "" {
		t.Skip("run by the export benchmarks")
	}
	exportBenchDB(t)
}

// loopbotBinary builds the real loopbot binary once, for the benchmarks'
// child processes.
var loopbotBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "loopbot-bench-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "loopbot")
	if msg, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, msg)
	}
	return bin, nil
})

// child runs the loopbot binary with args and returns its wall and CPU
// (user + system) time and its peak RSS in bytes (getrusage's ru_maxrss).
func child(b *testing.B, args ...string) (time.Duration, time.Duration, int64) {
	b.Helper()
	bin, err := loopbotBinary()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = b.TempDir() // no config.toml: the defaults
	began := time.Now()
	msg, err := cmd.CombinedOutput()
	took := time.Since(began)
	if err != nil {
		b.Fatalf("loopbot %q: %v\n%s", args, err, msg)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return took, time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), ru.Maxrss * 1024
}

func benchmarkExport(b *testing.B, format string) {
	db := exportBenchDB(b)
	fi, _ := os.Stat(db)
	b.ResetTimer()
	for range b.N {
		_, _, base := child(b, "version")
		out := filepath.Join(b.TempDir(), "out."+format)
		took, cpu, rss := child(b, "export", "-db", db, "-format", format, "-o", out)
		size := fileSize(b, out)
		b.ReportMetric(took.Seconds(), "s/export")
		b.ReportMetric(cpu.Seconds(), "s-cpu/export")
		b.ReportMetric(float64(rss)/(1<<20), "MiB-peak-rss")
		b.ReportMetric(float64(base)/(1<<20), "MiB-rss-of-version")
		b.ReportMetric(float64(size)/(1<<20), "MiB-output")
		b.ReportMetric(float64(fi.Size())/(1<<20), "MiB-db")
	}
}

// BenchmarkExportCSV1M: 1,000,000 check-in rows to CSV in a child process
// (target: under 10 s, peak RSS under 64 MiB).
func BenchmarkExportCSV1M(b *testing.B) { benchmarkExport(b, "csv") }

// BenchmarkExportXLSX1M: the same to XLSX (target: under 60 s, peak RSS
// under 64 MiB + 1.2 × the output).
func BenchmarkExportXLSX1M(b *testing.B) { benchmarkExport(b, "xlsx") }

// BenchmarkCommandDuringExport measures a command's latency (/progress,
// through the playground API, which returns once the bot has handled it)
// without and then during exports of the 1,000,000-row store through GET
// /api/v1/export, run back to back (target: p99 during ≤ 2 × without).
func BenchmarkCommandDuringExport(b *testing.B) {
	src := exportBenchDB(b)
	db := filepath.Join(b.TempDir(), "loopbot.db")
	copyFile(b, src, db)
	ta := startApp(b, testConfig, db)
	ta.reply("alice", "alpha", "/project new Alpha acceptance:off")
	ta.reply("alice", "alpha", "/task new 接口文档 @alice due:2026-12-30")
	const n = 1000
	measure := func() []time.Duration {
		out := make([]time.Duration, n)
		for i := range out {
			// The API answers once the bot has handled the command and its
			// replies are in the chat; reading the chat back is not part of
			// a command's latency (and grows with the chat).
			body := map[string]string{"from": "alice", "chat": "dm", "text": fmt.Sprintf("/progress T%d %d", 4002, i%100)}
			began := time.Now()
			if code := ta.call("POST", "/playground/api/messages", body, nil); code != 200 {
				b.Fatalf("/progress: status %d", code)
			}
			out[i] = time.Since(began)
		}
		slices.Sort(out)
		return out
	}
	b.ResetTimer()
	for range b.N {
		quiet := measure()
		var stop atomic.Bool
		var wg sync.WaitGroup
		var exports atomic.Int64
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				code, _, _ := downloadAuth(b, ta.base+"/api/v1/export?format=csv")
				if code != 200 {
					b.Errorf("export: %d", code)
					return
				}
				exports.Add(1)
			}
		}()
		time.Sleep(200 * time.Millisecond) // the export's read transaction is open
		busy := measure()
		stop.Store(true)
		wg.Wait()
		p99 := func(d []time.Duration) float64 { return float64(d[len(d)*99/100]) / float64(time.Millisecond) }
		b.ReportMetric(p99(quiet), "ms-p99-quiet")
		b.ReportMetric(p99(busy), "ms-p99-during-export")
		b.ReportMetric(p99(busy)/p99(quiet), "ratio")
		b.ReportMetric(float64(exports.Load()), "exports")
	}
}

func fileSize(tb testing.TB, path string) int64 {
	tb.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return fi.Size()
}
