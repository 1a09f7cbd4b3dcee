package fhir_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestAuditEvent: the audit trail read as AuditEvent, by patient, agent
// and date, paged, for a token that may read it, and never written.
func TestAuditEvent(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		p1 := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Zoë"}]}`)
		p2 := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Smith"}]}`)
		for i := 0; i < 3; i++ {
			c.do("GET", "/fhir/Patient/"+p1, "")
		}
		c.do("GET", "/fhir/Patient/"+p2, "")
		if err := db.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
		events := func(cl *client, q string) ([]map[string]any, string) {
			t.Helper()
			r := cl.do("GET", "/fhir/AuditEvent"+q, "")
			if r.status != 200 {
				t.Fatalf("AuditEvent%s: %d %s", q, r.status, r.body)
			}
			var b struct {
				Entry []struct{ Resource json.RawMessage }
				Link  []struct{ Relation, URL string }
			}
			json.Unmarshal(r.body, &b)
			var out []map[string]any
			for _, e := range b.Entry {
				res, err := fhir.Decode(e.Resource)
				if err != nil {
					t.Fatalf("an AuditEvent that is not valid R4: %v: %s", err, e.Resource)
				}
				// Each search of the trail is itself audited: leave those out.
				if es, _ := res["entity"].([]any); len(es) > 0 && es[0].(map[string]any)["description"] == "audit trail" {
					continue
				}
				out = append(out, res)
			}
			next := ""
			for _, l := range b.Link {
				if l.Relation == "next" {
					next = l.URL
				}
			}
			return out, next
		}
		reads, _ := events(c, "?patient=Patient/"+p1)
		if len(reads) != 4 {
			t.Fatalf("audit of Patient/%s: %d events, want its creation and the 3 reads", p1, len(reads))
		}
		ev := reads[0]
		entity := ev["entity"].([]any)[0].(map[string]any)
		if ev["action"] != "R" || entity["what"].(map[string]any)["reference"] != "Patient/"+p1 {
			t.Errorf("read as AuditEvent = %v", ev)
		}
		if sub := ev["subtype"].([]any)[0].(map[string]any); sub["system"] != "http://hl7.org/fhir/restful-interaction" || sub["code"] != "read" {
			t.Errorf("subtype of a read = %v, want the FHIR interaction read", sub)
		}
		agent := ev["agent"].([]any)[0].(map[string]any)["who"].(map[string]any)["identifier"].(map[string]any)["value"].(string)
		for _, tc := range []struct {
			q    string
			want int
		}{
			{"?entity=Patient/" + p2, 2},
			{"?patient=" + p2 + "&agent=" + agent, 2},
			{"?patient=" + p2 + "&agent=someone-else", 0},
			{"?patient=" + p1 + "&date=ge2000-01-01", 4},
			{"?patient=" + p1 + "&date=lt2000-01-01", 0},
		} {
			if got, _ := events(c, tc.q); len(got) != tc.want {
				t.Errorf("AuditEvent%s: %d events, want %d", tc.q, len(got), tc.want)
			}
		}
		// Paging newest first: the creation comes last, and the searches
		// audited while paging never shift a page.
		var paged []map[string]any
		for next := "?patient=" + p1 + "&_count=2"; next != ""; {
			var page []map[string]any
			q := strings.TrimPrefix(next, f.base+"/fhir/AuditEvent")
			page, next = events(c, q)
			paged = append(paged, page...)
			// The page's self link names it: its _count and cursor too.
			var b struct {
				Link []struct{ Relation, URL string }
			}
			json.Unmarshal(c.do("GET", "/fhir/AuditEvent"+q, "").body, &b)
			self := b.Link[0]
			got, _ := url.Parse(self.URL)
			want, _ := url.Parse(f.base + "/fhir/AuditEvent" + q)
			if self.Relation != "self" || got.Path != want.Path || got.Query().Encode() != want.Query().Encode() {
				t.Errorf("AuditEvent%s: self link %v, want the page asked", q, self)
			}
		}
		if len(paged) != 4 || paged[3]["action"] != "U" || paged[0]["id"] != reads[0]["id"] {
			t.Errorf("paged %d events, want the 4 newest first", len(paged))
		}
		if r := c.do("GET", "/fhir/AuditEvent/"+ev["id"].(string), ""); r.status != 200 || !strings.Contains(string(r.body), p1) {
			t.Errorf("read AuditEvent: %d %s", r.status, r.body)
		}
		// A record has one version: read as version 1, no other, and no
		// history.
		for path, want := range map[string]int{
			"/fhir/AuditEvent/" + ev["id"].(string) + "/_history/1": 200,
			"/fhir/AuditEvent/" + ev["id"].(string) + "/_history/2": 404,
			"/fhir/AuditEvent/" + ev["id"].(string) + "/_history":   405,
			"/fhir/AuditEvent/_history":                             405,
		} {
			if r := c.do("GET", path, ""); r.status != want || want != 200 && !isOutcome(r) || want == 200 && !strings.Contains(string(r.body), p1) {
				t.Errorf("GET %s: %d %s, want %d", path, r.status, r.body, want)
			}
		}
		if got, _ := events(f.b, "?patient="+p1); len(got) != 0 {
			t.Errorf("trust B sees %d of trust A's audit records", len(got))
		}
		if r := f.b.do("GET", "/fhir/AuditEvent/"+ev["id"].(string), ""); r.status != 404 {
			t.Errorf("trust B reading trust A's record: %d", r.status)
		}
		ro := &client{t, f.base, "a-patient-read"}
		if r := ro.do("GET", "/fhir/AuditEvent?patient="+p1, ""); r.status != 403 || !isOutcome(r) {
			t.Errorf("a token without AuditEvent.read: %d", r.status)
		}
		for _, m := range []struct{ method, path string }{
			{"POST", "/fhir/AuditEvent"}, {"PUT", "/fhir/AuditEvent/" + ev["id"].(string)},
			{"DELETE", "/fhir/AuditEvent/" + ev["id"].(string)}, {"PATCH", "/fhir/AuditEvent/x"}, {"DELETE", "/fhir/AuditEvent?patient=" + p1},
		} {
			if r := c.do(m.method, m.path, `{"resourceType":"AuditEvent"}`); r.status != 405 || !isOutcome(r) {
				t.Errorf("%s %s: %d, want 405", m.method, m.path, r.status)
			}
		}
		tx := `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"AuditEvent","type":{"code":"x"},"recorded":"2024-01-01T00:00:00Z","agent":[{"requestor":true}],"source":{"observer":{"display":"x"}}},"request":{"method":"POST","url":"AuditEvent"}}]}`
		if r := c.do("POST", "/fhir", tx); r.status < 400 {
			t.Errorf("AuditEvent in a transaction: %d %s", r.status, r.body)
		}
		if r := c.do("GET", "/fhir/AuditEvent?code=x", ""); r.status != 400 || !isOutcome(r) {
			t.Errorf("unknown parameter: %d", r.status)
		}
	})
}

