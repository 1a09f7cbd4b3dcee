package hl7

import (
	"strings"
)

// Escape encodes text for writing into a message with delimiters d: each
// delimiter character becomes its escape sequence (\F\ \S\ \T\ \R\ \E\,
// and \P\ for the truncation character) and each line break (CR, LF or
// CRLF) becomes \.br\. With no escape character in d, text is returned
// unchanged.
func Escape(d Delimiters, text string) string {
	e := d.Escape
	if e == 0 {
		return text
	}
	clean := true
	for i := 0; i < len(text); i++ {
		if c := text[i]; escapeCode(d, c) != 0 || c == '\r' || c == '\n' {
			clean = false
			break
		}
	}
	if clean {
		return text
	}
	var b strings.Builder
	b.Grow(len(text) + 8)
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '\r' || c == '\n':
			if c == '\r' && i+1 < len(text) && text[i+1] == '\n' {
				i++
			}
			b.WriteByte(e)
			b.WriteString(".br")
			b.WriteByte(e)
		case escapeCode(d, c) != 0:
			b.WriteByte(e)
			b.WriteByte(escapeCode(d, c))
			b.WriteByte(e)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// escapeCode returns the letter of the escape sequence for delimiter c, or
// 0 when c is not a delimiter of d.
func escapeCode(d Delimiters, c byte) byte {
	switch c {
	case 0:
		return 0
	case d.Field:
		return 'F'
	case d.Component:
		return 'S'
	case d.Subcomponent:
		return 'T'
	case d.Repetition:
		return 'R'
	case d.Escape:
		return 'E'
	case d.Truncation:
		return 'P'
	}
	return 0
}

// Unescape decodes the escape sequences in a raw value written with
// delimiters d: \F\ \S\ \T\ \R\ \E\ \P\ give the delimiter characters,
// \Xhhhh\ the bytes with those hexadecimal codes, and \.br\ a line break
// ("\n"). Other sequences (highlighting \H\ \N\, character sets \C..\ \M..\,
// locally defined \Z..\, formatting such as \.sp\ \.in\) and a lone escape
// character are kept as written.
func Unescape(d Delimiters, raw string) string {
	e := d.Escape
	if e == 0 {
		return raw
	}
	i := strings.IndexByte(raw, e)
	if i < 0 {
		return raw
	}
	var b strings.Builder
	b.Grow(len(raw))
	for i >= 0 {
		b.WriteString(raw[:i])
		raw = raw[i:]
		j := strings.IndexByte(raw[1:], e)
		if j < 0 {
			break
		}
		seq := raw[1 : j+1]
		if !decodeSequence(&b, d, seq) {
			b.WriteString(raw[:j+2])
		}
		raw = raw[j+2:]
		i = strings.IndexByte(raw, e)
	}
	b.WriteString(raw)
	return b.String()
}

// decodeSequence writes the text an escape sequence stands for and reports
// whether it knew the sequence.
func decodeSequence(b *strings.Builder, d Delimiters, seq string) bool {
	if len(seq) == 1 {
		var c byte
		switch seq[0] {
		case 'F':
			c = d.Field
		case 'S':
			c = d.Component
		case 'T':
			c = d.Subcomponent
		case 'R':
			c = d.Repetition
		case 'E':
			c = d.Escape
		case 'P':
			c = d.Truncation
		}
		if c == 0 {
			return false
		}
		b.WriteByte(c)
		return true
	}
	if seq == ".br" {
		b.WriteByte('\n')
		return true
	}
	if len(seq) >= 3 && seq[0] == 'X' && len(seq)%2 == 1 {
		hex := seq[1:]
		for i := 0; i < len(hex); i++ {
			if unhex(hex[i]) < 0 {
				return false
			}
		}
		for i := 0; i < len(hex); i += 2 {
			b.WriteByte(byte(unhex(hex[i])<<4 | unhex(hex[i+1])))
		}
		return true
	}
	return false
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
