package demo

import (
	"context"
	"fmt"
	"math/rand"
	"sync"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/rtt"
)

// The patient journey of a demo or bench trust: synthetic referrals,
// appointments, waiting list entries, admissions and A&E attendances,
// made from the trust's patients through the same services and write
// path as every other change.

// JourneyServices are what SeedJourney works through.
type JourneyServices struct {
	Organisations crs.OrganisationService
	Referrals     crs.ReferralService
	Outpatients   crs.OutpatientService
	WaitingList   crs.WaitingListService
	Inpatients    crs.InpatientService
	ED            crs.EDService
	Observations  crs.ObservationService // nil seeds no observations
	Loader        crs.BulkLoader
	Clock         crs.Clock
}

// JourneyOptions says how much of the patient journey SeedJourney
// makes. Zero values take the defaults shown.
type JourneyOptions struct {
	Referrals   int     // referrals at every stage (200)
	ClinicWeeks int     // weeks of clinic slots ahead of today (4); as many behind
	Occupancy   float64 // share of beds occupied (0.85)
	EDPatients  int     // patients in A&E now (20)
	Seed        int64   // random seed (1)
	Workers     int     // referrals taken through their stages at once (8)

	// BulkPathways, when set, adds that many open pathways (referrals
	// waiting to be booked, received over the last 400 days) in batched
	// commands of BatchSize referrals, for the bench: 1,000,000 makes a
	// large trust's PTL. The stages above are skipped.
	BulkPathways int
	BatchSize    int // referrals per command in bulk (500)
}

// seedSpecialties are the clinics SeedJourney creates when a trust has
// none: treatment function and consultant.
var seedSpecialties = []struct{ tf, name, consultant string }{
	{"100", "General Surgery", "C1000001"}, {"101", "Urology", "C1010001"}, {"110", "Trauma and Orthopaedics", "C1100001"},
	{"120", "ENT", "C1200001"}, {"130", "Ophthalmology", "C1300001"}, {"300", "General Medicine", "C3000001"},
	{"320", "Cardiology", "C3200001"}, {"502", "Gynaecology", "C5020001"},
}

// procedures are intended procedures by treatment function (OPCS-4).
var procedures = map[string][]string{
	"100": {"T201", "J183"}, "101": {"M651", "M459"}, "110": {"W401", "W371", "O181"}, "120": {"F341", "E031"},
	"130": {"C751", "C712"}, "300": {"G451", "H229"}, "320": {"K634", "K751"}, "502": {"Q074", "Q181"},
}

