package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
)

// TestPlannedAdmissions shows a patient's pending planned admissions on
// the record, cancels one (the reason beside its field when missing) and
// admits the other through the admission form, whose spell keeps the
// visit number.
func TestPlannedAdmissions(t *testing.T) {
	e := newEnv(t)
	st := e.setUp(e.a)
	c := e.login(e.a, crs.RoleClerk)
	ctx := context.Background()
	ip := store.NewInpatientService(e.db)
	p := e.register(e.a, "Planner", "Pam", crs.NewDate(1961, 2, 3), "", "LS6 2AB")
	first := &crs.Preadmission{PatientID: p.ID, ExpectedOn: crs.NewDate(2026, 3, 9), WardID: st.ward.ID, ConsultantCode: "C1234567", TreatmentFunction: "100"}
	second := &crs.Preadmission{PatientID: p.ID, ExpectedOn: crs.NewDate(2026, 3, 16), WardCode: "WDX", ConsultantCode: "C7654321"}
	for _, pa := range []*crs.Preadmission{first, second} {
		if err := ip.RecordPreadmission(ctx, e.a.Actor(crs.RoleClerk), pa); err != nil {
			t.Fatalf("record: %v", err)
		}
	}

	r := c.get("/patients/" + p.ID)
	wantBody(t, "record page", r, "Planned admissions", "09-Mar-2026", "WD10 Nightingale Ward", "C1234567", first.VisitNumber,
		"16-Mar-2026", "WDX", "unknown ward", second.VisitNumber, "/patients/"+p.ID+"/admit?preadmission="+first.ID, "/preadmissions/"+second.ID+"#cancel")

	r = c.post("/preadmissions/"+second.ID+"/cancel", url.Values{"reason": {""}})
	wantStatus(t, "cancel without a reason", r, http.StatusUnprocessableEntity)
	wantBody(t, "cancel without a reason", r, `id="reason-error"`, "Say why", second.VisitNumber)
	r = c.post("/preadmissions/"+second.ID+"/cancel", url.Values{"reason": {"Patient unwell"}})
	wantStatus(t, "cancel", r, http.StatusSeeOther)
	wantBody(t, "cancelled planned admission", c.get("/preadmissions/"+second.ID), "Cancelled", "Patient unwell")
	if body := c.get("/patients/" + p.ID).body; strings.Contains(body, second.VisitNumber) {
		t.Errorf("the record still lists the cancelled planned admission %s", second.VisitNumber)
	}

	r = c.get("/patients/" + p.ID + "/admit?preadmission=" + first.ID)
	wantBody(t, "admit form", r, "Admit a planned admission", first.VisitNumber, `name="preadmission" value="`+first.ID+`"`,
		`value="`+st.ward.ID+`" selected`, `value="C1234567"`)
	r = c.post("/patients/"+p.ID+"/admit", url.Values{"preadmission": {first.ID}, "method": {"13"}, "source": {"19"}, "consultant": {"C1234567"}})
	wantStatus(t, "admit without a ward", r, http.StatusUnprocessableEntity)
	wantBody(t, "admit without a ward", r, `id="place-error"`, first.VisitNumber)
	r = c.post("/patients/"+p.ID+"/admit", url.Values{"preadmission": {first.ID}, "method": {"13"}, "source": {"19"},
		"place": {st.ward.ID + "/" + st.beds[0].ID}, "consultant": {"C1234567"}, "treatment_function": {"100"}})
	wantStatus(t, "admit", r, http.StatusSeeOther)
	spell := idFrom(t, r.loc, "/spells/")
	wantBody(t, "spell page", c.get("/spells/"+spell), "Visit number", first.VisitNumber)
	wantBody(t, "admitted planned admission", c.get("/preadmissions/"+first.ID), "Admitted", "/spells/"+spell)
	if body := c.get("/patients/" + p.ID).body; strings.Contains(body, "Planned admissions") {
		t.Errorf("the record lists planned admissions after the last was admitted")
	}

	other := e.login(e.b, crs.RoleClerk)
	wantStatus(t, "other trust's planned admission", other.get("/preadmissions/"+first.ID), http.StatusNotFound)
	wantStatus(t, "other trust cancels", other.post("/preadmissions/"+first.ID+"/cancel", url.Values{"reason": {"x"}}), http.StatusNotFound)
	an := e.login(e.a, crs.RoleAnalyst)
	an.get("/patients/" + p.ID)
	wantStatus(t, "analyst cancels", an.post("/preadmissions/"+first.ID+"/cancel", url.Values{"reason": {"x"}}), http.StatusForbidden)
}
