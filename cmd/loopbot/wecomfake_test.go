package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeWeCom plays WeCom's server API for the end-to-end tests: gettoken,
// message/send (with the duplicate check, and dropping what exceeds 30 a
// minute to one member, as WeCom does, silently), update_template_card
// (single-use response codes), agent/get, and group robot webhooks.
type fakeWeCom struct {
	srv    *httptest.Server
	corpID string
	secret string
	agent  int
	// now is the clock deliveries are recorded at.
	now func() time.Time

	mu       sync.Mutex
	token    string
	seq      int
	sent     []fakeSent
	dropped  int
	dupes    int
	dupSeen  map[string]time.Time
	codes    map[string]bool // response codes issued and not used
	updates  []fakeUpdate
	robot    []fakeRobot
	badToken int
}

// fakeSent is one app message WeCom accepted.
type fakeSent struct {
	At     time.Time
	ToUser string
	Type   string
	Body   map[string]any
	Code   string // the response_code returned
}

type fakeUpdate struct {
	At   time.Time
	Code string
	Body map[string]any
}

type fakeRobot struct {
	At      time.Time
	Key     string
	Content string
}

func newFakeWeCom(t *testing.T, corpID, secret string, agent int) *fakeWeCom {
	f := &fakeWeCom{corpID: corpID, secret: secret, agent: agent, now: time.Now, token: "tok-1",
		dupSeen: map[string]time.Time{}, codes: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cgi-bin/gettoken", f.gettoken)
	mux.HandleFunc("POST /cgi-bin/message/send", f.auth(f.send))
	mux.HandleFunc("POST /cgi-bin/message/update_template_card", f.auth(f.update))
	mux.HandleFunc("GET /cgi-bin/agent/get", f.auth(f.agentGet))
	mux.HandleFunc("POST /cgi-bin/webhook/send", f.webhook)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func answer(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeWeCom) gettoken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch {
	case q.Get("corpid") != f.corpID:
		answer(w, map[string]any{"errcode": 40013, "errmsg": "invalid corpid"})
	case q.Get("corpsecret") != f.secret:
		answer(w, map[string]any{"errcode": 40001, "errmsg": "invalid credential"})
	default:
		answer(w, map[string]any{"errcode": 0, "errmsg": "ok", "access_token": f.token, "expires_in": 7200})
	}
}

func (f *fakeWeCom) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		ok := r.URL.Query().Get("access_token") == f.token
		if !ok {
			f.badToken++
		}
		f.mu.Unlock()
		if !ok {
			answer(w, map[string]any{"errcode": 40014, "errmsg": "invalid access_token"})
			return
		}
		h(w, r)
	}
}

func decodeBody(r *http.Request) (map[string]any, []byte) {
	raw, _ := io.ReadAll(r.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return m, raw
}

func (f *fakeWeCom) send(w http.ResponseWriter, r *http.Request) {
	m, _ := decodeBody(r)
	if agent, _ := m["agentid"].(float64); int(agent) != f.agent {
		answer(w, map[string]any{"errcode": 40056, "errmsg": "invalid agentid"})
		return
	}
	typ, _ := m["msgtype"].(string)
	user, _ := m["touser"].(string)
	content, _ := json.Marshal(m[typ])
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	resp := map[string]any{"errcode": 0, "errmsg": "ok", "msgid": fmt.Sprintf("msg-%d", f.seq)}
	// The duplicate check: the same content to the same member within the
	// interval is accepted and not delivered again.
	key := user + "|" + typ + "|" + string(content)
	if dup, _ := m["enable_duplicate_check"].(float64); dup == 1 {
		interval, _ := m["duplicate_check_interval"].(float64)
		if at, ok := f.dupSeen[key]; ok && now.Sub(at) < time.Duration(interval)*time.Second {
			f.dupes++
			answer(w, resp)
			return
		}
		f.dupSeen[key] = now
	}
	// WeCom's silent limit: what exceeds 30 a minute to one member is lost.
	n := 0
	for _, s := range f.sent {
		if s.ToUser == user && now.Sub(s.At) < time.Minute {
			n++
		}
	}
	if n >= 30 {
		f.dropped++
		answer(w, resp)
		return
	}
	s := fakeSent{At: now, ToUser: user, Type: typ, Body: m}
	if typ == "template_card" {
		s.Code = fmt.Sprintf("send-rc-%d", f.seq)
		f.codes[s.Code] = true
		resp["response_code"] = s.Code
	}
	f.sent = append(f.sent, s)
	answer(w, resp)
}

func (f *fakeWeCom) update(w http.ResponseWriter, r *http.Request) {
	m, _ := decodeBody(r)
	code, _ := m["response_code"].(string)
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.codes[code] {
		answer(w, map[string]any{"errcode": 40098, "errmsg": "invalid response_code"})
		return
	}
	delete(f.codes, code)
	f.updates = append(f.updates, fakeUpdate{At: f.now(), Code: code, Body: m})
	answer(w, map[string]any{"errcode": 0, "errmsg": "ok"})
}

func (f *fakeWeCom) agentGet(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("agentid") != fmt.Sprint(f.agent) {
		answer(w, map[string]any{"errcode": 40056, "errmsg": "invalid agentid"})
		return
	}
	answer(w, map[string]any{"errcode": 0, "errmsg": "ok", "agentid": f.agent, "name": "loopbot", "close": 0})
}

func (f *fakeWeCom) webhook(w http.ResponseWriter, r *http.Request) {
	m, _ := decodeBody(r)
	md, _ := m["markdown"].(map[string]any)
	content, _ := md["content"].(string)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.robot = append(f.robot, fakeRobot{At: f.now(), Key: r.URL.Query().Get("key"), Content: content})
	answer(w, map[string]any{"errcode": 0, "errmsg": "ok"})
}

// issue makes a response code that a click callback carries.
func (f *fakeWeCom) issue(code string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.codes[code] = true
}

// to returns the messages sent to a member, oldest first.
func (f *fakeWeCom) to(user string) []fakeSent {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeSent
	for _, s := range f.sent {
		if s.ToUser == user {
			out = append(out, s)
		}
	}
	return out
}

func (f *fakeWeCom) snapshot() (sent, updates, robot, dropped int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sent), len(f.updates), len(f.robot), f.dropped
}

// card returns a sent template card's fields.
func (s fakeSent) card() map[string]any {
	c, _ := s.Body["template_card"].(map[string]any)
	return c
}

// text returns the text of a markdown message, or a card's title and
// subtitle.
func (s fakeSent) text() string {
	if md, ok := s.Body["markdown"].(map[string]any); ok {
		c, _ := md["content"].(string)
		return c
	}
	c := s.card()
	title, _ := c["main_title"].(map[string]any)
	sub, _ := c["sub_title_text"].(string)
	return fmt.Sprint(title["title"]) + "\n" + fmt.Sprint(title["desc"]) + "\n" + sub
}

// keys returns the keys of a card's buttons and submit button.
func (s fakeSent) keys() []string {
	c := s.card()
	var out []string
	if bl, ok := c["button_list"].([]any); ok {
		for _, b := range bl {
			out = append(out, fmt.Sprint(b.(map[string]any)["key"]))
		}
	}
	if sb, ok := c["submit_button"].(map[string]any); ok {
		out = append(out, fmt.Sprint(sb["key"]))
	}
	return out
}

func (s fakeSent) keyFor(action string) string {
	for _, k := range s.keys() {
		if strings.HasPrefix(k, action+"|") {
			return k
		}
	}
	return ""
}
