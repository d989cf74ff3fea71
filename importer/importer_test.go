package importer

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"

	"github.com/loopbot/loopbot/bot"
)

func readSample(tb testing.TB) []byte {
	tb.Helper()
	data, err := os.ReadFile("../docs/plan-sample.csv")
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

func mustParse(tb testing.TB, data []byte) *Plan {
	tb.Helper()
	tab, err := Decode("plan", data)
	if err != nil {
		tb.Fatalf("Decode: %v", err)
	}
	return Parse(tab, Options{})
}

func date(s string) bot.Date {
	d, err := bot.ParseISODate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// TestParseSample reads the 10-task sample plan (Chinese headers) and
// checks what each row becomes.
func TestParseSample(t *testing.T) {
	p := mustParse(t, readSample(t))
	if len(p.Problems) > 0 || len(p.Items) != 10 || len(p.Ignored) != 0 {
		t.Fatalf("problems %v, %d items, ignored %v", p.Problems, len(p.Items), p.Ignored)
	}
	want := map[int]Item{
		0: {Row: 2, Ref: "1", Title: "需求分析", Assignee: "李博 Bob", Start: date("2026-10-12"), Due: date("2026-10-16"), Estimate: 5, Priority: bot.PrioNormal, Parent: -1},
		1: {Row: 3, Ref: "2", Title: "需求评审", Assignee: "王丽 Alice", Start: date("2026-10-16"), Due: date("2026-10-16"), Priority: bot.PrioNormal, After: []int{0}, Parent: -1, Milestone: true},
		2: {Row: 4, Ref: "3", Title: "系统设计", Assignee: "carol", Start: date("2026-10-19"), Due: date("2026-10-23"), Estimate: 5, Priority: bot.PrioNormal, After: []int{1}, Parent: -1},
		6: {Row: 8, Ref: "7", Title: "联调", Assignee: "Dave Miller", Start: date("2026-11-12"), Due: date("2026-11-16"), Estimate: 3, Priority: bot.PrioNormal, After: []int{4, 5}, Parent: 3},
		7: {Row: 9, Ref: "8", Title: "测试", Assignee: "陈晨 Carol", Start: date("2026-11-17"), Due: date("2026-11-23"), Estimate: 5, Priority: bot.PrioNormal, After: []int{6}, Parent: -1},
		9: {Row: 11, Ref: "10", Title: "上线", Assignee: "alice", Start: date("2026-11-25"), Due: date("2026-11-25"), Priority: bot.PrioNormal, After: []int{8}, Parent: -1, Milestone: true},
	}
	for i, w := range want {
		if got := p.Items[i]; !reflect.DeepEqual(got, w) {
			t.Errorf("item %d:\n got %+v\nwant %+v", i, got, w)
		}
	}
}

// TestDecodeCSVEncodings reads the sample as Excel and WPS save it on
// Chinese and other systems; each reads the same.
func TestDecodeCSVEncodings(t *testing.T) {
	utf8Data := readSample(t)
	want := mustParse(t, utf8Data)
	// GBK (code page 936, what Excel's "CSV" writes on Chinese Windows)
	// has no ✓, so that file marks the milestone with 是.
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes(bytes.ReplaceAll(utf8Data, []byte("✓"), []byte("是")))
	if err != nil {
		t.Fatal(err)
	}
	gb18030, err := simplifiedchinese.GB18030.NewEncoder().Bytes(utf8Data)
	if err != nil {
		t.Fatal(err)
	}
	utf16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes(bytes.ReplaceAll(utf8Data, []byte(","), []byte("\t")))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"utf-8 with BOM":   append([]byte{0xEF, 0xBB, 0xBF}, utf8Data...),
		"gbk":              gbk,
		"gb18030":          gb18030,
		"utf-16 tabs":      utf16,
		"crlf":             bytes.ReplaceAll(utf8Data, []byte("\n"), []byte("\r\n")),
		"semicolons":       bytes.ReplaceAll(bytes.ReplaceAll(utf8Data, []byte(","), []byte(";")), []byte(`"5;6"`), []byte(`"5,6"`)),
		"trailing empties": bytes.ReplaceAll(utf8Data, []byte("\n"), []byte(",,\n")),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			got := mustParse(t, data)
			if len(got.Problems) > 0 || !reflect.DeepEqual(got.Items, want.Items) {
				t.Errorf("problems %v\n got %+v\nwant %+v", got.Problems, got.Items, want.Items)
			}
		})
	}
}

