package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/report"
	"github.com/opencrs/crs/store"
)

// JourneyOptions says what `crs bench journey` builds and measures.
type JourneyOptions struct {
	// Pathways is how many open RTT pathways the trust's patient tracking
	// list holds; 1,000,000 if 0.
	Pathways int
	// Patients is how many patients the pathways are shared among; one
	// for every five pathways (at least 50, at most 200,000, the most
	// demo.SeedJourney draws on) if 0.
	Patients int
	// Beds is how many inpatient beds the trust has, on wards of 30 in
	// bays of six; 1,500 if 0. About nine in ten are occupied.
	Beds int
	// DSN names the database ("sqlite:PATH" or "postgres://..."); a fresh
	// SQLite file in a temporary folder if "".
	DSN string
	// Keep keeps the temporary SQLite file, whose path the result gives,
	// instead of removing it.
	Keep bool
	// Reuse times the reads of the bench trust a run before seeded in DSN
	// (with Keep, on SQLite) instead of seeding one.
	Reuse bool
	// Queries is how many times each read is timed; 200 if 0.
	Queries int
	// Logger is told how the set-up progresses; slog.Default() if nil.
	Logger *slog.Logger
}

// JourneyLatency is the time one kind of read took over many runs.
type JourneyLatency struct {
	Name          string
	Runs          int
	Rows          int // rows (or beds) the read returned, the last time
	P50, P95, P99 time.Duration
	Max           time.Duration
	Target        time.Duration // the p95 it should meet; 0 if none
}

// JourneyResult holds the figures of a journey bench.
type JourneyResult struct {
	// The machine and the command that reproduces the figures.
	NumCPU    int
	GOOS      string
	GOARCH    string
	GoVersion string
	Engine    string // "sqlite" or "postgres"
	Command   string
	DBPath    string // the SQLite file kept (Keep), or ""
	Reused    bool   // the trust was seeded by an earlier run (Reuse)

	Wards, Beds, OccupiedBeds int
	Patients                  int
	PatientsTime              time.Duration // registering the patients
	Pathways                  int           // pathways seeded in bulk
	SeedTime                  time.Duration // seeding them
	SeedRate                  float64       // pathways per second
	JourneyTime               time.Duration // clinics, 200 referrals at every stage, admissions to the beds, A&E

	PTLRows    int              // pathways on the PTL (clock running)
	PTL        []JourneyLatency // first page, by filter
	BedBoard   JourneyLatency
	ExportRuns []time.Duration // each full CSV export, in the order run
	ExportTime time.Duration   // the median export
	ExportRows int             // data rows of the export
	ExportSize int64           // bytes of the export
}

// Targets on two cores with SQLite.
const (
	journeyPTLTarget    = 200 * time.Millisecond
	journeyExportTarget = 5 * time.Second
	journeyExportRuns   = 3
)

// The treatment function and consultant the filtered PTL reads ask for.
const (
	journeyPTLService    = "100"
	journeyPTLConsultant = "C1000001"
)

// journeyValidator is the username of the bench trust's PTL validator.
func journeyValidator(org *crs.Organisation) string {
	return "ptl.validator." + strings.ToLower(org.ODSCode)
}

// journeyTrust is the trust a journey bench builds and reads.
type journeyTrust struct {
	db     *store.DB
	org    *crs.Organisation
	sys    crs.Actor // OpenCRS itself: seeds
	clerk  crs.Actor // a waiting list validator: reads
	wards  int
	beds   int
	ptlTF  string // the treatment function and consultant the filtered PTLs ask for
	ptlCon string
}

