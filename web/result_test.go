package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/interfaces"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// labEngine is the integration engine over the env's database with trust
// A's laboratory system configured as an inbound interface.
func labEngine(t *testing.T, e *env) *interfaces.Engine {
	t.Helper()
	eng := newEngine(e)
	i := &crs.Interface{Name: "Laboratory", SendingApplication: "LIMS", SendingFacility: "RAALAB", UserID: e.a.Users[crs.RoleInterface].ID}
	if err := eng.AddInterface(context.Background(), e.a.System, i); err != nil {
		t.Fatal(err)
	}
	return eng
}

// handle hands the engine one message from the laboratory and wants AA.
func handle(t *testing.T, eng *interfaces.Engine, segs ...string) {
	t.Helper()
	ack, err := hl7.ParseACK(eng.Handle(context.Background(), []byte(strings.Join(segs, "\r")+"\r")))
	if err != nil || ack.Code != hl7.AA {
		t.Fatalf("message %s: %s %+v (%v), want AA", strings.Split(segs[0], "|")[9], ack.Code, ack.Errors, err)
	}
}

// TestResultPages files a result and its correction from the laboratory
// and reads them in the record as a doctor: the list, one result with its
// history, the checks of who may, and the audit of the reads.
func TestResultPages(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		e := newEnvOn(t, db, clock)
		eng := labEngine(t, e)
		p := e.register(e.a, "KING", "Ada", crs.NewDate(1950, 1, 1), "9990000018", "E1 6AN")
		msh := func(ctrl string) string {
			return "MSH|^~\\&|LIMS|RAALAB|OPENCRS|RAA|20260302100000||ORU^R01^ORU_R01|" + ctrl + "|P|2.5.1|||AL|NE|GBR"
		}
		handle(t, eng, msh("L1"), "PID|1||9990000018^^^NHS^NH", "OBR|1|PL1|FL1|UE^Urea and electrolytes|||20260302080000||||||||||||||||||F",
			"NTE|1||Sample received <late>", "OBX|1|NM|NA^Sodium||128|mmol/L|133-146|L|||F", "OBX|2|NM|K^Potassium||4.1|mmol/L|3.5-5.3|N|||F")
		handle(t, eng, msh("L2"), "PID|1||9990000018^^^NHS^NH", "OBR|1|PL1|FL1|UE^Urea and electrolytes|||20260302080000||||||||||||||||||C",
			"OBX|1|NM|NA^Sodium||138|mmol/L|133-146|N|||C")

		doctor := e.login(e.a, crs.RoleDoctor)
		// With no legitimate relationship the doctor is offered a claim or
		// break-glass instead of the record; with one, they read it.
		refused := doctor.get("/patients/" + p.ID + "/results")
		wantStatus(t, "results without a relationship", refused, http.StatusForbidden)
		wantBody(t, "results without a relationship", refused, "break the glass")
		storetest.Relate(t, db, e.a.Actor(crs.RoleDoctor), p.ID)
		rec := doctor.get("/patients/" + p.ID)
		wantBody(t, "record", rec, `href="/patients/`+p.ID+`/results"`)
		list := doctor.get("/patients/" + p.ID + "/results")
		wantBody(t, "results", list, "Urea and electrolytes", "Corrected", "138", "4.1", "133-146", "version 2")
		if strings.Contains(list.body, ">128<") {
			t.Errorf("the list shows the corrected value 128")
		}
		rs, err := e.server.Results.FindResults(context.Background(), e.a.Actor(crs.RoleDoctor), p.ID)
		if err != nil || len(rs) != 1 {
			t.Fatalf("results: %d %v", len(rs), err)
		}
		one := doctor.get("/patients/" + p.ID + "/results/" + rs[0].ID)
		wantBody(t, "result", one, "Current version", "Version 1, replaced", "128", "138", "Sample received &lt;late&gt;", "Corrected", "Final")
		if strings.Contains(one.body, "<late>") {
			t.Errorf("a comment's markup reached the page unescaped")
		}
		// The timeline lists the result once, linked to its page, not its
		// DiagnosticReport and Observations again.
		e.server.Timeline = &fhir.TimelineService{Records: store.NewResourceService(db)}
		tl := doctor.get("/patients/" + p.ID + "/timeline")
		wantStatus(t, "timeline", tl, http.StatusOK)
		if n := strings.Count(tl.body, "Urea and electrolytes"); n != 1 || !strings.Contains(tl.body, `href="/patients/`+p.ID+`/results/`+rs[0].ID+`"`) {
			t.Errorf("timeline: the result %d times (want once), linked %v", n, strings.Contains(tl.body, "/results/"+rs[0].ID))
		}
		if strings.Contains(tl.body, "Sodium") {
			t.Errorf("timeline lists the result's observations apart")
		}

		// Who may: a clerk is refused, another trust finds nothing.
		if r := e.login(e.a, crs.RoleClerk).get("/patients/" + p.ID + "/results"); r.status != http.StatusForbidden {
			t.Errorf("clerk: status %d, want 403", r.status)
		}
		if r := e.login(e.b, crs.RoleDoctor).get("/patients/" + p.ID + "/results/" + rs[0].ID); r.status != http.StatusNotFound {
			t.Errorf("trust B's doctor: status %d, want 404", r.status)
		}
		if r := doctor.get("/patients/" + p.ID + "/results/" + crs.NewID()); r.status != http.StatusNotFound {
			t.Errorf("an unknown result: status %d, want 404", r.status)
		}
		// The reads are audited.
		seen := doctorReads(t, db, e, p.ID)
		if !seen["results"] || !seen["result"] {
			t.Errorf("audit of the doctor's reads: %v, want results and result", seen)
		}
	})
}

// doctorReads lists what trust A's doctors were audited viewing of the
// patient's record, each by its first word or words before an id.
func doctorReads(t *testing.T, db *store.DB, e *env, patientID string) map[string]bool {
	t.Helper()
	if err := db.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	recs, err := store.NewAuditService(db).PatientAccess(context.Background(), e.a.Actor(crs.RolePrivacyOfficer), patientID)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range recs {
		if r.Role == crs.RoleDoctor && r.Action == crs.AuditView {
			var words []string
			for _, w := range strings.Fields(r.What) {
				if len(w) == 36 && strings.Count(w, "-") == 4 {
					break
				}
				words = append(words, w)
			}
			seen[strings.Join(words, " ")] = true
		}
	}
	return seen
}

// newEngine is the integration engine over the env's database, tracking
// orders and filing results to the resource store as cmd/crs wires it.
func newEngine(e *env) *interfaces.Engine {
	eng := interfaces.New(e.db, e.server.Logger)
	orders := &fhir.OrderService{Store: e.db, Resources: store.NewResourceService(e.db)}
	eng.Orders, eng.Results = orders, &fhir.ResultService{Store: e.db, Resources: store.NewResourceService(e.db), Orders: orders}
	return eng
}

// findResults lists a patient's current results as the trust's system
// reads them (no relationship needed).
func findResults(ctx context.Context, e *env, patientID string) ([]*crs.Result, error) {
	return e.server.Results.FindResults(ctx, crs.SystemActor(e.a.Org.ID), patientID)
}
