package hl7

import (
	"fmt"
	"strconv"
	"strings"
)

// Path names a place in a message, written as in the HL7 standard with
// optional indexes: "PID-5" (a field), "PID-3[2]" (the second repetition),
// "PID-5.1" (a component of the first repetition), "PID-3[2].4.1" (a
// subcomponent), "OBX[3]-5" (a field of the third OBX segment). A dash may
// stand for a dot between numbers ("PID-5-1"). Numbers count from 1; zero
// means "not given".
type Path struct {
	Segment      string // segment name, such as "PID"
	SegmentIndex int    // which segment of that name, from 1; 0 means the first
	Field        int    // field number; 0 means the whole segment
	Repetition   int    // repetition of the field; 0 means the whole field, or the first when a component is given
	Component    int    // component number; 0 means the whole repetition
	Subcomponent int    // subcomponent number; 0 means the whole component
}

// PathError says why a string is not a valid Path.
type PathError struct {
	Path string
	Msg  string
}

// Error returns the path and the reason.
func (e *PathError) Error() string { return fmt.Sprintf("hl7: bad path %q: %s", e.Path, e.Msg) }

// ParsePath reads a path such as "PID-3[2].1" (see Path).
func ParsePath(s string) (Path, error) {
	var p Path
	bad := func(msg string, args ...any) (Path, error) {
		return Path{}, &PathError{Path: s, Msg: fmt.Sprintf(msg, args...)}
	}
	if len(s) < 3 || !validSegmentName(s[:3]) {
		return bad("it must start with a segment name of 3 upper-case letters or digits")
	}
	p.Segment = s[:3]
	rest := s[3:]
	var err error
	if p.SegmentIndex, rest, err = index(rest); err != nil {
		return bad("segment index: %v", err)
	}
	if rest == "" {
		return p, nil
	}
	if rest[0] != '-' {
		return bad("expected '-' and a field number after %s", p.Segment)
	}
	if p.Field, rest, err = number(rest[1:]); err != nil {
		return bad("field: %v", err)
	}
	if p.Repetition, rest, err = index(rest); err != nil {
		return bad("repetition: %v", err)
	}
	for i, dst := range []*int{&p.Component, &p.Subcomponent} {
		if rest == "" {
			return p, nil
		}
		if rest[0] != '.' && rest[0] != '-' {
			return bad("unexpected %q", rest)
		}
		what := [...]string{"component", "subcomponent"}[i]
		if *dst, rest, err = number(rest[1:]); err != nil {
			return bad("%s: %v", what, err)
		}
	}
	if rest != "" {
		return bad("unexpected %q after the subcomponent", rest)
	}
	return p, nil
}

// number reads a positive decimal number at the start of s.
func number(s string) (int, string, error) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, s, fmt.Errorf("expected a number")
	}
	if i > 6 {
		return 0, s, fmt.Errorf("number %s is too large", s[:i])
	}
	n, _ := strconv.Atoi(s[:i])
	if n == 0 {
		return 0, s, fmt.Errorf("numbers count from 1")
	}
	return n, s[i:], nil
}

// index reads an optional "[n]" at the start of s.
func index(s string) (int, string, error) {
	if s == "" || s[0] != '[' {
		return 0, s, nil
	}
	n, rest, err := number(s[1:])
	if err != nil {
		return 0, s, err
	}
	if rest == "" || rest[0] != ']' {
		return 0, s, fmt.Errorf("missing ']'")
	}
	return n, rest[1:], nil
}

// String writes the path in the form ParsePath reads, with only the
// indexes that were given.
func (p Path) String() string {
	var b strings.Builder
	b.WriteString(p.Segment)
	if p.SegmentIndex > 0 {
		fmt.Fprintf(&b, "[%d]", p.SegmentIndex)
	}
	if p.Field == 0 {
		return b.String()
	}
	fmt.Fprintf(&b, "-%d", p.Field)
	if p.Repetition > 0 {
		fmt.Fprintf(&b, "[%d]", p.Repetition)
	}
	if p.Component > 0 {
		fmt.Fprintf(&b, ".%d", p.Component)
		if p.Subcomponent > 0 {
			fmt.Fprintf(&b, ".%d", p.Subcomponent)
		}
	}
	return b.String()
}

