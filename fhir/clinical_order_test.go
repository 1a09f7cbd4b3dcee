package fhir_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// clinicalFixture is a trust with one patient, the resource store's
// services over it and the FHIR API serving them.
type clinicalFixture struct {
	trust   *storetest.Trust
	patient *crs.Patient
	orders  *fhir.OrderService
	api     *client
}

func startClinical(t *testing.T, db *store.DB) *clinicalFixture {
	t.Helper()
	tr := storetest.NewTrust(t, db, "RCL")
	p := &crs.Patient{GivenName: "Ada", FamilyName: "Clinical", BirthDate: crs.NewDate(1970, 5, 1), NHSNumber: "9990000018"}
	if err := store.NewPatientService(db).RegisterPatient(context.Background(), tr.Actor(crs.RoleClerk), p); err != nil {
		t.Fatal(err)
	}
	storetest.Relate(t, db, tr.Actor(crs.RoleDoctor), p.ID)
	storetest.Relate(t, db, tr.Actor(crs.RoleNurse), p.ID)
	all, _ := fhir.ParseScopes("system/*.*")
	res := store.NewResourceService(db)
	s := &fhir.Server{Store: db, Resources: res, Auth: bearerAuth{"c": {Actor: tr.Actor(crs.RoleInterface), Scopes: all}}}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &clinicalFixture{trust: tr, patient: p, orders: &fhir.OrderService{Store: db, Resources: res}, api: &client{t, srv.URL, "c"}}
}

var testCatalogue = []crs.OrderableTest{
	{Code: "FBC", Name: "Full blood count", Kind: crs.TestPathology, Specimen: "Blood (EDTA)", Destination: "Pathology LIMS"},
	{Code: "CXR", Name: "Chest X-ray", Kind: crs.TestRadiology, Destination: "Radiology RIS"},
	{Code: "UE", Name: "Urea and electrolytes", Kind: crs.TestPathology, Specimen: "Blood (serum)", Destination: "Pathology LIMS"},
}

