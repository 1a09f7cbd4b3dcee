package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/report"
	"github.com/opencrs/crs/store"
)

// CDSOptions says what `crs bench cds` builds and measures: a month of a
// large trust's activity, then its CDS extracts.
type CDSOptions struct {
	// EDAttendances, Appointments and Episodes are the month's A&E
	// attendances, attended outpatient appointments and finished (coded)
	// consultant episodes: 42,000, 125,000 and 17,000 if 0, a month of a
	// large trust (500,000 attendances, 1.5 million appointments and
	// 200,000 admissions a year).
	EDAttendances, Appointments, Episodes int
	// Patients is how many patients the activity is shared among; 100,000
	// if 0.
	Patients int
	// Beds is how many inpatient beds the trust has; 1,500 if 0.
	Beds int
	// Workers is how many commands seed at once; 8 if 0.
	Workers int
	// DSN names the database; a fresh SQLite file in a temporary folder if "".
	DSN string
	// Logger is told how the set-up progresses; slog.Default() if nil.
	Logger *slog.Logger
}

// CDSRun is the time of one extract.
type CDSRun struct {
	Type     string
	Kind     string // net change, again (nothing changed), bulk
	Records  int
	Sent     int
	Rejected int
	Bytes    int64
	Time     time.Duration // wall-clock time
	CPU      time.Duration // CPU time of this process (user and system) in the run: the share of a busy machine it had
}

// CDSBenchResult holds the figures of a CDS bench.
type CDSBenchResult struct {
	NumCPU   int
	Engine   string
	Command  string
	Month    string
	SeedTime time.Duration
	Runs     []CDSRun
}

// cdsTarget is what a month's extract of one type should take.
const cdsTarget = 30 * time.Second

// CDS builds a trust with a month of activity through the write path,
// from the journey bench's trust and patients, and times the month's
// CDS extract of each type: a first net change (everything sent), a
// second (nothing changed, nothing sent) and a bulk replacement.
func CDS(ctx context.Context, w io.Writer, o CDSOptions) (*CDSBenchResult, error) {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.EDAttendances, 42_000)
	def(&o.Appointments, 125_000)
	def(&o.Episodes, 17_000)
	def(&o.Patients, 100_000)
	def(&o.Beds, 1500)
	def(&o.Workers, 8)
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	log := o.Logger
	res := &CDSBenchResult{NumCPU: runtime.NumCPU(), Command: fmt.Sprintf("crs bench cds --ed %d --appointments %d --episodes %d --patients %d --workers %d",
		o.EDAttendances, o.Appointments, o.Episodes, o.Patients, o.Workers)}
	dsn := o.DSN
	if dsn == "" {
		dir, err := os.MkdirTemp("", "crs-bench-cds-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		dsn = "sqlite:" + filepath.Join(dir, "cds.db")
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	db.Logger = log
	res.Engine = db.Dialect()
	// The month before this one, seeded with the clock at its start
	// (bookings) and then the day after it (what happened).
	now := time.Now().In(crs.London)
	first := time.Date(now.Year(), now.Month()-1, 1, 0, 0, 0, 0, crs.London)
	last := first.AddDate(0, 1, -1)
	res.Month = first.Format("2006-01")
	clock := crs.NewFixedClock(first.Add(-12 * time.Hour))
	db.Clock = clock

	t0 := time.Now()
	tr, err := newJourneyTrust(ctx, db, o.Beds)
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
	if err := demo.SeedCodeLists(ctx, store.NewCodingService(db), tr.sys); err != nil {
		return nil, err
	}
	s := &cdsSeed{db: db, tr: tr, clock: clock, o: o, patients: patients, first: first, last: last, log: log}
	if err := s.outpatients(ctx); err != nil {
		return nil, err
	}
	clock.Set(last.AddDate(0, 0, 1).Add(20 * time.Hour))
	for _, step := range []func(context.Context) error{s.attend, s.ed, s.inpatients} {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	res.SeedTime = time.Since(t0)
	log.Info("cds bench: month seeded", "elapsed", res.SeedTime.Round(time.Second))

	src := store.NewCDSSource(db)
	analyst := crs.SystemActor(tr.org.ID)
	for _, typ := range []string{crs.CDSEmergencyCare, crs.CDSOutpatient, crs.CDSAdmitted} {
		for _, kind := range []string{"net change", "again", "bulk"} {
			var cw journeyCounter
			c1 := processCPU()
			t1 := time.Now()
			r, err := report.WriteCDS(ctx, src, analyst, report.CDSOptions{Type: typ, From: crs.LocalDate(first), To: crs.LocalDate(last),
				Bulk: kind == "bulk", Provider: tr.org.ODSCode, Commissioner: "15N", Now: clock.Now()}, &cw)
			if err != nil {
				return nil, fmt.Errorf("%s %s extract: %w", typ, kind, err)
			}
			run := CDSRun{Type: typ, Kind: kind, Records: r.Records, Sent: r.Sent, Rejected: len(r.Rejected), Bytes: cw.n, Time: time.Since(t1), CPU: processCPU() - c1}
			res.Runs = append(res.Runs, run)
			log.Info("cds bench: timed", "type", typ, "kind", kind, "records", r.Records, "elapsed", run.Time.Round(time.Millisecond))
		}
	}
	res.Print(w)
	return res, nil
}

// Print writes the figures as a table with the machine and the command.
func (r *CDSBenchResult) Print(w io.Writer) {
	fmt.Fprintf(w, "CDS month extract, %s, %d CPUs, month %s (seeded in %s)\n", r.Engine, r.NumCPU, r.Month, r.SeedTime.Round(time.Second))
	fmt.Fprintf(w, "command: %s\n\n", r.Command)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "type\tkind\trecords\tsent\trejected\tMB\ttime\tCPU (crs)\ttarget\t")
	for _, run := range r.Runs {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%.1f\t%s\t%s\t<= %s\t\n", run.Type, run.Kind, run.Records, run.Sent, run.Rejected,
			float64(run.Bytes)/1e6, run.Time.Round(time.Millisecond), run.CPU.Round(time.Millisecond), cdsTarget)
	}
	tw.Flush()
}

