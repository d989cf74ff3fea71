package wecom

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// CallbackPath is where WeCom posts the app's messages and events.
const CallbackPath = "/callback/wecom"

const (
	// maxAge is how old a callback's timestamp may be (SPEC §6).
	maxAge = 5 * time.Minute
	// maxSkew is how far in the future a timestamp may be, for clocks that
	// differ a little.
	maxSkew = 30 * time.Second
	// maxBody bounds a callback body; WeCom's are a few kilobytes.
	maxBody = 256 << 10
)

// Routes registers the callback URL on mux: GET for the URL verification
// when the callback is configured, POST for messages and events.
func (a *Adapter) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+CallbackPath, a.verifyURL)
	mux.HandleFunc("POST "+CallbackPath, a.callback)
}

// checkTime refuses a timestamp (Unix seconds) more than 5 minutes old or
// in the future. WeCom stamps callbacks with the real time, so a timestamp
// is fresh when it is fresh by the real time or by the adapter's clock: the
// two are the same in production, and with the playground's fake clock
// (tests, demos) a callback stamped by either is accepted, while one stale
// by both is refused.
func (a *Adapter) checkTime(ts string) error {
	n, err := strconv.ParseInt(strings.TrimSpace(ts), 10, 64)
	if err != nil {
		return ErrStale
	}
	t := time.Unix(n, 0)
	fresh := func(now time.Time) bool { return now.Sub(t) <= maxAge && t.Sub(now) <= maxSkew }
	if !fresh(a.now()) && !fresh(time.Now()) {
		return ErrStale
	}
	return nil
}

// query returns the request's query with its names trimmed: WeCom's own
// sample request (WXBizMsgCrypt sample.go, "使用示例二") writes the query
// as "wxpush? msg_signature=…", with a space that reaches us as " msg_signature".
func query(r *http.Request) url.Values {
	q := r.URL.Query()
	for k, v := range q {
		if t := strings.TrimSpace(k); t != k {
			if _, ok := q[t]; !ok {
				q[t] = v
			}
		}
	}
	return q
}

// refuse answers a callback that failed verification. It logs why, never
// what the request held.
func (a *Adapter) refuse(w http.ResponseWriter, r *http.Request, status int, err error) {
	a.log.Warn("callback refused", "method", r.Method, "reason", err.Error())
	http.Error(w, http.StatusText(status), status)
}

// verifyURL answers WeCom's URL verification (验证URL有效性, path/90238): it
// checks msg_signature over echostr, decrypts echostr and answers its
// plaintext.
func (a *Adapter) verifyURL(w http.ResponseWriter, r *http.Request) {
	q := query(r)
	sig, ts, nonce, echo := q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), q.Get("echostr")
	if sig == "" || ts == "" || nonce == "" || echo == "" {
		a.refuse(w, r, http.StatusBadRequest, errors.New("wecom: msg_signature, timestamp, nonce and echostr are required"))
		return
	}
	if err := a.checkTime(ts); err != nil {
		a.refuse(w, r, http.StatusForbidden, err)
		return
	}
	if err := a.crypto.Verify(sig, ts, nonce, echo); err != nil {
		// A "+" sent without URL encoding reads as a space.
		if alt := strings.ReplaceAll(echo, " ", "+"); a.crypto.Verify(sig, ts, nonce, alt) == nil {
			echo = alt
		} else {
			a.refuse(w, r, http.StatusForbidden, err)
			return
		}
	}
	plain, err := a.crypto.Decrypt(echo)
	if err != nil {
		a.refuse(w, r, http.StatusForbidden, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write(plain)
}

// Open verifies and decrypts a POSTed callback body with the query's
// msg_signature, timestamp and nonce. It returns ErrStale, ErrSignature,
// ErrDecrypt, ErrCorpID, or an error for a body that is not a callback.
func (a *Adapter) Open(sig, ts, nonce string, body []byte) (Message, error) {
	var env envelope
	if err := xml.Unmarshal(body, &env); err != nil || env.Encrypt == "" {
		return Message{}, errors.New("wecom: the body is not a callback envelope")
	}
	if err := a.checkTime(ts); err != nil {
		return Message{}, err
	}
	if err := a.crypto.Verify(sig, ts, nonce, env.Encrypt); err != nil {
		return Message{}, err
	}
	plain, err := a.crypto.Decrypt(env.Encrypt)
	if err != nil {
		return Message{}, err
	}
	return ParseMessage(plain)
}

// callback accepts a message or event: verified, decrypted, de-duplicated
// and committed to the inbox, then answered at once with an empty body (no
// passive reply). The handling runs after the answer, so that WeCom's 5 s
// deadline holds whatever the handling costs; what was accepted is in the
// store and is handled even after a crash.
func (a *Adapter) callback(w http.ResponseWriter, r *http.Request) {
	q := query(r)
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		a.refuse(w, r, http.StatusRequestEntityTooLarge, errors.New("wecom: body too large"))
		return
	}
	m, err := a.Open(q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), body)
	switch {
	case errors.Is(err, ErrStale), errors.Is(err, ErrSignature), errors.Is(err, ErrDecrypt), errors.Is(err, ErrCorpID):
		a.refuse(w, r, http.StatusForbidden, err)
		return
	case err != nil:
		a.refuse(w, r, http.StatusBadRequest, err)
		return
	}
	if m.AgentID != "" && strings.TrimSpace(m.AgentID) != strconv.Itoa(a.cfg.AgentID) {
		a.log.Warn("callback for another agent ignored")
		w.WriteHeader(http.StatusOK)
		return
	}
	if err := a.accept(r.Context(), m); err != nil {
		a.log.Error("callback not stored; WeCom will retry", slog.Any("error", err))
		http.Error(w, "try again", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
	a.wake()
}

// inbound is an accepted callback waiting in the inbox.
type inbound struct {
	Msg Message   `json:"msg"`
	At  time.Time `json:"at"`
}

// accept commits a callback to the inbox unless its de-duplication key was
// seen: a re-delivery changes nothing.
func (a *Adapter) accept(ctx context.Context, m Message) error {
	now := a.now()
	return a.cfg.Store.Update(ctx, func(tx bot.Tx) error {
		mark := eventInbox + m.DedupKey()
		if seen, err := tx.SeenEvent(mark); err != nil || seen {
			return err
		}
		if err := tx.MarkEvent(mark, now); err != nil {
			return err
		}
		var seq uint64
		if raw, err := tx.Meta(metaSeq); err == nil {
			seq, _ = strconv.ParseUint(string(raw), 10, 64)
		}
		seq++
		raw, err := json.Marshal(inbound{Msg: m, At: now})
		if err != nil {
			return err
		}
		if err := tx.PutMeta(metaSeq, []byte(strconv.FormatUint(seq, 10))); err != nil {
			return err
		}
		return tx.PutMeta(fmt.Sprintf("%s%020d", metaInbox, seq), raw)
	})
}

func (a *Adapter) wake() {
	select {
	case a.kick <- struct{}{}:
	default:
	}
}
