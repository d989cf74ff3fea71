package playground_test

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// request sends a raw request to the fixture's server with the given Host,
// headers and body, and returns the status and the body of the answer.
func (f *fixture) request(t *testing.T, method, path, host string, header map[string]string, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

const okMessage = `{"from":"bob","chat":"dm","text":"/help"}`

// TestContentTypeMustBeJSON checks that every API call with a body refuses,
// with 415, a body that is not declared application/json: a cross-site form
// or a no-cors fetch can only send text/plain and form types.
func TestContentTypeMustBeJSON(t *testing.T) {
	f := newFixture(t, true)
	bodies := map[string]string{
		"/playground/api/messages": okMessage,
		"/playground/api/actions":  `{"as":"bob","message_id":"1","action":"accept"}`,
		"/playground/api/clock":    `{"advance":"1h"}`,
	}
	for path, body := range bodies {
		for _, ct := range []string{"", "text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonp", "application/json-seq"} {
			code, answer := f.request(t, "POST", path, "", map[string]string{"Content-Type": ct}, body)
			if code != http.StatusUnsupportedMediaType || !strings.Contains(answer, "application/json") {
				t.Errorf("POST %s as %q: %d %s; want 415", path, ct, code, answer)
			}
		}
	}
	if got := f.h.got(); len(got) != 0 {
		t.Fatalf("the bot got %d events from refused bodies", len(got))
	}
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON"} {
		if code, answer := f.request(t, "POST", "/playground/api/messages", "", map[string]string{"Content-Type": ct}, okMessage); code != 200 {
			t.Errorf("POST as %q: %d %s", ct, code, answer)
		}
	}
}

// TestBodyMustBeUTF8 checks that a body that is not valid UTF-8 is refused
// with 400, wherever the bad bytes are, instead of becoming U+FFFD.
func TestBodyMustBeUTF8(t *testing.T) {
	f := newFixture(t, false)
	for _, bad := range []string{"\xff", "\xc3", "\xed\xa0\x80", "\xf4\x90\x80\x80", "ok \xe4\xbd", "\xc0\xaf"} {
		body := `{"from":"bob","chat":"dm","text":"/task new ` + bad + ` @bob"}`
		code, answer := f.request(t, "POST", "/playground/api/messages", "", map[string]string{"Content-Type": "application/json"}, body)
		if code != http.StatusBadRequest || !strings.Contains(answer, "UTF-8") {
			t.Errorf("body with %q: %d %s; want 400", bad, code, answer)
		}
	}
	if got := f.h.got(); len(got) != 0 {
		t.Fatalf("the bot got %d events from bodies that are not UTF-8", len(got))
	}
}

// TestHostAndOriginMustMatch checks that a request naming another Host (DNS
// rebinding) or sent by a page of another origin (CSRF) is refused with 403,
// on the page and on every API call, while the playground's own do work.
func TestHostAndOriginMustMatch(t *testing.T) {
	f := newFixture(t, true)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(f.srv.URL, "http://"))
	json := map[string]string{"Content-Type": "application/json"}
	calls := []struct{ method, path, body string }{
		{"GET", "/playground/", ""},
		{"GET", "/playground/api/people", ""},
		{"GET", "/playground/api/chats/dm:bob", ""},
		{"GET", "/playground/api/clock", ""},
		{"POST", "/playground/api/messages", okMessage},
		{"POST", "/playground/api/clock", `{"advance":"1h"}`},
	}
	badHosts := []string{"evil.example:" + port, "evil.example", "127.0.0.1:1", "localhost:1", "10.0.0.1:" + port, "127.0.0.1.evil.example:" + port}
	badOrigins := []string{"http://evil.example", "https://evil.example:" + port, "null", "http://127.0.0.1:1", "file://", "http://localhost.evil.example:" + port}
	for _, c := range calls {
		for _, host := range badHosts {
			if code, answer := f.request(t, c.method, c.path, host, json, c.body); code != http.StatusForbidden {
				t.Errorf("%s %s with Host %s: %d %s; want 403", c.method, c.path, host, code, answer)
			}
		}
		for _, origin := range badOrigins {
			h := map[string]string{"Content-Type": "application/json", "Origin": origin}
			if code, answer := f.request(t, c.method, c.path, "", h, c.body); code != http.StatusForbidden {
				t.Errorf("%s %s with Origin %s: %d %s; want 403", c.method, c.path, origin, code, answer)
			}
		}
		h := map[string]string{"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"}
		if code, _ := f.request(t, c.method, c.path, "", h, c.body); code != http.StatusForbidden {
			t.Errorf("%s %s from a cross-site fetch: %d; want 403", c.method, c.path, code)
		}
	}
	if got := f.h.got(); len(got) != 0 {
		t.Fatalf("the bot got %d events from refused requests", len(got))
	}
	// The playground's own names and page.
	for _, host := range []string{"127.0.0.1:" + port, "localhost:" + port, "LOCALHOST:" + port} {
		h := map[string]string{"Content-Type": "application/json", "Origin": "http://" + host, "Sec-Fetch-Site": "same-origin"}
		for _, c := range calls {
			if code, answer := f.request(t, c.method, c.path, host, h, c.body); code != http.StatusOK {
				t.Errorf("%s %s on %s from its own page: %d %s", c.method, c.path, host, code, answer)
			}
		}
	}
}
