package feishu

import (
	"strconv"
	"strings"

	"github.com/loopbot/loopbot/bot"
)

// renderMarkdown turns card markdown (bot.ParseMarkdown) into the content of
// a Feishu markdown component: "- " bullets, **bold**, ~~strike~~, "\n"
// between lines and an empty line between paragraphs. Every literal piece is
// escaped with escapeLiteral, so that text a person typed ("<at id=all>",
// "[x](url)", "**") shows as typed.
func renderMarkdown(text string) string {
	blocks := bot.ParseMarkdown(text)
	lines := make([]string, 0, len(blocks))
	for _, b := range blocks {
		var line strings.Builder
		for _, in := range b.Inlines {
			line.WriteString(styled(in))
		}
		content := guardLineStart(line.String())
		if b.Bullet {
			content = "- " + content
		}
		lines = append(lines, content)
	}
	return strings.Join(lines, "\n")
}

// styled renders one inline run. The markers go around the text without
// its outer spaces, since Feishu's markdown (CommonMark) does not take
// "** x**" as bold.
func styled(in bot.Inline) string {
	if !in.Bold && !in.Strike || strings.TrimSpace(in.Text) == "" {
		return escapeLiteral(in.Text)
	}
	core := strings.TrimSpace(in.Text)
	lead := in.Text[:strings.Index(in.Text, core)]
	trail := in.Text[len(lead)+len(core):]
	s := escapeLiteral(core)
	if in.Strike {
		s = "~~" + s + "~~"
	}
	if in.Bold {
		s = "**" + s + "**"
	}
	return escapeLiteral(lead) + s + escapeLiteral(trail)
}

// escapeLiteral makes s show literally in Feishu card markdown. Feishu's
// rich-text docs ("特殊字符转义说明") escape markdown characters as HTML
// entities, &#<code>;. Every ASCII punctuation character that CommonMark or
// Feishu's tags give a meaning anywhere in a line is escaped this way.
// Letters, digits, CJK text, spaces and other punctuation stay as they are;
// what only matters at the start of a line ("-", "+", "=", "1.") is
// guardLineStart's job.
func escapeLiteral(s string) string {
	if !strings.ContainsAny(s, markdownSpecial) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for _, r := range s {
		if r < 128 && strings.ContainsRune(markdownSpecial, r) {
			b.WriteString("&#" + strconv.Itoa(int(r)) + ";")
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// markdownSpecial are the ASCII characters escapeLiteral writes as entities.
const markdownSpecial = "\\`*_~[]()<>#!|:\"'$&"

// guardLineStart escapes what would start a block at the beginning of a
// rendered line: leading spaces (an indented code block), the dot of "1."
// (an ordered list), and a leading "-", "+" or "=" (a list item, a rule, a
// heading's underline).
func guardLineStart(line string) string {
	trimmed := strings.TrimLeft(line, " ")
	lead := strings.Repeat("&#32;", len(line)-len(trimmed))
	digits := 0
	for digits < len(trimmed) && trimmed[digits] >= '0' && trimmed[digits] <= '9' {
		digits++
	}
	switch {
	case digits > 0 && digits < len(trimmed) && trimmed[digits] == '.':
		trimmed = trimmed[:digits] + "&#46;" + trimmed[digits+1:]
	case digits == 0 && trimmed != "" && strings.ContainsRune("-+=", rune(trimmed[0])):
		// A list item, a rule, or a heading's underline.
		trimmed = "&#" + strconv.Itoa(int(trimmed[0])) + ";" + trimmed[1:]
	}
	return lead + trimmed
}
