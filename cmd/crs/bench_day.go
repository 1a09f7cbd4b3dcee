package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/bench"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/store"
)

// dayOptions are the flags of `crs bench day`.
type dayOptions struct {
	dsn       string
	keep      bool
	staff     int
	patients  int
	bench     bench.DayOptions
	logger    *slog.Logger
	result    *bench.DayResult // the figures, once run (for tests)
	setUpTime time.Duration
}

// dayFlags declares the flags of `crs bench day` on fs.
func dayFlags(fs *flag.FlagSet, logger *slog.Logger) *dayOptions {
	o := &dayOptions{logger: logger, bench: bench.DayOptions{Logger: logger}}
	fs.StringVar(&o.dsn, "db", "", "database: sqlite:PATH or postgres://... (a fresh schema is made in it); default a new SQLite file in a temporary folder")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary SQLite file or the PostgreSQL schema")
	fs.IntVar(&o.staff, "staff", 2000, "logged-in staff, each with a session of their own: clerks, nurses and doctors")
	fs.IntVar(&o.patients, "patients", 100000, "patients of each demo trust")
	fs.Float64Var(&o.bench.FeedRate, "feed-rate", 200, "inbound ADT messages a second over MLLP, sent on schedule (0 for none)")
	fs.IntVar(&o.bench.FeedConns, "feed-conns", 8, "MLLP connections the feed is spread over")
	fs.DurationVar(&o.bench.Duration, "duration", time.Minute, "how long the busy hour is simulated")
	fs.DurationVar(&o.bench.Think, "think", 30*time.Second, "mean think time between one action of a member of staff and the next")
	fs.Int64Var(&o.bench.Seed, "seed", 1, "chooses the actions, patients and think times")
	fs.StringVar(&o.bench.Trace, "trace", "", "write an execution trace of the measured time to this file (go tool trace)")
	fs.StringVar(&o.bench.MutexProfile, "mutexprofile", "", "write a mutex contention profile of the measured time to this file")
	fs.StringVar(&o.bench.BlockProfile, "blockprofile", "", "write a blocking profile of the measured time to this file")
	return o
}

// benchDay seeds a demo trust of o.patients patients with a patient
// journey and o.staff staff, starts the web server and MLLP listener on
// 127.0.0.1 as `crs serve` does, and runs the day bench against them.
func benchDay(ctx context.Context, stdout io.Writer, o *dayOptions) error {
	if o.staff < 1 || o.patients < 1 {
		return fmt.Errorf("%w: --staff %d, --patients %d: both must be at least 1", errUsage, o.staff, o.patients)
	}
	if o.bench.FeedRate == 0 {
		o.bench.FeedRate = -1 // none
	}
	log := o.logger
	t0 := time.Now()
	dsn, cleanup, err := dayDatabase(ctx, o.dsn, o.keep, stdout)
	if err != nil {
		return err
	}
	defer cleanup()
	a, err := openApp(ctx, dsn, log)
	if err != nil {
		return err
	}
	defer a.Close()

	seeded, err := demo.Seed(ctx, a.demoServices(), demo.Options{Patients: o.patients, Seed: 1, Logger: log})
	if err != nil {
		return fmt.Errorf("seed demo data: %w", err)
	}
	tr := seeded.Trusts[0]
	org := tr.Org
	sys := crs.SystemActor(org.ID)
	if n, err := store.CountReferrals(ctx, a.db, org.ID); err != nil {
		return err
	} else if n == 0 {
		// Enough of every stage of the journey for the staff's hour.
		jo := demo.JourneyOptions{Seed: 1, Referrals: max(200, 3*o.staff), ClinicWeeks: 16}
		if err := demo.SeedJourney(ctx, journeyServices(a.db), sys, jo); err != nil {
			return fmt.Errorf("seed the patient journey of %s: %w", org.ODSCode, err)
		}
	}
	if ifaces, err := a.db.FindInterfaces(ctx, org.ID); err != nil {
		return err
	} else if len(ifaces) == 0 {
		if err := addDemoInterface(ctx, a, org); err != nil {
			return fmt.Errorf("add the demo HL7 interface of %s: %w", org.ODSCode, err)
		}
	}
	staff, err := dayStaff(ctx, a, sys, o.staff)
	if err != nil {
		return err
	}
	trust, err := dayTrust(ctx, a, org, sys, max(2000, 3*o.staff))
	if err != nil {
		return err
	}
	trust.Staff = staff
	for _, t := range seeded.Trusts {
		trust.NHSUsed += t.Patients
	}
	o.setUpTime = time.Since(t0)
	log.Info("day bench: set up", "elapsed", o.setUpTime.Round(time.Millisecond))

	srvCtx, stop := context.WithCancel(ctx)
	defer stop()
	ready := make(chan [2]string, 1)
	served := make(chan error, 1)
	go func() {
		served <- a.serve(srvCtx, serveOptions{httpAddr: "127.0.0.1:0", mllpAddr: "127.0.0.1:0", ready: func(h, m string) { ready <- [2]string{h, m} }})
	}()
	select {
	case addrs := <-ready:
		trust.BaseURL, trust.MLLPAddr = "http://"+addrs[0], addrs[1]
	case err := <-served:
		return err
	}
	o.bench.Header = []string{
		fmt.Sprintf("a large trust's busy hour: %s, %d CPUs, %s/%s, %s", a.db.Dialect(), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version()),
		"reproduce: " + dayCommand(o),
		fmt.Sprintf("trust %s: %d patients (%d in the other demo trust), %d referrals to book, %d outcomes to record, %d inpatients; set up in %s",
			org.ODSCode, tr.Patients, seeded.Trusts[len(seeded.Trusts)-1].Patients, len(trust.ToBook), len(trust.ToOutcome), len(trust.Spells), o.setUpTime.Round(time.Second)),
	}
	var writes bench.WriteTimes
	o.bench.OnMeasure = func() { a.db.TimeWrites(writes.Add) }
	res, err := bench.Day(ctx, stdout, trust, o.bench)
	a.db.TimeWrites(nil)
	o.result = res
	writes.Print(stdout)
	stop()
	if serr := <-served; err == nil {
		err = serr
	}
	return err
}

