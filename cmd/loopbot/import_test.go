package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/importer"
)

// importConfig has the demo people of config.example.toml, whom the
// sample plan (docs/plan-sample.csv) names; Carol has an email address. The
// fake clock starts on Friday 2026-10-09, before the plan's first day.
const importConfig = `
[server]
listen = "127.0.0.1:0"
admin_token = "test-token"
[store]
path = "%DB%"
[playground]
enabled = true
fake_clock = true
fake_clock_start = "2026-10-09T09:00:00+08:00"
[[playground.people]]
id = "alice"
name = "王丽 Alice"
roles = ["admin"]
[[playground.people]]
id = "bob"
name = "李博 Bob"
manager = "alice"
[[playground.people]]
id = "carol"
name = "陈晨 Carol"
email = "carol@example.com"
manager = "alice"
[[playground.people]]
id = "dave"
name = "Dave Miller"
manager = "alice"
[[playground.groups]]
id = "alpha"
name = "Alpha 项目群"
members = ["alice", "bob", "carol", "dave"]
`

const samplePlan = "../../docs/plan-sample.csv"

// samplePlanTasks is what the sample plan makes, task by task: id, title,
// assignee, assigner, status, planned start, due, baseline due, estimate,
// depends on, parent, milestone.
var samplePlanTasks = []string{
	"T1 需求分析 playground:bob playground:alice assigned 2026-10-12 2026-10-16 2026-10-16 5 [] 0 false",
	"T2 需求评审 playground:alice playground:alice accepted 2026-10-16 2026-10-16 2026-10-16 0 [1] 0 true",
	"T3 系统设计 playground:carol playground:alice assigned 2026-10-19 2026-10-23 2026-10-23 5 [2] 0 false",
	"T4 开发 playground:bob playground:alice assigned 2026-10-26 2026-11-16 2026-11-16 0 [3] 0 false",
	"T5 后端接口 playground:bob playground:alice assigned 2026-10-26 2026-11-06 2026-11-06 10 [3] 4 false",
	"T6 前端页面 playground:carol playground:alice assigned 2026-10-26 2026-11-11 2026-11-11 13 [3] 4 false",
	"T7 联调 playground:dave playground:alice assigned 2026-11-12 2026-11-16 2026-11-16 3 [5 6] 4 false",
	"T8 测试 playground:carol playground:alice assigned 2026-11-17 2026-11-23 2026-11-23 5 [7] 0 false",
	"T9 上线准备 playground:dave playground:alice assigned 2026-11-24 2026-11-25 2026-11-25 2 [8] 0 false",
	"T10 上线 playground:alice playground:alice accepted 2026-11-25 2026-11-25 2026-11-25 0 [9] 0 true",
}

// storedTasks describes the tasks of the store in samplePlanTasks' form.
func (ta *testApp) storedTasks() []string {
	ta.tb.Helper()
	var out []string
	err := ta.app.store.View(context.Background(), func(tx bot.Tx) error {
		ts, err := tx.Tasks(bot.TaskFilter{})
		for _, t := range ts {
			out = append(out, fmt.Sprintf("%s %s %s %s %s %s %s %s %g %v %d %v", t.Code(), t.Title, t.Assignee, t.Assigner, t.Status,
				t.PlannedStart, t.Due, t.BaselineDue, t.EstimateDays, t.DependsOn, t.Parent, t.Milestone))
		}
		return err
	})
	if err != nil {
		ta.tb.Fatal(err)
	}
	return out
}

// assignedCards returns, per person, the tasks of the assignment cards in
// their direct chat, once the outbox has delivered everything.
func (ta *testApp) assignedCards() map[string][]string {
	ta.tb.Helper()
	if err := ta.app.dispatcher.Drain(context.Background()); err != nil {
		ta.tb.Fatal(err)
	}
	out := map[string][]string{}
	for _, p := range []string{"alice", "bob", "carol", "dave"} {
		for _, c := range ta.cards("dm:"+p, bot.CardTaskAssigned) {
			out[p] = append(out[p], c.Card.Refs["task"])
		}
	}
	return out
}

var sampleCards = map[string][]string{"bob": {"T1", "T4", "T5"}, "carol": {"T3", "T6", "T8"}, "dave": {"T7", "T9"}}