// TestAuditEventOfListedPatient: a FHIR search listing two patients'
// observations is one audit record, and AuditEvent searched by either
// patient shows it against that patient; a search that lists no one is
// one record of its own.
func TestAuditEventOfListedPatient(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		var ids []string
		for _, fam := range []string{"Listone", "Listtwo"} {
			id := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"`+fam+`"}]}`)
			create(t, c, "Observation", `{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/`+id+`"},"valueQuantity":{"value":72,"unit":"/min"}}`)
			ids = append(ids, id)
		}
		if r := c.do("GET", "/fhir/Observation?code=http://loinc.org|8867-4", ""); r.status != 200 {
			t.Fatalf("search: %d %s", r.status, r.body)
		}
		if err := db.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.Reader().QueryRowContext(t.Context(), `SELECT COUNT(*) FROM audit WHERE action = 'listed' AND what LIKE 'fhir search Observation: 2 patients;%'`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("%d audit records of the search, %v; want 1", n, err)
		}
		// The list record is the search's one record: no second record of
		// the read beside it. A search that finds nothing is still audited.
		if r := c.do("GET", "/fhir/Observation?code=http://loinc.org|0000-0", ""); r.status != 200 {
			t.Fatalf("search of nothing: %d %s", r.status, r.body)
		}
		if err := db.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
		var views int
		if err := db.Reader().QueryRowContext(t.Context(), `SELECT COUNT(*) FROM audit_trail WHERE action = 'view' AND what = 'fhir search Observation'`).Scan(&views); err != nil || views != 1 {
			t.Errorf("%d records of a read beside the searches, %v; want 1 (the search that found nothing)", views, err)
		}
		for _, id := range ids {
			r := c.do("GET", "/fhir/AuditEvent?patient=Patient/"+id, "")
			if r.status != 200 || !strings.Contains(string(r.body), "fhir search Observation: 2 patients") || !strings.Contains(string(r.body), "Patient/"+id) {
				t.Errorf("AuditEvent?patient=%s does not show the search that listed them: %d %s", id, r.status, r.body)
			}
		}
	})
}
