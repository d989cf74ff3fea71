package feishu

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"time"
)

// maxBody bounds a callback body.
const maxBody = 1 << 20

// answerWithin keeps a callback's answer within Feishu's 3-second deadline.
const answerWithin = 2500 * time.Millisecond

// ServeHTTP is the HTTP callback endpoint, /callback/feishu (webhook mode;
// event subscription and card callback "request URL"). Every event must
// carry a valid X-Lark-Signature (SHA-256 of timestamp, nonce, encrypt key
// and raw body) with a timestamp within 5 minutes, checked before the body
// is decrypted, and the verification token. The URL verification challenge,
// which Feishu does not sign, is answered after checking its token. A
// refused request changes nothing and is answered 4xx; an event the engine
// could not commit is answered 500, so that Feishu retries it.
func (a *Adapter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		a.refuse(w, http.StatusBadRequest, "the body is unreadable or too large")
		return
	}
	env, status, reason := a.verified(r.Header, body)
	switch {
	case status != 0:
		a.refuse(w, status, reason)
	case env.Type == typeURLVerify:
		writeJSON(w, http.StatusOK, map[string]string{"challenge": env.Challenge})
	default:
		a.answer(w, r, env)
	}
}

// verified checks a callback and opens it: the signature and its age
// before the body is decrypted, then the verification token. Only the URL
// verification challenge may come unsigned. A refusal comes with its HTTP
// status and reason.
func (a *Adapter) verified(h http.Header, body []byte) (envelope, int, string) {
	signed := h.Get(headerSignature) != ""
	if a.cfg.EncryptKey != "" && signed {
		if err := verifySignature(h.Get(headerTimestamp), h.Get(headerNonce), h.Get(headerSignature),
			a.cfg.EncryptKey, body, a.wallNow()); err != nil {
			return envelope{}, http.StatusUnauthorized, err.Error()
		}
	}
	env, status, reason := a.openCallback(body)
	switch {
	case status != 0:
		return env, status, reason
	case env.Type == typeURLVerify && !a.tokenOK(env.token()):
		return env, http.StatusForbidden, "URL verification with a wrong verification token"
	case env.Type == typeURLVerify:
		return env, 0, ""
	case a.cfg.EncryptKey != "" && !signed:
		return env, http.StatusUnauthorized, "the request is not signed (no X-Lark-Signature)"
	case !a.tokenOK(env.token()):
		return env, http.StatusForbidden, "the event carries a wrong verification token"
	}
	return env, 0, ""
}

// answer hands a verified event to the engine within Feishu's deadline and
// answers with the card callback's answer, or success.
func (a *Adapter) answer(w http.ResponseWriter, r *http.Request, env envelope) {
	ctx, cancel := context.WithTimeout(r.Context(), answerWithin)
	defer cancel()
	answer, err := a.handleEnvelope(ctx, env)
	switch {
	case err != nil:
		a.log.Error("event not handled; Feishu will retry", "event_id", env.Header.EventID, slog.Any("error", err))
		writeJSON(w, http.StatusInternalServerError, map[string]string{"msg": "not handled"})
	case answer == nil:
		writeJSON(w, http.StatusOK, map[string]string{"msg": "success"})
	default:
		writeJSON(w, http.StatusOK, answer)
	}
}

// openCallback decrypts a callback body when it is encrypted. With an
// encrypt key set, a plaintext body is refused.
func (a *Adapter) openCallback(body []byte) (envelope, int, string) {
	env, err := parseEnvelope(body)
	if err != nil {
		return env, http.StatusBadRequest, "the body is not JSON"
	}
	if env.Encrypt == "" {
		if a.cfg.EncryptKey != "" {
			return env, http.StatusBadRequest, "the body is not encrypted, but feishu.encrypt_key is set"
		}
		return env, 0, ""
	}
	if a.cfg.EncryptKey == "" {
		return env, http.StatusBadRequest, "the body is encrypted, but feishu.encrypt_key is not set"
	}
	plain, err := Decrypt(env.Encrypt, a.cfg.EncryptKey)
	if err != nil {
		return env, http.StatusBadRequest, err.Error()
	}
	env, err = parseEnvelope(plain)
	if err != nil {
		return env, http.StatusBadRequest, "the decrypted body is not JSON (wrong encrypt_key?)"
	}
	return env, 0, ""
}

// tokenOK checks a verification token, when one is configured.
func (a *Adapter) tokenOK(token string) bool {
	want := a.cfg.VerificationToken
	return want == "" || subtle.ConstantTimeCompare([]byte(token), []byte(want)) == 1
}

func (a *Adapter) refuse(w http.ResponseWriter, status int, reason string) {
	a.log.Warn("callback refused", "status", status, "reason", reason)
	writeJSON(w, status, map[string]string{"msg": reason})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
