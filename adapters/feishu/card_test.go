package feishu

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/loopbot/loopbot/bot"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// neutralCards reads neutral cards, named by file. testdata/neutral holds
// a snapshot of the cards package's golden cards (every kind the flows
// build, zh and en) and cards of the kinds no flow builds yet; the golden
// test renders those, so that a new card elsewhere does not change it.
func neutralCards(t *testing.T, pattern, suffix string) map[string]bot.Card {
	t.Helper()
	out := map[string]bot.Card{}
	add := func(pattern, suffix string) {
		files, _ := filepath.Glob(pattern)
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var c bot.Card
			if err := json.Unmarshal(raw, &c); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			for i := range c.Actions {
				if c.Actions[i].Value == "" {
					c.Actions[i].Value = "signed-" + c.Actions[i].Name
				}
			}
			out[strings.TrimSuffix(filepath.Base(f), suffix)] = c
		}
	}
	add(pattern, suffix)
	return out
}

// TestCardStructureOfEveryCard renders the cards package's current golden
// cards, whatever they are, and checks them against the JSON 2.0 structure.
func TestCardStructureOfEveryCard(t *testing.T) {
	cards := neutralCards(t, "../../cards/testdata/*.golden.json", ".golden.json")
	if len(cards) == 0 {
		t.Fatal("no cards in ../../cards/testdata")
	}
	for name, c := range cards {
		t.Run(name, func(t *testing.T) {
			checkStructure(t, c, []byte(cardJSON(renderCard(c))))
		})
	}
}

// TestCardGolden renders every card kind in zh and en and compares the
// Feishu JSON with testdata/golden (go test -update rewrites them).
func TestCardGolden(t *testing.T) {
	cards := neutralCards(t, "testdata/neutral/*.json", ".json")
	kinds := map[string]bool{}
	for name, c := range cards {
		kinds[c.Kind+"/"+name[len(name)-2:]] = true
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(renderCard(c)); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "golden", name+".json")
			if *update {
				_ = os.MkdirAll(filepath.Dir(path), 0o755)
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("%s differs from the golden file:\n%s", name, b.String())
			}
			checkStructure(t, c, b.Bytes())
		})
	}
	for _, k := range []string{bot.CardTaskAssigned, bot.CardAcceptance, bot.CardCheckin, bot.CardCheckinReminder,
		bot.CardDailyDigest, bot.CardEscalation, bot.CardGroupWarning, bot.CardReviewPrompt, bot.CardReviewSummary,
		bot.CardChangeRequest, bot.CardReport, bot.CardPlan, bot.CardNotice} {
		for _, lang := range []string{"zh", "en"} {
			if !kinds[k+"/"+lang] {
				t.Errorf("no golden card of kind %s in %s", k, lang)
			}
		}
	}
}

