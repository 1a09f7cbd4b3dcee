package fhir

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// The paths of a FHIRPath Patch are FHIRPath expressions. This file
// reads and evaluates the part of FHIRPath that patches are written
// with: a dotted path of elements from the resource type
// (Patient.name.given), indexers ([0]), where() with comparisons of
// elements to literals joined by and / or
// (telecom.where(system='phone' and use='home')), $this, first(),
// last(), ofType(Type) and extension('url'). Anything else is refused by
// name.

// pathStep is one step of a path: an element by name, or a function or
// indexer applied to what the steps before selected.
type pathStep struct {
	kind  stepKind
	name  string    // the element's name, the url of extension(), the type of ofType()
	index int       // of an indexer
	cond  *pathCond // of where()
}

type stepKind int

const (
	stepElement   stepKind = iota
	stepThis               // $this
	stepIndex              // [n]
	stepWhere              // where(cond)
	stepFirst              // first()
	stepLast               // last()
	stepExtension          // extension('url')
	stepOfType             // ofType(Type)
)

// pathCond is the condition of a where(): a comparison of the elements
// a path selects below each candidate to a literal, or two conditions
// joined by and / or.
type pathCond struct {
	op          string // "=", "!=", "and", "or"
	left, right *pathCond
	path        []pathStep
	literal     any // string, json.Number or bool
}

// pathToken is one token of a path.
type pathToken struct {
	kind string // "ident", "string", "number", or the punctuation itself
	text string
	at   int
}

func tokenizePath(s string) ([]pathToken, error) {
	var out []pathToken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '.' || c == '[' || c == ']' || c == '(' || c == ')' || c == '=' || c == ',':
			out = append(out, pathToken{string(c), string(c), i})
			i++
		case c == '!' && i+1 < len(s) && s[i+1] == '=':
			out = append(out, pathToken{"!=", "!=", i})
			i += 2
		case c == '\'':
			var b strings.Builder
			j := i + 1
			for ; j < len(s) && s[j] != '\''; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
					switch s[j] {
					case 'n':
						b.WriteByte('\n')
					case 't':
						b.WriteByte('\t')
					case 'r':
						b.WriteByte('\r')
					default:
						b.WriteByte(s[j])
					}
					continue
				}
				b.WriteByte(s[j])
			}
			if j == len(s) {
				return nil, fmt.Errorf("the string at %d has no closing quote", i)
			}
			out = append(out, pathToken{"string", b.String(), i})
			i = j + 1
		case c >= '0' && c <= '9' || c == '-' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			j := i + 1
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
				j++
			}
			out = append(out, pathToken{"number", s[i:j], i})
			i = j
		case c == '$' || c == '_' || c < 0x80 && unicode.IsLetter(rune(c)):
			j := i + 1
			for j < len(s) && (s[j] == '_' || s[j] < 0x80 && (unicode.IsLetter(rune(s[j])) || unicode.IsDigit(rune(s[j])))) {
				j++
			}
			out = append(out, pathToken{"ident", s[i:j], i})
			i = j
		default:
			return nil, fmt.Errorf("%q at %d is not part of a FHIRPath path", c, i)
		}
	}
	return out, nil
}

// pathParser reads the tokens of one path.
type pathParser struct {
	toks []pathToken
	i    int
}

// parsePath reads a FHIRPath path of a patch.
func parsePath(s string) ([]pathStep, error) {
	toks, err := tokenizePath(s)
	if err != nil {
		return nil, err
	}
	p := &pathParser{toks: toks}
	steps, err := p.steps()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t != nil {
		return nil, fmt.Errorf("%q at %d is not expected there", t.text, t.at)
	}
	return steps, nil
}

func (p *pathParser) peek() *pathToken {
	if p.i < len(p.toks) {
		return &p.toks[p.i]
	}
	return nil
}

func (p *pathParser) next(kind string) (*pathToken, error) {
	t := p.peek()
	if t == nil {
		return nil, fmt.Errorf("the path ends where %s is expected", kind)
	}
	if t.kind != kind {
		return nil, fmt.Errorf("%q at %d is not the %s expected there", t.text, t.at, kind)
	}
	p.i++
	return t, nil
}

