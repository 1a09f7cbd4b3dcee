package fhir

import (
	"strings"
	"testing"
)

// eclString writes includes read from an expression constraint in a
// short form: <<C, <C, ^R, {C,D}, each less what follows its minus sign,
// separated by " | ".
func eclString(incs []ValueSetInclude) string {
	var parts []string
	for _, in := range incs {
		var p string
		switch {
		case in.Refset != "":
			p = "^" + in.Refset
		case in.IsA != "" && in.Strict:
			p = "<" + in.IsA
		case in.IsA != "":
			p = "<<" + in.IsA
		default:
			p = "{" + strings.Join(in.Codes, ",") + "}"
		}
		if len(in.Minus) > 0 {
			p += " - (" + eclString(in.Minus) + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " | ")
}

// TestReadECL reads the expression constraints UK Core's value sets and
// a trust's write, and refuses the forms the server does not expand,
// saying what in them.
func TestReadECL(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{in: "memberOf 1127551000000109", want: "^1127551000000109"},
		{in: "^999000051000001100 |ePrescribing route of administration simple reference set|", want: "^999000051000001100"},
		{in: "memberOf 1127581000000103 or 196411000000103", want: "^1127581000000103 | {196411000000103}"},
		{in: "(<<404684003 | clinical finding|)", want: "<<404684003"},
		{in: "descendantOf 105590001 OR descendantOf 373873005 OR 196461000000101 OR 196471000000108", want: "<105590001 | <373873005 | {196461000000101,196471000000108}"},
		{in: "DescendantOrSelfOf 86290005 MINUS DescendantOrSelfOf 927961000000102", want: "<<86290005 - (<<927961000000102)"},
		{in: "(248337003 OR 1003998008 or descendantOrSelfOf 50373000) MINUS (925931000000103 OR 248336007)",
			want: "<<50373000 - ({925931000000103,248336007}) | {248337003,1003998008} - ({925931000000103,248336007})"},
		{in: "(DescendantOrSelfOf 2324511000000105) OR 723232008 OR (DescendantOrSelfOf 6797001 MINUS 852281000000108)",
			want: "<<2324511000000105 | <<6797001 - ({852281000000108}) | {723232008}"},
		{in: "(<<364075005|Heart rate (observable entity)| MINUS (<<928001000000104|Baseline heart rate (observable entity)|))", want: "<<364075005 - (<<928001000000104)"},
		{in: "<< 73211009 MINUS (^ 19999999103 MINUS 44054006)", want: "<<73211009 - (^19999999103 - ({44054006}))"},
		{in: "<< 404684003 : 363698007 = 39057004", err: `":"`},
		{in: ">> 44054006", err: `">"`},
		{in: "<<! 44054006", err: `"<<!"`},
		{in: "^ 19999999103 AND << 404684003", err: `"AND" where the constraint should end`},
		{in: "<< 73211009 OR 195967001 MINUS 44054006", err: "MINUS after OR without brackets"},
		{in: "<< 73211009 MINUS 44054006 MINUS 46635009", err: "MINUS after MINUS without brackets"},
		{in: "<< (73211009 OR 195967001)", err: `"(" where a concept should be`},
		{in: "(<< 73211009", err: `"the end" where a bracket should close`},
		{in: "<<87541000000108", err: "fails its check digit"},
		{in: "73211009 |Diabetes", err: "no closing bar"},
		{in: "*", err: `"*"`},
		{in: "", err: `"the end" where a concept should be`},
	} {
		got, err := readECL("http://snomed.info/sct", tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: %v %v, want an error saying %s", tc.in, eclString(got), err, tc.err)
			}
			continue
		}
		if err != nil || eclString(got) != tc.want {
			t.Errorf("%q: got %s %v, want %s", tc.in, eclString(got), err, tc.want)
		}
	}
}

// FuzzReadECL reads any expression constraint: an error or includes each
// of which holds concepts by one thing, never a panic.
func FuzzReadECL(f *testing.F) {
	for _, s := range []string{"memberOf 1127551000000109", "(<<404684003 |x|) MINUS (^19999999103 OR 44054006)", "<< 73211009 : 1 = 2", "((("} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		incs, err := readECL("http://snomed.info/sct", s)
		if err != nil {
			return
		}
		for _, in := range incs {
			if n := btoi(in.IsA != "") + btoi(in.Refset != "") + btoi(in.Codes != nil); n != 1 {
				t.Errorf("%q: an include of %d kinds: %+v", s, n, in)
			}
		}
	})
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
