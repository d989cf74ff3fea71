package command

import (
	"strings"
	"unicode/utf8"
)

// parser parses the text after the slash. lang is the language of its
// errors; specs is the command table, read once per Parse.
type parser struct {
	lang  string
	specs []Spec
}

// parse reads the command name, the subcommand and the arguments of body.
func (p parser) parse(body string) (Command, error) {
	p.specs = Specs()
	spec, typedZh, rest, err := p.command(body)
	if err != nil {
		return Command{}, err
	}
	sub, rest, err := p.subcommand(spec, rest)
	if err != nil {
		return Command{}, err
	}
	cmd := Command{Name: spec.Name, Sub: sub.Name, KV: map[string]string{}, Lang: "en"}
	if typedZh {
		cmd.Lang = "zh"
	}
	toks, qerr := lex(rest)
	if qerr != nil {
		return Command{}, errQuote(p.lang, qerr, usageOf(spec, sub, p.lang))
	}
	if err := p.fill(&cmd, toks, usageOf(spec, sub, p.lang)); err != nil {
		return Command{}, err
	}
	canonicalArgs(&cmd)
	return cmd, nil
}

// command finds the command named at the start of body. It also reports
// whether the name was Chinese, and returns the text after the name. A
// Chinese name glued to what follows ("任务新建") is split off, because
// Chinese is written without spaces.
func (p parser) command(body string) (Spec, bool, string, error) {
	word, rest := readWord(body)
	if word == "" {
		return Spec{}, false, "", errNoName(p.lang)
	}
	key := fold(word)
	for _, s := range p.specs {
		if key == s.Name || key == s.Zh {
			return s, key == s.Zh, rest, nil
		}
	}
	if s, ok := gluedCommand(p.specs, word); ok {
		return s, true, word[len(s.Zh):] + rest, nil
	}
	return Spec{}, false, "", errUnknown(p.lang, word, suggest(word, p.specs))
}

// gluedCommand finds the command whose Chinese name is the longest prefix of
// word, so that "任务列表mine" is /任务列表 and not /任务.
func gluedCommand(specs []Spec, word string) (Spec, bool) {
	var best Spec
	for _, s := range specs {
		if strings.HasPrefix(word, s.Zh) && len(s.Zh) > len(best.Zh) {
			best = s
		}
	}
	return best, best.Name != ""
}

// subcommand finds the subcommand at the start of rest, for a command that
// has subcommands, and returns the text after it.
func (p parser) subcommand(spec Spec, rest string) (SubSpec, string, error) {
	if len(spec.Subs) == 0 {
		return SubSpec{}, rest, nil
	}
	word, after := readWord(rest)
	if word == "" {
		return SubSpec{}, "", errMissingSub(p.lang, spec)
	}
	if sub, ok := spec.Sub(word); ok {
		return sub, after, nil
	}
	if sub, name, ok := gluedSub(spec, word); ok {
		return sub, word[len(name):] + after, nil
	}
	return SubSpec{}, "", errUnknownSub(p.lang, spec, word)
}

// gluedSub finds the subcommand whose Chinese name (or Chinese alias) is the
// longest prefix of word, as in "新建修复登录". English names are never split
// off, so that "newer" is not read as "new" + "er".
func gluedSub(spec Spec, word string) (SubSpec, string, bool) {
	var best SubSpec
	name := ""
	for _, sub := range spec.Subs {
		for _, n := range append([]string{sub.Zh}, sub.Aliases...) {
			if isChineseName(n) && strings.HasPrefix(word, n) && len(n) > len(name) {
				best, name = sub, n
			}
		}
	}
	return best, name, name != ""
}

// isChineseName reports whether a name starts with a non-ASCII character.
func isChineseName(n string) bool { return n != "" && n[0] >= utf8.RuneSelf }

// fill sorts the tokens into cmd's Args, Mentions and KV.
func (p parser) fill(cmd *Command, toks []token, usage string) error {
	for _, t := range toks {
		switch t.kind {
		case tokMention:
			cmd.Mentions = append(cmd.Mentions, t.text)
		case tokPair:
			if err := p.addPair(cmd, t, usage); err != nil {
				return err
			}
		default:
			cmd.Args = append(cmd.Args, t.text)
		}
	}
	return nil
}

// addPair stores a key:value pair, refusing an empty value and a key that
// was already given (under any of its names).
func (p parser) addPair(cmd *Command, t token, usage string) error {
	if t.text == "" {
		return errEmptyValue(p.lang, t.typed, t.key, usage)
	}
	if old, ok := cmd.KV[t.key]; ok {
		return errDuplicateKey(p.lang, t.typed, old, t.text, usage)
	}
	cmd.KV[t.key] = t.text
	return nil
}

// canonicalArgs rewrites the positional keywords that the parser knows in
// either language: the add|remove of "/project members <P> add|remove".
func canonicalArgs(cmd *Command) {
	if cmd.Name != "project" || cmd.Sub != "members" || len(cmd.Args) < 2 {
		return
	}
	switch fold(cmd.Args[1]) {
	case "add", "添加":
		cmd.Args[1] = "add"
	case "remove", "移除", "删除", "delete":
		cmd.Args[1] = "remove"
	}
}

// usageOf returns the usage to show in an error: the subcommand's when it is
// known, and the command's otherwise.
func usageOf(spec Spec, sub SubSpec, lang string) string {
	if sub.Name != "" {
		return sub.UsageFor(lang)
	}
	return spec.UsageFor(lang)
}
