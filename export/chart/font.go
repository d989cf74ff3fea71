package chart

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
)

// SystemCJKFonts are the files searched, in order, for a font with Chinese
// glyphs when none is configured: Debian and Ubuntu's fonts-noto-cjk and
// fonts-wqy-microhei / fonts-wqy-zenhei, the same fonts where Fedora, Arch and
// Alpine put them, and Droid Sans Fallback.
var SystemCJKFonts = []string{
	"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
	"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
	"/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
	"/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
	"/usr/share/fonts/noto/NotoSansCJK-Regular.ttc",
	"/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
	"/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
	"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
}

// Fonts are the typefaces charts are drawn with: Go's own sans-serif for
// Latin text, which is always there, and a font with Chinese glyphs when one
// was found. Without the CJK font, labels keep only their words the Latin font
// can draw ("planned 计划" is drawn as "planned"), so that no glyph is ever
// drawn as a missing-glyph box. Fonts are safe for concurrent use.
type Fonts struct {
	latin *sfnt.Font
	cjk   *sfnt.Font
	file  *os.File
	// CJKPath is the file the CJK font came from, "" when there is none.
	CJKPath string
}

// LoadFonts loads the fonts. With path set, that file (.ttf, .otf, or a .ttc
// collection) must parse and have Chinese glyphs, or LoadFonts returns an
// error naming the file. With path "", the files of SystemCJKFonts are tried
// in order and, when none is usable, the charts get Latin labels only.
func LoadFonts(path string) (*Fonts, error) {
	latin, err := opentype.Parse(goregular.TTF)
	if err != nil {
		return nil, fmt.Errorf("chart: Go font: %w", err)
	}
	f := &Fonts{latin: latin}
	if path != "" {
		cjk, file, err := loadCJK(path)
		if err != nil {
			return nil, err
		}
		f.cjk, f.file, f.CJKPath = cjk, file, path
		return f, nil
	}
	for _, p := range SystemCJKFonts {
		if cjk, file, err := loadCJK(p); err == nil {
			f.cjk, f.file, f.CJKPath = cjk, file, p
			break
		}
	}
	return f, nil
}

// Close closes the CJK font's file; the fonts are not used after.
func (f *Fonts) Close() error {
	if f.file == nil {
		return nil
	}
	return f.file.Close()
}

// LatinFonts returns fonts without a CJK font, as on a system that has none.
func LatinFonts() *Fonts {
	latin, _ := opentype.Parse(goregular.TTF)
	return &Fonts{latin: latin}
}

// CJK reports whether Chinese labels are drawn as Chinese.
func (f *Fonts) CJK() bool { return f.cjk != nil }

// loadCJK opens a font file and picks the font of a collection that draws
// Chinese: the Simplified Chinese one ("… SC") when the collection names one.
// The file is read through io.ReaderAt, so a 20 MB collection is not held in
// memory; it stays open until Fonts.Close.
func loadCJK(path string) (*sfnt.Font, *os.File, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("chart: font %s: %w", path, err)
	}
	fonts, err := parseFontFile(file)
	if err != nil {
		file.Close()
		return nil, nil, fmt.Errorf("chart: font %s: %w", path, err)
	}
	var pick *sfnt.Font
	for _, f := range fonts {
		if !hasRunes(f, "中文计划完成") {
			continue
		}
		name, _ := f.Name(nil, sfnt.NameIDFamily)
		if pick == nil || strings.HasSuffix(name, " SC") && !strings.Contains(name, "Mono") {
			pick = f
		}
	}
	if pick == nil {
		file.Close()
		return nil, nil, fmt.Errorf("chart: font %s has no Chinese glyphs", path)
	}
	return pick, file, nil
}

// parseFontFile parses a single font or every font of a collection.
func parseFontFile(r io.ReaderAt) ([]*sfnt.Font, error) {
	var magic [4]byte
	if _, err := r.ReadAt(magic[:], 0); err != nil {
		return nil, errors.New("not a font file")
	}
	if string(magic[:]) != "ttcf" {
		f, err := opentype.ParseReaderAt(r)
		if err != nil {
			return nil, err
		}
		return []*sfnt.Font{f}, nil
	}
	c, err := opentype.ParseCollectionReaderAt(r)
	if err != nil {
		return nil, err
	}
	out := make([]*sfnt.Font, 0, c.NumFonts())
	for i := range c.NumFonts() {
		f, err := c.Font(i)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// hasRunes reports whether f has a glyph for every rune of s.
func hasRunes(f *sfnt.Font, s string) bool {
	var buf sfnt.Buffer
	for _, r := range s {
		if !hasRune(f, &buf, r) {
			return false
		}
	}
	return true
}

func hasRune(f *sfnt.Font, buf *sfnt.Buffer, r rune) bool {
	if unicode.IsSpace(r) {
		return true
	}
	i, err := f.GlyphIndex(buf, r)
	return err == nil && i != 0
}

// painter draws text at one size with the best font at hand. It is not safe
// for concurrent use: each drawing makes its own.
type painter struct {
	font *sfnt.Font
	buf  sfnt.Buffer
	cjk  bool
}

func (f *Fonts) painter() *painter {
	if f.cjk != nil {
		return &painter{font: f.cjk, cjk: true}
	}
	return &painter{font: f.latin}
}

// face returns the face of size px.
func (p *painter) face(size float64) font.Face {
	face, err := opentype.NewFace(p.font, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		// Only a size out of range fails; the sizes here are constants.
		panic(fmt.Sprintf("chart: face of size %v: %v", size, err))
	}
	return face
}

// Label returns s as the chart draws it: whole with a CJK font (less any rune
// the font lacks, such as an emoji); else only the space-separated words that
// the Latin font draws in full, so "王丽 Alice" becomes "Alice". When nothing
// is left it returns fallback.
func (f *Fonts) Label(s, fallback string) string {
	return f.painter().label(s, fallback)
}

func (p *painter) label(s, fallback string) string {
	var out string
	if p.cjk {
		out = strings.Map(func(r rune) rune {
			if hasRune(p.font, &p.buf, r) {
				return r
			}
			return -1
		}, s)
		out = strings.Join(strings.Fields(out), " ")
	} else {
		var words []string
		for _, w := range strings.Fields(s) {
			if hasRunes(p.font, w) {
				words = append(words, w)
			}
		}
		out = strings.Join(words, " ")
	}
	if out == "" {
		return fallback
	}
	return out
}
