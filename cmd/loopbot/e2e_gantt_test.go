package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/export"
	"github.com/loopbot/loopbot/flows"
)

// TestGanttsFollowThePlan: the board's Gantt, its PNG chart's bars and
// the workbook's Gantt sheet (and gantt.csv) draw each task from its
// earliest start in the plan to its committed finish, with the critical
// path: in boardScenario, T2 and T3 wait for T1 (due 11-25) and T4 for
// both, so T4 starts after T3 (due 12-08), not on the day it was made.
// The bars used to run from the day each task was made to its due date.
func TestGanttsFollowThePlan(t *testing.T) {
	ta, url := boardScenario(t)
	var b struct{ Gantt struct{ Bars []bot.Bar } }
	if code := ta.call("GET", strings.TrimPrefix(url, ta.base)+"/data.json", nil, &b); code != 200 {
		t.Fatalf("data.json: %d", code)
	}
	type span struct {
		start, finish string
		critical      bool
	}
	board := map[string]span{}
	for _, bar := range b.Gantt.Bars {
		board[bar.Task] = span{bar.Start.String(), bar.Finish.String(), bar.Critical}
	}
	want := map[string]span{
		"T1": {"2026-11-23", "2026-11-25", false},
		"T2": {"2026-11-26", "2026-12-04", false},
		"T3": {"2026-11-26", "2026-12-08", false},
		"T4": {"2026-12-09", "2026-12-15", true}, // the last to finish; its due date gives the others slack
	}
	for id, w := range want {
		if board[id] != w {
			t.Errorf("board bar %s = %+v, want %+v (the plan's schedule)", id, board[id], w)
		}
	}

	// The PNG chart of the Gantt is drawn from the same bars.
	var chart *bot.Chart
	err := ta.app.store.View(context.Background(), func(tx bot.Tx) error {
		var err error
		chart, err = ta.app.flows.ChartOf(tx, bot.Link{Kind: bot.LinkChart, Project: 1, Format: flows.ChartGantt, To: bot.NewDate(2026, 11, 26)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, bar := range chart.Bars {
		if got := (span{bar.Start.String(), bar.Finish.String(), bar.Critical}); got != board[bar.Task] {
			t.Errorf("chart bar %s = %+v, board %+v", bar.Task, got, board[bar.Task])
		}
	}

	// gantt.csv and the workbook's Gantt sheet: ID, Title, Assignee,
	// Start, Finish, Working days, Progress, Milestone, Critical, Status.
	var zipped, book bytes.Buffer
	ctx := context.Background()
	if err := ta.app.exporter.Write(ctx, &zipped, export.Request{Project: 1}, export.CSV); err != nil {
		t.Fatal(err)
	}
	if err := ta.app.exporter.Write(ctx, &book, export.Request{Project: 1}, export.XLSX); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(zipped.Bytes()), int64(zipped.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	for _, f := range zr.File {
		if f.Name == "gantt.csv" {
			rc, _ := f.Open()
			raw, _ := io.ReadAll(rc)
			rc.Close()
			if rows, err = csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\ufeff")))).ReadAll(); err != nil {
				t.Fatal(err)
			}
		}
	}
	xf, err := excelize.OpenReader(&book)
	if err != nil {
		t.Fatal(err)
	}
	defer xf.Close()
	sheet, err := xf.GetRows("甘特 Gantt")
	if err != nil {
		t.Fatal(err)
	}
	for name, rows := range map[string][][]string{"gantt.csv": rows, "Gantt sheet": sheet} {
		if len(rows) != 5 {
			t.Errorf("%s has %d rows, want a header and 4 tasks", name, len(rows))
			continue
		}
		for _, r := range rows[1:] {
			got := span{r[3], r[4], r[8] == "yes" || r[8] == "TRUE"}
			if got != board[r[0]] {
				t.Errorf("%s: %s = %+v, board %+v", name, r[0], got, board[r[0]])
			}
		}
	}
}
