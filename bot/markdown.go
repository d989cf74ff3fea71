package bot

import "strings"

// Card markdown is the small markup of Card.Text and OutMessage.Text. It is
// the whole language; every adapter renders exactly this and nothing else:
//
//   - Lines are separated by "\n". Each line is one Block. An empty line is
//     a Block without Inlines; it separates paragraphs.
//   - A line that starts with "- " (hyphen, space) is a bullet item; the rest
//     of the line is its content. Nothing else starts a bullet ("-x", " - x"
//     and "* x" are ordinary text).
//   - Inside a line, "**" starts and ends bold and "~~" starts and ends
//     strikethrough. Markers pair up from the left, per kind and per line:
//     the first "**" opens, the second closes, and so on. A marker left
//     without a partner at the end of its line is literal text. "***" is a
//     marker followed by a literal "*". Bold and strike are independent and
//     may overlap.
//   - A backslash followed by an ASCII punctuation character
//     (!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~) stands for that character, taken
//     literally. Any other backslash is literal.
//   - Nothing else is markup: no links, headings, HTML, mentions, code,
//     tables or numbered lists. "[x](url)", "# h", "<at id=all></at>" and
//     "`code`" are text, and adapters must show them as such.
//
// Text a person typed enters card markdown only through EscapeMarkdown.
// Card.Title, Field.Label, Field.Value and the labels of inputs, options and
// actions are plain text, never markup.

// Block is one line of card markdown.
type Block struct {
	// Bullet is true for a bullet item ("- " at the start of the line).
	Bullet bool
	// Inlines are the line's runs of text; nil for an empty line.
	Inlines []Inline
}

// Inline is a run of literal text with one style. Text is already
// unescaped: an adapter shows it character for character, escaping it for
// its own platform's markup.
type Inline struct {
	Text   string
	Bold   bool
	Strike bool
}

// isMarkdownPunct reports whether c is ASCII punctuation, the characters a
// backslash can escape.
func isMarkdownPunct(c byte) bool {
	return c >= '!' && c <= '/' || c >= ':' && c <= '@' || c >= '[' && c <= '`' || c >= '{' && c <= '~'
}

// EscapeMarkdown returns card markdown that shows s literally: every
// backslash, "*" and "~" is escaped, and so is a "-" that starts a line. A
// newline in s stays a line break (each line is escaped on its own), and
// "\r\n" becomes "\n". For any s without "\n",
// ParseMarkdown(EscapeMarkdown(s)) is one Block holding s as one plain
// Inline (no Inline when s is empty).
func EscapeMarkdown(s string) string {
	if !strings.ContainsAny(s, "\\*~-\r") {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	b.Grow(len(s) + 8)
	lineStart := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' || c == '*' || c == '~' || c == '-' && lineStart:
			b.WriteByte('\\')
		}
		b.WriteByte(c)
		lineStart = c == '\n'
	}
	return b.String()
}

// ParseMarkdown parses card markdown into one Block per line. It accepts
// any input: what is not markup is text.
func ParseMarkdown(s string) []Block {
	lines := strings.Split(s, "\n")
	blocks := make([]Block, len(lines))
	for i, line := range lines {
		if rest, ok := strings.CutPrefix(line, "- "); ok {
			blocks[i].Bullet = true
			line = rest
		}
		blocks[i].Inlines = parseInlines(line)
	}
	return blocks
}

// mdToken is a piece of a line: literal text, or a "**" / "~~" marker.
type mdToken struct {
	text   string
	marker byte // '*' or '~' for a marker, 0 for text
}

func tokenizeLine(line string) []mdToken {
	var toks []mdToken
	var text strings.Builder
	flush := func() {
		if text.Len() > 0 {
			toks = append(toks, mdToken{text: text.String()})
			text.Reset()
		}
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\\' && i+1 < len(line) && isMarkdownPunct(line[i+1]):
			i++
			text.WriteByte(line[i])
		case (c == '*' || c == '~') && i+1 < len(line) && line[i+1] == c:
			flush()
			toks = append(toks, mdToken{text: line[i : i+2], marker: c})
			i++
		default:
			text.WriteByte(c)
		}
	}
	flush()
	return toks
}

func parseInlines(line string) []Inline {
	toks := tokenizeLine(line)
	// A marker of a kind that occurs an odd number of times has no partner
	// in its last occurrence, which is then text.
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
	var out []Inline
	var bold, strike bool
	for _, t := range toks {
		switch t.marker {
		case '*':
			bold = !bold
			continue
		case '~':
			strike = !strike
			continue
		}
		if n := len(out); n > 0 && out[n-1].Bold == bold && out[n-1].Strike == strike {
			out[n-1].Text += t.text
			continue
		}
		out = append(out, Inline{Text: t.text, Bold: bold, Strike: strike})
	}
	return out
}

// MarkdownPlain returns the text of card markdown without its markup: the
// literal text of each line, bullets as "- ". It is for places that can show
// only plain text, such as a notification preview.
func MarkdownPlain(s string) string {
	var b strings.Builder
	for i, bl := range ParseMarkdown(s) {
		if i > 0 {
			b.WriteByte('\n')
		}
		if bl.Bullet {
			b.WriteString("- ")
		}
		for _, in := range bl.Inlines {
			b.WriteString(in.Text)
		}
	}
	return b.String()
}
