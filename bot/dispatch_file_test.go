package bot_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/store/storetest"
)

// fileMessenger is a fakeMessenger that can also send files.
type fileMessenger struct {
	*fakeMessenger
	max int64
	// failFile decides the outcome of each SendFile; nil means success.
	failFile func(n int) error

	fmu   sync.Mutex
	tries int
	files []sentFile
}

type sentFile struct {
	msg  bot.OutMessage
	file bot.OutFile
}

func (m *fileMessenger) MaxFileSize() int64 { return m.max }

func (m *fileMessenger) TakesFile(name string) bool { return !strings.HasSuffix(name, ".md") }

func (m *fileMessenger) SendFile(ctx context.Context, msg bot.OutMessage, f bot.OutFile) (string, error) {
	m.fmu.Lock()
	defer m.fmu.Unlock()
	m.tries++
	m.files = append(m.files, sentFile{msg: msg, file: f})
	if m.failFile != nil {
		if err := m.failFile(m.tries); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("file-msg-%d", m.tries), nil
}

// maker makes a file's bytes and counts how often it was asked.
type maker struct {
	mu    sync.Mutex
	calls int
	err   error
	size  int
}

func (mk *maker) make(ctx context.Context, f bot.File, w io.Writer) error {
	mk.mu.Lock()
	mk.calls++
	n := mk.calls
	mk.mu.Unlock()
	if mk.err != nil {
		return mk.err
	}
	body := fmt.Sprintf("%s made on call %d;", f.Name, n)
	if mk.size > 0 {
		body = strings.Repeat("x", mk.size)
	}
	_, err := io.WriteString(w, body)
	return err
}

// queueFile stores a file and queues the item that sends it, with the link
// text as fallback.
func queueFile(tb testing.TB, st bot.Store, target bot.Target) (item, file uint64) {
	return queueNamed(tb, st, target, "loopbot-P1-2026-12-01.xlsx")
}

func queueNamed(tb testing.TB, st bot.Store, target bot.Target, name string) (item, file uint64) {
	tb.Helper()
	err := st.Update(context.Background(), func(tx bot.Tx) (err error) {
		if file, err = tx.PutFile(bot.File{Name: name, Format: "xlsx", Project: 1}); err != nil {
			return err
		}
		item, err = tx.Enqueue(bot.OutboxItem{Op: bot.OpSend, Target: target, FileID: file, Text: "link: https://x/files/t"})
		return err
	})
	if err != nil {
		tb.Fatalf("queue file: %v", err)
	}
	return item, file
}

func fileGone(tb testing.TB, st bot.Store, id uint64) bool {
	tb.Helper()
	var code string
	_ = st.View(context.Background(), func(tx bot.Tx) error {
		_, err := tx.File(id)
		code = bot.ErrorCode(err)
		return nil
	})
	return code == bot.ENOTFOUND
}

func fileDispatcher(st bot.Store, m bot.Messenger, mk *maker) *bot.Dispatcher {
	return bot.NewDispatcher(bot.DispatcherConfig{
		Store:       st,
		Messengers:  map[string]bot.Messenger{m.Platform(): m},
		MinBackoff:  1,
		MaxBackoff:  2,
		MaxAttempts: 4,
		MakeFile:    mk.make,
	})
}

// TestDispatcherSendsFile makes the file once, uploads the same bytes on
// every retry with the item's key, and drops the file once it went out.
func TestDispatcherSendsFile(t *testing.T) {
	st := storetest.Open(t)
	m := &fileMessenger{fakeMessenger: newMessenger(bot.Feishu), max: 1 << 20,
		failFile: func(n int) error {
			if n <= 2 {
				return bot.Temporary(errFlaky, 0)
			}
			return nil
		}}
	mk := &maker{}
	target := bot.Group(bot.Feishu, "oc_1")
	item, file := queueFile(t, st, target)

	drainAll(t, fileDispatcher(st, m, mk), st)

	if mk.calls != 1 {
		t.Errorf("file made %d times, want once: retries upload the kept bytes", mk.calls)
	}
	if len(m.files) != 3 {
		t.Fatalf("%d uploads, want 3 (two failed)", len(m.files))
	}
	for _, f := range m.files {
		if f.file.Name != "loopbot-P1-2026-12-01.xlsx" || string(f.file.Data) != "loopbot-P1-2026-12-01.xlsx made on call 1;" {
			t.Errorf("uploaded %q = %q, want the file made once", f.file.Name, f.file.Data)
		}
		if f.msg.IdemKey != idemKeys(item)[0] || f.msg.Target != target || f.msg.Text != "" {
			t.Errorf("file message %+v, want the item's key and target and no text", f.msg)
		}
	}
	if _, sent, _ := m.snapshot(); len(sent) != 0 {
		t.Errorf("texts sent %+v, want none: the file went out", sent)
	}
	if !fileGone(t, st, file) {
		t.Error("the file is still stored after it went out")
	}
}

// TestDispatcherFileFallsBackToLink sends the item's link, once, when the
// file cannot go out for good.
func TestDispatcherFileFallsBackToLink(t *testing.T) {
	tests := []struct {
		name       string
		file       string // the file's name; "" for an xlsx
		send       bool   // whether the messenger is a FileSender
		max        int64
		fail       func(int) error
		makeErr    error
		wantUpload int
	}{
		{"type not taken", "report.md", true, 1 << 20, nil, nil, 0},
		{"permission refused", "", true, 1 << 20, func(int) error { return bot.Permanent(errors.New("code 99991672: no scope")) }, nil, 1},
		{"tries exhausted", "", true, 1 << 20, func(int) error { return bot.Temporary(errFlaky, 0) }, nil, 4},
		{"too large", "", true, 10, nil, nil, 0},
		{"project gone", "", true, 1 << 20, nil, bot.Errorf(bot.ENOTFOUND, "project P1 not found"), 0},
		{"no file messages", "", false, 0, nil, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := storetest.Open(t)
			fm := &fileMessenger{fakeMessenger: newMessenger(bot.Feishu), max: tt.max, failFile: tt.fail}
			var m bot.Messenger = fm
			if !tt.send {
				m = fm.fakeMessenger
			}
			target := bot.DM("feishu:ou_1")
			name := tt.file
			if name == "" {
				name = "loopbot-P1-2026-12-01.xlsx"
			}
			item, file := queueNamed(t, st, target, name)
			mk := &maker{err: tt.makeErr}

			drainAll(t, fileDispatcher(st, m, mk), st)

			if tt.file != "" && mk.calls != 0 {
				t.Errorf("the file was made %d times, for nothing", mk.calls)
			}

			if len(fm.files) != tt.wantUpload {
				t.Errorf("%d uploads, want %d", len(fm.files), tt.wantUpload)
			}
			_, sent, _ := fm.snapshot()
			if len(sent) != 1 || sent[0].Text != "link: https://x/files/t" || sent[0].IdemKey != idemKeys(item)[0] {
				t.Fatalf("texts sent %+v, want the link once, with the item's key", sent)
			}
			if !fileGone(t, st, file) {
				t.Error("the file is still stored")
			}
			if dead := deadLetters(t, st); len(dead) != 0 {
				t.Errorf("dead letters %+v, want none", dead)
			}
		})
	}
}

// TestDispatcherFileLinkFailsOnce dead-letters the link when it fails for
// good too: the file is not tried again.
func TestDispatcherFileLinkFailsOnce(t *testing.T) {
	st := storetest.Open(t)
	fm := &fileMessenger{fakeMessenger: newMessenger(bot.Feishu), max: 1 << 20,
		failFile: func(int) error { return bot.Permanent(errors.New("file refused")) }}
	fm.fail = func(bot.OutMessage) error { return bot.Permanent(errors.New("chat gone")) }
	item, _ := queueFile(t, st, bot.DM("feishu:ou_1"))

	drainAll(t, fileDispatcher(st, fm, &maker{}), st)

	calls, _, _ := fm.snapshot()
	dead := deadLetters(t, st)
	if len(fm.files) != 1 || calls != 1 || len(dead) != 1 || dead[0].ID != item || dead[0].FileID != 0 {
		t.Fatalf("uploads %d, link sends %d, dead %+v; want one of each and the item dead as its link", len(fm.files), calls, dead)
	}
	if !strings.Contains(dead[0].LastError, "chat gone") {
		t.Errorf("last error %q, want the link's", dead[0].LastError)
	}
}
