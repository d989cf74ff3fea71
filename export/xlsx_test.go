package export_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/loopbot/loopbot/export"
	"github.com/xuri/excelize/v2"
)

var wantSheets = []string{"概览 Summary", "任务 Tasks", "打卡 Check-ins", "督办 Escalations", "复盘 Reviews", "变更 Changes", "甘特 Gantt", "使用 Adoption"}

func writeXLSX(t *testing.T, req export.Request) (*excelize.File, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := scenario(t).Write(context.Background(), &buf, req, export.XLSX); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("the workbook does not open: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f, buf.Bytes()
}

func TestXLSXSheetsAndHeaders(t *testing.T) {
	f, raw := writeXLSX(t, export.Request{Project: 1, From: d(11, 16)})
	if got := f.GetSheetList(); !slices.Equal(got, wantSheets) {
		t.Fatalf("sheets = %q, want %q", got, wantSheets)
	}
	heads := map[string][]string{
		"任务 Tasks": {"编号 ID", "项目 Project", "父任务 Parent", "标题 Title", "负责人 Assignee", "分派人 Assigner", "状态 Status",
			"进度 Progress", "优先级 Priority", "计划开始 Planned start", "基线截止 Baseline due", "当前截止 Due",
			"估算工作日 Estimate (wd)", "依赖 Depends on", "里程碑 Milestone", "工时 Hours", "完成时间 Done at", "创建时间 Created",
			"人员编号 Assignee id", "标记 Flag"},
		"打卡 Check-ins": {"日期 Day", "人员 Person", "姓名 Name", "任务 Task", "进度 Progress", "状态 Status", "工时 Hours", "备注 Note",
			"提交时间 Submitted", "迟交 Late", "请假 Leave", "无变化 No change"},
		"变更 Changes": {"编号 ID", "任务 Task", "字段 Field", "原值 Old", "新值 New", "原因 Reason", "申请人 Requester", "状态 State",
			"决定人 Decider", "影响 Impact", "申请时间 Requested", "决定时间 Decided"},
	}
	for sheet, want := range heads {
		rows, err := f.GetRows(sheet)
		if err != nil || len(rows) == 0 || !slices.Equal(rows[0], want) {
			t.Errorf("%s header = %q (%v), want %q", sheet, rows, err, want)
		}
	}
	for _, sheet := range wantSheets {
		p, err := f.GetPanes(sheet)
		if err != nil || !p.Freeze || p.YSplit != 1 {
			t.Errorf("%s: panes %+v (%v), want the header row frozen", sheet, p, err)
		}
	}
	// Every sheet has an autofilter over its header and rows.
	for i := range wantSheets {
		xml := zipFile(t, raw, "xl/worksheets/sheet"+itoa(i+1)+".xml")
		if !regexp.MustCompile(`<autoFilter ref="\$?A\$?1:\$?[A-Z]+\$?[0-9]+"`).MatchString(xml) {
			t.Errorf("sheet %d (%s) has no autofilter", i+1, wantSheets[i])
		}
	}
}

func TestXLSXTaskCells(t *testing.T) {
	f, _ := writeXLSX(t, export.Request{Project: 1, From: d(11, 16)})
	const sheet = "任务 Tasks"
	rows, _ := f.GetRows(sheet)
	if len(rows) != 6 {
		t.Fatalf("tasks rows = %d, want header + T1..T5 (P2's T6 left out): %q", len(rows), rows)
	}
	byID := map[string][]string{}
	for _, r := range rows[1:] {
		byID[r[0]] = r
	}
	// Row 3 is T2: progress 40%, due 2026-11-24 (overdue today), high.
	cell := func(ref string) (formatted, raw string) {
		formatted, _ = f.GetCellValue(sheet, ref)
		raw, _ = f.GetCellValue(sheet, ref, excelize.Options{RawCellValue: true})
		return
	}
	if v, _ := f.GetCellValue(sheet, "A3"); v != "T2" {
		t.Fatalf("A3 = %q, want T2", v)
	}
	for _, c := range []struct{ ref, formatted, raw string }{
		{"H3", "40%", "0.4"},          // progress: a number with a % format
		{"L3", "2026-11-24", "46350"}, // due: a date cell
		{"K3", "2026-11-23", "46349"}, // baseline
		{"M3", "3", "3"},              // estimate
		{"P3", "4", "4"},              // hours
		{"N3", "T1", "T1"},
		{"T3", "overdue", "overdue"},
		{"E3", "Bob 张伟", "Bob 张伟"},
	} {
		if f, r := cell(c.ref); f != c.formatted || r != c.raw {
			t.Errorf("%s = %q (raw %q), want %q (raw %q)", c.ref, f, r, c.formatted, c.raw)
		}
	}
	for _, ref := range []string{"H3", "L3", "M3", "P3", "R3"} {
		if typ, _ := f.GetCellType(sheet, ref); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
			t.Errorf("%s has type %v, want a number", ref, typ)
		}
	}
	if v, _ := f.GetCellValue(sheet, "Q2"); v != "2026-11-19 10:00" {
		t.Errorf("T1 done at = %q, want 2026-11-19 10:00 (Shanghai)", v)
	}
	flags := map[string]string{"T1": "done", "T2": "overdue", "T3": "at_risk", "T4": "", "T5": ""}
	for id, want := range flags {
		if r := byID[id]; len(r) < 20 && want != "" || len(r) >= 20 && r[19] != want {
			t.Errorf("%s flag = %q, want %q", id, r, want)
		}
	}
	if byID["T4"][3] != injection || byID["T3"][3] != quoted {
		t.Errorf("titles = %q, %q: text cells must keep the text as it is", byID["T4"][3], byID["T3"][3])
	}
	if typ, _ := f.GetCellType(sheet, "D5"); typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString {
		t.Errorf("T4's title is a %v cell, want a string, never a formula", typ)
	}
	cfs, err := f.GetConditionalFormats(sheet)
	if err != nil || len(cfs) != 1 {
		t.Fatalf("conditional formats = %v, %v", cfs, err)
	}
	for _, rules := range cfs {
		var crit []string
		for _, r := range rules {
			crit = append(crit, r.Criteria)
		}
		want := []string{`$T2="overdue"`, `$T2="at_risk"`, `$T2="done"`}
		if !slices.Equal(crit, want) {
			t.Errorf("conditional rules %q, want %q", crit, want)
		}
	}
}