// Journey measures the patient journey of a large trust: it builds a
// trust with Beds beds, registers patients in bulk, seeds Pathways open
// RTT pathways through demo.SeedJourney (timing it), occupies most beds,
// and then times the first page of the patient tracking list (PTL)
// unfiltered and filtered by treatment function and by consultant, the
// full PTL export as CSV, and the bed board. It prints a table with the
// machine and the command line that reproduces it.
func Journey(ctx context.Context, w io.Writer, opts JourneyOptions) (*JourneyResult, error) {
	if opts.Pathways <= 0 {
		opts.Pathways = 1_000_000
	}
	if opts.Patients <= 0 {
		opts.Patients = min(max(opts.Pathways/5, 50), 200_000)
	}
	if opts.Beds <= 0 {
		opts.Beds = 1500
	}
	if opts.Queries <= 0 {
		opts.Queries = 200
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	log := opts.Logger
	res := &JourneyResult{NumCPU: runtime.NumCPU(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, GoVersion: runtime.Version(),
		Command: journeyCommand(opts)}

	dsn := opts.DSN
	if opts.Reuse && dsn == "" {
		return nil, fmt.Errorf("reusing a seeded bench trust needs the database it is in (--db)")
	}
	if dsn == "" {
		dir, err := os.MkdirTemp("", "crs-bench-journey-")
		if err != nil {
			return nil, err
		}
		path := filepath.Join(dir, "journey.db")
		if opts.Keep {
			res.DBPath = path
		} else {
			defer os.RemoveAll(dir)
		}
		dsn = "sqlite:" + path
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	db.Logger = log
	res.Engine = db.Dialect()
	if opts.Reuse {
		tr, err := reusedJourneyTrust(ctx, db)
		if err != nil {
			return nil, err
		}
		res.Reused = true
		if err := tr.measure(ctx, res, opts.Queries, log); err != nil {
			return nil, err
		}
		res.Print(w)
		return res, nil
	}

	t0 := time.Now()
	tr, err := newJourneyTrust(ctx, db, opts.Beds)
	if err != nil {
		return nil, err
	}
	res.Wards, res.Beds = tr.wards, tr.beds
	log.Info("journey bench: trust created", "org", tr.org.ID, "wards", tr.wards, "beds", tr.beds, "elapsed", time.Since(t0).Round(time.Millisecond))

	t0 = time.Now()
	if err := tr.registerPatients(ctx, opts.Patients, log); err != nil {
		return nil, err
	}
	res.Patients, res.PatientsTime = opts.Patients, time.Since(t0)
	log.Info("journey bench: patients registered", "patients", opts.Patients, "elapsed", res.PatientsTime.Round(time.Millisecond))

	t0 = time.Now()
	if err := tr.seedPathways(ctx, opts.Pathways); err != nil {
		return nil, err
	}
	res.Pathways, res.SeedTime = opts.Pathways, time.Since(t0)
	res.SeedRate = float64(opts.Pathways) / res.SeedTime.Seconds()
	log.Info("journey bench: pathways seeded", "pathways", opts.Pathways, "elapsed", res.SeedTime.Round(time.Millisecond),
		"per_second", math.Round(res.SeedRate))

	t0 = time.Now()
	if err := tr.seedJourney(ctx); err != nil {
		return nil, err
	}
	res.JourneyTime = time.Since(t0)
	log.Info("journey bench: beds occupied", "elapsed", res.JourneyTime.Round(time.Millisecond))

	if err := tr.measure(ctx, res, opts.Queries, log); err != nil {
		return nil, err
	}
	res.Print(w)
	return res, nil
}

// journeyCommand is the command line that reproduces a run.
func journeyCommand(o JourneyOptions) string {
	c := "crs bench journey --pathways " + strconv.Itoa(o.Pathways)
	if o.Beds != 1500 {
		c += " --beds " + strconv.Itoa(o.Beds)
	}
	if o.Queries != 200 {
		c += " --queries " + strconv.Itoa(o.Queries)
	}
	if o.Patients != min(max(o.Pathways/5, 50), 200_000) {
		c += " --patients " + strconv.Itoa(o.Patients)
	}
	if o.Reuse {
		c = "crs bench journey --reuse --db DSN"
		if o.Queries != 200 {
			c += " --queries " + strconv.Itoa(o.Queries)
		}
	}
	return c
}

// journeyTrustName names the trust the journey and reports benches seed.
const journeyTrustName = "Journey Bench NHS Trust"

// newJourneyTrust creates the trust, a clerk to read as, and its sites,
// wards (30 beds each, in bays of six), bays and beds, each level's
// locations at once so that the write path commits them together.
func newJourneyTrust(ctx context.Context, db *store.DB, beds int) (*journeyTrust, error) {
	orgs := store.NewOrganisationService(db)
	// A fresh ODS code for each run, so that a bench can run again on the
	// same database.
	ods := "B" + strconv.FormatInt(time.Now().UnixNano()%1_000_000, 36)
	org := &crs.Organisation{ODSCode: strings.ToUpper(ods), Name: journeyTrustName, MRNPrefix: "J"}
	if err := orgs.CreateOrganisation(ctx, crs.SystemActor(""), org); err != nil {
		return nil, fmt.Errorf("create the bench trust: %w", err)
	}
	tr := &journeyTrust{db: db, org: org, sys: crs.SystemActor(org.ID), ptlTF: journeyPTLService, ptlCon: journeyPTLConsultant}
	u := &crs.User{Username: journeyValidator(org), Name: "PTL validator", Role: crs.RoleClerk}
	if err := store.NewUserService(db).CreateUser(ctx, tr.sys, u, "bench-password"); err != nil {
		return nil, fmt.Errorf("create the bench user: %w", err)
	}
	tr.clerk = crs.ActorFor(u, "waiting list validation")

	const perWard, perBay = 30, 6
	create := func(ls []*crs.Location) error {
		var wg sync.WaitGroup
		errs := make([]error, len(ls))
		sem := make(chan struct{}, 64)
		for i, l := range ls {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				errs[i] = orgs.CreateLocation(ctx, tr.sys, l)
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return fmt.Errorf("create location: %w", err)
			}
		}
		return nil
	}
	sites := []*crs.Location{{Kind: crs.LocationSite, Code: "MAIN", Name: "Main hospital"}, {Kind: crs.LocationSite, Code: "NORTH", Name: "North hospital"}}
	if err := create(sites); err != nil {
		return nil, err
	}
	var wards []*crs.Location
	specialties := []string{"300", "100", "110", "320", "101", "502", "120", "130"}
	for left := beds; left > 0; left -= perWard {
		n := len(wards)
		wards = append(wards, &crs.Location{ParentID: sites[n%len(sites)].ID, Kind: crs.LocationWard, Code: fmt.Sprintf("WD%02d", n+1),
			Name: fmt.Sprintf("Ward %d", n+1), Specialty: specialties[n%len(specialties)]})
	}
	if err := create(wards); err != nil {
		return nil, err
	}
	type bay struct {
		loc         *crs.Location
		first, beds int // beds are numbered along the ward
	}
	var bays []bay
	left := beds
	for _, wd := range wards {
		for b := 1; b <= perWard/perBay && left > 0; b++ {
			n := min(perBay, left)
			left -= n
			bays = append(bays, bay{&crs.Location{ParentID: wd.ID, Kind: crs.LocationBay, Code: fmt.Sprintf("BAY%d", b), Name: fmt.Sprintf("%s bay %d", wd.Name, b)},
				(b-1)*perBay + 1, n})
		}
	}
	var bayLocs, bedLocs []*crs.Location
	for _, b := range bays {
		bayLocs = append(bayLocs, b.loc)
	}
	if err := create(bayLocs); err != nil {
		return nil, err
	}
	for _, b := range bays {
		for k := b.first; k < b.first+b.beds; k++ {
			bedLocs = append(bedLocs, &crs.Location{ParentID: b.loc.ID, Kind: crs.LocationBed, Code: fmt.Sprintf("B%02d", k), Name: fmt.Sprintf("%s bed %d", b.loc.Name, k)})
		}
	}
	if err := create(bedLocs); err != nil {
		return nil, err
	}
	tr.wards, tr.beds = len(wards), len(bedLocs)
	return tr, nil
}

// reusedJourneyTrust finds the bench trust an earlier run seeded, with its
// PTL validator and the service and consultant its filtered reads ask for.
func reusedJourneyTrust(ctx context.Context, db *store.DB) (*journeyTrust, error) {
	tr, err := seededJourneyTrust(ctx, db)
	if err != nil {
		return nil, err
	}
	tr.ptlTF, tr.ptlCon = journeyPTLService, journeyPTLConsultant
	u, err := store.NewUserService(db).FindUserByUsername(ctx, tr.sys, journeyValidator(tr.org))
	if err != nil {
		return nil, fmt.Errorf("the seeded trust's PTL validator: %w", err)
	}
	tr.clerk = crs.ActorFor(u, "waiting list validation")
	return tr, nil
}

// registerPatients registers n synthetic patients with the bulk path.
func (tr *journeyTrust) registerPatients(ctx context.Context, n int, log *slog.Logger) error {
	gen := demo.NewGenerator(1)
	gen.Today = crs.LocalDate(tr.db.Clock.Now())
	gen.DuplicateRate = 0
	ps := make([]*crs.Patient, n)
	for i := range ps {
		ps[i] = gen.Patient()
	}
	last := time.Now()
	_, err := tr.db.LoadPatients(ctx, tr.sys, ps, crs.LoadOptions{Progress: func(done, total int) {
		if time.Since(last) > 5*time.Second {
			last = time.Now()
			log.Info("journey bench: registering patients", "done", done, "total", total)
		}
	}})
	if err != nil {
		return fmt.Errorf("register the bench patients: %w", err)
	}
	return nil
}

// seedPathways adds n open pathways, waiting to be booked, in bulk.
func (tr *journeyTrust) seedPathways(ctx context.Context, n int) error {
	if err := demo.SeedJourney(ctx, tr.journeyServices(), tr.sys, demo.JourneyOptions{BulkPathways: n}); err != nil {
		return fmt.Errorf("seed %d pathways: %w", n, err)
	}
	return nil
}

// seedBatch is how many records one command of a bulk seed writes.
const seedBatch = 5000

// writeInBatches runs fn over [0, n) in commands of seedBatch records
// through the bulk load path of a legacy migration (many records a
// statement), each command recorded by one event naming what it loaded.
func (tr *journeyTrust) writeInBatches(ctx context.Context, what string, n int, fn func(tx crs.Tx, lo, hi int) error) error {
	for lo := 0; lo < n; lo += seedBatch {
		hi := min(lo+seedBatch, n)
		if err := tr.db.Write(ctx, tr.sys, crs.ActManagePathways, func(tx crs.Tx) error {
			if err := fn(tx, lo, hi); err != nil {
				return err
			}
			return tx.Emit(&crs.Event{Type: crs.EventRecordMigrated, Summary: fmt.Sprintf("Loaded %s %d to %d of %d", what, lo+1, hi, n)}, what)
		}); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	return nil
}

// journeyServices are the services the trust's journey is seeded
// through.
func (tr *journeyTrust) journeyServices() demo.JourneyServices {
	db := tr.db
	return demo.JourneyServices{Organisations: store.NewOrganisationService(db), Referrals: store.NewReferralService(db),
		Outpatients: store.NewOutpatientService(db), WaitingList: store.NewWaitingListService(db), Inpatients: store.NewInpatientService(db),
		ED: store.NewEDService(db), Loader: db, Clock: db.Clock}
}

// seedJourney makes clinics and 200 referrals at every stage, admits
// patients to about nine in ten beds and puts patients in A&E.
func (tr *journeyTrust) seedJourney(ctx context.Context) error {
	if err := demo.SeedJourney(ctx, tr.journeyServices(), tr.sys, demo.JourneyOptions{Occupancy: 0.9}); err != nil {
		return fmt.Errorf("seed the journey: %w", err)
	}
	return nil
}

// measure times the reads.
func (tr *journeyTrust) measure(ctx context.Context, res *JourneyResult, queries int, log *slog.Logger) error {
	refs, reports := store.NewReferralService(tr.db), report.New(store.NewReportSource(tr.db))
	ip := store.NewInpatientService(tr.db)
	var err error
	if res.PTLRows, err = store.CountOpenPathways(ctx, tr.db, tr.org.ID); err != nil {
		return err
	}
	filters := []struct {
		name string
		f    crs.PTLFilter
	}{
		{"PTL first page, all pathways", crs.PTLFilter{}},
		{"PTL first page, treatment function " + tr.ptlTF, crs.PTLFilter{TreatmentFunction: tr.ptlTF}},
		{"PTL first page, consultant " + tr.ptlCon, crs.PTLFilter{ConsultantCode: tr.ptlCon}},
	}
	res.PTL = res.PTL[:0]
	for _, f := range filters {
		var rows int
		l, err := journeyTimeRuns(queries, func() error {
			page, err := refs.PTL(ctx, tr.clerk, f.f)
			if err == nil {
				rows = len(page.Rows)
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		l.Name, l.Rows, l.Target = f.name, rows, journeyPTLTarget
		res.PTL = append(res.PTL, l)
		log.Info("journey bench: timed", "read", f.name, "p50", l.P50, "p95", l.P95)
	}

	var beds, wards int
	l, err := journeyTimeRuns(queries, func() error {
		board, err := ip.BedBoard(ctx, tr.clerk)
		beds, wards, res.OccupiedBeds = 0, len(board), 0
		for _, w := range board {
			beds += len(w.Beds)
			res.OccupiedBeds += w.Occupied
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("bed board: %w", err)
	}
	l.Name, l.Rows = "bed board", beds
	res.BedBoard = l
	if res.Reused { // the seeding run counted them; a reuse counts the board's
		res.Beds, res.Wards = beds, wards
	}
	log.Info("journey bench: timed", "read", "bed board", "p50", l.P50, "p95", l.P95)

	res.ExportRuns = res.ExportRuns[:0]
	for i := 0; i < journeyExportRuns; i++ {
		var cw journeyCounter
		t0 := time.Now()
		if err := reports.ExportPTL(ctx, tr.clerk, &cw, crs.PTLFilter{}); err != nil {
			return fmt.Errorf("export the PTL: %w", err)
		}
		res.ExportRuns = append(res.ExportRuns, time.Since(t0))
		res.ExportSize, res.ExportRows = cw.n, cw.lines-1
		log.Info("journey bench: timed", "read", "PTL export", "elapsed", res.ExportRuns[i].Round(time.Millisecond), "rows", res.ExportRows)
	}
	res.ExportTime = journeyMedian(res.ExportRuns)
	return nil
}

// journeyTimeRuns runs f a few times to warm the cache, then n times timed.
func journeyTimeRuns(n int, f func() error) (JourneyLatency, error) {
	for i := 0; i < min(3, n); i++ {
		if err := f(); err != nil {
			return JourneyLatency{}, err
		}
	}
	lat := make([]time.Duration, n)
	for i := range lat {
		t0 := time.Now()
		if err := f(); err != nil {
			return JourneyLatency{}, err
		}
		lat[i] = time.Since(t0)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return JourneyLatency{Runs: n, P50: journeyPercentile(lat, 50), P95: journeyPercentile(lat, 95), P99: journeyPercentile(lat, 99), Max: lat[n-1]}, nil
}

// journeyPercentile returns the p-th journeyPercentile (nearest rank) of sorted.
func journeyPercentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	k := (p*len(sorted) + 99) / 100
	return sorted[max(k, 1)-1]
}

func journeyMedian(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return journeyPercentile(s, 50)
}

// journeyCounter counts the bytes and lines written to it and discards
// them.
type journeyCounter struct {
	n     int64
	lines int
}

func (c *journeyCounter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	c.lines += bytes.Count(p, []byte{'\n'})
	return len(p), nil
}

// Print writes the figures as a table.
func (r *JourneyResult) Print(w io.Writer) {
	fmt.Fprintf(w, "patient journey at scale: %s, %s, %s/%s, %s\n", journeyEngine(r.Engine), crs.Count(r.NumCPU, "CPU", "CPUs"), r.GOOS, r.GOARCH, r.GoVersion)
	fmt.Fprintf(w, "reproduce: %s\n\n", r.Command)
	if r.Reused {
		fmt.Fprintf(w, "set-up: the trust seeded by an earlier run (--reuse)\n")
	} else {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "set-up\tcount\ttime\tper second\t\n")
		fmt.Fprintf(tw, "patients registered (ImportPatients)\t%d\t%s\t%.0f\t\n", r.Patients, journeyRound(r.PatientsTime), float64(r.Patients)/r.PatientsTime.Seconds())
		fmt.Fprintf(tw, "open pathways seeded (SeedJourney BulkPathways)\t%d\t%s\t%.0f\t\n", r.Pathways, journeyRound(r.SeedTime), r.SeedRate)
		fmt.Fprintf(tw, "clinics, referrals, admissions, A&E (SeedJourney)\t%d beds\t%s\t\t\n", r.Beds, journeyRound(r.JourneyTime))
		tw.Flush()
	}
	fmt.Fprintf(w, "\n%d pathways on the PTL; %d of %d beds occupied on %d wards\n\n", r.PTLRows, r.OccupiedBeds, r.Beds, r.Wards)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "read\truns\trows\tp50\tp95\tp99\tmax\ttarget p95\t\t\n")
	for _, l := range append(append([]JourneyLatency(nil), r.PTL...), r.BedBoard) {
		target, verdict := "", ""
		if l.Target > 0 {
			target, verdict = "<= "+l.Target.String(), journeyMet(l.P95 <= l.Target)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", l.Name, l.Runs, l.Rows, journeyRound(l.P50), journeyRound(l.P95), journeyRound(l.P99), journeyRound(l.Max), target, verdict)
	}
	tw.Flush()
	runs := ""
	for i, d := range r.ExportRuns {
		if i > 0 {
			runs += ", "
		}
		runs += journeyRound(d)
	}
	fmt.Fprintf(w, "\nfull PTL export (CSV): median %s of %d runs (%s), %d rows, %.1f MB, %.0f rows/s; target <= %s: %s\n",
		journeyRound(r.ExportTime), len(r.ExportRuns), runs, r.ExportRows, float64(r.ExportSize)/1e6, float64(r.ExportRows)/r.ExportTime.Seconds(),
		journeyExportTarget, journeyMet(r.ExportTime <= journeyExportTarget))
	if r.DBPath != "" {
		fmt.Fprintf(w, "database kept: %s\n", r.DBPath)
	}
}

func journeyEngine(e string) string {
	if e == "sqlite" {
		return "SQLite (WAL, synchronous=FULL)"
	}
	return "PostgreSQL"
}

func journeyMet(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// round shows a duration to three significant figures or so.
func journeyRound(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d >= 10*time.Millisecond:
		return d.Round(100 * time.Microsecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Microsecond).String()
}
