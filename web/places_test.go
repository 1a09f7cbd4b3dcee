package web

import (
	"html/template"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opencrs/crs"
)

// TestPlaceField checks the ward and bed select offers each ward's free,
// available beds and the ward without a bed, marks the chosen one and
// escapes what it writes.
func TestPlaceField(t *testing.T) {
	wards := []*crs.BedBoardWard{
		{WardID: "w1", WardCode: "WD10", WardName: "Nightingale", Occupied: 1, Beds: []*crs.BedBoardBed{
			{BedID: "b1", BedCode: "B01", Status: crs.BedAvailable},
			{BedID: "b2", BedCode: "B02", Status: crs.BedAvailable, SpellID: "s1"},
			{BedID: "b3", BedCode: "B03", Status: crs.BedClosed},
		}},
		{WardID: "w2", WardCode: "AMU", WardName: "Acute Medical Unit", Beds: []*crs.BedBoardBed{{BedID: "b4", BedCode: "A1", Status: crs.BedAvailable}}},
		{WardID: `w"3`, WardCode: "M&S", WardName: "Medical <Short> Stay", Beds: []*crs.BedBoardBed{{BedID: "b5", BedCode: "<1>", Status: crs.BedAvailable}}},
	}
	for _, tc := range []struct {
		name, value string
		selected    string
	}{
		{"nothing chosen", "", ""},
		{"a bed chosen", "w1/b1", "w1/b1"},
		{"a ward chosen", "w2", "w2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opt := func(v, label string) string {
				sel := ""
				if v == tc.selected {
					sel = " selected"
				}
				return `<option value="` + v + `"` + sel + `>` + label + "</option>\n"
			}
			want := placeField{Name: "place", Label: "Move to", Value: tc.value, Error: "x", Wards: []placeGroup{
				{Label: "WD10 Nightingale (1 of 3 beds occupied)", Options: template.HTML(opt("w1/b1", "WD10 bed B01 (free)") + opt("w1", "WD10, no bed yet"))},
				{Label: "AMU Acute Medical Unit (0 of 1 bed occupied)", Options: template.HTML(opt("w2/b4", "AMU bed A1 (free)") + opt("w2", "AMU, no bed yet"))},
				{Label: "M&S Medical <Short> Stay (0 of 1 bed occupied)", Options: template.HTML(opt("w&#34;3/b5", "M&amp;S bed &lt;1&gt; (free)") + opt("w&#34;3", "M&amp;S, no bed yet"))},
			}}
			if diff := cmp.Diff(want, newPlaceField("place", "Move to", tc.value, "x", wards)); diff != "" {
				t.Errorf("place field (-want +got):\n%s", diff)
			}
		})
	}
}
