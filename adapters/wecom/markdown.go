package wecom

import "strings"

// The card markdown of bot (lines, "- " bullets, **bold**, ~~strike~~ and
// backslash escapes) is rendered here for WeCom. Literal text is escaped so
// that what people typed (a "[x](url)", "<@all>", "**") shows as typed.

type mdInline struct {
	text         string
	bold, strike bool
}

type mdBlock struct {
	bullet  bool
	inlines []mdInline
}

// parseMD reads card markdown into one block per line.
func parseMD(s string) []mdBlock {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	out := make([]mdBlock, len(lines))
	for i, line := range lines {
		if rest, ok := strings.CutPrefix(line, "- "); ok {
			out[i].bullet, line = true, rest
		}
		out[i].inlines = parseInlines(line)
	}
	return out
}

func isPunct(c byte) bool {
	return c >= '!' && c <= '/' || c >= ':' && c <= '@' || c >= '[' && c <= '`' || c >= '{' && c <= '~'
}

type mdTok struct {
	text   string
	marker byte
}

func parseInlines(line string) []mdInline {
	var toks []mdTok
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			toks = append(toks, mdTok{text: cur.String()})
			cur.Reset()
		}
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\\' && i+1 < len(line) && isPunct(line[i+1]):
			i++
			cur.WriteByte(line[i])
		case (c == '*' || c == '~') && i+1 < len(line) && line[i+1] == c:
			flush()
			toks = append(toks, mdTok{text: line[i : i+2], marker: c})
			i++
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	for _, m := range []byte{'*', '~'} {
		last, n := -1, 0
		for i, t := range toks {
			if t.marker == m {
				last, n = i, n+1
			}
		}
		if n%2 == 1 {
			toks[last].marker = 0
		}
	}
	var out []mdInline
	var bold, strike bool
	for _, t := range toks {
		switch t.marker {
		case '*':
			bold = !bold
		case '~':
			strike = !strike
		default:
			if n := len(out); n > 0 && out[n-1].bold == bold && out[n-1].strike == strike {
				out[n-1].text += t.text
			} else {
				out = append(out, mdInline{text: t.text, bold: bold, strike: strike})
			}
		}
	}
	return out
}

// mdEscaper escapes literal text for WeCom markdown (消息类型 markdown,
// path/90236 and the group robot's path/91770): the characters that start
// emphasis, links, code, quotes and headings get a backslash, and "<" and
// ">" become entities so that no <font>, <@userid> or HTML is formed.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, `*`, `\*`, `_`, `\_`, "`", "\\`", `[`, `\[`, `]`, `\]`,
	`(`, `\(`, `)`, `\)`, `#`, `\#`, `~`, `\~`, `<`, "&lt;", `>`, "&gt;", `&`, "&amp;",
)

// escapeMD returns s as literal WeCom markdown.
func escapeMD(s string) string { return mdEscaper.Replace(s) }

// renderMarkdown renders card markdown as WeCom markdown. WeCom markdown has
// no strikethrough: struck text is shown grey (<font color="comment">).
func renderMarkdown(s string) string {
	blocks := parseMD(s)
	lines := make([]string, len(blocks))
	for i, b := range blocks {
		var sb strings.Builder
		if b.bullet {
			sb.WriteString("• ")
		}
		for _, in := range b.inlines {
			t := escapeMD(in.text)
			if in.strike {
				t = `<font color="comment">` + t + `</font>`
			}
			if in.bold && strings.TrimSpace(in.text) != "" {
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
	blocks := parseMD(s)
	lines := make([]string, len(blocks))
	for i, b := range blocks {
		var sb strings.Builder
		if b.bullet {
			sb.WriteString("• ")
		}
		for _, in := range b.inlines {
			sb.WriteString(in.text)
		}
		lines[i] = sb.String()
	}
	return strings.Join(lines, "\n")
}
