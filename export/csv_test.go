package export_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/loopbot/loopbot/export"
)

// readCSVZip opens the zip and parses each file with encoding/csv after
// checking and stripping its BOM.
func readCSVZip(t *testing.T, raw []byte) (names []string, files map[string][][]string) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	files = map[string][][]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
			t.Errorf("%s does not start with the UTF-8 BOM", f.Name)
		}
		if head, _, _ := bytes.Cut(b, []byte("\n")); !bytes.HasSuffix(head, []byte("\r")) {
			t.Errorf("%s: the header row does not end with CRLF (RFC 4180)", f.Name)
		}
		r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))))
		recs, err := r.ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		names = append(names, f.Name)
		files[f.Name] = recs
	}
	return names, files
}

func TestCSVZip(t *testing.T) {
	var buf bytes.Buffer
	if err := scenario(t).Write(context.Background(), &buf, export.Request{Project: 1, From: d(11, 16)}, export.CSV); err != nil {
		t.Fatal(err)
	}
	names, files := readCSVZip(t, buf.Bytes())
	want := []string{"summary.csv", "tasks.csv", "checkins.csv", "escalations.csv", "reviews.csv", "changes.csv", "gantt.csv", "adoption.csv"}
	if !slices.Equal(names, want) {
		t.Fatalf("files = %q, want %q", names, want)
	}
	tasks := files["tasks.csv"]
	if len(tasks) != 6 || tasks[0][0] != "编号 ID" {
		t.Fatalf("tasks.csv = %q", tasks)
	}
	byID := map[string][]string{}
	for _, r := range tasks[1:] {
		byID[r[0]] = r
	}
	if got := byID["T3"][3]; got != quoted {
		t.Errorf("T3 title = %q, want %q back through RFC 4180 quoting", got, quoted)
	}
	if got := byID["T4"][3]; got != "'"+injection {
		t.Errorf("T4 title = %q: a formula must not run when the CSV is opened", got)
	}
	if r := byID["T2"]; r[7] != "40" || r[11] != "2026-11-24" || r[10] != "2026-11-23" || r[14] != "no" || r[19] != "overdue" {
		t.Errorf("T2 = %q", r)
	}
	if r := byID["T1"]; r[16] != "2026-11-19 10:00:00" || r[19] != "done" {
		t.Errorf("T1 = %q, want done at 2026-11-19 10:00:00 Shanghai time", r)
	}
	ci := files["checkins.csv"]
	wantCI := [][]string{
		{"日期 Day", "人员 Person", "姓名 Name", "任务 Task", "进度 Progress", "状态 Status", "工时 Hours", "备注 Note", "提交时间 Submitted", "迟交 Late", "请假 Leave", "无变化 No change"},
		{"2026-11-23", "playground:bob", "Bob 张伟", "T2", "30", "on_track", "4", "进展顺利", "2026-11-23 10:00:00", "no", "no", "no"},
		{"2026-11-24", "playground:bob", "Bob 张伟", "", "", "", "", "", "2026-11-24 09:40:00", "no", "yes", "no"},
		{"2026-11-24", "playground:carol", "Carol 李娜", "T3", "20", "at_risk", "6.5", "等待环境, \"test\" env", "2026-11-24 19:00:00", "yes", "no", "no"},
	}
	if !slices.EqualFunc(ci, wantCI, slices.Equal) {
		t.Errorf("checkins.csv = %q\nwant %q", ci, wantCI)
	}
	if ch := files["changes.csv"]; len(ch) != 2 || ch[1][0] != "C1" || ch[1][4] != "2026-12-02" || ch[1][10] != "2026-11-25 10:00:00" {
		t.Errorf("changes.csv = %q, want the header and C1", ch)
	}
	if g := files["gantt.csv"]; len(g) != 6 || g[1][0] != "T1" || g[1][3] != "2026-11-13" || g[1][4] != "2026-11-19" || g[1][5] != "5" ||
		g[3][0] != "T2" || g[3][4] != "2026-12-04" || g[3][8] != "yes" {
		t.Errorf("gantt.csv = %q", g)
	}
}

func TestCSVAllProjects(t *testing.T) {
	var buf bytes.Buffer
	if err := scenario(t).Write(context.Background(), &buf, export.Request{From: d(11, 16)}, export.CSV); err != nil {
		t.Fatal(err)
	}
	_, files := readCSVZip(t, buf.Bytes())
	if n := len(files["tasks.csv"]) - 1; n != 6 {
		t.Errorf("tasks of every project = %d, want 6", n)
	}
	var dave bool
	for _, r := range files["checkins.csv"] {
		dave = dave || strings.Contains(r[1], "dave")
	}
	if !dave {
		t.Errorf("an export of every project leaves out dave's check-in")
	}
}

func TestExportErrors(t *testing.T) {
	e := scenario(t)
	for name, c := range map[string]struct {
		req  export.Request
		f    export.Format
		want string
	}{
		"unknown project": {export.Request{Project: 9}, export.XLSX, "not_found"},
		"span backwards":  {export.Request{Project: 1, From: d(11, 20), To: d(11, 10)}, export.CSV, "invalid"},
		"bad format":      {export.Request{Project: 1}, export.Format("pdf"), "invalid"},
	} {
		err := e.Write(context.Background(), io.Discard, c.req, c.f)
		if code := codeOf(err); code != c.want {
			t.Errorf("%s: err = %v, want code %s", name, err, c.want)
		}
	}
	if _, err := export.ParseFormat("docx"); err == nil {
		t.Error("ParseFormat(docx) = nil error")
	}
}