// SeedJourney fills a trust with a realistic patient journey from its
// existing patients and locations: clinic templates (made if the trust
// has none) with slots a month either side of today, referrals at every
// stage (to book, booked, attended awaiting outcome, follow-up due or
// booked, on the waiting list with TCIs, DNA to review, treated), wards
// occupied to about 85% by spells, observations with NEWS2 scores for
// the first inpatients of each ward, and patients in A&E. Every change goes
// through the write path. With BulkPathways it instead adds that many
// open pathways in batched commands, for the bench.
func SeedJourney(ctx context.Context, sv JourneyServices, a crs.Actor, o JourneyOptions) error {
	if o.Referrals == 0 {
		o.Referrals = 200
	}
	if o.ClinicWeeks == 0 {
		o.ClinicWeeks = 4
	}
	if o.Occupancy == 0 {
		o.Occupancy = 0.85
	}
	if o.EDPatients == 0 {
		o.EDPatients = 20
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Workers <= 0 {
		o.Workers = 8
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 500
	}
	patients, err := sv.Loader.LivePatientIDs(ctx, a.OrgID, 200000)
	if err != nil {
		return err
	}
	if len(patients) == 0 {
		return crs.Errorf(crs.ECONFLICT, "the trust has no patients to seed a journey for")
	}
	rng := rand.New(rand.NewSource(o.Seed))
	if o.BulkPathways > 0 {
		return seedBulk(ctx, sv, a, o, patients)
	}
	clinics, err := seedClinics(ctx, sv, a, o)
	if err != nil {
		return err
	}
	now := sv.Clock.Now()
	past, future := map[string][]*crs.Slot{}, map[string][]*crs.Slot{}
	fuFuture := map[string][]*crs.Slot{}
	for _, c := range clinics {
		slots, err := sv.Outpatients.FindSlots(ctx, a, crs.SlotQuery{ClinicID: c.ID, FreeOnly: true, From: now.AddDate(0, 0, -7*o.ClinicWeeks), To: now.AddDate(0, 0, 7*o.ClinicWeeks), Limit: 5000})
		if err != nil {
			return err
		}
		for _, s := range slots {
			switch {
			case s.Start.Before(now.Add(-time.Hour)) && s.Type != crs.SlotFollowUp:
				past[c.TreatmentFunction] = append(past[c.TreatmentFunction], s)
			case s.Start.After(now) && s.Type == crs.SlotFollowUp:
				fuFuture[c.TreatmentFunction] = append(fuFuture[c.TreatmentFunction], s)
			case s.Start.After(now):
				future[c.TreatmentFunction] = append(future[c.TreatmentFunction], s)
			}
		}
	}
	plans := planReferrals(o, clinics, past, future, fuFuture)
	today := crs.LocalDate(now)
	if err := inParallel(o.Workers, plans, func(p *referralPlan) error {
		if err := seedReferral(ctx, a, sv.Referrals, sv.Outpatients, sv.WaitingList, patients, p, today); err != nil {
			return fmt.Errorf("seed referral %d: %w", p.i, err)
		}
		return nil
	}); err != nil {
		return err
	}
	if err := seedWards(ctx, a, o, sv.Inpatients, patients, rng, now); err != nil {
		return err
	}
	if err := seedObservations(ctx, a, sv, now); err != nil {
		return err
	}
	return seedED(ctx, a, o, sv.ED, patients, rng, now)
}

// seedClinics returns the trust's clinics, creating a clinic room and a
// clinic per seed specialty when there are none, and makes their slots.
func seedClinics(ctx context.Context, sv JourneyServices, a crs.Actor, o JourneyOptions) ([]*crs.Clinic, error) {
	op := sv.Outpatients
	clinics, err := op.FindClinics(ctx, a)
	if err != nil {
		return nil, err
	}
	if len(clinics) == 0 {
		orgs := sv.Organisations
		rooms, err := orgs.FindLocations(ctx, a, crs.LocationClinicRoom)
		if err != nil {
			return nil, err
		}
		if len(rooms) == 0 {
			sites, err := orgs.FindLocations(ctx, a, crs.LocationSite)
			if err != nil {
				return nil, err
			}
			if len(sites) == 0 {
				s := &crs.Location{Kind: crs.LocationSite, Code: "MAIN", Name: "Main hospital"}
				if err := orgs.CreateLocation(ctx, a, s); err != nil {
					return nil, err
				}
				sites = append(sites, s)
			}
			for i := 1; i <= 4; i++ {
				room := &crs.Location{ParentID: sites[0].ID, Kind: crs.LocationClinicRoom, Code: fmt.Sprintf("OPD%d", i), Name: fmt.Sprintf("Outpatients room %d", i)}
				if err := orgs.CreateLocation(ctx, a, room); err != nil {
					return nil, err
				}
				rooms = append(rooms, room)
			}
		}
		for i, sp := range seedSpecialties {
			day := time.Weekday(1 + i%5)
			c := &crs.Clinic{Code: fmt.Sprintf("%s-%s", sp.tf, day.String()[:3]), Name: sp.name + " clinic", ConsultantCode: sp.consultant,
				ConsultantName: "Consultant " + sp.name, TreatmentFunction: sp.tf, LocationID: rooms[i%len(rooms)].ID,
				Sessions: []crs.ClinicSession{
					{Weekday: day, Start: "09:00", End: "12:30", SlotMinutes: 15, SlotType: crs.SlotNew},
					{Weekday: day, Start: "13:30", End: "16:30", SlotMinutes: 15, SlotType: crs.SlotFollowUp},
					{Weekday: time.Weekday(1 + (i+2)%5), Start: "09:00", End: "12:30", SlotMinutes: 20, SlotType: crs.SlotNew},
					{Weekday: time.Weekday(1 + (i+2)%5), Start: "13:30", End: "15:00", SlotMinutes: 30, SlotType: crs.SlotUrgent},
				}}
			if err := op.CreateClinic(ctx, a, c); err != nil {
				return nil, err
			}
			clinics = append(clinics, c)
		}
	}
	today := crs.LocalDate(sv.Clock.Now())
	for _, c := range clinics {
		if _, err := op.GenerateSlots(ctx, a, c.ID, crs.Date{Time: today.AddDate(0, 0, -7*o.ClinicWeeks)}, crs.Date{Time: today.AddDate(0, 0, 7*o.ClinicWeeks)}); err != nil {
			return nil, err
		}
	}
	return clinics, nil
}

// referralPlan is one referral SeedJourney makes: its stage, the slots
// it takes and a random source of its own for the rest. The plans are
// drawn in turn before the referrals are made at once, so that a seed
// makes the same journey however the workers are scheduled.
type referralPlan struct {
	i      int
	clinic *crs.Clinic
	r      *rand.Rand
	stage  int       // 0-19 to book, 20-44 booked, 45-49 DNA, 50-57 seen, 58-74 follow-up, 75-89 listed, 90-99 treated
	seen   *crs.Slot // the past slot of the first appointment (stage 45 and over)
	next   *crs.Slot // the future slot booked: the first appointment (20-44) or a follow-up (58-74); nil when none was free
}

// planReferrals draws o.Referrals plans in turn, each from its own random
// source (seeded o.Seed*1000+i), taking each one's slots from the free
// slots by treatment function: past, future and future follow-up. A
// referral to be seen already for which no past slot is left waits to
// be booked instead.
func planReferrals(o JourneyOptions, clinics []*crs.Clinic, past, future, fuFuture map[string][]*crs.Slot) []*referralPlan {
	take := func(m map[string][]*crs.Slot, tf string, r *rand.Rand) *crs.Slot {
		l := m[tf]
		if len(l) == 0 {
			return nil
		}
		i := r.Intn(len(l))
		s := l[i]
		l[i] = l[len(l)-1]
		m[tf] = l[:len(l)-1]
		return s
	}
	plans := make([]*referralPlan, o.Referrals)
	for i := range plans {
		p := &referralPlan{i: i, clinic: clinics[i%len(clinics)], r: rand.New(rand.NewSource(o.Seed*1000 + int64(i)))}
		tf := p.clinic.TreatmentFunction
		p.stage = p.r.Intn(100)
		if p.stage >= 45 {
			if p.seen = take(past, tf, p.r); p.seen == nil {
				p.stage = 0
			}
		}
		switch {
		case p.stage >= 20 && p.stage < 45:
			p.next = take(future, tf, p.r)
		case p.stage >= 58 && p.stage < 75 && p.r.Intn(2) == 0: // half the follow-ups due are booked
			p.next = take(fuFuture, tf, p.r)
		}
		plans[i] = p
	}
	return plans
}

// seedReferral makes the referral p plans and takes it to its stage.
func seedReferral(ctx context.Context, a crs.Actor, refs crs.ReferralService, op crs.OutpatientService, wl crs.WaitingListService,
	patients []string, p *referralPlan, today crs.Date) error {
	c, r, stage, slot := p.clinic, p.r, p.stage, p.seen
	ref := &crs.Referral{PatientID: patients[r.Intn(len(patients))], Source: []string{"03", "03", "03", "05", "04", "06"}[r.Intn(6)],
		ReferrerCode: fmt.Sprintf("G%07d", r.Intn(9999999)), Priority: []string{"1", "1", "1", "1", "2", "3"}[r.Intn(6)],
		TreatmentFunction: c.TreatmentFunction, ConsultantCode: c.ConsultantCode, ConsultantLed: true}
	if slot != nil { // seen already: the referral came before the past slot
		ref.ReceivedOn = crs.Date{Time: crs.LocalDate(slot.Start).AddDate(0, 0, -5-r.Intn(80))}
	} else {
		ref.ReceivedOn = crs.Date{Time: today.AddDate(0, 0, -r.Intn(200))}
	}
	if err := refs.RecordReferral(ctx, a, ref); err != nil {
		return err
	}
	switch {
	case stage < 20: // awaiting booking
		return nil
	case stage < 45: // booked into a future slot
		if p.next != nil {
			_, err := op.BookAppointment(ctx, a, crs.Booking{ReferralID: ref.ID, SlotID: p.next.ID})
			return err
		}
		return nil
	}
	ap, err := op.BookAppointment(ctx, a, crs.Booking{ReferralID: ref.ID, SlotID: slot.ID})
	if err != nil {
		return err
	}
	attended := stage >= 50
	if err := op.RecordAttendance(ctx, a, ap.ID, attended, slot.Start.Add(time.Duration(r.Intn(30))*time.Minute)); err != nil {
		return err
	}
	switch {
	case stage < 50: // DNA awaiting review
		return nil
	case stage < 58: // attended, outcome not yet recorded
		return nil
	case stage < 75: // follow-up due, half booked
		if err := op.RecordOutcome(ctx, a, ap.ID, &crs.Outcome{RTTStatus: rtt.StatusSubsequentActivity, NextStep: crs.NextFollowUp, FollowUpWeeks: 2 + r.Intn(8)}); err != nil {
			return err
		}
		if p.next != nil {
			_, err := op.BookAppointment(ctx, a, crs.Booking{ReferralID: ref.ID, SlotID: p.next.ID})
			return err
		}
		return nil
	case stage < 90: // on the waiting list, some with a TCI date
		procs := procedures[c.TreatmentFunction]
		if procs == nil {
			procs = []string{"X559"}
		}
		e := &crs.WaitingListEntry{IntendedManagement: []string{"1", "2", "2"}[r.Intn(3)], ProcedureCode: procs[r.Intn(len(procs))],
			Priority: []string{"P2", "P3", "P3", "P4"}[r.Intn(4)], ConsultantCode: c.ConsultantCode, ForTreatment: r.Intn(10) > 0}
		if err := op.RecordOutcome(ctx, a, ap.ID, &crs.Outcome{RTTStatus: rtt.StatusSubsequentActivity, NextStep: crs.NextWaitingList, Listing: e}); err != nil {
			return err
		}
		if r.Intn(2) == 0 {
			d1 := crs.Date{Time: today.AddDate(0, 0, 21+r.Intn(30))}
			offer := &crs.TCIOffer{Dates: []crs.Date{d1, {Time: d1.AddDate(0, 0, 7)}}}
			if err := wl.OfferTCI(ctx, a, e.ID, offer); err != nil {
				return err
			}
			return wl.RespondToTCI(ctx, a, offer.ID, crs.TCIResponse{Accept: true, Date: offer.Dates[r.Intn(2)]})
		}
		return nil
	default: // treated at clinic or discharged
		st := []rtt.Status{rtt.StatusFirstTreatment, rtt.StatusDecisionNotToTreat}[r.Intn(2)]
		return op.RecordOutcome(ctx, a, ap.ID, &crs.Outcome{RTTStatus: st, NextStep: crs.NextDischarge})
	}
}

// seedWards fills about Occupancy of the beds with inpatients admitted
// over the last ten days.
func seedWards(ctx context.Context, a crs.Actor, o JourneyOptions, ip crs.InpatientService, patients []string, rng *rand.Rand, now time.Time) error {
	wards, err := ip.BedBoard(ctx, a)
	if err != nil {
		return err
	}
	// The patients in a bed (admitted or on leave) are not admitted again.
	busy := map[string]bool{}
	for _, w := range wards {
		for _, b := range w.Beds {
			if b.PatientID != "" {
				busy[b.PatientID] = true
			}
		}
	}
	next := rng.Intn(len(patients))
	for _, w := range wards {
		for _, b := range w.Beds {
			if b.SpellID != "" || rng.Float64() >= o.Occupancy {
				continue
			}
			var pid string
			for tries := 0; tries < len(patients) && pid == ""; tries++ {
				next = (next + 1) % len(patients)
				if !busy[patients[next]] {
					pid = patients[next]
				}
			}
			if pid == "" {
				return nil
			}
			busy[pid] = true
			at := now.Add(-time.Duration(rng.Intn(10*24*60)) * time.Minute)
			method := []string{"21", "21", "21", "22", "11", "12", "2D"}[rng.Intn(7)]
			sp := seedSpecialties[rng.Intn(len(seedSpecialties))]
			_, err := ip.Admit(ctx, a, &crs.Admission{PatientID: pid, Method: method, Source: "19", WardID: w.WardID, BedID: b.BedID,
				ConsultantCode: sp.consultant, TreatmentFunction: sp.tf, At: at,
				ExpectedDischarge: crs.Date{Time: crs.LocalDate(now).AddDate(0, 0, rng.Intn(7))}})
			if err != nil && crs.ErrorCode(err) != crs.ECONFLICT {
				return fmt.Errorf("seed admission: %w", err)
			}
		}
	}
	return nil
}

// seedED puts patients in A&E, arrived over the last 13 hours, some
// triaged, seen and awaiting admission.
func seedED(ctx context.Context, a crs.Actor, o JourneyOptions, ed crs.EDService, patients []string, rng *rand.Rand, now time.Time) error {
	modes := []string{"1048031000000100", "1048071000000103", "1048071000000103", "1048061000000105"}
	for i := 0; i < o.EDPatients; i++ {
		e := &crs.EDAttendance{PatientID: patients[rng.Intn(len(patients))], ArrivalMode: modes[rng.Intn(len(modes))],
			Complaint: []string{"chest pain", "fall", "shortness of breath", "abdominal pain", "head injury"}[rng.Intn(5)], AttendanceCategory: "1",
			ArrivedAt: now.Add(-time.Duration(rng.Intn(13*60)) * time.Minute)}
		if err := ed.Arrive(ctx, a, e); err != nil {
			if crs.ErrorCode(err) == crs.ECONFLICT {
				continue
			}
			return fmt.Errorf("seed A&E arrival: %w", err)
		}
		waited := now.Sub(e.ArrivedAt)
		if waited > 15*time.Minute {
			if err := ed.Triage(ctx, a, e.ID, 1+rng.Intn(5), e.ArrivedAt.Add(10*time.Minute)); err != nil {
				return err
			}
			ed.Move(ctx, a, e.ID, []string{"MAJ-1", "MAJ-2", "MIN-1", "RESUS", "WAIT"}[rng.Intn(5)])
		}
		if waited > time.Hour {
			if err := ed.RecordSeen(ctx, a, e.ID, "ED doctor", e.ArrivedAt.Add(50*time.Minute)); err != nil {
				return err
			}
		}
		if waited > 3*time.Hour && rng.Intn(3) == 0 {
			if err := ed.DecideToAdmit(ctx, a, e.ID, "300", e.ArrivedAt.Add(2*time.Hour)); err != nil {
				return err
			}
		}
	}
	return nil
}

// seedBulk adds open pathways: referrals waiting to be booked, received
// over the last 400 days, made here and recorded through the bulk
// loader in commands of BatchSize referrals.
func seedBulk(ctx context.Context, sv JourneyServices, a crs.Actor, o JourneyOptions, patients []string) error {
	today := crs.LocalDate(sv.Clock.Now())
	r := rand.New(rand.NewSource(o.Seed * 7919))
	// A chunk of referrals is made, then loaded while it is held, so a
	// million pathways never sit in memory at once.
	chunk := o.BatchSize * bulkChunkBatches
	for left := o.BulkPathways; left > 0; left -= chunk {
		refs := make([]*crs.Referral, min(left, chunk))
		for j := range refs {
			sp := seedSpecialties[r.Intn(len(seedSpecialties))]
			refs[j] = &crs.Referral{PatientID: patients[r.Intn(len(patients))], Source: "03", Priority: "1", TreatmentFunction: sp.tf,
				ConsultantCode: sp.consultant, ConsultantLed: true, ReceivedOn: crs.Date{Time: today.AddDate(0, 0, -r.Intn(400))}}
		}
		if _, err := sv.Loader.LoadReferrals(ctx, a, refs, crs.LoadOptions{BatchSize: o.BatchSize}); err != nil {
			return err
		}
	}
	return nil
}

// bulkChunkBatches is how many batches of referrals seedBulk makes before
// it loads them.
const bulkChunkBatches = 100

// inParallel runs work on each job from workers goroutines and returns
// the first error, after which no further job starts.
func inParallel[J any](workers int, jobs []J, work func(job J) error) error {
	ch := make(chan J)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				if err := work(j); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var err error
feed:
	for _, j := range jobs {
		select {
		case ch <- j:
		case err = <-errs:
			break feed
		}
	}
	close(ch)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errs:
		default:
		}
	}
	return err
}
