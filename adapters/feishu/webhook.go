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
// which Feishu does not sign, is answered after checking its token. A refused request changes nothing and is
// answered 4xx; an event the engine could not commit is answered 500, so
// that Feishu retries it.
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
	// Verify before reading: a signed request's signature and age are
	// checked before its body is decrypted. Only the URL verification
	// challenge comes unsigned, and it must carry the verification token.
	signed := r.Header.Get(headerSignature) != ""
	if a.cfg.EncryptKey != "" && signed {
		if err := verifySignature(r.Header.Get(headerTimestamp), r.Header.Get(headerNonce), r.Header.Get(headerSignature),
			a.cfg.EncryptKey, body, a.wallNow()); err != nil {
			a.refuse(w, http.StatusUnauthorized, err.Error())
			return
		}
	}
	env, status, reason := a.openCallback(body)
	if status != 0 {
		a.refuse(w, status, reason)
		return
	}
	if env.Type == typeURLVerify {
		if !a.tokenOK(env.Token) {
			a.refuse(w, http.StatusForbidden, "URL verification with a wrong verification token")
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"challenge": env.Challenge})
		return
	}
	if a.cfg.EncryptKey != "" && !signed {
		a.refuse(w, http.StatusUnauthorized, "the request is not signed (no X-Lark-Signature)")
		return
	}
	if !a.tokenOK(env.Header.Token) {
		a.refuse(w, http.StatusForbidden, "the event carries a wrong verification token")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), answerWithin)
	defer cancel()
	answer, err := a.handleEnvelope(ctx, env)
	if err != nil {
		a.log.Error("event not handled; Feishu will retry", "event_id", env.Header.EventID, slog.Any("error", err))
		writeJSON(w, http.StatusInternalServerError, map[string]string{"msg": "not handled"})
		return
	}
	if answer == nil {
		writeJSON(w, http.StatusOK, map[string]string{"msg": "success"})
		return
	}
	writeJSON(w, http.StatusOK, answer)
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
