package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// importPatients makes n valid patients; every third has an NHS number
// from the test range, starting at base.
func importPatients(n, base int) []*crs.Patient {
	out := make([]*crs.Patient, n)
	k := base
	for i := range out {
		p := &crs.Patient{FamilyName: "Import" + strings.Repeat("a", i%5), GivenName: "Pat", Gender: "2",
			BirthDate: crs.NewDate(1950+i%60, time.Month(1+i%12), 1+i%28),
			Address:   crs.Address{Lines: []string{strconv.Itoa(i) + " Mill Lane", "Bow"}, Postcode: "E3 2AB"},
			Contacts:  []crs.Contact{{Name: "Kin \"Quoted\" O'Neill", Relationship: "Son", Phone: "07700 900123"}}}
		if i%3 == 0 {
			for {
				nine := fmt.Sprintf("999%06d", k)
				k++
				if d, ok := nhs.CheckDigit(nine); ok {
					p.NHSNumber = nine + strconv.Itoa(d)
					break
				}
			}
		}
		out[i] = p
	}
	return out
}

func TestImportPatientsContract(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RIM")
		clerk := tr.Actor(crs.RoleClerk)
		ps := store.NewPatientService(db)

		t.Run("registers in batches with sequential hospital numbers, one event and audit record a batch", func(t *testing.T) {
			db.Flush(ctx)
			events, audits := count(t, db, "events", tr.Org.ID), count(t, db, "audit", tr.Org.ID)
			pats := importPatients(2500, 0)
			pats[7].MRN = "LEG123456" // a migrated record keeps its number
			var progress []int
			n, err := db.LoadPatients(ctx, clerk, pats, crs.LoadOptions{BatchSize: 1000, Progress: func(d, _ int) { progress = append(progress, d) }})
			if err != nil || n != len(pats) {
				t.Fatalf("import: %d, %v", n, err)
			}
			if diff := cmp.Diff([]int{1000, 2000, 2500}, progress); diff != "" {
				t.Errorf("progress (-want +got):\n%s", diff)
			}
			seen := map[string]bool{}
			next := 1
			for i, p := range pats {
				if p.ID == "" || p.Version != 1 || seen[p.MRN] {
					t.Fatalf("patient %d: id %q, version %d, MRN %q (seen %v)", i, p.ID, p.Version, p.MRN, seen[p.MRN])
				}
				seen[p.MRN] = true
				if i == 7 {
					if p.MRN != "LEG123456" {
						t.Errorf("migrated MRN = %q", p.MRN)
					}
					continue
				}
				if want := fmt.Sprintf("R%07d", next); p.MRN != want {
					t.Fatalf("patient %d MRN = %q, want %q", i, p.MRN, want)
				}
				next++
			}
			db.Flush(ctx)
			if got := count(t, db, "patients", tr.Org.ID); got != len(pats) {
				t.Errorf("patients = %d, want %d", got, len(pats))
			}
			if got := count(t, db, "events", tr.Org.ID) - events; got != 3 {
				t.Errorf("events appended = %d, want 3 (one a batch)", got)
			}
			if got := count(t, db, "audit", tr.Org.ID) - audits; got != 3 {
				t.Errorf("audit records appended = %d, want 3 (one a batch)", got)
			}

			// The imported record reads back as registered, and its event
			// decodes to the same patient.
			p := pats[3]
			got, err := ps.FindPatientByIdentifier(ctx, clerk, "nhs", p.NHSNumber)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(p, got); diff != "" {
				t.Errorf("read back (-imported +read):\n%s", diff)
			}
			hist, err := ps.PatientHistory(ctx, clerk, p.ID)
			if err != nil || len(hist) != 1 || hist[0].Type != crs.EventPatientsLoaded || hist[0].Username != clerk.Username ||
				hist[0].Summary != "Registered by the PMI load with 999 other patients (hospital numbers R0000001 to R0000999)" {
				t.Fatalf("history = %+v, %v", hist, err)
			}
			var data crs.PatientsLoaded
			if err := json.Unmarshal(hist[0].Data, &data); err != nil {
				t.Fatalf("event data %s: %v", hist[0].Data, err)
			}
			var want []string
			for _, q := range pats[:1000] {
				want = append(want, q.ID)
			}
			if diff := cmp.Diff(want, data.Patients); diff != "" {
				t.Errorf("the batch's event names (-first batch +event):\n%s", diff)
			}
			// A later change comes before the load in the history.
			p.Phone = "020 7946 0000"
			if err := ps.UpdatePatient(ctx, clerk, p); err != nil {
				t.Fatal(err)
			}
			if hist, err = ps.PatientHistory(ctx, clerk, p.ID); err != nil || len(hist) != 2 ||
				hist[0].Type != crs.EventPatientUpdated || hist[1].Type != crs.EventPatientsLoaded {
				t.Fatalf("history after a change = %+v, %v", hist, err)
			}
			// The patient's audit trail reaches the load's record, and the
			// record its event; another batch's patient reaches their own.
			po := tr.Actor(crs.RolePrivacyOfficer)
			for _, c := range []struct {
				p     *crs.Patient
				first string
			}{{p, "R0000001"}, {pats[2400], "R0002000"}} {
				db.Flush(ctx)
				recs, err := store.NewAuditService(db).PatientAccess(ctx, po, c.p.ID)
				if err != nil {
					t.Fatal(err)
				}
				var load *crs.AuditRecord
				for _, r := range recs {
					if r.PatientID == "" {
						if load != nil {
							t.Fatalf("two load records in %s's trail", c.p.MRN)
						}
						load = r
					}
				}
				if load == nil || load.Action != crs.AuditChange || load.What != "PMI load: 1000 patients registered" && load.What != "PMI load: 500 patients registered" {
					t.Fatalf("%s's audit trail has no load record: %+v", c.p.MRN, recs)
				}
				trail, err := store.NewAuditService(db).SearchAudit(ctx, po, crs.AuditQuery{PatientID: c.p.ID})
				if err != nil || len(trail) == 0 || trail[len(trail)-1].ID != load.ID {
					t.Fatalf("searched audit trail of %s ends %+v, %v; want the load %s", c.p.MRN, trail, err, load.ID)
				}
				evs, err := db.SubjectEvents(ctx, tr.Org.ID, "")
				if err != nil {
					t.Fatal(err)
				}
				found := false
				for _, ev := range evs {
					if ev.ID == load.EventID {
						found = strings.Contains(ev.Summary, c.first) && strings.Contains(string(ev.Data), `"`+c.p.ID+`"`)
					}
				}
				if !found {
					t.Errorf("the load record's event %s does not name %s", load.EventID, c.p.MRN)
				}
			}
			// The next single registration continues the sequence.
			one := newPatient("After", "Import", crs.NewDate(1990, 1, 1), "", "", "1")
			if err := ps.RegisterPatient(ctx, clerk, one); err != nil || one.MRN != fmt.Sprintf("R%07d", next) {
				t.Errorf("next MRN = %q, %v; want R%07d", one.MRN, err, next)
			}
		})

		t.Run("one invalid patient rejects its whole batch and is named by index", func(t *testing.T) {
			db.Flush(ctx)
			before := count(t, db, "patients", tr.Org.ID)
			events := count(t, db, "events", tr.Org.ID)
			pats := importPatients(30, 5000)
			pats[25].GivenName = ""
			pats[25].Address.Postcode = "NOTAPC"
			n, err := db.LoadPatients(ctx, clerk, pats, crs.LoadOptions{BatchSize: 20})
			if n != 20 {
				t.Errorf("registered %d, want the first batch of 20", n)
			}
			if crs.ErrorCode(err) != crs.EINVALID || !strings.Contains(err.Error(), "index 25") {
				t.Fatalf("err = %v, want EINVALID naming index 25", err)
			}
			if fe := crs.FieldErrors(err); fe["given_name"] == "" || fe["postcode"] == "" {
				t.Errorf("field errors = %v", fe)
			}
			db.Flush(ctx)
			if got := count(t, db, "patients", tr.Org.ID) - before; got != 20 {
				t.Errorf("patients added = %d, want 20", got)
			}
			if got := count(t, db, "events", tr.Org.ID) - events; got != 1 {
				t.Errorf("events added = %d, want 1 (the first batch's)", got)
			}
		})

		t.Run("NHS and hospital numbers already held are refused", func(t *testing.T) {
			held := importPatients(1, 0)[0] // same NHS number as the first import's patient 0
			if err := store.ImportPatients(ctx, db, clerk, []*crs.Patient{importPatients(1, 90000)[0], held}); crs.ErrorCode(err) != crs.ECONFLICT || !strings.Contains(err.Error(), "index 1") || !strings.Contains(err.Error(), "R0000001") {
				t.Errorf("held NHS number: %v", err)
			}
			twice := importPatients(4, 91000)
			twice[3].NHSNumber = twice[0].NHSNumber
			if err := store.ImportPatients(ctx, db, clerk, twice); crs.ErrorCode(err) != crs.ECONFLICT || !strings.Contains(err.Error(), "index 3") || !strings.Contains(err.Error(), "index 0") {
				t.Errorf("NHS number twice in a batch: %v", err)
			}
			mrn := importPatients(2, 92000)
			mrn[1].MRN = "leg123456"
			if err := store.ImportPatients(ctx, db, clerk, mrn); crs.ErrorCode(err) != crs.EINVALID || !strings.Contains(err.Error(), "index 1") || !strings.Contains(err.Error(), "LEG123456") {
				t.Errorf("held MRN: %v", err)
			}
		})

		t.Run("the actor must be allowed to register", func(t *testing.T) {
			err := store.ImportPatients(ctx, db, tr.Actor(crs.RoleNurse), importPatients(1, 93000))
			if crs.ErrorCode(err) != crs.EFORBIDDEN {
				t.Errorf("nurse import: %v, want EFORBIDDEN", err)
			}
		})
	})
}

// BenchmarkImportPatients registers patients in batches of the default
// size into a fresh database; ns/op is per patient.
func BenchmarkImportPatients(b *testing.B) {
	ctx := context.Background()
	db := storetest.OpenSQLite(b, nil)
	tr := storetest.NewTrust(b, db, "RBM")
	pats := importPatients(b.N, 0)
	for _, p := range pats {
		p.NHSNumber = "" // the test range is too small for large b.N
	}
	b.ReportAllocs()
	b.ResetTimer()
	if err := store.ImportPatients(ctx, db, tr.System, pats); err != nil {
		b.Fatal(err)
	}
}
