package command

import (
	"strings"
	"unicode"
)

// tokenKind tells the lexer's tokens apart.
type tokenKind int

const (
	tokWord    tokenKind = iota // a bare positional word
	tokQuoted                   // a quoted string, always positional
	tokMention                  // @id
	tokPair                     // a known key:value
)

// token is one lexed piece of the arguments. For a tokPair, key is the
// canonical key, typed the key as the user wrote it, and text the value.
type token struct {
	kind  tokenKind
	text  string
	key   string
	typed string
}

// quoteError is an unterminated quote: the opening rune, the one that would
// close it, and the start of the text that follows it.
type quoteError struct {
	open, close rune
	after       string
}

// lexer splits the arguments of a command into tokens. It works on runes, so
// that positions never fall inside a character.
type lexer struct {
	rs   []rune
	i    int
	toks []token
}

// lex splits s into tokens. Words are separated by white space; a quote that
// opens a token runs to its closing quote, white space included; a quote
// inside a word is an ordinary character, so that "don't" stays one word.
func lex(s string) ([]token, *quoteError) {
	l := &lexer{rs: []rune(s)}
	for l.skipSpace() {
		if err := l.next(); err != nil {
			return nil, err
		}
	}
	return l.toks, nil
}

// skipSpace moves past white space and reports whether any text is left.
func (l *lexer) skipSpace() bool {
	for l.i < len(l.rs) && unicode.IsSpace(l.rs[l.i]) {
		l.i++
	}
	return l.i < len(l.rs)
}

// next lexes the token that starts at l.i.
func (l *lexer) next() *quoteError {
	switch r := l.rs[l.i]; {
	case isQuote(r):
		s, err := l.quoted()
		if err != nil {
			return err
		}
		l.emit(token{kind: tokQuoted, text: s})
	case isAt(r):
		l.mention()
	default:
		return l.word()
	}
	return nil
}

// emit appends a token.
func (l *lexer) emit(t token) { l.toks = append(l.toks, t) }

// quoted reads the quoted string that opens at l.i and returns its content
// without the quotes. Any quote of the opening one's family closes it, because
// input methods often mix straight and curly quotes.
func (l *lexer) quoted() (string, *quoteError) {
	open := l.rs[l.i]
	for j := l.i + 1; j < len(l.rs); j++ {
		if closes(open, l.rs[j]) {
			s := string(l.rs[l.i+1 : j])
			l.i = j + 1
			return s, nil
		}
	}
	return "", &quoteError{open: open, close: closerOf(open), after: string(l.rs[l.i+1:])}
}

// mention reads an @id. It ends at white space, at another '@', or at a
// quote, so that "「标题」@bob" and "@bob，@carol" split the way they read.
// Trailing punctuation is not part of the id. A lone '@' is kept as a word.
func (l *lexer) mention() {
	start := l.i
	l.i++
	for l.i < len(l.rs) && !endsMention(l.rs[l.i]) {
		l.i++
	}
	id := strings.TrimRightFunc(string(l.rs[start+1:l.i]), isTrailingPunct)
	if id == "" {
		l.emit(token{kind: tokWord, text: string(l.rs[start:l.i])})
		return
	}
	l.emit(token{kind: tokMention, text: id})
}

// word reads a bare word, or a key:value pair when the part before the first
// colon is a known key.
func (l *lexer) word() *quoteError {
	start := l.i
	if key, typed, ok := l.key(); ok {
		return l.pair(key, typed)
	}
	l.i = start
	l.emit(token{kind: tokWord, text: l.bare()})
	return nil
}

// key reads "key:" or "key：" at l.i and reports whether key is known. It
// leaves l.i after the colon when it is.
func (l *lexer) key() (canonical, typed string, ok bool) {
	for j := l.i; j < len(l.rs) && !unicode.IsSpace(l.rs[j]); j++ {
		if l.rs[j] == ':' || l.rs[j] == '：' {
			typed = string(l.rs[l.i:j])
			canonical, ok = canonicalKey(typed)
			if ok {
				l.i = j + 1
			}
			return canonical, typed, ok
		}
	}
	return "", "", false
}

// pair reads the value of a key whose colon ends at l.i. The value may be
// quoted, as in due:"next mon".
func (l *lexer) pair(key, typed string) *quoteError {
	value := ""
	if l.i < len(l.rs) && isQuote(l.rs[l.i]) {
		s, err := l.quoted()
		if err != nil {
			return err
		}
		value = s
	} else {
		value = l.bare()
	}
	l.emit(token{kind: tokPair, key: key, typed: typed, text: value})
	return nil
}

