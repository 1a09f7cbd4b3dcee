package crs

import (
	"reflect"
	"testing"
)

func TestResultReplace(t *testing.T) {
	prev := &Result{ID: "r1", Version: 1, Status: "F", Observations: []Observation{
		{Code: "NA", Value: "128", Status: "F"}, {Code: "K", Value: "4.1", Status: "F"}, {Code: "UREA", Value: "6.0", Status: "F"}}}
	values := func(r *Result) []string {
		var out []string
		for _, o := range r.Observations {
			out = append(out, o.Code+"="+o.Value)
		}
		return out
	}
	tests := []struct {
		name        string
		next        *Result
		wantValues  []string
		wantVersion int
	}{
		{"a correction of one value keeps the others in their places",
			&Result{Status: "C", Observations: []Observation{{Code: "K", Value: "4.6", Status: "C"}}},
			[]string{"NA=128", "K=4.6", "UREA=6.0"}, 2},
		{"a correction flagged only on the observation",
			&Result{Status: "F", Observations: []Observation{{Code: "NA", Value: "138", Status: "C"}, {Code: "CREA", Value: "80", Status: "F"}}},
			[]string{"NA=138", "K=4.1", "UREA=6.0", "CREA=80"}, 2},
		{"a final after a preliminary replaces it whole",
			&Result{Status: "F", Observations: []Observation{{Code: "NA", Value: "130", Status: "F"}}},
			[]string{"NA=130"}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.next.Replace(prev)
			if got := values(tc.next); !reflect.DeepEqual(got, tc.wantValues) || tc.next.Version != tc.wantVersion || tc.next.Replaces != "r1" {
				t.Errorf("got %v version %d replaces %q, want %v version %d replaces r1", got, tc.next.Version, tc.next.Replaces, tc.wantValues, tc.wantVersion)
			}
		})
	}
}

func TestResultOrderKeyAndFlags(t *testing.T) {
	for _, tc := range []struct {
		r    Result
		want string
	}{
		{Result{FillerOrder: "F1", PlacerOrder: "P1", ServiceCode: "FBC"}, "F1|FBC"},
		{Result{PlacerOrder: "P1", ServiceCode: "FBC"}, "P1|FBC"},
		{Result{ServiceCode: "FBC"}, ""},
	} {
		if got := tc.r.OrderKey(); got != tc.want {
			t.Errorf("OrderKey(%+v) = %q, want %q", tc.r, got, tc.want)
		}
	}
	for flags, want := range map[string]bool{"": false, "N": false, "H": true, "LL": true, "N~A": true, " n ": false} {
		if got := (Observation{Flags: flags}).Abnormal(); got != want {
			t.Errorf("Abnormal(%q) = %v, want %v", flags, got, want)
		}
	}
	if ResultStatusName("c") != "Corrected" || ResultStatusName("Q") != "Q" {
		t.Errorf("status names: %q %q", ResultStatusName("c"), ResultStatusName("Q"))
	}
}
