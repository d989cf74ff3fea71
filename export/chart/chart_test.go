package chart

import (
	"bytes"
	"errors"
	"flag"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/image/font/gofont/goregular"

	"github.com/loopbot/loopbot/bot"
)

var writeDocs = flag.Bool("write-docs", false, "write the sample charts under docs/")

// roundTrip encodes d as PNG and decodes it again, as a reader of the file would.
func roundTrip(t *testing.T, d *Drawing) image.Image {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, d.Image); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return img
}

// inked counts the pixels of r that are not the white background.
func inked(img image.Image, r image.Rectangle) int {
	n := 0
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA); c.R < 0xf0 || c.G < 0xf0 || c.B < 0xf0 {
				n++
			}
		}
	}
	return n
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

func findText(t *testing.T, d *Drawing, prefix string) Text {
	t.Helper()
	for _, tx := range d.Texts {
		if strings.HasPrefix(tx.S, prefix) {
			return tx
		}
	}
	t.Fatalf("no label starting %q among %v", prefix, d.Texts)
	return Text{}
}

// skipWithoutCJK skips a test that needs a CJK font when there is none,
// except in CI (CI_REQUIRE_CJK_FONT=1), where .ci/run installs one.
func skipWithoutCJK(t *testing.T, fonts *Fonts) {
	t.Helper()
	if fonts.CJK() {
		return
	}
	if os.Getenv("CI_REQUIRE_CJK_FONT") != "" {
		t.Fatal("no CJK font found, and CI_REQUIRE_CJK_FONT is set: apt-get install fonts-noto-cjk")
	}
	t.Skip("no CJK font on this system (apt-get install fonts-noto-cjk); Chinese labels not tested")
}

func TestChineseLabels(t *testing.T) {
	fonts := mustFonts(t)
	skipWithoutCJK(t, fonts)
	t.Logf("CJK font: %s", fonts.CJKPath)
	for name, ch := range sampleCharts() {
		t.Run(name, func(t *testing.T) {
			d, err := Draw(ch, fonts, Options{Today: bot.NewDate(2026, 12, 1)})
			if err != nil {
				t.Fatal(err)
			}
			img := roundTrip(t, d)
			var han []Text
			for _, tx := range d.Texts {
				if hasHan(tx.S) {
					han = append(han, tx)
				}
			}
			if len(han) < 3 {
				t.Fatalf("only %d Chinese labels drawn: %v", len(han), d.Texts)
			}
			for _, tx := range han {
				// A glyph drawn covers a fair part of its box: at least 3 px per rune.
				if n := inked(img, tx.Box); n < 3*len([]rune(tx.S)) {
					t.Errorf("label %q: %d pixels drawn in %v", tx.S, n, tx.Box)
				}
			}
		})
	}
}

// TestChineseGlyphsDiffer draws two labels of two Chinese characters each at
// the same place: real glyphs differ, missing-glyph boxes would not.
func TestChineseGlyphsDiffer(t *testing.T) {
	fonts := mustFonts(t)
	skipWithoutCJK(t, fonts)
	crop := func(title string) ([]uint8, image.Rectangle) {
		ch := bot.Chart{Type: "bar", Title: title, Labels: []string{"a"}, Series: []bot.Series{{Name: "x", Values: []float64{1}}}}
		d, err := Draw(ch, fonts, Options{})
		if err != nil {
			t.Fatal(err)
		}
		img := roundTrip(t, d)
		box := findText(t, d, title).Box
		var px []uint8
		for y := box.Min.Y; y < box.Max.Y; y++ {
			for x := box.Min.X; x < box.Max.X; x++ {
				r, _, _, _ := img.At(x, y).RGBA()
				px = append(px, uint8(r>>8))
			}
		}
		return px, box
	}
	a, boxA := crop("计划")
	b, boxB := crop("完成")
	if boxA != boxB {
		t.Logf("boxes differ: %v %v", boxA, boxB)
	} else if bytes.Equal(a, b) {
		t.Fatal("计划 and 完成 are drawn alike: the glyphs are missing-glyph boxes")
	}
}

