// Package match scores how alike two patient records are: the phonetic
// keys and string similarity that make patient search tolerant of
// spelling, and the weighted score that flags likely duplicates before a
// record is created. Pure functions, no I/O.
package match

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Fold is how a name is compared in a FHIR search, and sorted by one:
// lower case, accents taken off, every other character kept as written
// ("O'Brien-Zoë" becomes "o'brien-zoe").
func Fold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// FamilyParts are the parts of a family name of several, hyphenated or
// spaced ("Smythe-Jones", "Carreno Quinones"), which a search finds it
// by apart; nil for a name of one part.
func FamilyParts(family string) []string {
	sep := func(r rune) bool { return unicode.IsSpace(r) || r == '-' }
	if strings.IndexFunc(family, sep) < 0 {
		return nil
	}
	if parts := strings.FieldsFunc(family, sep); len(parts) > 1 {
		return parts
	}
	return nil
}

// Normalize folds a name for comparison: accents removed, upper case,
// letters only ("O'Brien-Smith" becomes "OBRIENSMITH").
func Normalize(name string) string {
	if s, ok := normalizeASCII(name); ok {
		return s
	}
	return normalizeUnicode(name)
}

// normalizeUnicode is Normalize of any name: decomposed, so that an
// accent is dropped and its letter kept.
func normalizeUnicode(name string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(name) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		if unicode.IsLetter(r) {
			b.WriteRune(unicode.ToUpper(r))
		}
	}
	return b.String()
}

// normalizeASCII is Normalize of a name written in ASCII alone, as most
// are, without decomposing it; ok is false for any other name.
func normalizeASCII(name string) (s string, ok bool) {
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 0x80 {
			return "", false
		}
		if c < 'A' || c > 'Z' {
			upper = false
		}
	}
	if upper {
		return name, true
	}
	b := make([]byte, 0, len(name))
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c >= 'A' && c <= 'Z':
			b = append(b, c)
		case c >= 'a' && c <= 'z':
			b = append(b, c-'a'+'A')
		}
	}
	return string(b), true
}

// SoundexDigit is the Soundex digit of a capital letter: 1 for B F P V,
// 2 for C G J K Q S X Z, 3 for D T, 4 for L, 5 for M N, 6 for R, and 0
// for the vowels, H, W and Y, which write none.
func SoundexDigit(c byte) byte {
	switch c {
	case 'B', 'F', 'P', 'V':
		return '1'
	case 'C', 'G', 'J', 'K', 'Q', 'S', 'X', 'Z':
		return '2'
	case 'D', 'T':
		return '3'
	case 'L':
		return '4'
	case 'M', 'N':
		return '5'
	case 'R':
		return '6'
	}
	return 0
}

// Key returns the phonetic key of a name: names that sound alike share a
// key ("Smith", "Smyth", "Smithe"). It is a Soundex refined for British
// names: common spelling variants (PH/F, CK/K, MAC/MC, silent
// leading letters) are folded before coding, and the key keeps five
// characters so that long names spread over more keys.
func Key(name string) string {
	s := Normalize(name)
	if s == "" {
		return ""
	}
	s = fold(s)
	code := SoundexDigit
	out := []byte{s[0]}
	last := code(s[0])
	for i := 1; i < len(s) && len(out) < 5; i++ {
		c := s[i]
		d := code(c)
		if d == 0 {
			if c != 'H' && c != 'W' {
				last = 0 // a vowel separates equal codes; H and W do not
			}
			continue
		}
		if d != last {
			out = append(out, d)
		}
		last = d
	}
	for len(out) < 5 {
		out = append(out, '0')
	}
	return string(out)
}

var foldings = []struct{ from, to string }{
	{"MAC", "MC"}, {"PH", "F"}, {"CK", "K"}, {"SCH", "SK"}, {"GH", "G"},
	{"KN", "N"}, {"WR", "R"}, {"TH", "T"}, {"Y", "I"}, {"EE", "I"}, {"EI", "I"},
}

// soundFolds are the spellings within a name that sound the same as a
// shorter one.
var soundFolds = strings.NewReplacer("PH", "F", "CK", "K", "DG", "G", "TCH", "CH", "MPS", "MS")

func fold(s string) string {
	for _, f := range foldings {
		if strings.HasPrefix(s, f.from) {
			s = f.to + s[len(f.from):]
			break
		}
	}
	s = soundFolds.Replace(s)
	// Vowels at the start all sound much alike in names (Ellis, Allis).
	if s[0] == 'A' || s[0] == 'E' || s[0] == 'I' || s[0] == 'O' || s[0] == 'U' || s[0] == 'Y' {
		s = "A" + s[1:]
	}
	return s
}

// Similarity returns the Jaro-Winkler similarity of two normalised
// strings, from 0 (nothing alike) to 1 (the same).
func Similarity(a, b string) float64 {
	if a == b {
		if a == "" {
			return 0
		}
		return 1
	}
	la, lb := len(a), len(b)
	if la == 0 || lb == 0 {
		return 0
	}
	window := max(la, lb)/2 - 1
	if window < 0 {
		window = 0
	}
	// Which letters matched, on the stack for the names of people.
	var bufA, bufB [48]bool
	ma, mb := bufA[:0], bufB[:0]
	if la <= len(bufA) && lb <= len(bufB) {
		ma, mb = bufA[:la], bufB[:lb]
	} else {
		ma, mb = make([]bool, la), make([]bool, lb)
	}
	matches := 0
	for i := 0; i < la; i++ {
		lo, hi := max(0, i-window), min(lb, i+window+1)
		for j := lo; j < hi; j++ {
			if !mb[j] && a[i] == b[j] {
				ma[i], mb[j] = true, true
				matches++
				break
			}
		}
	}
	if matches == 0 {
		return 0
	}
	trans, j := 0, 0
	for i := 0; i < la; i++ {
		if !ma[i] {
			continue
		}
		for !mb[j] {
			j++
		}
		if a[i] != b[j] {
			trans++
		}
		j++
	}
	m := float64(matches)
	jaro := (m/float64(la) + m/float64(lb) + (m-float64(trans)/2)/m) / 3
	prefix := 0
	for i := 0; i < min(4, la, lb) && a[i] == b[i]; i++ {
		prefix++
	}
	return jaro + float64(prefix)*0.1*(1-jaro)
}
