package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
	"github.com/opencrs/crs/rtt"
)

// WaitingListService keeps the elective admission list over SQL.
type WaitingListService struct{ db *DB }

// NewWaitingListService returns the waiting list service over db.
func NewWaitingListService(db *DB) *WaitingListService { return &WaitingListService{db: db} }

var _ crs.WaitingListService = (*WaitingListService)(nil)

const entryColumns = `id, org_id, patient_id, pathway_id, referral_id, decided_on, intended_management, procedure_code, procedure_name,
	priority, consultant_code, treatment_function, for_treatment, status, tci_date, suspended_until, suspended_reason,
	declined_reasonable, removal_reason, removal_note, removed_on, spell_id, created_at, updated_at`

func scanEntry(r scanner) (*crs.WaitingListEntry, error) {
	var e crs.WaitingListEntry
	var decided, tci, until, removed, created, updated string
	var forT int
	if err := r.Scan(&e.ID, &e.OrgID, &e.PatientID, &e.PathwayID, &e.ReferralID, &decided, &e.IntendedManagement, &e.ProcedureCode,
		&e.ProcedureName, &e.Priority, &e.ConsultantCode, &e.TreatmentFunction, &forT, &e.Status, &tci, &until, &e.SuspendedReason,
		&e.DeclinedReasonable, &e.RemovalReason, &e.RemovalNote, &removed, &e.SpellID, &created, &updated); err != nil {
		return nil, notFound(err, "no such waiting list entry")
	}
	e.DecidedOn, e.TCIDate, e.SuspendedUntil, e.RemovedOn = parseDate(decided), parseDate(tci), parseDate(until), parseDate(removed)
	e.ForTreatment = forT == 1
	e.CreatedAt, e.UpdatedAt = parseTime(created), parseTime(updated)
	return &e, nil
}

func getEntry(tx *Tx, id string) (*crs.WaitingListEntry, error) {
	return scanEntry(tx.QueryRow(`SELECT `+entryColumns+` FROM waiting_list_entries WHERE id = $1 AND org_id = $2`, id, tx.actor.OrgID))
}

// entryEventData is the Data of waiting list events; for a TCI it
// carries the date to come in, the procedure and the consultant. (The
// planned admission an agreed TCI records is what the feeds send, A05.)
type entryEventData struct {
	PatientID          string                `json:"patient_id"`
	Entry              *crs.WaitingListEntry `json:"entry"`
	Offer              *crs.TCIOffer         `json:"offer,omitempty"`
	TCIDate            string                `json:"tci_date,omitempty"`
	ConsultantCode     string                `json:"consultant_code"`
	IntendedManagement string                `json:"intended_management"`
	Procedure          string                `json:"procedure_code"`
	Reason             string                `json:"reason,omitempty"`
}

func entryData(e *crs.WaitingListEntry) entryEventData {
	return entryEventData{PatientID: e.PatientID, Entry: e, TCIDate: e.TCIDate.String(), ConsultantCode: e.ConsultantCode,
		IntendedManagement: e.IntendedManagement, Procedure: e.ProcedureCode}
}

