package fhir_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// pageAll follows a search's next links from its first page of count
// and returns every resource found, in order, and the pages' count.
func pageAll(t *testing.T, c *client, query string, count int) ([]map[string]any, int) {
	t.Helper()
	var out []map[string]any
	pages := 0
	sep := "?"
	if strings.Contains(query, "?") {
		sep = "&"
	}
	for next := "/fhir/" + query + sep + "_count=" + strconv.Itoa(count); next != ""; pages++ {
		r := c.do("GET", next, "")
		if r.status != 200 {
			t.Fatalf("%s: %d %s", next, r.status, r.body)
		}
		page := r.json(t)
		es, _ := page["entry"].([]any)
		if len(es) > count {
			t.Fatalf("%s: %d entries, more than _count %d", next, len(es), count)
		}
		for _, e := range es {
			out = append(out, e.(map[string]any)["resource"].(map[string]any))
		}
		next = ""
		for _, l := range page["link"].([]any) {
			if l.(map[string]any)["relation"] == "next" {
				next = l.(map[string]any)["url"].(string)
			}
		}
		if pages > 1000 {
			t.Fatalf("%s: more than 1000 pages", query)
		}
	}
	return out, pages
}

// idsOf are the ids of resources, in order; it fails on one found twice.
func idsOf(t *testing.T, query string, rs []map[string]any) []string {
	t.Helper()
	var out []string
	seen := map[string]bool{}
	for _, r := range rs {
		id := r["resourceType"].(string) + "/" + r["id"].(string)
		if seen[id] {
			t.Errorf("%s: %s found twice", query, id)
		}
		seen[id] = true
		out = append(out, id)
	}
	return out
}

