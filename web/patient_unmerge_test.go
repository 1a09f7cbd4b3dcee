package web

import (
	"context"
	"net/http"
	"net/url"
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