// insertWaitingListEntry records a decision to admit on the referral's
// pathway within a command.
func insertWaitingListEntry(tx *Tx, e *crs.WaitingListEntry, r *crs.Referral) error {
	e.Normalize()
	e.OrgID, e.PatientID, e.PathwayID, e.ReferralID = tx.actor.OrgID, r.PatientID, r.PathwayID, r.ID
	if e.TreatmentFunction == "" {
		e.TreatmentFunction = r.TreatmentFunction
	}
	if err := e.Validate(tx.now); err != nil {
		return err
	}
	if r.Status != crs.ReferralOpen {
		return crs.Errorf(crs.ECONFLICT, "the referral is closed")
	}
	var live int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM waiting_list_entries WHERE referral_id = $1 AND org_id = $2 AND status IN ('waiting', 'suspended')`, r.ID, tx.actor.OrgID).Scan(&live); err != nil {
		return err
	}
	if live > 0 {
		return crs.Errorf(crs.ECONFLICT, "the patient is already on the waiting list for this referral")
	}
	e.ID, e.Status, e.CreatedAt, e.UpdatedAt = crs.NewID(), crs.ListWaiting, tx.now, tx.now
	if _, err := tx.Exec(`INSERT INTO waiting_list_entries (id, org_id, patient_id, pathway_id, referral_id, decided_on, intended_management,
		procedure_code, procedure_name, priority, consultant_code, treatment_function, for_treatment, status, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'waiting', $14, $14)`,
		e.ID, e.OrgID, e.PatientID, e.PathwayID, e.ReferralID, dateText(e.DecidedOn), e.IntendedManagement, e.ProcedureCode,
		e.ProcedureName, e.Priority, e.ConsultantCode, e.TreatmentFunction, oneIf(e.ForTreatment), formatTime(tx.now)); err != nil {
		return err
	}
	if err := setWorklist(tx, r.ID, "", crs.Date{}); err != nil {
		return err
	}
	st, strict := e.RTTStatus, true
	if st == 0 {
		st, strict = rtt.StatusSubsequentActivity, false
	}
	if err := addRTTEvent(tx, e.PathwayID, rtt.Event{Date: e.DecidedOn.Time, Kind: rtt.KindDecisionToAdmit, Status: st, Ref: e.ID}, strict); err != nil {
		return err
	}
	im, _ := nhs.Lookup(nhs.IntendedManagements, e.IntendedManagement)
	return tx.EmitData(&crs.Event{Type: crs.EventWaitingListAdded, PatientID: e.PatientID, SubjectID: e.ID, EffectiveAt: e.DecidedOn.Time,
		Summary: fmt.Sprintf("Added to the waiting list for %s (%s), %s, priority %s", e.ProcedureCode, im, e.ConsultantCode, e.Priority)},
		"waiting list", entryData(e))
}

// AddToWaitingList records a decision to admit.
func (s *WaitingListService) AddToWaitingList(ctx context.Context, a crs.Actor, e *crs.WaitingListEntry) error {
	return s.db.writeTx(ctx, a, crs.ActManagePathways, func(tx *Tx) error {
		if e.ReferralID == "" {
			return crs.FieldErrorf("referral", "a waiting list entry belongs to a referral and its pathway")
		}
		r, err := getReferral(tx, e.ReferralID)
		if err != nil {
			return err
		}
		return insertWaitingListEntry(tx, e, r)
	})
}

func scanOffer(r scanner) (*crs.TCIOffer, error) {
	var o crs.TCIOffer
	var offered, dates, accepted, responded string
	var reasonable int
	if err := r.Scan(&o.ID, &o.EntryID, &o.PatientID, &offered, &dates, &reasonable, &o.Response, &accepted, &responded, &o.Note); err != nil {
		return nil, notFound(err, "no such TCI offer")
	}
	o.OfferedOn, o.AcceptedDate, o.RespondedOn, o.Reasonable = parseDate(offered), parseDate(accepted), parseDate(responded), reasonable == 1
	var ds []string
	_ = json.Unmarshal([]byte(dates), &ds)
	for _, d := range ds {
		o.Dates = append(o.Dates, parseDate(d))
	}
	return &o, nil
}

const offerColumns = `id, entry_id, patient_id, offered_on, dates, reasonable, response, accepted_date, responded_on, note`

// FindWaitingListEntry returns an entry with its offers.
func (s *WaitingListService) FindWaitingListEntry(ctx context.Context, a crs.Actor, id string) (*crs.WaitingListEntry, error) {
	var e *crs.WaitingListEntry
	err := s.db.view(ctx, a, crs.ActViewDemographics, "waiting list entry", func(q Querier) (string, error) {
		var err error
		e, err = scanEntry(q.QueryRowContext(ctx, `SELECT `+entryColumns+` FROM waiting_list_entries WHERE id = $1 AND org_id = $2`, id, a.OrgID))
		if err != nil {
			return "", err
		}
		e.Offers, err = queryRows(ctx, q, scanOffer, `SELECT `+offerColumns+` FROM tci_offers WHERE entry_id = $1 AND org_id = $2 ORDER BY offered_on, id`, id, a.OrgID)
		return e.PatientID, err
	})
	return e, err
}

// FindWaitingList lists entries, longest waiting first.
func (s *WaitingListService) FindWaitingList(ctx context.Context, a crs.Actor, f crs.WaitingListFilter) ([]*crs.WaitingListEntry, error) {
	if f.Limit <= 0 || f.Limit > 5000 {
		f.Limit = 500
	}
	var out []*crs.WaitingListEntry
	err := s.db.view(ctx, a, crs.ActManagePathways, "waiting list", func(q Querier) (string, error) {
		args := []any{a.OrgID, f.Limit}
		where := ` AND status IN ('waiting', 'suspended')`
		if f.Status != "" {
			args = append(args, f.Status)
			where = ` AND status = $3`
		}
		if f.TreatmentFunction != "" {
			args = append(args, f.TreatmentFunction)
			where += fmt.Sprintf(` AND treatment_function = $%d`, len(args))
		}
		var err error
		out, err = queryRows(ctx, q, scanEntry, `SELECT `+entryColumns+` FROM waiting_list_entries WHERE org_id = $1`+where+` ORDER BY decided_on, id LIMIT $2`, args...)
		return "", err
	})
	return out, err
}

// liveEntry reads an entry that is still on the list.
func liveEntry(tx *Tx, id string) (*crs.WaitingListEntry, error) {
	e, err := getEntry(tx, id)
	if err != nil {
		return nil, err
	}
	if e.Status != crs.ListWaiting && e.Status != crs.ListSuspended {
		return nil, crs.Errorf(crs.ECONFLICT, "the patient is no longer on the waiting list (%s)", e.Status)
	}
	return e, nil
}

// offerTCI records dates offered to come in.
func (s *WaitingListService) OfferTCI(ctx context.Context, a crs.Actor, entryID string, o *crs.TCIOffer) error {
	return s.db.writeTx(ctx, a, crs.ActManagePathways, func(tx *Tx) error {
		return offerTCI(tx, entryID, o)
	})
}

// offerTCI records a TCI offer within a command.
func offerTCI(tx *Tx, entryID string, o *crs.TCIOffer) error {
	e, err := liveEntry(tx, entryID)
	if err != nil {
		return err
	}
	if o.OfferedOn.IsZero() {
		o.OfferedOn = localDate(tx.now)
	}
	if err := o.Validate(); err != nil {
		return err
	}
	o.ID, o.EntryID, o.PatientID, o.Response = crs.NewID(), e.ID, e.PatientID, crs.TCIPending
	o.Reasonable = crs.IsReasonable(o.OfferedOn, o.Dates)
	ds := make([]string, len(o.Dates))
	for i, d := range o.Dates {
		ds[i] = d.String()
	}
	dates, _ := json.Marshal(ds)
	if _, err := tx.Exec(`INSERT INTO tci_offers (id, org_id, entry_id, patient_id, offered_on, dates, reasonable, response, note)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8)`, o.ID, tx.actor.OrgID, e.ID, e.PatientID, dateText(o.OfferedOn), string(dates), oneIf(o.Reasonable), o.Note); err != nil {
		return err
	}
	if err := addRTTEvent(tx, e.PathwayID, rtt.Event{Date: o.OfferedOn.Time, Kind: rtt.KindTCIOffered, Ref: o.ID}, false); err != nil {
		return err
	}
	why := "reasonable offer"
	if !o.Reasonable {
		why = "not a reasonable offer (needs two dates with 3 weeks' notice)"
	}
	d := entryData(e)
	d.Offer = o
	return tx.EmitData(&crs.Event{Type: crs.EventTCIOffered, PatientID: e.PatientID, SubjectID: e.ID, EffectiveAt: o.OfferedOn.Time,
		Summary: fmt.Sprintf("TCI dates offered: %s; %s", strings.Join(ds, ", "), why)}, "waiting list", d)
}

// respondToTCI records the patient's answer to an offer.
func (s *WaitingListService) RespondToTCI(ctx context.Context, a crs.Actor, offerID string, r crs.TCIResponse) error {
	return s.db.writeTx(ctx, a, crs.ActManagePathways, func(tx *Tx) error { return respondToTCI(tx, offerID, r) })
}

// respondToTCI records the answer within a command.
func respondToTCI(tx *Tx, offerID string, r crs.TCIResponse) error {
	o, err := scanOffer(tx.QueryRow(`SELECT `+offerColumns+` FROM tci_offers WHERE id = $1 AND org_id = $2`, offerID, tx.actor.OrgID))
	if err != nil {
		return err
	}
	if o.Response != crs.TCIPending {
		return crs.Errorf(crs.ECONFLICT, "the patient already %s this offer", o.Response)
	}
	e, err := liveEntry(tx, o.EntryID)
	if err != nil {
		return err
	}
	if r.On.IsZero() {
		r.On = localDate(tx.now)
	}
	d := entryData(e)
	d.Offer = o
	if r.Accept {
		ok := false
		for _, x := range o.Dates {
			ok = ok || x.Equal(r.Date.Time)
		}
		if !ok {
			return crs.FieldErrorf("date", "%s is not one of the dates offered", r.Date.Display())
		}
		if _, err := tx.Exec(`UPDATE tci_offers SET response = 'accepted', accepted_date = $1, responded_on = $2, note = $3 WHERE id = $4`,
			dateText(r.Date), dateText(r.On), r.Note, o.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE waiting_list_entries SET tci_date = $1, updated_at = $2 WHERE id = $3`, dateText(r.Date), formatTime(tx.now), e.ID); err != nil {
			return err
		}
		o.Response, o.AcceptedDate, o.RespondedOn = crs.TCIAccepted, r.Date, r.On
		e.TCIDate = r.Date
		d.TCIDate = r.Date.String()
		if err := refreshPathwayIf(tx, e.PathwayID); err != nil {
			return err
		}
		if err := tx.EmitData(&crs.Event{Type: crs.EventTCIAgreed, PatientID: e.PatientID, SubjectID: e.ID, EffectiveAt: r.On.Time,
			Summary: "To come in on " + r.Date.Display() + " for " + e.ProcedureCode}, "waiting list", d); err != nil {
			return err
		}
		return tciPreadmission(tx, e)
	}
	if _, err := tx.Exec(`UPDATE tci_offers SET response = 'declined', responded_on = $1, note = $2 WHERE id = $3`, dateText(r.On), r.Note, o.ID); err != nil {
		return err
	}
	if o.Reasonable {
		e.DeclinedReasonable++
	}
	if _, err := tx.Exec(`UPDATE waiting_list_entries SET declined_reasonable = $1, updated_at = $2 WHERE id = $3`, e.DeclinedReasonable, formatTime(tx.now), e.ID); err != nil {
		return err
	}
	o.Response, o.RespondedOn = crs.TCIDeclined, r.On
	if err := addRTTEvent(tx, e.PathwayID, rtt.Event{Date: r.On.Time, Kind: rtt.KindTCIDeclined, Ref: o.ID, Note: r.Note}, false); err != nil {
		return err
	}
	summary := "TCI offer declined"
	if e.DeclinedReasonable >= 2 {
		summary += "; two reasonable offers declined: the clinician may discuss active monitoring (RTT guidance s8.3)"
	}
	return tx.EmitData(&crs.Event{Type: crs.EventTCIDeclined, PatientID: e.PatientID, SubjectID: e.ID, EffectiveAt: r.On.Time, Summary: summary}, "waiting list", d)
}

