package report_test

import (
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
	"github.com/opencrs/crs/report"
)

func TestParseQuarter(t *testing.T) {
	for _, tc := range []struct{ in, first, last string }{
		{"2026-Q1", "2026-04-01", "2026-06-30"},
		{"2026-Q3", "2026-10-01", "2026-12-31"},
		{"2026-Q4", "2027-01-01", "2027-03-31"},
		{"2026-Q5", "", ""},
		{"Q3", "", ""},
	} {
		first, last, err := report.ParseQuarter(tc.in)
		if tc.first == "" {
			if err == nil || crs.ErrorField(err) != "quarter" {
				t.Errorf("%s: err %v, want a quarter field error", tc.in, err)
			}
			continue
		}
		if err != nil || first.String() != tc.first || last.String() != tc.last {
			t.Errorf("%s: %s to %s, %v; want %s to %s", tc.in, first, last, err, tc.first, tc.last)
		}
	}
}

func TestKH03Sector(t *testing.T) {
	for spec, want := range map[string]string{"300": crs.SectorGeneralAcute, "710": crs.SectorMentalIllness, "715": crs.SectorMentalIllness,
		"656": crs.SectorMentalIllness, "700": crs.SectorLearningDisabilities, "501": crs.SectorMaternity, "560": crs.SectorMaternity,
		"502": crs.SectorGeneralAcute, "": crs.SectorGeneralAcute} {
		if got := crs.KH03Sector(spec); got != want {
			t.Errorf("KH03Sector(%q) = %q, want %q", spec, got, want)
		}
	}
}

// TestKH03SectorsAreTheCodeList checks the sectors the return uses are the
// embedded code list, in its order.
func TestKH03SectorsAreTheCodeList(t *testing.T) {
	if len(nhs.KH03Sectors) != len(crs.KH03Sectors) {
		t.Fatalf("%d sectors, code list %d", len(crs.KH03Sectors), len(nhs.KH03Sectors))
	}
	for i, c := range nhs.KH03Sectors {
		if crs.KH03Sectors[i] != c.Code {
			t.Errorf("sector %d: %q, code list %q", i, crs.KH03Sectors[i], c.Code)
		}
	}
}
