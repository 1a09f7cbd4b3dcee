package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/report"
	"github.com/opencrs/crs/rtt"
	"github.com/opencrs/crs/store"
)

// ReportsOptions says what `crs bench reports` builds and measures.
type ReportsOptions struct {
	// Pathways is how many RTT pathways the trust holds; 1,000,000 if 0.
	Pathways int
	// Activity is how many of them stopped over the last year (treatment
	// admitted or not, a decision not to treat, a nullifying DNA), the
	// completed pathways of the returns; Pathways/4 if 0.
	Activity int
	// Patients is how many patients the pathways are shared among, as in
	// JourneyOptions.
	Patients int
	// DSN names the database; a fresh SQLite file in a temporary folder
	// if "".
	DSN string
	// Keep keeps the temporary SQLite file.
	Keep bool
	// Reuse times the returns of the bench trust a run before seeded in
	// the database DSN names (kept with Keep, or on PostgreSQL) instead of
	// seeding a new one: the seed is done once and the returns timed
	// again and again. Pathways and Activity then only label the figures.
	Reuse bool
	// Runs is how many times each return is worked out; 3 if 0.
	Runs int
	// Logger is told how the set-up progresses; slog.Default() if nil.
	Logger *slog.Logger
}

// ReportsResult holds the figures of a reports bench.
type ReportsResult struct {
	Engine, Command, GoVersion string
	NumCPU                     int
	Pathways, Activity         int
	SeedTime                   time.Duration // seeding the patients, pathways, events and courses
	Month                      string
	Incomplete, Completed      int             // pathways in Part 2, and in Parts 1a and 1b, of the month's return
	Return, IncompleteRuns     []time.Duration // each run of the monthly return and of the incomplete figures
	Compare                    time.Duration   // the return now beside the return as recorded an hour before the activity ended
	// The same three worked out once from every pathway's events rather
	// than from the clock courses, the reference; Equal says whether
	// both gave the same figures.
	EventsReturn, EventsIncomplete, EventsCompare time.Duration
	Equal                                         bool
}

// reportsTarget is the time the monthly RTT return should take at a
// million pathways.
const reportsTarget = 5 * time.Second

