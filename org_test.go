package crs_test

import (
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opencrs/crs"
)

// TestLocationValidate checks the fields of a location a person sets up,
// with ValidateNew's extra rules, naming the field of each problem.
func TestLocationValidate(t *testing.T) {
	site := crs.LocationSite
	tests := []struct {
		name       string
		l          crs.Location
		parentKind crs.LocationKind
		validate   []string // fields Validate reports
		validNew   []string // fields ValidateNew reports
	}{
		{"site", crs.Location{Kind: site, Code: "MAIN", Name: "Main"}, "", nil, nil},
		{"site within another", crs.Location{Kind: site, Code: "MAIN", Name: "Main", ParentID: "x"}, site, []string{"parent"}, []string{"parent"}},
		{"ward", crs.Location{Kind: crs.LocationWard, ParentID: "s", Code: "WD10", Name: "W", Sex: crs.SexFemale, Specialty: "300"}, site, nil, nil},
		{"ward made before sex was recorded", crs.Location{Kind: crs.LocationWard, ParentID: "s", Code: "WD10", Name: "W"}, site, nil, []string{"sex", "specialty"}},
		{"ward without a parent", crs.Location{Kind: crs.LocationWard, Code: "WD10", Name: "W", Sex: crs.SexMale, Specialty: "300"}, "", []string{"parent"}, []string{"parent"}},
		{"unknown sex", crs.Location{Kind: crs.LocationBay, ParentID: "w", Code: "B", Name: "B", Sex: "men"}, crs.LocationWard, []string{"sex"}, []string{"sex"}},
		{"sex of a bed", crs.Location{Kind: crs.LocationBed, ParentID: "w", Code: "B1", Name: "B", Sex: crs.SexMale, Status: crs.BedAvailable}, crs.LocationWard, []string{"sex"}, []string{"sex"}},
		{"not a treatment function", crs.Location{Kind: crs.LocationWard, ParentID: "s", Code: "WD1", Name: "W", Sex: crs.SexMixed, Specialty: "999"}, site, []string{"specialty"}, []string{"specialty"}},
		{"specialty of a bay", crs.Location{Kind: crs.LocationBay, ParentID: "w", Code: "B", Name: "B", Sex: crs.SexMixed, Specialty: "300"}, crs.LocationWard, []string{"specialty"}, []string{"specialty"}},
		{"bed with no status", crs.Location{Kind: crs.LocationBed, ParentID: "w", Code: "B1", Name: "B"}, crs.LocationWard, []string{"status"}, []string{"status"}},
		{"closed bed", crs.Location{Kind: crs.LocationBed, ParentID: "w", Code: "B1", Name: "B", Status: crs.BedClosed}, crs.LocationBay, nil, nil},
		{"status of a ward", crs.Location{Kind: crs.LocationWard, ParentID: "s", Code: "W", Name: "W", Sex: crs.SexMale, Specialty: "300", Status: crs.BedClosed}, site, []string{"status"}, []string{"status"}},
		{"department", crs.Location{Kind: crs.LocationED, ParentID: "s", Code: "ED", Name: "ED", EDType: "01"}, site, nil, nil},
		{"department without a type", crs.Location{Kind: crs.LocationED, ParentID: "s", Code: "ED", Name: "ED"}, site, nil, []string{"ed_type"}},
		{"area of a department", crs.Location{Kind: crs.LocationED, ParentID: "e", Code: "RESUS", Name: "Resus"}, crs.LocationED, nil, nil},
		{"walk-in centre type 04", crs.Location{Kind: crs.LocationED, ParentID: "s", Code: "WIC", Name: "W", EDType: "04"}, site, []string{"ed_type"}, []string{"ed_type"}},
		{"type 06", crs.Location{Kind: crs.LocationED, ParentID: "s", Code: "X", Name: "X", EDType: "06"}, site, []string{"ed_type"}, []string{"ed_type"}},
		{"type of a room", crs.Location{Kind: crs.LocationClinicRoom, ParentID: "s", Code: "OPD", Name: "O", EDType: "01"}, site, []string{"ed_type"}, []string{"ed_type"}},
		{"code with a space", crs.Location{Kind: site, Code: "WD 1", Name: "W"}, "", []string{"code"}, []string{"code"}},
		{"code with a slash", crs.Location{Kind: site, Code: "A/B", Name: "W"}, "", []string{"code"}, []string{"code"}},
		{"code too long", crs.Location{Kind: site, Code: "ABCDEFGHIJKLMNOPQRSTU", Name: "W"}, "", []string{"code"}, []string{"code"}},
		{"no code or name", crs.Location{Kind: site}, "", []string{"code", "name"}, []string{"code", "name"}},
		{"unknown kind", crs.Location{Kind: "castle", Code: "C", Name: "C", ParentID: "s"}, site, []string{"kind"}, []string{"kind"}},
	}
	fields := func(err error) []string {
		var out []string
		for f := range crs.FieldErrors(err) {
			out = append(out, f)
		}
		sort.Strings(out)
		return out
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.validate, fields(tc.l.Validate())); diff != "" {
				t.Errorf("Validate fields (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.validNew, fields(tc.l.ValidateNew(tc.parentKind))); diff != "" {
				t.Errorf("ValidateNew fields (-want +got):\n%s", diff)
			}
		})
	}
}
