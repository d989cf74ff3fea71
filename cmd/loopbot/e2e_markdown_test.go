package main

import (
	"strings"
	"testing"

	"github.com/loopbot/loopbot/bot"
)

// Texts people type that look like markup of several kinds: a link, bold,
// strike, a mention of everyone, HTML, a heading, code, a backslash.
const (
	typedTitle   = `[x](https://evil.example) **b** ~~s~~ <at id=all></at>`
	typedProject = `**Alpha** <a href="https://evil.example">官网</a>`
	typedReason  = "**no** ~~time~~ `x` \\ # h"
	typedBlock   = `<at user_id="all">所有人</at> ~~wait~~ [api](https://evil.example)`
	typedName    = `**Eve** <at id=all></at>`
)

// TestTypedMarkupShownLiterally follows a task whose title, project,
// reasons and people's names look like markup through the loop, and reads
// every message the bot sent: each typed text must come out literally, as
// one piece of text, never as bold, strike or a bullet. Adapters then show
// each literal piece escaped for their platform.
func TestTypedMarkupShownLiterally(t *testing.T) {
	config := testConfig + `
[[playground.people]]
id = "eve"
name = "` + strings.ReplaceAll(typedName, `"`, `\"`) + `"
roles = ["manager"]
`
	ta := startApp(t, config, "")
	ta.typed = []string{typedTitle, typedProject, typedReason, typedBlock, typedName}
	ta.reply("alice", "alpha", "/project new "+typedProject)
	ta.reply("alice", "alpha", "/project members P1 add @eve manager")
	ta.reply("alice", "alpha", "/task new "+typedTitle+" @bob due:fri")
	ta.act("bob", ta.lastCard("dm:bob", "task_assigned").ID, "decline", map[string]string{"reason": typedReason + "\n- busy\n# later"})
	ta.reply("alice", "alpha", "/reassign T1 @eve")
	ta.act("eve", ta.lastCard("dm:eve", "task_assigned").ID, "accept", nil)
	ta.reply("eve", "dm", "/block T1 "+typedBlock)
	ta.reply("eve", "dm", "/progress T1 30 "+typedReason)
	ta.say("alice", "alpha", "/task show T1")
	ta.reply("alice", "alpha", "/tasks P1")
	ta.reply("alice", "alpha", "/tasks @eve")
	ta.reply("alice", "alpha", "/project list")
	ta.reply("alice", "alpha", "/project members P1")
	ta.reply("alice", "alpha", "/escalations")
	ta.reply("alice", "alpha", "/cancel T1 "+typedReason)
	refusal := ta.reply("alice", "alpha", "/task show "+typedTitle)
	// A card action typed as text answers with the click's toast.
	ta.reply("eve", "dm", "/task new 第二个 @bob due:fri project:P1")
	if got := ta.reply("bob", "dm", "/decline T2 "+typedReason); strings.Contains(got, "**Eve**") || !strings.Contains(got, `\*\*Eve\*\*`) {
		t.Errorf("/decline answers %q; want the assigner's name escaped", got)
	}

	// Every text the bot sent, in every chat.
	var texts []string
	for _, chat := range []string{"alpha", "dm:alice", "dm:bob", "dm:eve"} {
		for _, m := range ta.chat(chat) {
			if m.From != "bot" {
				continue
			}
			texts = append(texts, m.Text)
			if m.Card != nil {
				texts = append(texts, m.Card.Text)
			}
		}
	}
	shown := map[string]int{}
	for _, text := range texts {
		for _, b := range bot.ParseMarkdown(text) {
			for _, in := range b.Inlines {
				for _, u := range ta.typed {
					if strings.Contains(in.Text, u) {
						shown[u]++
					}
				}
			}
			if b.Bullet && len(b.Inlines) > 0 && (strings.HasPrefix(b.Inlines[0].Text, "busy") || strings.HasPrefix(b.Inlines[0].Text, "later")) {
				t.Errorf("a typed line became a bullet in %q", text)
			}
		}
		for _, raw := range []string{"**b**", "~~s~~", "**Alpha**", "**no**", "~~time~~", "~~wait~~", "**Eve**"} {
			if strings.Contains(text, raw) {
				t.Errorf("typed %q is not escaped in %q", raw, text)
			}
		}
	}
	for _, u := range ta.typed {
		if shown[u] == 0 {
			t.Errorf("%q is never shown literally as one piece of text", u)
		}
	}
	for _, u := range []string{typedTitle, typedProject, typedName} {
		if shown[u] < 3 {
			t.Errorf("%q is shown literally only %d times", u, shown[u])
		}
	}
	if blocks := bot.ParseMarkdown(refusal); len(blocks) == 0 || !strings.Contains(blocks[0].Inlines[0].Text, typedTitle[:20]) {
		t.Errorf("the refusal does not echo the bad input literally: %q", refusal)
	}
}