// TestOrders loads a catalogue, places and cancels orders and reads them
// back through the service and over /fhir by patient, code and date.
func TestOrders(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startClinical(t, db)
		ctx := context.Background()
		doctor, clerk := f.trust.Actor(crs.RoleDoctor), f.trust.Actor(crs.RoleClerk)
		n, err := f.orders.LoadCatalogue(ctx, f.trust.System, testCatalogue)
		if err != nil || n != 3 {
			t.Fatalf("load catalogue: %d, %v; want 3", n, err)
		}
		// Loading it again changes nothing; leaving a test out withdraws it.
		if n, err := f.orders.LoadCatalogue(ctx, f.trust.System, testCatalogue); err != nil || n != 0 {
			t.Fatalf("load again: %d, %v; want 0", n, err)
		}
		if n, err := f.orders.LoadCatalogue(ctx, f.trust.System, testCatalogue[:2]); err != nil || n != 1 {
			t.Fatalf("load without UE: %d, %v; want 1", n, err)
		}
		cat, err := f.orders.Catalogue(ctx, doctor)
		if err != nil || len(cat) != 2 || cat[0].Code != "CXR" || cat[1].Specimen != "Blood (EDTA)" {
			t.Fatalf("catalogue: %+v, %v", cat, err)
		}

		tests := []struct {
			name  string
			actor crs.Actor
			order crs.Order
			code  string // the error's code, "" for none
			field string
		}{
			{"a clerk cannot order", clerk, crs.Order{Test: crs.OrderableTest{Code: "FBC"}, ClinicalDetails: "x", Priority: "routine"}, crs.EFORBIDDEN, ""},
			{"no clinical details", doctor, crs.Order{Test: crs.OrderableTest{Code: "FBC"}, Priority: "routine"}, crs.EINVALID, "clinical_details"},
			{"unknown priority", doctor, crs.Order{Test: crs.OrderableTest{Code: "FBC"}, ClinicalDetails: "x", Priority: "soon"}, crs.EINVALID, "priority"},
			{"withdrawn test", doctor, crs.Order{Test: crs.OrderableTest{Code: "UE"}, ClinicalDetails: "x", Priority: "routine"}, crs.EINVALID, "test"},
			{"full blood count", doctor, crs.Order{Test: crs.OrderableTest{Code: "fbc"}, ClinicalDetails: "Tired, pale", Priority: "urgent"}, "", ""},
			{"chest X-ray", doctor, crs.Order{Test: crs.OrderableTest{Code: "CXR"}, ClinicalDetails: "Cough 3 weeks", Priority: "routine"}, "", ""},
		}
		var placed []*crs.Order
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				o := tc.order
				o.PatientID = f.patient.ID
				err := f.orders.PlaceOrder(ctx, tc.actor, &o)
				if crs.ErrorCode(err) != tc.code || (tc.field != "" && crs.FieldErrors(err)[tc.field] == "") {
					t.Fatalf("place: %v (field %q); want code %q on field %q", err, crs.FieldErrors(err), tc.code, tc.field)
				}
				if err == nil {
					if o.PlacerNumber == "" || o.Status != crs.OrderPlaced || o.Test.Destination == "" {
						t.Errorf("placed order: %+v", o)
					}
					placed = append(placed, &o)
				}
			})
		}
		if len(placed) != 2 || placed[0].PlacerNumber == placed[1].PlacerNumber {
			t.Fatalf("placed: %+v", placed)
		}
		if err := f.orders.CancelOrder(ctx, doctor, placed[1].ID, ""); crs.ErrorCode(err) != crs.EINVALID {
			t.Errorf("cancel without a reason: %v", err)
		}
		if err := f.orders.CancelOrder(ctx, doctor, placed[1].ID, "Done elsewhere"); err != nil {
			t.Fatal(err)
		}
		if err := f.orders.CancelOrder(ctx, doctor, placed[1].ID, "Again"); crs.ErrorCode(err) != crs.ECONFLICT {
			t.Errorf("cancel twice: %v, want ECONFLICT", err)
		}
		list, err := f.orders.PatientOrders(ctx, doctor, f.patient.ID)
		if err != nil || len(list) != 2 {
			t.Fatalf("patient orders: %d, %v", len(list), err)
		}
		got, err := f.orders.GetOrder(ctx, doctor, placed[1].ID)
		if err != nil || got.Status != crs.OrderCancelled || got.CancelReason != "Done elsewhere" || got.Version != 2 || got.Test.Kind != crs.TestRadiology {
			t.Errorf("cancelled order: %+v, %v", got, err)
		}
		if _, err := f.orders.PatientOrders(ctx, clerk, f.patient.ID); crs.ErrorCode(err) != crs.EFORBIDDEN {
			t.Errorf("clerk reads orders: %v, want EFORBIDDEN", err)
		}

		// Over /fhir: by patient, code, date and placer number.
		for _, q := range []struct {
			query string
			want  int
		}{
			{"subject=Patient/" + f.patient.ID, 2},
			{"patient=" + f.patient.ID + "&code=" + fhir.TestCatalogueSystem + "|FBC", 1},
			{"authored=" + clock.Now().Format("2006-01-02"), 2},
			{"authored=lt2000-01-01", 0},
			{"identifier=" + fhir.PlacerOrderSystem + "|" + placed[0].PlacerNumber, 1},
			{"status=revoked", 1},
		} {
			r := f.api.do("GET", "/fhir/ServiceRequest?"+q.query, "")
			if n := entryCount(t, r); r.status != 200 || n != q.want {
				t.Errorf("GET /ServiceRequest?%s: %d, %d found, want %d", q.query, r.status, n, q.want)
			}
		}
		r := f.api.do("GET", "/fhir/ServiceRequest/"+placed[0].ID, "")
		if r.status != 200 || !strings.Contains(string(r.body), `"priority":"urgent"`) || !strings.Contains(string(r.body), "Tired, pale") {
			t.Errorf("read ServiceRequest: %d %s", r.status, r.body)
		}
		if r := f.api.do("GET", "/fhir/ActivityDefinition?url="+fhir.TestCatalogueSystem+"&status=active", ""); entryCount(t, r) != 2 {
			t.Errorf("catalogue over /fhir: %d found, want 2", entryCount(t, r))
		}
	})
}

