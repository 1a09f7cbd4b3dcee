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

// bedTaker is the inpatient service with another user who, each time an
// admission or transfer is submitted, takes a bed first: the race a ward
// clerk loses when two choose the same free bed.
type bedTaker struct {
	crs.InpatientService
	take func() // run before the submitted admission or transfer
}

func (b *bedTaker) Admit(ctx context.Context, a crs.Actor, ad *crs.Admission) (*crs.Spell, error) {
	b.take()
	return b.InpatientService.Admit(ctx, a, ad)
}

func (b *bedTaker) Transfer(ctx context.Context, a crs.Actor, spellID string, t crs.Transfer) error {
	b.take()
	return b.InpatientService.Transfer(ctx, a, spellID, t)
}

// An admission or transfer refused because another user took the bed
// between the form being shown and submitted shows the form again with
// the beds free now: never the bed just taken, which the user would
// otherwise choose again.
func TestBedTakenFormOffersBedsFreeNow(t *testing.T) {
	e := newEnv(t)
	st := e.setUp(e.a)
	ip := store.NewInpatientService(e.db)
	ctx, clerk := context.Background(), e.a.Actor(crs.RoleClerk)
	admit := func(p *crs.Patient, bed *crs.Location) (*crs.Spell, error) {
		return ip.Admit(ctx, clerk, &crs.Admission{PatientID: p.ID, Method: "21", Source: "19", WardID: st.ward.ID, BedID: bed.ID,
			ConsultantCode: "C1234567", TreatmentFunction: "100"})
	}
	pat := e.register(e.a, "Slow", "Sam", crs.NewDate(1960, 1, 2), "9990000182", "LS1 4AP")
	other := e.register(e.a, "Quick", "Quin", crs.NewDate(1961, 2, 3), "9990000190", "LS1 4AP")
	third := e.register(e.a, "Swift", "Sue", crs.NewDate(1962, 3, 4), "9990000204", "LS1 4AP")
	place := func(bed *crs.Location) string { return `value="` + st.ward.ID + "/" + bed.ID + `"` }

	var taking *crs.Patient
	var takingBed *crs.Location
	e.server.Inpatients = &bedTaker{InpatientService: ip, take: func() {
		if _, err := admit(taking, takingBed); err != nil {
			t.Errorf("the other user's admission: %v", err)
		}
	}}
	c := e.login(e.a, crs.RoleClerk)

	t.Run("admission", func(t *testing.T) {
		form := "/patients/" + pat.ID + "/admit"
		wantBody(t, "admission form", c.get(form), place(st.beds[0]), place(st.beds[1]), place(st.beds[2]))
		taking, takingBed = other, st.beds[0]
		r := c.post(form, url.Values{"method": {"21"}, "source": {"19"}, "place": {st.ward.ID + "/" + st.beds[0].ID}, "consultant": {"C1234567"},
			"treatment_function": {"100"}})
		wantStatus(t, "admission to a bed taken meanwhile", r, http.StatusUnprocessableEntity)
		wantBody(t, "admission to a bed taken meanwhile", r, `id="place-error"`, "B01")
		if strings.Contains(r.body, place(st.beds[0])) {
			t.Errorf("the admission form shown again offers bed B01, which the other user has just taken")
		}
		wantBody(t, "admission form shown again", r, place(st.beds[1]), place(st.beds[2]))
	})

	t.Run("transfer", func(t *testing.T) {
		sp, err := admit(pat, st.beds[1])
		if err != nil {
			t.Fatal(err)
		}
		page := "/spells/" + sp.ID
		wantBody(t, "spell page", c.get(page), place(st.beds[2]))
		taking, takingBed = third, st.beds[2]
		r := c.post(page+"/transfer", url.Values{"place": {st.ward.ID + "/" + st.beds[2].ID}})
		wantStatus(t, "transfer to a bed taken meanwhile", r, http.StatusUnprocessableEntity)
		if strings.Contains(r.body, place(st.beds[2])) {
			t.Errorf("the spell page shown again offers bed B03, which the other user has just taken")
		}
	})
}