// bare reads up to white space, or up to an '@' that starts a mention glued
// to the word ("修复登录@bob"). An '@' after a letter or digit, as in an email
// address, stays in the word.
func (l *lexer) bare() string {
	start := l.i
	for l.i < len(l.rs) && !unicode.IsSpace(l.rs[l.i]) {
		if isAt(l.rs[l.i]) && l.i > start && !isAddressRune(l.rs[l.i-1]) {
			break
		}
		l.i++
	}
	return string(l.rs[start:l.i])
}

// readWord returns the first word of s, for a command or subcommand name, and
// the text right after it. The word ends at white space, a quote or an '@',
// so that a Chinese name glued to what follows is found.
func readWord(s string) (word, rest string) {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	end := strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || isAt(r) || isQuote(r)
	})
	if end < 0 {
		return s, ""
	}
	return s[:end], s[end:]
}

// isAt reports whether r is '@' or its full-width form.
func isAt(r rune) bool { return r == '@' || r == '＠' }

// endsMention reports whether r ends a mention. Single quotes do not, since
// they double as apostrophes ("@o'brien").
func endsMention(r rune) bool {
	return unicode.IsSpace(r) || isAt(r) || (isQuote(r) && !strings.ContainsRune(singleQuotes, r))
}

// isAddressRune reports whether r may come before the '@' of an email
// address, so that "bob@example.com" is not split into a mention.
func isAddressRune(r rune) bool {
	return r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._%+-", r))
}

// isTrailingPunct reports whether r is punctuation that ends a sentence or a
// list item and so cannot end a person's id.
func isTrailingPunct(r rune) bool {
	return strings.ContainsRune(",，、。.;；!！?？:：)）", r)
}

// Quote families: any member of a family closes a quote opened by any member,
// except the corner brackets, which close only with their partner.
const (
	doubleQuotes = "\"“”＂"
	singleQuotes = "'‘’＇"
)

// isQuote reports whether r opens a quoted string.
func isQuote(r rune) bool {
	return strings.ContainsRune(doubleQuotes+singleQuotes+"「『", r)
}

// closes reports whether r closes a quote opened with open.
func closes(open, r rune) bool {
	switch {
	case strings.ContainsRune(doubleQuotes, open):
		return strings.ContainsRune(doubleQuotes, r)
	case strings.ContainsRune(singleQuotes, open):
		return strings.ContainsRune(singleQuotes, r)
	}
	return r == closerOf(open)
}

// closerOf returns the rune that a user would type to close open.
func closerOf(open rune) rune {
	switch open {
	case '「':
		return '」'
	case '『':
		return '』'
	case '“':
		return '”'
	case '‘':
		return '’'
	}
	return open
}

// canonicalKey returns the canonical English key for a key typed in English
// (any case or width) or Chinese, and false for an unknown key.
func canonicalKey(typed string) (string, bool) {
	switch k := fold(typed); k {
	case "due", "截止", "到期":
		return "due", true
	case "project", "项目":
		return "project", true
	case "after", "依赖", "前置":
		return "after", true
	case "parent", "父任务":
		return "parent", true
	case "prio", "优先级":
		return "prio", true
	case "est", "估时", "工期":
		return "est", true
	case "acceptance", "验收":
		return "acceptance", true
	case "from", "从", "开始":
		return "from", true
	case "to", "到", "结束":
		return "to", true
	case "owner", "负责人":
		return "owner", true
	case "impact", "影响":
		return "impact", true
	case "task", "任务":
		return "task", true
	case "title", "标题":
		return "title", true
	case "start", "计划开始", "开工":
		return "start", true
	case "milestone", "里程碑":
		return "milestone", true
	}
	return "", false
}

// Keys returns the canonical keys of key:value arguments.
func Keys() []string {
	return []string{"due", "project", "after", "parent", "prio", "est", "acceptance", "from", "to", "owner", "impact", "task", "title", "start", "milestone"}
}

// fold maps full-width ASCII to ASCII and lowers the case, for comparing
// names, keys and ids as a Chinese input method may type them.
func fold(s string) string {
	return strings.ToLower(strings.Map(func(r rune) rune {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			return r - 0xFEE0
		case r == '\u3000':
			return ' '
		}
		return r
	}, s))
}
