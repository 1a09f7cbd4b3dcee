package hl7

import (
	"bytes"
	"fmt"
	"strings"
)

// ParseError says where and why a message could not be read.
type ParseError struct {
	Segment int    // 1-based number of the segment, counting non-blank lines
	Line    int    // 1-based line of the input
	Offset  int    // byte offset into the input
	Msg     string // what is wrong, for a person
}

// Error returns the position and the message, such as
// `segment 3 (line 3): segment name "P@D" is not 3 upper-case letters or digits`.
func (e *ParseError) Error() string {
	return fmt.Sprintf("segment %d (line %d): %s", e.Segment, e.Line, e.Msg)
}

var bom = []byte{0xEF, 0xBB, 0xBF}

// Parse reads one HL7 v2 message. The message starts with an MSH segment
// (after an optional UTF-8 byte-order mark and white space); its
// delimiters come from MSH-1 and MSH-2. Segments may end with CR, LF or
// CRLF, mixed; blank lines are skipped. A second MSH segment is an error:
// use Split for files that hold several messages. Errors are *ParseError.
func Parse(data []byte) (*Message, error) {
	start, line := 0, 1
	if bytes.HasPrefix(data, bom) {
		start = 3
	}
	for start < len(data) {
		c := data[start]
		if c == '\n' || (c == '\r' && (start+1 == len(data) || data[start+1] != '\n')) {
			line++
		} else if c != '\r' && c != ' ' && c != '\t' {
			break
		}
		start++
	}
	fail := func(off int, format string, args ...any) (*Message, error) {
		return nil, &ParseError{Segment: 1, Line: line, Offset: off, Msg: fmt.Sprintf(format, args...)}
	}
	if len(data)-start < 4 || string(data[start:start+3]) != "MSH" {
		if start == len(data) {
			return fail(start, "empty message")
		}
		return fail(start, "message does not start with an MSH segment")
	}
	var d Delimiters
	d.Field = data[start+3]
	if !validDelimiter(d.Field) {
		return fail(start+3, "field separator %q is not allowed", d.Field)
	}
	enc := start + 4
	encEnd := enc
	for encEnd < len(data) && data[encEnd] != d.Field && data[encEnd] != '\r' && data[encEnd] != '\n' {
		encEnd++
	}
	switch n := encEnd - enc; {
	case n == 0:
		return fail(enc, "MSH-2 encoding characters are missing")
	case n > 5:
		return fail(enc, "MSH-2 encoding characters %q are more than 5", data[enc:encEnd])
	}
	slots := [...]*byte{&d.Component, &d.Repetition, &d.Escape, &d.Subcomponent, &d.Truncation}
	for i, c := range data[enc:encEnd] {
		if !validDelimiter(c) {
			return fail(enc+i, "MSH-2 encoding character %q is not allowed", c)
		}
		if c == d.Field || bytes.IndexByte(data[enc:enc+i], c) >= 0 {
			return fail(enc+i, "MSH-2 encoding character %q is used twice", c)
		}
		*slots[i] = c
	}

	// One copy of the input; every field is a substring of it.
	s := string(data)
	m := &Message{delims: d}
	// A segment takes at least 4 bytes ("ABC" and a terminator), which
	// bounds the count when most lines are blank.
	nlines := bytes.Count(data[start:], []byte{'\n'}) + bytes.Count(data[start:], []byte{'\r'}) + 1
	nlines = min(nlines, (len(data)-start)/4+1)
	chunk := make([]Segment, 0, nlines)
	m.segments = make([]*Segment, 0, nlines)
	pool := make([]string, 0, bytes.Count(data[start:], []byte{d.Field})+2)

	nextCR, nextLF := -1, -1
	segNo := 0
	pos := start
	for pos < len(s) {
		if nextCR < pos {
			if k := strings.IndexByte(s[pos:], '\r'); k >= 0 {
				nextCR = pos + k
			} else {
				nextCR = len(s)
			}
		}
		if nextLF < pos {
			if k := strings.IndexByte(s[pos:], '\n'); k >= 0 {
				nextLF = pos + k
			} else {
				nextLF = len(s)
			}
		}
		end := min(nextCR, nextLF)
		ln := s[pos:end]
		lineStart := pos
		pos = end + 1
		if end < len(s) && s[end] == '\r' && pos < len(s) && s[pos] == '\n' {
			pos++
		}
		if isBlank(ln) {
			line++
			continue
		}
		segNo++
		errAt := func(off int, format string, args ...any) (*Message, error) {
			return nil, &ParseError{Segment: segNo, Line: line, Offset: lineStart + off, Msg: fmt.Sprintf(format, args...)}
		}
		if len(ln) < 3 || !validSegmentName(ln[:3]) || (len(ln) > 3 && ln[3] != d.Field) {
			name := ln
			if k := strings.IndexByte(ln, d.Field); k >= 0 {
				name = ln[:k]
			}
			if len(name) > 20 {
				name = name[:20] + "..."
			}
			return errAt(0, "segment name %q is not 3 upper-case letters or digits", name)
		}
		first := len(pool)
		rest := ln[3:]
		if segNo == 1 {
			// MSH-1 and MSH-2 are the delimiters themselves.
			pool = append(pool, ln[3:4], ln[4:4+encEnd-enc])
			rest = ln[4+encEnd-enc:]
		} else if ln[:3] == "MSH" {
			return errAt(0, "a second MSH segment starts another message (use Split for files of several messages)")
		}
		// rest is empty or starts with the field separator. Fields are
		// short, so a plain loop beats IndexByte's call overhead.
		if len(rest) > 0 {
			sep, fs := d.Field, 1
			for i := 1; i < len(rest); i++ {
				if rest[i] == sep {
					pool = append(pool, rest[fs:i])
					fs = i + 1
				}
			}
			pool = append(pool, rest[fs:])
		}
		chunk = append(chunk, Segment{Name: ln[:3], fields: pool[first:len(pool):len(pool)], d: &m.delims})
		m.segments = append(m.segments, &chunk[len(chunk)-1])
		line++
	}
	return m, nil
}