// piece returns the n-th (1-based) part of s cut at sep, or "" when there
// is none. With no separator (sep 0) the whole of s is part 1.
func piece(s string, sep byte, n int) string {
	if sep == 0 {
		if n == 1 {
			return s
		}
		return ""
	}
	for ; n > 1; n-- {
		k := strings.IndexByte(s, sep)
		if k < 0 {
			return ""
		}
		s = s[k+1:]
	}
	if k := strings.IndexByte(s, sep); k >= 0 {
		return s[:k]
	}
	return s
}

// count returns the number of parts s holds when cut at sep: 0 for "".
func count(s string, sep byte) int {
	if s == "" {
		return 0
	}
	if sep == 0 {
		return 1
	}
	return strings.Count(s, string(sep)) + 1
}

// GetRaw returns the raw (escaped) value at path, or "" when the message
// has nothing there or the path is not valid. MSH-1 is the field
// separator and MSH-2 the encoding characters.
func (m *Message) GetRaw(path string) string {
	p, err := ParsePath(path)
	if err != nil {
		return ""
	}
	return m.GetPathRaw(p)
}

// Get returns the value at path with escape sequences decoded, or "" when
// the message has nothing there or the path is not valid. A path that
// stops above the leaves (a field with components, say) gives its text
// with the delimiters as they stand.
func (m *Message) Get(path string) string {
	p, err := ParsePath(path)
	if err != nil {
		return ""
	}
	return m.GetPath(p)
}

// GetPath is Get for a parsed path.
func (m *Message) GetPath(p Path) string {
	raw := m.GetPathRaw(p)
	if p.Segment == "MSH" && (p.Field == 1 || p.Field == 2) {
		return raw
	}
	return Unescape(m.delims, raw)
}

// GetPathRaw is GetRaw for a parsed path.
func (m *Message) GetPathRaw(p Path) string {
	s := m.nthSegment(p.Segment, p.SegmentIndex)
	if s == nil {
		return ""
	}
	return s.getRaw(p)
}

// Get returns the unescaped value at a path within this segment: the part
// after the dash ("5", "3[2].1"), or a whole path whose segment name is
// this segment's (any segment index is ignored).
func (s *Segment) Get(path string) string {
	p, err := s.relPath(path)
	if err != nil {
		return ""
	}
	raw := s.getRaw(p)
	if s.isHeader() && (p.Field == 1 || p.Field == 2) {
		return raw
	}
	return Unescape(*s.d, raw)
}

// GetRaw is Get without unescaping.
func (s *Segment) GetRaw(path string) string {
	p, err := s.relPath(path)
	if err != nil {
		return ""
	}
	return s.getRaw(p)
}

// relPath parses a path relative to s.
func (s *Segment) relPath(path string) (Path, error) {
	if len(path) > 0 && path[0] >= '0' && path[0] <= '9' {
		path = s.Name + "-" + path
	}
	p, err := ParsePath(path)
	if err == nil && p.Segment != s.Name {
		err = &PathError{Path: path, Msg: "it names segment " + p.Segment + " not " + s.Name}
	}
	return p, err
}

func (s *Segment) getRaw(p Path) string {
	if p.Field == 0 {
		return ""
	}
	f := s.Field(p.Field)
	if s.isHeader() && p.Field <= 2 {
		if p.Repetition > 1 || p.Component > 1 || p.Subcomponent > 1 {
			return ""
		}
		return f
	}
	d := s.d
	if p.Repetition == 0 {
		if p.Component == 0 {
			return f
		}
		p.Repetition = 1
	}
	r := piece(f, d.Repetition, p.Repetition)
	if p.Component == 0 {
		return r
	}
	c := piece(r, d.Component, p.Component)
	if p.Subcomponent == 0 {
		return c
	}
	return piece(c, d.Subcomponent, p.Subcomponent)
}

// Count returns how many parts are directly below path: segments of that
// name for "OBX", repetitions for "PID-3", components for "PID-3[2]" or
// "PID-5.1"'s repetition, subcomponents for "PID-3[1].4". Empty trailing
// parts count as written; an empty value counts 0. It returns 0 for an
// invalid path.
func (m *Message) Count(path string) int {
	p, err := ParsePath(path)
	if err != nil {
		return 0
	}
	if p.Field == 0 {
		if p.SegmentIndex > 0 {
			return 0
		}
		return len(m.Segments(p.Segment))
	}
	s := m.nthSegment(p.Segment, p.SegmentIndex)
	if s == nil {
		return 0
	}
	raw := s.getRaw(p)
	if s.isHeader() && p.Field <= 2 {
		return count(raw, 0)
	}
	switch {
	case p.Repetition == 0 && p.Component == 0:
		return count(raw, m.delims.Repetition)
	case p.Component == 0:
		return count(raw, m.delims.Component)
	case p.Subcomponent == 0:
		return count(raw, m.delims.Subcomponent)
	}
	return count(raw, 0)
}

