package web

import (
	"context"
	"html/template"
	"net/url"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/rtt"
	"github.com/opencrs/crs/store"
)

func TestServiceName(t *testing.T) {
	for _, tc := range []struct{ code, want string }{
		{"110", "110 Trauma and Orthopaedic Service"},
		{"", "Not known"},
		{"999", "999"},
	} {
		if got := serviceName(tc.code); got != tc.want {
			t.Errorf("serviceName(%q) = %q, want %q", tc.code, got, tc.want)
		}
	}
}

func TestRTTStatusWords(t *testing.T) {
	for _, tc := range []struct {
		s    rtt.Status
		want template.HTML
	}{
		{20, `<abbr class="rtt-status" title="Subsequent activity during a referral to treatment period - further activities anticipated">RTT 20 – clock still running</abbr>`},
		{30, `<abbr class="rtt-status" title="End of the referral to treatment period: start of first definitive treatment">RTT 30 – clock stopped</abbr>`},
		{0, "Not known"},
	} {
		if got := rttStatusWords(tc.s); got != tc.want {
			t.Errorf("rttStatusWords(%d) =\n %s\nwant\n %s", tc.s, got, tc.want)
		}
	}
}

// TestConsultantNames checks that pages name a consultant the trust's
// clinics name, with the code in small print, and that the PTL and
// waiting list filter by consultant by name.
func TestConsultantNames(t *testing.T) {
	e := newEnv(t)
	st := e.setUp(e.a)
	bone := &crs.Clinic{Code: "TO-TUE", Name: "Fracture clinic", ConsultantCode: "C7654321", ConsultantName: "Ms Bone", TreatmentFunction: "110",
		LocationID: st.clinic.LocationID, Sessions: []crs.ClinicSession{{Weekday: time.Tuesday, Start: "09:00", End: "12:00", SlotMinutes: 20, SlotType: crs.SlotNew}}}
	if err := store.NewOutpatientService(e.db).CreateClinic(context.Background(), e.a.Actor(crs.RoleAdmin), bone); err != nil {
		t.Fatal(err)
	}
	p := e.register(e.a, "Named", "Nora", crs.NewDate(1960, 1, 1), "", "")
	c := e.login(e.a, crs.RoleClerk)
	c.get("/patients/" + p.ID + "/admit")
	r := c.post("/patients/"+p.ID+"/admit", url.Values{"method": {"21"}, "source": {"19"}, "place": {st.ward.ID + "/" + st.beds[0].ID}, "consultant": {"C7654321"}, "treatment_function": {"110"}})
	wantStatus(t, "admit", r, 303)
	wantBody(t, "ward's beds", c.get("/beds/"+st.ward.ID), `Ms Bone <small class="code">C7654321</small>`)
	wantBody(t, "spell", c.get(r.loc), `Ms Bone <small class="code">C7654321</small>`, "110 Trauma and Orthopaedic Service")
	wantBody(t, "PTL filter", c.get("/ptl"), `<option value="C7654321">Ms Bone (C7654321)</option>`)
	wantBody(t, "waiting list filter", c.get("/waiting-list?consultant=c1234567"), `<option value="C7654321">Ms Bone (C7654321)</option>`,
		`<option value="C1234567" selected>C1234567</option>`)
	wantBody(t, "unnamed consultant", c.get("/clinics/"+st.clinic.ID), "consultant C1234567")
}
