package export_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

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
