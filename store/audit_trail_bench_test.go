package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// BenchmarkPatientAccess times the privacy officer's reading of one
// patient's access trail (PatientAccess: the patient's own records, the
// bulk load's record that registered them and the lists that named
// them) in a trust whose audit holds 2,000 bulk-loaded patients, 200,000
// records of views spread over them and 20,000 lists of 20 patients
// each: a trail of about 100 views and 200 lists. Set
// CRS_BENCH_POSTGRES to run it on PostgreSQL.
func BenchmarkPatientAccess(b *testing.B) {
	ctx := context.Background()
	db := storetest.OpenBench(b)
	tr := storetest.NewTrust(b, db, "RAT")
	clerk, privacy := tr.Actor(crs.RoleClerk), tr.Actor(crs.RolePrivacyOfficer)
	ps := make([]*crs.Patient, 2000)
	for i := range ps {
		ps[i] = &crs.Patient{FamilyName: fmt.Sprintf("Trail%04d", i), GivenName: "Ann", BirthDate: crs.NewDate(1950+i%50, time.Month(1+i%12), 1+i%28), Gender: "2"}
	}
	if _, err := db.LoadPatients(ctx, clerk, ps, crs.LoadOptions{}); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 200000; i++ {
		db.Audit(clerk, ps[(i*7919)%len(ps)].ID, crs.AuditView, "demographics")
	}
	ids := make([]string, 20)
	for i := 0; i < 20000; i++ {
		for j := range ids {
			ids[j] = ps[(i*31+j*101)%len(ps)].ID
		}
		db.RecordListed(clerk, ids, "patient search")
	}
	if err := db.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	as := store.NewAuditService(db)
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		recs, err := as.PatientAccess(ctx, privacy, ps[(i*37)%len(ps)].ID)
		if err != nil {
			b.Fatal(err)
		}
		n += len(recs)
	}
	b.ReportMetric(float64(n)/float64(b.N), "records/op")
}
