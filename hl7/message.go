// Package hl7 reads and writes HL7 version 2 messages: the pipe-and-hat
// messages that hospital systems exchange for admissions, orders, results
// and appointments. It knows the syntax of HL7 v2 (segments, fields,
// repetitions, components, subcomponents and escapes), acknowledgements and
// the names of common fields, and nothing of patients.
//
// A Message keeps every value in its raw, escaped form, so that writing a
// parsed message gives back the bytes that were read, except that segments
// always end with a carriage return.
package hl7

import (
	"fmt"
	"math"
	"strings"
)

// Delimiters are the separator characters a message is written with,
// declared by MSH-1 (the field separator) and MSH-2 (the encoding
// characters). A zero byte means the message does not use that delimiter.
type Delimiters struct {
	Field        byte // separates fields, usually '|'
	Component    byte // separates components, usually '^'
	Repetition   byte // separates repetitions of a field, usually '~'
	Escape       byte // starts and ends an escape sequence, usually '\'
	Subcomponent byte // separates subcomponents, usually '&'
	Truncation   byte // marks a truncated value (v2.7 and later), usually '#'
}

// DefaultDelimiters are the delimiters nearly every sender uses: |^~\&.
var DefaultDelimiters = Delimiters{Field: '|', Component: '^', Repetition: '~', Escape: '\\', Subcomponent: '&'}

// EncodingCharacters returns the value of MSH-2 for these delimiters: the
// component, repetition, escape, subcomponent and truncation characters in
// that order, stopping at the first one that is not used.
func (d Delimiters) EncodingCharacters() string {
	var b []byte
	for _, c := range [...]byte{d.Component, d.Repetition, d.Escape, d.Subcomponent, d.Truncation} {
		if c == 0 {
			break
		}
		b = append(b, c)
	}
	return string(b)
}

// Validate reports whether the delimiters can be used to write a message:
// a field separator and component separator are present, the used ones
// differ from each other, and none is a letter, digit, space, CR or LF.
func (d Delimiters) Validate() error {
	if d.Field == 0 {
		return fmt.Errorf("hl7: no field separator")
	}
	if d.Component == 0 {
		return fmt.Errorf("hl7: no component separator")
	}
	all := [...]byte{d.Field, d.Component, d.Repetition, d.Escape, d.Subcomponent, d.Truncation}
	seenGap := false
	for i, c := range all {
		if c == 0 {
			if i > 0 {
				seenGap = true
			}
			continue
		}
		if seenGap {
			return fmt.Errorf("hl7: encoding character %q follows an unused one", c)
		}
		if !validDelimiter(c) {
			return fmt.Errorf("hl7: %q cannot be a delimiter", c)
		}
		for _, o := range all[:i] {
			if o == c {
				return fmt.Errorf("hl7: delimiter %q is used twice", c)
			}
		}
	}
	return nil
}

// validDelimiter reports whether c may separate parts of a message.
func validDelimiter(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return false
	case c == '\r', c == '\n', c == ' ', c == '\t', c == 0:
		return false
	}
	return true
}

// Message is one HL7 v2 message: an MSH segment followed by other segments.
// Values are held raw (escaped); Get unescapes them and Set escapes them.
type Message struct {
	delims   Delimiters
	segments []*Segment
}

// Segment is one line of a message: a three-character name such as PID and
// its fields. Fields are numbered from 1 as in the HL7 standard; for MSH,
// field 1 is the field separator itself and field 2 the encoding
// characters.
type Segment struct {
	// Name is the segment ID, such as "MSH", "PID" or "ZU1".
	Name string

	// A parsed segment keeps the line it was read from and where each
	// field ends in it, so that Parse makes no string per field and
	// allocates nothing the garbage collector must scan per field. A
	// segment that was built, or changed by Set, keeps its fields as
	// strings instead. line is "" exactly when fields is in use.
	line   string   // the segment as read, name included, without its terminator
	ends   []uint32 // ends[i] is the offset in line just past field i+1
	fields []string // fields[i] is field i+1, raw
	d      *Delimiters
}

// maxLine is the longest line whose field ends fit in Segment.ends; Parse
// keeps the fields of a longer one (over 4 GiB) as strings. Tests lower it.
var maxLine int64 = math.MaxUint32

// field returns field i+1 raw, for 0 <= i < Len().
func (s *Segment) field(i int) string {
	if s.line == "" {
		return s.fields[i]
	}
	start := 4 // after the name and the field separator
	if i > 0 {
		start = int(s.ends[i-1]) + 1
	}
	if i < 2 && isHeaderLine(s.line) {
		// MSH-1 is the separator itself and MSH-2 follows it directly.
		start = 3 + i
	}
	return s.line[start:s.ends[i]]
}

// isHeaderLine reports whether a parsed line is an MSH segment, whose
// first two fields are the delimiters. Parse allows MSH only as the first
// segment.
func isHeaderLine(line string) bool { return line[:3] == "MSH" }

// edit turns a parsed segment into one that keeps its fields as strings,
// so that they can be changed.
func (s *Segment) edit() {
	if s.line != "" {
		s.fields, s.line, s.ends = s.Fields(), "", nil
	}
}

// NewMessage starts a message written with the delimiters d. It holds only
// an MSH segment with MSH-1 and MSH-2 set; fill it with Set and AddSegment.
// It returns an error when d cannot be used (see Delimiters.Validate).
func NewMessage(d Delimiters) (*Message, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	m := &Message{delims: d}
	m.segments = []*Segment{{Name: "MSH", fields: []string{string(d.Field), d.EncodingCharacters()}, d: &m.delims}}
	return m, nil
}

// Delimiters returns the delimiters the message is written with.
func (m *Message) Delimiters() Delimiters { return m.delims }