func TestLatinFallback(t *testing.T) {
	fonts := LatinFonts()
	want := map[string][]string{
		"burnup":        {"Burn-up", "planned", "done", "11-23"},
		"participation": {"Check-ins", "asked", "answered", "Alice", "#2", "Carol", "Dan"},
		"gantt":         {"Gantt", "critical", "milestone", "T1 Requirements", "T2", "T6 Go-live"},
	}
	for name, ch := range sampleCharts() {
		t.Run(name, func(t *testing.T) {
			d, err := Draw(ch, fonts, Options{})
			if err != nil {
				t.Fatal(err)
			}
			img := roundTrip(t, d)
			drawn := map[string]bool{}
			for _, tx := range d.Texts {
				if hasHan(tx.S) {
					t.Errorf("label %q has Chinese without a CJK font", tx.S)
				}
				drawn[tx.S] = true
				if inked(img, tx.Box) == 0 {
					t.Errorf("label %q: nothing drawn in %v", tx.S, tx.Box)
				}
			}
			for _, w := range want[name] {
				if !drawn[w] {
					t.Errorf("label %q not drawn; drawn: %v", w, d.Texts)
				}
			}
		})
	}
}

func TestLabel(t *testing.T) {
	latin := LatinFonts()
	for in, want := range map[string]string{
		"planned 计划":   "planned",
		"王丽 Alice":     "Alice",
		"张伟":           "fb",
		"":             "fb",
		"T3 设计 review": "T3 review",
		"café 2026":    "café 2026",
	} {
		if got := latin.Label(in, "fb"); got != want {
			t.Errorf("Latin Label(%q) = %q, want %q", in, got, want)
		}
	}
	fonts := mustFonts(t)
	if !fonts.CJK() {
		return
	}
	for in, want := range map[string]string{
		"planned 计划": "planned 计划",
		"张伟":         "张伟",
		"上线 🚀":       "上线",
	} {
		if got := fonts.Label(in, "fb"); got != want {
			t.Errorf("CJK Label(%q) = %q, want %q", in, got, want)
		}
	}
}

// pixelAt reports whether row y of img has a pixel of colour c right of x0.
func rowHas(img image.Image, x0, y int, c color.RGBA) bool {
	for x := x0; x < img.Bounds().Max.X; x++ {
		if color.RGBAModel.Convert(img.At(x, y)).(color.RGBA) == c {
			return true
		}
	}
	return false
}

func TestGanttBars(t *testing.T) {
	d, err := Draw(sampleCharts()["gantt"], LatinFonts(), Options{Today: bot.NewDate(2026, 12, 1)})
	if err != nil {
		t.Fatal(err)
	}
	img := roundTrip(t, d)
	for _, c := range []struct {
		task string
		col  color.RGBA
		what string
	}{
		{"T1", colGreen, "done"},
		{"T2", colGreen, "done"},
		{"T3", colRed, "critical, 60% done"},
		{"T3", colRedLight, "critical, 40% to do"},
		{"T4", colBlue, "30% done"},
		{"T4", colBlueLight, "70% to do"},
		{"T5", colRedLight, "critical, not started"},
		{"T6", colRed, "critical milestone"},
	} {
		box := findText(t, d, c.task).Box
		y := (box.Min.Y + box.Max.Y) / 2
		if !rowHas(img, 280, y, c.col) {
			t.Errorf("%s (%s): no %v in its row at y=%d", c.task, c.what, c.col, y)
		}
	}
	if rowHas(img, 280, (findText(t, d, "T4").Box.Min.Y+findText(t, d, "T4").Box.Max.Y)/2, colGreen) {
		t.Error("T4, not done, has green in its row")
	}
}