// journeyPatients starts the PAS's server with the journey's patients
// and lists trust A's patients from the PMI, in id order.
func journeyPatients(t *testing.T, db *store.DB, clock *crs.FixedClock) (*fixture, []*crs.Patient) {
	t.Helper()
	f := startPAS(t, db, clock)
	journey(t, db, f)
	listed, _, err := store.NewPatientService(db).ScanPatients(context.Background(), f.trustA.Actor(crs.RoleAdmin), crs.PatientScan{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return f, listed
}

// sameSet reports a difference between the ids found and those wanted.
func sameSet(t *testing.T, query string, got, want []string) {
	t.Helper()
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	if !slices.Equal(g, w) {
		t.Errorf("%s found %d %v,\nwant %d %v", query, len(g), g, len(w), w)
	}
}

// TestPatientSearchScan searches the PMI's patients by what no index
// leads: none (every patient, paged), birthdate ranges and partial
// dates, gender or postcode alone, :not, :missing, :exact and
// :contains, each checked against the patients as read.
func TestPatientSearchScan(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f, listed := journeyPatients(t, db, clock)
		c := f.a
		var wantAll []string
		for _, p := range listed {
			wantAll = append(wantAll, "Patient/"+p.ID)
		}
		if len(wantAll) < 12 {
			t.Fatalf("the trust lists %d patients, want at least 12", len(wantAll))
		}
		// No criteria: every patient once, paged by 5.
		all, pages := pageAll(t, c, "Patient", 5)
		if got := idsOf(t, "Patient", all); !slices.Equal(got, wantAll) {
			t.Errorf("Patient paged by 5: %v, want %v", got, wantAll)
		}
		if want := (len(wantAll) + 4) / 5; pages != want {
			t.Errorf("Patient paged by 5 in %d pages, want %d", pages, want)
		}
		if n := fmt.Sprint(c.do("GET", "/fhir/Patient?_summary=count", "").json(t)["total"]); n != strconv.Itoa(len(wantAll)) {
			t.Errorf("Patient?_summary=count: %v, want %d", n, len(wantAll))
		}
		// Trust B sees none of trust A's.
		if b := fmt.Sprint(f.b.do("GET", "/fhir/Patient?_summary=count", "").json(t)["total"]); b != "0" {
			t.Errorf("trust B counts %v of trust A's patients", b)
		}
		// Each search is checked against what the patients read hold.
		str := func(r map[string]any, k string) string { s, _ := r[k].(string); return s }
		postcode := func(r map[string]any) string {
			if as, ok := r["address"].([]any); ok && len(as) > 0 {
				pc, _ := as[0].(map[string]any)["postalCode"].(string)
				return pc
			}
			return ""
		}
		family := func(r map[string]any) string {
			return r["name"].([]any)[0].(map[string]any)["family"].(string)
		}
		// email and phone hold the rows of telecom, as the resource
		// store indexes them: their :missing is telecom's.
		hasTelecom := func(r map[string]any) bool { ts, _ := r["telecom"].([]any); return len(ts) > 0 }
		born := str(all[len(all)/2], "birthDate")
		year, month := born[:4], born[:7]
		pc := postcode(all[0])
		fam := family(all[0])
		for _, tc := range []struct {
			query string
			keep  func(r map[string]any) bool
		}{
			{"birthdate=" + year, func(r map[string]any) bool { return strings.HasPrefix(str(r, "birthDate"), year) }},
			{"birthdate=" + month, func(r map[string]any) bool { return strings.HasPrefix(str(r, "birthDate"), month) }},
			{"birthdate=ge" + born, func(r map[string]any) bool { return str(r, "birthDate") >= born }},
			{"birthdate=gt" + born, func(r map[string]any) bool { return str(r, "birthDate") > born }},
			{"birthdate=le" + born, func(r map[string]any) bool { return str(r, "birthDate") <= born }},
			{"birthdate=lt" + year, func(r map[string]any) bool { return str(r, "birthDate") < year }},
			{"birthdate=sa" + month, func(r map[string]any) bool { return str(r, "birthDate")[:7] > month }},
			{"birthdate=eb" + month, func(r map[string]any) bool { return str(r, "birthDate")[:7] < month }},
			{"birthdate=ne" + year, func(r map[string]any) bool { return !strings.HasPrefix(str(r, "birthDate"), year) }},
			{"birthdate=ge" + year + "&birthdate=lt" + strconv.Itoa(atoi(year)+10), func(r map[string]any) bool {
				return str(r, "birthDate") >= year && str(r, "birthDate") < strconv.Itoa(atoi(year)+10)
			}},
			{"gender=female", func(r map[string]any) bool { return r["gender"] == "female" }},
			{"gender:not=female", func(r map[string]any) bool { return r["gender"] != "female" }},
			{"address-postalcode=" + url.QueryEscape(pc), func(r map[string]any) bool { return postcode(r) == pc }},
			{"telecom:missing=true", func(r map[string]any) bool { return !hasTelecom(r) }},
			{"telecom:missing=false", func(r map[string]any) bool { return hasTelecom(r) }},
			{"family:exact=" + url.QueryEscape(fam), func(r map[string]any) bool { return family(r) == fam }},
			{"family:contains=" + url.QueryEscape(strings.ToLower(fam[1:4])), func(r map[string]any) bool {
				return strings.Contains(strings.ToLower(family(r)), strings.ToLower(fam[1:4]))
			}},
			{"family=" + url.QueryEscape(fam) + "&gender:not=" + str(all[0], "gender"), func(r map[string]any) bool {
				return strings.HasPrefix(strings.ToLower(family(r)), strings.ToLower(fam)) && r["gender"] != all[0]["gender"]
			}},
		} {
			t.Run(tc.query, func(t *testing.T) { searchKeeps(t, c, tc.query, all, tc.keep) })
		}
		// The audit trail shows a scan's search against the patients it
		// shows, not against every patient it read to find them.
		accesses := func(id string) (n int) {
			if err := db.Flush(t.Context()); err != nil {
				t.Fatal(err)
			}
			var b struct {
				Entry []struct{ Resource map[string]any }
			}
			json.Unmarshal(c.do("GET", "/fhir/AuditEvent?patient=Patient/"+id+"&_count=1000", "").body, &b)
			for _, e := range b.Entry {
				if es, _ := e.Resource["entity"].([]any); len(es) == 0 || es[0].(map[string]any)["description"] != "audit trail" {
					n++
				}
			}
			return n
		}
		other := ""
		for _, r := range all {
			if postcode(r) != pc {
				other = r["id"].(string)
			}
		}
		shown := all[0]["id"].(string)
		otherBefore, shownBefore := accesses(other), accesses(shown)
		// By the profile, which the resource read whole answers, as by
		// language: each patient is read whole to match, and only those
		// shown are audited so.
		profile := "_profile=" + url.QueryEscape("https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient")
		for _, q := range []string{"address-postalcode=" + url.QueryEscape(pc), "address-postalcode=" + url.QueryEscape(pc) + "&_sort=birthdate", "address-postalcode=" + url.QueryEscape(pc) + "&_summary=count",
			profile + "&address-postalcode=" + url.QueryEscape(pc), "_profile=http://example.org/none", "_profile=http://example.org/none&_summary=count",
			// Sorted, the patients are read whole in the order of the
			// sort, a page at a time, as unsorted in id order.
			profile + "&address-postalcode=" + url.QueryEscape(pc) + "&_sort=family", profile + "&address-postalcode=" + url.QueryEscape(pc) + "&_sort=-given",
			"_profile=http://example.org/none&_sort=family", "_profile=http://example.org/none&_sort=-birthdate", "_profile=http://example.org/none&_sort=given"} {
			if r := c.do("GET", "/fhir/Patient?"+q, ""); r.status != 200 {
				t.Fatalf("Patient?%s: %d %s", q, r.status, r.body)
			}
		}
		if got := accesses(other); other == "" || got != otherBefore {
			t.Errorf("a patient the searches did not find (%s) has %d accesses after them, want %d as before", other, got, otherBefore)
		}
		if got := accesses(shown); got != shownBefore+5 {
			t.Errorf("the patient five searches showed has %d accesses, want %d", got, shownBefore+5)
		}
		searchKeeps(t, c, profile+"&address-postalcode="+url.QueryEscape(pc), all, func(r map[string]any) bool { return postcode(r) == pc })
		for _, sort := range []string{"family", "-family", "given", "-given", "birthdate", "-birthdate"} {
			query := profile + "&_sort=" + sort
			searchKeeps(t, c, query, all, func(map[string]any) bool { return true })
			got, _ := pageAll(t, c, "Patient?"+query, 3)
			key := func(r map[string]any) string {
				if strings.HasSuffix(sort, "birthdate") {
					return str(r, "birthDate")
				}
				n := r["name"].([]any)[0].(map[string]any)
				if strings.HasSuffix(sort, "family") {
					return strings.ToLower(n["family"].(string))
				}
				// By the given or middle name that comes first in the
				// sort's order.
				var given []string
				for _, g := range n["given"].([]any) {
					given = append(given, strings.ToLower(g.(string)))
				}
				if strings.HasPrefix(sort, "-") {
					return slices.Max(given)
				}
				return slices.Min(given)
			}
			for i := 1; i < len(got); i++ {
				a, b := key(got[i-1]), key(got[i])
				if strings.HasPrefix(sort, "-") {
					a, b = b, a
				}
				if a > b {
					t.Errorf("Patient?%s: %q before %q", query, key(got[i-1]), key(got[i]))
				}
			}
		}
	})
}