func TestXLSXOtherSheets(t *testing.T) {
	f, _ := writeXLSX(t, export.Request{Project: 1, From: d(11, 16)})
	ci, _ := f.GetRows("打卡 Check-ins")
	want := [][]string{
		{"2026-11-23", "playground:bob", "Bob 张伟", "T2", "30%", "on_track", "4", "进展顺利", "2026-11-23 10:00", "FALSE", "FALSE", "FALSE"},
		{"2026-11-24", "playground:bob", "Bob 张伟", "", "", "", "", "", "2026-11-24 09:40", "FALSE", "TRUE", "FALSE"},
		{"2026-11-24", "playground:carol", "Carol 李娜", "T3", "20%", "at_risk", "6.5", "等待环境, \"test\" env", "2026-11-24 19:00", "TRUE", "FALSE", "FALSE"},
	}
	if len(ci) != 4 {
		t.Fatalf("check-in rows: %q", ci)
	}
	for i, w := range want {
		if !slices.Equal(ci[i+1], w) {
			t.Errorf("check-in row %d = %q, want %q", i+1, ci[i+1], w)
		}
	}
	esc, _ := f.GetRows("督办 Escalations")
	if len(esc) != 3 || esc[1][0] != "E1" || esc[1][6] != "yellow" || esc[2][0] != "E2" || esc[2][12] != "resolved 已解决" {
		t.Errorf("escalations = %q, want E1 (yellow, open) and E2 (resolved), not P2's E3", esc)
	}
	rv, _ := f.GetRows("复盘 Reviews")
	if len(rv) != 2 || rv[1][0] != "2026-W47" || rv[1][6] != "外部依赖 external" {
		t.Errorf("reviews = %q", rv)
	}
	sum, _ := f.GetRows("概览 Summary")
	found := map[string][]string{}
	for _, r := range sum[1:] {
		found[r[2]] = r
	}
	if r := found["计划 Planned"]; len(r) < 4 || r[0] != "P1" || r[3] != "2" {
		t.Errorf("summary planned = %q, want 2 (T1 and T2 fall due from 11-16 to today, 11-25)", r)
	}
	if r := found["打卡参与率 Participation"]; len(r) < 4 || r[3] != "50%" {
		t.Errorf("summary participation = %q, want 50%% (2 of 4 asked)", r)
	}
	if r := found["截止 Deadline"]; len(r) < 4 || r[3] != "2026-12-18" {
		t.Errorf("summary deadline = %q", r)
	}
	ad, _ := f.GetRows("使用 Adoption")
	var bobTotal []string
	for _, r := range ad[1:] {
		if strings.Contains(r[1], "dave") || r[1] == "" {
			t.Errorf("adoption row %q: an export of P1 has its members' rows only", r)
		}
		if r[1] == "playground:bob" && r[3] == "合计 Total" {
			bobTotal = r
		}
	}
	if len(bobTotal) < 7 || bobTotal[4] != "2" || bobTotal[5] != "1" || bobTotal[6] != "50%" {
		t.Errorf("bob's adoption total = %q, want 2 asked, 1 answered, 50%%", bobTotal)
	}
	ch, _ := f.GetRows("变更 Changes")
	want1 := []string{"C1", "T3", "due", "2026-11-27", "2026-12-02", "环境延迟", "Carol 李娜", "pending", "",
		"完成 finish 2026-12-04 → 2026-12-04 (+0 wd); 顺延 moves T3 +3", "2026-11-25 10:00"}
	if len(ch) != 2 || !slices.Equal(ch[1], want1) {
		t.Errorf("changes = %q, want the header and C1 %q (not P2's C2)", ch, want1)
	}
	if typ, _ := f.GetCellType("变更 Changes", "E2"); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
		t.Errorf("C1's new date is a %v cell, want a date", typ)
	}
}

