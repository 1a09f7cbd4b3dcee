package fhir

import (
	"fmt"
	"slices"
	"strings"

	"github.com/opencrs/crs/nhs"
)

// readECL reads a SNOMED CT expression constraint of the forms this
// server expands into the includes that hold its concepts: concepts
// (each with its term between bars or not), descendantOrSelfOf (<<),
// descendantOf (<) and memberOf (^) a concept, joined by OR, one MINUS
// another, in brackets or not. Keywords are read in any case, as the
// constraint language has them. An error says what in it is not of
// those forms: a refinement, AND, ancestors, wildcards, an operator on
// brackets.
func readECL(system, value string) ([]ValueSetInclude, error) {
	toks, err := eclTokens(value)
	if err != nil {
		return nil, err
	}
	r := &eclReader{system: system, toks: toks}
	out, err := r.expression()
	if err != nil {
		return nil, err
	}
	if t := r.peek(); t != "" {
		return nil, fmt.Errorf("%q where the constraint should end", t)
	}
	return out, nil
}

// eclTokens splits an expression constraint into brackets, operators
// (<<, <, ^), identifiers, words and terms between bars (kept with their
// bars).
func eclTokens(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')' || c == '^':
			toks = append(toks, s[i:i+1])
			i++
		case c == '<':
			n := 1
			if strings.HasPrefix(s[i:], "<<") {
				n = 2
			}
			if i+n < len(s) && s[i+n] == '!' {
				return nil, fmt.Errorf("%q (children and parents are not expanded)", s[i:i+n+1])
			}
			toks = append(toks, s[i:i+n])
			i += n
		case c == '|':
			end := strings.IndexByte(s[i+1:], '|')
			if end < 0 {
				return nil, fmt.Errorf("a term with no closing bar")
			}
			toks = append(toks, s[i:i+end+2])
			i += end + 2
		case isAlnum(c):
			j := i
			for j < len(s) && isAlnum(s[j]) {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		default:
			return nil, fmt.Errorf("%q", s[i:i+1])
		}
	}
	return toks, nil
}

// isAlnum says whether c is an ASCII letter or digit, of a word or an
// identifier.
func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// eclReader reads the tokens of an expression constraint in order.
type eclReader struct {
	system string
	toks   []string
	i      int
}

func (r *eclReader) peek() string {
	if r.i < len(r.toks) {
		return r.toks[r.i]
	}
	return ""
}

func (r *eclReader) next() string {
	t := r.peek()
	r.i++
	return t
}

// expression reads one constraint or more joined by OR, or one MINUS
// another: the includes of what it holds, the concepts named alone
// gathered in one. The language mixes OR and MINUS only in brackets.
func (r *eclReader) expression() ([]ValueSetInclude, error) {
	first, err := r.sub()
	if err != nil {
		return nil, err
	}
	switch strings.ToUpper(r.peek()) {
	case "MINUS":
		r.next()
		minus, err := r.sub()
		if err != nil {
			return nil, err
		}
		for i := range first {
			first[i].Minus = slices.Concat(first[i].Minus, minus)
		}
		return first, r.notAfter("MINUS")
	case "OR":
		all := first
		for strings.ToUpper(r.peek()) == "OR" {
			r.next()
			more, err := r.sub()
			if err != nil {
				return nil, err
			}
			all = append(all, more...)
		}
		return gatherNamed(r.system, all), r.notAfter("OR")
	}
	return first, nil
}

// notAfter refuses an OR, MINUS or AND that follows a constraint joined
// by op without brackets.
func (r *eclReader) notAfter(op string) error {
	if t := strings.ToUpper(r.peek()); t == "OR" || t == "MINUS" || t == "AND" {
		return fmt.Errorf("%s after %s without brackets", t, op)
	}
	return nil
}

// sub reads a constraint in brackets or a focus concept with its
// operator.
func (r *eclReader) sub() ([]ValueSetInclude, error) {
	t := r.next()
	if t == "(" {
		in, err := r.expression()
		if err != nil {
			return nil, err
		}
		if t := r.next(); t != ")" {
			return nil, fmt.Errorf("%q where a bracket should close", tokenName(t))
		}
		return in, nil
	}
	op := ""
	switch strings.ToLower(t) {
	case "<<", "descendantorselfof":
		op = "<<"
	case "<", "descendantof":
		op = "<"
	case "^", "memberof":
		op = "^"
	}
	id := t
	if op != "" {
		id = r.next()
	}
	if err := nhs.CheckSCTID(id); err != nil && id != "" && id[0] >= '0' && id[0] <= '9' {
		return nil, err
	} else if err != nil {
		return nil, fmt.Errorf("%q where a concept should be", tokenName(id))
	}
	term := ""
	if strings.HasPrefix(r.peek(), "|") {
		term = strings.TrimSpace(strings.Trim(r.next(), "|"))
	}
	in := ValueSetInclude{System: r.system}
	switch op {
	case "<<":
		in.IsA = id
	case "<":
		in.IsA, in.Strict = id, true
	case "^":
		in.Refset = id
	default:
		in.Codes = []string{id}
		if term != "" {
			in.Display = map[string]string{id: term}
		}
	}
	return []ValueSetInclude{in}, nil
}

// tokenName names a token in an error, or the end of the constraint.
func tokenName(t string) string {
	if t == "" {
		return "the end"
	}
	return t
}

// gatherNamed puts the concepts named alone, and not less others, in
// one include after the others.
func gatherNamed(system string, incs []ValueSetInclude) []ValueSetInclude {
	named := ValueSetInclude{System: system, Codes: []string{}}
	var out []ValueSetInclude
	for _, in := range incs {
		if in.Codes == nil || len(in.Minus) > 0 {
			out = append(out, in)
			continue
		}
		named.Codes = append(named.Codes, in.Codes...)
		for code, d := range in.Display {
			if named.Display == nil {
				named.Display = map[string]string{}
			}
			named.Display[code] = d
		}
	}
	if len(named.Codes) > 0 {
		out = append(out, named)
	}
	return out
}