// searchKeeps checks that a Patient search, paged by 3, finds those of
// all that keep says it matches.
func searchKeeps(t *testing.T, c *client, query string, all []map[string]any, keep func(map[string]any) bool) {
	t.Helper()
	var want []string
	for _, r := range all {
		if keep(r) {
			want = append(want, "Patient/"+r["id"].(string))
		}
	}
	got, _ := pageAll(t, c, "Patient?"+query, 3)
	sameSet(t, query, idsOf(t, query, got), want)
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// TestCoreSearchTrustWide searches the trust's encounters, episodes of
// care, appointments and referrals without a patient: with no criteria
// every one the patients' own searches find, paged without repeats or
// gaps, and by status, class, date, :not and :missing those of them
// that match.
func TestCoreSearchTrustWide(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f, pats := journeyPatients(t, db, clock)
		c := f.a
		str := func(r map[string]any, k string) string { s, _ := r[k].(string); return s }
		code := func(r map[string]any, k string) string {
			m, _ := r[k].(map[string]any)
			s, _ := m["code"].(string)
			return s
		}
		start := func(r map[string]any) string {
			if p, ok := r["period"].(map[string]any); ok {
				return str(p, "start")
			}
			return str(r, "start")
		}
		for _, typ := range []string{"Encounter", "EpisodeOfCare", "Appointment", "ServiceRequest"} {
			var all []map[string]any
			for _, p := range pats {
				found, _ := pageAll(t, c, typ+"?patient=Patient/"+p.ID, 100)
				all = append(all, found...)
			}
			if len(all) == 0 {
				t.Fatalf("no %s found patient by patient", typ)
			}
			var first map[string]any
			for _, r := range all {
				if start(r) != "" {
					first = r
					break
				}
			}
			tcs := []struct {
				query string
				keep  func(r map[string]any) bool
			}{
				{"", func(map[string]any) bool { return true }},
				{"status=" + str(all[0], "status"), func(r map[string]any) bool { return r["status"] == all[0]["status"] }},
				{"status:not=" + str(all[0], "status"), func(r map[string]any) bool { return r["status"] != all[0]["status"] }},
				{"identifier:missing=true", func(r map[string]any) bool { return r["identifier"] == nil }},
			}
			if first != nil && typ != "EpisodeOfCare" {
				day := start(first)[:10]
				tcs = append(tcs, struct {
					query string
					keep  func(r map[string]any) bool
				}{"date=ge" + day, func(r map[string]any) bool { return start(r) != "" && start(r)[:10] >= day }})
			}
			if typ == "Encounter" {
				tcs = append(tcs, struct {
					query string
					keep  func(r map[string]any) bool
				}{"class:not=IMP", func(r map[string]any) bool { return code(r, "class") != "IMP" }})
			}
			for _, tc := range tcs {
				q := typ
				if tc.query != "" {
					q += "?" + tc.query
				}
				t.Run(q, func(t *testing.T) {
					var want []string
					for _, r := range all {
						if tc.keep(r) {
							want = append(want, typ+"/"+r["id"].(string))
						}
					}
					got, _ := pageAll(t, c, q, 3)
					sameSet(t, q, idsOf(t, q, got), want)
					sep := "?"
					if tc.query != "" {
						sep = "&"
					}
					if n := fmt.Sprint(c.do("GET", "/fhir/"+q+sep+"_summary=count", "").json(t)["total"]); n != strconv.Itoa(len(want)) {
						t.Errorf("%s&_summary=count: %s, want %d", q, n, len(want))
					}
				})
			}
			if n := fmt.Sprint(f.b.do("GET", "/fhir/"+typ+"?_summary=count", "").json(t)["total"]); n != "0" {
				t.Errorf("trust B counts %s of trust A's %s", n, typ)
			}
		}
	})
}

