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

// TestCreateClinic creates a clinic from the form on the clinic list:
// bad input beside its field and nothing created until it is right, then
// the clinic read back through the service, its slots made by a clerk.
func TestCreateClinic(t *testing.T) {
	e := newEnv(t)
	st := e.setUp(e.a)
	other := e.setUp(e.b)
	ctx := context.Background()
	op := store.NewOutpatientService(e.db)
	room := st.clinic.LocationID
	clinics := func() []*crs.Clinic {
		t.Helper()
		cs, err := op.FindClinics(ctx, e.a.Actor(crs.RoleAdmin))
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}
	before := len(clinics())
	admin := e.login(e.a, crs.RoleAdmin)
	r := admin.get("/clinics")
	wantStatus(t, "clinic list for the administrator", r, http.StatusOK)
	wantBody(t, "clinic list for the administrator", r, `href="/clinics" aria-current="page"`, "Create a clinic", `value="`+room+`"`, "OPD1 Outpatients 1",
		`<legend class="fieldset__legend">Weekly session</legend>`, `id="start" name="start" type="text" maxlength="5"`, "GS-MON")

	valid := func() url.Values {
		return url.Values{"code": {"ortho-tue"}, "name": {"Orthopaedics Tuesday"}, "treatment_function": {"110"}, "specialty": {"110"},
			"consultant": {"c7654321"}, "consultant_name": {"Ms Bone"}, "location": {room}, "weekday": {"2"}, "start": {"09:00"}, "end": {"12:00"},
			"slot_minutes": {"20"}, "slot_type": {"new"}}
	}
	with := func(kv ...string) url.Values {
		f := valid()
		for i := 0; i < len(kv); i += 2 {
			f.Set(kv[i], kv[i+1])
		}
		return f
	}

	t.Run("bad input is shown beside each field", func(t *testing.T) {
		r := admin.post("/clinics", url.Values{"consultant": {"not a code"}, "start": {"9am"}, "slot_minutes": {"x"}})
		wantField(t, "no code", r, "code", "A clinic needs a code")
		wantField(t, "no name", r, "name", "A clinic needs a name")
		wantField(t, "no treatment function", r, "treatment_function", "is not a current TREATMENT FUNCTION CODE")
		wantField(t, "bad consultant", r, "consultant", "must be 2 to 10 capital letters or digits")
		wantField(t, "no room", r, "location", "clinic room")
		wantField(t, "no day", r, "weekday", "Choose the day")
		wantField(t, "bad start", r, "start", "Start time must be a time")
		wantField(t, "no end", r, "end", "End time must be a time")
		wantField(t, "bad slot length", r, "slot_minutes", "Slot length must be a number")
		wantField(t, "no slot type", r, "slot_type", "Choose the type of slot")
		wantBody(t, "typed input kept", r, `value="NOT A CODE"`, `value="9am"`, "GS-MON")
		wantField(t, "end before start", admin.post("/clinics", with("end", "08:00")), "end", "after the start time")
		wantField(t, "slot too long", admin.post("/clinics", with("slot_minutes", "200")), "slot_minutes", "fit in the session")
		wantField(t, "another trust's room", admin.post("/clinics", with("location", other.clinic.LocationID)), "location", "Choose a clinic room of this trust")
		wantField(t, "a code in use", admin.post("/clinics", with("code", "gs-mon")), "code", "already exists")
		if got := len(clinics()); got != before {
			t.Errorf("refused forms made clinics: %d, want %d", got, before)
		}
	})

	var made *crs.Clinic
	t.Run("created and read back", func(t *testing.T) {
		r := admin.post("/clinics", valid())
		wantStatus(t, "create", r, http.StatusSeeOther)
		id := idFrom(t, r.loc, "/clinics/")
		for _, c := range clinics() {
			if c.ID == id {
				made = c
			}
		}
		want := crs.ClinicSession{Weekday: time.Tuesday, Start: "09:00", End: "12:00", SlotMinutes: 20, SlotType: crs.SlotNew}
		if made == nil || made.Code != "ORTHO-TUE" || made.Name != "Orthopaedics Tuesday" || made.TreatmentFunction != "110" || made.Specialty != "110" ||
			made.ConsultantCode != "C7654321" || made.ConsultantName != "Ms Bone" || made.LocationID != room || !made.Active ||
			len(made.Sessions) != 1 || made.Sessions[0] != want {
			t.Fatalf("clinic read back: %+v", made)
		}
		wantBody(t, "clinic page for the administrator", admin.get(r.loc), "ORTHO-TUE: Orthopaedics Tuesday", "Held Tuesday 09:00–12:00")
	})

	t.Run("a clerk makes its slots", func(t *testing.T) {
		if made == nil {
			t.Skip("no clinic")
		}
		c := e.login(e.a, crs.RoleClerk)
		r := c.get("/clinics/" + made.ID)
		wantBody(t, "clinic page for the clerk", r, "Make slots", `action="/clinics/`+made.ID+`/slots"`)
		from, to := crs.NewDate(2026, 3, 2), crs.NewDate(2026, 3, 15)
		wantStatus(t, "make slots", c.post("/clinics/"+made.ID+"/slots", url.Values{"from": {from.String()}, "to": {to.String()}}), http.StatusSeeOther)
		slots, err := op.FindSlots(ctx, e.a.Actor(crs.RoleClerk), crs.SlotQuery{ClinicID: made.ID, From: from.Time, To: to.AddDate(0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		tuesdays := 0
		for d := from.Time; !d.After(to.Time); d = d.AddDate(0, 0, 1) {
			if d.Weekday() == time.Tuesday {
				tuesdays++
			}
		}
		if want := tuesdays * (180 / 20); len(slots) != want {
			t.Errorf("%d slots made, want %d (%d Tuesdays of 9)", len(slots), want, tuesdays)
		}
		for _, sl := range slots {
			if sl.Start.In(crs.London).Weekday() != time.Tuesday || sl.Type != crs.SlotNew {
				t.Errorf("slot %s %s, want new slots on Tuesdays", sl.Start, sl.Type)
			}
		}
	})

	t.Run("roles and trusts", func(t *testing.T) {
		n := len(clinics())
		c := e.login(e.a, crs.RoleClerk)
		if body := c.get("/clinics").body; strings.Contains(body, `action="/clinics"`) {
			t.Errorf("the clerk is offered the create a clinic form")
		}
		wantStatus(t, "clerk creates", c.post("/clinics", with("code", "CLERK1")), http.StatusForbidden)
		an := e.login(e.a, crs.RoleAnalyst)
		wantStatus(t, "analyst list", an.get("/clinics"), http.StatusForbidden)
		wantStatus(t, "analyst creates", an.post("/clinics", with("code", "AN1")), http.StatusForbidden)
		if got := len(clinics()); got != n {
			t.Errorf("refused requests made clinics: %d, want %d", got, n)
		}
		if made != nil {
			b := e.login(e.b, crs.RoleAdmin)
			wantStatus(t, "other trust's clinic", b.get("/clinics/"+made.ID), http.StatusNotFound)
			if body := b.get("/clinics").body; strings.Contains(body, made.Code) {
				t.Errorf("trust B's clinic list shows trust A's clinic %s", made.Code)
			}
		}
	})
}
