package store

import (
	"context"
	"fmt"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
	"github.com/opencrs/crs/rtt"
)

// ReferralService keeps referrals, RTT pathways, worklists and the PTL
// over SQL.
type ReferralService struct{ db *DB }

// NewReferralService returns the referral service over db.
func NewReferralService(db *DB) *ReferralService { return &ReferralService{db: db} }

var _ crs.ReferralService = (*ReferralService)(nil)

const referralColumns = `id, org_id, patient_id, pathway_id, source, referrer_code, referrer_name, referrer_org, received_on, priority,
	specialty, treatment_function, consultant_code, consultant_led, ubrn, reason, status, worklist, follow_up_due, closed_on,
	closed_reason, created_at, updated_at`

func scanReferral(r scanner) (*crs.Referral, error) {
	var x crs.Referral
	var received, due, closed, created, updated, wl string
	var led int
	if err := r.Scan(&x.ID, &x.OrgID, &x.PatientID, &x.PathwayID, &x.Source, &x.ReferrerCode, &x.ReferrerName, &x.ReferrerOrg,
		&received, &x.Priority, &x.Specialty, &x.TreatmentFunction, &x.ConsultantCode, &led, &x.UBRN, &x.Reason, &x.Status, &wl,
		&due, &closed, &x.ClosedReason, &created, &updated); err != nil {
		return nil, notFound(err, "no such referral")
	}
	x.ReceivedOn, x.FollowUpDue, x.ClosedOn = parseDate(received), parseDate(due), parseDate(closed)
	x.ConsultantLed, x.Worklist = led == 1, crs.Worklist(wl)
	x.CreatedAt, x.UpdatedAt = parseTime(created), parseTime(updated)
	return &x, nil
}

func getReferral(tx *Tx, id string) (*crs.Referral, error) {
	r, err := scanReferral(tx.QueryRow(`SELECT `+referralColumns+` FROM referrals WHERE id = $1 AND org_id = $2`, id, tx.actor.OrgID))
	if err == nil && r.PathwayID != "" {
		tx.QueryRow(`SELECT ppi FROM pathways WHERE id = $1 AND org_id = $2`, r.PathwayID, tx.actor.OrgID).Scan(&r.PPI)
	}
	return r, err
}

// setWorklist puts a referral on a worklist ("" for none).
func setWorklist(tx *Tx, referralID string, w crs.Worklist, due crs.Date) error {
	_, err := tx.Exec(`UPDATE referrals SET worklist = $1, follow_up_due = $2, updated_at = $3 WHERE id = $4 AND org_id = $5`,
		string(w), dateText(due), formatTime(tx.now), referralID, tx.actor.OrgID)
	return err
}

// closeReferral closes a referral.
func closeReferral(tx *Tx, referralID string, on crs.Date, reason string) error {
	_, err := tx.Exec(`UPDATE referrals SET status = 'closed', worklist = '', follow_up_due = '', closed_on = $1, closed_reason = $2, updated_at = $3
		WHERE id = $4 AND org_id = $5`, dateText(on), reason, formatTime(tx.now), referralID, tx.actor.OrgID)
	return err
}

// referralEventData is the Data of referral events.
type referralEventData struct {
	Referral *crs.Referral `json:"referral"`
	PPI      string        `json:"ppi,omitempty"`
	Reason   string        `json:"reason,omitempty"`
	Status   rtt.Status    `json:"rtt_status,omitempty"`
}