// steps reads a path: a name, then names, functions and indexers.
func (p *pathParser) steps() ([]pathStep, error) {
	var steps []pathStep
	first := true
	for {
		if !first {
			t := p.peek()
			if t == nil || (t.kind != "." && t.kind != "[") {
				return steps, nil
			}
			p.i++
			if t.kind == "[" {
				n, err := p.next("number")
				if err != nil {
					return nil, err
				}
				i, err := strconv.Atoi(n.text)
				if err != nil || i < 0 {
					return nil, fmt.Errorf("[%s] is not an index", n.text)
				}
				if _, err := p.next("]"); err != nil {
					return nil, err
				}
				steps = append(steps, pathStep{kind: stepIndex, index: i})
				continue
			}
		}
		first = false
		id, err := p.next("ident")
		if err != nil {
			return nil, err
		}
		if id.text == "$this" {
			steps = append(steps, pathStep{kind: stepThis})
			continue
		}
		if t := p.peek(); t == nil || t.kind != "(" {
			steps = append(steps, pathStep{kind: stepElement, name: id.text})
			continue
		}
		p.i++
		step, err := p.function(id.text)
		if err != nil {
			return nil, err
		}
		if _, err := p.next(")"); err != nil {
			return nil, err
		}
		steps = append(steps, step)
	}
}

// function reads the arguments of a function after its "(".
func (p *pathParser) function(name string) (pathStep, error) {
	switch name {
	case "first":
		return pathStep{kind: stepFirst}, nil
	case "last":
		return pathStep{kind: stepLast}, nil
	case "extension":
		url, err := p.next("string")
		if err != nil {
			return pathStep{}, err
		}
		return pathStep{kind: stepExtension, name: url.text}, nil
	case "ofType":
		t, err := p.next("ident")
		if err != nil {
			return pathStep{}, err
		}
		if t.text == "FHIR" { // FHIR.Quantity names the type by its namespace
			if _, err := p.next("."); err != nil {
				return pathStep{}, err
			}
			if t, err = p.next("ident"); err != nil {
				return pathStep{}, err
			}
		}
		return pathStep{kind: stepOfType, name: t.text}, nil
	case "where":
		c, err := p.or()
		if err != nil {
			return pathStep{}, err
		}
		return pathStep{kind: stepWhere, cond: c}, nil
	}
	return pathStep{}, fmt.Errorf("%s() is not a function a patch path may use (where, first, last, ofType, extension)", name)
}

func (p *pathParser) or() (*pathCond, error) { return p.joined("or", p.and) }

func (p *pathParser) and() (*pathCond, error) { return p.joined("and", p.compare) }

// joined reads operands joined by the word (and, or), left to right.
func (p *pathParser) joined(word string, operand func() (*pathCond, error)) (*pathCond, error) {
	c, err := operand()
	for err == nil {
		t := p.peek()
		if t == nil || t.kind != "ident" || t.text != word {
			return c, nil
		}
		p.i++
		var r *pathCond
		if r, err = operand(); err == nil {
			c = &pathCond{op: word, left: c, right: r}
		}
	}
	return nil, err
}

// compare reads path = literal or path != literal.
func (p *pathParser) compare() (*pathCond, error) {
	path, err := p.steps()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	if t == nil || (t.kind != "=" && t.kind != "!=") {
		return nil, fmt.Errorf("where() takes comparisons of an element to a value (system='phone')")
	}
	p.i++
	c := &pathCond{op: t.kind, path: path}
	v := p.peek()
	switch {
	case v == nil:
		return nil, fmt.Errorf("the path ends where a value is expected")
	case v.kind == "string":
		c.literal = v.text
	case v.kind == "number":
		c.literal = json.Number(v.text)
	case v.kind == "ident" && (v.text == "true" || v.text == "false"):
		c.literal = v.text == "true"
	default:
		return nil, fmt.Errorf("%q at %d is not a value ('text', a number, true or false)", v.text, v.at)
	}
	p.i++
	return c, nil
}

// pathNode is one element a path selects: where it is in the resource,
// so that a patch can change it, and its R4 definition.
type pathNode struct {
	parent map[string]any // the object holding it; nil for the resource
	in     string         // the definition parent is an instance of
	key    string         // its name in parent's JSON (valueQuantity)
	name   string         // its name in FHIRPath (value)
	index  int            // its place in the array; -1 when it does not repeat
	el     *Element       // nil for the resource
	def    string         // the definition of its own elements
	value  any
}

// selectPath evaluates steps against the resource doc of type typ.
func selectPath(doc map[string]any, typ string, steps []pathStep) ([]pathNode, error) {
	nodes := []pathNode{{value: doc, def: typ, index: -1}}
	if len(steps) > 0 && steps[0].kind == stepElement && isResource[steps[0].name] {
		if steps[0].name != typ {
			return nil, nil
		}
		steps = steps[1:]
	}
	return selectFrom(nodes, steps)
}