// entryCount counts the entries of a search's Bundle.
func entryCount(t *testing.T, r response) int {
	t.Helper()
	return len(entries(r.json(t)))
}

// TestReadOrderCatalogue checks a catalogue file is read, or refused
// with every problem at its line.
func TestReadOrderCatalogue(t *testing.T) {
	tests := []struct {
		name, csv string
		want      int
		errs      []string
		dm01      string // the DM01 test of the first entry read
	}{
		{"good", "code,name,kind,specimen,destination\nFBC,Full blood count,pathology,Blood (EDTA),Pathology LIMS\ncxr,Chest X-ray,Radiology,,Radiology RIS\n", 2, nil, ""},
		{"no destination column", "code,name,kind,specimen\nFBC,Full blood count,pathology,Blood,\n", 0, []string{`cat.csv:1: the header has no "destination" column`}, ""},
		{"bad rows", "code,name,kind,specimen,destination\nFBC,Full blood count,pathology,Blood,LIMS\nXR,,imaging,,RIS\nFBC,Again,pathology,Blood,LIMS\nUE,U and E,pathology,,LIMS\n", 0,
			[]string{"cat.csv:3: name:", "cat.csv:3: kind:", "cat.csv:4: code FBC is already on line 2", "cat.csv:5: specimen:"}, ""},
		{"dm01 tests named", "code,name,kind,specimen,destination,dm01_test\nMRIH,MRI head,radiology,,Radiology RIS,mri\nFBC,Full blood count,pathology,Blood,LIMS,\n", 2, nil, "MRI"},
		{"dm01 test unknown", "code,name,kind,specimen,destination,dm01_test\nMRIH,MRI head,radiology,,Radiology RIS,MRI\nXR,Knee X-ray,radiology,,RIS,XRAY\n", 0,
			[]string{`cat.csv:3: dm01_test: DM01 test "XRAY" is not one of the DM01 tests`}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := crs.ReadOrderCatalogue(strings.NewReader(tc.csv), "cat.csv")
			if len(got) != tc.want {
				t.Errorf("read %d tests, want %d", len(got), tc.want)
			}
			if len(got) > 0 && got[0].DM01Test != tc.dm01 {
				t.Errorf("first entry's DM01 test %q, want %q", got[0].DM01Test, tc.dm01)
			}
			if (err != nil) != (len(tc.errs) > 0) {
				t.Fatalf("error %v, want %v", err, tc.errs)
			}
			for _, e := range tc.errs {
				if !strings.Contains(err.Error(), e) {
					t.Errorf("error %q does not say %q", err, e)
				}
			}
		})
	}
}

// BenchmarkPlaceOrder places orders on SQLite: the ServiceRequest, its
// index rows, event and audit record in one transaction (no feed hook).
func BenchmarkPlaceOrder(b *testing.B) {
	clock := crs.NewFixedClock(storetest.Epoch)
	db := storetest.OpenSQLite(b, clock)
	tr := storetest.NewTrust(b, db, "RBO")
	ctx := context.Background()
	p := &crs.Patient{GivenName: "Ben", FamilyName: "Mark", BirthDate: crs.NewDate(1970, 1, 1), NHSNumber: "9990000018"}
	if err := store.NewPatientService(db).RegisterPatient(ctx, tr.Actor(crs.RoleClerk), p); err != nil {
		b.Fatal(err)
	}
	orders := &fhir.OrderService{Store: db, Resources: store.NewResourceService(db)}
	if _, err := orders.LoadCatalogue(ctx, tr.System, testCatalogue); err != nil {
		b.Fatal(err)
	}
	doctor := tr.Actor(crs.RoleDoctor)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		clock.Advance(time.Millisecond)
		o := &crs.Order{PatientID: p.ID, Test: crs.OrderableTest{Code: "FBC"}, ClinicalDetails: "Pale", Priority: crs.OrderRoutine}
		if err := orders.PlaceOrder(ctx, doctor, o); err != nil {
			b.Fatal(err)
		}
	}
}
