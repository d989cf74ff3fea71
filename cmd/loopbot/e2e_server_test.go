package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"go.etcd.io/bbolt"
)

// guardWait is how long a test waits for what the server must do on its
// own (close a connection, finish a shutdown) before it says that it never
// happened. It bounds a failure; nothing is measured against it.
const guardWait = 30 * time.Second

// logRecords is a slog.Handler that keeps every record's message and
// attributes, for tests that count what was logged.
type logRecords struct {
	mu      sync.Mutex
	records []string
	notify  chan struct{}
}

func newLogRecords() *logRecords { return &logRecords{notify: make(chan struct{}, 1000)} }

func (l *logRecords) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecords) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logRecords) WithGroup(string) slog.Handler            { return l }
func (l *logRecords) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Level.String() + " " + r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	l.mu.Lock()
	l.records = append(l.records, b.String())
	l.mu.Unlock()
	select {
	case l.notify <- struct{}{}:
	default:
	}
	return nil
}

// matching returns the records that contain s.
func (l *logRecords) matching(s string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.records {
		if strings.Contains(r, s) {
			out = append(out, r)
		}
	}
	return out
}

// waitFor waits until a record contains s, and fails after guardWait.
func (l *logRecords) waitFor(tb testing.TB, s string) {
	tb.Helper()
	deadline := time.After(guardWait)
	for len(l.matching(s)) == 0 {
		select {
		case <-l.notify:
		case <-deadline:
			tb.Fatalf("nothing logged %q; logged:\n%s", s, strings.Join(l.matching(""), "\n"))
		}
	}
}

// startWith starts the app of testConfig over db with the given HTTP
// limits, after prepare has run on the new App's store, and logs into logs.
func startWith(tb testing.TB, db string, t httpTimeouts, logs *logRecords, prepare func(*App)) (*App, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "config.toml")
	writeFile(tb, path, strings.ReplaceAll(testConfig, "%DB%", filepath.ToSlash(db)))
	cfg, err := LoadConfig(path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	app, err := NewApp(context.Background(), cfg, slog.New(logs))
	if err != nil {
		tb.Fatal(err)
	}
	app.timeouts = t
	if prepare != nil {
		prepare(app)
	}
	addr, err := app.Start(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return app, addr
}

// waitClosed reads conn until the server closes it, failing when it stays
// open for guardWait. It returns what was read.
func waitClosed(tb testing.TB, conn net.Conn, what string) []byte {
	tb.Helper()
	conn.SetReadDeadline(time.Now().Add(guardWait))
	data, err := io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		tb.Fatalf("%s: the server never closed the connection", what)
	}
	return data
}

// TestServerClosesIdleAndSlowConnections checks the server's read limits: an
// idle keep-alive connection and a body trickled a byte at a time are both
// closed by the server.
func TestServerClosesIdleAndSlowConnections(t *testing.T) {
	limits := defaultTimeouts
	limits.Idle, limits.Read, limits.ReadHeader = 300*time.Millisecond, 500*time.Millisecond, 500*time.Millisecond
	app, addr := startWith(t, filepath.Join(t.TempDir(), "loopbot.db"), limits, newLogRecords(), nil)
	defer app.Close()

	t.Run("idle keep-alive", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil || resp.StatusCode != 200 || resp.Close {
			t.Fatalf("healthz: %v %+v", err, resp)
		}
		io.Copy(io.Discard, resp.Body)
		// Keep the connection and send nothing: the server closes it.
		conn.SetReadDeadline(time.Now().Add(guardWait))
		if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
			t.Fatalf("idle keep-alive: read %v, want the server to close it (EOF)", err)
		}
	})

	t.Run("trickled body", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		const size = 100000
		fmt.Fprintf(conn, "POST /playground/api/messages HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", addr, size)
		sent := make(chan int, 1)
		go func() {
			n := 0
			for ; n < size; n++ {
				if _, err := conn.Write([]byte(" ")); err != nil {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			sent <- n
		}()
		waitClosed(t, conn, "trickled body")
		conn.Close()
		if n := <-sent; n >= size {
			t.Fatalf("the whole trickled body (%d bytes) was read", n)
		}
	})
}

// fillStore writes about 16 MB into the store, so that a backup is far
// larger than what the sockets buffer.
func fillStore(a *App) {
	big := strings.Repeat("x", 1<<20)
	for i := range 16 {
		_ = a.store.Update(context.Background(), func(tx bot.Tx) error {
			return tx.PutMeta(fmt.Sprintf("test/fill/%d", i), []byte(big))
		})
	}
}

// stalledBackup asks for a backup and reads only the start of the answer,
// then stops reading, as a stalled download does.
func stalledBackup(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	conn.(*net.TCPConn).SetReadBuffer(4096)
	fmt.Fprintf(conn, "POST /api/v1/backup HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer test-token\r\nContent-Length: 0\r\n\r\n", addr)
	resp, err := http.ReadResponse(bufio.NewReaderSize(conn, 4096), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("backup: %v %+v", err, resp)
	}
	return conn
}

// TestStalledBackupIsCut checks the rolling write deadline: a client that
// stops reading a backup is cut off, the backup ends with a timeout instead
// of holding its read transaction, and nothing is left for a shutdown to
// wait for, though its grace is long.
func TestStalledBackupIsCut(t *testing.T) {
	limits := defaultTimeouts
	limits.Chunk, limits.Write, limits.Grace = 300*time.Millisecond, time.Hour, time.Hour
	logs := newLogRecords()
	app, addr := startWith(t, filepath.Join(t.TempDir(), "loopbot.db"), limits, logs, fillStore)
	conn := stalledBackup(t, addr)
	defer conn.Close()
	logs.waitFor(t, "backup failed")
	if got := logs.matching("backup failed"); !strings.Contains(got[0], "timeout") {
		t.Errorf("the backup failed for another reason than its write deadline: %s", got[0])
	}
	done := make(chan error, 1)
	go func() { done <- app.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(guardWait):
		t.Fatal("Close waited for the stalled backup: it was not cut")
	}
}