// TestCoreClinics serves the trust's clinics as Schedules, their slots
// as Slots and the consultants who hold them as Practitioners and
// PractitionerRoles: listed with no criteria, searched by their
// parameters, read, and each conforming to its UK Core profile.
func TestCoreClinics(t *testing.T) {
	u := loadUKCore(t)
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		journey(t, db, f)
		c := f.a
		ctx := context.Background()
		admin := f.trustA.Actor(crs.RoleClerk)
		out := store.NewOutpatientService(db)
		clinics, err := out.FindClinics(ctx, admin)
		if err != nil || len(clinics) == 0 {
			t.Fatalf("clinics: %d %v", len(clinics), err)
		}
		var schedules, practitioners, roles, slots, busy []string
		bySchedule := map[string][]string{}
		seen := map[string]bool{}
		for _, cl := range clinics {
			schedules = append(schedules, "Schedule/clinic-"+cl.ID)
			if cl.ConsultantCode != "" && !seen[cl.ConsultantCode] {
				seen[cl.ConsultantCode] = true
				practitioners = append(practitioners, "Practitioner/cons-"+cl.ConsultantCode)
				roles = append(roles, "PractitionerRole/role-"+cl.ConsultantCode)
			}
			sls, err := out.FindSlots(ctx, admin, crs.SlotQuery{ClinicID: cl.ID, From: clock.Now().AddDate(-5, 0, 0), To: clock.Now().AddDate(5, 0, 0), Limit: 5000})
			if err != nil {
				t.Fatal(err)
			}
			for _, sl := range sls {
				id := "Slot/slot-" + sl.ID
				slots = append(slots, id)
				bySchedule["clinic-"+cl.ID] = append(bySchedule["clinic-"+cl.ID], id)
				if sl.Booked {
					busy = append(busy, id)
				}
			}
		}
		if len(slots) == 0 || len(busy) == 0 {
			t.Fatalf("%d slots, %d busy: the journey books none", len(slots), len(busy))
		}
		for _, tc := range []struct {
			query string
			count int
			want  []string
		}{
			{"Schedule", 2, schedules},
			{"Practitioner", 2, practitioners},
			{"PractitionerRole", 2, roles},
			{"Slot", 7, slots},
			{"Slot?status=busy", 3, busy},
			{"Slot?status:not=busy", 50, func() (out []string) {
				for _, s := range slots {
					if !slices.Contains(busy, s) {
						out = append(out, s)
					}
				}
				return out
			}()},
			{"Slot?schedule=Schedule/clinic-" + clinics[0].ID, 5, bySchedule["clinic-"+clinics[0].ID]},
			{"Schedule?actor=" + strings.TrimPrefix(practitioners[0], ""), 50, func() (out []string) {
				for _, cl := range clinics {
					if "Practitioner/cons-"+cl.ConsultantCode == practitioners[0] {
						out = append(out, "Schedule/clinic-"+cl.ID)
					}
				}
				return out
			}()},
			{"PractitionerRole?practitioner=" + practitioners[0], 50, roles[:1]},
		} {
			t.Run(tc.query, func(t *testing.T) {
				got, _ := pageAll(t, c, tc.query, tc.count)
				sameSet(t, tc.query, idsOf(t, tc.query, got), tc.want)
				if len(got) > 0 {
					u.conforms(t, got[0])
					typ, id := got[0]["resourceType"].(string), got[0]["id"].(string)
					if r := c.do("GET", "/fhir/"+typ+"/"+id, ""); r.status != 200 || r.json(t)["id"] != id {
						t.Errorf("read %s/%s: %d %s", typ, id, r.status, r.body)
					}
				}
			})
		}
		// An appointment's slot is a Slot served.
		var appt map[string]any
		for _, r := range func() []map[string]any { rs, _ := pageAll(t, c, "Appointment", 50); return rs }() {
			if r["slot"] != nil {
				appt = r
				break
			}
		}
		if appt == nil {
			t.Fatal("no appointment with a slot")
		}
		slot := appt["slot"].([]any)[0].(map[string]any)["reference"].(string)
		if r := c.do("GET", "/fhir/"+slot, ""); r.status != 200 || r.json(t)["status"] != "busy" && appt["status"] != "cancelled" {
			t.Errorf("read %s of Appointment/%v: %d %s", slot, appt["id"], r.status, r.body)
		}
		if r := f.b.do("GET", "/fhir/"+slot, ""); r.status != 404 {
			t.Errorf("trust B read trust A's %s: %d", slot, r.status)
		}
		if n := fmt.Sprint(f.b.do("GET", "/fhir/Slot?_summary=count", "").json(t)["total"]); n != "0" {
			t.Errorf("trust B counts %s of trust A's slots", n)
		}
	})
}

