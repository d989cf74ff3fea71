package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/command"
)

// TestHelpAgreesWithCommands runs every command of the table and compares
// what it does with what /help and README say: a command is marked "not
// available yet" in /help, and listed as "not yet" in README, exactly when
// running it answers so. Only the removal of calendar days is
// not built.
func TestHelpAgreesWithCommands(t *testing.T) {
	ta := startApp(t, testConfig, "")
	ta.reply("alice", "alpha", "/project new Alpha")
	help := ta.reply("alice", "dm", "/help")

	// The list is one bullet per command or subcommand: it does not break
	// apart into paragraphs.
	blocks := bot.ParseMarkdown(help)
	marked := map[string]bool{}
	line := regexp.MustCompile(`^/(\S+(?: [^\s<\[@—]+)?)`)
	bullets := 0
	for i, b := range blocks {
		if i == 0 || !b.Bullet {
			continue
		}
		if !blocks[i-1].Bullet && i != 1 {
			t.Errorf("the command list breaks apart before block %d: %+v", i, b)
		}
		bullets++
		text := inlineText(b)
		m := line.FindStringSubmatch(text)
		if m == nil {
			t.Errorf("bullet %q does not start with a command", text)
			continue
		}
		if strings.Contains(text, "尚未开放") {
			marked[m[1]] = true
		}
	}
	if bullets < 25 {
		t.Fatalf("/help lists %d lines:\n%s", bullets, help)
	}

	var unbuilt []string
	try := func(name, zh string) {
		notYet := false
		for _, m := range ta.say("alice", "dm", "/"+zh) {
			if m.From == "bot" && strings.HasPrefix(m.Text, "⚠️") && strings.Contains(m.Text, "尚未开放") {
				notYet = true
			}
		}
		if notYet {
			unbuilt = append(unbuilt, name)
		}
		if marked[zh] != notYet {
			t.Errorf("/%s: answers not available = %v, but /help marks it so = %v", name, notYet, marked[zh])
		}
	}
	for _, spec := range command.Specs() {
		if len(spec.Subs) == 0 {
			try(spec.Name, spec.Zh)
		}
		for _, sub := range spec.Subs {
			try(spec.Name+" "+sub.Name, spec.Zh+" "+sub.Zh)
		}
	}
	if want := []string{"holiday remove", "workday remove"}; !slices.Equal(unbuilt, want) {
		t.Errorf("commands not built = %v, want %v", unbuilt, want)
	}

	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var readmeNotYet []string
	for l := range strings.SplitSeq(string(readme), "\n") {
		if strings.HasPrefix(l, "| `/") && strings.Contains(l, "not yet") {
			cell := strings.Split(l, "|")[1]
			for _, m := range regexp.MustCompile("`/([a-z]+(?: [a-z]+)?)(?: <[^`]*)?`").FindAllStringSubmatch(cell, -1) {
				readmeNotYet = append(readmeNotYet, m[1])
			}
		}
	}
	slices.Sort(readmeNotYet)
	slices.Sort(unbuilt)
	if !slices.Equal(readmeNotYet, unbuilt) {
		t.Errorf("README says %v are not built yet; the code says %v", readmeNotYet, unbuilt)
	}
}

func inlineText(b bot.Block) string {
	var s strings.Builder
	for _, in := range b.Inlines {
		s.WriteString(in.Text)
	}
	return s.String()
}
