package bot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
)

// Claims are what a signed card action binds: the card, the action, the
// subject (task, escalation…) and the person the card was sent to. An empty
// To means anyone in the chat may act.
type Claims struct {
	Card   uint64   `json:"c"`
	Action string   `json:"a"`
	Ref    string   `json:"r,omitempty"`
	To     PersonID `json:"p,omitempty"`
}

// Signer signs and verifies card action values with HMAC-SHA256 over the
// server secret.
type Signer struct {
	key []byte
}

// NewSigner returns a signer over secret.
func NewSigner(secret string) *Signer {
	return &Signer{key: []byte(secret)}
}

// Sign returns the token for c.
func (s *Signer) Sign(c Claims) string {
	payload, _ := json.Marshal(c)
	body := base64.RawURLEncoding.EncodeToString(payload)
	return body + "." + s.mac(body)
}

// Verify checks a token and returns its claims. It returns EFORBIDDEN for a
// malformed or forged token.
func (s *Signer) Verify(token string) (Claims, error) {
	body, sig, ok := strings.Cut(token, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(s.mac(body))) {
		return Claims{}, Errorf(EFORBIDDEN, "this button is not valid")
	}
	payload, err := base64.RawURLEncoding.DecodeString(body)
	var c Claims
	if err != nil || json.Unmarshal(payload, &c) != nil {
		return Claims{}, Errorf(EFORBIDDEN, "this button is not valid")
	}
	return c, nil
}

func (s *Signer) mac(body string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
