package fhir

import (
	"encoding/json"
	"fmt"
	"html"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// A search by _content finds the resources holding each word asked for
// in some value of theirs (their id and meta left out), and one by _text each word in their
// narrative (text.div, its markup left out); a word is matched as a
// part of a value, case ignored (accents count); the words of a phrase
// in double quotes stand together in one value. The store narrows the
// type's current resources to those whose stored JSON holds each word's
// plain ASCII runs (crs.ResourceQuery.Words), and each page keeps those
// whose values hold the words.

// addWords reads a _content or _text parameter's words, and its phrases
// in double quotes ("chest pain"): the words of a phrase must stand in
// one value, in their order, with only spaces between them.
func (s *search) addWords(key, value string) error {
	terms, err := searchTerms(strings.ToLower(value))
	if err != nil {
		return invalid("invalid", key, "search parameter %s: %v", key, err)
	}
	if len(terms) == 0 {
		return invalid("invalid", key, "search parameter %s: give the words to look for", key)
	}
	for _, t := range terms {
		for _, w := range t.words {
			s.query.Words = append(s.query.Words, plainRuns(w)...)
		}
	}
	s.checks = append(s.checks, pageCheck{param: key, matches: func(r Resource) bool {
		var texts []string
		if key == "_text" {
			text, _ := r["text"].(map[string]any)
			div, _ := text["div"].(string)
			texts = []string{narrativeText(div)}
		} else {
			texts = valuesOf(contentOf(r), nil)
		}
		for i, t := range texts {
			texts[i] = strings.ToLower(t)
		}
		for _, t := range terms {
			if !slices.ContainsFunc(texts, t.in) {
				return false
			}
		}
		return true
	}})
	return nil
}

// contentOf is what _content searches of a resource: all of it but its
// id and meta, which the server gives every resource (an id's hex, the
// year of lastUpdated) and no one searches its words for.
func contentOf(r Resource) map[string]any {
	c := make(map[string]any, len(r))
	for k, v := range r {
		if k != "id" && k != "meta" {
			c[k] = v
		}
	}
	return c
}

// searchTerm is a word of _content or _text, or a phrase of words.
type searchTerm struct {
	words  []string
	phrase *regexp.Regexp // a phrase of more than one word: its words with spaces between
}

// in reports whether the term is in text (lower case).
func (t searchTerm) in(text string) bool {
	if t.phrase != nil {
		return t.phrase.MatchString(text)
	}
	return strings.Contains(text, t.words[0])
}

// searchTerms splits a value of _content or _text (lower case) into its
// words and its phrases in double quotes; a quote left open is an error.
func searchTerms(value string) ([]searchTerm, error) {
	var terms []searchTerm
	for i, part := range strings.Split(value, `"`) {
		words := strings.Fields(part)
		if i%2 == 0 {
			for _, w := range words {
				terms = append(terms, searchTerm{words: []string{w}})
			}
			continue
		}
		if len(words) == 0 {
			return nil, fmt.Errorf("the phrase %q has no words", `"`+part+`"`)
		}
		t := searchTerm{words: words}
		if len(words) > 1 {
			quoted := make([]string, len(words))
			for j, w := range words {
				quoted[j] = regexp.QuoteMeta(w)
			}
			t.phrase = regexp.MustCompile(strings.Join(quoted, `\s+`))
		}
		terms = append(terms, t)
	}
	if strings.Count(value, `"`)%2 != 0 {
		return nil, fmt.Errorf("a phrase's double quote is not closed: %s", value)
	}
	return terms, nil
}

// plainRuns are the runs of a word the stored JSON holds as they are:
// ASCII letters, digits and punctuation that JSON does not escape, so
// that the store's narrowing (case ignored in ASCII on both engines)
// never leaves out a resource the word is in.
func plainRuns(w string) []string {
	return strings.FieldsFunc(w, func(r rune) bool {
		return r > unicode.MaxASCII || r < ' ' || strings.ContainsRune(`"\<>&`, r)
	})
}

// valuesOf appends every string and number (json.Number, as Decode
// reads them) of a value: the resource's elements, their extensions and
// narrative included.
func valuesOf(v any, out []string) []string {
	switch x := v.(type) {
	case string:
		out = append(out, x)
	case json.Number:
		out = append(out, x.String())
	case []any:
		for _, y := range x {
			out = valuesOf(y, out)
		}
	case map[string]any:
		for _, y := range x {
			out = valuesOf(y, out)
		}
	}
	return out
}

// markup is an XHTML tag of a narrative.
var markup = regexp.MustCompile(`<[^>]*>`)

// narrativeText is the text a narrative's XHTML shows: its tags left
// out (each as a space) and its character references read.
func narrativeText(div string) string {
	return html.UnescapeString(markup.ReplaceAllString(div, " "))
}