// TestCoreSearchTrustWideAsPatientByPatient searches the trust's
// encounters, episodes of care, appointments and referrals without a
// patient, read from the PAS's tables, and finds in the same order what
// searching each of the trust's patients in turn finds, by status,
// class, dates and times of every prefix and none, with a sealed record, two
// records merged and another trust's journey beside; pages resume after
// a referral added meanwhile without repeating one; and the records read
// are audited as lists of the patients in them, not a view of each.
func TestCoreSearchTrustWideAsPatientByPatient(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		f := startPAS(t, db, clock)
		journey(t, db, f)
		journeyOf(t, db, f.trustB, 5)
		c := f.a
		pats, _, err := store.NewPatientService(db).ScanPatients(ctx, f.trustA.Actor(crs.RoleAdmin), crs.PatientScan{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		// A trust-wide search reads lists, not each patient's record; a
		// count of them (by status and class alone) reads neither, and
		// names no patient.
		for _, q := range []string{"Encounter?_summary=count", "Encounter?_count=1000"} {
			if r := c.do("GET", "/fhir/"+q, ""); r.status != 200 {
				t.Fatalf("%s: %d %s", q, r.status, r.body)
			}
		}
		if err := db.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		var views, lists int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_trail WHERE org_id = $1 AND action = 'view' AND what IN ('spells', 'A&E attendances', 'referrals', 'appointments')`,
			f.trustA.Org.ID).Scan(&views); err != nil {
			t.Fatal(err)
		}
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM audit WHERE org_id = $1 AND action = 'listed' AND (what LIKE 'spells list:%' OR what LIKE 'A&E attendances list:%' OR what LIKE 'appointments list:%')`,
			f.trustA.Org.ID).Scan(&lists); err != nil {
			t.Fatal(err)
		}
		if views != 0 || lists != 3 {
			t.Errorf("a trust-wide count and page of encounters audited %d views of a patient's records and %d lists, want 0 and 3 (the page's spells, attendances, outpatients)", views, lists)
		}
		// The patients with referrals: one sealed, two merged.
		var referred []string
		for _, p := range pats {
			if rs, _ := pageAll(t, c, "ServiceRequest?patient=Patient/"+p.ID, 100); len(rs) > 0 {
				referred = append(referred, p.ID)
			}
		}
		if len(referred) < 4 {
			t.Fatalf("%d patients referred, want at least 4", len(referred))
		}
		if err := store.NewAccessService(db).SealRecord(ctx, f.trustA.Actor(crs.RolePrivacyOfficer), referred[0], crs.SealPatientRequest, "at the patient's request"); err != nil {
			t.Fatal(err)
		}
		// A duplicate registered without an NHS number, referred, then
		// merged into a patient referred already: its referral moves.
		pmi := store.NewPatientService(db)
		clerk := f.trustA.Actor(crs.RoleClerk)
		dup := &crs.Patient{FamilyName: "Duplicate", GivenName: "Dana", BirthDate: crs.NewDate(1961, 4, 2), Gender: "2",
			Address: crs.Address{Lines: []string{"1 High Street", "London"}}}
		if err := pmi.RegisterPatient(ctx, clerk, dup); err != nil {
			t.Fatal(err)
		}
		if err := store.NewReferralService(db).RecordReferral(ctx, clerk, &crs.Referral{PatientID: dup.ID, Source: "03",
			ReceivedOn: crs.LocalDate(clock.Now()), Priority: crs.PriorityRoutine, TreatmentFunction: "100", ConsultantLed: true}); err != nil {
			t.Fatal(err)
		}
		if err := pmi.MergePatients(ctx, f.trustA.Actor(crs.RoleAnalyst), referred[1], dup.ID, "the same person"); err != nil {
			t.Fatal(err)
		}
		if pats, _, err = pmi.ScanPatients(ctx, f.trustA.Actor(crs.RoleAdmin), crs.PatientScan{Limit: 1000}); err != nil {
			t.Fatal(err)
		}
		start := func(r map[string]any) string {
			if p, ok := r["period"].(map[string]any); ok {
				s, _ := p["start"].(string)
				return s
			}
			s, _ := r["start"].(string)
			return s
		}
		for _, tc := range []struct {
			typ     string
			queries []string
		}{
			{"Encounter", []string{"", "status=finished", "status=in-progress,onleave", "status=arrived", "status:not=finished", "class=EMER",
				"class=AMB&status=finished", "date=ge%s", "date=lt%s", "date=%s", "date=sa%s", "date=eb%s", "date=ap%s", "date=ge%s&date=le%s",
				"date=ge%t", "date=gt%t", "date=le%t", "date=lt%t", "date=%t", "_lastUpdated=ge2000-01-01"}},
			{"EpisodeOfCare", []string{"", "status=active", "status=finished,cancelled", "status=planned"}},
			{"Appointment", []string{"", "status=booked", "status=fulfilled,noshow", "status=entered-in-error", "date=ge%s", "date=gt%s",
				"date=le%s", "date=lt%s", "date=%s", "date=sa%s", "date=eb%s", "date=ap%s", "date=ge%s&status=booked",
				"date=ge%t", "date=gt%t", "date=le%t", "date=lt%t", "date=%t", "date=ap%t"}},
			{"ServiceRequest", []string{"", "status=active", "status=completed"}},
		} {
			all, _ := pageAll(t, c, tc.typ, 1000)
			day, at := "", "" // the date and the time a record starts
			for _, r := range all[len(all)/2:] {
				if s := start(r); s != "" {
					day, at = s[:10], s
					break
				}
			}
			others, _ := pageAll(t, f.b, tc.typ, 1000)
			if len(others) == 0 {
				t.Fatalf("trust B has no %s", tc.typ)
			}
			theirs := idsOf(t, tc.typ, others)
			for _, query := range tc.queries {
				query = strings.ReplaceAll(strings.ReplaceAll(query, "%s", day), "%t", at)
				q := tc.typ
				if query != "" {
					q += "?" + query
				}
				t.Run(q, func(t *testing.T) {
					var want []string
					for _, p := range pats {
						found, _ := pageAll(t, c, tc.typ+"?patient=Patient/"+p.ID+"&"+query, 1000)
						ids := idsOf(t, q, found)
						slices.Sort(ids)
						want = append(want, ids...)
					}
					got, _ := pageAll(t, c, q, 3)
					if ids := idsOf(t, q, got); !slices.Equal(ids, want) {
						t.Errorf("%s found\n%v,\npatient by patient %v", q, ids, want)
					}
					for _, id := range theirs {
						if slices.Contains(want, id) {
							t.Errorf("%s: trust A found trust B's %s", q, id)
						}
					}
					sep := "?"
					if query != "" {
						sep = "&"
					}
					if n := fmt.Sprint(c.do("GET", "/fhir/"+q+sep+"_summary=count", "").json(t)["total"]); n != strconv.Itoa(len(want)) {
						t.Errorf("%s&_summary=count: %s, want %d", q, n, len(want))
					}
				})
			}
		}
		// A referral recorded while paging, of the last patient not
		// merged, is on a later page; none repeats.
		all, _ := pageAll(t, c, "ServiceRequest", 1000)
		page := c.do("GET", "/fhir/ServiceRequest?_count=3", "").json(t)
		last := pats[len(pats)-1]
		for i := len(pats) - 1; last.MergedInto != ""; i-- {
			last = pats[i]
		}
		late := &crs.Referral{PatientID: last.ID, Source: "03", ReceivedOn: crs.LocalDate(clock.Now()), Priority: crs.PriorityRoutine,
			TreatmentFunction: "100", ConsultantLed: true}
		if err := store.NewReferralService(db).RecordReferral(ctx, f.trustA.Actor(crs.RoleClerk), late); err != nil {
			t.Fatal(err)
		}
		var paged []map[string]any
		for pages := 0; ; pages++ {
			es, _ := page["entry"].([]any)
			for _, e := range es {
				paged = append(paged, e.(map[string]any)["resource"].(map[string]any))
			}
			next := nextLink(page)
			if next == "" || pages > 100 {
				break
			}
			page = c.do("GET", next, "").json(t)
		}
		want := append(idsOf(t, "ServiceRequest", all), "ServiceRequest/ref-"+late.ID)
		sameSet(t, "ServiceRequest paged while a referral was recorded", idsOf(t, "ServiceRequest", paged), want)
	})
}

