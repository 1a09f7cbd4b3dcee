package fhir

import (
	"encoding/json"
	"fmt"
	"html"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// A search by _content finds the resources holding each word asked for
// in some value of theirs (their id and meta left out), and one by _text each word in their
// narrative (text.div, its markup left out); a word is matched as a
// part of a value, case ignored (accents count); the words of a phrase
// in double quotes stand together in one value. Words side by side, or
// with AND between them, must all be found; OR between two finds either,
// NOT (in capitals) before a word finds those without it, and
// parentheses group: _text=(bone OR liver) AND metastases. The store
// narrows the type's current resources to those whose stored JSON holds
// the plain ASCII runs of each word every match must hold
// (crs.ResourceQuery.Words), and each page keeps those whose values
// match the whole expression.

// addWords reads a _content or _text parameter's expression of words and
// phrases in double quotes ("chest pain"): the words of a phrase must
// stand in one value, in their order, with only spaces between them.
func (s *search) addWords(key, value string) error {
	expr, err := parseTextSearch(value)
	if err != nil {
		return invalid("invalid", key, "search parameter %s: %v", key, err)
	}
	for _, w := range expr.required() {
		s.query.Words = append(s.query.Words, plainRuns(w)...)
	}
	s.checks = append(s.checks, pageCheck{param: key, core: true, matches: func(r Resource) bool {
		var texts []string
		if key == "_text" {
			if r["text"] == nil {
				// A record of the PMI matched before it is served: its
				// narrative as it will be served.
				r = maps.Clone(r)
				withNarrative(r)
			}
			text, _ := r["text"].(map[string]any)
			div, _ := text["div"].(string)
			texts = []string{narrativeText(div)}
		} else {
			texts = valuesOf(contentOf(r), nil)
		}
		for i, t := range texts {
			texts[i] = strings.ToLower(t)
		}
		return expr.matches(texts)
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

// textExpr is an expression of _content or _text: a term (a word, or a
// phrase of words), or the AND, OR or NOT of expressions.
type textExpr struct {
	op    string // "", "and", "or", "not"
	term  *searchTerm
	parts []*textExpr
}

// matches reports whether the texts (lower case) match the expression:
// a term is matched if some text holds it.
func (e *textExpr) matches(texts []string) bool {
	switch e.op {
	case "and":
		for _, p := range e.parts {
			if !p.matches(texts) {
				return false
			}
		}
		return true
	case "or":
		for _, p := range e.parts {
			if p.matches(texts) {
				return true
			}
		}
		return false
	case "not":
		return !e.parts[0].matches(texts)
	}
	return slices.ContainsFunc(texts, e.term.in)
}

// required is the words every match of the expression holds: a term's,
// each part's of an AND, those of every part of an OR.
func (e *textExpr) required() []string {
	switch e.op {
	case "and":
		var out []string
		for _, p := range e.parts {
			out = append(out, p.required()...)
		}
		return out
	case "or":
		out := slices.Clone(e.parts[0].required())
		for _, p := range e.parts[1:] {
			in := p.required()
			out = slices.DeleteFunc(out, func(w string) bool { return !slices.Contains(in, w) })
		}
		return out
	case "not":
		return nil
	}
	return e.term.words
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

// textToken is a token of a _content or _text expression: a term, or an
// operator or parenthesis (op).
type textToken struct {
	op   string
	term *searchTerm
}

// textTokens splits a value of _content or _text into its terms (words
// and phrases in double quotes, lower case), operators (AND and OR in
// any case, NOT in capitals) and parentheses; a quote left open is an
// error.
func textTokens(value string) ([]textToken, error) {
	if strings.Count(value, `"`)%2 != 0 {
		return nil, fmt.Errorf("a phrase's double quote is not closed: %s", value)
	}
	var out []textToken
	for i, part := range strings.Split(value, `"`) {
		if i%2 == 1 {
			words := strings.Fields(strings.ToLower(part))
			if len(words) == 0 {
				return nil, fmt.Errorf("the phrase %q has no words", `"`+part+`"`)
			}
			t := &searchTerm{words: words}
			if len(words) > 1 {
				quoted := make([]string, len(words))
				for j, w := range words {
					quoted[j] = regexp.QuoteMeta(w)
				}
				t.phrase = regexp.MustCompile(strings.Join(quoted, `\s+`))
			}
			out = append(out, textToken{term: t})
			continue
		}
		part = strings.NewReplacer("(", " ( ", ")", " ) ").Replace(part)
		for _, w := range strings.Fields(part) {
			switch {
			case w == "(" || w == ")" || w == "NOT":
				out = append(out, textToken{op: w})
			case strings.EqualFold(w, "and") || strings.EqualFold(w, "or"):
				out = append(out, textToken{op: strings.ToUpper(w)})
			default:
				out = append(out, textToken{term: &searchTerm{words: []string{strings.ToLower(w)}}})
			}
		}
	}
	return out, nil
}

// parseTextSearch reads a value of _content or _text as an expression:
// terms side by side or with AND between them are all asked for, OR
// binds less tightly than AND, NOT before a term or a group leaves out
// what holds it, and parentheses group.
func parseTextSearch(value string) (*textExpr, error) {
	tokens, err := textTokens(value)
	if err != nil {
		return nil, err
	}
	if len(tokens) == 0 {
		return nil, fmt.Errorf("give the words to look for")
	}
	p := &textParser{tokens: tokens}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.i < len(p.tokens) {
		return nil, fmt.Errorf("%q has no opening parenthesis before it", ")")
	}
	return e, nil
}

// textParser reads the tokens of a _content or _text expression.
type textParser struct {
	tokens []textToken
	i      int
}

func (p *textParser) peek() string {
	if p.i < len(p.tokens) {
		return p.tokens[p.i].op
	}
	return "end"
}

func (p *textParser) or() (*textExpr, error) {
	first, err := p.and()
	if err != nil {
		return nil, err
	}
	e := &textExpr{op: "or", parts: []*textExpr{first}}
	for p.peek() == "OR" {
		p.i++
		next, err := p.and()
		if err != nil {
			return nil, err
		}
		e.parts = append(e.parts, next)
	}
	if len(e.parts) == 1 {
		return first, nil
	}
	return e, nil
}

func (p *textParser) and() (*textExpr, error) {
	first, err := p.unary()
	if err != nil {
		return nil, err
	}
	e := &textExpr{op: "and", parts: []*textExpr{first}}
	for {
		switch p.peek() {
		case "AND":
			p.i++
		case "", "NOT", "(":
		default:
			if len(e.parts) == 1 {
				return first, nil
			}
			return e, nil
		}
		next, err := p.unary()
		if err != nil {
			return nil, err
		}
		e.parts = append(e.parts, next)
	}
}

func (p *textParser) unary() (*textExpr, error) {
	switch op := p.peek(); op {
	case "NOT":
		p.i++
		e, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &textExpr{op: "not", parts: []*textExpr{e}}, nil
	case "(":
		p.i++
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, fmt.Errorf("a parenthesis is not closed")
		}
		p.i++
		return e, nil
	case "":
		t := p.tokens[p.i].term
		p.i++
		return &textExpr{term: t}, nil
	case "end":
		return nil, fmt.Errorf("the expression ends where a word or phrase should follow")
	default:
		return nil, fmt.Errorf("%s stands where a word or phrase should", op)
	}
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