// tciPreadmission records the agreed TCI date of an entry as its planned
// admission, a pre-admission in PAS terms (A05 to the feeds): elective
// from the waiting list (11) under the entry's consultant, as a day case
// when the entry intends one. Another TCI date agreed for the same entry
// changes the pending one, which keeps its visit number.
func tciPreadmission(tx *Tx, e *crs.WaitingListEntry) error {
	p := &crs.Preadmission{PatientID: e.PatientID, EntryID: e.ID, ExpectedOn: e.TCIDate, ConsultantCode: e.ConsultantCode,
		AdmissionMethod: "11", PatientClass: "1", TreatmentFunction: e.TreatmentFunction}
	if e.IntendedManagement == "2" || e.IntendedManagement == "4" {
		p.PatientClass = "2"
	}
	prev, err := entryPreadmission(tx, e.ID)
	if err != nil {
		return err
	}
	if prev == nil {
		return recordPreadmission(tx, p)
	}
	p.ID, p.WardID, p.WardCode, p.SourceVisit, p.SourceFacility = prev.ID, prev.WardID, prev.WardCode, prev.SourceVisit, prev.SourceFacility
	return updatePreadmission(tx, p)
}

// Suspend records that the patient is unavailable; the clock does not pause.
func (s *WaitingListService) Suspend(ctx context.Context, a crs.Actor, entryID string, until crs.Date, reason string) error {
	return s.db.writeTx(ctx, a, crs.ActManagePathways, func(tx *Tx) error {
		e, err := liveEntry(tx, entryID)
		if err != nil {
			return err
		}
		if e.Status == crs.ListSuspended {
			return crs.Errorf(crs.ECONFLICT, "the entry is already suspended")
		}
		if strings.TrimSpace(reason) == "" {
			return crs.FieldErrorf("reason", "say why the patient is unavailable")
		}
		if until.IsZero() || !until.After(tx.now) {
			return crs.FieldErrorf("until", "say until when the patient is unavailable")
		}
		if _, err := tx.Exec(`UPDATE waiting_list_entries SET status = 'suspended', suspended_until = $1, suspended_reason = $2, updated_at = $3 WHERE id = $4`,
			dateText(until), reason, formatTime(tx.now), e.ID); err != nil {
			return err
		}
		e.Status, e.SuspendedUntil, e.SuspendedReason = crs.ListSuspended, until, reason
		if err := addRTTEvent(tx, e.PathwayID, rtt.Event{Date: localDate(tx.now).Time, Kind: rtt.KindSuspension, Ref: e.ID, Note: reason}, false); err != nil {
			return err
		}
		d := entryData(e)
		d.Reason = reason
		return tx.EmitData(&crs.Event{Type: crs.EventSuspended, PatientID: e.PatientID, SubjectID: e.ID,
			Summary: "Unavailable until " + until.Display() + " (" + reason + "); the RTT clock does not pause"}, "waiting list", d)
	})
}

