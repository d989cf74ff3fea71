package bot

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// Kinds of signed links.
const (
	LinkFile  = "file"  // /files/<token>: an export, made when the link is opened
	LinkBoard = "board" // /board/<token>: a project's read-only board
	LinkChart = "chart" // /files/<token>: a chart of a project as a PNG image, drawn when opened
)

// Link is what a signed, expiring download or board link carries: the
// link's kind, the project, what to make (an export's format and span), and
// when it stops working. Holding the token is the permission: it names one
// project and one thing, nothing else.
type Link struct {
	Kind    string `json:"k"`
	Project uint64 `json:"p,omitempty"`
	// Format is an export's format: "xlsx", "csv" or "md".
	Format string `json:"f,omitempty"`
	// From and To are an export's first and last day (zero: open).
	From Date `json:"s,omitzero"`
	To   Date `json:"t,omitzero"`
	// By is who asked for the link, for the log.
	By PersonID `json:"b,omitempty"`
	// Expires is when the link stops working, in Unix seconds.
	Expires int64 `json:"e"`
}

// ExpiresAt returns the link's expiry as a time.
func (l Link) ExpiresAt() time.Time { return time.Unix(l.Expires, 0) }

// ErrLinkInvalid is returned by VerifyLink for a token that is malformed or
// whose signature does not match (tampered, or signed with another secret);
// a web handler answers 404.
var ErrLinkInvalid = errors.New("link not valid")

// ErrLinkExpired is returned by VerifyLink for a genuine token whose expiry
// has passed; a web handler answers 410 Gone.
var ErrLinkExpired = errors.New("link expired")

// linkDomain separates link signatures from card action signatures made
// with the same secret, so that neither token can stand for the other.
const linkDomain = "link\x00"

// SignLink returns the URL-safe token for l: base64url(JSON) "." base64url
// (HMAC-SHA256 over "link\x00" + the first part, keyed with server.secret).
func (s *Signer) SignLink(l Link) string {
	payload, _ := json.Marshal(l)
	body := base64.RawURLEncoding.EncodeToString(payload)
	return body + "." + s.mac(linkDomain+body)
}

// VerifyLink checks a token made by SignLink: the signature in constant time,
// then the expiry against now (a link is good up to, not including, its
// expiry second). It returns ErrLinkInvalid or ErrLinkExpired.
func (s *Signer) VerifyLink(token string, now time.Time) (Link, error) {
	body, sig, ok := strings.Cut(token, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(s.mac(linkDomain+body))) {
		return Link{}, ErrLinkInvalid
	}
	payload, err := base64.RawURLEncoding.DecodeString(body)
	var l Link
	if err != nil || json.Unmarshal(payload, &l) != nil || l.Kind == "" || l.Expires == 0 {
		return Link{}, ErrLinkInvalid
	}
	if now.Unix() >= l.Expires {
		return l, ErrLinkExpired
	}
	return l, nil
}
