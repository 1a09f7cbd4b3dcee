package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"runtime/metrics"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/nhs"
	"github.com/opencrs/crs/report"
	"github.com/opencrs/crs/rtt"
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
	// Patients is how many patients the activity is shared among; 200,000
	// if 0.
	Patients int
	// Beds is how many inpatient beds the trust has; 1,500 if 0.
	Beds int
	// DSN names the database: sqlite:PATH (a new file), postgres://...
	// (the run makes and drops a schema of its own), or a fresh SQLite
	// file in a temporary folder if "".
	DSN string
	// Logger is told how the set-up progresses; slog.Default() if nil.
	Logger *slog.Logger
	// CPUProfile, when set, is a file the CPU profile of the timed
	// extracts (not the seed) is written to.
	CPUProfile string
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
	// Heap is the most memory the Go heap held in the run (its objects,
	// live or not yet freed), sampled every few milliseconds from a heap
	// collected just before: what the extract itself needed.
	Heap uint64
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

// CDS builds a trust with a month of activity through the bulk load path,
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
	def(&o.Patients, 200_000)
	def(&o.Beds, 1500)
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	log := o.Logger
	res := &CDSBenchResult{NumCPU: runtime.NumCPU(), Command: fmt.Sprintf("crs bench cds --ed %d --appointments %d --episodes %d --patients %d",
		o.EDAttendances, o.Appointments, o.Episodes, o.Patients)}
	bdb, _, err := openBenchDB(ctx, HL7Options{DSN: o.DSN})
	if err != nil {
		return nil, err
	}
	defer bdb.Close()
	db := bdb.DB
	db.Logger = log
	res.Engine = db.Dialect()
	// The month before this one, seeded with the clock at its start
	// (bookings) and then the day after it (what happened).
	now := time.Now().In(crs.London)
	first := time.Date(now.Year(), now.Month()-1, 1, 0, 0, 0, 0, crs.London)
	last := first.AddDate(0, 1, -1)
	res.Month = first.Format("2006-01")
	// The patients are registered before the month (none born in it),
	// its activity recorded the day after it.
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
	clock.Set(last.AddDate(0, 0, 1).Add(20 * time.Hour))
	_, restore, err := db.BulkLoad(ctx, tr.org.ID)
	if err != nil {
		return nil, err
	}
	s := &cdsSeed{db: db, tr: tr, o: o, patients: patients, first: first, last: last, log: log}
	for _, step := range []func(context.Context) error{s.outpatients, s.ed, s.inpatients} {
		if err := step(ctx); err != nil {
			restore()
			return nil, err
		}
	}
	restore()
	res.SeedTime = time.Since(t0)
	log.Info("cds bench: month seeded", "elapsed", res.SeedTime.Round(time.Second))

	stop, err := profile(o.CPUProfile, "")
	if err != nil {
		return nil, err
	}
	defer stop()
	src := store.NewCDSSource(db)
	analyst := crs.SystemActor(tr.org.ID)
	for _, typ := range []string{crs.CDSEmergencyCare, crs.CDSOutpatient, crs.CDSAdmitted} {
		for _, kind := range []string{"net change", "again", "bulk"} {
			var cw journeyCounter
			runtime.GC()
			heap := heapPeak()
			c1 := processCPU()
			t1 := time.Now()
			r, err := report.WriteCDS(ctx, src, analyst, report.CDSOptions{Type: typ, From: crs.LocalDate(first), To: crs.LocalDate(last),
				Bulk: kind == "bulk", Provider: tr.org.ODSCode, Commissioner: "15N", Now: clock.Now()}, &cw)
			if err != nil {
				return nil, fmt.Errorf("%s %s extract: %w", typ, kind, err)
			}
			run := CDSRun{Type: typ, Kind: kind, Records: r.Records, Sent: r.Sent, Rejected: len(r.Rejected), Bytes: cw.n, Time: time.Since(t1), CPU: processCPU() - c1, Heap: heap()}
			res.Runs = append(res.Runs, run)
			for _, rj := range r.Rejected[:min(len(r.Rejected), 3)] {
				log.Warn("cds bench: record rejected", "type", typ, "record", rj.Record, "field", rj.Field, "rule", rj.Rule)
			}
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
	fmt.Fprintln(tw, "type\tkind\trecords\tsent\trejected\tMB\ttime\tCPU (crs)\theap MB\ttarget\t")
	for _, run := range r.Runs {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%.1f\t%s\t%s\t%.0f\t<= %s\t\n", run.Type, run.Kind, run.Records, run.Sent, run.Rejected,
			float64(run.Bytes)/1e6, run.Time.Round(time.Millisecond), run.CPU.Round(time.Millisecond), float64(run.Heap)/1e6, cdsTarget)
	}
	tw.Flush()
}

