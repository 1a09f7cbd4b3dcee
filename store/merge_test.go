package store_test

import (
	"context"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// patientIDTables lists the tables of the live schema that have a
// patient_id column.
func patientIDTables(t *testing.T, db *store.DB) []string {
	t.Helper()
	q := `SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) c WHERE m.type = 'table' AND c.name = 'patient_id'`
	if db.Dialect() == "postgres" {
		q = `SELECT c.table_name FROM information_schema.columns c JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
			WHERE c.table_schema = current_schema() AND c.column_name = 'patient_id' AND t.table_type = 'BASE TABLE'`
	}
	rows, err := db.Reader().QueryContext(context.Background(), q)
	if err != nil {
		t.Fatalf("list tables with patient_id: %v", err)
	}
	defer rows.Close()
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatalf("scan table name: %v", err)
		}
		tables = append(tables, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("list tables with patient_id: %v", err)
	}
	sort.Strings(tables)
	return tables
}

// unlisted returns the tables with a patient_id column that the merge
// neither moves nor deliberately leaves out.
func unlisted(tables []string) []string {
	var out []string
	for _, table := range tables {
		if _, left := store.PatientTablesLeftOut[table]; !left && !slices.Contains(store.PatientTables, table) {
			out = append(out, table)
		}
	}
	return out
}

// TestPatientTablesListed keeps merges whole: a table that holds rows of
// a patient must either move with the record on merge (and back on
// unmerge) or be left out on purpose, with the reason written down.
func TestPatientTablesListed(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		tables := patientIDTables(t, db)
		if len(tables) == 0 {
			t.Fatal("found no table with a patient_id column; the schema query reads nothing")
		}
		for _, table := range unlisted(tables) {
			t.Errorf("table %s has a patient_id column but is neither in store's patientTables (moved on merge) nor in patientTablesLeftOut (with the reason)", table)
		}
		for _, table := range store.PatientTables {
			if !slices.Contains(tables, table) {
				t.Errorf("patientTables lists %s, which has no patient_id column", table)
			}
			if _, left := store.PatientTablesLeftOut[table]; left {
				t.Errorf("table %s is both moved on merge and left out", table)
			}
		}
		for table, why := range store.PatientTablesLeftOut {
			if !slices.Contains(tables, table) {
				t.Errorf("patientTablesLeftOut lists %s, which has no patient_id column", table)
			}
			if why == "" {
				t.Errorf("table %s is left out of merges without a reason", table)
			}
		}

		t.Run("a new table with a patient_id column is caught", func(t *testing.T) {
			if err := db.ExecSchema(context.Background(), `CREATE TABLE allergies (id TEXT PRIMARY KEY, org_id TEXT NOT NULL, patient_id TEXT NOT NULL)`); err != nil {
				t.Fatalf("create table: %v", err)
			}
			if got := unlisted(patientIDTables(t, db)); !slices.Equal(got, []string{"allergies"}) {
				t.Errorf("unlisted tables = %v, want [allergies]", got)
			}
		})
	})
}