func TestGanttManyRows(t *testing.T) {
	var bars []bot.Bar
	for i := range 75 {
		bars = append(bars, bot.Bar{Task: "T" + string(rune('0'+i%10)), Start: bot.NewDate(2026, 1, 1).AddDays(i), Finish: bot.NewDate(2026, 1, 5).AddDays(i)})
	}
	d, err := Draw(bot.Chart{Type: "gantt", Bars: bars}, LatinFonts(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	findText(t, d, "+15 more")
}

func TestBadCharts(t *testing.T) {
	fonts := LatinFonts()
	for name, ch := range map[string]bot.Chart{
		"no labels":     {Type: "burnup", Series: []bot.Series{{Values: []float64{1}}}},
		"no series":     {Type: "bar", Labels: []string{"a"}},
		"only NaN":      {Type: "line", Labels: []string{"a"}, Series: []bot.Series{{Values: []float64{math.NaN()}}}},
		"gantt no bars": {Type: "gantt"},
		"gantt no days": {Type: "gantt", Bars: []bot.Bar{{Task: "T1"}}},
	} {
		if _, err := Draw(ch, fonts, Options{}); !errors.Is(err, ErrEmpty) {
			t.Errorf("%s: err = %v, want ErrEmpty", name, err)
		}
	}
	if _, err := Draw(bot.Chart{Type: "pie", Labels: []string{"a"}}, fonts, Options{}); err == nil || !strings.Contains(err.Error(), `"pie"`) {
		t.Errorf("pie: err = %v, want one naming the type", err)
	}
	// Odd but drawable input draws without panicking.
	for name, ch := range map[string]bot.Chart{
		"infinities":       {Type: "line", Labels: []string{"a", "b", "c"}, Series: []bot.Series{{Values: []float64{math.Inf(1), -5, 1e12}}}},
		"more values":      {Type: "bar", Labels: []string{"a"}, Series: []bot.Series{{Values: []float64{1, 2, 3}}, {}}},
		"finish < start":   {Type: "gantt", Bars: []bot.Bar{{Task: "T1", Start: bot.NewDate(2026, 5, 5), Finish: bot.NewDate(2026, 5, 1), Progress: 300}}},
		"ten years":        {Type: "gantt", Bars: []bot.Bar{{Task: "T1", Start: bot.NewDate(2020, 1, 1), Finish: bot.NewDate(2030, 1, 1)}}},
		"long label":       {Type: "gantt", Bars: []bot.Bar{{Task: "T1", Label: strings.Repeat("long ", 200), Finish: bot.NewDate(2026, 5, 1)}}},
		"single milestone": {Type: "gantt", Bars: []bot.Bar{{Task: "T1", Milestone: true, Finish: bot.NewDate(2026, 5, 1)}}},
	} {
		if _, err := Draw(ch, fonts, Options{Width: 100000, Height: -3}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestLoadFonts(t *testing.T) {
	if _, err := LoadFonts("/nonexistent/font.ttc"); err == nil || !strings.Contains(err.Error(), "/nonexistent/font.ttc") {
		t.Errorf("missing file: err = %v, want one naming the file", err)
	}
	dir := t.TempDir()
	latin := filepath.Join(dir, "go.ttf")
	os.WriteFile(latin, goregular.TTF, 0o644)
	if _, err := LoadFonts(latin); err == nil || !strings.Contains(err.Error(), "no Chinese glyphs") {
		t.Errorf("Latin-only font: err = %v, want no Chinese glyphs", err)
	}
	junk := filepath.Join(dir, "junk.ttc")
	os.WriteFile(junk, []byte("ttcf not really a collection"), 0o644)
	if _, err := LoadFonts(junk); err == nil || !strings.Contains(err.Error(), junk) {
		t.Errorf("junk file: err = %v, want one naming the file", err)
	}
	for _, p := range SystemCJKFonts {
		if _, err := os.Stat(p); err == nil {
			f, err := LoadFonts(p)
			if err != nil || !f.CJK() {
				t.Errorf("LoadFonts(%s) = %v, CJK %v", p, err, f != nil && f.CJK())
			}
		}
	}
}

// TestWriteDocs writes the sample charts shown in README.md:
// go test ./export/chart -run WriteDocs -write-docs
func TestWriteDocs(t *testing.T) {
	if !*writeDocs {
		t.Skip("run with -write-docs to rewrite docs/chart-*.png")
	}
	fonts := mustFonts(t)
	if !fonts.CJK() {
		t.Fatal("the samples need a CJK font")
	}
	for _, name := range []string{"burnup", "gantt", "participation"} {
		var buf bytes.Buffer
		if err := PNG(&buf, sampleCharts()[name], fonts, Options{Today: bot.NewDate(2026, 12, 1)}); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("..", "..", "docs", "chart-"+name+".png"), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
