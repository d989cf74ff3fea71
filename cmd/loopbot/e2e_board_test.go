package main

import (
	"context"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/loopbot/loopbot/bot"
)

var boardURL = regexp.MustCompile(`https?://[^\s]+/board/[A-Za-z0-9_.-]+`)

// boardScenario makes project P1 with four tasks, check-ins and an overdue
// warning, and returns the board link bob (its owner) gets on Thursday
// 2026-11-26.
func boardScenario(t *testing.T) (*testApp, string) {
	t.Helper()
	ta := startApp(t, testConfig, "")
	ta.reply("bob", "alpha", "/project new Apollo 登月 due:2026-12-31")
	ta.reply("bob", "alpha", "/project members P1 add @carol @dave")
	ta.reply("bob", "alpha", "/task new 需求分析 Requirements @carol due:11-25")
	ta.reply("bob", "alpha", "/task new 后端开发 Backend @dave due:12-04 after:T1")
	ta.reply("bob", "alpha", "/task new 前端开发 Frontend @carol due:12-08 after:T1")
	ta.reply("bob", "alpha", "/task new 联调测试 Integration @dave due:12-15 after:T2,T3")
	for _, id := range []string{"T1", "T3"} {
		ta.reply("carol", "dm", "/accept "+id)
	}
	for _, id := range []string{"T2", "T4"} {
		ta.reply("dave", "dm", "/accept "+id)
	}
	ta.at("2026-11-24 10:00")
	ta.reply("carol", "dm", "/checkin T1 60 on_track 3h")
	ta.reply("carol", "dm", "/progress T3 20")
	ta.at("2026-11-26 10:00")
	ta.reply("carol", "dm", "/checkin T1 80 at_risk")
	// A risk, as /risk add P1 … owner:@dave impact:high task:T2 stores it.
	err := ta.app.store.Update(context.Background(), func(tx bot.Tx) error {
		id, err := tx.NextRiskID()
		if err != nil {
			return err
		}
		now := time.Date(2026, 11, 26, 10, 0, 0, 0, shanghai)
		return tx.PutRisk(bot.Risk{ID: id, Project: 1, Text: "供应商接口延期 Vendor API late", Owner: "playground:dave",
			Impact: bot.ImpactHigh, Task: 2, State: bot.RiskOpen, CreatedBy: "playground:bob", CreatedAt: now, ReviewedAt: now})
	})
	if err != nil {
		t.Fatal(err)
	}
	text := ta.reply("bob", "alpha", "/board P1")
	url := boardURL.FindString(text)
	if url == "" {
		t.Fatalf("/board P1 answered %q: no board link", text)
	}
	if !strings.HasPrefix(url, ta.base+"/board/") {
		t.Fatalf("link %q is not on this service (%s)", url, ta.base)
	}
	return ta, url
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestBoardLink(t *testing.T) {
	ta, url := boardScenario(t)
	if got := ta.reply("carol", "alpha", "/board P1"); !strings.Contains(got, "managers") && !strings.Contains(got, "经理") {
		t.Errorf("carol (a member) asked for the board: %q, want a refusal naming the managers", got)
	}
	if got := ta.reply("bob", "alpha", "/看板 P9"); boardURL.MatchString(got) {
		t.Errorf("/看板 P9 (no such project) gave a link: %q", got)
	}
	if got := ta.reply("bob", "alpha", "/看板"); !boardURL.MatchString(got) {
		t.Errorf("/看板 in the project's group: %q, want its link", got)
	}

	resp, page := get(t, url)
	if resp.StatusCode != 200 || !strings.Contains(page, "进度看板") {
		t.Fatalf("GET board: %d %q", resp.StatusCode, page)
	}
	for h, want := range map[string]string{"Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Frame-Options": "DENY"} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
	var b struct {
		Project struct {
			ID, Name  string
			Tasks     int
			Deadline  string
			Projected string
		}
		Gantt struct {
			Type string
			Bars []bot.Bar
		}
		Burnup      bot.Chart
		Escalations []struct{ ID, Color, Rule, Task string }
		Risks       []struct{ ID, Text, Impact, Owner, Task string }
		Checkins    struct {
			Week            string
			Asked, Answered int
			People          []struct {
				Name            string
				Asked, Answered int
			}
		}
	}
	if code := ta.call("GET", strings.TrimPrefix(url, ta.base)+"/data.json", nil, &b); code != 200 {
		t.Fatalf("data.json: %d", code)
	}
	if b.Project.ID != "P1" || b.Project.Name != "Apollo 登月" || b.Project.Tasks != 4 || b.Project.Projected != "2026-12-15" {
		t.Errorf("project = %+v", b.Project)
	}
	if b.Gantt.Type != "gantt" || len(b.Gantt.Bars) != 4 {
		t.Fatalf("gantt = %+v, want 4 bars", b.Gantt)
	}
	bars := map[string]bot.Bar{}
	for _, bar := range b.Gantt.Bars {
		bars[bar.Task] = bar
	}
	if t1 := bars["T1"]; t1.Finish != bot.NewDate(2026, 11, 25) || t1.Start != bot.NewDate(2026, 11, 23) || t1.Progress != 80 {
		t.Errorf("T1 bar = %+v, want 11-23 → 11-25 at 80%%", t1)
	}
	if t3 := bars["T3"]; t3.Finish != bot.NewDate(2026, 12, 8) || t3.Progress != 20 {
		t.Errorf("T3 bar = %+v", t3)
	}
	if len(b.Burnup.Series) != 2 || len(b.Burnup.Labels) == 0 || b.Burnup.Labels[len(b.Burnup.Labels)-1] != "11-26" {
		t.Errorf("burn-up = %+v, want two series up to 11-26", b.Burnup)
	}
	var overdue bool
	for _, e := range b.Escalations {
		overdue = overdue || (e.Task == "T1" && e.Rule == "overdue" && e.Color != "")
	}
	if !overdue {
		t.Errorf("escalations = %+v, want T1 overdue", b.Escalations)
	}
	if len(b.Risks) != 1 || b.Risks[0].ID != "R1" || b.Risks[0].Owner != "Dave" || b.Risks[0].Task != "T2" || b.Risks[0].Impact != "high" {
		t.Errorf("risks = %+v, want R1 of Dave on T2, high", b.Risks)
	}
	if b.Checkins.Week != "2026-W48" || b.Checkins.Asked == 0 || b.Checkins.Answered < 2 {
		t.Errorf("check-ins = %+v, want this week's, carol's two answers counted", b.Checkins)
	}

	// Nothing else is reachable with the token, and a changed token opens nothing.
	body, sig, _ := strings.Cut(strings.TrimPrefix(url, ta.base+"/board/"), ".")
	flipped := "A"
	if sig[:1] == "A" {
		flipped = "B"
	}
	for name, path := range map[string]string{
		"tampered signature": "/board/" + body + "." + flipped + sig[1:],
		"tampered body":      "/board/" + strings.Replace(body, body[:4], "eyJr", 1) + "x." + sig,
		"no token":           "/board/",
		"unknown part":       strings.TrimPrefix(url, ta.base) + "/index.html",
		"card action token":  "/board/" + ta.app.signer.Sign(bot.Claims{Card: 1, Action: "accept"}),
		"file link":          "/board/" + ta.app.signer.SignLink(bot.Link{Kind: bot.LinkFile, Project: 1, Format: "csv", Expires: time.Now().Add(time.Hour * 24 * 400).Unix()}),
	} {
		resp, _ := get(t, ta.base+path)
		if resp.StatusCode != 404 {
			t.Errorf("%s: status %d, want 404", name, resp.StatusCode)
		}
		resp, _ = get(t, ta.base+path+"/data.json")
		if resp.StatusCode == 200 {
			t.Errorf("%s: data.json answered 200", name)
		}
	}

	// Seven days later (the default board_link_ttl) the link has expired.
	ta.at("2026-12-03 09:59")
	if resp, _ := get(t, url+"/data.json"); resp.StatusCode != 200 {
		t.Errorf("a minute before expiry: status %d, want 200", resp.StatusCode)
	}
	ta.at("2026-12-03 10:01")
	for _, u := range []string{url, url + "/data.json", url + "/board.js"} {
		resp, text := get(t, u)
		if resp.StatusCode != http.StatusGone || !strings.Contains(text, "expired") {
			t.Errorf("GET %s after expiry: %d %q, want 410", strings.TrimPrefix(u, ta.base), resp.StatusCode, text)
		}
	}
}

// TestBoardInBrowser opens a board link in headless Chromium and checks that
// the page draws the Gantt (a row per task, with its bar) and the burn-up.
// With LOOPBOT_UPDATE_SCREENSHOT=1 it writes docs/board.png.
func TestBoardInBrowser(t *testing.T) {
	execPath := findChromium()
	if execPath == "" {
		if os.Getenv("LOOPBOT_REQUIRE_BROWSER") != "" {
			t.Fatal("LOOPBOT_REQUIRE_BROWSER is set but no browser was found (apt-get install chromium)")
		}
		t.Skip("chromium not installed: apt-get install chromium")
	}
	_, url := boardScenario(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	defer cancelTab()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", execPath, err)
	}
	defer failOnConsoleErrors(t, ctx, cancelTab)()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("open the board: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](`document.body.dataset.ready === 'true'`,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("waiting for the board to draw: %v", err)
	}
	check := func(what, expr string) {
		t.Helper()
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err != nil || !ok {
			t.Errorf("%s: %v (%s)", what, err, expr)
		}
	}
	for _, task := range []string{"T1", "T2", "T3", "T4"} {
		check("Gantt row of "+task+" with its bar",
			`!!document.querySelector('#gantt svg g.gantt-row[data-task="`+task+`"] rect.bar-bg')`)
	}
	check("four Gantt rows", `document.querySelectorAll('#gantt svg g.gantt-row').length === 4`)
	check("T1 shows its progress", `document.querySelector('#gantt g[data-task="T1"] rect.bar-fg').getAttribute('width') > 0`)
	check("today's line", `!!document.querySelector('#gantt svg line.today')`)
	check("burn-up: planned and done lines", `document.querySelectorAll('#burnup svg path.series').length === 2 &&
		[...document.querySelectorAll('#burnup svg path.series')].every((p) => p.getAttribute('d').startsWith('M'))`)
	check("the overdue warning", `[...document.querySelectorAll('#escalations tr.esc')].some((r) => r.textContent.includes('T1'))`)
	check("check-ins per member", `document.querySelectorAll('#checkins tr.person').length >= 2`)
	check("the risk", `[...document.querySelectorAll('#risks tr.risk')].some((r) => r.textContent.includes('Vendor API late'))`)
	check("title", `document.getElementById('title').textContent === 'P1 Apollo 登月'`)

	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if os.Getenv("LOOPBOT_UPDATE_SCREENSHOT") == "1" {
		out := filepath.Join("..", "..", "docs", "board.png")
		if err := os.WriteFile(out, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", out)
	}
}

// TestAdoptionReport: /report adoption is for admins and lists each person
// asked a check-in, by department, with the figures of the four weeks.
func TestAdoptionReport(t *testing.T) {
	ta := startApp(t, testConfig, "")
	ta.reply("bob", "alpha", "/project new Apollo due:2026-12-31")
	ta.reply("bob", "alpha", "/task new Spec @carol due:11-27")
	ta.reply("carol", "dm", "/accept T1")
	ta.at("2026-11-24 10:00")
	ta.reply("carol", "dm", "/checkin T1 50")
	if got := ta.reply("carol", "dm", "/report adoption"); !strings.Contains(got, "admin") && !strings.Contains(got, "管理员") {
		t.Errorf("carol: %q, want a refusal naming admins", got)
	}
	var card *bot.Card
	for _, m := range ta.say("alice", "dm", "/报告 使用情况") {
		if m.Card != nil {
			card = m.Card
		}
	}
	if card == nil || card.Kind != bot.CardReport || !strings.Contains(card.Title, "使用情况") {
		t.Fatalf("alice: /报告 使用情况 gave %+v, want the adoption card", card)
	}
	for _, want := range []string{"2026-W45", "2026-W48", "**Carol**：已答 1/2", "中位回复 30 min", "— · "} {
		if !strings.Contains(card.Text, want) {
			t.Errorf("adoption card lacks %q:\n%s", want, card.Text)
		}
	}
}

// TestChartImageLink: with server.public_url set, a summary card's chart
// carries the link to its PNG (for DingTalk and WeCom, which cannot draw
// charts); the link gives the burn-up as a PNG, and a tampered one nothing.
func TestChartImageLink(t *testing.T) {
	ta := startApp(t, strings.Replace(testConfig, "[server]\n", "[server]\npublic_url = \"https://bot.example.com\"\n", 1), "")
	ta.reply("bob", "alpha", "/project new Apollo due:2026-12-31")
	ta.reply("bob", "alpha", "/task new Spec @carol due:11-24")
	ta.reply("bob", "alpha", "/task new Build @dave due:11-26")
	ta.at("2026-11-25 10:00")
	ta.reply("carol", "dm", "/done T1")
	var card *bot.Card
	for _, m := range ta.say("bob", "alpha", "/report P1") {
		if m.Card != nil {
			card = m.Card
		}
	}
	if card == nil || card.Chart == nil || !strings.HasPrefix(card.Chart.Image, "https://bot.example.com/files/") {
		t.Fatalf("/report P1 card chart = %+v, want an image link on server.public_url", card)
	}
	path := strings.TrimPrefix(card.Chart.Image, "https://bot.example.com")
	resp, body := get(t, ta.base+path)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("GET chart: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	img, err := png.Decode(strings.NewReader(body))
	if err != nil || img.Bounds().Dx() < 400 {
		t.Fatalf("chart PNG: %v, %v", err, img)
	}
	if resp, _ := get(t, ta.base+path+"x"); resp.StatusCode != 404 {
		t.Errorf("tampered chart link: %d, want 404", resp.StatusCode)
	}
	board := boardURL.FindString(ta.reply("bob", "alpha", "/board P1"))
	if resp, _ := get(t, ta.base+"/files/"+strings.TrimPrefix(board, "https://bot.example.com/board/")); resp.StatusCode != 404 {
		t.Errorf("a board token as a file link: %d, want 404", resp.StatusCode)
	}
}
