package flows_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/flows"
)

// withExports rewires the rig's flows with download links on, and with
// file messages on the platforms given.
func (r *rig) withExports(filePlatforms ...string) {
	files := map[string]bool{}
	for _, p := range filePlatforms {
		files[p] = true
	}
	// As DingTalk's: every file but a Markdown report.
	sends := func(platform, name string) bool { return files[platform] && !strings.HasSuffix(name, ".md") }
	r.svc = flows.New(flows.Config{
		Clock: r.clock, Calendar: r.cal, Signer: bot.NewSigner("rig-secret"), Logger: slog.New(slog.DiscardHandler),
		Location: r.loc, Admins: []bot.PersonID{"playground:alice"}, Store: r.st,
		LinkURL:   func(path string) string { return "https://loopbot.example" + path },
		SendsFile: sends,
	})
	r.eng = bot.NewEngine(r.st, r.svc, slog.New(slog.DiscardHandler))
}

// TestExportSendsFileWherePlatformTakesFiles: /export in a chat whose
// platform's messenger sends files queues a line naming the file and the
// file itself, with the link as its fallback; elsewhere, the link alone.
func TestExportSendsFileWherePlatformTakesFiles(t *testing.T) {
	for _, files := range []bool{true, false} {
		t.Run(map[bool]string{true: "file messages", false: "link"}[files], func(t *testing.T) {
			r := newRig(t, time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
			r.say("bob", "/project new Alpha")
			if files {
				r.withExports(bot.Playground)
			} else {
				r.withExports(bot.Feishu)
			}
			out := r.do("bob", "", "/export P1 xlsx from:2026-11-01")
			var texts []string
			var fileItems []queued
			for _, m := range out {
				if m.File != 0 {
					fileItems = append(fileItems, m)
				} else {
					texts = append(texts, m.Text)
				}
			}
			bob := bot.DM("playground:bob")
			if !files {
				if len(fileItems) != 0 || len(texts) != 1 {
					t.Fatalf("queued %+v, want the link message alone", out)
				}
				wantIn(t, "answer", texts[0], "https://loopbot.example/files/", "P1", "XLSX")
				return
			}
			if len(out) != 2 || len(fileItems) != 1 || out[1].File == 0 || out[0].To != bob || out[1].To != bob {
				t.Fatalf("queued %+v, want a line and then the file, to bob", out)
			}
			wantIn(t, "line", texts[0], "P1", "XLSX", "2026-11-01", "loopbot-P1-2026-12-01.xlsx")
			if strings.Contains(texts[0], "https://") {
				t.Errorf("line %q carries the link; the file goes instead", texts[0])
			}
			wantIn(t, "fallback", fileItems[0].Text, "https://loopbot.example/files/")
			r.view(func(tx bot.Tx) error {
				f, err := tx.File(fileItems[0].File)
				if err != nil {
					return err
				}
				if f.Name != "loopbot-P1-2026-12-01.xlsx" || f.Format != "xlsx" || f.Project != 1 ||
					f.From.String() != "2026-11-01" || !f.To.IsZero() || f.By != "playground:bob" {
					t.Errorf("file %+v, want P1's xlsx from 2026-11-01, asked by bob", f)
				}
				return nil
			})
			// A report the platform does not take as a file: the link.
			if out := r.do("bob", "", "/export P1 md"); len(out) != 1 || out[0].File != 0 || !strings.Contains(out[0].Text, "/files/") {
				t.Errorf("md export queued %+v, want the link alone", out)
			}
			// A refused export queues no file.
			if out := r.do("carol", "", "/export P1"); len(out) != 1 || out[0].File != 0 {
				t.Errorf("a member's /export queued %+v, want one refusal", out)
			}
			if got := r.do("bob", "", "/export P1 csv"); len(got) != 2 {
				t.Fatalf("csv export queued %+v", got)
			} else {
				r.view(func(tx bot.Tx) error {
					f, err := tx.File(got[1].File)
					if err == nil && (f.Name != "loopbot-P1-2026-12-01.zip" || f.Format != "csv") {
						t.Errorf("csv file %+v, want a zip", f)
					}
					return err
				})
			}
		})
	}
}
