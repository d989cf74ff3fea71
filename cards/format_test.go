package cards_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoFormatErrors guards every golden card against text that a
// formatting mistake produced (a verb without its argument, or the other
// way round): a user would read "%!d(MISSING)" on their card.
func TestNoFormatErrors(t *testing.T) {
	files, err := filepath.Glob("testdata/*.golden.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(raw), "%!") {
			t.Errorf("%s has a formatting error", f)
		}
	}
}
