package hl7

import (
	"fmt"
	"strings"
)

// Pretty writes the message as a tree for people to read: each segment,
// then each non-empty field with its number and name, then its
// repetitions, components and subcomponents when it has them. Values are
// shown unescaped and quoted.
func Pretty(m *Message) string {
	var b strings.Builder
	d := m.delims
	seen := map[string]int{}
	for _, s := range m.segments {
		seen[s.Name]++
		if n := seen[s.Name]; n > 1 || len(m.Segments(s.Name)) > 1 {
			fmt.Fprintf(&b, "%s[%d]\n", s.Name, n)
		} else {
			fmt.Fprintf(&b, "%s\n", s.Name)
		}
		for i := range s.Len() {
			f := s.field(i)
			if f == "" {
				continue
			}
			n := i + 1
			label := fmt.Sprintf("%s-%d", s.Name, n)
			if name := FieldName(s.Name, n); name != "" {
				label += " " + name
			}
			if s.isHeader() && n <= 2 {
				fmt.Fprintf(&b, "  %s: %q\n", label, f)
				continue
			}
			if !hasAny(f, d) {
				fmt.Fprintf(&b, "  %s: %q\n", label, Unescape(d, f))
				continue
			}
			fmt.Fprintf(&b, "  %s\n", label)
			reps := splitBy(f, d.Repetition)
			for r, rep := range reps {
				indent := "    "
				if len(reps) > 1 {
					if rep == "" {
						continue
					}
					fmt.Fprintf(&b, "    [%d]\n", r+1)
					indent = "      "
				}
				prettyComponents(&b, d, rep, indent)
			}
		}
	}
	return b.String()
}

// prettyComponents writes the components of one repetition.
func prettyComponents(b *strings.Builder, d Delimiters, rep, indent string) {
	for c, comp := range splitBy(rep, d.Component) {
		if comp == "" {
			continue
		}
		subs := splitBy(comp, d.Subcomponent)
		if len(subs) == 1 {
			fmt.Fprintf(b, "%s.%d: %q\n", indent, c+1, Unescape(d, comp))
			continue
		}
		for sc, sub := range subs {
			if sub != "" {
				fmt.Fprintf(b, "%s.%d.%d: %q\n", indent, c+1, sc+1, Unescape(d, sub))
			}
		}
	}
}

// hasAny reports whether f holds a repetition, component or subcomponent
// separator.
func hasAny(f string, d Delimiters) bool {
	for i := 0; i < len(f); i++ {
		if c := f[i]; c != 0 && (c == d.Repetition || c == d.Component || c == d.Subcomponent) {
			return true
		}
	}
	return false
}

// splitBy cuts s at sep; with no separator it is one part.
func splitBy(s string, sep byte) []string {
	if sep == 0 {
		return []string{s}
	}
	return strings.Split(s, string(sep))
}