// TestPatientScanRelationship: a scan of the patient index by what only
// the whole resource answers (language, kept beside the record), asked
// by a person whose role needs a legitimate relationship, reads what is
// kept only of the patients they may see, and audits no refusal of
// those it read and did not show.
func TestPatientScanRelationship(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		all, _ := fhir.ParseScopes("system/*.*")
		doctor := f.trustA.Actor(crs.RoleDoctor)
		f.server.Auth.(bearerAuth)["doctor"] = &fhir.Principal{Actor: doctor, Scopes: all}
		pid := create(t, f.a, "Patient", `{"resourceType":"Patient","identifier":[{"system":"https://example.org/other-mrn","value":"K1"}],`+
			`"name":[{"family":"Kept","given":["Ann"]}],"gender":"female","birthDate":"1970-01-01",`+
			`"communication":[{"language":{"coding":[{"system":"urn:ietf:bcp:47","code":"cy"}]}}]}`)
		// The records of the patient's trail (AuditEvent, as a privacy
		// officer reads it) that are refusals.
		refusals := func() (n int) {
			if err := db.Flush(t.Context()); err != nil {
				t.Fatal(err)
			}
			var b struct {
				Entry []struct{ Resource map[string]any }
			}
			json.Unmarshal(f.a.do("GET", "/fhir/AuditEvent?patient=Patient/"+pid+"&_count=1000", "").body, &b)
			for _, e := range b.Entry {
				if strings.Contains(fmt.Sprint(e.Resource["subtype"]), crs.AuditRefused) || strings.Contains(fmt.Sprint(e.Resource["outcomeDesc"]), "relationship") {
					n++
				}
			}
			return n
		}
		c := &client{t, f.base, "doctor"}
		found := func() string {
			r := c.do("GET", "/fhir/Patient?language=cy", "")
			if r.status != 200 {
				t.Fatalf("Patient?language=cy: %d %s", r.status, r.body)
			}
			return entryIDs(t, r)
		}
		before := refusals()
		if got := found(); got != "" {
			t.Errorf("a doctor without a relationship finds %q by what is kept beside the record, want none", got)
		}
		if got := refusals(); got != before {
			t.Errorf("the patient the scan read and did not show has %d refusals audited, want %d as before", got, before)
		}
		storetest.Relate(t, db, doctor, pid)
		if got := found(); got != "Patient/"+pid {
			t.Errorf("a doctor with a relationship finds %q, want Patient/%s", got, pid)
		}
	})
}