// Reports measures the RTT returns of a large trust: it seeds Pathways
// pathways with their RTT events and clock courses in bulk, Activity of
// them stopped on days over the past year, then times the monthly RTT return of the
// last full month, the incomplete figures at its end, and the comparison
// of the return known now with the return as recorded earlier.
func Reports(ctx context.Context, w io.Writer, o ReportsOptions) (*ReportsResult, error) {
	if o.Pathways <= 0 {
		o.Pathways = 1_000_000
	}
	if o.Activity <= 0 {
		o.Activity = o.Pathways / 4
	}
	if o.Patients <= 0 {
		o.Patients = min(max(o.Pathways/5, 50), 200_000)
	}
	if o.Runs <= 0 {
		o.Runs = 3
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	log := o.Logger
	res := &ReportsResult{NumCPU: runtime.NumCPU(), GoVersion: runtime.Version(), Pathways: o.Pathways, Activity: o.Activity,
		Command: "crs bench reports --pathways " + strconv.Itoa(o.Pathways) + " --activity " + strconv.Itoa(o.Activity)}
	dsn := o.DSN
	if o.Reuse && dsn == "" {
		return nil, fmt.Errorf("reusing a seeded bench trust needs the database it is in (--db)")
	}
	if dsn == "" {
		dir, err := os.MkdirTemp("", "crs-bench-reports-")
		if err != nil {
			return nil, err
		}
		dsn = "sqlite:" + filepath.Join(dir, "reports.db")
		if !o.Keep {
			defer os.RemoveAll(dir)
		} else {
			log.Info("reports bench: the database is kept", "db", dsn)
		}
	} else {
		res.Command += " --db DSN"
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	db.Logger = log
	res.Engine = db.Dialect()
	var tr *journeyTrust
	if o.Reuse {
		res.Command += " --reuse"
		if tr, err = seededJourneyTrust(ctx, db); err != nil {
			return nil, err
		}
	} else if tr, err = seedReports(ctx, db, o, res); err != nil {
		return nil, err
	}

	svc := report.New(store.NewReportSource(db))
	today := crs.LocalDate(db.Clock.Now())
	month := crs.NewDate(today.Year(), today.Month(), 1).AddDate(0, -1, 0)
	res.Month = month.Format("2006-01")
	analyst := crs.SystemActor(tr.org.ID)
	var t0 time.Time
	for range o.Runs {
		t0 = time.Now()
		r, err := svc.RTTReturn(ctx, analyst, crs.Date{Time: month}, crs.RTTReturnOptions{})
		if err != nil {
			return nil, err
		}
		res.Return = append(res.Return, time.Since(t0))
		res.Incomplete = r.Parts[crs.RTTIncompletePart].Total
		res.Completed = r.Parts[crs.RTTCompletedAdmitted].Total + r.Parts[crs.RTTCompletedNonAdmitted].Total
		t0 = time.Now()
		if _, err := svc.RTTIncomplete(ctx, analyst, crs.Date{Time: month.AddDate(0, 1, -1)}, crs.RTTIncompleteOptions{}); err != nil {
			return nil, err
		}
		res.IncompleteRuns = append(res.IncompleteRuns, time.Since(t0))
	}
	recordedBy := db.Clock.Now().Add(-time.Second)
	t0 = time.Now()
	if _, err := svc.RTTReturnCompare(ctx, analyst, crs.Date{Time: month}, recordedBy, crs.RTTReturnOptions{}); err != nil {
		return nil, err
	}
	res.Compare = time.Since(t0)

	fromEvents := crs.ReportBasis{FromEvents: true}
	var figures [2][3]any
	var times [3]time.Duration
	for i, basis := range []crs.ReportBasis{fromEvents, {}} {
		t0 = time.Now()
		r, err := svc.RTTReturn(ctx, analyst, crs.Date{Time: month}, crs.RTTReturnOptions{Basis: basis})
		if err != nil {
			return nil, err
		}
		times[0] = time.Since(t0)
		t0 = time.Now()
		inc, err := svc.RTTIncomplete(ctx, analyst, crs.Date{Time: month.AddDate(0, 1, -1)}, crs.RTTIncompleteOptions{Basis: basis})
		if err != nil {
			return nil, err
		}
		times[1] = time.Since(t0)
		t0 = time.Now()
		c, err := svc.RTTReturnCompare(ctx, analyst, crs.Date{Time: month}, recordedBy, crs.RTTReturnOptions{Basis: basis})
		if err != nil {
			return nil, err
		}
		times[2] = time.Since(t0)
		figures[i] = [3]any{r, inc, c}
		if i == 0 {
			res.EventsReturn, res.EventsIncomplete, res.EventsCompare = times[0], times[1], times[2]
		}
	}
	res.Equal = reflect.DeepEqual(figures[0], figures[1])
	res.Print(w)
	return res, nil
}

// seedReports builds the bench trust: patients, then Pathways
// referrals on RTT pathways with their events and clock courses through
// the bulk load path of a legacy migration, seedBatch pathways a
// command. Each clock started on a day in the last 400; Activity of them
// stopped on a day between their start and today (see reportsPathway).
func seedReports(ctx context.Context, db *store.DB, o ReportsOptions, res *ReportsResult) (*journeyTrust, error) {
	log := o.Logger
	t0 := time.Now()
	tr, err := newJourneyTrust(ctx, db, 30)
	if err != nil {
		return nil, err
	}
	if err := tr.registerPatients(ctx, o.Patients, log); err != nil {
		return nil, err
	}
	patients, err := db.LivePatientIDs(ctx, tr.org.ID, o.Patients)
	if err != nil {
		return nil, err
	}
	if len(patients) == 0 {
		return nil, fmt.Errorf("the bench trust has no patients")
	}
	log.Info("reports bench: patients registered", "patients", len(patients), "elapsed", time.Since(t0).Round(time.Millisecond))
	_, restore, err := db.BulkLoad(ctx, tr.org.ID)
	if err != nil {
		return nil, err
	}
	defer func() { restore() }()
	today := crs.LocalDate(db.Clock.Now())
	ods := tr.org.ODSCode
	last := time.Now()
	err = tr.writeInBatches(ctx, "RTT pathways", o.Pathways, func(tx crs.Tx, lo, hi int) error {
		refs := make([]*crs.Referral, 0, hi-lo)
		pws := make([]*crs.Pathway, 0, hi-lo)
		events := make([][]crs.PathwayEvent, 0, hi-lo)
		for i := lo; i < hi; i++ {
			// Each pathway drawn from a source of its own, so that the
			// trust is the same whatever the batches.
			rng := rand.New(rand.NewSource(int64(i) + 1))
			stopped := (i+1)*o.Activity/o.Pathways > i*o.Activity/o.Pathways
			evs := reportsPathway(rng, today, stopped)
			if err := rtt.ValidateEvents(evs); err != nil {
				return fmt.Errorf("bench pathway %d: %w", i, err)
			}
			c := rtt.Evaluate(evs, today.Time)
			tf := reportsTreatmentFunctions[i%len(reportsTreatmentFunctions)]
			r := &crs.Referral{ID: crs.NewID(), PathwayID: crs.NewID(), PatientID: patients[rng.Intn(len(patients))], Source: "03",
				ReferrerCode: "G1234567", ReferrerOrg: "A81001", ReceivedOn: crs.DateOf(evs[0].Date), Priority: crs.PriorityRoutine,
				TreatmentFunction: tf, ConsultantCode: fmt.Sprintf("C%07d", 1000000+i%97), ConsultantLed: true, Status: crs.ReferralOpen}
			pw := &crs.Pathway{ID: r.PathwayID, PatientID: r.PatientID, PPI: fmt.Sprintf("%s%010d", ods, i), PPIIssuer: ods, ReferralID: r.ID,
				TreatmentFunction: tf, Priority: r.Priority, ClockState: crs.ClockRunning, ClockStart: crs.DateOf(c.Start),
				StopStatus: c.StopStatus, StopReason: c.StopReason, DecisionToAdmit: c.DecisionToAdmit}
			switch {
			case c.Nullified:
				pw.ClockState = crs.ClockNullified
			case !c.Running:
				pw.ClockState = crs.ClockStopped
			}
			if !c.Stop.IsZero() {
				pw.ClockStop = crs.DateOf(c.Stop)
			}
			pes := make([]crs.PathwayEvent, len(evs))
			for j, e := range evs {
				pes[j] = crs.PathwayEvent{Date: crs.DateOf(e.Date), Kind: e.Kind, Status: e.Status}
				if e.Status != 0 {
					pw.LastStatus = e.Status
				}
			}
			refs, pws, events = append(refs, r), append(pws, pw), append(events, pes)
		}
		if err := tx.MigrateReferrals(refs); err != nil {
			return err
		}
		if err := tx.MigratePathways(pws, events, make([]bool, len(pws))); err != nil {
			return err
		}
		if time.Since(last) > 5*time.Second {
			last = time.Now()
			log.Info("reports bench: seeding pathways", "done", hi, "total", o.Pathways)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	restore()
	restore = func() {}
	res.SeedTime = time.Since(t0)
	log.Info("reports bench: trust seeded", "pathways", o.Pathways, "stopped", o.Activity, "elapsed", res.SeedTime.Round(time.Millisecond))
	return tr, nil
}

// reportsTreatmentFunctions are the treatment functions the bench
// pathways are shared among, in turn.
var reportsTreatmentFunctions = []string{"100", "101", "110", "120", "130", "300", "320", "330", "340", "502"}

// reportsPathway makes the events of one bench pathway: the referral
// that starts its clock on one of the last 400 days, then, for one that
// stopped, on days between then and today, one of: a decision to admit
// and the admission for treatment (four in ten, Part 1a), treatment
// started in outpatients (three in ten, Part 1b), a decision not to
// treat (two in ten, Part 1b), or a booking and a DNA of the first
// appointment that nullifies the clock (one in ten, reported nowhere).
// One open pathway in five has a decision to admit (Part 2a).
func reportsPathway(rng *rand.Rand, today crs.Date, stopped bool) []rtt.Event {
	start := today.AddDate(0, 0, -rng.Intn(400))
	span := int(today.Sub(start).Hours()/24) + 1
	// The stop on a day between the start and today, a decision or
	// booking before it on a day between the start and the stop.
	d2 := rng.Intn(span)
	d1 := rng.Intn(d2 + 1)
	day := func(d int) time.Time { return start.AddDate(0, 0, d) }
	evs := []rtt.Event{{Date: start, Kind: rtt.KindReferralReceived, Status: rtt.StatusFirstActivity}}
	if !stopped {
		if rng.Intn(5) == 0 {
			evs = append(evs, rtt.Event{Date: day(d1), Kind: rtt.KindDecisionToAdmit, Status: rtt.StatusSubsequentActivity})
		}
		return evs
	}
	switch k := rng.Intn(10); {
	case k < 4:
		evs = append(evs, rtt.Event{Date: day(d1), Kind: rtt.KindDecisionToAdmit, Status: rtt.StatusSubsequentActivity},
			rtt.Event{Date: day(d2), Kind: rtt.KindAdmittedForTreatment, Status: rtt.StatusFirstTreatment})
	case k < 7:
		evs = append(evs, rtt.Event{Date: day(d2), Kind: rtt.KindTreatmentStarted, Status: rtt.StatusFirstTreatment})
	case k < 9:
		evs = append(evs, rtt.Event{Date: day(d2), Kind: rtt.KindDecisionNotToTreat, Status: rtt.StatusDecisionNotToTreat})
	default:
		evs = append(evs, rtt.Event{Date: day(d1), Kind: rtt.KindAppointmentBooked},
			rtt.Event{Date: day(d2), Kind: rtt.KindDidNotAttend, Status: rtt.StatusDidNotAttendFirst})
	}
	return evs
}

// seededJourneyTrust finds the bench trust seeded last in the database.
func seededJourneyTrust(ctx context.Context, db *store.DB) (*journeyTrust, error) {
	orgs, err := store.NewOrganisationService(db).FindOrganisations(ctx)
	if err != nil {
		return nil, err
	}
	var org *crs.Organisation
	for _, o := range orgs {
		// Identifiers are issued in time order: the greatest is the latest.
		if o.Name == journeyTrustName && (org == nil || o.ID > org.ID) {
			org = o
		}
	}
	if org == nil {
		return nil, fmt.Errorf("the database holds no seeded bench trust to reuse; run once with --keep (SQLite) or on the PostgreSQL database first")
	}
	return &journeyTrust{db: db, org: org, sys: crs.SystemActor(org.ID)}, nil
}

// Print writes the figures with the command that reproduces them.
func (r *ReportsResult) Print(w io.Writer) {
	med := func(ds []time.Duration) time.Duration {
		s := slices.Clone(ds)
		slices.Sort(s)
		return s[len(s)/2]
	}
	fmt.Fprintf(w, "RTT returns at scale: %s, %s, %s\n", journeyEngine(r.Engine), crs.Count(r.NumCPU, "CPU", "CPUs"), r.GoVersion)
	fmt.Fprintf(w, "reproduce: %s\n\n", r.Command)
	if r.SeedTime == 0 {
		fmt.Fprintf(w, "set-up: the trust seeded by an earlier run (--reuse)\n")
	} else {
		fmt.Fprintf(w, "set-up: %d pathways, %d of them stopped over the past year, seeded with their patients, events and clock courses in bulk in %s (%.0f pathways a second)\n",
			r.Pathways, r.Activity, journeyRound(r.SeedTime), float64(r.Pathways)/r.SeedTime.Seconds())
	}
	fmt.Fprintf(w, "return for %s: %d incomplete, %d completed in the month\n\n", r.Month, r.Incomplete, r.Completed)
	fmt.Fprintf(w, "monthly RTT return: median %s of %d runs %v; target <= %s: %s\n", journeyRound(med(r.Return)), len(r.Return), r.Return,
		reportsTarget, journeyMet(med(r.Return) <= reportsTarget))
	fmt.Fprintf(w, "incomplete figures at the month's end: median %s of %d runs\n", journeyRound(med(r.IncompleteRuns)), len(r.IncompleteRuns))
	fmt.Fprintf(w, "return now beside the return as recorded (every version of every course): %s\n", journeyRound(r.Compare))
	ratio := func(ref, d time.Duration) string {
		if d <= 0 {
			return "-"
		}
		return fmt.Sprintf("%.1fx", ref.Seconds()/d.Seconds())
	}
	fmt.Fprintf(w, "\nthe same from every pathway's events (the reference), once each: return %s (%s slower), incomplete %s (%s), comparison %s (%s); same figures: %s\n",
		journeyRound(r.EventsReturn), ratio(r.EventsReturn, med(r.Return)), journeyRound(r.EventsIncomplete), ratio(r.EventsIncomplete, med(r.IncompleteRuns)),
		journeyRound(r.EventsCompare), ratio(r.EventsCompare, r.Compare), map[bool]string{true: "yes", false: "NO"}[r.Equal])
}
