package main

import (
	"net/url"
	"strings"
	"testing"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/export"
)

// checkExportRequest checks what exportQuery and exportFlags give back: an
// EINVALID error with a message, or a request with a known format and a
// span that does not end before it starts.
func checkExportRequest(t *testing.T, in string, req export.Request, f export.Format, err error) {
	t.Helper()
	if err != nil {
		if bot.ErrorCode(err) != bot.EINVALID || bot.ErrorMessage(err) == "" {
			t.Fatalf("%q: error %v (code %q), want EINVALID with a message", in, err, bot.ErrorCode(err))
		}
		return
	}
	switch f {
	case export.XLSX, export.CSV, export.Markdown:
	default:
		t.Fatalf("%q: format %q", in, f)
	}
	if !req.From.IsZero() && !req.To.IsZero() && req.To.Before(req.From) {
		t.Fatalf("%q: to %s before from %s accepted", in, req.To, req.From)
	}
	for _, d := range []bot.Date{req.From, req.To} {
		if !d.IsZero() && bot.NewDate(d.Year, d.Month, d.Day) != d {
			t.Fatalf("%q: %v is not a real date", in, d)
		}
	}
}

// FuzzExportQuery: GET /api/v1/export's query never panics, refuses what it
// does not take with EINVALID, and gives a valid request otherwise.
func FuzzExportQuery(f *testing.F) {
	for _, s := range []string{"", "project=P1&format=csv&from=2026-11-01&to=2026-11-30", "format=md", "format=EXCEL",
		"project=p2", "project=P0", "project=P99999999999999999999", "from=2026-02-30", "to=2026-11-01&from=2026-11-02",
		"format=xlsx&format=csv", "projects=P1", "project=%00", "from=+2026-11-01", "from=02026-11-01", "to=9999-12-31",
		"%zz", "format=%E5%85%A8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return // net/http gives such a query to the handler as far as it parsed; ParseQuery's own fuzzing is Go's
		}
		req, format, err := exportQuery(q)
		checkExportRequest(t, raw, req, format, err)
		if err == nil && q.Get("project") != "" && req.Project == 0 {
			t.Fatalf("%q: project %q became every project", raw, q.Get("project"))
		}
	})
}

// FuzzExportFlags: `loopbot export`'s -project, -format, -from and -to.
func FuzzExportFlags(f *testing.F) {
	f.Add("P1", "csv", "2026-11-01", "2026-11-30")
	f.Add("", "xlsx", "", "")
	f.Add("T1", "zip", "2026-13-01", "x")
	f.Add("P1", "pdf", "", "2026-11-01")
	f.Add("p01", "Markdown", "2026-11-02", "2026-11-01")
	f.Fuzz(func(t *testing.T, project, format, from, to string) {
		req, fm, err := exportFlags(project, format, from, to)
		in := strings.Join([]string{project, format, from, to}, " | ")
		checkExportRequest(t, in, req, fm, err)
		if err == nil && project != "" && req.Project == 0 {
			t.Fatalf("%q: -project %q became every project", in, project)
		}
	})
}
