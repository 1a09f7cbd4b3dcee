package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
)

// TestRecordPlannedAdmission records a planned admission by hand from the
// patient's record: bad input beside its field, nothing recorded until
// it is right, then the pre-admission read back through the service.
func TestRecordPlannedAdmission(t *testing.T) {
	e := newEnv(t)
	st := e.setUp(e.a)
	other := e.setUp(e.b)
	ctx := context.Background()
	ip := store.NewInpatientService(e.db)
	p := e.register(e.a, "Planner", "Priya", crs.NewDate(1966, 7, 8), "9995000040", "LS6 2AB")
	c := e.login(e.a, crs.RoleClerk)
	page := "/patients/" + p.ID + "/preadmissions/new"
	planned := func() []*crs.Preadmission {
		t.Helper()
		ps, err := ip.FindPreadmissions(ctx, e.a.Actor(crs.RoleClerk), p.ID)
		if err != nil {
			t.Fatal(err)
		}
		return ps
	}

	wantBody(t, "record page", c.get("/patients/"+p.ID), `href="`+page+`"`, "Record a planned admission")
	r := c.get(page)
	wantStatus(t, "form", r, http.StatusOK)
	wantBody(t, "form", r, dayBox("expected_on", ""), `value="`+st.ward.ID+`"`, "WD10 Nightingale Ward",
		`<legend class="fieldset__legend">Patient class</legend>`, `id="patient_class-2"`, `label class="label" for="method"`, "Elective Admission: Booked")

	t.Run("bad input is shown beside each field", func(t *testing.T) {
		r := c.post(page, url.Values{"expected_on": {"31/02/2026"}, "expected_time": {"25:00"}, "method": {"21"}, "treatment_function": {"999"}})
		wantField(t, "impossible date", r, "expected_on", "Expected date must be a real date")
		wantField(t, "bad time", r, "expected_time", "Expected time must be a real time on the 24-hour clock")
		wantField(t, "no consultant", r, "consultant", "Enter the consultant")
		wantField(t, "emergency method", r, "method", "A planned admission is elective")
		wantField(t, "bad treatment function", r, "treatment_function", "not a current TREATMENT FUNCTION CODE")
		wantBody(t, "no class", r, `id="patient_class-error"`, `href="#patient_class-1"`, "Choose an ordinary admission or a day case", `value="25:00"`)
		r = c.post(page, url.Values{"expected_on": {"2026-03-01"}, "ward": {other.ward.ID}, "consultant": {"C1234567"}, "method": {"11"}, "patient_class": {"1"}})
		wantField(t, "date in the past", r, "expected_on", "Expected date must be today or in the future")
		wantField(t, "another trust's ward", r, "ward", "Choose a ward of this trust")
		wantField(t, "no date", c.post(page, url.Values{"consultant": {"C1234567"}, "method": {"11"}, "patient_class": {"1"}}), "expected_on", "Enter the date")
		wantField(t, "bad consultant", c.post(page, url.Values{"expected_on": {"2026-03-16"}, "consultant": {"not a code"}, "method": {"11"}, "patient_class": {"1"}}),
			"consultant", "is not valid")
		if ps := planned(); len(ps) != 0 {
			t.Errorf("refused forms recorded %d planned admissions", len(ps))
		}
	})

	t.Run("recorded and read back", func(t *testing.T) {
		r := c.post(page, url.Values{"expected_on": {"2026-03-16"}, "expected_time": {"07:30"}, "ward": {st.ward.ID}, "consultant": {"c1234567"},
			"method": {"12"}, "patient_class": {"2"}, "treatment_function": {"100"}})
		wantStatus(t, "record", r, http.StatusSeeOther)
		id := idFrom(t, r.loc, "/preadmissions/")
		got, err := ip.FindPreadmission(ctx, e.a.Actor(crs.RoleClerk), id)
		if err != nil {
			t.Fatal(err)
		}
		wantAt := time.Date(2026, 3, 16, 7, 30, 0, 0, crs.London)
		if got.PatientID != p.ID || !got.ExpectedOn.Equal(crs.NewDate(2026, 3, 16).Time) || !got.ExpectedAt.Equal(wantAt) || got.WardID != st.ward.ID ||
			got.ConsultantCode != "C1234567" || got.AdmissionMethod != "12" || got.PatientClass != "2" || got.TreatmentFunction != "100" ||
			got.Status != crs.PreadmissionPending || got.VisitNumber == "" {
			t.Errorf("planned admission read back: %+v", got)
		}
		wantBody(t, "pre-admission page", c.get(r.loc), got.VisitNumber, "16-Mar-2026 07:30", "WD10 Nightingale Ward")
		wantBody(t, "record page", c.get("/patients/"+p.ID), "Planned admissions", got.VisitNumber)
		wantBody(t, "history", c.get("/patients/"+p.ID+"/history"), "Planned admission")
	})

	t.Run("roles and trusts", func(t *testing.T) {
		n := len(planned())
		// a fresh form each time: post adds the client's CSRF token to it
		form := func() url.Values {
			return url.Values{"expected_on": {"2026-03-23"}, "consultant": {"C1234567"}, "method": {"11"}, "patient_class": {"1"}}
		}
		an := e.login(e.a, crs.RoleAnalyst)
		if body := an.get("/patients/" + p.ID).body; strings.Contains(body, page) {
			t.Errorf("the analyst's view of the record links to the planned admission form")
		}
		wantStatus(t, "analyst form", an.get(page), http.StatusForbidden)
		wantStatus(t, "analyst records", an.post(page, form()), http.StatusForbidden)
		b := e.login(e.b, crs.RoleClerk)
		wantStatus(t, "other trust's form", b.get(page), http.StatusNotFound)
		wantStatus(t, "other trust records", b.post(page, form()), http.StatusNotFound)
		if got := len(planned()); got != n {
			t.Errorf("refused requests recorded planned admissions: %d, want %d", got, n)
		}
	})
}