// postPlan sends a plan to POST /api/v1/import and decodes the answer.
func (ta *testApp) postPlan(query, contentType string, body []byte) (int, apiImportJSON) {
	ta.tb.Helper()
	req, _ := http.NewRequest("POST", ta.base+"/api/v1/import?"+query, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer test-token")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ta.tb.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out apiImportJSON
	if err := json.Unmarshal(raw, &out); err != nil {
		ta.tb.Fatalf("answer %q: %v", raw, err)
	}
	return resp.StatusCode, out
}

func readFile(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// englishPlan is the sample plan with English headers, and Carol named by
// her email address and her platform id.
func englishPlan(tb testing.TB) []byte {
	data := string(readFile(tb, samplePlan))
	_, rest, _ := strings.Cut(data, "\n")
	rest = strings.Replace(rest, "陈晨 Carol", "CAROL@example.com", 1)
	rest = strings.Replace(rest, ",Carol,", ",playground:carol,", 1)
	return []byte("ID,Title,Assignee,Planned Start,Due Date,Estimate,Depends On,Parent,Milestone\n" + rest)
}

// planXLSX writes a plan's CSV as a workbook as Excel would: real date
// cells, number cells for ids and plain estimates.
func planXLSX(tb testing.TB, csvData []byte) []byte {
	tb.Helper()
	tab, err := importer.DecodeCSV(csvData)
	if err != nil {
		tb.Fatal(err)
	}
	f := excelize.NewFile()
	defer f.Close()
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		tb.Fatal(err)
	}
	for i, r := range tab.Rows {
		for j, v := range r.Cells {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			var err error
			if d, derr := bot.ParseISODate(strings.ReplaceAll(v, "/", "-")); i > 0 && derr == nil {
				err = f.SetCellValue("Sheet1", cell, d.In(time.UTC))
				if err == nil {
					err = f.SetCellStyle("Sheet1", cell, cell, dateStyle)
				}
			} else if n, nerr := fmt.Sscanf(v, "%d", new(int)); i > 0 && nerr == nil && n == 1 && fmt.Sprint(atoiTest(v)) == v {
				err = f.SetCellValue("Sheet1", cell, atoiTest(v))
			} else {
				err = f.SetCellValue("Sheet1", cell, v)
			}
			if err != nil {
				tb.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func atoiTest(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func multipartFile(tb testing.TB, name string, data []byte) (string, []byte) {
	tb.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("note", "ignored")
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		tb.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

// TestImportPlanAPI imports the 10-task sample plan through the admin API,
// as CSV (Chinese headers, UTF-8 and GBK) and XLSX (English headers): a dry
// run writes nothing; apply creates the tasks with their plan fields and
// sends the assignment cards to everyone but the assigner.
func TestImportPlanAPI(t *testing.T) {
	xlsxType := "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes(bytes.ReplaceAll(readFile(t, samplePlan), []byte("✓"), []byte("是")))
	if err != nil {
		t.Fatal(err)
	}
	xlsxType2, xlsxBody := multipartFile(t, "plan.xlsx", planXLSX(t, englishPlan(t)))
	files := []struct {
		name, contentType string
		body              []byte
	}{
		{"csv zh", "text/csv; charset=utf-8", readFile(t, samplePlan)},
		{"csv gbk", "text/csv", gbk},
		{"csv en", "", englishPlan(t)},
		{"xlsx raw", xlsxType, planXLSX(t, readFile(t, samplePlan))},
		{"xlsx en multipart", xlsxType2, xlsxBody},
	}
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			ta := startApp(t, importConfig, "")
			ta.reply("alice", "alpha", "/project new Alpha")
			before := ta.state()
			code, dry := ta.postPlan("project=P1", f.contentType, f.body)
			if code != 200 || dry.Applied || len(dry.Tasks) != 10 || len(dry.Problems) != 0 || dry.Assigner != "playground:alice" {
				t.Fatalf("dry run: %d %+v", code, dry)
			}
			if got := dry.Tasks[6]; got.Ref != "7" || got.Assignee != "playground:dave" || !reflect.DeepEqual(got.DependsOn, []string{"5", "6"}) || got.Parent != "4" || got.ID != "" {
				t.Errorf("dry run row 8: %+v", got)
			}
			if ta.state() != before || len(ta.assignedCards()) != 0 {
				t.Fatal("the dry run wrote something")
			}
			code, done := ta.postPlan("project=P1&apply=true", f.contentType, f.body)
			if code != 201 || !done.Applied || done.Cards != 8 || done.Tasks[9].ID != "T10" {
				t.Fatalf("apply: %d %+v", code, done)
			}
			if got := ta.storedTasks(); !reflect.DeepEqual(got, samplePlanTasks) {
				t.Errorf("tasks:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(samplePlanTasks, "\n"))
			}
			if got := ta.assignedCards(); !reflect.DeepEqual(got, sampleCards) {
				t.Errorf("assignment cards %v; want %v", got, sampleCards)
			}
		})
	}
}

// TestImportPlanProblems: each problem is answered with its row and column,
// and nothing is written.
func TestImportPlanProblems(t *testing.T) {
	ta := startApp(t, importConfig, "")
	ta.reply("alice", "alpha", "/project new Alpha")
	head := "编号,任务,负责人,计划开始,截止,工期,前置任务,父任务,里程碑\n"
	cases := []struct {
		name, query, file string
		want              []string
	}{
		{"unknown assignee", "project=P1", head + "1,a,bob,,2026-10-12\n2,b,Zed,,2026-10-13\n3,c,feishu:ou_1,,2026-10-14\n",
			[]string{`row 3, column 负责人 (assignee): "Zed" matches nobody the bot knows; write a platform id (feishu:ou_…), a name or an email address`,
				`row 4, column 负责人 (assignee): "feishu:ou_1" is on feishu, which is not enabled in this deployment`}},
		{"bad date", "project=P1", head + "1,a,bob,,2026-10-12\n2,b,bob,,2026-13-01\n",
			[]string{`row 3, column 截止 (due): "2026-13-01" is not a real date`}},
		{"cycle", "project=P1", head + "1,a,bob,,,,3\n2,b,bob,,,,1\n3,c,bob,,,,2\n",
			[]string{`row 2, column 前置任务 (depends on): dependency cycle 1 → 2 → 3 → 1: each task waits for the one before it, so none can start`}},
		{"duplicate id", "project=P1", head + "1,a,bob\n2,b,bob\n2,c,bob\n",
			[]string{`row 4, column 编号 (id): "2" is also the id of row 3; each row needs its own id`}},
		{"missing column", "project=P1", "编号,负责人\n1,bob\n",
			[]string{`row 1, column title: the required column is missing; name it title, 标题, 任务 (the headers are: "编号", "负责人")`}},
		{"unknown project", "project=P9", head + "1,a,bob\n",
			[]string{`there is no project P9; create it first with /project new`}},
		{"no permission", "project=P1&as=playground:carol", head + "1,a,bob\n",
			[]string{`playground:carol may not import into P1: only admins and the project's managers assign its tasks`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := ta.state()
			for _, apply := range []string{"", "&apply=true"} {
				code, out := ta.postPlan(c.query+apply, "text/csv", []byte(c.file))
				var got []string
				for _, p := range out.Problems {
					got = append(got, p.String())
				}
				if code != 422 || out.Error == nil || out.Applied || !reflect.DeepEqual(got, c.want) {
					t.Errorf("%s: %d %+v\nproblems %q\nwant     %q", c.query+apply, code, out.Error, got, c.want)
				}
			}
			if ta.state() != before || len(ta.assignedCards()) != 0 {
				t.Fatal("a plan with problems wrote something")
			}
		})
	}
}

// TestImportPlanAPIRequests: the API's auth and bad requests.
func TestImportPlanAPIRequests(t *testing.T) {
	ta := startApp(t, importConfig, "")
	ta.reply("alice", "alpha", "/project new Alpha")
	plan := readFile(t, samplePlan)
	cases := []struct {
		name, query, contentType string
		body                     []byte
		status                   int
		message                  string
	}{
		{"no project", "", "text/csv", plan, 400, "project: give the project"},
		{"bad apply", "project=P1&apply=maybe", "text/csv", plan, 400, "apply: maybe is not true or false"},
		{"bad as", "project=P1&as=nobody:x", "text/csv", plan, 400, "as: nobody:x is not a person id"},
		{"json body", "project=P1", "application/json", []byte(`{}`), 415, "application/json is not a plan"},
		{"no file field", "project=P1", "multipart/form-data; boundary=x", []byte("--x\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nv\r\n--x--\r\n"), 400, `no "file" field`},
		{"old xls", "project=P1", "application/octet-stream", []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0}, 400, "old .xls workbook"},
		{"too big", "project=P1", "text/csv", bytes.Repeat([]byte("a,"), importer.MaxFileSize/2+1), 413, "larger than 10 MiB"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out := ta.postPlan(c.query, c.contentType, c.body)
			if code != c.status || out.Error == nil || !strings.Contains(out.Error.Message, c.message) {
				t.Errorf("%d %+v; want %d with %q", code, out.Error, c.status, c.message)
			}
		})
	}
	req, _ := http.NewRequest("POST", ta.base+"/api/v1/import?project=P1&apply=true", bytes.NewReader(plan))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 401 {
		t.Fatalf("without a token: %v %v", resp, err)
	}
	resp.Body.Close()
	if len(ta.storedTasks()) != 0 {
		t.Fatal("a refused request created tasks")
	}
}

// TestImportCommand runs loopbot import on a stopped service's database:
// the dry run, a plan with problems, -apply, and a database in use. The
// cards queued by -apply are delivered when the service starts.
func TestImportCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "loopbot.db")
	cfg := filepath.Join(dir, "config.toml")
	writeFile(t, cfg, strings.ReplaceAll(importConfig, "%DB%", filepath.ToSlash(db)))
	ta := startApp(t, importConfig, db)
	ta.reply("alice", "alpha", "/project new Alpha")
	ta.stop()

	run := func(args ...string) (string, string, error) {
		var stdout, stderr bytes.Buffer
		err := Run(context.Background(), append([]string{"import"}, args...), nil, &stdout, &stderr)
		return stdout.String(), stderr.String(), err
	}
	bad := filepath.Join(dir, "bad.csv")
	writeFile(t, bad, "编号,任务,负责人,截止\n1,a,Zed,2026-10-12\n")
	out, _, err := run("-config", cfg, "-project", "P1", bad)
	if err == nil || !strings.Contains(out, `row 2, column 负责人 (assignee): "Zed" matches nobody`) || !strings.Contains(err.Error(), "nothing was written") {
		t.Fatalf("bad plan: %v\n%s", err, out)
	}
	out, _, err = run("-config", cfg, "-project", "P1", samplePlan)
	if err != nil || !strings.Contains(out, "Dry run: 10 tasks would be created, assigned by 王丽 Alice (playground:alice), and 8 assignment card(s) sent") ||
		!strings.Contains(out, "联调") {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	// Flags may follow the file.
	out, _, err = run("-config", cfg, samplePlan, "-project", "P1", "-apply")
	if err != nil || !strings.Contains(out, "Imported 10 tasks (T1–T10), assigned by 王丽 Alice (playground:alice); 8 assignment card(s) queued") {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	if _, _, err := run("-project", "P1", samplePlan); !errors.Is(err, errUsage) && err == nil {
		t.Fatal("no config: want an error")
	}
	if _, stderr, err := run("-config", cfg, samplePlan); !errors.Is(err, errUsage) || !strings.Contains(stderr, "give -project P1") {
		t.Fatalf("without -project: %v %q", err, stderr)
	}
	if _, _, err := run("-config", cfg, "-project", "P1", "-db", filepath.Join(dir, "none.db"), samplePlan); err == nil || !strings.Contains(err.Error(), "there is no database at") {
		t.Fatalf("missing database: %v", err)
	}

	ta = startApp(t, importConfig, db)
	if got := ta.storedTasks(); !reflect.DeepEqual(got, samplePlanTasks) {
		t.Errorf("tasks:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(samplePlanTasks, "\n"))
	}
	if got := ta.assignedCards(); !reflect.DeepEqual(got, sampleCards) {
		t.Errorf("assignment cards %v; want %v", got, sampleCards)
	}
	if _, _, err := run("-config", cfg, "-project", "P1", samplePlan); err == nil || !strings.Contains(err.Error(), "in use by a running loopbot") {
		t.Fatalf("database in use: %v", err)
	}
}

// TestImportSampleWithTestPeople: the sample plan also imports with the
// people of the end-to-end tests (testConfig: Alice, Bob, Carol, Dave),
// whose one-word names are words of the plan's "李博 Bob"; its dates are
// then in the past, which is a warning, not a problem.
func TestImportSampleWithTestPeople(t *testing.T) {
	ta := startApp(t, testConfig, "")
	ta.reply("alice", "alpha", "/project new Alpha")
	code, out := ta.postPlan("project=P1&apply=true", "text/csv", readFile(t, samplePlan))
	if code != 201 || len(out.Warnings) == 0 {
		t.Fatalf("%d %+v", code, out)
	}
	if got := ta.storedTasks(); !reflect.DeepEqual(got, samplePlanTasks) {
		t.Errorf("tasks:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(samplePlanTasks, "\n"))
	}
}