// insertReferral records a referral within a command: a consultant-led
// one opens its RTT pathway, allocating the PPI (or taking the UBRN),
// and records the clock start (status 10) on the date received.
func insertReferral(tx *Tx, r *crs.Referral) error {
	r.Normalize()
	r.OrgID = tx.actor.OrgID
	if err := r.Validate(tx.now); err != nil {
		return err
	}
	if err := livePatient(tx, r.PatientID); err != nil {
		return err
	}
	if r.ID == "" {
		r.ID = crs.NewID() // else the id the caller gave (an entry of a FHIR transaction others refer to)
	}
	r.Status, r.Worklist = crs.ReferralOpen, crs.WorklistToBook
	r.CreatedAt, r.UpdatedAt = tx.now, tx.now
	if r.ConsultantLed {
		issuer := ""
		switch {
		case r.PPI != "":
		case r.UBRN != "":
			r.PPI, issuer = r.UBRN, "e-RS"
		default:
			var ods string
			if err := tx.QueryRow(`SELECT ods_code FROM organisations WHERE id = $1`, r.OrgID).Scan(&ods); err != nil {
				return err
			}
			n, err := tx.allocate(r.OrgID, "ppi", 1)
			if err != nil {
				return crs.Errorf(crs.EINTERNAL, "allocate pathway identifier: %w", err)
			}
			r.PPI, issuer = fmt.Sprintf("%s%010d", ods, n), ods
		}
		r.PathwayID = crs.NewID()
		if _, err := tx.Exec(`INSERT INTO pathways (id, org_id, patient_id, ppi, ppi_issuer, referral_id, treatment_function, specialty,
			consultant_code, priority, clock_state, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'none', $11, $11)`,
			r.PathwayID, r.OrgID, r.PatientID, r.PPI, issuer, r.ID, r.TreatmentFunction, r.Specialty, r.ConsultantCode, r.Priority, formatTime(tx.now)); err != nil {
			if isUniqueViolation(err) {
				return &crs.Error{Code: crs.ECONFLICT, Field: "ppi", Message: fmt.Sprintf("patient pathway identifier %s is already in use", r.PPI)}
			}
			return err
		}
	}
	if _, err := tx.Exec(`INSERT INTO referrals (id, org_id, patient_id, pathway_id, source, referrer_code, referrer_name, referrer_org,
		received_on, priority, specialty, treatment_function, consultant_code, consultant_led, ubrn, reason, status, worklist, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19)`,
		r.ID, r.OrgID, r.PatientID, r.PathwayID, r.Source, r.ReferrerCode, r.ReferrerName, r.ReferrerOrg, dateText(r.ReceivedOn),
		r.Priority, r.Specialty, r.TreatmentFunction, r.ConsultantCode, oneIf(r.ConsultantLed), r.UBRN, r.Reason, r.Status,
		string(r.Worklist), formatTime(tx.now)); err != nil {
		if isUniqueViolation(err) {
			return &crs.Error{Code: crs.ECONFLICT, Field: "ubrn", Message: fmt.Sprintf("a referral with UBRN %s is already recorded", r.UBRN)}
		}
		return err
	}
	kind := rtt.KindReferralReceived
	if r.UBRN != "" {
		kind = rtt.KindUBRNConverted
	}
	if err := addRTTEvent(tx, r.PathwayID, rtt.Event{Date: r.ReceivedOn.Time, Kind: kind, Status: rtt.StatusFirstActivity, Ref: r.ID}, false); err != nil {
		return err
	}
	src, _ := nhs.Lookup(nhs.ReferralSources, r.Source)
	pri, _ := nhs.Lookup(nhs.PriorityTypes, r.Priority)
	tf, _ := nhs.Lookup(nhs.TreatmentFunctions, r.TreatmentFunction)
	summary := fmt.Sprintf("Referral received (%s) to %s, %s", src, tf, pri)
	if r.PPI != "" {
		summary += "; RTT pathway " + r.PPI + " clock started " + r.ReceivedOn.Display()
	}
	return tx.EmitData(&crs.Event{Type: crs.EventReferralReceived, PatientID: r.PatientID, SubjectID: r.ID, EffectiveAt: r.ReceivedOn.Time, Summary: summary},
		"referral", referralEventData{Referral: r, PPI: r.PPI})
}

