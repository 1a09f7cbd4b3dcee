package crs

import "testing"

// postcodeCases are shapes of postcode, good and bad, as clerks type them.
var postcodeCases = []struct {
	in   string
	want bool
}{
	{"SW1A 1AA", true}, {"sw1a1aa", true}, {" E1 6AN ", true}, {"E16AN", true}, {"M1 1AE", true},
	{"B33 8TH", true}, {"CR2 6XH", true}, {"DN55 1PT", true}, {"W1A 0AX", true}, {"EC1A\t1BB", true},
	{"", false}, {"E1", false}, {"E1 6A", false}, {"1E 6AN", false}, {"E 6AN", false}, {"EEE1 6AN", false},
	{"SW1A 1AAA", false}, {"SW1AA 1AA", false}, {"E1 AAN", false}, {"E1 66N", false}, {"E1-6AN", false},
	{"E1 6AN!", false}, {"ſW1A 1AA", true}, {"E1\u00a06AN", true}, {"É1 6AN", false}, {"SW1A 1AAé", false},
}

// TestValidPostcode checks ValidPostcode against its rule written as a
// regular expression over the normalised postcode.
func TestValidPostcode(t *testing.T) {
	for _, tc := range postcodeCases {
		t.Run(tc.in, func(t *testing.T) {
			if got := ValidPostcode(tc.in); got != tc.want {
				t.Errorf("ValidPostcode(%q) = %v, want %v", tc.in, got, tc.want)
			}
			if ref := postcodePattern.MatchString(NormalizePostcode(tc.in)); ref != tc.want {
				t.Errorf("the rule says %q is %v, want %v", tc.in, ref, tc.want)
			}
		})
	}
}

// FuzzValidPostcode checks that the quick check of ASCII postcodes agrees
// with the rule written as a regular expression.
func FuzzValidPostcode(f *testing.F) {
	for _, tc := range postcodeCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ValidPostcode(s), postcodePattern.MatchString(NormalizePostcode(s)); got != want {
			t.Errorf("ValidPostcode(%q) = %v, the rule says %v", s, got, want)
		}
	})
}
