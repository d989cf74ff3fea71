package bot_test

import (
	"reflect"
	"testing"

	"github.com/loopbot/loopbot/bot"
)

func TestGanttLines(t *testing.T) {
	ch := bot.Chart{Type: bot.ChartGantt, Bars: []bot.Bar{
		{Task: "T3", Label: "设计评审", Start: bot.NewDate(2026, 11, 20), Finish: bot.NewDate(2026, 11, 27), Progress: 40, Critical: true},
		{Task: "T4", Label: "a very long label that goes on and on", Start: bot.NewDate(2026, 11, 23), Finish: bot.NewDate(2026, 11, 24), Progress: 100, Done: true},
		{Task: "T9", Label: "上线", Start: bot.NewDate(2026, 12, 18), Finish: bot.NewDate(2026, 12, 18), Milestone: true, Critical: true},
		{Task: "T5", Progress: 0},
	}}
	want := []string{
		"T3 设计评审 11-20→11-27 ■■□□□ 40% !",
		"T4 a very long label th… 11-23→11-24 ■■■■■ 100%",
		"◆ T9 上线 12-18 !",
		"T5 ?→? □□□□□ 0%",
	}
	if got := ch.GanttLines(); !reflect.DeepEqual(got, want) {
		t.Errorf("GanttLines:\n got %q\nwant %q", got, want)
	}
	if got := (bot.Chart{Type: "burnup"}).GanttLines(); got != nil {
		t.Errorf("a burn-up chart has no Gantt lines, got %q", got)
	}
}
