package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
	"github.com/opencrs/crs/rtt"
)

// ReferralBatchSize is how many referrals LoadReferrals records in one
// command when the options do not say.
const ReferralBatchSize = 500

// referralLoadWorkers is how many commands of a referral load are in
// flight at once, so the committer groups them into one sync.
const referralLoadWorkers = 8

// LoadReferrals records consultant-led referrals in bulk through the one
// write path: in batches of opts.BatchSize referrals, each one command of
// activity manage_pathways, several in flight at once. Each referral is
// validated as RecordReferral does and gets its pathway (its clock
// starting on the date received), its RTT event, its own event and audit
// record; a referral to a merged or another trust's patient refuses its
// batch. Batches may commit in any order, so on an error some later
// batches may be recorded and earlier ones not; it returns how many
// referrals were recorded.
//
// On SQLite the write connection uses the bulk load settings (see
// bulkLoadPragmas) while the load runs.
func (db *DB) LoadReferrals(ctx context.Context, a crs.Actor, refs []*crs.Referral, opts crs.LoadOptions) (int, error) {
	ctx, size, restore, err := db.startLoad(ctx, a, crs.ActManagePathways, opts, ReferralBatchSize)
	if err != nil {
		return 0, err
	}
	defer restore()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type batch struct{ start, end int }
	type result struct {
		n   int
		err error
	}
	todo, results := make(chan batch), make(chan result)
	var wg sync.WaitGroup
	for w := 0; w < referralLoadWorkers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range todo {
				err := db.writeTx(ctx, a, crs.ActManagePathways, func(tx *Tx) error { return insertReferrals(tx, refs[b.start:b.end]) })
				results <- result{b.end - b.start, err}
			}
		}()
	}
	go func() {
		defer close(todo)
		for start := 0; start < len(refs); start += size {
			select {
			case todo <- batch{start, min(start+size, len(refs))}:
			case <-ctx.Done(): // a batch failed: no further batch starts
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(results)
	}()
	done := 0
	var first error
	for r := range results {
		switch {
		case r.err == nil:
			done += r.n
			if opts.Progress != nil {
				opts.Progress(done, len(refs))
			}
		case first == nil:
			first = r.err
			cancel()
		}
	}
	return done, first
}

// LivePatientIDs lists the ids of the trust's live patients (neither
// merged nor dead), oldest record first, at most limit of them: the
// patients a load of referrals or admissions may be about.
func (db *DB) LivePatientIDs(ctx context.Context, orgID string, limit int) ([]string, error) {
	return queryRows(ctx, db.read, scanString, `SELECT id FROM patients WHERE org_id = $1 AND merged_into = '' AND death_time = '' ORDER BY id LIMIT $2`, orgID, limit)
}

// insertReferrals records many consultant-led referrals within one
// command, writing the same rows, events and audit records as
// insertReferral does for each (a pathway whose clock starts on the date
// received, with its RTT event), but with one multi-row statement per
// table: the path of the bulk seed. A referral with a UBRN or PPI of its
// own goes through insertReferral.
func insertReferrals(tx *Tx, refs []*crs.Referral) error {
	ctx := tx.Context()
	orgID := tx.actor.OrgID
	var bulkRefs []*crs.Referral
	for _, r := range refs {
		r.Normalize()
		if !r.ConsultantLed || r.UBRN != "" || r.PPI != "" {
			if err := insertReferral(tx, r); err != nil {
				return err
			}
			continue
		}
		r.OrgID = orgID
		if err := r.Validate(tx.now); err != nil {
			return err
		}
		bulkRefs = append(bulkRefs, r)
	}
	refs = bulkRefs
	if len(refs) == 0 {
		return nil
	}
	bulk := newBulkInserter(tx)
	defer bulk.close()

	// Every patient belongs to the trust and was not merged (livePatient).
	live := make(map[string]bool, len(refs))
	gp := make(map[string]string, len(refs)) // each patient's GP practice, for the courses
	var ids []any
	for _, r := range refs {
		if _, ok := live[r.PatientID]; !ok {
			live[r.PatientID] = false
			ids = append(ids, r.PatientID)
		}
	}
	// By id alone: a patient of another trust is not found, as by
	// livePatient. (With org_id in the WHERE clause SQLite walks an
	// org_id index rather than the primary key.)
	for len(ids) > 0 {
		n := min(maxParams, len(ids))
		s, err := bulk.stmt(ctx, `SELECT id, org_id, merged_into, gp_practice_code FROM patients WHERE id IN `+bulk.placeholders(1, n, 1))
		if err != nil {
			return err
		}
		rows, err := s.QueryContext(ctx, ids[:n]...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id, org, merged, practice string
			if err := rows.Scan(&id, &org, &merged, &practice); err != nil {
				rows.Close()
				return err
			}
			if org != orgID {
				continue
			}
			if merged != "" {
				rows.Close()
				return crs.Errorf(crs.ECONFLICT, "this patient's record was merged into another; use that record")
			}
			live[id] = true
			gp[id] = practice
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		ids = ids[n:]
	}
	for _, ok := range live {
		if !ok {
			return crs.Errorf(crs.ENOTFOUND, "no such patient")
		}
	}

	// Allocate a block of pathway identifiers.
	var ods string
	if err := tx.QueryRow(`SELECT ods_code FROM organisations WHERE id = $1`, orgID).Scan(&ods); err != nil {
		return err
	}
	last, err := tx.allocate(orgID, "ppi", len(refs))
	if err != nil {
		return crs.Errorf(crs.EINTERNAL, "allocate pathway identifier: %w", err)
	}
	next := last - int64(len(refs)) + 1

	now := formatTime(tx.now)
	pwArgs := make([]any, 0, len(refs)*22)
	refArgs := make([]any, 0, len(refs)*20)
	evArgs := make([]any, 0, len(refs)*11)
	courseRows := make([]any, 0, len(refs)*courseWidth)
	evs := make([]*crs.Event, len(refs))
	for i, r := range refs {
		r.ID = crs.NewID()
		r.Status, r.Worklist = crs.ReferralOpen, crs.WorklistToBook
		r.CreatedAt, r.UpdatedAt = tx.now, tx.now
		r.PPI = fmt.Sprintf("%s%010d", ods, next)
		next++
		r.PathwayID = crs.NewID()

		// The clock start, and the clock refreshPathway stores from it: a
		// new pathway has nothing booked and no DNA.
		e := rtt.Event{Date: r.ReceivedOn.Time, Kind: rtt.KindReferralReceived, Status: rtt.StatusFirstActivity, Ref: r.ID}
		if err := rtt.ValidateEvent(e); err != nil {
			var ee *rtt.EventError
			if errors.As(err, &ee) {
				return crs.FieldErrorf("rtt_status", "%s", ee.Reason)
			}
			return crs.FieldErrorf("rtt_status", "%s", err)
		}
		c := rtt.Evaluate([]rtt.Event{e}, farFuture)
		start, stop := "", ""
		if !c.Start.IsZero() {
			start = crs.DateOf(c.Start).String()
		}
		if !c.Stop.IsZero() {
			stop = crs.DateOf(c.Stop).String()
		}
		pwArgs = append(pwArgs, r.PathwayID, orgID, r.PatientID, r.PPI, ods, r.ID, r.TreatmentFunction, r.Specialty, r.ConsultantCode, r.Priority,
			clockState(c), start, stop, int(c.StopStatus), c.StopReason, int(e.Status), oneIf(c.DecisionToAdmit), "", "",
			0, now, now)
		refArgs = append(refArgs, r.ID, orgID, r.PatientID, r.PathwayID, r.Source, r.ReferrerCode, r.ReferrerName, r.ReferrerOrg, dateText(r.ReceivedOn),
			r.Priority, r.Specialty, r.TreatmentFunction, r.ConsultantCode, oneIf(r.ConsultantLed), r.UBRN, r.Reason, r.Status,
			string(r.Worklist), now, now)
		evArgs = append(evArgs, crs.NewID(), orgID, r.PathwayID, r.PatientID, 1, crs.DateOf(e.Date).String(), e.Kind.String(), int(e.Status), e.Ref, e.Note, now)
		courseRows = courseArgs(courseRows, orgID, r.PathwayID, now, courseHead{r.PPI, r.PatientID, r.TreatmentFunction, gp[r.PatientID]}, []rtt.Event{e})

		src, _ := nhs.Lookup(nhs.ReferralSources, r.Source)
		pri, _ := nhs.Lookup(nhs.PriorityTypes, r.Priority)
		tf, _ := nhs.Lookup(nhs.TreatmentFunctions, r.TreatmentFunction)
		data, err := json.Marshal(referralEventData{Referral: r, PPI: r.PPI})
		if err != nil {
			return crs.Errorf(crs.EINTERNAL, "encode event data: %w", err)
		}
		evs[i] = &crs.Event{Type: crs.EventReferralReceived, PatientID: r.PatientID, SubjectID: r.ID, EffectiveAt: r.ReceivedOn.Time,
			Summary: fmt.Sprintf("Referral received (%s) to %s, %s; RTT pathway %s clock started %s", src, tf, pri, r.PPI, r.ReceivedOn.Display()),
			Data:    data}
	}
	if err := bulk.insert(ctx, "pathways", pathwayColumns, 22, pwArgs); err != nil {
		if isUniqueViolation(err) {
			return &crs.Error{Code: crs.ECONFLICT, Field: "ppi", Message: "a patient pathway identifier of the batch is already in use"}
		}
		return err
	}
	if err := bulk.insert(ctx, "referrals", `id, org_id, patient_id, pathway_id, source, referrer_code, referrer_name, referrer_org,
		received_on, priority, specialty, treatment_function, consultant_code, consultant_led, ubrn, reason, status, worklist, created_at, updated_at`,
		20, refArgs); err != nil {
		return err
	}
	if err := bulk.insert(ctx, "rtt_events", `id, org_id, pathway_id, patient_id, seq, event_date, kind, status, ref, note, recorded_at`, 11, evArgs); err != nil {
		return err
	}
	if err := bulk.insert(ctx, "rtt_clock_courses", courseColumns, courseWidth, courseRows); err != nil {
		return err
	}
	return bulk.emit(ctx, evs, "referral")
}
