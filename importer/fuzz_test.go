package importer

import (
	"os"
	"testing"
	"unicode/utf8"
)

// FuzzDecodeCSV: any bytes decode to rows with increasing numbers or a
// FileError, and parse into a plan whose problems all name something,
// without a panic.
func FuzzDecodeCSV(f *testing.F) {
	if data, err := os.ReadFile("../docs/plan-sample.csv"); err == nil {
		f.Add(data)
	}
	for _, s := range []string{
		"id,title\n1,a\n", "\xEF\xBB\xBFid,title\n", "\xFF\xFEi\x00d\x00", "编号;任务\n1;\"a\nb\"\n\n2;c",
		"id,title,depends on,parent\n1,a,2,2\n2,b,1,1\n", "\"unterminated", "id\ttitle\n1\tx\t\"q\"\"q\"",
		"\xb1\xe0\xba\xc5,\xc8\xce\xce\xf1\n1,a\n", // GBK 编号,任务
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := DecodeCSV(data)
		if err != nil {
			if _, ok := err.(*FileError); !ok {
				t.Fatalf("error %T %v is not a FileError", err, err)
			}
			return
		}
		last := 0
		for _, r := range tab.Rows {
			if r.Num <= last {
				t.Fatalf("row numbers not increasing: %d after %d", r.Num, last)
			}
			last = r.Num
			for _, c := range r.Cells {
				if !utf8.ValidString(c) {
					t.Fatalf("cell %q is not UTF-8", c)
				}
			}
		}
		p := Parse(tab, Options{})
		for _, pr := range p.Problems {
			if pr.Message == "" {
				t.Fatalf("problem without a message: %+v", pr)
			}
		}
		if len(p.Problems) == 0 {
			for _, it := range p.Items {
				if it.Ref == "" || it.Title == "" {
					t.Fatalf("item without id or title: %+v", it)
				}
			}
		}
	})
}
