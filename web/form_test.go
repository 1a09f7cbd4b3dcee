package web

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestSubmit drives forms of several pages through real HTTP against a
// real database on each engine, as the one form answer (submit) gives
// it: valid input is saved and sends the user on (303) to the right
// page with its message; input the page refuses, or the service refuses
// (a clinic code taken, a patient already listed or already dead), comes
// back with 422, the message beside its field and in the error summary
// at the top, linked to the field's input.
func TestSubmit(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		e := newEnvOn(t, db, clock)
		room := e.setUp(e.a).clinic.LocationID
		ctx, clerk := context.Background(), e.a.Actor(crs.RoleClerk)
		listed := e.listPatient(t, "Listed", "9990000042")
		fresh := &crs.Referral{PatientID: listed.patient.ID, Source: "03", ReceivedOn: crs.NewDate(2026, 2, 16), Priority: crs.PriorityRoutine,
			TreatmentFunction: "100", ConsultantCode: "C1234567", ConsultantLed: true}
		if err := store.NewReferralService(db).RecordReferral(ctx, clerk, fresh); err != nil {
			t.Fatalf("record referral: %v", err)
		}
		dying := e.register(e.a, "Late", "Lee", crs.NewDate(1930, 1, 2), "9990000050", "LS2 9JT")
		clerkC, adminC := e.login(e.a, crs.RoleClerk), e.login(e.a, crs.RoleAdmin)

		listing := func(kv ...string) url.Values {
			v := url.Values{"decided_on": {"2026-03-02"}, "intended_management": {"1"}, "procedure": {"T202"}, "priority": {"P2"}, "consultant": {"C1234567"}}
			for i := 0; i < len(kv); i += 2 {
				v.Set(kv[i], kv[i+1])
			}
			return v
		}
		clinic := func(kv ...string) url.Values {
			v := url.Values{"code": {"FORM-WED"}, "name": {"Forms Wednesday"}, "treatment_function": {"100"}, "consultant": {"C1234567"},
				"location": {room}, "weekday": {"3"}, "start": {"09:00"}, "end": {"12:00"}, "slot_minutes": {"15"}, "slot_type": {"new"}}
			for i := 0; i < len(kv); i += 2 {
				v.Set(kv[i], kv[i+1])
			}
			return v
		}
		death := func(day, hhmm string) url.Values {
			return url.Values{"death_date-day": {day}, "death_date-month": {"3"}, "death_date-year": {"2026"}, "death_time": {hhmm}}
		}

		// The rows run in order: a refusal of the service may follow the
		// row that saved what it conflicts with.
		tests := []struct {
			name   string
			c      *client
			path   string
			form   url.Values
			status int
			to     string // 303: where to, "…/" meaning any address under it
			flash  string // 303: the message on the page sent to
			field  string // 422: the field the message stands beside
			anchor string // 422: the input the summary links to ("" for the field)
			msg    string // 422: the message
		}{
			{name: "decision to admit", c: clerkC, path: "/pathways/" + fresh.PathwayID + "/list", form: listing(),
				status: http.StatusSeeOther, to: "/waiting-list/", flash: "Added to the waiting list for T202"},
			{name: "decision to admit with an impossible date", c: clerkC, path: "/pathways/" + fresh.PathwayID + "/list", form: listing("decided_on", "31/02/2026"),
				status: http.StatusUnprocessableEntity, field: "decided_on", msg: "Date of the decision must be a real date"},
			{name: "decision to admit with no priority", c: clerkC, path: "/pathways/" + fresh.PathwayID + "/list", form: listing("priority", ""),
				status: http.StatusUnprocessableEntity, field: "priority", anchor: "priority-P1", msg: `Clinical priority "" is not P1 (P1a, P1b), P2, P3 or P4`},
			{name: "decision to admit for a referral already listed", c: clerkC, path: "/pathways/" + listed.referral.PathwayID + "/list", form: listing(),
				status: http.StatusUnprocessableEntity, field: "procedure", msg: "The patient is already on the waiting list for this referral"},
			{name: "new clinic", c: adminC, path: "/clinics", form: clinic(),
				status: http.StatusSeeOther, to: "/clinics/", flash: "Clinic FORM-WED created"},
			{name: "new clinic ending before it starts", c: adminC, path: "/clinics", form: clinic("code", "FORM-THU", "end", "08:00"),
				status: http.StatusUnprocessableEntity, field: "end", msg: "End time must be after the start time"},
			{name: "new clinic with a code taken", c: adminC, path: "/clinics", form: clinic(),
				status: http.StatusUnprocessableEntity, field: "code", msg: "A clinic with code FORM-WED already exists"},
			{name: "death", c: clerkC, path: "/patients/" + dying.ID + "/death", form: death("1", "14:30"),
				status: http.StatusSeeOther, to: "/patients/" + dying.ID, flash: "Death recorded on 01-Mar-2026 14:30"},
			{name: "death at no time of day", c: clerkC, path: "/patients/" + dying.ID + "/death", form: death("1", "2pm"),
				status: http.StatusUnprocessableEntity, field: "death_time", msg: "Time of death must be a real time on the 24-hour clock, for example 14:05"},
			{name: "death recorded twice", c: clerkC, path: "/patients/" + dying.ID + "/death", form: death("2", "10:00"),
				status: http.StatusUnprocessableEntity, field: "death_date", anchor: "death_date", msg: "The patient's death is already recorded (01-Mar-2026 14:30)"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r := tc.c.post(tc.path, tc.form)
				wantStatus(t, tc.name, r, tc.status)
				if tc.status == http.StatusSeeOther {
					if strings.HasSuffix(tc.to, "/") && (!strings.HasPrefix(r.loc, tc.to) || r.loc == tc.to) || !strings.HasSuffix(tc.to, "/") && r.loc != tc.to {
						t.Errorf("sent to %q, want %q", r.loc, tc.to)
					}
					wantBody(t, "the page sent to", tc.c.get(r.loc), html.EscapeString(tc.flash))
					return
				}
				anchor := tc.anchor
				if anchor == "" {
					anchor = tc.field
				}
				msg := html.EscapeString(tc.msg)
				wantBody(t, tc.name, r, `class="error-summary"`, `<a href="#`+anchor+`">`+msg)
				i := strings.Index(r.body, `id="`+tc.field+`-error"`)
				if i < 0 {
					t.Fatalf("no error beside %s:\n%s", tc.field, excerpt(r.body))
				}
				if beside := r.body[i:min(len(r.body), i+400)]; !strings.Contains(beside, msg) {
					t.Errorf("beside %s: %q, want it to say %q", tc.field, beside, tc.msg)
				}
			})
		}
	})
}

// TestFieldOptionTags checks the choices of a select: each code with its
// description, the chosen one selected, what they hold escaped.
func TestFieldOptionTags(t *testing.T) {
	f := field{Name: "treatment_function", Value: "101", Options: []nhs.Code{
		{Code: "100", Description: "General Surgery"}, {Code: "101", Description: "Urology"}, {Code: `"9<`, Description: "Ear, Nose & Throat's"}}}
	want := `<option value="100">100 – General Surgery</option><option value="101" selected>101 – Urology</option>` +
		`<option value="&#34;9&lt;">&#34;9&lt; – Ear, Nose &amp; Throat&#39;s</option>`
	if got := string(f.OptionTags()); got != want {
		t.Errorf("option tags =\n%s\nwant\n%s", got, want)
	}
}