// resourcesNaming lists the current resources of the trust, other than
// the patient's own Patient resource, that still name the patient: by a
// reference in the search index, as the patient they are about, or by a
// reference in their JSON.
func resourcesNaming(t *testing.T, db *store.DB, orgID, patientID string) []string {
	t.Helper()
	rows, err := db.Reader().QueryContext(context.Background(), `SELECT c.type, c.id FROM fhir_index x JOIN fhir_current c ON c.rid = x.rid
		WHERE c.org_id = $1 AND x.system = 'Patient' AND x.code = $2
		UNION SELECT type, id FROM fhir_current WHERE org_id = $1 AND deleted = 0 AND (patient_id = $3 OR body LIKE $4)
		ORDER BY 1, 2`, orgID, "Patient/"+patientID, patientID, `%Patient/`+patientID+`%`)
	if err != nil {
		t.Fatalf("find resources naming %s: %v", patientID, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var typ, id string
		if err := rows.Scan(&typ, &id); err != nil {
			t.Fatal(err)
		}
		if typ != "Patient" || id != patientID {
			out = append(out, typ+"/"+id)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMergeMovesResources keeps the clinical record with the patient: a
// merge leaves no resource of the resource store naming the merged-away
// record (an allergy hidden by a merge is a safety failure), the history
// keeps the versions as written, and an unmerge moves back what the
// merge moved and nothing recorded since.
func TestMergeMovesResources(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RMR")
		clerk, doctor := tr.Actor(crs.RoleClerk), tr.Actor(crs.RoleDoctor)
		pmi, svc := store.NewPatientService(db), store.NewResourceService(db)
		major := newPatient("Keep", "Kim", crs.NewDate(1960, 5, 1), "", "", "2")
		minor := newPatient("Keep", "Kimberley", crs.NewDate(1960, 5, 1), "", "", "2")
		for _, p := range []*crs.Patient{major, minor} {
			if err := pmi.RegisterPatient(ctx, clerk, p); err != nil {
				t.Fatal(err)
			}
			storetest.Relate(t, db, doctor, p.ID)
		}
		put := func(typ, id string, version int, patientID, body string, rows ...crs.ResourceIndexRow) {
			t.Helper()
			r := &crs.Resource{Type: typ, ID: id, Version: version, PatientID: patientID, Body: []byte(body)}
			if err := db.Write(ctx, doctor, crs.ActRecordClinical, func(tx crs.Tx) error { return tx.PutResource(r, rows) }); err != nil {
				t.Fatalf("put %s/%s: %v", typ, id, err)
			}
		}
		ref := func(param, patientID string) crs.ResourceIndexRow {
			return crs.ResourceIndexRow{Param: param, System: "Patient", Code: "Patient/" + patientID, Text: patientID}
		}
		peanut := crs.ResourceIndexRow{Param: "code", System: "http://snomed.info/sct", Code: "91935009"}
		put("AllergyIntolerance", "a1", 1, minor.ID,
			`{"code":{"text":"Peanut < nuts"},"id":"a1","meta":{"lastUpdated":"2024-01-01T00:00:00.000Z","versionId":"1"},"patient":{"reference":"Patient/`+minor.ID+`"},"resourceType":"AllergyIntolerance"}`,
			ref("patient", minor.ID), peanut)
		put("Observation", "o1", 1, minor.ID,
			`{"id":"o1","meta":{"versionId":"1"},"resourceType":"Observation","subject":{"reference":"https://ehr.example.nhs.uk/fhir/Patient/`+minor.ID+`/_history/1"},"valueQuantity":{"value":36.60}}`,
			ref("subject", minor.ID), ref("patient", minor.ID), crs.ResourceIndexRow{Param: "date", Lo: storetest.Epoch, Hi: storetest.Epoch.Add(time.Hour)})
		put("Observation", "gone", 1, minor.ID, `{"resourceType":"Observation","subject":{"reference":"Patient/`+minor.ID+`"}}`, ref("subject", minor.ID))
		put("Observation", "gone", 2, minor.ID, `{"resourceType":"Observation","subject":{"reference":"Patient/`+minor.ID+`"}}`)
		if err := db.Write(ctx, doctor, crs.ActRecordClinical, func(tx crs.Tx) error {
			r, err := tx.GetResource("Observation", "gone")
			if err != nil {
				return err
			}
			r.Version, r.Deleted = 3, true
			return tx.PutResource(r, nil)
		}); err != nil {
			t.Fatal(err)
		}
		// What the PMI keeps beside the minor's record stays with it.
		extras := `{"id":"` + minor.ID + `","link":[{"other":{"reference":"Patient/` + minor.ID + `"}}],"resourceType":"Patient"}`
		put("Patient", minor.ID, 1, minor.ID, extras, ref("link", minor.ID))
		if got := resourcesNaming(t, db, tr.Org.ID, minor.ID); !slices.Equal(got, []string{"AllergyIntolerance/a1", "Observation/o1"}) {
			t.Fatalf("before the merge, resources naming the minor = %v", got)
		}

		clock.Advance(time.Hour)
		if err := pmi.MergePatients(ctx, tr.Actor(crs.RoleAnalyst), major.ID, minor.ID, "duplicate"); err != nil {
			t.Fatal(err)
		}
		if got := resourcesNaming(t, db, tr.Org.ID, minor.ID); len(got) != 0 {
			t.Errorf("after the merge these resources still name the merged-away record: %v", got)
		}
		all := func(patientID string) []string {
			t.Helper()
			found, _, err := svc.SearchResources(ctx, doctor, crs.ResourceQuery{RefersTo: []string{"Patient/" + patientID}, Count: 50})
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, r := range found {
				if r.PatientID != patientID {
					t.Errorf("%s/%s found by reference to %s is about %s", r.Type, r.ID, patientID, r.PatientID)
				}
				out = append(out, r.Type+"/"+r.ID)
			}
			return out
		}
		if got := all(major.ID); !slices.Equal(got, []string{"AllergyIntolerance/a1", "Observation/o1"}) {
			t.Errorf("after the merge the survivor's resources = %v", got)
		}
		a1, err := svc.ReadResource(ctx, doctor, "AllergyIntolerance", "a1", 0)
		if err != nil {
			t.Fatal(err)
		}
		want := `{"code":{"text":"Peanut < nuts"},"id":"a1","meta":{"lastUpdated":"` + clock.Now().UTC().Format("2006-01-02T15:04:05.000Z") + `","versionId":"2"},"patient":{"reference":"Patient/` + major.ID + `"},"resourceType":"AllergyIntolerance"}`
		if a1.Version != 2 || string(a1.Body) != want {
			t.Errorf("the merged allergy is version %d:\n%s\nwant\n%s", a1.Version, a1.Body, want)
		}
		o1, err := svc.ReadResource(ctx, doctor, "Observation", "o1", 0)
		if err != nil || !strings.Contains(string(o1.Body), `"reference":"https://ehr.example.nhs.uk/fhir/Patient/`+major.ID+`"`) || !strings.Contains(string(o1.Body), `"value":36.60`) {
			t.Errorf("the merged observation = %s, %v", o1.Body, err)
		}
		sys := "http://snomed.info/sct"
		byCode, _, err := svc.SearchResources(ctx, doctor, crs.ResourceQuery{Type: "AllergyIntolerance", Count: 10, All: [][]crs.ResourceCondition{{{Param: "code", Kind: "token", System: &sys, Code: "91935009"}}}})
		if err != nil || len(byCode) != 1 {
			t.Errorf("the merged allergy's other index rows were lost: %d found by code, %v", len(byCode), err)
		}
		hist, err := svc.ResourceHistory(ctx, doctor, "AllergyIntolerance", "a1", time.Time{}, "", 10)
		if err != nil || len(hist) != 2 || hist[1].PatientID != minor.ID || !strings.Contains(string(hist[1].Body), "Patient/"+minor.ID) {
			t.Errorf("the allergy's history lost the version written for the merged-away record: %v, %v", hist, err)
		}
		if extras, err := svc.ReadResource(ctx, doctor, "Patient", minor.ID, 0); err != nil || extras.Version != 1 {
			t.Errorf("the merged-away record's own Patient resource moved: %+v, %v", extras, err)
		}

		// Recorded on the survivor after the merge: stays on unmerge.
		put("Condition", "c1", 1, major.ID, `{"resourceType":"Condition","subject":{"reference":"Patient/`+major.ID+`"}}`, ref("subject", major.ID))
		clock.Advance(time.Hour)
		if err := pmi.UnmergePatient(ctx, tr.Actor(crs.RoleAnalyst), minor.ID, "not the same person"); err != nil {
			t.Fatal(err)
		}
		if got := all(minor.ID); !slices.Equal(got, []string{"AllergyIntolerance/a1", "Observation/o1", "Patient/" + minor.ID}) {
			t.Errorf("after the unmerge the first record's resources = %v", got)
		}
		if got := all(major.ID); !slices.Equal(got, []string{"Condition/c1"}) {
			t.Errorf("after the unmerge the survivor's resources = %v", got)
		}
		if a1, err := svc.ReadResource(ctx, doctor, "AllergyIntolerance", "a1", 0); err != nil || a1.Version != 3 || !strings.Contains(string(a1.Body), `"versionId":"3"`) {
			t.Errorf("the allergy moved back: %+v, %v", a1, err)
		}
	})
}
