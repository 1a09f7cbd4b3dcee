package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
	"github.com/opencrs/crs/store"
)

// codingEnv is a trust with code lists loaded and one discharged
// patient whose episode waits on the coding worklist.
func codingEnv(t *testing.T) (*env, *crs.Patient, string) {
	t.Helper()
	e := newEnv(t)
	st := e.setUp(e.a)
	ctx := context.Background()
	cs := store.NewCodingService(e.db)
	for system, text := range map[string]string{nhs.ICD10: "J18.9,Pneumonia unspecified\nI10,Essential hypertension\n", nhs.OPCS4: "E85.1,Non-invasive ventilation\n"} {
		codes, err := nhs.ReadCodeList(strings.NewReader(text), system, system)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cs.LoadCodeList(ctx, e.a.Actor(crs.RoleAdmin), system, codes); err != nil {
			t.Fatal(err)
		}
	}
	p := e.register(e.a, "Coded", "Cara", crs.NewDate(1950, 5, 6), "", "E1 1AA")
	ip := store.NewInpatientService(e.db)
	sp, err := ip.Admit(ctx, e.a.Actor(crs.RoleClerk), &crs.Admission{PatientID: p.ID, Method: "21", Source: "19", WardID: st.ward.ID, BedID: st.beds[0].ID,
		ConsultantCode: "C1234567", TreatmentFunction: "300", At: e.clock.Now().Add(-30 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if err := ip.Discharge(ctx, e.a.Actor(crs.RoleClerk), sp.ID, crs.Discharge{Method: "1", Destination: "19"}); err != nil {
		t.Fatal(err)
	}
	got, err := ip.FindSpell(ctx, e.a.Actor(crs.RoleClerk), sp.ID)
	if err != nil {
		t.Fatal(err)
	}
	return e, p, got.Episodes[0].ID
}

// TestCodingWorklist codes a discharged patient's episode as a clinical
// coder would: from the worklist, with a bad format and a code off the
// trust's list shown beside their boxes, then saved.
func TestCodingWorklist(t *testing.T) {
	e, p, ep := codingEnv(t)
	c := e.login(e.a, crs.RoleCoder)
	r := c.get("/coding")
	wantBody(t, "worklist", r, "Clinical coding", "CODED, Cara", "0 of 1 episode", "0.0%")
	wantBody(t, "form", c.get("/coding/episodes/"+ep), "Primary diagnosis (ICD-10)", `name="procedure_1_date-day"`)
	r = c.post("/coding/episodes/"+ep, url.Values{"diagnosis_1": {"J1"}, "diagnosis_2": {"Z99.9"}, "procedure_1": {"E85.1"}, "procedure_1_date": {"31/02/2026"}})
	wantStatus(t, "bad coding", r, http.StatusUnprocessableEntity)
	wantBody(t, "bad format", r, `id="diagnosis_1-error"`, "not a letter and two digits", `id="procedure_1_date-error"`)
	r = c.post("/coding/episodes/"+ep, url.Values{"diagnosis_1": {"J18.9"}, "diagnosis_2": {"Z99.9"}, "procedure_1": {"E85.1"}})
	wantStatus(t, "off the list", r, http.StatusUnprocessableEntity)
	wantBody(t, "off the list", r, `id="diagnosis_2-error"`, "Z99.9 is not on the trust&#39;s ICD-10 code list", `value="Z99.9"`)
	r = c.post("/coding/episodes/"+ep, url.Values{"diagnosis_1": {"j189"}, "diagnosis_2": {"I10"}, "procedure_1": {"E851"}})
	wantStatus(t, "coded", r, http.StatusSeeOther)
	wantBody(t, "worklist after", c.get("/coding"), "Every finished episode is coded", "1 of 1 episode", "100.0%")
	wantBody(t, "coded episode", c.get("/coding/episodes/"+ep), `J18.9, I10.X; <span class="procedure">E85.1 Non-invasive ventilation</span>`, `value="J18.9"`)
	wantBody(t, "history", e.login(e.a, crs.RoleDoctor).get("/patients/"+p.ID+"/history"), "Episode coded: J18.9, E85.1")

	wantStatus(t, "clerk", e.login(e.a, crs.RoleClerk).get("/coding"), http.StatusForbidden)
	wantStatus(t, "other trust", e.login(e.b, crs.RoleCoder).get("/coding/episodes/"+ep), http.StatusNotFound)
}
