package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestUnmergeNHSNumberHeld: an unmerge the patient index refuses because
// another live patient was given the merged record's NHS number while it
// was merged shows the refusal on the page, naming the number, that
// patient's hospital number and what to do, and the record stays merged.
func TestUnmergeNHSNumberHeld(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		e := newEnvOn(t, db, clock)
		ctx := context.Background()
		clerk := e.a.Actor(crs.RoleClerk)
		register := func(family, number string) *crs.Patient {
			p := &crs.Patient{FamilyName: family, GivenName: "Una", BirthDate: crs.NewDate(1960, 1, 1), NHSNumber: number,
				NHSNumberStatus: nhs.NumberTraceRequired, Gender: "2", Address: crs.Address{Lines: []string{"1 High Street"}}}
			if err := e.ps.RegisterPatient(ctx, clerk, p); err != nil {
				t.Fatal(err)
			}
			return p
		}
		major, minor := register("Kept", "9990000158"), register("Merged", "9990000131")
		c := e.login(e.a, crs.RoleAnalyst)
		r := c.post("/patients/"+minor.ID+"/merge", url.Values{"other": {major.ID}, "keep": {major.ID}, "reason": {"registered twice"}})
		wantStatus(t, "merge", r, http.StatusSeeOther)
		holder := register("Newcomer", "9990000131")

		r = c.post("/patients/"+minor.ID+"/unmerge", url.Values{"reason": {"different people after all"}})
		wantStatus(t, "unmerge", r, http.StatusConflict)
		wantBody(t, "unmerge", r, "This cannot be done now", "NHS number 999 000 0131 already belongs to the patient with hospital number "+holder.MRN,
			"correct the NHS number of hospital number "+holder.MRN+" first", "hospital number "+minor.MRN+" stays merged into hospital number "+major.MRN)
		wantBody(t, "still merged", c.get("/patients/"+minor.ID), "Merged into", "Unmerge this record")
	})
}

// TestDeleteRegisteredInError checks that the records team deletes a
// record registered in error from its page, and that a record with
// activity is refused, saying what it has, and stays.
func TestDeleteRegisteredInError(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		e := newEnvOn(t, db, clock)
		ctx := context.Background()
		clerk := e.a.Actor(crs.RoleClerk)
		register := func(family string) *crs.Patient {
			p := &crs.Patient{FamilyName: family, GivenName: "Una", BirthDate: crs.NewDate(1960, 1, 1), Gender: "2", Address: crs.Address{Lines: []string{"1 High Street"}}}
			if err := e.ps.RegisterPatient(ctx, clerk, p); err != nil {
				t.Fatal(err)
			}
			return p
		}
		wrong, kept := register("Wrongly"), register("Rightly")
		c := e.login(e.a, crs.RoleAnalyst)
		wantBody(t, "the record page", c.get("/patients/"+wrong.ID), "Registered in error?", "Delete this registration")
		wantStatus(t, "a clerk's delete", e.login(e.a, crs.RoleClerk).post("/patients/"+wrong.ID+"/delete", url.Values{"reason": {"x"}}), http.StatusForbidden)
		r := c.post("/patients/"+wrong.ID+"/delete", url.Values{"reason": {"  "}})
		wantStatus(t, "a delete without a reason", r, http.StatusUnprocessableEntity)
		wantBody(t, "a delete without a reason", r, `id="reason-error"`, "Say why the record is deleted")
		r = c.post("/patients/"+wrong.ID+"/delete", url.Values{"reason": {"registered twice at the desk"}})
		wantStatus(t, "delete", r, http.StatusSeeOther)
		wantBody(t, "after the delete", c.get("/patients"), "Hospital number "+wrong.MRN+" deleted: registered in error (registered twice at the desk)")
		wantStatus(t, "the deleted record", c.get("/patients/"+wrong.ID), http.StatusNotFound)

		if err := store.NewReferralService(db).RecordReferral(ctx, clerk, &crs.Referral{PatientID: kept.ID, Source: "03", ReferrerCode: "G1234567",
			ReceivedOn: crs.LocalDate(clock.Now()), Priority: crs.PriorityRoutine, Specialty: "100", TreatmentFunction: "100", ConsultantCode: "C1234567", ConsultantLed: true}); err != nil {
			t.Fatal(err)
		}
		r = c.post("/patients/"+kept.ID+"/delete", url.Values{"reason": {"x"}})
		wantStatus(t, "delete of a record with a referral", r, http.StatusConflict)
		wantBody(t, "delete of a record with a referral", r, "Hospital number "+kept.MRN+" has a referral, so it is not deleted")
		wantStatus(t, "the record kept", c.get("/patients/"+kept.ID), http.StatusOK)
	})
}

// TestBannerRecordInactive checks that the banner says when a record is
// marked not in active use (as another system may mark it over the API).
func TestBannerRecordInactive(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		e := newEnvOn(t, db, clock)
		ctx := context.Background()
		p := &crs.Patient{FamilyName: "Idle", GivenName: "Ida", BirthDate: crs.NewDate(1960, 1, 1), Gender: "2", Address: crs.Address{Lines: []string{"1 High Street"}}}
		if err := e.ps.RegisterPatient(ctx, e.a.Actor(crs.RoleClerk), p); err != nil {
			t.Fatal(err)
		}
		c := e.login(e.a, crs.RoleClerk)
		if r := c.get("/patients/" + p.ID); strings.Contains(r.body, "Record not in active use") {
			t.Errorf("a record in use is shown as not in use")
		}
		p.Inactive = true
		if err := e.ps.UpdatePatient(ctx, e.a.Actor(crs.RoleInterface), p); err != nil {
			t.Fatal(err)
		}
		wantBody(t, "an inactive record", c.get("/patients/"+p.ID), "Record not in active use")
	})
}