// cdsSeed seeds the month's activity through the bulk load path of a
// legacy migration (many records a statement, a few thousand records a
// command): clinics, referrals on RTT pathways, attended and outcomed
// appointments, A&E attendances and discharged, coded spells.
type cdsSeed struct {
	db       *store.DB
	tr       *journeyTrust
	o        CDSOptions
	patients []string
	first    time.Time
	last     time.Time
	log      *slog.Logger
}

// write runs fn over [0, n) in commands of seedBatch records.
func (s *cdsSeed) write(ctx context.Context, what string, n int, fn func(tx crs.Tx, lo, hi int) error) error {
	if err := s.tr.writeInBatches(ctx, what, n, fn); err != nil {
		return err
	}
	s.log.Info("cds bench: seeded", "what", what, "records", n)
	return nil
}

// patient is the patient of the k-th record of a kind that starts at
// the off-th patient.
func (s *cdsSeed) patient(off, k int) string { return s.patients[(off+k)%len(s.patients)] }

// outpatients makes clinics with sessions every weekday and fills their
// slots of the month, one referral on its own RTT pathway per
// appointment, received in the 40 days before the month: three in four
// attended and discharged (clock stopped, RTT status 30), one in four
// attended and to follow up in 6 weeks (clock running, status 20).
func (s *cdsSeed) outpatients(ctx context.Context) error {
	op := store.NewOutpatientService(s.db)
	const perDay = 32 // 09:00 to 17:00 in 15 minutes
	var weekdays []time.Time
	for d := s.first; !d.After(s.last); d = d.AddDate(0, 0, 1) {
		if d.Weekday() != time.Saturday && d.Weekday() != time.Sunday {
			weekdays = append(weekdays, d)
		}
	}
	perClinic := perDay * len(weekdays)
	clinics := (s.o.Appointments + perClinic - 1) / perClinic
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
	cls := make([]*crs.Clinic, clinics)
	for c := range cls {
		cls[c] = &crs.Clinic{Code: fmt.Sprintf("BC%04d", c), Name: "Bench clinic " + strconv.Itoa(c), ConsultantCode: fmt.Sprintf("C%07d", 1000000+c%97),
			TreatmentFunction: tfs[c%len(tfs)], LocationID: clinicRoom.ID, Sessions: sessions}
		if err := op.CreateClinic(ctx, s.tr.sys, cls[c]); err != nil {
			return fmt.Errorf("clinic: %w", err)
		}
	}
	s.log.Info("cds bench: clinics made", "clinics", clinics)
	ods := s.tr.org.ODSCode
	return s.write(ctx, "outpatient appointments", s.o.Appointments, func(tx crs.Tx, lo, hi int) error {
		refs := make([]*crs.Referral, 0, hi-lo)
		pws := make([]*crs.Pathway, 0, hi-lo)
		events := make([][]crs.PathwayEvent, 0, hi-lo)
		aps := make([]crs.MigratedAppointment, 0, hi-lo)
		for i := lo; i < hi; i++ {
			cl := cls[i/perClinic]
			j := i % perClinic
			start := weekdays[j/perDay].Add(9*time.Hour + time.Duration(j%perDay)*15*time.Minute)
			received := crs.LocalDate(s.first.AddDate(0, 0, -1-i%40))
			seen := crs.LocalDate(start)
			r := &crs.Referral{ID: crs.NewID(), PathwayID: crs.NewID(), PatientID: s.patient(0, i), Source: "03", ReferrerCode: "G1234567",
				ReferrerOrg: "A81001", ReceivedOn: received, Priority: crs.PriorityRoutine, TreatmentFunction: cl.TreatmentFunction,
				ConsultantCode: cl.ConsultantCode, ConsultantLed: true, Status: crs.ReferralOpen}
			out := &crs.Outcome{RTTStatus: 30, NextStep: crs.NextDischarge}
			pw := &crs.Pathway{ID: r.PathwayID, PatientID: r.PatientID, PPI: fmt.Sprintf("%s9%09d", ods, i), PPIIssuer: ods, ReferralID: r.ID,
				TreatmentFunction: r.TreatmentFunction, Priority: r.Priority, ClockState: crs.ClockStopped, ClockStart: received, ClockStop: seen,
				StopStatus: 30, LastStatus: 30}
			if i%4 == 0 {
				out = &crs.Outcome{RTTStatus: 20, NextStep: crs.NextFollowUp, FollowUpWeeks: 6}
				pw.ClockState, pw.ClockStop, pw.StopStatus, pw.LastStatus = crs.ClockRunning, crs.Date{}, 0, 20
			}
			refs, pws = append(refs, r), append(pws, pw)
			events = append(events, []crs.PathwayEvent{{Date: received, Kind: rtt.KindReferralReceived, Status: rtt.StatusFirstActivity},
				{Date: seen, Kind: rtt.KindAttended, Status: out.RTTStatus}})
			aps = append(aps, crs.MigratedAppointment{SlotEnd: start.Add(15 * time.Minute), SlotType: crs.SlotNew,
				Appointment: &crs.Appointment{PatientID: r.PatientID, ReferralID: r.ID, PathwayID: pw.ID, ClinicID: cl.ID, Start: start,
					Kind: crs.SlotNew, Status: crs.AppointmentAttended, AttendedAt: start.Add(5 * time.Minute), Outcome: out}})
		}
		if err := tx.MigrateReferrals(refs); err != nil {
			return err
		}
		if err := tx.MigratePathways(pws, events, make([]bool, len(pws))); err != nil {
			return err
		}
		return tx.MigrateAppointments(aps)
	})
}