// TestCSVRowNumbers: a row's number is the one a spreadsheet shows, with
// blank lines counted and a quoted cell with line breaks as one row.
func TestCSVRowNumbers(t *testing.T) {
	data := "id,title,due\n1,\"two\nlines\",2026-10-12\n\n\n2,b,2026-13-01\n"
	p := mustParse(t, []byte(data))
	want := `row 5, column due: "2026-13-01" is not a real date`
	if len(p.Problems) != 1 || p.Problems[0].String() != want {
		t.Fatalf("problems %v; want %s", p.Problems, want)
	}
	if p.Items[0].Title != "two\nlines" || p.Items[0].Row != 2 {
		t.Errorf("item %+v", p.Items[0])
	}
}

// TestParseProblems: each problem is reported with its row and column, in
// the words an admin acts on.
func TestParseProblems(t *testing.T) {
	const head = "编号,任务,负责人,计划开始,截止,工期,前置任务,父任务,里程碑\n"
	cases := []struct {
		name, file string
		want       []string
	}{
		{"bad date", head + "1,a,bob,,2026-13-01\n2,b,bob,,明天\n",
			[]string{`row 2, column 截止 (due): "2026-13-01" is not a real date`,
				`row 3, column 截止 (due): "明天" is not a date; write a full date such as 2026-11-28, 2026/11/28, 2026.11.28, 2026年11月28日, 20261128`}},
		{"bad estimate", head + "1,a,bob,,,3周\n2,b,bob,,,-1\n",
			[]string{`row 2, column 工期 (estimate): "3周" is not an estimate; write working days such as 3, 3d or 3天 (at most 1000)`,
				`row 3, column 工期 (estimate): "-1" is not an estimate; write working days such as 3, 3d or 3天 (at most 1000)`}},
		{"duplicate id", head + "1,a\n2,b\n1,c\n",
			[]string{`row 4, column 编号 (id): "1" is also the id of row 2; each row needs its own id`}},
		{"duplicate id without case", "ID,Title\nA1,a\na1,b\n",
			[]string{`row 3, column ID: "a1" is also the id of row 2; each row needs its own id`}},
		{"empty id", head + "1,a\n,b\n",
			[]string{`row 3, column 编号 (id): is empty; every row needs its own id (1, 2, A1…) that other rows can refer to`}},
		{"missing column", "编号,负责人,截止\n1,bob,2026-10-12\n",
			[]string{`row 1, column title: the required column is missing; name it title, 标题, 任务 (the headers are: "编号", "负责人", "截止")`}},
		{"two due columns", "id,title,due,截止日期\n1,a,2026-10-12,2026-10-13\n",
			[]string{`row 1, column 截止日期 (due): a second due column (the first is "due"); keep one`}},
		{"unknown dependency", head + "1,a,,,,,9\n2,b,,,,,1,7\n",
			[]string{`row 2, column 前置任务 (depends on): "9" is no row's id`, `row 3, column 父任务 (parent): "7" is no row's id`}},
		{"self", head + "1,a,,,,,1,1\n",
			[]string{`row 2, column 前置任务 (depends on): a task cannot depend on itself`, `row 2, column 父任务 (parent): a task cannot be its own parent`}},
		{"cycle", head + "1,a\n2,b,,,,,\"1,5\"\n3,c,,,,,2\n5,e,,,,,3\n",
			[]string{`row 3, column 前置任务 (depends on): dependency cycle 2 → 3 → 5 → 2: each task waits for the one before it, so none can start`}},
		{"parent cycle", head + "A,a,,,,,,B\nB,b,,,,,,A\n",
			[]string{`row 2, column 父任务 (parent): parent cycle A → B → A: each task's parent is the next one`}},
		{"child after its parent", head + "A,a\nB,b,,,,,A,A\n",
			[]string{`row 2, column 前置任务 (depends on): dependency cycle A → B → A: each task waits for the one before it, so none can start`}},
		{"start after due", head + "1,a,,2026-10-12,2026-10-09\n",
			[]string{`row 2, column 截止 (due): 2026-10-09 is before the planned start 2026-10-12`}},
		{"milestone flag", head + "1,a,,,,,,,maybe\n2,b,,,,3,,,是\n",
			[]string{`row 2, column 里程碑 (milestone): "maybe" is not yes or no; write yes/no, 是/否 or ✓`,
				`row 3, column 工期 (estimate): a milestone takes no time; leave its estimate empty or 0`}},
		{"several assignees", head + "1,a,\"bob, carol\"\n",
			[]string{`row 2, column 负责人 (assignee): "bob, carol" names several people; a task has one assignee (split the row)`}},
		{"empty title", head + "1,,bob\n",
			[]string{`row 2, column 任务 (title): is empty; every task needs a title`}},
		{"lagged predecessor", "id,title,predecessors\n1,a\n2,b,1FS+2d\n3,c,1SS\n",
			[]string{`row 3, column predecessors (depends on): "1FS+2d" has a lag; only plain finish-to-start dependencies are supported`,
				`row 4, column predecessors (depends on): "1SS" is a SS dependency; only finish-to-start (FS) dependencies are supported`}},
		{"header only", head, []string{`row 1: the file has a header but no tasks`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := mustParse(t, []byte(c.file))
			var got []string
			for _, pr := range p.Problems {
				got = append(got, pr.String())
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("problems:\n got %q\nwant %q", got, c.want)
			}
		})
	}
}

