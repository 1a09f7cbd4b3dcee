package web

import (
	"net/url"
	"testing"

	"github.com/opencrs/crs"
)

// TestEDBoardFacts checks the A&E board shows each patient's date of
// birth and age and the clinician assigned, and that the attendance's
// forms show the triage category and clinician recorded now.
func TestEDBoardFacts(t *testing.T) {
	e := newEnv(t)
	c := e.login(e.a, crs.RoleNurse)
	e.a.AssignToED(t, e.db, e.a.Actor(crs.RoleNurse))
	p := e.register(e.a, "Board", "Bella", crs.NewDate(1990, 2, 3), "", "")
	c.get("/patients/" + p.ID + "/ed/new")
	r := c.post("/patients/"+p.ID+"/ed/new", url.Values{"arrival_mode": {"1048031000000100"}, "attendance_category": {"1"}, "complaint": {"Fall"}})
	wantStatus(t, "arrival", r, 303)
	id := idFrom(t, r.loc, "/ed/")
	wantBody(t, "board before anyone sees her", c.get("/ed"), "born <span class=\"nowrap\">03-Feb-1990</span> (36y)", "Not yet seen")
	wantStatus(t, "triage", c.post("/ed/"+id+"/triage", url.Values{"triage": {"2"}}), 303)
	wantStatus(t, "seen", c.post("/ed/"+id+"/seen", url.Values{"clinician": {"Dr Amara Okafor"}}), 303)
	wantBody(t, "board", c.get("/ed"), "Dr Amara Okafor")
	wantBody(t, "attendance forms", c.get("/ed/"+id), `id="triage-2" name="triage" type="radio" value="2" checked`, `name="clinician" type="text" value="Dr Amara Okafor"`)
}

// TestArriveWhileAdmitted checks that an inpatient cannot be registered
// in A&E without the staff being told why and what to do.
func TestArriveWhileAdmitted(t *testing.T) {
	e := newEnv(t)
	st := e.setUp(e.a)
	l := e.listPatient(t, "Inward", "")
	e.admitted(t, st, l)
	c := e.login(e.a, crs.RoleNurse)
	c.get("/patients/" + l.patient.ID + "/ed/new")
	r := c.post("/patients/"+l.patient.ID+"/ed/new", url.Values{"arrival_mode": {"1048031000000100"}, "attendance_category": {"1"}, "complaint": {"Fall"}})
	wantStatus(t, "arrival of an inpatient", r, 422)
	wantBody(t, "arrival of an inpatient", r, "The patient is an inpatient now, admitted", "record their leave or discharge on the spell first")
}