// cdsSeed seeds the month's activity through the services, Workers
// commands at once, each worker with patients, clinics and beds of its
// own so that its commands follow one another in time.
type cdsSeed struct {
	db       *store.DB
	tr       *journeyTrust
	clock    *crs.FixedClock
	o        CDSOptions
	patients []string
	first    time.Time
	last     time.Time
	log      *slog.Logger
	booked   [][]*crs.Appointment // by worker
}

// each runs fn for workers 0..n-1 at once and returns the first error.
func (s *cdsSeed) each(n int, fn func(w int) error) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = fn(i) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// patient is the k-th patient of worker w.
func (s *cdsSeed) patient(w, k int) string {
	per := len(s.patients) / s.o.Workers
	return s.patients[w*per+k%per]
}

// days is how many days the month has.
func (s *cdsSeed) days() int { return s.last.Day() }

// outpatients makes clinics with slots every weekday of the month,
// referrals in bulk and books one into each slot, as the clock stands
// before the month.
func (s *cdsSeed) outpatients(ctx context.Context) error {
	op := store.NewOutpatientService(s.db)
	const perDay = 32 // 09:00 to 17:00 in 15 minutes
	weekdays := 0
	for d := s.first; !d.After(s.last); d = d.AddDate(0, 0, 1) {
		if d.Weekday() != time.Saturday && d.Weekday() != time.Sunday {
			weekdays++
		}
	}
	clinics := (s.o.Appointments + perDay*weekdays - 1) / (perDay * weekdays)
	clinics = ((clinics + s.o.Workers - 1) / s.o.Workers) * s.o.Workers
	room := &crs.Location{ParentID: "", Kind: crs.LocationSite, Code: "OPD", Name: "Outpatients"}
	orgs := store.NewOrganisationService(s.db)
	if err := orgs.CreateLocation(ctx, s.tr.sys, room); err != nil {
		return err
	}
	clinicRoom := &crs.Location{ParentID: room.ID, Kind: crs.LocationClinicRoom, Code: "OPD1", Name: "Outpatients 1"}
	if err := orgs.CreateLocation(ctx, s.tr.sys, clinicRoom); err != nil {
		return err
	}
	tfs := []string{"100", "101", "110", "120", "130", "300", "320", "330", "340", "502"}
	var sessions []crs.ClinicSession
	for wd := time.Monday; wd <= time.Friday; wd++ {
		sessions = append(sessions, crs.ClinicSession{Weekday: wd, Start: "09:00", End: "17:00", SlotMinutes: 15, SlotType: crs.SlotNew})
	}
	ids := make([]string, clinics)
	tfOf := func(c int) string { return tfs[c%len(tfs)] }
	consultantOf := func(c int) string { return fmt.Sprintf("C%07d", 1000000+c%97) }
	if err := s.each(s.o.Workers, func(w int) error {
		for c := w; c < clinics; c += s.o.Workers {
			cl := &crs.Clinic{Code: fmt.Sprintf("BC%04d", c), Name: "Bench clinic " + strconv.Itoa(c), ConsultantCode: consultantOf(c),
				TreatmentFunction: tfOf(c), LocationID: clinicRoom.ID, Sessions: sessions}
			if err := op.CreateClinic(ctx, s.tr.sys, cl); err != nil {
				return err
			}
			if _, err := op.GenerateSlots(ctx, s.tr.sys, cl.ID, crs.LocalDate(s.first), crs.LocalDate(s.last)); err != nil {
				return err
			}
			ids[c] = cl.ID
		}
		return nil
	}); err != nil {
		return fmt.Errorf("clinics: %w", err)
	}
	s.log.Info("cds bench: clinics made", "clinics", clinics)
	// One referral per appointment, received in the month before. Worker
	// w books its referrals w, w+Workers, ... into its clinics w,
	// w+Workers, ... in turn, each clinic's slots filled before the next:
	// a referral is to the service of the clinic it will be booked in.
	perClinic := perDay * weekdays
	refs := make([]*crs.Referral, s.o.Appointments)
	for i := range refs {
		w, n := i%s.o.Workers, i/s.o.Workers
		c := w + s.o.Workers*(n/perClinic)
		refs[i] = &crs.Referral{PatientID: s.patient(w, n), Source: "03", ReferrerCode: "G1234567", ReferrerOrg: "A81001",
			ReceivedOn: crs.LocalDate(s.first.AddDate(0, 0, -1-i%40)), Priority: crs.PriorityRoutine, TreatmentFunction: tfOf(c),
			ConsultantCode: consultantOf(c), ConsultantLed: true}
	}
	if _, err := s.db.LoadReferrals(ctx, s.tr.sys, refs, crs.LoadOptions{}); err != nil {
		return fmt.Errorf("referrals: %w", err)
	}
	s.log.Info("cds bench: referrals loaded", "referrals", len(refs))
	s.booked = make([][]*crs.Appointment, s.o.Workers)
	return s.each(s.o.Workers, func(w int) error {
		next := 0 // the worker's referrals are w, w+Workers, ...
		for c := w; c < clinics && w+next*s.o.Workers < len(refs); c += s.o.Workers {
			slots, err := op.FindSlots(ctx, s.tr.sys, crs.SlotQuery{ClinicID: ids[c], FreeOnly: true, From: s.first, To: s.last.AddDate(0, 0, 1), Limit: 5000})
			if err != nil {
				return err
			}
			for _, sl := range slots {
				i := w + next*s.o.Workers
				if i >= len(refs) {
					break
				}
				next++
				ap, err := op.BookAppointment(ctx, s.tr.sys, crs.Booking{ReferralID: refs[i].ID, SlotID: sl.ID})
				if err != nil {
					return fmt.Errorf("book: %w", err)
				}
				s.booked[w] = append(s.booked[w], ap)
			}
		}
		return nil
	})
}