// dayCommand is the command line that reproduces a run.
func dayCommand(o *dayOptions) string {
	c := fmt.Sprintf("crs bench day --staff %d --patients %d --feed-rate %g --duration %s --think %s", o.staff, o.patients, max(o.bench.FeedRate, 0), o.bench.Duration, o.bench.Think)
	if o.dsn != "" {
		db := o.dsn
		if u, err := url.Parse(db); err == nil && u.User != nil {
			u.User = url.User(u.User.Username())
			db = u.String()
		}
		c += " --db " + db
	}
	return c
}

// dayDatabase gives the bench its database: a new SQLite file in a
// temporary folder when dsn is "", a fresh schema in a PostgreSQL
// database (so the bench can be run again), or the SQLite file named.
// The cleanup removes what was made, unless keep.
func dayDatabase(ctx context.Context, dsn string, keep bool, stdout io.Writer) (string, func(), error) {
	switch {
	case dsn == "":
		dir, err := os.MkdirTemp("", "crs-bench-day-")
		if err != nil {
			return "", nil, err
		}
		path := filepath.Join(dir, "day.db")
		if keep {
			fmt.Fprintf(stdout, "database kept in %s\n", path)
			return "sqlite:" + path, func() {}, nil
		}
		return "sqlite:" + path, func() { os.RemoveAll(dir) }, nil
	case strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://"):
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		schema := "bench_day_" + hex.EncodeToString(b)
		admin, err := sql.Open("pgx", dsn)
		if err != nil {
			return "", nil, err
		}
		if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
			admin.Close()
			return "", nil, fmt.Errorf("create schema %s: %w", schema, err)
		}
		u, err := url.Parse(dsn)
		if err != nil {
			admin.Close()
			return "", nil, fmt.Errorf("--db: %w", err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		if keep {
			admin.Close()
			fmt.Fprintf(stdout, "schema %s kept\n", schema)
			return u.String(), func() {}, nil
		}
		return u.String(), func() {
			admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
			admin.Close()
		}, nil
	}
	return dsn, func() {}, nil
}

// dayStaff makes (or finds) n members of staff of the trust: four in ten
// clerks, a third nurses, the rest doctors, each with a login of their
// own, named day.ROLE.NNNN.
func dayStaff(ctx context.Context, a *app, sys crs.Actor, n int) ([]bench.DayStaff, error) {
	existing, err := a.users.FindUsers(ctx, sys)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, u := range existing {
		have[u.Username] = true
	}
	roles := map[byte]crs.Role{'C': crs.RoleClerk, 'N': crs.RoleNurse, 'D': crs.RoleDoctor}
	out := make([]bench.DayStaff, n)
	for i := range out {
		role := roles["CNDCNCDNCNCDNCDCNCND"[i%20]] // 8 clerks, 7 nurses, 5 doctors in 20, mixed
		out[i] = bench.DayStaff{Username: fmt.Sprintf("day.%s.%04d", role, i+1), Password: demo.Password, Role: role}
	}
	// A password hash is meant to be slow: as many at once as there are
	// CPUs.
	next := make(chan int)
	errs := make([]error, runtime.NumCPU())
	var wg sync.WaitGroup
	for w := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				s := out[i]
				if errs[w] != nil || have[s.Username] {
					continue
				}
				u := &crs.User{Username: s.Username, Name: fmt.Sprintf("Day %s %d (bench)", s.Role.Name(), i+1), Role: s.Role}
				errs[w] = a.users.CreateUser(ctx, sys, u, s.Password)
			}
		}()
	}
	t0 := time.Now()
	for i := range out {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("add bench staff: %w", err)
		}
	}
	a.logger.Info("day bench: staff ready", "staff", n, "elapsed", time.Since(t0).Round(time.Millisecond))
	return out, nil
}

