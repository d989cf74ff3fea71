package main

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/loopbot/loopbot/bot"
)

// jsBlock is a block as the page's parseMarkdown returns it.
type jsBlock struct {
	Bullet  bool `json:"bullet"`
	Inlines []struct {
		Text   string `json:"text"`
		Bold   bool   `json:"bold"`
		Strike bool   `json:"strike"`
	} `json:"inlines"`
}

// markdownCorpus is card markdown to compare the page's parser with the Go
// one on: every golden card's text, markup people type, and random strings
// of markup characters.
func markdownCorpus(t *testing.T) []string {
	t.Helper()
	corpus := []string{
		"", "plain", "**a ~~b** c~~", "**a\nb**", "***a***", "****", "- x\n-y\n - z\n\\- w", `\*\*x\*\* \\ \[ C:\dir\`,
		"[x](https://evil.example) <at id=all></at> # h `c` > q", "中文 **粗体** ~~删除~~\n\n- 一\n- 二",
		bot.EscapeMarkdown("**b** ~~s~~ \\ - [x](y)\n- z"),
	}
	files, _ := filepath.Glob("../../cards/testdata/*.golden.json")
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c bot.Card
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		corpus = append(corpus, c.Text)
	}
	if len(files) < 20 {
		t.Fatalf("only %d golden cards", len(files))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"*", "~", "\\", "-", " ", "\n", "a", "中", "[", "`", "#"}
	for range 400 {
		var b strings.Builder
		for range rng.IntN(16) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		corpus = append(corpus, b.String())
	}
	return corpus
}

// TestPlaygroundMarkdown checks the playground page's renderer: its parser
// gives what bot.ParseMarkdown gives on every golden card and on markup
// people type, and a reply with typed markup shows it literally (no link,
// no bold from what a person typed), the bot's bold as bold, and /help as
// one list. What a person typed is shown as typed.
func TestPlaygroundMarkdown(t *testing.T) {
	execPath := findChromium()
	if execPath == "" {
		if os.Getenv("LOOPBOT_REQUIRE_BROWSER") != "" {
			t.Fatal("LOOPBOT_REQUIRE_BROWSER is set but no browser was found (apt-get install chromium)")
		}
		t.Skip("chromium not installed: apt-get install chromium")
	}
	ta := startApp(t, testConfig, "")
	ta.reply("alice", "alpha", "/project new Alpha")
	const title = "[x](https://evil.example) **b** ~~s~~ <a href=\"https://evil.example\">y</a>"
	ta.typed = []string{title}
	ta.reply("alice", "alpha", "/task new "+title+" @bob due:fri")
	ta.reply("alice", "alpha", "/help")

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

	corpus := markdownCorpus(t)
	in, _ := json.Marshal(corpus)
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(`+string(in)+`).map((s) => JSON.stringify(loopbotMarkdown.parseMarkdown(s)))`))
	if err != nil {
		t.Fatalf("run the page's parser: %v", err)
	}
	for i, s := range corpus {
		var blocks []jsBlock
		if err := json.Unmarshal([]byte(got[i]), &blocks); err != nil {
			t.Fatal(err)
		}
		want := bot.ParseMarkdown(s)
		same := len(blocks) == len(want)
		for j := 0; same && j < len(want); j++ {
			same = blocks[j].Bullet == want[j].Bullet && len(blocks[j].Inlines) == len(want[j].Inlines)
			for k := 0; same && k < len(want[j].Inlines); k++ {
				a, b := blocks[j].Inlines[k], want[j].Inlines[k]
				same = a.Text == b.Text && a.Bold == b.Bold && a.Strike == b.Strike
			}
		}
		if !same {
			t.Errorf("parse %q:\n page %s\n Go   %+v", s, got[i], want)
		}
	}

	// The rendered chat: the task's reply shows the title literally.
	type pageState struct {
		Links, Lists, Items int
		Text, Typed         string
		Strong              []string
	}
	var page pageState
	check := `(() => {
		const msgs = [...document.querySelectorAll('#messages .md')];
		return {
			Links: document.querySelectorAll('#messages .md a').length,
			Lists: document.querySelectorAll('#messages .md ul').length,
			Items: document.querySelectorAll('#messages .md li').length,
			Text: msgs.map((m) => m.textContent).join('\n'),
			Typed: [...document.querySelectorAll('#messages .msg:not([data-from="bot"]) .bubble')].map((m) => m.textContent).join('\n'),
			Strong: [...document.querySelectorAll('#messages .md strong')].map((s) => s.textContent),
		};
	})()`
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](`document.querySelectorAll('#messages .md li').length > 20`,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("waiting for /help on the page: %v", err)
	}
	if page, err = chromedp.Run(ctx, chromedp.Evaluate[pageState](check)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page.Text, title) {
		t.Errorf("the page does not show the typed title literally; it shows:\n%s", page.Text)
	}
	if !strings.Contains(page.Typed, "/task new "+title) {
		t.Errorf("alice's own message is not shown as she typed it:\n%s", page.Typed)
	}
	if page.Links != 0 {
		t.Errorf("%d links in the bot's messages; typed links must stay text", page.Links)
	}
	for _, s := range page.Strong {
		if s == "b" {
			t.Errorf("typed **b** is shown in bold")
		}
	}
	if page.Lists != 1 || page.Items < 25 {
		t.Errorf("/help renders as %d lists of %d items in all; want one list with every command", page.Lists, page.Items)
	}
	if strings.Contains(strings.ReplaceAll(page.Text, title, ""), "**") {
		t.Errorf("literal ** on the page:\n%s", page.Text)
	}
}
