// Package matchtest holds the names patient search is tested against, in
// the match package and through the store on each database: the commonest
// family names in England and Wales, and what clerks type for them.
package matchtest

import (
	_ "embed"
	"strings"
)

//go:embed surnames.txt
var surnames string

//go:embed misspellings.txt
var misspellings string

// Surnames returns the commonest family names in England and Wales.
func Surnames() []string {
	var out []string
	for _, f := range lines(surnames) {
		out = append(out, f[0])
	}
	return out
}

// Misspelling is what a clerk typed for a family name, and the name that
// must come first when the names of Surnames are searched for it.
type Misspelling struct{ Typed, Want string }

// Misspellings returns swapped, dropped, doubled and changed letters and
// the other spellings of the same sound, one or more for each surname.
func Misspellings() []Misspelling {
	var out []Misspelling
	for _, f := range lines(misspellings) {
		out = append(out, Misspelling{Typed: f[0], Want: f[1]})
	}
	return out
}

// lines returns the words of each line of text, leaving out blank lines
// and # comments.
func lines(text string) [][]string {
	var out [][]string
	for _, line := range strings.Split(text, "\n") {
		if f := strings.Fields(line); len(f) > 0 && !strings.HasPrefix(f[0], "#") {
			out = append(out, f)
		}
	}
	return out
}