// dayTrust reads what the staff work on: up to n sample patients not in
// hospital (chosen at random by hospital number), the referrals to book,
// the attended appointments awaiting their outcome, the inpatients, the
// outpatient services and the wards.
func dayTrust(ctx context.Context, a *app, org *crs.Organisation, sys crs.Actor, n int) (*bench.DayTrust, error) {
	t := &bench.DayTrust{ODSCode: org.ODSCode, SendingApplication: "PAS", NHSSeed: 1}
	wards, err := a.web.Inpatients.BedBoard(ctx, sys)
	if err != nil {
		return nil, err
	}
	inpatient := map[string]bool{}
	for _, w := range wards {
		t.Wards = append(t.Wards, w.WardCode)
		for _, b := range append(append([]*crs.BedBoardBed(nil), w.Beds...), w.Unbedded...) {
			if b.SpellID != "" {
				inpatient[b.PatientID] = true
				if !b.OnLeave {
					t.Spells = append(t.Spells, b.SpellID)
				}
			}
		}
	}
	total, err := a.db.CountPatients(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for tries := 0; len(t.Patients) < n && tries < 2*n; tries++ {
		k, _ := rand.Int(rand.Reader, big.NewInt(int64(total)))
		mrn := fmt.Sprintf("%s%07d", org.MRNPrefix, k.Int64()+1)
		p, err := store.SamplePatient(ctx, a.db, org.ID, mrn)
		if crs.ErrorCode(err) == crs.ENOTFOUND {
			continue
		} else if err != nil {
			return nil, err
		}
		if seen[p.ID] || inpatient[p.ID] {
			continue
		}
		seen[p.ID] = true
		t.Patients = append(t.Patients, bench.DayPatient{ID: p.ID, NHSNumber: p.NHSNumber, FamilyName: p.FamilyName, GivenName: p.GivenName})
	}
	toBook, err := a.web.Referrals.Worklist(ctx, sys, crs.WorklistToBook, crs.WorklistFilter{Limit: 5000})
	if err != nil {
		return nil, err
	}
	for _, it := range toBook {
		t.ToBook = append(t.ToBook, it.Referral.ID)
	}
	toOutcome, err := a.web.Referrals.Worklist(ctx, sys, crs.WorklistToOutcome, crs.WorklistFilter{Limit: 5000})
	if err != nil {
		return nil, err
	}
	for _, it := range toOutcome {
		aps, err := a.web.Outpatients.FindAppointments(ctx, sys, it.Referral.ID)
		if err != nil {
			return nil, err
		}
		for i := len(aps) - 1; i >= 0; i-- {
			if aps[i].Status == crs.AppointmentAttended {
				t.ToOutcome = append(t.ToOutcome, aps[i].ID)
				break
			}
		}
	}
	clinics, err := a.web.Outpatients.FindClinics(ctx, sys)
	if err != nil {
		return nil, err
	}
	services := map[bench.DayService]bool{}
	for _, c := range clinics {
		s := bench.DayService{TreatmentFunction: c.TreatmentFunction, Consultant: c.ConsultantCode}
		if !services[s] {
			services[s] = true
			t.Services = append(t.Services, s)
		}
	}
	return t, nil
}
