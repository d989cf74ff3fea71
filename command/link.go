package command

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/loopbot/loopbot/bot"
)

// LinkCodeAlphabet is what /link codes are made of: capital letters and
// digits without the ones easily mistaken for another (0 O, 1 I L).
const LinkCodeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// LinkCodeLen is the number of characters of a /link code.
const LinkCodeLen = 8

// maxLocalID is the longest platform id accepted in <platform>:<id>, in
// bytes; the platforms' own ids are far shorter.
const maxLocalID = 128

// FormatLinkCode writes a code as it is shown: two groups of four joined
// by a hyphen, such as K7QM-4XPA.
func FormatLinkCode(code string) string {
	if len(code) != LinkCodeLen {
		return code
	}
	return code[:4] + "-" + code[4:]
}

// NormalizeLinkCode reads a code as typed, in either case, with or without
// spaces and hyphens (ASCII or full-width). ok is false unless it is
// LinkCodeLen characters of LinkCodeAlphabet.
func NormalizeLinkCode(s string) (code string, ok bool) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '-' || r == '－' || r == '—' || unicode.IsSpace(r):
			continue
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		case r >= 'ａ' && r <= 'ｚ':
			r = 'A' + (r - 'ａ')
		case r >= 'Ａ' && r <= 'Ｚ':
			r = 'A' + (r - 'Ａ')
		case r >= '０' && r <= '９':
			r = '0' + (r - '０')
		}
		if r > unicode.MaxASCII || !strings.ContainsRune(LinkCodeAlphabet, r) || b.Len() >= LinkCodeLen {
			return "", false
		}
		b.WriteRune(r)
	}
	if b.Len() != LinkCodeLen {
		return "", false
	}
	return b.String(), true
}

// LinkRequest is what /link was asked: a code, or (an admin's form) a
// person and an identity to link to them; neither for a new code.
type LinkRequest struct {
	Code     string       // /link <code>, normalized
	Person   string       // /link @a <platform>:<id>: the mention, without '@'
	Identity bot.PersonID // and the identity
}

// ParseLink reads the arguments of /link: none, a code, or @a
// <platform>:<id> (the identity may be written as a mention too). It
// returns EINVALID, in lang, naming what is wrong.
func ParseLink(c Command, lang string) (LinkRequest, error) {
	args, mentions := c.Args, c.Mentions
	switch {
	case len(args) == 0 && len(mentions) == 0:
		return LinkRequest{}, nil
	case len(mentions) == 0 && len(args) == 1:
		if code, ok := NormalizeLinkCode(args[0]); ok {
			return LinkRequest{Code: code}, nil
		}
		if strings.Contains(args[0], ":") || strings.Contains(args[0], "：") {
			return LinkRequest{}, invalid(lang,
				"Name the person to link the identity to: /link @name <platform>:<id> (admins only). To link your own, send /link here and /link <code> on your other messenger.",
				"请写要绑定到的人：/绑定 @姓名 <平台>:<id>（仅管理员）。绑定你自己的身份：在这里发送 /绑定，再在另一个平台发送 /绑定 <绑定码>。")
		}
		return LinkRequest{}, invalid(lang,
			"“%s” is not a link code: a code has %d letters and digits, such as K7QM-4XPA. Send /link on your other messenger to get one.",
			"“%s”不是绑定码：绑定码由 %d 个字母和数字组成，如 K7QM-4XPA。请在另一个平台发送 /绑定 获取。", clip(args[0]), LinkCodeLen)
	case len(mentions) == 1 && len(args) == 1:
		id, err := ParseIdentity(args[0], lang)
		return LinkRequest{Person: mentions[0], Identity: id}, err
	case len(mentions) == 2 && len(args) == 0:
		id, err := ParseIdentity(mentions[1], lang)
		return LinkRequest{Person: mentions[0], Identity: id}, err
	}
	return LinkRequest{}, invalid(lang,
		"Use /link for a code, /link <code> with a code from your other messenger, or (admins) /link @name <platform>:<id>.",
		"用法：/绑定 获取绑定码；/绑定 <绑定码> 使用另一个平台的绑定码；管理员：/绑定 @姓名 <平台>:<id>。")
}

// ParseUnlink reads the argument of /unlink: one <platform>:<id>, or an
// @mention of it. It returns EINVALID, in lang, naming what is wrong.
func ParseUnlink(c Command, lang string) (bot.PersonID, error) {
	switch {
	case len(c.Args) == 1 && len(c.Mentions) == 0:
		return ParseIdentity(c.Args[0], lang)
	case len(c.Args) == 0 && len(c.Mentions) == 1:
		return ParseIdentity(c.Mentions[0], lang)
	}
	return "", invalid(lang,
		"Give the one identity to unlink: /unlink <platform>:<id>, such as /unlink dingtalk:manager4521.",
		"请写要解绑的一个身份：/解绑 <平台>:<id>，例如 /解绑 dingtalk:manager4521。")
}

// ParseIdentity reads <platform>:<id> (a full-width colon too, and an
// optional leading '@'), where platform is feishu, dingtalk, wecom or
// playground and id is the platform's own id: printable, no spaces, at
// most 128 bytes. It returns EINVALID, in lang, naming what is wrong.
func ParseIdentity(s, lang string) (bot.PersonID, error) {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "@"), "＠")
	s = strings.Replace(s, "：", ":", 1)
	platform, local, ok := strings.Cut(s, ":")
	platform = strings.ToLower(platform)
	if !ok || !bot.KnownPlatform(platform) {
		return "", invalid(lang,
			"“%s” is not an identity: write <platform>:<id>, where the platform is feishu, dingtalk, wecom or playground.",
			"“%s”不是身份：请写成 <平台>:<id>，平台为 feishu、dingtalk、wecom 或 playground。", clip(s))
	}
	if local == "" || len(local) > maxLocalID || !utf8.ValidString(local) || strings.IndexFunc(local, badIDRune) >= 0 {
		return "", invalid(lang,
			"“%s” is not an id on %s: give the platform's own id of the person (no spaces, at most %d characters).",
			"“%s”不是 %s 上的 id：请写此人在该平台的 id（不含空格，最多 %d 个字符）。", clip(local), platform, maxLocalID)
	}
	return bot.PersonID(platform + ":" + local), nil
}

// badIDRune reports whether r cannot be part of a platform id.
func badIDRune(r rune) bool {
	return unicode.IsSpace(r) || !unicode.IsPrint(r) || r == 0 || r == utf8.RuneError
}
