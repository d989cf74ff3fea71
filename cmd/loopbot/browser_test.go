package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// findChromium returns the path of a Chromium or Chrome binary, or "" when
// there is none.
func findChromium() string {
	if st, err := os.Stat("/usr/bin/chromium"); err == nil && !st.IsDir() {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestPlaygroundInBrowser drives the playground page in headless Chromium:
// alice creates a project and a task for bob in the alpha group, bob opens
// his DM and accepts the assignment card, which turns green in place.
//
// It skips when no browser is installed, unless LOOPBOT_REQUIRE_BROWSER is
// set (CI sets it). With LOOPBOT_UPDATE_SCREENSHOT=1 it writes the final
// screenshot to docs/playground.png.
func TestPlaygroundInBrowser(t *testing.T) {
	execPath := findChromium()
	if execPath == "" {
		if os.Getenv("LOOPBOT_REQUIRE_BROWSER") != "" {
			t.Fatal("LOOPBOT_REQUIRE_BROWSER is set but no browser was found: looked for /usr/bin/chromium, chromium, chromium-browser and google-chrome in PATH (apt-get install chromium)")
		}
		t.Skip("chromium not installed: apt-get install chromium")
	}
	started := time.Now()
	ta := startApp(t, testConfig, "")

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 860),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc() // also waits until the browser has exited
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	defer cancelTab()

	// Start the browser, then collect the page's uncaught exceptions and
	// console errors: each one fails the test at the end.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", execPath, err)
	}
	defer failOnConsoleErrors(t, ctx, cancelTab)()

	// step runs browser actions and stops the test with what was being done.
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v (after %s)", what, err, time.Since(started).Round(time.Millisecond))
		}
	}
	// until waits for a JavaScript condition on the page.
	until := func(what, expr string) {
		t.Helper()
		_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr,
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second)))
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
	}
	botSaid := func(text string) string {
		return fmt.Sprintf(`[...document.querySelectorAll('#messages .msg[data-from="bot"]')].some((m) => m.textContent.includes(%s))`,
			strconv.Quote(text))
	}
	send := func(text string) {
		t.Helper()
		step("type "+text,
			chromedp.WaitVisible(chromedp.CSS("#composer")),
			chromedp.SendKeys(chromedp.CSS("#composer"), text),
		)
		until("the composer to hold the command", fmt.Sprintf(`document.querySelector('#composer').value === %s`, strconv.Quote(text)))
		step("click send", chromedp.Click(chromedp.CSS("#send")))
		until("the composer to be cleared", `document.querySelector('#composer').value === ''`)
	}

	// 1. Alice, in the alpha group, creates a project and a task for bob.
	step("open the playground",
		// The window size includes the browser's frame; the screenshot gets the whole 1280×860.
		chromedp.EmulateViewport(1280, 860),
		chromedp.Navigate(ta.base+"/playground/?as=alice&chat=alpha"),
		chromedp.WaitVisible(chromedp.CSS(`.chat-item.active[data-chat="alpha"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.chat-item[data-chat="dm:alice"]`)),
	)
	until("alice to be picked", `document.querySelector('#as').value === 'alice'`)

	send("/project new 官网改版")
	until("the bot's answer with P1", botSaid("P1"))
	send("/task new 首页设计稿 @bob due:fri prio:high")
	until("the bot's answer with T1", botSaid("T1"))

	// 2. Bob opens his DM and finds the assignment card.
	step("switch to bob", chromedp.Evaluate[chromedp.Void](`(() => {
		const s = document.querySelector('#as');
		s.value = 'bob';
		s.dispatchEvent(new Event('change', { bubbles: true }));
	})()`))
	step("open bob's DM",
		chromedp.WaitVisible(chromedp.CSS(`.chat-item[data-chat="dm:bob"]`)),
		chromedp.Click(chromedp.CSS(`.chat-item[data-chat="dm:bob"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.chat-item.active[data-chat="dm:bob"]`)),
	)
	const open = `#messages .card[data-card-kind="task_assigned"][data-finished="false"]`
	step("wait for the assignment card",
		chromedp.WaitVisible(chromedp.CSS(open)),
		chromedp.WaitVisible(chromedp.CSS(open+` [data-action="accept"]`)),
		chromedp.WaitVisible(chromedp.CSS(open+` [data-action="decline"]`)),
		chromedp.WaitVisible(chromedp.CSS(open+` [data-action="ask"]`)),
	)
	id, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(open), "data-message-id"))
	if err != nil || id.Value == "" {
		t.Fatalf("message id of the card: %q, %v", id.Value, err)
	}
	card := fmt.Sprintf(`#messages .card[data-message-id=%s]`, strconv.Quote(id.Value))

	// 3. Bob accepts: the same card turns green, loses its buttons, and a toast shows.
	step("watch for toasts", chromedp.Evaluate[chromedp.Void](`(() => {
		window.__toasts = [];
		new MutationObserver((records) => {
			for (const r of records) for (const n of r.addedNodes) {
				if (n.classList && n.classList.contains('toast')) window.__toasts.push(n.textContent);
			}
		}).observe(document.querySelector('#toasts'), { childList: true });
	})()`))
	step("click accept", chromedp.Click(chromedp.CSS(card+` [data-action="accept"]`)))
	until("the card to be accepted", fmt.Sprintf(`(() => {
		const c = document.querySelector(%s);
		return !!c && c.dataset.finished === 'true' && c.dataset.cardColor === 'green' &&
			c.querySelectorAll('[data-action]').length === 0;
	})()`, strconv.Quote(card)))
	until("a toast", `window.__toasts.length > 0`)
	toast, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.__toasts.join(' | ')`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("toast: %s", toast)

	if tk := ta.task("T1"); tk.Status != "accepted" || tk.Assignee != "playground:bob" {
		t.Fatalf("T1 = %+v, want accepted by bob", tk)
	}

	// 4. A screenshot of the final state.
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	tmp := filepath.Join(t.TempDir(), "playground.png")
	if err := os.WriteFile(tmp, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", tmp, len(png))
	if os.Getenv("LOOPBOT_UPDATE_SCREENSHOT") == "1" {
		out := filepath.Join("..", "..", "docs", "playground.png")
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(out, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", out)
	}
	t.Logf("browser test took %s", time.Since(started).Round(time.Millisecond))
}

// failOnConsoleErrors collects the uncaught exceptions and console errors
// of the tab ctx; the function it returns closes the tab (cancelTab) and
// fails the test with each one.
func failOnConsoleErrors(t *testing.T, ctx context.Context, cancelTab context.CancelFunc) func() {
	t.Helper()
	var (
		mu   sync.Mutex
		errs []string
		done = make(chan struct{})
	)
	messages := chromedp.Console(ctx)
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == chromedp.ConsoleError {
				mu.Lock()
				errs = append(errs, m.String())
				mu.Unlock()
			}
		}
	}()
	return func() {
		cancelTab()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, e := range errs {
			t.Errorf("browser console: %s", e)
		}
	}
}