// TestParseLenient: what people write in plans reads.
func TestParseLenient(t *testing.T) {
	file := "Task ID, Task Name ,Resource Names,Start Date,Finish,Duration (days),Predecessors,Milestone?,Notes,Extra\n" +
		"１,Design,bob,2026.10.12,20261016,5 days,,no,first,x\n" +
		"2,Build,carol,2026-10-19 0:00,2026-10-23T00:00:00Z,４ｄ,1FS,TRUE,,\n" +
		"3,Ship,dave,,2026/10/26,0.5天,\"1、2\",,,\n"
	p := mustParse(t, []byte(file))
	if len(p.Problems) > 0 {
		t.Fatalf("problems: %v", p.Problems)
	}
	if !reflect.DeepEqual(p.Ignored, []string{"Milestone?", "Extra"}) {
		t.Errorf("ignored %q", p.Ignored)
	}
	if it := p.Items[0]; it.Ref != "1" || it.Title != "Design" || it.Due != date("2026-10-16") || it.Estimate != 5 || it.Description != "first" {
		t.Errorf("row 2: %+v", it)
	}
	if it := p.Items[1]; it.Start != date("2026-10-19") || it.Due != date("2026-10-23") || it.Estimate != 4 || !reflect.DeepEqual(it.After, []int{0}) {
		t.Errorf("row 3: %+v", it)
	}
	if it := p.Items[2]; it.Estimate != 0.5 || !reflect.DeepEqual(it.After, []int{0, 1}) {
		t.Errorf("row 4: %+v", it)
	}
}

// TestParseWarnings: a due date in the past or on a day off is a warning,
// not a problem.
func TestParseWarnings(t *testing.T) {
	tab, err := Decode("plan.csv", []byte("id,title,due\n1,a,2026-10-01\n2,b,2026-10-17\n3,c,2026-10-19\n"))
	if err != nil {
		t.Fatal(err)
	}
	p := Parse(tab, Options{Today: date("2026-10-09"), Cal: weekends{}})
	var got []string
	for _, w := range p.Warnings {
		got = append(got, w.String())
	}
	want := []string{"row 2, column due: 2026-10-01 is in the past; the task will be overdue at once", "row 3, column due: 2026-10-17 is not a working day"}
	if len(p.Problems) > 0 || !reflect.DeepEqual(got, want) {
		t.Errorf("problems %v, warnings %q; want %q", p.Problems, got, want)
	}
}

