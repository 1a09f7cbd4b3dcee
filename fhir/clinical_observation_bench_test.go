package fhir_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/news2"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// benchWard is a trust of 30 inpatients, each with 3 sets of
// observations recorded, on SQLite (PostgreSQL with
// CRS_BENCH_POSTGRES=1).
func benchWard(b *testing.B) (*fhir.ObservationService, crs.Actor, []string) {
	var db *store.DB
	if os.Getenv("CRS_BENCH_POSTGRES") != "" {
		db = storetest.OpenPostgres(b, nil)
	} else {
		db = storetest.OpenSQLite(b, nil)
	}
	ctx := context.Background()
	tr := storetest.NewTrust(b, db, "RBO")
	s := &fhir.ObservationService{Store: db, Resources: store.NewResourceService(db)}
	nurse := tr.Actor(crs.RoleNurse)
	ps := store.NewPatientService(db)
	var ids []string
	for i := 0; i < 30; i++ {
		p := &crs.Patient{FamilyName: fmt.Sprintf("BENCH%02d", i), GivenName: "Ward", BirthDate: crs.NewDate(1950, 1, 1+i%28), Gender: "1",
			Address: crs.Address{Lines: []string{"1 High Street"}, Postcode: "E1 6AN"}}
		if err := ps.RegisterPatient(ctx, tr.Actor(crs.RoleClerk), p); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, p.ID)
		for k := 0; k < 3; k++ {
			if err := s.RecordVitalSigns(ctx, nurse, benchSet(p.ID, db.Now().Add(-time.Duration(3-k)*4*time.Hour))); err != nil {
				b.Fatal(err)
			}
		}
	}
	return s, nurse, ids
}

func benchSet(pid string, at time.Time) *crs.VitalSigns {
	rr, spo2, sys, pulse, temp, o2 := 21, 95, 118, 96, 38.2, false
	return &crs.VitalSigns{PatientID: pid, EffectiveAt: at, RespirationRate: &rr, SpO2: &spo2, OnOxygen: &o2, Systolic: &sys,
		Pulse: &pulse, Consciousness: news2.Alert, Temperature: &temp}
}

// BenchmarkRecordVitalSigns records complete sets one after another:
// 8 Observations and the patient's SpO2 scale read per set, in one
// command.
func BenchmarkRecordVitalSigns(b *testing.B) {
	s, nurse, ids := benchWard(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.RecordVitalSigns(ctx, nurse, benchSet(ids[i%len(ids)], time.Now().Add(-time.Minute))); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sets/s")
}

// BenchmarkWardNEWS2 reads a 30-patient ward's latest NEWS2 scores, as
// the ward clinical board does on every load.
func BenchmarkWardNEWS2(b *testing.B) {
	s, nurse, ids := benchWard(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		got, err := s.LatestNEWS2(ctx, nurse, ids)
		if err != nil || len(got) != len(ids) {
			b.Fatalf("%d of %d, %v", len(got), len(ids), err)
		}
	}
}