// attend records each booked appointment attended and outcomed: most
// discharged (the clock stops), some to follow up.
func (s *cdsSeed) attend(ctx context.Context) error {
	op := store.NewOutpatientService(s.db)
	return s.each(s.o.Workers, func(w int) error {
		for k, ap := range s.booked[w] {
			id := ap.ID
			if err := op.RecordAttendance(ctx, s.tr.sys, id, true, ap.Start.Add(5*time.Minute)); err != nil {
				return fmt.Errorf("attend: %w", err)
			}
			out := &crs.Outcome{RTTStatus: 30, NextStep: crs.NextDischarge}
			if k%4 == 0 {
				out = &crs.Outcome{RTTStatus: 20, NextStep: crs.NextFollowUp, FollowUpWeeks: 6}
			}
			if err := op.RecordOutcome(ctx, s.tr.sys, id, out); err != nil {
				return fmt.Errorf("outcome: %w", err)
			}
		}
		return nil
	})
}

// ed records the month's A&E attendances: arrival, triage and departure.
func (s *cdsSeed) ed(ctx context.Context) error {
	ed := store.NewEDService(s.db)
	orgs := store.NewOrganisationService(s.db)
	site := &crs.Location{Kind: crs.LocationSite, Code: "EDSITE", Name: "Emergency site"}
	if err := orgs.CreateLocation(ctx, s.tr.sys, site); err != nil {
		return err
	}
	if err := orgs.CreateLocation(ctx, s.tr.sys, &crs.Location{ParentID: site.ID, Kind: crs.LocationED, Code: "ED", Name: "Emergency department", EDType: "01"}); err != nil {
		return err
	}
	per := s.o.EDAttendances / s.o.Workers
	span := s.last.AddDate(0, 0, 1).Sub(s.first) - 6*time.Hour
	return s.each(s.o.Workers, func(w int) error {
		for k := 0; k < per; k++ {
			at := s.first.Add(time.Duration(int64(span) * int64(k) / int64(per)))
			e := &crs.EDAttendance{PatientID: s.patient(w, k), ArrivedAt: at, ArrivalMode: "1048071000000103", AttendanceCategory: "1", ChiefComplaint: "21522001"}
			if err := ed.Arrive(ctx, s.tr.sys, e); err != nil {
				return fmt.Errorf("arrive: %w", err)
			}
			if err := ed.Triage(ctx, s.tr.sys, e.ID, 1+k%5, at.Add(10*time.Minute)); err != nil {
				return err
			}
			if err := ed.Depart(ctx, s.tr.sys, e.ID, crs.EDDeparture{Kind: crs.EDDischarged, Status: "182992009", Destination: "306689006", At: at.Add(3 * time.Hour)}); err != nil {
				return err
			}
		}
		return nil
	})
}