type weekends struct{}

func (weekends) IsWorkday(d bot.Date) bool { return d.Weekday() != 0 && d.Weekday() != 6 }

// TestDecodeXLSX reads a workbook as Excel writes one: English headers,
// real date cells (a built-in and a custom date format), numbers and
// booleans, on the second sheet after a cover sheet.
func TestDecodeXLSX(t *testing.T) {
	data := sampleXLSX(t, false)
	p := mustParse(t, data)
	want := mustParse(t, readSample(t))
	if len(p.Problems) > 0 || p.Format != XLSX || p.Sheet != "Plan" {
		t.Fatalf("problems %v, format %s, sheet %q", p.Problems, p.Format, p.Sheet)
	}
	if !reflect.DeepEqual(p.Items, want.Items) {
		t.Errorf("items\n got %+v\nwant %+v", p.Items, want.Items)
	}
	if p1904 := mustParse(t, sampleXLSX(t, true)); !reflect.DeepEqual(p1904.Items, want.Items) {
		t.Errorf("1904 date system: items\n got %+v\nwant %+v", p1904.Items, want.Items)
	}
}

// sampleXLSX writes the sample plan as a workbook with English headers.
func sampleXLSX(tb testing.TB, date1904 bool) []byte {
	tb.Helper()
	tab, err := DecodeCSV(readSample(tb))
	if err != nil {
		tb.Fatal(err)
	}
	f := excelize.NewFile()
	defer f.Close()
	if date1904 {
		yes := true
		if err := f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes}); err != nil {
			tb.Fatal(err)
		}
	}
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	must(f.SetCellValue("Sheet1", "A1", "Cover: the plan is on the next sheet"))
	_, err = f.NewSheet("Plan")
	must(err)
	builtin, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	must(err)
	custom := "yyyy\"年\"m\"月\"d\"日\""
	customStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &custom})
	must(err)
	must(f.SetSheetRow("Plan", "A1", &[]any{"ID", "Title", "Assignee", "Planned start", "Due", "Estimate", "Depends on", "Parent", "Milestone"}))
	for i, r := range tab.Rows[1:] {
		row := i + 2
		for j := range 9 {
			cell, _ := excelize.CoordinatesToCellName(j+1, row)
			v := r.Cell(j)
			switch {
			case (j == 3 || j == 4) && v != "":
				d, err := parseDate(v)
				must(err)
				must(f.SetCellValue("Plan", cell, d.In(time0)))
				style := builtin
				if j == 4 {
					style = customStyle
				}
				must(f.SetCellStyle("Plan", cell, cell, style))
			case j == 0 || (j == 5 && v != "" && !strings.ContainsAny(v, "天d")):
				n, _ := bot.ParseDecimal(v)
				must(f.SetCellValue("Plan", cell, n))
			case j == 8 && v != "":
				flag, err := parseFlag(v)
				must(err)
				must(f.SetCellValue("Plan", cell, flag))
			default:
				must(f.SetCellValue("Plan", cell, v))
			}
		}
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// TestDecodeNotAPlan: files that are no plan get a message saying so.
func TestDecodeNotAPlan(t *testing.T) {
	cases := map[string][]byte{
		"is empty":                 []byte(" \n "),
		"is an old .xls workbook":  {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0},
		"cannot be read":           []byte("PK\x03\x04garbage"),
		"is not text":              []byte("id,title\x00\n"),
		"is larger than 10 MiB":    bytes.Repeat([]byte("a"), MaxFileSize+1),
		"has more than 10000 rows": []byte("id,title\n" + strings.Repeat("1,a\n", MaxRows)),
	}
	for want, data := range cases {
		_, err := Decode("plan.csv", data)
		var fe *FileError
		if !errors.As(err, &fe) || !strings.Contains(fe.Message, want) {
			t.Errorf("Decode(%q…) = %v; want a FileError saying %q", data[:min(len(data), 8)], err, want)
		}
	}
}

var time0 = time.UTC
