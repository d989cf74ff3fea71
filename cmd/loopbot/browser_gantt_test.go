package main

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestPlaygroundGantt opens the /plan card of a small plan on the
// playground page in headless Chromium and checks its Gantt chart: an SVG
// row per task, in plan order, the critical ones marked and drawn red, the
// milestone as a ◆ and no bar, progress filled in, and a line at today.
func TestPlaygroundGantt(t *testing.T) {
	execPath := findChromium()
	if execPath == "" {
		if os.Getenv("LOOPBOT_REQUIRE_BROWSER") != "" {
			t.Fatal("LOOPBOT_REQUIRE_BROWSER is set but no browser was found (apt-get install chromium)")
		}
		t.Skip("chromium not installed: apt-get install chromium")
	}
	ta := startApp(t, testConfig, "")
	ta.reply("alice", "alpha", "/project new Alpha due:12-02")
	ta.reply("alice", "alpha", "/task new 设计 @carol est:3d due:11-25")
	ta.reply("alice", "alpha", "/task new 开发 @carol est:2d after:T1 due:11-27")
	ta.reply("alice", "alpha", "/task new 文档 @dave est:1d after:T1 due:11-26")
	ta.reply("alice", "alpha", "/task new 联调 @dave est:5d after:T2,T3 due:12-04")
	ta.reply("alice", "alpha", "/task new 上线 @alice after:T4 milestone:yes due:12-04")
	ta.reply("carol", "dm", "/progress T1 40")
	ta.say("alice", "alpha", "/plan P1")

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	defer cancelTab()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(ta.base+"/playground/?as=alice&chat=alpha"),
		chromedp.WaitVisible(chromedp.CSS(`.chat-item.active[data-chat="alpha"]`)),
	); err != nil {
		t.Fatalf("open the playground: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](`document.querySelectorAll('[data-chart="gantt"] .gantt-row').length > 0`,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("waiting for the Gantt chart: %v", err)
	}
	type row struct {
		Task, Kind, Label, Fill string
		Critical                bool
		Bars, Diamonds          int
		Progress                float64
		Width                   float64
	}
	type chart struct {
		Rows  []row
		Today int
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[chart](`(() => {
		const svg = document.querySelector('[data-chart="gantt"] svg');
		return {
			Rows: [...svg.querySelectorAll('.gantt-row')].map((g) => {
				const bar = g.querySelector('.gantt-bar'), fill = g.querySelector('.gantt-progress');
				return {
					Task: g.dataset.task, Kind: g.dataset.kind, Critical: g.dataset.critical === 'true',
					Label: g.querySelector('.gantt-label').textContent,
					Bars: g.querySelectorAll('.gantt-bar').length, Diamonds: g.querySelectorAll('.gantt-milestone').length,
					Fill: getComputedStyle(bar || g.querySelector('.gantt-milestone')).fill,
					Width: bar ? bar.getBBox().width : 0, Progress: fill ? fill.getBBox().width : 0,
				};
			}),
			Today: svg.querySelectorAll('.gantt-today').length,
		};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	var tasks, critical []string
	for _, r := range got.Rows {
		tasks = append(tasks, r.Task)
		if r.Critical {
			critical = append(critical, r.Task)
		}
	}
	slices.Sort(tasks)
	if !slices.Equal(tasks, []string{"T1", "T2", "T3", "T4", "T5"}) || !slices.Equal(critical, []string{"T1", "T2", "T4", "T5"}) {
		t.Fatalf("rows %v, critical %v", tasks, critical)
	}
	const red, blue = "rgb(245, 74, 69)", "rgb(201, 216, 255)"
	for _, r := range got.Rows {
		switch {
		case r.Task == "T5":
			if r.Kind != "milestone" || r.Diamonds != 1 || r.Bars != 0 || r.Fill != red || r.Label != "◆ T5 上线" {
				t.Errorf("milestone row %+v", r)
			}
		case r.Bars != 1 || r.Diamonds != 0:
			t.Errorf("row %+v: want one bar", r)
		case r.Critical && r.Fill != "rgb(253, 213, 211)", !r.Critical && r.Fill != blue:
			t.Errorf("row %+v: critical bars are red, others blue", r)
		case r.Task == "T1" && !(r.Progress > 0.35*r.Width && r.Progress < 0.45*r.Width):
			t.Errorf("T1 at 40%% fills %.1f of %.1f", r.Progress, r.Width)
		case r.Task != "T1" && r.Progress != 0:
			t.Errorf("row %+v has progress", r)
		}
	}
	if got.Today != 1 {
		t.Errorf("%d today lines", got.Today)
	}
}