// inpatients admits, discharges and codes the month's episodes, each
// worker on beds of its own, one stay after another.
func (s *cdsSeed) inpatients(ctx context.Context) error {
	ip, cs := store.NewInpatientService(s.db), store.NewCodingService(s.db)
	wards, err := store.NewOrganisationService(s.db).FindLocations(ctx, s.tr.sys, "")
	if err != nil {
		return err
	}
	type place struct{ ward, bed string }
	wardOf := map[string]string{}
	for _, l := range wards {
		if l.Kind == crs.LocationWard {
			wardOf[l.ID] = l.ID
		}
	}
	for _, l := range wards { // a bay's beds belong to the bay's ward
		if l.Kind == crs.LocationBay {
			wardOf[l.ID] = wardOf[l.ParentID]
		}
	}
	var beds []place
	for _, l := range wards {
		if l.Kind == crs.LocationBed && wardOf[l.ParentID] != "" {
			beds = append(beds, place{wardOf[l.ParentID], l.ID})
		}
	}
	if len(beds) < s.o.Workers {
		return fmt.Errorf("the bench trust has %d beds for %d workers", len(beds), s.o.Workers)
	}
	per := s.o.Episodes / s.o.Workers
	span := s.last.AddDate(0, 0, 1).Sub(s.first) - 50*time.Hour
	return s.each(s.o.Workers, func(w int) error {
		mine := beds[w*len(beds)/s.o.Workers : (w+1)*len(beds)/s.o.Workers]
		for k := 0; k < per; k++ {
			// The worker's k-th stay starts at an even share of the month
			// and lasts two days, on the bed freed longest ago.
			at := s.first.Add(time.Duration(int64(span) * int64(k) / int64(per)))
			b := mine[k%len(mine)]
			sp, err := ip.Admit(ctx, s.tr.sys, &crs.Admission{PatientID: s.patient(w, s.o.Patients+k), Method: "21", Source: "19", WardID: b.ward, BedID: b.bed,
				ConsultantCode: "C1000001", TreatmentFunction: "300", At: at})
			if err != nil {
				return fmt.Errorf("admit: %w", err)
			}
			if err := ip.Discharge(ctx, s.tr.sys, sp.ID, crs.Discharge{Method: "1", Destination: "19", At: at.Add(48 * time.Hour)}); err != nil {
				return fmt.Errorf("discharge: %w", err)
			}
			got, err := ip.FindSpell(ctx, s.tr.sys, sp.ID)
			if err != nil {
				return err
			}
			if err := cs.CodeEpisode(ctx, s.tr.sys, &crs.EpisodeCoding{EpisodeID: got.Episodes[0].ID, Diagnoses: []string{"J18.9", "I10"},
				Procedures: []crs.ProcedureCode{{Code: "E85.1"}}}); err != nil {
				return fmt.Errorf("code: %w", err)
			}
		}
		return nil
	})
}
