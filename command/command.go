// Package command parses the slash-command language of SPEC §3, in English and
// Chinese, into a Command. It knows every command's names, subcommands and
// usage (Specs), but not what a command does: the handlers check the
// arguments and act.
package command

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxLength is the longest text, in characters (runes), that Parse accepts.
const MaxLength = 2000

// Command is one parsed command.
type Command struct {
	// Name is the canonical English name, such as "task".
	Name string
	// Sub is the canonical English subcommand, such as "new", for the commands
	// that have subcommands, and "" otherwise.
	Sub string
	// Args are the positional words in order, without mentions and known
	// key:value pairs. A quoted string is one arg, without its quotes. For
	// "/project members <P> add|remove", Args[1] is "add" or "remove" even
	// when it was typed as 添加, 移除 or 删除.
	Args []string
	// KV holds the known key:value args under their canonical English keys
	// (see Keys). It is never nil.
	KV map[string]string
	// Mentions are the @ids in order, without the '@', such as "bob" or
	// "feishu:ou_123".
	Mentions []string
	// Lang is "zh" when the command name was typed in Chinese and "en"
	// otherwise, so that a reply can follow the user's choice.
	Lang string
	// Raw is the text as parsed: trimmed, with line breaks made "\n" and
	// zero-width spaces removed.
	Raw string
}

// Rest returns the args from index i on, joined by single spaces, such as
// the note of "/done T3 all tests pass". It returns "" when there are none.
func (c Command) Rest(i int) string {
	if i < 0 || i >= len(c.Args) {
		return ""
	}
	return strings.Join(c.Args[i:], " ")
}

// IsCommand reports whether text, trimmed of white space, starts with '/' or
// the full-width '／'.
func IsCommand(text string) bool {
	s := strings.TrimLeftFunc(text, isBlank)
	return strings.HasPrefix(s, "/") || strings.HasPrefix(s, "／")
}

// Parse reads one command. lang ("zh" or "en") is the language of the error
// messages. Every error is a *bot.Error with code EINVALID whose message names
// what is wrong and shows the right usage: empty text, text that does not
// start with '/', text longer than MaxLength, invalid UTF-8, a control
// character other than newline and tab, an unknown command, a missing or
// unknown subcommand, an unterminated quote, a key given twice, and a key with
// no value. Parse does not check how many arguments a command takes.
func Parse(text string, lang string) (Command, error) {
	s, err := clean(text, lang)
	if err != nil {
		return Command{}, err
	}
	body, ok := cutSlash(s)
	if !ok {
		return Command{}, errNotCommand(lang, s)
	}
	p := parser{lang: lang}
	cmd, err := p.parse(body)
	if err != nil {
		return Command{}, err
	}
	cmd.Raw = s
	return cmd, nil
}

// clean trims text and refuses what no command can be: nothing, too much,
// invalid UTF-8 and control characters.
func clean(text, lang string) (string, error) {
	s := strings.TrimFunc(text, isBlank)
	if s == "" {
		return "", errEmpty(lang)
	}
	if n := utf8.RuneCountInString(s); n > MaxLength {
		return "", errTooLong(lang, n)
	}
	return CleanText(s, lang)
}

// CleanText checks free text that people typed outside a command, such as a
// card's form field, as a command's text is checked: it refuses invalid
// UTF-8 and control characters other than "\n" and "\t" with the same
// messages, turns "\r\n" and "\r" into "\n" and drops zero-width spaces.
// lang is the language of the messages ("zh" or "en").
func CleanText(s, lang string) (string, error) {
	if !utf8.ValidString(s) {
		return "", errBadUTF8(lang, s)
	}
	s = normalize(s)
	for i, r := range []rune(s) {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return "", errControl(lang, r, i+1)
		}
	}
	return s, nil
}

// normalize turns "\r\n" and a lone "\r" into "\n", because Windows clients
// send them for a line break, and removes zero-width spaces, which copied
// text often carries and which no one can see.
func normalize(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Map(func(r rune) rune {
		if isZeroWidth(r) {
			return -1
		}
		return r
	}, s)
}

// isBlank reports whether r is white space or a zero-width space.
func isBlank(r rune) bool { return unicode.IsSpace(r) || isZeroWidth(r) }

// isZeroWidth reports whether r is an invisible space character.
func isZeroWidth(r rune) bool { return r == '\u200b' || r == '\ufeff' || r == '\u2060' }

// cutSlash removes the leading '/' or '／'.
func cutSlash(s string) (string, bool) {
	if rest, ok := strings.CutPrefix(s, "/"); ok {
		return rest, true
	}
	return strings.CutPrefix(s, "／")
}

// isZh reports whether lang asks for Chinese ("zh", "zh-CN", "zh_Hans"…).
func isZh(lang string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(lang)), "zh")
}
