package web

import (
	"context"
	"net/http"
	"testing"

	"github.com/opencrs/crs"
)

// TestHistoryOfLoadedPatient checks a patient registered by the PMI load
// shows the load as their registration in their history, and the load's
// audit record in their access audit.
func TestHistoryOfLoadedPatient(t *testing.T) {
	e := newEnv(t)
	ps := []*crs.Patient{
		{GivenName: "Lena", FamilyName: "Loaded", Gender: "2", BirthDate: crs.NewDate(1961, 2, 3), Address: crs.Address{Postcode: "E1 6AN"}},
		{GivenName: "Luke", FamilyName: "Loaded", Gender: "1", BirthDate: crs.NewDate(1962, 4, 5), Address: crs.Address{Postcode: "E1 6AN"}},
	}
	if _, err := e.db.LoadPatients(context.Background(), e.a.System, ps, crs.LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	e.db.Flush(context.Background())
	id := "/patients/" + ps[1].ID
	r := e.login(e.a, crs.RoleNurse).get(id + "/history")
	wantStatus(t, "history", r, http.StatusOK)
	wantBody(t, "history", r, "Registered by the PMI load with 1 other patient (hospital numbers "+ps[0].MRN+" to "+ps[1].MRN+")")
	r = e.login(e.a, crs.RolePrivacyOfficer).get(id + "/audit")
	wantStatus(t, "audit", r, http.StatusOK)
	wantBody(t, "audit", r, "PMI load: 2 patients registered")
}
