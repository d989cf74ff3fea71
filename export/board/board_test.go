package board

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/loopbot/loopbot/bot"
)

func testHandler(data func(context.Context, bot.Link) (any, error)) http.Handler {
	return Handler(Config{
		Verify: func(token string) (bot.Link, error) {
			switch token {
			case "good":
				return bot.Link{Kind: bot.LinkBoard, Project: 7}, nil
			case "file":
				return bot.Link{Kind: bot.LinkFile, Project: 7}, nil
			case "old":
				return bot.Link{Kind: bot.LinkBoard, Project: 7}, bot.ErrLinkExpired
			}
			return bot.Link{}, bot.ErrLinkInvalid
		},
		Data:   data,
		Logger: slog.New(slog.DiscardHandler),
	})
}

func do(h http.Handler, method, path string) (*http.Response, string) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	b, _ := io.ReadAll(rec.Result().Body)
	return rec.Result(), string(b)
}

func TestHandler(t *testing.T) {
	var asked []uint64
	h := testHandler(func(_ context.Context, l bot.Link) (any, error) {
		asked = append(asked, l.Project)
		if l.Project != 7 {
			return nil, bot.Errorf(bot.ENOTFOUND, "no project")
		}
		return map[string]string{"name": "<b>Apollo</b>"}, nil
	})
	for _, c := range []struct {
		method, path string
		status       int
		ctype, body  string
	}{
		{"GET", "/board/good", 200, "text/html; charset=utf-8", `src="/board/good/board.js"`},
		{"HEAD", "/board/good", 200, "text/html; charset=utf-8", ""},
		{"GET", "/board/good/data.json", 200, "application/json; charset=utf-8", `"name":"\u003cb\u003eApollo\u003c/b\u003e"`},
		{"GET", "/board/good/board.js", 200, "text/javascript; charset=utf-8", "data.json"},
		{"GET", "/board/good/board.css", 200, "text/css; charset=utf-8", "--red"},
		{"GET", "/board/good/index.html", 404, "", ""},
		{"GET", "/board/good/web/board.js", 404, "", ""},
		{"POST", "/board/good/data.json", 405, "", ""},
		{"GET", "/board/file", 404, "text/html; charset=utf-8", "无效"},
		{"GET", "/board/file/data.json", 404, "", ""},
		{"GET", "/board/forged/data.json", 404, "", "not valid"},
		{"GET", "/board/old", 410, "text/html; charset=utf-8", "expired"},
		{"GET", "/board/old/data.json", 410, "", "/board"},
		{"GET", "/board/", 404, "", ""},
	} {
		resp, body := do(h, c.method, c.path)
		if resp.StatusCode != c.status {
			t.Errorf("%s %s: status %d, want %d", c.method, c.path, resp.StatusCode, c.status)
		}
		if c.ctype != "" && resp.Header.Get("Content-Type") != c.ctype {
			t.Errorf("%s %s: Content-Type %q, want %q", c.method, c.path, resp.Header.Get("Content-Type"), c.ctype)
		}
		if !strings.Contains(body, c.body) {
			t.Errorf("%s %s: body %.200q lacks %q", c.method, c.path, body, c.body)
		}
		if resp.Header.Get("Referrer-Policy") != "no-referrer" || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s %s: headers %v", c.method, c.path, resp.Header)
		}
	}
	if len(asked) != 1 {
		t.Errorf("data asked %d times (%v), want once: only a good token reaches it", len(asked), asked)
	}
}

func TestHandlerDataErrors(t *testing.T) {
	gone := testHandler(func(context.Context, bot.Link) (any, error) { return nil, bot.Errorf(bot.ENOTFOUND, "gone") })
	if resp, body := do(gone, "GET", "/board/good/data.json"); resp.StatusCode != 404 || !strings.Contains(body, "no longer exists") {
		t.Errorf("deleted project: %d %q", resp.StatusCode, body)
	}
	broken := testHandler(func(context.Context, bot.Link) (any, error) { return nil, errors.New("disk on fire at /secret/path") })
	if resp, body := do(broken, "GET", "/board/good/data.json"); resp.StatusCode != 500 || strings.Contains(body, "secret") {
		t.Errorf("store error: %d %q, want 500 without the error", resp.StatusCode, body)
	}
}