// selectFrom evaluates steps from the nodes given.
func selectFrom(nodes []pathNode, steps []pathStep) ([]pathNode, error) {
	for _, s := range steps {
		var out []pathNode
		switch s.kind {
		case stepThis:
			out = nodes
		case stepElement, stepExtension:
			name := s.name
			if s.kind == stepExtension {
				name = "extension"
			}
			for _, n := range nodes {
				kids, err := children(n, name)
				if err != nil {
					return nil, err
				}
				for _, k := range kids {
					if u, _ := asObject(k.value)["url"].(string); s.kind == stepElement || u == s.name {
						out = append(out, k)
					}
				}
			}
		case stepIndex:
			if s.index < len(nodes) {
				out = nodes[s.index : s.index+1]
			}
		case stepFirst:
			if len(nodes) > 0 {
				out = nodes[:1]
			}
		case stepLast:
			if len(nodes) > 0 {
				out = nodes[len(nodes)-1:]
			}
		case stepOfType:
			for _, n := range nodes {
				if n.el != nil && len(n.el.Types) > 0 && (n.el.Types[0] == s.name || n.el.Types[0] == "Resource" && n.def == s.name) {
					out = append(out, n)
				}
			}
		case stepWhere:
			for _, n := range nodes {
				ok, err := s.cond.holds(n)
				if err != nil {
					return nil, err
				}
				if ok {
					out = append(out, n)
				}
			}
		}
		nodes = out
	}
	return nodes, nil
}

func asObject(v any) map[string]any { m, _ := v.(map[string]any); return m }

// holds says whether the condition is true of n.
func (c *pathCond) holds(n pathNode) (bool, error) {
	switch c.op {
	case "and", "or":
		l, err := c.left.holds(n)
		if err != nil || (c.op == "and" && !l) || (c.op == "or" && l) {
			return l, err
		}
		return c.right.holds(n)
	}
	got, err := selectFrom([]pathNode{n}, c.path)
	if err != nil {
		return false, err
	}
	switch len(got) {
	case 0:
		return false, nil // an empty side makes the comparison empty, not true
	case 1:
	default:
		return false, fmt.Errorf("where() compares %d values with %v; a comparison takes one", len(got), c.literal)
	}
	return jsonEqual(got[0].value, c.literal) == (c.op == "="), nil
}

// children are the elements called name of the object n holds: every
// item of a repeating element, the one value of a single one, the one
// type present of a choice (value for valueQuantity). A name R4 does
// not define for n's type is an error.
func children(n pathNode, name string) ([]pathNode, error) {
	obj, ok := n.value.(map[string]any)
	if !ok {
		return nil, nil // a primitive's id and extensions are not reached by a patch path
	}
	key := name
	el, def, typ := elementOf(n.def, name)
	if el == nil {
		if !hasChoice(n.def, name) {
			return nil, fmt.Errorf("%s is not an element of %s in R4", name, n.def)
		}
		for k := range obj {
			if choiceOf(n.def, name, k) {
				key = k
				el, def, typ = elementOf(n.def, k)
				break
			}
		}
		if el == nil {
			return nil, nil
		}
	}
	node := func(v any, i int) pathNode {
		d := def
		if typ == "Resource" {
			d, _ = asObject(v)["resourceType"].(string)
		}
		return pathNode{parent: obj, in: n.def, key: key, name: name, index: i, el: el, def: d, value: v}
	}
	switch v := obj[key].(type) {
	case nil:
		return nil, nil
	case []any:
		out := make([]pathNode, len(v))
		for i, item := range v {
			out[i] = node(item, i)
		}
		return out, nil
	default:
		return []pathNode{node(v, -1)}, nil
	}
}

// hasChoice reports whether name[x] is a choice element of def.
func hasChoice(def, name string) bool {
	for _, ts := range [][]string{primitiveTypes, complexTypes} {
		for _, t := range ts {
			if el := elementsByPath[def+"."+name+upperFirst(t)]; el != nil && el.Choice {
				return true
			}
		}
	}
	return false
}

// choiceOf reports whether key is one type of the choice element name
// of def (valueQuantity of value).
func choiceOf(def, name, key string) bool {
	if !strings.HasPrefix(key, name) || len(key) == len(name) {
		return false
	}
	el := elementsByPath[def+"."+key]
	return el != nil && el.Choice && len(el.Types) > 0 && key == name+upperFirst(el.Types[0])
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