// TestCloseWithStalledBackup checks that a shutdown finishes within its
// grace although a client stalls a backup download, and that the store
// closes (bbolt's Close waits for the backup's read transaction).
func TestCloseWithStalledBackup(t *testing.T) {
	limits := defaultTimeouts
	limits.Chunk, limits.Write, limits.Grace = time.Hour, time.Hour, 300*time.Millisecond
	app, addr := startWith(t, filepath.Join(t.TempDir(), "loopbot.db"), limits, newLogRecords(), fillStore)
	conn := stalledBackup(t, addr)
	defer conn.Close()
	done := make(chan error, 1)
	go func() { done <- app.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(guardWait):
		t.Fatal("Close never finished while a client stalled a backup")
	}
}

// corruptTasksPage overwrites the page header of the tasks bucket's root
// page in the store file at path, as a damaged disk would.
func corruptTasksPage(tb testing.TB, path string) {
	tb.Helper()
	b, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		tb.Fatal(err)
	}
	var root uint64
	b.View(func(tx *bbolt.Tx) error {
		root = uint64(tx.Bucket([]byte("tasks")).Root())
		return nil
	})
	page := int64(b.Info().PageSize)
	b.Close()
	if root == 0 {
		tb.Fatal("the tasks bucket is inline; the test needs it on its own page")
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var hdr [16]byte
	binary.NativeEndian.PutUint64(hdr[0:], root)
	binary.NativeEndian.PutUint16(hdr[8:], 0x7777)
	if _, err := f.WriteAt(hdr[:], int64(root)*page); err != nil {
		tb.Fatal(err)
	}
}

// TestDamagedStoreAnswers500 runs the service over a store with a really
// corrupted page: the admin API answers 500 with the internal error, the
// playground answers an internal error, the connection survives, and each
// failure is logged once.
func TestDamagedStoreAnswers500(t *testing.T) {
	db := filepath.Join(t.TempDir(), "loopbot.db")
	app, _ := startWith(t, db, defaultTimeouts, newLogRecords(), func(a *App) {
		_ = a.store.Update(context.Background(), func(tx bot.Tx) error {
			for range 200 {
				id, err := tx.NextTaskID()
				if err != nil {
					return err
				}
				if err := tx.PutTask(bot.Task{ID: id, Title: strings.Repeat("任务", 50), Assignee: "playground:bob", Status: bot.StatusAccepted}); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err := app.Close(); err != nil {
		t.Fatal(err)
	}
	corruptTasksPage(t, db)

	logs := newLogRecords()
	app, addr := startWith(t, db, defaultTimeouts, logs, nil)
	defer app.Close()
	client := &http.Client{}
	req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/tasks", nil)
	req.Header.Set("Authorization", "Bearer test-token")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET /api/v1/tasks over a damaged page: %v (the connection was dropped)", err)
	}
	var out struct {
		Error struct{ Code, Message string }
	}
	json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError || out.Error.Code != bot.EINTERNAL {
		t.Fatalf("GET /api/v1/tasks: %d %+v; want 500 internal", resp.StatusCode, out)
	}
	if got := logs.matching("ERROR"); len(got) != 1 || !strings.Contains(got[0], "damaged") {
		t.Fatalf("logged %d errors, want the one failure once:\n%s", len(got), strings.Join(got, "\n"))
	}
	if strings.Contains(strings.Join(logs.matching(""), "\n"), "goroutine ") {
		t.Error("a stack trace was logged")
	}

	// The playground: /tasks reads the damaged page.
	before := len(logs.matching("ERROR"))
	body := strings.NewReader(`{"from":"bob","chat":"dm","text":"/tasks"}`)
	resp, err = client.Post("http://"+addr+"/playground/api/messages", "application/json", body)
	if err != nil {
		t.Fatalf("playground over a damaged page: %v", err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("playground /tasks: %d %s", resp.StatusCode, raw)
	}
	if got := logs.matching("ERROR")[before:]; len(got) != 1 || !strings.Contains(got[0], "damaged") {
		t.Fatalf("playground /tasks logged %d errors, want the one failure once:\n%s", len(got), strings.Join(got, "\n"))
	}
}

// TestWriteDeadlinesCountFromTheResponse checks writeDeadlines: a handler
// that works longer than the write limit before it answers still answers,
// and a response that its client stops reading is cut off.
func TestWriteDeadlinesCountFromTheResponse(t *testing.T) {
	const limit = 200 * time.Millisecond
	wrote := make(chan error, 1)
	srv := httptest.NewServer(writeDeadlines(limit, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(3 * limit) // the work, before the answer starts
			io.WriteString(w, "done")
			return
		}
		chunk := make([]byte, 1<<20)
		var err error
		for i := 0; i < 64 && err == nil; i++ {
			_, err = w.Write(chunk)
		}
		wrote <- err
	})))
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/slow")
	if err != nil {
		t.Fatalf("a slow handler's answer was lost: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "done" {
		t.Fatalf("slow handler: %q", body)
	}

	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
	select {
	case err := <-wrote:
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("the unread response ended with %v, want a write timeout", err)
		}
	case <-time.After(guardWait):
		t.Fatal("a response that nobody reads was never cut off")
	}
}
