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
	"sync"
	"sync/atomic"
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
	// Activity is how many of them are stopped over the last year by a
	// decision through the write path (treatment, or a decision not to
	// treat), the completed pathways of the returns; Pathways/4 if 0.
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
	SeedTime, ActivityTime     time.Duration
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
// open pathways in bulk, stops Activity of them on days over the past
// year through the write path, then times the monthly RTT return of the
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

// seedReports builds the bench trust: patients and Pathways open
// pathways in bulk, then Activity of them stopped through the write path.
func seedReports(ctx context.Context, db *store.DB, o ReportsOptions, res *ReportsResult) (*journeyTrust, error) {
	log := o.Logger
	tr, err := newJourneyTrust(ctx, db, 30)
	if err != nil {
		return nil, err
	}
	if err := tr.registerPatients(ctx, o.Patients, log); err != nil {
		return nil, err
	}
	t0 := time.Now()
	if err := tr.seedPathways(ctx, o.Pathways); err != nil {
		return nil, err
	}
	res.SeedTime = time.Since(t0)
	log.Info("reports bench: pathways seeded", "pathways", o.Pathways, "elapsed", res.SeedTime.Round(time.Millisecond))

	t0 = time.Now()
	if err := tr.stopPathways(ctx, o.Activity, log); err != nil {
		return nil, err
	}
	res.ActivityTime = time.Since(t0)
	log.Info("reports bench: activity recorded", "stops", o.Activity, "elapsed", res.ActivityTime.Round(time.Millisecond))
	return tr, nil
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

// stopPathways stops n of the trust's open pathways, each on a day
// between its clock start and today, by a decision recorded through the
// write path (three in four first treatment, the rest a decision not to
// treat), sixteen at once.
func (tr *journeyTrust) stopPathways(ctx context.Context, n int, log *slog.Logger) error {
	todo, err := tr.db.RunningClocks(ctx, tr.org.ID, n)
	if err != nil {
		return err
	}
	refs := store.NewReferralService(tr.db)
	today := crs.LocalDate(tr.db.Clock.Now())
	var next, done atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	last := time.Now()
	var mu sync.Mutex
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(w)))
			for {
				i := int(next.Add(1)) - 1
				if i >= len(todo) || ctx.Err() != nil {
					return
				}
				p := todo[i]
				span := int(today.Sub(p.ClockStart).Hours()/24) + 1
				day := crs.Date{Time: p.ClockStart.AddDate(0, 0, rng.Intn(max(span, 1)))}
				e := crs.PathwayEvent{Date: day, Kind: rtt.KindTreatmentStarted, Status: rtt.StatusFirstTreatment}
				if rng.Intn(4) == 0 {
					e.Kind, e.Status = rtt.KindDecisionNotToTreat, rtt.StatusDecisionNotToTreat
				}
				if err := refs.RecordPathwayEvent(ctx, tr.sys, p.PathwayID, e); err != nil {
					select {
					case errs <- fmt.Errorf("stop pathway: %w", err):
					default:
					}
					return
				}
				if d := done.Add(1); d%10000 == 0 {
					mu.Lock()
					if time.Since(last) > 5*time.Second {
						last = time.Now()
						log.Info("reports bench: stopping pathways", "done", d, "total", len(todo))
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
	}
	return nil
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
		fmt.Fprintf(w, "set-up: %d pathways seeded in %s; %d stopped over the past year through the write path in %s (%.0f a second)\n",
			r.Pathways, journeyRound(r.SeedTime), r.Activity, journeyRound(r.ActivityTime), float64(r.Activity)/r.ActivityTime.Seconds())
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