// RecordTCIDNA records that the patient did not come in on the agreed
// TCI date.
func (s *WaitingListService) RecordTCIDNA(ctx context.Context, a crs.Actor, entryID string) error {
	return s.db.writeTx(ctx, a, crs.ActManagePathways, func(tx *Tx) error {
		e, err := liveEntry(tx, entryID)
		if err != nil {
			return err
		}
		tci := e.TCIDate
		switch {
		case tci.IsZero():
			return crs.Errorf(crs.ECONFLICT, "the patient has no agreed date to come in")
		case tci.After(localDate(tx.now).Time):
			return crs.Errorf(crs.ECONFLICT, "the date to come in (%s) has not come yet", tci.Display())
		}
		if pa, err := entryPreadmission(tx, e.ID); err != nil {
			return err
		} else if pa != nil {
			if err := cancelPreadmission(tx, pa, "did not attend", false); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(`UPDATE waiting_list_entries SET tci_date = '', updated_at = $1 WHERE id = $2`, formatTime(tx.now), e.ID); err != nil {
			return err
		}
		dna := rtt.Event{Date: tci.Time, Kind: rtt.KindDidNotAttend, Ref: e.ID, Note: "did not come in on the agreed TCI date"}
		if err := addRTTEvent(tx, e.PathwayID, dna, false); err != nil {
			return err
		}
		e.TCIDate = crs.Date{}
		return tx.EmitData(&crs.Event{Type: crs.EventTCIDNA, PatientID: e.PatientID, SubjectID: e.ID, EffectiveAt: tci.Time,
			Summary: "Did not come in on " + tci.Display() + "; still on the waiting list, the RTT clock keeps running"}, "waiting list", entryData(e))
	})
}

// Resume ends a suspension.
func (s *WaitingListService) Resume(ctx context.Context, a crs.Actor, entryID string) error {
	return s.db.writeTx(ctx, a, crs.ActManagePathways, func(tx *Tx) error {
		e, err := liveEntry(tx, entryID)
		if err != nil {
			return err
		}
		if e.Status != crs.ListSuspended {
			return crs.Errorf(crs.ECONFLICT, "the entry is not suspended")
		}
		if _, err := tx.Exec(`UPDATE waiting_list_entries SET status = 'waiting', suspended_until = '', suspended_reason = '', updated_at = $1 WHERE id = $2`,
			formatTime(tx.now), e.ID); err != nil {
			return err
		}
		e.Status, e.SuspendedUntil, e.SuspendedReason = crs.ListWaiting, crs.Date{}, ""
		return tx.EmitData(&crs.Event{Type: crs.EventResumed, PatientID: e.PatientID, SubjectID: e.ID, Summary: "Available for admission again"}, "waiting list", entryData(e))
	})
}

// RemoveFromWaitingList takes the patient off the list.
func (s *WaitingListService) RemoveFromWaitingList(ctx context.Context, a crs.Actor, entryID string, r crs.Removal) error {
	return s.db.writeTx(ctx, a, crs.ActManagePathways, func(tx *Tx) error {
		e, err := liveEntry(tx, entryID)
		if err != nil {
			return err
		}
		desc, ok := nhs.Lookup(nhs.RemovalReasons, r.Reason)
		if !ok || r.Reason == "1" {
			return crs.FieldErrorf("reason", "removal reason %q must be 2 (emergency admission), 3 (died) or 4 (other); an elective admission removes the entry itself", r.Reason)
		}
		if r.On.IsZero() {
			r.On = localDate(tx.now)
		}
		if r.Reason == "3" && r.RTTStatus == 0 {
			r.RTTStatus = rtt.StatusDied
		}
		if r.RTTStatus != 0 {
			k, ok := stopKinds[r.RTTStatus]
			if !ok {
				return crs.FieldErrorf("rtt_status", "removal from the list records a clock stop (30-36) or 21, not %s; leave it empty if the clock keeps running", r.RTTStatus)
			}
			if err := addRTTEvent(tx, e.PathwayID, rtt.Event{Date: r.On.Time, Kind: k, Status: r.RTTStatus, Ref: e.ID, Note: r.Note}, true); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(`UPDATE waiting_list_entries SET status = 'removed', removal_reason = $1, removal_note = $2, removed_on = $3, updated_at = $4 WHERE id = $5`,
			r.Reason, r.Note, dateText(r.On), formatTime(tx.now), e.ID); err != nil {
			return err
		}
		e.Status, e.RemovalReason, e.RemovalNote, e.RemovedOn = crs.ListRemoved, r.Reason, r.Note, r.On
		// The referral goes back to outpatients if the patient still
		// waits; otherwise it is closed.
		running := false
		if e.PathwayID != "" {
			if err := refreshPathway(tx, e.PathwayID, nil); err != nil {
				return err
			}
			var state string
			if err := tx.QueryRow(`SELECT clock_state FROM pathways WHERE id = $1`, e.PathwayID).Scan(&state); err != nil {
				return err
			}
			running = state == crs.ClockRunning
		}
		if e.ReferralID != "" {
			if running {
				err = setWorklist(tx, e.ReferralID, crs.WorklistFollowUpDue, r.On)
			} else {
				err = closeReferral(tx, e.ReferralID, r.On, "removed from the waiting list: "+desc)
			}
			if err != nil {
				return err
			}
		}
		d := entryData(e)
		d.Reason = desc
		if err := tx.EmitData(&crs.Event{Type: crs.EventWaitingListLeft, PatientID: e.PatientID, SubjectID: e.ID, EffectiveAt: r.On.Time,
			Summary: "Removed from the waiting list: " + desc}, "waiting list", d); err != nil {
			return err
		}
		// The agreed TCI goes with the entry: its planned admission is
		// cancelled (A38).
		pa, err := entryPreadmission(tx, e.ID)
		if err != nil || pa == nil {
			return err
		}
		return cancelPreadmission(tx, pa, "removed from the waiting list: "+desc, false)
	})
}
