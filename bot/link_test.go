package bot

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestLinkRoundTrip(t *testing.T) {
	s := NewSigner("s3cret")
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	in := Link{Kind: LinkFile, Project: 3, Format: "xlsx", From: NewDate(2026, 11, 1), To: NewDate(2026, 11, 20),
		By: "playground:alice", Expires: now.Add(time.Hour).Unix()}
	tok := s.SignLink(in)
	if strings.ContainsAny(tok, "/+=?#") {
		t.Fatalf("token %q is not URL-safe", tok)
	}
	got, err := s.VerifyLink(tok, now)
	if err != nil || got != in {
		t.Fatalf("VerifyLink = %+v, %v; want %+v", got, err, in)
	}
	if _, err := s.VerifyLink(tok, now.Add(time.Hour)); !errors.Is(err, ErrLinkExpired) {
		t.Fatalf("at expiry: err = %v, want ErrLinkExpired", err)
	}
	if _, err := NewSigner("other").VerifyLink(tok, now); !errors.Is(err, ErrLinkInvalid) {
		t.Fatalf("other secret: err = %v, want ErrLinkInvalid", err)
	}
}

func TestLinkTampered(t *testing.T) {
	s := NewSigner("s3cret")
	now := time.Unix(1_800_000_000, 0)
	tok := s.SignLink(Link{Kind: LinkFile, Project: 1, Format: "csv", Expires: now.Add(time.Minute).Unix()})
	body, sig, _ := strings.Cut(tok, ".")
	other := s.SignLink(Link{Kind: LinkFile, Project: 2, Format: "csv", Expires: now.Add(time.Minute).Unix()})
	otherBody, _, _ := strings.Cut(other, ".")
	for name, bad := range map[string]string{
		"empty":         "",
		"no signature":  body,
		"swapped body":  otherBody + "." + sig,
		"flipped sig":   body + "." + strings.ToUpper(sig[:1]) + sig[1:] + "x",
		"card action":   s.Sign(Claims{Card: 1, Action: "accept"}),
		"garbage":       "%%%.###",
		"unsigned json": "eyJrIjoiZmlsZSJ9.",
	} {
		if _, err := s.VerifyLink(bad, now); !errors.Is(err, ErrLinkInvalid) {
			t.Errorf("%s: err = %v, want ErrLinkInvalid", name, err)
		}
	}
}

func FuzzVerifyLink(f *testing.F) {
	s := NewSigner("k")
	f.Add(s.SignLink(Link{Kind: LinkBoard, Project: 1, Expires: 2_000_000_000}))
	f.Add("a.b")
	f.Add("")
	f.Fuzz(func(t *testing.T, tok string) {
		l, err := s.VerifyLink(tok, time.Unix(1_900_000_000, 0))
		if err == nil && (l.Kind == "" || s.SignLink(l) == "") {
			t.Fatalf("accepted %q as %+v", tok, l)
		}
	})
}