// ed records the month's A&E attendances, spread evenly over it: each
// triaged 10 minutes after arrival and discharged home 3 hours after.
func (s *cdsSeed) ed(ctx context.Context) error {
	orgs := store.NewOrganisationService(s.db)
	site := &crs.Location{Kind: crs.LocationSite, Code: "EDSITE", Name: "Emergency site"}
	if err := orgs.CreateLocation(ctx, s.tr.sys, site); err != nil {
		return err
	}
	if err := orgs.CreateLocation(ctx, s.tr.sys, &crs.Location{ParentID: site.ID, Kind: crs.LocationED, Code: "ED", Name: "Emergency department", EDType: "01"}); err != nil {
		return err
	}
	n := s.o.EDAttendances
	span := s.last.AddDate(0, 0, 1).Sub(s.first) - 6*time.Hour
	return s.write(ctx, "A&E attendances", n, func(tx crs.Tx, lo, hi int) error {
		es := make([]*crs.EDAttendance, 0, hi-lo)
		for k := lo; k < hi; k++ {
			at := s.first.Add(span / time.Duration(n) * time.Duration(k))
			triage := 1 + k%5
			es = append(es, &crs.EDAttendance{PatientID: s.patient(s.o.Appointments, k), ArrivedAt: at, ArrivalMode: "1048071000000103",
				AttendanceCategory: "1", ChiefComplaint: "21522001", TriageCategory: triage, Acuity: nhs.EDAcuityForTriage(triage),
				TriagedAt: at.Add(10 * time.Minute), DepartedAt: at.Add(3 * time.Hour), Departure: crs.EDDischarged,
				DischargeStatus: "182992009", DischargeDestination: "306689006", Status: crs.EDDeparted})
		}
		return tx.MigrateEDAttendances(es)
	})
}

// inpatients records the month's stays: admitted via A&E, two days in a
// bed (each bed's stays one after another), discharged home, the one
// episode coded (pneumonia and hypertension, an endoscopic procedure).
func (s *cdsSeed) inpatients(ctx context.Context) error {
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
	if len(beds) == 0 {
		return fmt.Errorf("the bench trust has no beds")
	}
	n := s.o.Episodes
	span := s.last.AddDate(0, 0, 1).Sub(s.first) - 50*time.Hour
	return s.write(ctx, "discharged spells", n, func(tx crs.Tx, lo, hi int) error {
		ss := make([]*crs.Spell, 0, hi-lo)
		cs := make([]*crs.EpisodeCoding, 0, hi-lo)
		for k := lo; k < hi; k++ {
			at := s.first.Add(span / time.Duration(n) * time.Duration(k))
			out := at.Add(48 * time.Hour)
			b := beds[k%len(beds)]
			ep := &crs.Episode{ID: crs.NewID(), Seq: 1, ConsultantCode: "C1000001", TreatmentFunction: "300", Start: at, End: out}
			ss = append(ss, &crs.Spell{PatientID: s.patient(s.o.Appointments+s.o.EDAttendances, k), VisitNumber: crs.VisitNumberFormat(int64(900000000 + k)),
				AdmissionMethod: "21", AdmissionSource: "19", AdmittedAt: at, WardID: b.ward, BedID: b.bed, ConsultantCode: ep.ConsultantCode,
				TreatmentFunction: ep.TreatmentFunction, DischargedAt: out, DischargeMethod: "1", DischargeDestination: "19",
				Episodes: []*crs.Episode{ep}, Stays: []*crs.BedStay{{Seq: 1, WardID: b.ward, BedID: b.bed, Start: at, End: out}}})
			cs = append(cs, &crs.EpisodeCoding{EpisodeID: ep.ID, Diagnoses: []string{"J189", "I10"},
				Procedures: []crs.ProcedureCode{{Code: "E851", Date: crs.LocalDate(at)}}, CodedAt: out.Add(24 * time.Hour)})
		}
		return tx.MigrateDischargedSpells(ss, cs)
	})
}

// heapPeak samples the Go heap's objects (live or not yet freed) every 5
// ms until the returned function is called, which returns the most seen.
func heapPeak() (stop func() uint64) {
	done, peak := make(chan struct{}), make(chan uint64)
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		var most uint64
		for {
			metrics.Read(s)
			most = max(most, s[0].Value.Uint64())
			select {
			case <-done:
				peak <- most
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		return <-peak
	}
}
