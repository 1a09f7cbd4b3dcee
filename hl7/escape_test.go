package hl7

import "testing"

func TestUnescape(t *testing.T) {
	d := DefaultDelimiters
	d.Truncation = '#'
	tests := []struct{ name, in, want string }{
		{"plain", "abc", "abc"},
		{"delimiters", `a\F\b\S\c\T\d\R\e\E\f\P\`, `a|b^c&d~e\f#`},
		{"line break", `one\.br\two`, "one\ntwo"},
		{"hex", `\X414243\ \x41\ \X4\ \XZZ\`, `ABC \x41\ \X4\ \XZZ\`},
		{"passed through", `\H\bold\N\ \.sp2\ \Zabc\ \C2842\`, `\H\bold\N\ \.sp2\ \Zabc\ \C2842\`},
		{"lone escape", `50\ off`, `50\ off`},
		{"empty sequence", `a\\b`, `a\\b`},
		{"trailing", `a\F`, `a\F`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Unescape(d, tc.in); got != tc.want {
				t.Errorf("Unescape(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	if got, want := Unescape(Delimiters{Field: '|', Component: '^'}, `a\F\`), `a\F\`; got != want {
		t.Errorf("without escape character: got %q, want %q", got, want)
	}
}

func TestEscape(t *testing.T) {
	d := DefaultDelimiters
	tests := []struct{ name, in, want string }{
		{"plain", "abc", "abc"},
		{"delimiters", `a|b^c&d~e\f`, `a\F\b\S\c\T\d\R\e\E\f`},
		{"line breaks", "a\r\nb\nc\rd", `a\.br\b\.br\c\.br\d`},
		{"hash without truncation", "#1", "#1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Escape(d, tc.in)
			if got != tc.want {
				t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func FuzzEscape(f *testing.F) {
	f.Add("a|b^c&d~e\\f\r\ng")
	f.Fuzz(func(t *testing.T, s string) {
		d := DefaultDelimiters
		e := Escape(d, s)
		for i := 0; i < len(e); i++ {
			if c := e[i]; c == '|' || c == '^' || c == '&' || c == '~' || c == '\r' || c == '\n' {
				t.Fatalf("Escape(%q) = %q holds delimiter %q", s, e, c)
			}
		}
		want := []byte{}
		for i := 0; i < len(s); i++ {
			switch {
			case s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n':
			case s[i] == '\r':
				want = append(want, '\n')
			default:
				want = append(want, s[i])
			}
		}
		if got := Unescape(d, e); got != string(want) {
			t.Fatalf("Unescape(Escape(%q)) = %q, want %q", s, got, want)
		}
	})
}
