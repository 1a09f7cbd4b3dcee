package store

import "strings"

// anyOf is the SQL condition that holds where any of terms does, the
// terms ORed in a balanced tree of parentheses rather than one after
// another: SQLite parses a OR b OR c ... as a chain one level deeper per
// term and refuses an expression more than 1,000 levels deep, which a
// search naming a thousand values (or a chain finding a thousand
// resources) reached. Balanced, a thousand terms are ten levels deep.
// No terms is a condition that never holds.
func anyOf(terms []string) string {
	if len(terms) == 0 {
		return "(1 = 0)"
	}
	var b strings.Builder
	appendAnyOf(&b, terms)
	return b.String()
}

func appendAnyOf(b *strings.Builder, terms []string) {
	const flat = 8 // a short list is ORed as written
	b.WriteByte('(')
	if len(terms) <= flat {
		for i, t := range terms {
			if i > 0 {
				b.WriteString(" OR ")
			}
			b.WriteString(t)
		}
	} else {
		half := len(terms) / 2
		appendAnyOf(b, terms[:half])
		b.WriteString(" OR ")
		appendAnyOf(b, terms[half:])
	}
	b.WriteByte(')')
}