// AllSegments returns every segment in message order. The slice is the
// message's own; do not modify it.
func (m *Message) AllSegments() []*Segment { return m.segments }

// Segments returns the segments called name, in message order.
func (m *Message) Segments(name string) []*Segment {
	var out []*Segment
	for _, s := range m.segments {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// Segment returns the first segment called name, or nil if there is none.
func (m *Message) Segment(name string) *Segment {
	for _, s := range m.segments {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// nthSegment returns the n-th (1-based) segment called name, or nil.
func (m *Message) nthSegment(name string, n int) *Segment {
	if n <= 0 {
		n = 1
	}
	for _, s := range m.segments {
		if s.Name == name {
			n--
			if n == 0 {
				return s
			}
		}
	}
	return nil
}

// AddSegment appends a segment called name with the given fields, starting
// at field 1. The fields are raw: they are written as given, so a value
// that may hold delimiter characters must be escaped first (see Escape),
// or set with Set instead. The name must be three upper-case letters or
// digits and not MSH.
func (m *Message) AddSegment(name string, fields ...string) (*Segment, error) {
	if !validSegmentName(name) {
		return nil, fmt.Errorf("hl7: segment name %q is not 3 upper-case letters or digits", name)
	}
	if name == "MSH" {
		return nil, fmt.Errorf("hl7: a message has one MSH segment")
	}
	for i, f := range fields {
		if strings.ContainsAny(f, "\r\n") || strings.IndexByte(f, m.delims.Field) >= 0 {
			return nil, fmt.Errorf("hl7: %s-%d holds a field separator or line break", name, i+1)
		}
	}
	s := &Segment{Name: name, fields: append([]string(nil), fields...), d: &m.delims}
	m.segments = append(m.segments, s)
	return s, nil
}

// validSegmentName reports whether s is three upper-case letters or digits.
func validSegmentName(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if !isNameChar(s[i]) {
			return false
		}
	}
	return true
}

func isNameChar(c byte) bool { return c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' }

// Bytes writes the message in HL7 encoding, each segment ended by a
// carriage return.
func (m *Message) Bytes() []byte {
	n := 0
	for _, s := range m.segments {
		if s.line != "" {
			n += len(s.line) + 1
			continue
		}
		n += 4 + len(s.fields)
		for _, f := range s.fields {
			n += len(f)
		}
	}
	buf := make([]byte, 0, n)
	for _, s := range m.segments {
		buf = s.appendTo(buf, m.delims.Field)
		buf = append(buf, '\r')
	}
	return buf
}

// String returns the message as Bytes does, with segments ended by CR.
func (m *Message) String() string { return string(m.Bytes()) }

// appendTo writes the segment without its terminator.
func (s *Segment) appendTo(buf []byte, sep byte) []byte {
	if s.line != "" && s.Name == s.line[:3] {
		// A parsed segment writes back the line it was read from.
		return append(buf, s.line...)
	}
	buf = append(buf, s.Name...)
	i, n := 0, s.Len()
	if s.isHeader() {
		// MSH-1 is the separator written right after the name, and MSH-2
		// follows it directly.
		for ; i < 2 && i < n; i++ {
			buf = append(buf, s.field(i)...)
		}
	}
	for ; i < n; i++ {
		buf = append(buf, sep)
		buf = append(buf, s.field(i)...)
	}
	return buf
}

// isHeader reports whether the segment is MSH, whose first two fields are
// the delimiters.
func (s *Segment) isHeader() bool { return s.Name == "MSH" }

// Len returns the number of fields the segment holds, counting empty ones
// up to the last field separator.
func (s *Segment) Len() int {
	if s.line != "" {
		return len(s.ends)
	}
	return len(s.fields)
}

// Field returns field n (1-based) raw, or "" when the segment has no such
// field.
func (s *Segment) Field(n int) string {
	if n < 1 || n > s.Len() {
		return ""
	}
	return s.field(n - 1)
}

// Fields returns the raw fields, field 1 first. The slice may be the
// segment's own; do not modify it.
func (s *Segment) Fields() []string {
	if s.line == "" {
		return s.fields
	}
	fields := make([]string, len(s.ends))
	for i := range fields {
		fields[i] = s.field(i)
	}
	return fields
}

// Type returns the message type and trigger event from MSH-9, such as
// "ADT^A01", or just the type when there is no trigger.
func (m *Message) Type() string {
	t, ev := m.Get("MSH-9.1"), m.Get("MSH-9.2")
	if ev == "" {
		return t
	}
	return t + "^" + ev
}

// Trigger returns the trigger event from MSH-9.2, such as "A01", or EVN-1
// when MSH-9.2 is empty (as in some v2.2 senders).
func (m *Message) Trigger() string {
	if t := m.Get("MSH-9.2"); t != "" {
		return t
	}
	return m.Get("EVN-1")
}

// ControlID returns MSH-10, the sender's unique id for this message, which
// the acknowledgement quotes back and which makes a retry recognisable.
func (m *Message) ControlID() string { return m.Get("MSH-10") }

// Version returns the HL7 version in MSH-12.1, such as "2.4".
func (m *Message) Version() string { return m.Get("MSH-12.1") }

// SendingApplication returns MSH-3.1, the namespace of the sending system.
func (m *Message) SendingApplication() string { return m.Get("MSH-3.1") }

// SendingFacility returns MSH-4.1, the organisation that sent the message.
func (m *Message) SendingFacility() string { return m.Get("MSH-4.1") }

// ReceivingApplication returns MSH-5.1, the system the message is for.
func (m *Message) ReceivingApplication() string { return m.Get("MSH-5.1") }

// ReceivingFacility returns MSH-6.1, the organisation the message is for.
func (m *Message) ReceivingFacility() string { return m.Get("MSH-6.1") }
