package export_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/cards"
	"github.com/loopbot/loopbot/export"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestMarkdownGolden(t *testing.T) {
	for _, c := range []struct {
		name string
		req  export.Request
	}{
		{"weekly_P1_zh.md", export.Request{Project: 1, Lang: cards.ZH}},
		{"weekly_P1_en.md", export.Request{Project: 1, Lang: cards.EN}},
		{"span_P1_zh.md", export.Request{Project: 1, From: d(11, 16), To: d(11, 25), Lang: cards.ZH}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := scenario(t).Write(context.Background(), &buf, c.req, export.Markdown); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", c.name)
			if *update {
				must(t, os.WriteFile(path, buf.Bytes(), 0o644))
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update once)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("markdown differs from %s:\n%s", path, buf.String())
			}
		})
	}
}

// TestMarkdownChartImage: when the summary's chart has a PNG link (a service
// with server.public_url), the report shows the image before the figures.
func TestMarkdownChartImage(t *testing.T) {
	e := scenario(t)
	summary := e.Summary
	e.Summary = func(tx bot.Tx, p bot.Project, from, through bot.Date) (cards.Summary, error) {
		s, err := summary(tx, p, from, through)
		if s.Chart != nil {
			s.Chart.Image = "https://bot.example.com/files/eyJr.sig"
		}
		return s, err
	}
	var buf bytes.Buffer
	if err := e.Write(context.Background(), &buf, export.Request{Project: 1, Lang: cards.ZH}, export.Markdown); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	img := strings.Index(md, "![燃起图](<https://bot.example.com/files/eyJr.sig>)")
	table := strings.Index(md, "| 日期 |")
	if img < 0 || table < img {
		t.Errorf("want the chart image before its table:\n%s", md)
	}
}