func TestXLSXGantt(t *testing.T) {
	f, _ := writeXLSX(t, export.Request{Project: 1})
	const sheet = "甘特 Gantt"
	rows, _ := f.GetRows(sheet)
	if len(rows) != 6 || rows[1][0] != "T1" {
		t.Fatalf("gantt rows = %q", rows)
	}
	// Columns K… are days from the plan's first start: T1 is done on
	// Thursday 11-19 after its 5 working days, so it ran from Friday 11-13.
	if v, _ := f.GetCellValue(sheet, "K1", excelize.Options{RawCellValue: true}); v != "46339" {
		t.Fatalf("K1 = %q, want the date 2026-11-13 (46339)", v)
	}
	fillOf := func(ref string) string {
		id, err := f.GetCellStyle(sheet, ref)
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.GetStyle(id)
		if err != nil || len(st.Fill.Color) == 0 {
			return ""
		}
		return st.Fill.Color[0]
	}
	// T1 (done) fills Fri 13, Mon 16 … Thu 19 green; the weekend between
	// is shaded grey.
	for _, ref := range []string{"K2", "N2", "Q2"} {
		if c := fillOf(ref); c != "70AD47" {
			t.Errorf("T1 at %s fill %q, want green 70AD47", ref, c)
		}
	}
	if c := fillOf("L2"); c != "D9D9D9" {
		t.Errorf("T1 on Saturday 11-14 fill %q, want the grey of a day off", c)
	}
	if c := fillOf("L1"); c != "BFBFBF" {
		t.Errorf("header on Saturday 11-14 fill %q, want a darker grey", c)
	}
	if c := fillOf("R2"); c != "" {
		t.Errorf("T1 after its finish (Friday 11-20) fill %q, want none", c)
	}
	// T2 is overdue (red) and, as the summary of T4, spans to 12-04 on the
	// critical path.
	if rows[3][0] != "T2" || rows[3][8] != "TRUE" || fillOf("R4") != "E06666" {
		t.Errorf("T2 row %q, fill on 11-20 %q: want critical and red", rows[3], fillOf("R4"))
	}
	// T5, the milestone on 2026-12-04, is a diamond.
	var ms string
	for i, r := range rows {
		if r[0] == "T5" {
			ms = cellRef(t, 11+21, i+1)
		}
	}
	if v, _ := f.GetCellValue(sheet, ms); v != "◆" {
		t.Errorf("milestone cell %s = %q, want ◆", ms, v)
	}
}

func cellRef(t *testing.T, col, row int) string {
	name, err := excelize.CoordinatesToCellName(col, row)
	if err != nil {
		t.Fatal(err)
	}
	return name
}

func zipFile(t *testing.T, raw []byte, name string) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
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

func itoa(i int) string { return strings.TrimSpace(string(rune('0' + i))) }
