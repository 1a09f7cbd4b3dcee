package hl7

import (
	"bytes"
	"fmt"
	"math/bits"
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

	// One copy of the input; every segment keeps its line as a substring
	// of it, and the ends of all fields share one slice of offsets.
	s := string(data)
	// There are no more segments than lines, and a segment takes at least
	// 4 bytes ("ABC" and a terminator), which bounds the count when most
	// lines are blank; so the segments' slices never grow.
	nlines := bytes.Count(data[start:], []byte{'\n'}) + bytes.Count(data[start:], []byte{'\r'})
	if c := data[len(data)-1]; c != '\r' && c != '\n' {
		nlines++
	}
	nlines = min(nlines, (len(data)-start)/4+1)
	var m *Message
	var chunk []Segment
	if nlines <= len(smallMessage{}.segs) {
		b := &smallMessage{m: Message{delims: d}}
		m, chunk = &b.m, b.segs[:0]
		m.segments = b.ptrs[:0]
	} else {
		m = &Message{delims: d}
		chunk = make([]Segment, 0, nlines)
		m.segments = make([]*Segment, 0, nlines)
	}
	// Each field ends at a field separator or at the end of its line, and
	// MSH-1 ends without one.
	ends := make([]uint32, 0, bytes.Count(data[start:], []byte{d.Field})+2)
	encLen := encEnd - enc

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
		if len(ln) < 3 || !validSegmentName(ln[:3]) || (len(ln) > 3 && ln[3] != d.Field) {
			name := ln
			if k := strings.IndexByte(ln, d.Field); k >= 0 {
				name = ln[:k]
			}
			if len(name) > 20 {
				name = name[:20] + "..."
			}
			return nil, &ParseError{Segment: segNo, Line: line, Offset: lineStart,
				Msg: fmt.Sprintf("segment name %q is not 3 upper-case letters or digits", name)}
		}
		if segNo > 1 && ln[:3] == "MSH" {
			return nil, &ParseError{Segment: segNo, Line: line, Offset: lineStart,
				Msg: "a second MSH segment starts another message (use Split for files of several messages)"}
		}
		chunk = chunk[:len(chunk)+1] // within capacity: see nlines
		seg := &chunk[len(chunk)-1]
		seg.Name, seg.d = ln[:3], &m.delims
		m.segments = append(m.segments, seg)
		line++
		if int64(len(ln)) > maxLine {
			seg.fields = splitFields(ln, d.Field, segNo == 1, encLen)
			continue
		}
		first := len(ends)
		i := 3 // the field separator after the name, if there is one
		if segNo == 1 {
			// MSH-1 and MSH-2 are the delimiters themselves.
			ends = append(ends, 4, uint32(4+encLen))
			i = 4 + encLen
		}
		// ln[i:] is empty or starts with the field separator.
		if i < len(ln) {
			ends = appendFieldEnds(ends, ln, i+1, d.Field)
			ends = append(ends, uint32(len(ln)))
		}
		seg.line, seg.ends = ln, ends[first:len(ends):len(ends)]
	}
	return m, nil
}

// appendFieldEnds appends the offset of each byte sep in ln[i:].
//
// Fields are short (five bytes on average in an ADT), so this is the
// parser's inner loop. It tests eight bytes at a time: x is zero in the
// bytes that equal sep, and t has the top bit set in exactly those bytes
// (adding 0x7f to the low seven bits of a byte carries into its top bit
// unless they are all zero, and the byte's own top bit is or-ed in).
func appendFieldEnds(ends []uint32, ln string, i int, sep byte) []uint32 {
	const ones, low7 = 0x0101010101010101, 0x7f7f7f7f7f7f7f7f
	pattern := uint64(sep) * ones
	for ; i <= len(ln)-8; i += 8 {
		b := ln[i : i+8] // one load, with no bounds check per byte
		w := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		x := w ^ pattern
		t := ^((x&low7 + low7) | x | low7)
		for t != 0 {
			ends = append(ends, uint32(i+bits.TrailingZeros64(t)>>3))
			t &= t - 1
		}
	}
	for ; i < len(ln); i++ {
		if ln[i] == sep {
			ends = append(ends, uint32(i))
		}
	}
	return ends
}

// splitFields cuts a segment's line into its fields as strings, for a line
// too long to keep as offsets (see maxLine). header says the line is the
// MSH segment, whose MSH-2 is encLen bytes long.
func splitFields(ln string, sep byte, header bool, encLen int) []string {
	fields := []string{}
	rest := ln[3:]
	if header {
		fields = append(fields, ln[3:4], ln[4:4+encLen])
		rest = ln[4+encLen:]
	}
	if rest != "" {
		fields = append(fields, strings.Split(rest[1:], string(sep))...)
	}
	return fields
}

// smallMessage holds a message of up to eight segments, such as most ADT
// messages and acknowledgements, so that Parse allocates it in one piece.
type smallMessage struct {
	m    Message
	ptrs [8]*Segment
	segs [8]Segment
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
// (starting with //, /*, * or #), lines of control characters alone (an
// end-of-file mark), batch envelope segments (FHS, BHS, BTS, FTS) and
// MLLP framing (a start block byte before a message, an end block byte
// after it). Line ends are kept as they were, so each slice can be given
// to Parse. Lines before the first MSH that are not dropped
// start the first slice, so that Parse reports them.
func Split(data []byte) [][]byte {
	parts := SplitParts(data)
	out := make([][]byte, len(parts))
	for i, p := range parts {
		out[i] = p.Data
	}
	return out
}

// A Part is one message of a file, as Split cuts it, with the line of
// the file it starts on, so a problem with it can be found in the file.
type Part struct {
	Data []byte
	Line int // 1-based; CR, LF and CRLF each end one line
}

// SplitParts is Split, saying where in the file each message starts.
func SplitParts(data []byte) []Part {
	data = bytes.TrimPrefix(data, bom)
	var out []Part
	var cur []byte
	start := 0
	flush := func() {
		if len(cur) > 0 {
			out = append(out, Part{Data: cur, Line: start})
			cur = nil
		}
	}
	for line := 1; len(data) > 0; line++ {
		end := bytes.IndexAny(data, "\r\n\x1c")
		next := len(data)
		if end < 0 {
			end = len(data)
		} else {
			next = end + 1
			if data[end] == mllpEnd && next < len(data) && data[next] == '\r' {
				next++ // the end block and the CR that follows it end one line
			}
			if data[next-1] == '\r' && next < len(data) && data[next] == '\n' {
				next++
			}
		}
		ln, full := data[:end], data[:next]
		data = data[next:]
		if len(ln) > 0 && ln[0] == mllpStart {
			ln = ln[1:]
		}
		t := bytes.TrimLeft(ln, " \t")
		switch {
		case len(bytes.TrimFunc(t, isControl)) == 0, isComment(t), isBatchSegment(t):
			continue // blank, or control characters alone, such as an end-of-file mark
		case bytes.HasPrefix(t, []byte("MSH")):
			flush()
			start = line
		case len(cur) == 0:
			start = line
		}
		if full[0] == mllpStart {
			full = full[1:]
		}
		if i := bytes.IndexByte(full, mllpEnd); i >= 0 {
			full = append(full[:i:i], '\r')
		}
		cur = append(cur, full...)
	}
	flush()
	return out
}

// isControl reports whether r is white space or a control character.
func isControl(r rune) bool { return r <= ' ' || r == 0x7f }

// The bytes that frame a message in MLLP, which files captured off the
// wire keep.
const (
	mllpStart = 0x0b
	mllpEnd   = 0x1c
)

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
