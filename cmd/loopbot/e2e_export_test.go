package main

import (
	"archive/zip"
	"bytes"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

var fileLink = regexp.MustCompile(`https?://[^\s]+/files/[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+`)

// download GETs a URL and returns the status, the content type and the body.
func download(tb testing.TB, link string) (int, string, []byte) {
	tb.Helper()
	resp, err := http.Get(link)
	if err != nil {
		tb.Fatalf("GET %s: %v", link, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), body
}

// linkOf finds the download link in a reply, and rebases it on the running
// app's address (a restart listens on another port).
func (ta *testApp) linkOf(reply string) string {
	ta.tb.Helper()
	m := fileLink.FindString(reply)
	if m == "" {
		ta.tb.Fatalf("no download link in %q", reply)
	}
	u, err := url.Parse(m)
	if err != nil {
		ta.tb.Fatal(err)
	}
	return ta.base + u.Path
}

// TestExportLink covers /export in a group: a manager of the project gets a
// signed link that downloads a valid workbook of the project, still after a
// restart; a tampered link is refused with 404, an expired one with 410;
// someone who does not manage the project gets a polite refusal and no
// link.
func TestExportLink(t *testing.T) {
	ta := startApp(t, testConfig, "")
	ta.reply("alice", "alpha", "/project new Alpha acceptance:off")
	ta.reply("alice", "alpha", "/task new 接口文档 @bob due:2026-11-25")
	ta.act("bob", ta.lastCard("dm:bob", "task_assigned").ID, "accept", nil)
	ta.at("2026-11-23 09:30")
	ta.checkin("bob", "submit", map[string]string{"progress.T1": "50", "hours.T1": "3", "note.T1": "进展顺利"})

	for _, who := range []string{"carol", "bob"} {
		got := ta.reply(who, "alpha", "/export P1 xlsx")
		if fileLink.MatchString(got) || !strings.Contains(got, "P1") {
			t.Errorf("/export by %s, who does not manage P1 = %q, want a refusal that names the rule", who, got)
		}
	}
	got := ta.reply("alice", "alpha", "/export P1 xlsx")
	link := ta.linkOf(got)
	if !strings.Contains(got, "2026-11-24 09:30") {
		t.Errorf("reply %q does not say when the link expires (24h)", got)
	}
	checkWorkbook(t, ta, link)

	// A link keeps working across a restart, until it expires.
	db := ta.db
	ta.stop()
	ta = startApp(t, testConfig, db)
	link = ta.base + mustPath(t, link)
	checkWorkbook(t, ta, link)

	token := strings.TrimPrefix(mustPath(t, link), "/files/")
	for name, bad := range map[string]string{
		"changed body": "A" + token[1:],
		"changed sig":  token[:len(token)-2] + "xx",
		"truncated":    token[:len(token)/2],
	} {
		if code, _, body := download(t, ta.base+"/files/"+bad); code != http.StatusNotFound || !strings.Contains(string(body), "not valid") {
			t.Errorf("%s token: %d %q, want 404 not valid", name, code, body)
		}
	}

	ta.at("2026-11-24 09:31")
	code, _, body := download(t, link)
	if code != http.StatusGone || !strings.Contains(string(body), "expired") {
		t.Errorf("after 24h: %d %q, want 410 expired", code, body)
	}
}

func mustPath(t *testing.T, link string) string {
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}

func checkWorkbook(t *testing.T, ta *testApp, link string) {
	t.Helper()
	code, ctype, body := download(t, link)
	if code != http.StatusOK || !strings.Contains(ctype, "spreadsheetml") {
		t.Fatalf("GET link: %d %s %q", code, ctype, body[:min(len(body), 200)])
	}
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("the download is not a workbook: %v", err)
	}
	defer f.Close()
	if got := f.GetSheetList(); len(got) != 8 || got[1] != "任务 Tasks" || got[7] != "使用 Adoption" {
		t.Fatalf("sheets = %q", got)
	}
	rows, _ := f.GetRows("任务 Tasks")
	if len(rows) != 2 || rows[1][0] != "T1" || rows[1][3] != "接口文档" || rows[1][4] != "Bob" || rows[1][7] != "50%" {
		t.Errorf("tasks = %q", rows)
	}
	ci, _ := f.GetRows("打卡 Check-ins")
	if len(ci) != 2 || ci[1][0] != "2026-11-23" || ci[1][7] != "进展顺利" {
		t.Errorf("check-ins = %q", ci)
	}
}

// TestExportFormatsAndAPI covers /export csv and md, an admin's export of
// every project from a direct chat, the arguments /export refuses, and GET
// /api/v1/export with its errors.
func TestExportFormatsAndAPI(t *testing.T) {
	ta := startApp(t, testConfig+"\n[[playground.groups]]\nid = \"beta\"\nname = \"Beta 闲聊群\"\nmembers = [\"alice\", \"bob\"]\n", "")
	ta.reply("alice", "alpha", "/project new Alpha acceptance:off")
	ta.reply("alice", "alpha", "/task new 接口文档 @bob due:2026-11-25")
	ta.reply("alice", "dm", "/project new Beta")
	ta.reply("alice", "dm", "/task new Beta 任务 @carol due:2026-11-26 project:P2")

	code, ctype, body := download(t, ta.linkOf(ta.reply("alice", "alpha", "/导出 csv 从:2026-11-01 到:2026-11-30")))
	if code != 200 || ctype != "application/zip" {
		t.Fatalf("csv: %d %s", code, ctype)
	}
	names := zipNames(t, body)
	if !slices.Contains(names, "tasks.csv") || !slices.Contains(names, "checkins.csv") {
		t.Errorf("csv zip holds %q", names)
	}
	code, ctype, body = download(t, ta.linkOf(ta.reply("alice", "alpha", "/export P1 md")))
	if code != 200 || !strings.HasPrefix(ctype, "text/markdown") || !strings.Contains(string(body), "# 周报 · Alpha") {
		t.Errorf("md: %d %s %q", code, ctype, body)
	}
	// An admin's /export in a direct chat, with no project: every project.
	_, _, body = download(t, ta.linkOf(ta.reply("alice", "dm", "/export csv")))
	if tasks := zipFile(t, body, "tasks.csv"); !strings.Contains(tasks, "Beta 任务") || !strings.Contains(tasks, "接口文档") {
		t.Errorf("every project's tasks.csv = %q", tasks)
	}
	for _, bad := range []string{"/export P1 pdf", "/export P1 xlsx from:someday", "/export P1 from:2026-11-20 to:2026-11-10", "/export P9"} {
		if got := ta.reply("alice", "alpha", bad); fileLink.MatchString(got) || !strings.HasPrefix(got, "⚠️") {
			t.Errorf("%s = %q, want a refusal", bad, got)
		}
	}
	if got := ta.reply("bob", "dm", "/export"); fileLink.MatchString(got) {
		t.Errorf("/export by bob in a direct chat = %q, want: which project?", got)
	}
	if got := ta.reply("alice", "beta", "/export"); fileLink.MatchString(got) {
		t.Errorf("/export by an admin in a group of no project = %q: every project's data must not go to a group", got)
	}

	req, _ := http.NewRequest("GET", ta.base+"/api/v1/export?project=P1&format=xlsx", nil)
	req.Header.Set("Authorization", "Bearer test-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), "loopbot-P1-2026-11-23.xlsx") {
		t.Errorf("api export: %d %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}
	if f, err := excelize.OpenReader(bytes.NewReader(raw)); err != nil {
		t.Errorf("api export is not a workbook: %v", err)
	} else {
		f.Close()
	}
	for q, want := range map[string]int{
		"?project=P1&format=pdf": 400, "?project=X": 400, "?project=P9": 404, "?from=2026-13-01": 400,
		"?from=2026-11-20&to=2026-11-01": 400, "?projet=P1": 400,
	} {
		var out map[string]any
		if code := ta.call("GET", "/api/v1/export"+q, nil, nil); code != want {
			t.Errorf("GET /api/v1/export%s = %d, want %d (%v)", q, code, want, out)
		}
	}
	for _, auth := range []string{"", "Bearer wrong", "Bearer test-token-and-more", "test-token"} {
		req, _ := http.NewRequest("GET", ta.base+"/api/v1/export?project=P1", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("Authorization %q: %d, want 401", auth, resp.StatusCode)
		}
	}
}

func zipNames(t *testing.T, raw []byte) []string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	var out []string
	for _, f := range zr.File {
		out = append(out, f.Name)
	}
	return out
}

func zipFile(t *testing.T, raw []byte, name string) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	for _, f := range zr.File {
		if f.Name == name {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			return string(b)
		}
	}
	t.Fatalf("%s not in the zip", name)
	return ""
}

// downloadAuth GETs an admin API URL with the test token.
func downloadAuth(tb testing.TB, link string) (int, string, []byte) {
	tb.Helper()
	req, _ := http.NewRequest("GET", link, nil)
	req.Header.Set("Authorization", "Bearer test-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("GET %s: %v", link, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), body
}