// RecordReferral records a received referral.
func (s *ReferralService) RecordReferral(ctx context.Context, a crs.Actor, r *crs.Referral) error {
	// A command run again (see job.fn) starts from the referral as given:
	// a PPI allocated by a run rolled back is allocated again.
	given := *r
	return s.db.writeTx(ctx, a, crs.ActManagePathways, func(tx *Tx) error {
		*r = given
		return insertReferral(tx, r)
	})
}

// stopKinds maps a clock stop status to the kind of decision it records.
var stopKinds = map[rtt.Status]rtt.Kind{
	rtt.StatusFirstTreatment:            rtt.KindTreatmentStarted,
	rtt.StatusActiveMonitoringPatient:   rtt.KindActiveMonitoringStarted,
	rtt.StatusActiveMonitoringClinician: rtt.KindActiveMonitoringStarted,
	rtt.StatusDecisionNotToTreat:        rtt.KindDecisionNotToTreat,
	rtt.StatusDeclinedTreatment:         rtt.KindPatientDeclinedTreatment,
	rtt.StatusDied:                      rtt.KindPatientDied,
	rtt.StatusTransferred:               rtt.KindTransferOut,
}

// CloseReferral closes a referral that needs no further appointments.
func (s *ReferralService) CloseReferral(ctx context.Context, a crs.Actor, id string, c crs.ReferralClosure) error {
	return s.db.writeTx(ctx, a, crs.ActManagePathways, func(tx *Tx) error { return tx.CloseReferral(id, c) })
}

