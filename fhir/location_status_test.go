package fhir_test

import (
	"context"
	"slices"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestBedOperationalStatus reads a bed of each status on the bed board as
// a Location: its operationalStatus is HL7's bed status (v2 table 0116)
// with the table's own display, as a validator checking the coding
// against the table wants, not the PAS's word for the status; an open
// bed a patient is in is Occupied.
func TestBedOperationalStatus(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		ctx, orgs, admin := context.Background(), store.NewOrganisationService(db), f.trustA.Actor(crs.RoleAdmin)
		loc := func(l *crs.Location) *crs.Location {
			t.Helper()
			if err := orgs.CreateLocation(ctx, admin, l); err != nil {
				t.Fatal(err)
			}
			return l
		}
		site := loc(&crs.Location{Kind: crs.LocationSite, Code: "SB", Name: "Site B"})
		ward := loc(&crs.Location{ParentID: site.ID, Kind: crs.LocationWard, Code: "WB1", Name: "Ward B1"})
		for _, tc := range []struct {
			status        crs.BedStatus
			code, display string
		}{
			{crs.BedAvailable, "U", "Unoccupied"},
			{crs.BedClosed, "C", "Closed"},
			{crs.BedOutOfUse, "H", "Housekeeping"},
		} {
			t.Run(string(tc.status), func(t *testing.T) {
				bed := loc(&crs.Location{ParentID: ward.ID, Kind: crs.LocationBed, Code: "B-" + string(tc.status), Name: "Bed", Status: tc.status})
				r := f.a.do("GET", "/fhir/Location/"+bed.ID, "")
				if r.status != 200 {
					t.Fatalf("read bed: %d %s", r.status, r.body)
				}
				got, _ := r.json(t)["operationalStatus"].(map[string]any)
				want := map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v2-0116", "code": tc.code, "display": tc.display}
				if len(got) != len(want) || got["system"] != want["system"] || got["code"] != want["code"] || got["display"] != want["display"] {
					t.Errorf("operationalStatus = %v, want %v", got, want)
				}
			})
		}
		// An open bed a patient is in is Occupied, and a search for free
		// beds (operational-status U) does not find it.
		bed := loc(&crs.Location{ParentID: ward.ID, Kind: crs.LocationBed, Code: "B-taken", Name: "Bed taken", Status: crs.BedAvailable})
		pid := create(t, f.a, "Patient", `{"resourceType":"Patient","name":[{"family":"Inbed","given":["Ian"]}],"birthDate":"1960-01-01","gender":"male"}`)
		if _, err := store.NewInpatientService(db).Admit(ctx, f.trustA.Actor(crs.RoleClerk), &crs.Admission{PatientID: pid, Method: "21", Source: "19",
			WardID: ward.ID, BedID: bed.ID, ConsultantCode: "C1234567", TreatmentFunction: "300"}); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.a.do("GET", "/fhir/Location/"+bed.ID, "").json(t)["operationalStatus"].(map[string]any); got["code"] != "O" || got["display"] != "Occupied" {
			t.Errorf("the bed a patient is in: operationalStatus %v, want O Occupied", got)
		}
		free := f.a.searchIDs(t, "/fhir/Location?operational-status=U")
		taken := f.a.searchIDs(t, "/fhir/Location?operational-status=O")
		if slices.Contains(free, bed.ID) || !slices.Equal(taken, []string{bed.ID}) || len(free) != 1 {
			t.Errorf("free beds %v, occupied %v; want the available bed free and %s occupied", free, taken, bed.ID)
		}
	})
}
