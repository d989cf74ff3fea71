package command

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/loopbot/loopbot/bot"
)

func TestNormalizeLinkCode(t *testing.T) {
	for in, want := range map[string]string{
		"K7QM-4XPA": "K7QM4XPA", "k7qm4xpa": "K7QM4XPA", " k7qm 4xpa ": "K7QM4XPA", "Ｋ７ＱＭ－４ＸＰＡ": "K7QM4XPA",
		"K7QM-4XP": "", "K7QM-4XPAB": "", "K0QM-4XPA": "", "K1QM-4XPA": "", "KOQM4XPA": "", "": "", "K7QM_4XPA": "",
	} {
		got, ok := NormalizeLinkCode(in)
		if got != want || ok != (want != "") {
			t.Errorf("NormalizeLinkCode(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if FormatLinkCode("K7QM4XPA") != "K7QM-4XPA" {
		t.Error("FormatLinkCode")
	}
}

func TestParseLinkAndUnlink(t *testing.T) {
	parse := func(text string) Command {
		t.Helper()
		c, err := Parse(text, "en")
		if err != nil {
			t.Fatalf("Parse(%q): %v", text, err)
		}
		return c
	}
	for text, want := range map[string]LinkRequest{
		"/link":                           {},
		"/link k7qm-4xpa":                 {Code: "K7QM4XPA"},
		"/绑定 K7QM4XPA":                    {Code: "K7QM4XPA"},
		"/link @bob dingtalk:mgr4521":     {Person: "bob", Identity: "dingtalk:mgr4521"},
		"/link @bob @wecom:zhangsan":      {Person: "bob", Identity: "wecom:zhangsan"},
		"/link @bob Feishu：ou_1":          {Person: "bob", Identity: "feishu:ou_1"},
		"/link @feishu:ou_2 playground:x": {Person: "feishu:ou_2", Identity: "playground:x"},
	} {
		got, err := ParseLink(parse(text), "en")
		if err != nil || got != want {
			t.Errorf("ParseLink(%q) = %+v, %v; want %+v", text, got, err, want)
		}
	}
	for text, wantIn := range map[string]string{
		"/link 12345":                   "not a link code",
		"/link K7QM-4XPA extra":         "Use /link",
		"/link dingtalk:mgr":            "Name the person",
		"/link @bob slack:u1":           "platform is feishu",
		"/link @bob dingtalk:":          "not an id on dingtalk",
		"/link @bob":                    "Use /link",
		"/link @bob dingtalk:a dingt:b": "Use /link",
	} {
		_, err := ParseLink(parse(text), "en")
		if bot.ErrorCode(err) != bot.EINVALID || !strings.Contains(bot.ErrorMessage(err), wantIn) {
			t.Errorf("ParseLink(%q) = %v; want EINVALID with %q", text, err, wantIn)
		}
	}
	for text, want := range map[string]bot.PersonID{"/unlink dingtalk:m1": "dingtalk:m1", "/解绑 @wecom:z": "wecom:z"} {
		if got, err := ParseUnlink(parse(text), "zh"); err != nil || got != want {
			t.Errorf("ParseUnlink(%q) = %s, %v", text, got, err)
		}
	}
	for _, text := range []string{"/unlink", "/unlink a b", "/unlink bob", "/unlink @bob"} {
		if _, err := ParseUnlink(parse(text), "zh"); bot.ErrorCode(err) != bot.EINVALID {
			t.Errorf("ParseUnlink(%q) = %v; want EINVALID", text, err)
		}
	}
}

// FuzzParseLink checks that /link and /unlink arguments never panic, that
// every refusal is a readable EINVALID, and that what is accepted is a
// well-formed code or identity.
func FuzzParseLink(f *testing.F) {
	for _, s := range []string{"/link", "/link K7QM-4XPA", "/link @bob dingtalk:mgr4521", "/unlink wecom:zhang",
		"/绑定 @a feishu：ou_x", "/解绑 @playground:bob", "/link @a @b:c", "/link k7qm 4xpa"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c, err := Parse(text, "en")
		if err != nil || (c.Name != "link" && c.Name != "unlink") {
			return
		}
		check := func(id bot.PersonID) {
			if !bot.KnownPlatform(id.Platform()) || id.Local() == "" || !utf8.ValidString(string(id)) ||
				strings.ContainsAny(id.Local(), " \t\n") || len(id.Local()) > maxLocalID {
				t.Fatalf("accepted identity %q", id)
			}
		}
		if c.Name == "unlink" {
			id, err := ParseUnlink(c, "zh")
			if err != nil {
				checkFuzzError(t, err)
				return
			}
			check(id)
			return
		}
		req, err := ParseLink(c, "en")
		if err != nil {
			checkFuzzError(t, err)
			return
		}
		if req.Code != "" {
			if n, ok := NormalizeLinkCode(req.Code); !ok || n != req.Code {
				t.Fatalf("accepted code %q", req.Code)
			}
		}
		if req.Person != "" {
			check(req.Identity)
		}
	})
}
