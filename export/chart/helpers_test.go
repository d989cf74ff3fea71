package chart

import (
	"testing"

	"github.com/loopbot/loopbot/bot"
)

func mustFonts(tb testing.TB) *Fonts {
	tb.Helper()
	f, err := LoadFonts("")
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

func sampleCharts() map[string]bot.Chart {
	d := bot.NewDate
	return map[string]bot.Chart{
		"burnup": {Type: "burnup", Title: "燃起图 Burn-up",
			Labels: []string{"11-23", "11-24", "11-25", "11-26", "11-27", "11-30", "12-01"},
			Series: []bot.Series{{Name: "planned 计划", Values: []float64{1, 2, 3, 5, 6, 8, 9}}, {Name: "done 完成", Values: []float64{0, 1, 3, 3, 4, 5, 7}}}},
		"participation": {Type: "bar", Title: "打卡参与 Check-ins",
			Labels: []string{"王丽 Alice", "张伟", "Carol 陈", "赵敏 Dan"},
			Series: []bot.Series{{Name: "asked 应打卡", Values: []float64{5, 5, 4, 5}}, {Name: "answered 已打卡", Values: []float64{5, 3, 4, 1}}}},
		"gantt": {Type: "gantt", Title: "甘特图 Gantt", Bars: []bot.Bar{
			{Task: "T1", Label: "需求分析 Requirements", Start: d(2026, 11, 16), Finish: d(2026, 11, 20), Done: true, Critical: true},
			{Task: "T2", Label: "接口设计", Start: d(2026, 11, 23), Finish: d(2026, 11, 27), Progress: 100, Done: true},
			{Task: "T3", Label: "后端开发 Backend", Start: d(2026, 11, 23), Finish: d(2026, 12, 8), Progress: 60, Critical: true},
			{Task: "T4", Label: "前端开发", Start: d(2026, 11, 30), Finish: d(2026, 12, 4), Progress: 30},
			{Task: "T5", Label: "联调测试 Integration test", Start: d(2026, 12, 9), Finish: d(2026, 12, 15), Critical: true},
			{Task: "T6", Label: "上线 Go-live", Finish: d(2026, 12, 16), Milestone: true, Critical: true},
		}},
	}
}
