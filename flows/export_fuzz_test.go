package flows_test

import (
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/flows"
)

var fileLink = regexp.MustCompile(`https://bot\.example\.com/files/(\S+)`)

// FuzzExportCommand types `/export <args>` as alice (an admin who manages
// P1) in P1's group: the command never fails inside (the engine would
// return the error), and when it answers with a link, the link's file is
// one the exporter can make: a known format, a span that does not end
// before it starts.
func FuzzExportCommand(f *testing.F) {
	for _, s := range []string{"", "P1 csv from:2026-11-01 to:2026-11-30", "md", "xlsx P1", "P1 P1", "P2", "excel csv",
		"from:11-02 to:11-01", "from:today to:tomorrow", "from:2026-02-30", "to:+3d", "从:11-01 到:11-30", "P1 pdf",
		"from:", "P99999999999999999999", "P1 from:9999-12-31", "csv csv", "P1 xlsx from:mon to:fri"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, args string) {
		if strings.ContainsAny(args, "\r\n") {
			return // one line: the rest would be another message's text
		}
		exportLinks(t, args)
	})
}

// TestExportCommandLink: the fuzz test's check sees links.
func TestExportCommandLink(t *testing.T) {
	if n := exportLinks(t, "P1 csv from:2026-11-01 to:2026-11-30"); n != 1 {
		t.Fatalf("/export P1 csv …: %d links, want 1", n)
	}
}

// exportLinks runs /export args and checks the links it answers with; it
// returns how many.
func exportLinks(t *testing.T, args string) int {
	r := newRig(t, time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC))
	signer := bot.NewSigner("rig-secret")
	r.svc = flows.New(flows.Config{Clock: r.clock, Calendar: r.cal, Signer: signer, Logger: slog.New(slog.DiscardHandler),
		Location: r.loc, Admins: []bot.PersonID{"playground:alice"}, Store: r.st,
		LinkURL: func(path string) string { return "https://bot.example.com" + path }})
	r.eng = bot.NewEngine(r.st, r.svc, slog.New(slog.DiscardHandler))
	r.do("alice", "g1", "/project new Alpha")
	n := 0
	for _, m := range r.do("alice", "g1", "/export "+args) {
		sub := fileLink.FindStringSubmatch(m.Text)
		if sub == nil {
			continue
		}
		l, err := signer.VerifyLink(sub[1], r.clock.Now())
		if err != nil {
			t.Fatalf("/export %s: the link does not verify: %v", args, err)
		}
		switch l.Format {
		case "xlsx", "csv", "md":
		default:
			t.Fatalf("/export %s: link of format %q", args, l.Format)
		}
		if !l.From.IsZero() && !l.To.IsZero() && l.To.Before(l.From) {
			t.Fatalf("/export %s: link from %s to %s", args, l.From, l.To)
		}
		n++
	}
	return n
}