// isBlank reports whether a line holds nothing but spaces and tabs.
func isBlank(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' && s[i] != '\t' {
			return false
		}
	}
	return true
}

// Split cuts a file or stream holding several messages into one slice per
// message, each starting at a line that begins with MSH. It drops what is
// not part of any message: a byte-order mark, blank lines, comment lines
// (starting with //, /*, * or #) and batch envelope segments (FHS, BHS,
// BTS, FTS). Line ends are kept as they were, so each slice can be given
// to Parse. Lines before the first MSH that are not dropped start the
// first slice, so that Parse reports them.
func Split(data []byte) [][]byte {
	data = bytes.TrimPrefix(data, bom)
	var out [][]byte
	var cur []byte
	flush := func() {
		if len(cur) > 0 {
			out = append(out, cur)
			cur = nil
		}
	}
	for len(data) > 0 {
		end := bytes.IndexAny(data, "\r\n")
		next := len(data)
		if end < 0 {
			end = len(data)
		} else {
			next = end + 1
			if data[end] == '\r' && next < len(data) && data[next] == '\n' {
				next++
			}
		}
		ln, full := data[:end], data[:next]
		data = data[next:]
		t := bytes.TrimLeft(ln, " \t")
		switch {
		case len(t) == 0, isComment(t), isBatchSegment(t):
			continue
		case bytes.HasPrefix(t, []byte("MSH")):
			flush()
		}
		cur = append(cur, full...)
	}
	flush()
	return out
}

// isComment reports whether a line is a comment some files put between
// messages.
func isComment(ln []byte) bool {
	return bytes.HasPrefix(ln, []byte("//")) || bytes.HasPrefix(ln, []byte("/*")) ||
		ln[0] == '*' || ln[0] == '#'
}

// isBatchSegment reports whether a line is a file or batch header or
// trailer, which wraps messages rather than being part of one.
func isBatchSegment(ln []byte) bool {
	if len(ln) < 4 || isNameChar(ln[3]) {
		return false
	}
	switch string(ln[:3]) {
	case "FHS", "BHS", "BTS", "FTS":
		return true
	}
	return false
}
