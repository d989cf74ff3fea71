package command

import (
	"strings"
	"unicode/utf8"

	"github.com/loopbot/loopbot/bot"
)

// invalid returns an EINVALID error whose message is en or zh, as lang asks,
// formatted with args. Both formats take args in the same order.
func invalid(lang, en, zh string, args ...any) error {
	if isZh(lang) {
		return bot.Errorf(bot.EINVALID, zh, args...)
	}
	return bot.Errorf(bot.EINVALID, en, args...)
}

// The error constructors below each build one kind of Parse error, in
// English and Chinese.

func errEmpty(lang string) error {
	return invalid(lang,
		"The message is empty. Commands start with /, for example /help.",
		"消息是空的。命令以 / 开头，例如 /帮助。")
}

func errTooLong(lang string, n int) error {
	return invalid(lang,
		"The message is %d characters long; a command may have at most 2,000. Please shorten it.",
		"消息有 %d 个字符，命令最多 2000 个字符，请精简后再发。", n)
}

func errBadUTF8(lang, s string) error {
	at := len(s)
	for i, r := range s {
		if r == utf8.RuneError {
			at = i
			break
		}
	}
	return invalid(lang,
		"The message has bytes that are not text (invalid UTF-8) at byte %d. Please type it again.",
		"消息第 %d 个字节处有无法识别的字符（不是有效的 UTF-8），请重新输入。", at+1)
}

func errControl(lang string, r rune, at int) error {
	return invalid(lang,
		"The message has the invisible control character U+%04X at character %d. Please remove it and send again.",
		"消息中有不可见的控制字符 U+%04X（第 %d 个字符），请删除后重发。", r, at)
}

func errNotCommand(lang, s string) error {
	return invalid(lang,
		"“%s” is not a command: commands start with /, for example /help.",
		"“%s”不是命令：命令以 / 开头，例如 /帮助。", clip(s))
}

func errNoName(lang string) error {
	return invalid(lang,
		"Type a command name after the /, for example /help.",
		"请在 / 后面输入命令名，例如 /帮助。")
}

// errUnknown names the unknown command and, when one is close, suggests it.
func errUnknown(lang, word, suggestion string) error {
	if suggestion == "" {
		return invalid(lang,
			"Unknown command /%s. Type /help to see the commands.",
			"没有 /%s 这个命令。输入 /帮助 查看全部命令。", clip(word))
	}
	return invalid(lang,
		"Unknown command /%s. Did you mean /%s? Type /help to see the commands.",
		"没有 /%s 这个命令，您是不是想用 /%s？输入 /帮助 查看全部命令。", clip(word), suggestion)
}

func errMissingSub(lang string, spec Spec) error {
	return invalid(lang,
		"/%s needs a subcommand: %s.\nUsage:\n%s",
		"/%s 需要子命令：%s。\n用法：\n%s",
		spec.NameFor(lang), subNames(spec, lang), spec.UsageFor(lang))
}

func errUnknownSub(lang string, spec Spec, word string) error {
	return invalid(lang,
		"/%s has no subcommand “%s”; use one of: %s.\nUsage:\n%s",
		"/%s 没有“%s”这个子命令，可用的有：%s。\n用法：\n%s",
		spec.NameFor(lang), clip(word), subNames(spec, lang), spec.UsageFor(lang))
}

func errQuote(lang string, q *quoteError, usage string) error {
	return invalid(lang,
		"The quote %c before “%s” is not closed; please add the closing %c.\nUsage:\n%s",
		"引号 %c 没有闭合（后面是“%s”），请补上 %c。\n用法：\n%s",
		q.open, clip(q.after), q.close, usage)
}

func errDuplicateKey(lang, typed, first, second, usage string) error {
	return invalid(lang,
		"%s: is given twice (%s and %s); please give it once.\nUsage:\n%s",
		"%s: 出现了两次（%s 和 %s），只能写一次。\n用法：\n%s",
		clip(typed), clip(first), clip(second), usage)
}

func errEmptyValue(lang, typed, key, usage string) error {
	return invalid(lang,
		"%s: has no value; write it as %s:%s, with no space after the colon.\nUsage:\n%s",
		"%s: 后面缺少内容，请写成 %s:%s，冒号后不要加空格。\n用法：\n%s",
		clip(typed), clip(typed), valueHint(key, lang), usage)
}

// valueHint returns the placeholder for a key's value, as the usage writes it.
func valueHint(key, lang string) string {
	switch key {
	case "due", "from", "to":
		if isZh(lang) {
			return "<日期>"
		}
		return "<date>"
	case "project":
		return "<P>"
	case "after":
		return "<T,T>"
	case "parent":
		return "<T>"
	case "prio":
		return "high|normal|low"
	case "est":
		return "<n>d"
	case "acceptance":
		return "on|off"
	}
	return "<value>"
}

// subNames lists a command's subcommands in lang: "new, show" or "新建、查看".
func subNames(spec Spec, lang string) string {
	var names []string
	for _, sub := range spec.Subs {
		names = append(names, sub.NameFor(lang))
	}
	if isZh(lang) {
		return strings.Join(names, "、")
	}
	return strings.Join(names, ", ")
}

// clip shortens what the user typed to at most 30 characters, so that an
// error message quotes the bad part without repeating a whole essay.
func clip(s string) string {
	const max = 30
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max]) + "…"
}
