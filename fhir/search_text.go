package fhir

import (
	"encoding/json"
	"html"
	"regexp"
	"strings"
	"unicode"
)

// A search by _content finds the resources holding each word asked for
// in some value of theirs, and one by _text each word in their
// narrative (text.div, its markup left out); a word is matched as a
// part of a value, case ignored (accents count). The store narrows the
// type's current resources to those whose stored JSON holds each word's
// plain ASCII runs (crs.ResourceQuery.Words), and each page keeps those
// whose values hold the words.

// addWords reads a _content or _text parameter's words.
func (s *search) addWords(key, value string) error {
	words := strings.Fields(strings.ToLower(value))
	if len(words) == 0 {
		return invalid("invalid", key, "search parameter %s: give the words to look for", key)
	}
	for _, w := range words {
		s.query.Words = append(s.query.Words, plainRuns(w)...)
	}
	s.checks = append(s.checks, pageCheck{param: key, matches: func(r Resource) bool {
		var texts []string
		if key == "_text" {
			text, _ := r["text"].(map[string]any)
			div, _ := text["div"].(string)
			texts = []string{narrativeText(div)}
		} else {
			texts = valuesOf(map[string]any(r), nil)
		}
		for _, w := range words {
			found := false
			for _, t := range texts {
				if strings.Contains(strings.ToLower(t), w) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
		return true
	}})
	return nil
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