// checkStructure checks a rendered card against the JSON 2.0 structure of
// the official samples (card-json-v2-structure and the component pages):
// schema, header, body elements with known tags, forms with named fields
// and a submit button, and buttons whose callback carries the action and
// its signed token.
func checkStructure(t *testing.T, c bot.Card, raw []byte) {
	t.Helper()
	var card map[string]any
	if err := json.Unmarshal(raw, &card); err != nil {
		t.Fatal(err)
	}
	if card["schema"] != "2.0" || dig(card, "config", "update_multi") != true {
		t.Errorf("schema %v, update_multi %v", card["schema"], dig(card, "config", "update_multi"))
	}
	if dig(card, "header", "title", "tag") != "plain_text" || dig(card, "header", "title", "content") != c.Title {
		t.Errorf("header %v", card["header"])
	}
	if tpl := dig(card, "header", "template"); tpl != c.Color {
		t.Errorf("header template %v, want %s", tpl, c.Color)
	}
	els, ok := dig(card, "body", "elements").([]any)
	if !ok || len(els) == 0 {
		t.Fatalf("no body elements")
	}
	names := map[string]bool{}
	var actions []string
	var walk func(el map[string]any, inForm bool)
	walk = func(el map[string]any, inForm bool) {
		tag, _ := el["tag"].(string)
		switch tag {
		case "markdown":
			if s, _ := el["content"].(string); s == "" {
				t.Errorf("empty markdown element")
			}
		case "chart":
			if dig(el, "chart_spec", "type") == nil || dig(el, "chart_spec", "data", "values") == nil {
				t.Errorf("chart without spec: %v", el)
			}
		case "form":
			if inForm {
				t.Errorf("a form inside a form")
			}
			submit := false
			for _, sub := range el["elements"].([]any) {
				walk(sub.(map[string]any), true)
			}
			var find func(any)
			find = func(v any) {
				m, _ := v.(map[string]any)
				if m["tag"] == "button" && m["form_action_type"] == "submit" {
					submit = true
				}
				for _, k := range []string{"elements", "columns"} {
					if list, ok := m[k].([]any); ok {
						for _, x := range list {
							find(x)
						}
					}
				}
			}
			find(el)
			if !submit {
				t.Errorf("form %v has no submit button", el["name"])
			}
		case "column_set":
			for _, col := range el["columns"].([]any) {
				for _, sub := range col.(map[string]any)["elements"].([]any) {
					walk(sub.(map[string]any), inForm)
				}
			}
		case "button":
			bs, _ := el["behaviors"].([]any)
			if len(bs) != 1 || dig(bs[0], "type") != "callback" {
				t.Errorf("button without a callback behavior: %v", el)
				return
			}
			name, _ := dig(bs[0], "value", valueAction).(string)
			token, _ := dig(bs[0], "value", valueToken).(string)
			if token != "signed-"+name {
				t.Errorf("button %s carries token %q", name, token)
			}
			actions = append(actions, name)
			if inForm && el["form_action_type"] != "submit" {
				t.Errorf("button %s in a form does not submit it", name)
			}
			if dig(el, "text", "tag") != "plain_text" {
				t.Errorf("button text %v", el["text"])
			}
		case "input", "select_static", "date_picker":
			if !inForm {
				t.Errorf("%s outside a form", tag)
			}
		default:
			t.Errorf("unknown element tag %q", tag)
		}
		if n, ok := el["name"].(string); ok && inForm {
			if names[n] {
				t.Errorf("name %q used twice", n)
			}
			names[n] = true
		}
	}
	for _, el := range els {
		walk(el.(map[string]any), false)
	}
	var want []string
	for _, a := range c.Actions {
		want = append(want, a.Name)
	}
	slices.Sort(actions)
	slices.Sort(want)
	if fmt.Sprint(actions) != fmt.Sprint(want) {
		t.Errorf("buttons %v, want the card's actions %v", actions, want)
	}
	for _, in := range c.Inputs {
		if !names[in.Name] {
			t.Errorf("input %q is not on the card", in.Name)
		}
	}
}

// TestMarkdownEscapes checks that literal text cannot turn into Feishu
// markup, while the card markdown's own bold, strike and bullets render.
func TestMarkdownEscapes(t *testing.T) {
	tests := []struct{ in, want string }{
		{"**T3** done", "**T3** done"},
		{"- a\n- ~~b~~", "- a\n- ~~b~~"},
		{`<at id=all></at> [x](https://e.com) \*\*`, "&#60;at id=all&#62;&#60;/at&#62; &#91;x&#93;&#40;https&#58;//e.com&#41; &#42;&#42;"},
		{"# heading", "&#35; heading"},
		{"1. one", "1&#46; one"},
		{"    code", "&#32;&#32;&#32;&#32;code"},
		{"a\n\nb", "a\n\nb"},
		{"\\- not a bullet\n\\---\n===\n+ x\n2026-11-27", "&#45; not a bullet\n&#45;--\n&#61;==\n&#43; x\n2026-11-27"},
		{"_x_ `y` :OK:", "&#95;x&#95; &#96;y&#96; &#58;OK&#58;"},
		{"** bold with spaces **", "&#32;**bold with spaces** "},
		{"- 1. item", "- 1&#46; item"},
	}
	for _, tt := range tests {
		if got := renderMarkdown(tt.in); got != tt.want {
			t.Errorf("renderMarkdown(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

var entity = regexp.MustCompile(`&#[0-9]+;`)

// FuzzEscapeLiteral checks that escaped text holds no markup character of
// Feishu's markdown, whatever a person typed.
func FuzzEscapeLiteral(f *testing.F) {
	for _, s := range []string{"<at id=all></at>", "**x**", "[a](b)", "1. x", "  x", "~~x~~", "&#42;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := escapeLiteral(s)
		if rest := entity.ReplaceAllString(got, ""); strings.ContainsAny(rest, "<>*_~[]()`#|&\\") {
			t.Errorf("escapeLiteral(%q) = %q keeps a markup character", s, got)
		}
		if line := guardLineStart(got); strings.HasPrefix(line, " ") {
			t.Errorf("guardLineStart(%q) = %q starts with a space", got, line)
		}
	})
}
