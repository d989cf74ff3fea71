// Package benchratio is the small harness behind loopbot's benchmarks: it
// measures the raw bbolt commit (storetest.RawCommitBaseline) and bbolt's
// DB.Batch writes (storetest.BatchWriteBaseline) once per test binary, in the same run as the benchmarks, and reports what a benchmark
// costs as a multiple of that commit, beside ns/op. Absolute figures depend
// on the disk; the ratio to a commit on the same disk, measured seconds
// apart, is what compares across machines and runs.
//
// testing.Benchmark cannot run inside a benchmark: every benchmark function
// runs holding the testing package's benchmark lock, which
// testing.Benchmark takes too, so the call deadlocks. The baseline is
// therefore measured from TestMain, before the benchmarks start:
//
//	func TestMain(m *testing.M) { os.Exit(benchratio.Main(m)) }
//
// It is for tests only and imports testing.
package benchratio

import (
	"flag"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loopbot/loopbot/store/storetest"
)

// minBaselineTime is how long the baseline runs at least. Benchmarks are
// often run with -benchtime 1x, which testing.Benchmark would otherwise
// apply to the baseline too: one commit into a fresh file is noise.
const minBaselineTime = time.Second

var (
	once     sync.Once
	raw      testing.BenchmarkResult
	batch    testing.BenchmarkResult
	measured atomic.Bool
)

// Main parses the flags, measures the baseline when benchmarks were asked
// for (-test.bench), and runs the tests and benchmarks. A plain go test
// costs nothing more. Its result is TestMain's exit code.
func Main(m *testing.M) int {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f != nil && f.Value.String() != "" {
		Measure()
	}
	return m.Run()
}

// Measure runs the baseline, the first time it is called in the process.
// It must not be called from a benchmark (see the package comment).
func Measure() {
	once.Do(func() {
		raw = measure(storetest.RawCommitBaseline)
		batch = measure(storetest.BatchWriteBaseline)
		measured.Store(true)
	})
}

// RawCommit returns the cost of one raw bbolt commit, as measured by
// Measure. It fails tb when the baseline was not measured, or failed.
func RawCommit(tb testing.TB) time.Duration {
	tb.Helper()
	if !measured.Load() {
		tb.Fatal("benchratio: no raw commit baseline; the package needs func TestMain(m *testing.M) { os.Exit(benchratio.Main(m)) }")
	}
	if raw.N == 0 {
		tb.Fatal("benchratio: the raw commit baseline failed")
	}
	return time.Duration(raw.NsPerOp())
}

// BatchWrites returns the writes per second of bbolt's DB.Batch from
// storetest.BatchWriters goroutines, as measured by Measure. It fails tb
// like RawCommit.
func BatchWrites(tb testing.TB) float64 {
	tb.Helper()
	RawCommit(tb)
	if batch.N == 0 || batch.T <= 0 {
		tb.Fatal("benchratio: the DB.Batch baseline failed")
	}
	return float64(batch.N) / batch.T.Seconds()
}

// measure runs a baseline for at least minBaselineTime, whatever
// -benchtime says: testing.Benchmark copies the flag's value when it starts,
// so the flag is raised for the call and put back at once, before any
// benchmark has started.
func measure(fn func(*testing.B)) testing.BenchmarkResult {
	if f := flag.Lookup("test.benchtime"); f != nil {
		old := f.Value.String()
		if d, err := time.ParseDuration(old); err != nil || d < minBaselineTime {
			if f.Value.Set(minBaselineTime.String()) == nil {
				defer func() { _ = f.Value.Set(old) }()
			}
		}
	}
	return testing.Benchmark(fn)
}

// Report reports, after the benchmark loop, the throughput and the ratios
// of a benchmark that did n units of work (commands, items, cards) in
// b.Elapsed():
//
//   - "<unit>/s": units per second;
//   - "x_raw_commit": the time per unit over the time of one raw commit;
//   - "raw_commits/s": the baseline itself, so that the line stands alone.
func Report(b *testing.B, n int, unit string) {
	b.Helper()
	rawCommit := RawCommit(b)
	elapsed := b.Elapsed()
	if n <= 0 || elapsed <= 0 {
		return
	}
	perUnit := float64(elapsed) / float64(n)
	b.ReportMetric(float64(n)/elapsed.Seconds(), unit+"/s")
	b.ReportMetric(perUnit/float64(rawCommit), "x_raw_commit")
	b.ReportMetric(float64(time.Second)/float64(rawCommit), "raw_commits/s")
}
