package command

import "unicode/utf8"

// suggest returns the command name, English or Chinese, that is closest to
// the unknown word, or "" when none is close. Close means at most two edits
// and at most half the name, so that a two-character Chinese word is not
// "corrected" into an unrelated two-character command. Ties go to the
// earlier command in Specs.
func suggest(word string, specs []Spec) string {
	w := fold(word)
	if utf8.RuneCountInString(w) > 24 {
		return ""
	}
	best, bestDist := "", 3
	for _, s := range specs {
		for _, name := range []string{s.Name, s.Zh} {
			d := distance(w, name)
			if d < bestDist && d <= utf8.RuneCountInString(name)/2 {
				best, bestDist = name, d
			}
		}
	}
	return best
}

// distance returns the Levenshtein distance between a and b, in runes.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur := make([]int, len(rb)+1)
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(rb)]
}
