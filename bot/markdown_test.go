package bot_test

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/loopbot/loopbot/bot"
)

func TestParseMarkdown(t *testing.T) {
	type B = bot.Block
	type I = bot.Inline
	lit := func(s string) []I { return []I{{Text: s}} }
	tests := []struct {
		name, in string
		want     []B
	}{
		{"empty", "", []B{{}}},
		{"plain", "hello 你好", []B{{Inlines: lit("hello 你好")}}},
		{"bold", "a **b** c", []B{{Inlines: []I{{Text: "a "}, {Text: "b", Bold: true}, {Text: " c"}}}}},
		{"strike", "~~gone~~ now", []B{{Inlines: []I{{Text: "gone", Strike: true}, {Text: " now"}}}}},
		{"overlap", "**a ~~b** c~~", []B{{Inlines: []I{{Text: "a ", Bold: true}, {Text: "b", Bold: true, Strike: true}, {Text: " c", Strike: true}}}}},
		{"unpaired bold is text", "a **b", []B{{Inlines: lit("a **b")}}},
		{"third marker is text", "**a** b **c", []B{{Inlines: []I{{Text: "a", Bold: true}, {Text: " b **c"}}}}},
		{"markers pair per line", "**a\nb**", []B{{Inlines: lit("**a")}, {Inlines: lit("b**")}}},
		{"triple star", "***a***", []B{{Inlines: []I{{Text: "*a", Bold: true}, {Text: "*"}}}}},
		{"empty pair", "****", []B{{}}},
		{"single star and tilde", "a*b~c", []B{{Inlines: lit("a*b~c")}}},
		{"escapes", `\*\*x\*\* \~\~y\~\~ \\ \[`, []B{{Inlines: lit(`**x** ~~y~~ \ [`)}}},
		{"backslash before letter", `C:\dir\ end\`, []B{{Inlines: lit(`C:\dir\ end\`)}}},
		{"bullets and paragraphs", "**Head**\n- one\n- **two**\n\nafter",
			[]B{{Inlines: []I{{Text: "Head", Bold: true}}}, {Bullet: true, Inlines: lit("one")},
				{Bullet: true, Inlines: []I{{Text: "two", Bold: true}}}, {}, {Inlines: lit("after")}}},
		{"not bullets", "-x\n - y\n* z\n\\- w", []B{{Inlines: lit("-x")}, {Inlines: lit(" - y")}, {Inlines: lit("* z")}, {Inlines: lit("- w")}}},
		{"empty bullet", "- ", []B{{Bullet: true}}},
		{"no other markup", "[x](https://evil.example) # h `c` <at id=all></at> <a href=x>y</a> __u__ _i_",
			[]B{{Inlines: lit("[x](https://evil.example) # h `c` <at id=all></at> <a href=x>y</a> __u__ _i_")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bot.ParseMarkdown(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseMarkdown(%q)\n got  %+v\n want %+v", tt.in, got, tt.want)
			}
		})
	}
}

// typedTexts are things people type that look like markup of several kinds.
var typedTexts = []string{
	"[x](https://evil.example)",
	"**b**", "~~s~~", "**unclosed", "a ** b ~~ c",
	"<at id=all></at>", "<at user_id=\"all\">所有人</at>", `<a href="https://evil.example">x</a>`,
	"- not a bullet", "-", "--", "- ", `\`, `\\`, `\*`, `C:\path\to\`, `ends with \`,
	"# heading", "## h2", "`code`", "```block```", "> quote", "1. one", "@all", "<@U123>",
	"***", "****", "*~*~", "~~~", "中文 **粗体** ~~删除~~",
	"", " ", "plain",
}

func TestEscapeMarkdownRoundTrip(t *testing.T) {
	for _, s := range typedTexts {
		checkRoundTrip(t, s)
	}
}

func TestEscapeMarkdownLines(t *testing.T) {
	in := "- first **line**\r\n\n# second ~~x~~\n- third"
	blocks := bot.ParseMarkdown(bot.EscapeMarkdown(in))
	want := []string{"- first **line**", "", "# second ~~x~~", "- third"}
	if len(blocks) != len(want) {
		t.Fatalf("%d blocks, want %d: %+v", len(blocks), len(want), blocks)
	}
	for i, b := range blocks {
		if b.Bullet {
			t.Errorf("line %d became a bullet", i)
		}
		var text string
		for _, in := range b.Inlines {
			if in.Bold || in.Strike {
				t.Errorf("line %d has styled text %+v", i, in)
			}
			text += in.Text
		}
		if text != want[i] {
			t.Errorf("line %d = %q, want %q", i, text, want[i])
		}
	}
}

// Escaped text inside the bot's own markup keeps the markup and stays
// literal itself.
func TestEscapeMarkdownInsideMarkup(t *testing.T) {
	got := bot.ParseMarkdown("- **T3** " + bot.EscapeMarkdown("a **b** ~~c~~") + " **" + bot.EscapeMarkdown("x*") + "**")
	want := []bot.Block{{Bullet: true, Inlines: []bot.Inline{{Text: "T3", Bold: true}, {Text: " a **b** ~~c~~ "}, {Text: "x*", Bold: true}}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestMarkdownPlain(t *testing.T) {
	got := bot.MarkdownPlain("**Head**\n- a \\*b\\*\n\n~~x~~ y")
	if want := "Head\n- a *b*\n\nx y"; got != want {
		t.Errorf("MarkdownPlain = %q, want %q", got, want)
	}
}

func checkRoundTrip(t testing.TB, s string) {
	t.Helper()
	esc := bot.EscapeMarkdown(s)
	got := bot.ParseMarkdown(esc)
	var want []bot.Block
	if s == "" {
		want = []bot.Block{{}}
	} else {
		want = []bot.Block{{Inlines: []bot.Inline{{Text: s}}}}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseMarkdown(EscapeMarkdown(%q)) = %+v (escaped %q), want %q as one literal", s, got, esc, s)
	}
}

func FuzzMarkdown(f *testing.F) {
	for _, s := range typedTexts {
		f.Add(s)
	}
	f.Add("**a**\n- b\n\n~~c~~ \\* d")
	f.Fuzz(func(t *testing.T, s string) {
		blocks := bot.ParseMarkdown(s)
		if len(blocks) != strings.Count(s, "\n")+1 {
			t.Fatalf("%d blocks for %d lines", len(blocks), strings.Count(s, "\n")+1)
		}
		for _, b := range blocks {
			for _, in := range b.Inlines {
				if in.Text == "" {
					t.Fatalf("empty inline in %+v", blocks)
				}
				if utf8.ValidString(s) && !utf8.ValidString(in.Text) {
					t.Fatalf("valid input gave invalid UTF-8 literal %q", in.Text)
				}
			}
		}
		if utf8.ValidString(s) && !strings.ContainsAny(s, "\n") {
			checkRoundTrip(t, s)
		}
	})
}