// Set writes value, escaped, at path. Segments, fields, repetitions and
// components that do not exist yet are added; a missing segment is
// appended at the end if it would be the next of its name. MSH-1 and MSH-2
// cannot be set.
func (m *Message) Set(path, value string) error {
	p, err := ParsePath(path)
	if err != nil {
		return err
	}
	return m.SetPath(p, value)
}

// SetPath is Set for a parsed path.
func (m *Message) SetPath(p Path, value string) error {
	if m.delims.Escape == 0 && strings.ContainsAny(value, m.delimChars()+"\r\n") {
		return fmt.Errorf("hl7: %s: value holds a delimiter or line break and the message has no escape character", p)
	}
	return m.SetPathRaw(p, Escape(m.delims, value))
}

// SetRaw writes value at path as given, without escaping: value may hold
// delimiters below the level of the path (components in a field, say) but
// not a field separator or line break.
func (m *Message) SetRaw(path, value string) error {
	p, err := ParsePath(path)
	if err != nil {
		return err
	}
	return m.SetPathRaw(p, value)
}

// SetPathRaw is SetRaw for a parsed path.
func (m *Message) SetPathRaw(p Path, value string) error {
	if p.Field == 0 {
		return fmt.Errorf("hl7: %s: path names no field", p)
	}
	if strings.ContainsAny(value, "\r\n") || strings.IndexByte(value, m.delims.Field) >= 0 {
		return fmt.Errorf("hl7: %s: value holds a field separator or line break", p)
	}
	if p.Segment == "MSH" && p.Field <= 2 {
		return fmt.Errorf("hl7: %s: MSH-1 and MSH-2 are the delimiters and cannot be set", p)
	}
	d := m.delims
	if (p.Repetition > 1 && d.Repetition == 0) || (p.Component > 1 && d.Component == 0) || (p.Subcomponent > 1 && d.Subcomponent == 0) {
		return fmt.Errorf("hl7: %s: the message has no delimiter for that level", p)
	}
	s := m.nthSegment(p.Segment, p.SegmentIndex)
	if s == nil {
		n := max(p.SegmentIndex, 1)
		if n != len(m.Segments(p.Segment))+1 || p.Segment == "MSH" {
			return fmt.Errorf("hl7: %s: no such segment to set", p)
		}
		s, _ = m.AddSegment(p.Segment)
		if s == nil {
			return fmt.Errorf("hl7: %s: bad segment name", p)
		}
	}
	s.edit()
	for len(s.fields) < p.Field {
		s.fields = append(s.fields, "")
	}
	f := &s.fields[p.Field-1]
	if p.Repetition == 0 {
		if p.Component == 0 {
			*f = value
			return nil
		}
		p.Repetition = 1
	}
	if p.Component == 0 {
		*f = replacePiece(*f, d.Repetition, p.Repetition, value)
		return nil
	}
	r := piece(*f, d.Repetition, p.Repetition)
	if p.Subcomponent == 0 {
		r = replacePiece(r, d.Component, p.Component, value)
	} else {
		c := piece(r, d.Component, p.Component)
		c = replacePiece(c, d.Subcomponent, p.Subcomponent, value)
		r = replacePiece(r, d.Component, p.Component, c)
	}
	*f = replacePiece(*f, d.Repetition, p.Repetition, r)
	return nil
}

// replacePiece returns s with its n-th part cut at sep replaced by v,
// adding empty parts as needed.
func replacePiece(s string, sep byte, n int, v string) string {
	if sep == 0 {
		return v
	}
	parts := strings.Split(s, string(sep))
	if s == "" {
		parts = parts[:0]
	}
	for len(parts) < n {
		parts = append(parts, "")
	}
	parts[n-1] = v
	return strings.Join(parts, string(sep))
}

// delimChars returns the delimiter characters in use.
func (m *Message) delimChars() string {
	return string(m.delims.Field) + m.delims.EncodingCharacters()
}