// CloseReferral closes a referral within a command.
func (tx *Tx) CloseReferral(id string, c crs.ReferralClosure) error {
	r, err := getReferral(tx, id)
	if err != nil {
		return err
	}
	if r.Status == crs.ReferralClosed {
		return crs.Errorf(crs.ECONFLICT, "the referral is already closed")
	}
	var live int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM appointments WHERE referral_id = $1 AND status IN ('booked', 'checked_in')`, id).Scan(&live); err != nil {
		return err
	}
	if live > 0 {
		return crs.Errorf(crs.ECONFLICT, "the referral has a booked appointment; cancel it first")
	}
	if c.On.IsZero() {
		c.On = localDate(tx.now)
	}
	if err := c.Validate(tx.now); err != nil {
		return err
	}
	if c.RTTStatus != 0 {
		k, ok := stopKinds[c.RTTStatus]
		if !ok {
			if c.RTTStatus.Category() != rtt.CategoryNotRTT {
				return crs.FieldErrorf("rtt_status", "closing a referral records a clock stop (30-36), 21 or a status outside RTT (90-98), not %s", c.RTTStatus)
			}
			k = rtt.KindDischargedToGP
		}
		if err := addRTTEvent(tx, r.PathwayID, rtt.Event{Date: c.On.Time, Kind: k, Status: c.RTTStatus, Ref: r.ID, Note: c.Reason}, true); err != nil {
			return err
		}
	}
	if err := closeReferral(tx, id, c.On, c.Reason); err != nil {
		return err
	}
	r.Status, r.Worklist, r.ClosedOn, r.ClosedReason = crs.ReferralClosed, "", c.On, c.Reason
	return tx.EmitData(&crs.Event{Type: crs.EventReferralClosed, PatientID: r.PatientID, SubjectID: r.ID, EffectiveAt: c.On.Time,
		Summary: "Referral closed: " + c.Reason}, "referral", referralEventData{Referral: r, Reason: c.Reason, Status: c.RTTStatus})
}

// FindReferral returns a referral.
func (s *ReferralService) FindReferral(ctx context.Context, a crs.Actor, id string) (*crs.Referral, error) {
	return s.findReferral(ctx, a, `id = $1`, id)
}

// FindReferralByUBRN returns the referral of a UBRN, read through the
// index that keeps UBRNs unique (referrals_ubrn, whose condition the
// query states so that both engines see it serves it).
func (s *ReferralService) FindReferralByUBRN(ctx context.Context, a crs.Actor, ubrn string) (*crs.Referral, error) {
	return s.findReferral(ctx, a, `ubrn = $1 AND ubrn <> ''`, ubrn)
}

// findReferral returns the trust's referral matching where, on $1.
func (s *ReferralService) findReferral(ctx context.Context, a crs.Actor, where string, arg string) (*crs.Referral, error) {
	var r *crs.Referral
	err := s.db.view(ctx, a, crs.ActViewDemographics, "referral", func(q Querier) (string, error) {
		var err error
		r, err = scanReferral(q.QueryRowContext(ctx, `SELECT `+referralColumns+` FROM referrals WHERE `+where+` AND org_id = $2`, arg, a.OrgID))
		if err != nil {
			return "", err
		}
		if r.PathwayID != "" {
			q.QueryRowContext(ctx, `SELECT ppi FROM pathways WHERE id = $1 AND org_id = $2`, r.PathwayID, a.OrgID).Scan(&r.PPI)
		}
		return r.PatientID, nil
	})
	return r, err
}

// FindReferrals lists a patient's referrals, newest first.
func (s *ReferralService) FindReferrals(ctx context.Context, a crs.Actor, patientID string) ([]*crs.Referral, error) {
	var out []*crs.Referral
	err := s.db.view(ctx, a, crs.ActViewDemographics, "referrals", func(q Querier) (string, error) {
		var err error
		out, err = queryRows(ctx, q, scanReferralPPI, `SELECT `+prefixed("r.", referralColumns)+`, COALESCE(p.ppi, '') FROM referrals r
			LEFT JOIN pathways p ON p.id = r.pathway_id AND p.org_id = r.org_id WHERE r.org_id = $1 AND r.patient_id = $2 ORDER BY r.received_on DESC, r.id DESC`, a.OrgID, patientID)
		return patientID, err
	})
	return out, err
}

// scanReferralPPI reads a referral followed by its pathway's PPI.
func scanReferralPPI(row scanner) (*crs.Referral, error) {
	var ppi string
	r, err := scanThen(row, scanReferral, &ppi)
	if err != nil {
		return nil, err
	}
	r.PPI = ppi
	return r, nil
}

// scanFunc adapts a function to the scanner interface.
type scanFunc func(dest ...any) error

// scanThen reads a row of what scan reads followed by one column more,
// into then.
func scanThen[T any](row scanner, scan func(scanner) (T, error), then any) (T, error) {
	return scan(scanFunc(func(dest ...any) error { return row.Scan(append(dest, then)...) }))
}

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// FindPathway returns a pathway with its stored clock.
func (s *ReferralService) FindPathway(ctx context.Context, a crs.Actor, id string) (*crs.Pathway, error) {
	var p *crs.Pathway
	err := s.db.view(ctx, a, crs.ActViewDemographics, "RTT pathway", func(q Querier) (string, error) {
		var err error
		if p, err = getPathway(ctx, q, a.OrgID, id); err != nil {
			return "", err
		}
		return p.PatientID, nil
	})
	return p, err
}

// PathwayClock works out a pathway's clock as of a date.
func (s *ReferralService) PathwayClock(ctx context.Context, a crs.Actor, pathwayID string, asOf crs.Date) (*crs.PathwayClock, error) {
	var pc *crs.PathwayClock
	err := s.db.view(ctx, a, crs.ActViewDemographics, "RTT clock", func(q Querier) (string, error) {
		p, err := getPathway(ctx, q, a.OrgID, pathwayID)
		if err != nil {
			return "", err
		}
		events, err := loadRTTEvents(ctx, q, a.OrgID, pathwayID)
		if err != nil {
			return "", err
		}
		if asOf.IsZero() {
			asOf = localDate(s.db.Clock.Now())
		}
		pc = &crs.PathwayClock{Pathway: p, AsOf: asOf, Events: events, Periods: rtt.Periods(events, asOf.Time)}
		if n := len(pc.Periods); n > 0 {
			pc.Clock = pc.Periods[n-1]
		} else {
			pc.Clock = rtt.Evaluate(events, asOf.Time)
		}
		return p.PatientID, nil
	})
	return pc, err
}

// RecordPathwayEvent records a clinical or validation decision. A
// clinical decision (crs.IsClinicalDecision) needs ActRecordClinical, not
// only the pathway. A discharge with a DNA date is rule 5f: the DNA is
// recorded too if the pathway does not hold it yet, and must not be the
// first appointment after the referral (that DNA nullified the clock,
// rule 5e, and leaves none to stop).
func (s *ReferralService) RecordPathwayEvent(ctx context.Context, a crs.Actor, pathwayID string, e crs.PathwayEvent) error {
	act := crs.ActManagePathways
	if crs.IsClinicalDecision(e.Kind, e.Status) {
		act = crs.ActRecordClinical
	}
	return s.db.writeTx(ctx, a, act, func(tx *Tx) error {
		p, err := getPathway(tx.ctx, tx, tx.actor.OrgID, pathwayID)
		if err != nil {
			return err
		}
		if e.Date.IsZero() {
			e.Date = localDate(tx.now)
		}
		if e.Date.After(tx.now) {
			return crs.FieldErrorf("date", "the decision cannot be dated in the future")
		}
		if !e.DNADate.IsZero() {
			if err := recordDNABeforeDischarge(tx, p.ID, e); err != nil {
				return err
			}
		}
		ev := rtt.Event{Date: e.Date.Time, Kind: e.Kind, Status: e.Status, Ref: "decision", Note: e.Note}
		if err := addRTTEvent(tx, pathwayID, ev, true); err != nil {
			return err
		}
		if err := reopenForNewPeriod(tx, p, e); err != nil {
			return err
		}
		summary := fmt.Sprintf("RTT: %s", e.Kind)
		if e.Status != 0 {
			summary += fmt.Sprintf(", status %s", e.Status)
		}
		data := map[string]any{"pathway_id": p.ID, "ppi": p.PPI, "kind": e.Kind.String(), "rtt_status": int(e.Status), "date": e.Date.String(), "note": e.Note}
		if !e.DNADate.IsZero() {
			summary += fmt.Sprintf(" after a DNA on %s", e.DNADate.Display())
			data["dna_date"] = e.DNADate.String()
		}
		return tx.EmitData(&crs.Event{Type: crs.EventPathwayActivity, PatientID: p.PatientID, SubjectID: p.ID, EffectiveAt: e.Date.Time, Summary: summary},
			"RTT pathway", data)
	})
}

// reopenForNewPeriod reopens the pathway's referral, closed when the
// earlier period ended, when a decision starts a new RTT period on the
// pathway (the second side of a bilateral procedure, a new treatment, a
// decision to treat after active monitoring; rule 3): the patient is
// under the consultant's care again. It goes on the follow-up worklist,
// due on the decision date, until a booking or waiting list entry holds
// it, so the new period is never left with nothing to act on.
func reopenForNewPeriod(tx *Tx, p *crs.Pathway, e crs.PathwayEvent) error {
	switch e.Kind {
	case rtt.KindBilateralSecondSide, rtt.KindNewTreatmentDecision, rtt.KindActiveMonitoringEnded:
	default:
		return nil
	}
	if p.ReferralID == "" {
		return nil
	}
	_, err := tx.Exec(`UPDATE referrals SET status = 'open', closed_on = '', closed_reason = '', worklist = $1, follow_up_due = $2, updated_at = $3
		WHERE id = $4 AND org_id = $5 AND status = 'closed'`, string(crs.WorklistFollowUpDue), dateText(e.Date), formatTime(tx.now), p.ReferralID, tx.actor.OrgID)
	return err
}

// recordDNABeforeDischarge checks the DNA date of a rule 5f discharge and
// records the DNA on the pathway when none is recorded on that date.
func recordDNABeforeDischarge(tx *Tx, pathwayID string, e crs.PathwayEvent) error {
	if e.Kind != rtt.KindDischargedToGP {
		return crs.FieldErrorf("dna_date", "a DNA date goes only with a discharge back to the GP (rule 5f)")
	}
	if e.DNADate.After(e.Date.Time) {
		return crs.FieldErrorf("dna_date", "the DNA (%s) must be on or before the decision to discharge (%s)", e.DNADate.Display(), e.Date.Display())
	}
	events, err := loadRTTEvents(tx.ctx, tx, tx.actor.OrgID, pathwayID)
	if err != nil {
		return err
	}
	for _, ev := range events {
		if ev.Kind == rtt.KindDidNotAttend && crs.DateOf(ev.Date).Equal(e.DNADate.Time) {
			return dnaLeftClock(events, e.DNADate)
		}
	}
	dna := rtt.Event{Date: e.DNADate.Time, Kind: rtt.KindDidNotAttend, Ref: "decision", Note: "recorded with the decision to discharge"}
	if err := addRTTEvent(tx, pathwayID, dna, false); err != nil {
		return err
	}
	return dnaLeftClock(append(events, dna), e.DNADate)
}

// dnaLeftClock refuses a DNA that stopped the clock: a DNA of the first
// appointment after the referral nullifies it (rule 5e), so there is no
// running clock for a discharge to stop.
func dnaLeftClock(events []rtt.Event, dna crs.Date) error {
	c := rtt.Evaluate(events, dna.Time)
	switch {
	case c.Nullified && crs.DateOf(c.Stop).Equal(dna.Time):
		return crs.FieldErrorf("dna_date", "the DNA on %s was of the first appointment after the referral: it nullified the clock (rule 5e), so there is no clock for a discharge to stop", dna.Display())
	case !c.Running:
		return crs.FieldErrorf("dna_date", "no RTT clock was running on %s, the date of the DNA", dna.Display())
	}
	return nil
}

// Worklist lists the open referrals on a worklist, oldest first.
func (s *ReferralService) Worklist(ctx context.Context, a crs.Actor, w crs.Worklist, f crs.WorklistFilter) ([]*crs.WorklistItem, error) {
	switch w {
	case crs.WorklistToBook, crs.WorklistToOutcome, crs.WorklistFollowUpDue:
	default:
		return nil, crs.Errorf(crs.EINVALID, "worklist %q is not to_book, to_outcome or follow_up_due", w)
	}
	if f.Limit <= 0 || f.Limit > 5000 {
		f.Limit = 500
	}
	var out []*crs.WorklistItem
	err := s.db.view(ctx, a, crs.ActManagePathways, "worklist "+string(w), func(q Querier) (string, error) {
		args := []any{a.OrgID, string(w), f.Limit}
		where := ""
		if f.TreatmentFunction != "" {
			args = append(args, f.TreatmentFunction)
			where = ` AND r.treatment_function = $4`
		}
		order := `r.received_on, r.id`
		if w == crs.WorklistFollowUpDue {
			order = `r.follow_up_due, r.id`
		}
		var err error
		out, err = queryRows(ctx, q, func(row scanner) (*crs.WorklistItem, error) {
			var it crs.WorklistItem
			var fam, given string
			r, err := scanReferral(scanFunc(func(dest ...any) error {
				return row.Scan(append(dest, &it.MRN, &it.NHSNumber, &fam, &given)...)
			}))
			if err != nil {
				return nil, err
			}
			it.Referral, it.Name = r, patientName(fam, given)
			return &it, nil
		}, `SELECT `+prefixed("r.", referralColumns)+`, p.mrn, p.nhs_number, p.family_name, p.given_name
			FROM referrals r JOIN patients p ON p.id = r.patient_id
			WHERE r.org_id = $1 AND r.worklist = $2`+where+` ORDER BY `+order+` LIMIT $3`, args...)
		return "", err
	})
	return out, err
}
