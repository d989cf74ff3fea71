package wecom

import (
	"strings"

	"github.com/loopbot/loopbot/bot"
)

// Card markdown (bot.ParseMarkdown) is rendered here for WeCom. Literal text
// is escaped so that what people typed (a "[x](url)", "<@all>", "**") shows
// as typed.

// mdEscaper escapes literal text for WeCom markdown (消息类型 markdown,
// path/90236, and the group robot's, path/91770): the characters that start
// emphasis, links, code, quotes and headings get a backslash, and "<", ">"
// and "&" become entities so that no <font>, <@userid> or HTML is formed.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, `*`, `\*`, `_`, `\_`, "`", "\\`", `[`, `\[`, `]`, `\]`,
	`(`, `\(`, `)`, `\)`, `#`, `\#`, `~`, `\~`, `<`, "&lt;", `>`, "&gt;", `&`, "&amp;",
)

// escapeMD returns s as literal WeCom markdown.
func escapeMD(s string) string { return mdEscaper.Replace(s) }

// renderMarkdown renders card markdown as WeCom markdown. WeCom markdown has
// no strikethrough: struck text is shown grey (<font color="comment">).
func renderMarkdown(s string) string {
	blocks := bot.ParseMarkdown(s)
	lines := make([]string, len(blocks))
	for i, b := range blocks {
		var sb strings.Builder
		if b.Bullet {
			sb.WriteString("• ")
		}
		for _, in := range b.Inlines {
			t := escapeMD(in.Text)
			if in.Strike {
				t = `<font color="comment">` + t + `</font>`
			}
			if in.Bold && strings.TrimSpace(in.Text) != "" {
				t = "**" + t + "**"
			}
			sb.WriteString(t)
		}
		lines[i] = sb.String()
	}
	return strings.Join(lines, "\n")
}

// renderPlain renders card markdown as plain text, for template cards,
// which show no markup.
func renderPlain(s string) string {
	blocks := bot.ParseMarkdown(s)
	lines := make([]string, len(blocks))
	for i, b := range blocks {
		var sb strings.Builder
		if b.Bullet {
			sb.WriteString("• ")
		}
		for _, in := range b.Inlines {
			sb.WriteString(in.Text)
		}
		lines[i] = sb.String()
	}
	return strings.Join(lines, "\n")
}

// lineText is the literal text of one block.
func lineText(b bot.Block) string {
	var sb strings.Builder
	for _, in := range b.Inlines {
		sb.WriteString(in.Text)
	}
	return sb.String()
}
