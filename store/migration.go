package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/rtt"
)

var (
	_ crs.MigrationTx  = (*Tx)(nil)
	_ crs.MigrationLog = (*DB)(nil)
)

// RecordMigratedRows records the rows the command loaded, and those it
// refused, with one event and one audit record for them all: the event
// names the batch (each file's rows, their lines and keys, and the keys
// of the rows refused) and every row's record of its load points at it,
// so the audit still answers who created a migrated record, when and
// from which row. A row already recorded is an ECONFLICT.
func (tx *Tx) RecordMigratedRows(rows []crs.MigratedRow) error {
	if len(rows) == 0 {
		return nil
	}
	batch := migratedBatchOf(rows)
	ev := &crs.Event{Type: crs.EventRecordMigrated, Summary: "Loaded from the legacy PAS: " + batch.String()}
	if err := tx.EmitData(ev, "legacy PAS migration: "+batch.String(), batch); err != nil {
		return err
	}
	args := make([]any, 0, len(rows)*9)
	for _, r := range rows {
		args = append(args, tx.actor.OrgID, r.File, r.Key, r.Line, r.RecordID, r.PatientID, ev.ID, r.Refused, r.Detail)
	}
	if err := insertRows(tx, "migrated_rows", "org_id, file, row_key, line, record_id, patient_id, event_id, refused, refused_detail", 9, args, ""); err != nil {
		if isUniqueViolation(err) {
			return crs.Errorf(crs.ECONFLICT, "a row of %s was loaded already: %w", rows[0].File, err)
		}
		return crs.Errorf(crs.EINTERNAL, "record migrated rows: %w", err)
	}
	return nil
}

// migratedBatch is the data of the event of one command of a migration:
// the rows of each file it loaded.
type migratedBatch struct {
	Files []migratedFile `json:"files"`
}

// migratedFile is the rows of one file of the extract a command loaded:
// how many, their first and last line and their keys in the order loaded.
type migratedFile struct {
	File      string   `json:"file"`
	Rows      int      `json:"rows"`
	FirstLine int      `json:"first_line"`
	LastLine  int      `json:"last_line"`
	Keys      []string `json:"keys"`
	// Refused are the keys of the rows the command met but refused, in
	// the order met; Rows and Keys count and name those it loaded.
	Refused []string `json:"refused,omitempty"`
}

func migratedBatchOf(rows []crs.MigratedRow) migratedBatch {
	var b migratedBatch
	at := map[string]int{}
	for _, r := range rows {
		i, ok := at[r.File]
		if !ok {
			i = len(b.Files)
			at[r.File] = i
			b.Files = append(b.Files, migratedFile{File: r.File, FirstLine: r.Line, LastLine: r.Line})
		}
		f := &b.Files[i]
		f.FirstLine, f.LastLine = min(f.FirstLine, r.Line), max(f.LastLine, r.Line)
		if r.Refused != "" {
			f.Refused = append(f.Refused, r.Key)
			continue
		}
		f.Rows++
		f.Keys = append(f.Keys, r.Key)
	}
	return b
}

// String names the batch for its event's summary and audit record, as
// "2000 rows of patients.csv (lines 2-2001)".
func (b migratedBatch) String() string {
	parts := make([]string, len(b.Files))
	for i, f := range b.Files {
		rows := "rows"
		if f.Rows == 1 {
			rows = "row"
		}
		lines := "line " + strconv.Itoa(f.FirstLine)
		if f.LastLine != f.FirstLine {
			lines = "lines " + strconv.Itoa(f.FirstLine) + "-" + strconv.Itoa(f.LastLine)
		}
		parts[i] = strconv.Itoa(f.Rows) + " " + rows + " of " + f.File + " (" + lines + ")"
		if len(f.Refused) > 0 {
			parts[i] += ", " + strconv.Itoa(len(f.Refused)) + " refused"
		}
	}
	return strings.Join(parts, ", ")
}

// MigrateGPPractices records GP practices, replacing the name and
// postcode of one already known.
func (tx *Tx) MigrateGPPractices(ps []crs.GPPractice) error {
	for _, p := range ps {
		if _, err := tx.Exec(`INSERT INTO gp_practices (org_id, code, name, postcode) VALUES ($1, $2, $3, $4)
			ON CONFLICT (org_id, code) DO UPDATE SET name = excluded.name, postcode = excluded.postcode`,
			tx.actor.OrgID, p.Code, p.Name, p.Postcode); err != nil {
			return crs.Errorf(crs.EINTERNAL, "record GP practice %s: %w", p.Code, err)
		}
	}
	return nil
}

// MigratePatients writes live patient records as they stand, with the
// hospital numbers they bring, but for those whose NHS number a live
// patient already holds (refuseHeldNHS), which it returns unwritten.
func (tx *Tx) MigratePatients(ps []*crs.Patient) ([]crs.RefusedPatient, error) {
	refused, err := refuseHeldNHS(tx, ps)
	if err != nil {
		return nil, err
	}
	now := formatTime(tx.now)
	args := make([]any, 0, len(ps)*importPatientArgs)
	next := 0 // in refused, sorted by index
	for i, p := range ps {
		if next < len(refused) && refused[next].Index == i {
			next++
			continue
		}
		f := searchFormsOf(p)
		p.OrgID = tx.actor.OrgID
		if p.ID == "" {
			p.ID = crs.NewID()
		}
		p.Version, p.CreatedAt, p.UpdatedAt = 1, tx.now, tx.now
		args = append(args, p.ID, p.OrgID, p.MRN, p.NHSNumber, string(p.NHSNumberStatus), p.Title, p.GivenName, p.OtherNames, p.FamilyName,
			formatDate(p.BirthDate), p.Gender, jsonText(p.Address.Lines), p.Address.Postcode, p.Phone, p.Mobile, p.Email, jsonText(p.Contacts),
			p.GPCode, p.GPName, p.GPPracticeCode, p.GPPracticeName, p.EthnicCategory, deathText(p.DeathTime), p.MergedInto,
			f.familyNorm, f.familyKey, f.givenNorm, f.postcodeNorm, f.familyFold, f.givenFoldFirst, f.givenFoldLast, f.familyPart, p.Version, now, now, "") // load_audit_id: the migration records its rows itself
	}
	if err := insertRows(tx, "patients", importPatientCols, importPatientArgs, args, ""); err != nil {
		if isUniqueViolation(err) {
			return nil, crs.Errorf(crs.ECONFLICT, "a migrated patient's hospital number is already in use in OpenCRS: %w", err)
		}
		return nil, crs.Errorf(crs.EINTERNAL, "write patients: %w", err)
	}
	return refused, nil
}

// refuseHeldNHS lists, in the order given, the live records of a
// migration whose NHS number a live patient of the trust already holds
// (registered by a feed or by hand before the migration, or by an
// earlier rehearsal), or a record given before them in ps: written, they
// would make two live records of one number. Each is refused alone, not
// the command, as the legacy import names the patient it refuses a batch
// for. A registration or change of demographics giving one of the
// numbers at the same time waits for the command, and then finds the
// record it was given to, and the command for those under way
// (lockNHSLoad).
func refuseHeldNHS(tx *Tx, ps []*crs.Patient) ([]crs.RefusedPatient, error) {
	var refused []crs.RefusedPatient
	first := map[string]int{} // the index of the first live record given each number
	var numbers []any
	for i, p := range ps {
		if p.NHSNumber == "" || p.MergedInto != "" {
			continue
		}
		if j, ok := first[p.NHSNumber]; ok {
			refused = append(refused, crs.RefusedPatient{Index: i, HolderMRN: ps[j].MRN, InBatch: true, Err: nhsGivenTwice(p.NHSNumber, j)})
			continue
		}
		first[p.NHSNumber] = i
		numbers = append(numbers, p.NHSNumber)
	}
	if len(numbers) == 0 {
		return refused, nil
	}
	if err := lockNHSLoad(tx); err != nil {
		return nil, err
	}
	bulk := newBulkInserter(tx)
	defer bulk.close()
	held := map[string]bool{}
	err := bulk.eachExisting(tx.ctx, `nhs_number, mrn`, `merged_into = '' AND nhs_number`, tx.actor.OrgID, numbers, func(n, mrn string) error {
		if !held[n] {
			held[n] = true
			refused = append(refused, crs.RefusedPatient{Index: first[n], HolderMRN: mrn, Err: nhsHeld(n, mrn)})
		}
		return nil
	})
	if err != nil {
		return nil, crs.Errorf(crs.EINTERNAL, "look for the holders of migrated NHS numbers: %w", err)
	}
	sort.Slice(refused, func(i, j int) bool { return refused[i].Index < refused[j].Index })
	return refused, nil
}

// AddPatientIdentifiers gives patients further identifiers; one a
// patient holds already is left as it is.
func (tx *Tx) AddPatientIdentifiers(ids []crs.PatientIdentifier) error {
	if len(ids) == 0 {
		return nil
	}
	// In one order for every command, so that commands adding the same
	// identifier at once wait for each other, never deadlock.
	ids = append([]crs.PatientIdentifier(nil), ids...)
	sort.Slice(ids, func(i, j int) bool {
		a, b := ids[i], ids[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Value != b.Value {
			return a.Value < b.Value
		}
		return a.PatientID < b.PatientID
	})
	args := make([]any, 0, len(ids)*5)
	for _, id := range ids {
		args = append(args, tx.actor.OrgID, id.Kind, id.Value, id.PatientID, id.PatientID)
	}
	if err := insertRows(tx, "patient_identifiers", "org_id, kind, value, patient_id, origin_patient_id", 5, args, " ON CONFLICT DO NOTHING"); err != nil {
		return crs.Errorf(crs.EINTERNAL, "add patient identifiers: %w", err)
	}
	return nil
}

// ensureLocation returns the id of the trust's location of the kind with
// the code under parent, writing it if there is none.
func (tx *Tx) ensureLocation(parentID string, kind crs.LocationKind, code, name string) (string, error) {
	var id string
	err := tx.QueryRow(`SELECT id FROM locations WHERE org_id = $1 AND parent_id = $2 AND code = $3`, tx.actor.OrgID, parentID, code).Scan(&id)
	if err == nil {
		return id, nil
	}
	if err = notFound(err, "no location"); crs.ErrorCode(err) != crs.ENOTFOUND {
		return "", err
	}
	id = crs.NewID()
	status := ""
	if kind == crs.LocationBed {
		status = string(crs.BedAvailable)
	}
	if _, err := tx.Exec(`INSERT INTO locations (id, org_id, parent_id, kind, code, name, specialty, sex, status, ed_type, active)
		VALUES ($1, $2, $3, $4, $5, $6, '', '', $7, '', 1)`, id, tx.actor.OrgID, parentID, string(kind), code, name, status); err != nil {
		return "", crs.Errorf(crs.EINTERNAL, "write %s %s: %w", kind, code, err)
	}
	settingsChanged(tx) // the estate the bed board and pickers keep
	return id, nil
}

// MigrateWards writes wards and their beds, under the site with the
// ward's site code, reusing a ward of that code the site already has.
func (tx *Tx) MigrateWards(ws []*crs.MigratedWard) error {
	for _, w := range ws {
		site, err := tx.ensureLocation("", crs.LocationSite, w.SiteCode, "Site "+w.SiteCode)
		if err != nil {
			return err
		}
		if w.ID, err = tx.ensureLocation(site, crs.LocationWard, w.Code, w.Name); err != nil {
			return err
		}
		for n := 1; n <= w.Beds; n++ {
			code := fmt.Sprintf("B%02d", n)
			if _, err := tx.ensureLocation(w.ID, crs.LocationBed, code, "Bed "+code); err != nil {
				return err
			}
		}
	}
	return nil
}

// MigrateClinics writes clinic templates, each held in a clinic room of
// its own code on its site.
func (tx *Tx) MigrateClinics(cs []*crs.Clinic, siteCodes []string) error {
	for i, c := range cs {
		site, err := tx.ensureLocation("", crs.LocationSite, siteCodes[i], "Site "+siteCodes[i])
		if err != nil {
			return err
		}
		if c.LocationID, err = tx.ensureLocation(site, crs.LocationClinicRoom, c.Code, c.Name); err != nil {
			return err
		}
		if c.ID == "" {
			c.ID = crs.NewID()
		}
		c.OrgID, c.CreatedAt, c.Active = tx.actor.OrgID, tx.now, true
		sessions, _ := json.Marshal(c.Sessions)
		if _, err := tx.Exec(`INSERT INTO clinics (id, org_id, code, name, consultant_code, consultant_name, team, treatment_function, specialty,
			location_id, sessions, active, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12)`,
			c.ID, c.OrgID, c.Code, c.Name, c.ConsultantCode, c.ConsultantName, c.Team, c.TreatmentFunction, c.Specialty, c.LocationID,
			string(sessions), formatTime(tx.now)); err != nil {
			if isUniqueViolation(err) {
				return crs.Errorf(crs.ECONFLICT, "the trust already has a clinic with code %s", c.Code)
			}
			return crs.Errorf(crs.EINTERNAL, "write clinic %s: %w", c.Code, err)
		}
	}
	return nil
}

// MigrateReferrals writes referrals.
func (tx *Tx) MigrateReferrals(rs []*crs.Referral) error {
	now := formatTime(tx.now)
	args := make([]any, 0, len(rs)*19)
	for _, r := range rs {
		r.OrgID = tx.actor.OrgID
		if r.ID == "" {
			r.ID = crs.NewID()
		}
		r.CreatedAt, r.UpdatedAt = tx.now, tx.now
		args = append(args, r.ID, r.OrgID, r.PatientID, r.Source, dateText(r.ReceivedOn), r.Priority, r.TreatmentFunction,
			oneIf(r.ConsultantLed), r.UBRN, r.Reason, r.Status, dateText(r.ClosedOn), r.ClosedReason, now, now,
			r.PathwayID, r.ReferrerCode, r.ReferrerOrg, r.ConsultantCode)
	}
	if err := insertRows(tx, "referrals", `id, org_id, patient_id, source, received_on, priority, treatment_function,
		consultant_led, ubrn, reason, status, closed_on, closed_reason, created_at, updated_at,
		pathway_id, referrer_code, referrer_org, consultant_code`, 19, args, ""); err != nil {
		if isUniqueViolation(err) {
			return crs.Errorf(crs.ECONFLICT, "a migrated referral's UBRN is already held by another referral: %w", err)
		}
		return crs.Errorf(crs.EINTERNAL, "write referrals: %w", err)
	}
	return nil
}

// MigratePathways writes RTT pathways with their events; those marked
// current become their referral's pathway.
func (tx *Tx) MigratePathways(ps []*crs.Pathway, events [][]crs.PathwayEvent, current []bool) error {
	now := formatTime(tx.now)
	args := make([]any, 0, len(ps)*17)
	var evArgs []any
	for i, p := range ps {
		p.OrgID = tx.actor.OrgID
		if p.ID == "" {
			p.ID = crs.NewID()
		}
		p.CreatedAt, p.UpdatedAt = tx.now, tx.now
		args = append(args, p.ID, p.OrgID, p.PatientID, p.PPI, p.PPIIssuer, p.ReferralID, p.TreatmentFunction, p.Priority,
			p.ClockState, dateText(p.ClockStart), dateText(p.ClockStop), int(p.StopStatus), p.StopReason, int(p.LastStatus),
			oneIf(p.DecisionToAdmit), now, now)
		for j, e := range events[i] {
			evArgs = append(evArgs, crs.NewID(), p.OrgID, p.ID, p.PatientID, j+1, dateText(e.Date), e.Kind.String(), int(e.Status), e.Note, now)
		}
	}
	if err := insertRows(tx, "pathways", `id, org_id, patient_id, ppi, ppi_issuer, referral_id, treatment_function, priority,
		clock_state, clock_start, clock_stop, stop_status, stop_reason, last_status, decision_to_admit, created_at, updated_at`, 17, args, ""); err != nil {
		if isUniqueViolation(err) {
			return crs.Errorf(crs.ECONFLICT, "a migrated pathway's PPI is already in use: %w", err)
		}
		return crs.Errorf(crs.EINTERNAL, "write pathways: %w", err)
	}
	if err := insertRows(tx, "rtt_events", "id, org_id, pathway_id, patient_id, seq, event_date, kind, status, note, recorded_at", 10, evArgs, ""); err != nil {
		return crs.Errorf(crs.EINTERNAL, "write RTT events: %w", err)
	}
	var courseRows []any
	for i, p := range ps {
		evs := make([]rtt.Event, len(events[i]))
		for j, e := range events[i] {
			evs[j] = rtt.Event{Date: e.Date.Time, Kind: e.Kind, Status: e.Status}
		}
		courseRows = courseArgs(courseRows, p.OrgID, p.ID, now, courseHead{p.PPI, p.PatientID, p.TreatmentFunction, ""}, evs)
	}
	if err := insertRows(tx, "rtt_clock_courses", courseColumns, courseWidth, courseRows, ""); err != nil {
		return crs.Errorf(crs.EINTERNAL, "write RTT clock courses: %w", err)
	}
	// The patients' GP practices, from the patient index.
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	if err := syncCourseHeadsOf(tx.ctx, tx, tx.actor.OrgID, ids); err != nil {
		return crs.Errorf(crs.EINTERNAL, "write RTT clock courses: %w", err)
	}
	for i, p := range ps {
		if !current[i] {
			continue
		}
		if _, err := tx.Exec(`UPDATE referrals SET pathway_id = $1 WHERE id = $2 AND org_id = $3`, p.ID, p.ReferralID, p.OrgID); err != nil {
			return crs.Errorf(crs.EINTERNAL, "link pathway %s to its referral: %w", p.PPI, err)
		}
	}
	return nil
}

// MigrateAppointments writes appointments into their slots, making the
// slot when the clinic has none at that time.
func (tx *Tx) MigrateAppointments(as []crs.MigratedAppointment) error {
	now := formatTime(tx.now)
	// The slots first, in one order for every command, so that commands
	// making the same slots at once wait for each other, never deadlock.
	type slotKey struct{ clinic, start string }
	slots := map[slotKey]string{}
	var keys []slotKey
	ends := map[slotKey]crs.MigratedAppointment{}
	for _, m := range as {
		k := slotKey{m.Appointment.ClinicID, formatTime(m.Appointment.Start)}
		if _, ok := ends[k]; !ok {
			ends[k] = m
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].clinic != keys[j].clinic {
			return keys[i].clinic < keys[j].clinic
		}
		return keys[i].start < keys[j].start
	})
	for _, k := range keys {
		m := ends[k]
		slot := crs.NewID()
		res, err := tx.Exec(`INSERT INTO slots (id, org_id, clinic_id, start_at, end_at, slot_type) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (clinic_id, start_at) DO NOTHING`, slot, tx.actor.OrgID, k.clinic, k.start, formatTime(m.SlotEnd), m.SlotType)
		if err != nil {
			return crs.Errorf(crs.EINTERNAL, "write slot: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if err := tx.QueryRow(`SELECT id FROM slots WHERE clinic_id = $1 AND start_at = $2`, k.clinic, k.start).Scan(&slot); err != nil {
				return crs.Errorf(crs.EINTERNAL, "read slot: %w", err)
			}
		}
		slots[k] = slot
	}
	args := make([]any, 0, len(as)*21)
	for _, m := range as {
		a := m.Appointment
		a.OrgID = tx.actor.OrgID
		if a.ID == "" {
			a.ID = crs.NewID()
		}
		a.SlotID = slots[slotKey{a.ClinicID, formatTime(a.Start)}]
		live := a.Status != crs.AppointmentCancelled
		over := oneIf(live && m.Overbooked)
		// An outcome with its next step was recorded when the patient
		// was seen; one with only an RTT status carries no time.
		rttStatus, nextStep, weeks, outcomed := 0, "", 0, ""
		if o := a.Outcome; o != nil {
			rttStatus, nextStep, weeks = int(o.RTTStatus), o.NextStep, o.FollowUpWeeks
			if o.NextStep != "" {
				outcomed = formatTime(a.AttendedAt)
			}
		}
		args = append(args, a.ID, a.OrgID, a.PatientID, a.ReferralID, a.PathwayID, a.SlotID, a.ClinicID, formatTime(a.Start), a.Kind,
			a.Status, oneIf(live), over, now, a.CancelledBy, a.Reason, formatTime(a.CancelledAt), formatTime(a.AttendedAt), rttStatus,
			nextStep, weeks, outcomed)
	}
	if err := insertRows(tx, "appointments", `id, org_id, patient_id, referral_id, pathway_id, slot_id, clinic_id, start_at, kind,
		status, live, overbooked, booked_at, cancelled_by, cancel_reason, cancelled_at, attended_at, rtt_status,
		next_step, follow_up_weeks, outcomed_at`, 21, args, ""); err != nil {
		return crs.Errorf(crs.EINTERNAL, "write appointments: %w", err)
	}
	return nil
}

// MigrateWaitingList writes elective waiting list entries.
func (tx *Tx) MigrateWaitingList(es []*crs.WaitingListEntry) error {
	now := formatTime(tx.now)
	args := make([]any, 0, len(es)*18)
	for _, e := range es {
		e.OrgID = tx.actor.OrgID
		if e.ID == "" {
			e.ID = crs.NewID()
		}
		args = append(args, e.ID, e.OrgID, e.PatientID, e.PathwayID, e.ReferralID, dateText(e.DecidedOn), e.IntendedManagement,
			e.ProcedureCode, e.Priority, e.ConsultantCode, e.TreatmentFunction, oneIf(e.ForTreatment), e.Status, dateText(e.TCIDate),
			e.RemovalReason, dateText(e.RemovedOn), now, now)
	}
	if err := insertRows(tx, "waiting_list_entries", `id, org_id, patient_id, pathway_id, referral_id, decided_on,
		intended_management, procedure_code, priority, consultant_code, treatment_function, for_treatment, status, tci_date,
		removal_reason, removed_on, created_at, updated_at`, 18, args, ""); err != nil {
		return crs.Errorf(crs.EINTERNAL, "write waiting list entries: %w", err)
	}
	return nil
}

// MigrateSpells writes the current inpatients' spells, each with its
// first episode and its stay in its bed.
func (tx *Tx) MigrateSpells(ss []*crs.Spell) error {
	for _, sp := range ss {
		sp.OrgID = tx.actor.OrgID
		if sp.ID == "" {
			sp.ID = crs.NewID()
		}
		sp.Status = crs.SpellAdmitted
		if sp.PatientClass == "" {
			sp.PatientClass = "1"
		}
		at, now := formatTime(sp.AdmittedAt), formatTime(tx.now)
		if _, err := tx.Exec(`INSERT INTO spells (id, org_id, patient_id, pathway_id, entry_id, ed_attendance_id, admission_method, admission_source,
			patient_class, for_treatment, admitted_at, ward_id, bed_id, consultant_code, treatment_function, status, created_at, updated_at, visit_number)
			VALUES ($1, $2, $3, '', '', '', $4, $5, $6, 0, $7, $8, $9, $10, $11, 'admitted', $12, $12, $13)`,
			sp.ID, sp.OrgID, sp.PatientID, sp.AdmissionMethod, sp.AdmissionSource, sp.PatientClass, at, sp.WardID, sp.BedID,
			sp.ConsultantCode, sp.TreatmentFunction, now, sp.VisitNumber); err != nil {
			return crs.Errorf(crs.EINTERNAL, "write spell: %w", err)
		}
		if _, err := tx.Exec(`INSERT INTO episodes (id, org_id, spell_id, patient_id, seq, consultant_code, treatment_function, start_at) VALUES ($1, $2, $3, $4, 1, $5, $6, $7)`,
			crs.NewID(), sp.OrgID, sp.ID, sp.PatientID, sp.ConsultantCode, sp.TreatmentFunction, at); err != nil {
			return crs.Errorf(crs.EINTERNAL, "write episode: %w", err)
		}
		if _, err := tx.Exec(`INSERT INTO bed_stays (id, org_id, spell_id, patient_id, seq, ward_id, bed_id, start_at, is_current) VALUES ($1, $2, $3, $4, 1, $5, $6, $7, 1)`,
			crs.NewID(), sp.OrgID, sp.ID, sp.PatientID, sp.WardID, sp.BedID, at); err != nil {
			return bedConflict(tx, err, sp.BedID)
		}
	}
	return nil
}

// BulkLoad sets the bulk load settings of SQLite's write connection
// (see bulkLoadPragmas) until restore is called; a load into an empty
// patient index has its search indexes built by restore (see
// deferSearchIndexes). Commands written with bulk are the load's
// batches, which SQLite writes without foreign key checks (see
// setForeignKeys): the trust is checked here, once.
func (db *DB) BulkLoad(ctx context.Context, orgID string) (bulk context.Context, restore func(), err error) {
	if err := db.checkTrust(ctx, orgID); err != nil {
		return nil, nil, err
	}
	settings, err := db.bulkLoad(ctx)
	if err != nil {
		return nil, nil, err
	}
	build, err := db.deferSearchIndexes(ctx, false)
	if err != nil {
		settings()
		return nil, nil, err
	}
	return context.WithValue(ctx, bulkLoadKey{}, true), func() {
		if err := build(); err != nil {
			db.Logger.Error("build the patient search indexes after a load; the next start builds them", "err", err)
		}
		settings()
	}, nil
}

// MigratedRows lists the rows of legacy extracts loaded into the trust,
// keyed by file and key joined with a NUL byte.
func (db *DB) MigratedRows(ctx context.Context, orgID string) (map[string]crs.MigratedRow, error) {
	out := map[string]crs.MigratedRow{}
	err := eachRow(ctx, db.read, func(s scanner) error {
		var r crs.MigratedRow
		if err := s.Scan(&r.File, &r.Key, &r.Line, &r.RecordID, &r.PatientID, &r.Refused, &r.Detail); err != nil {
			return err
		}
		out[r.File+"\x00"+r.Key] = r
		return nil
	}, `SELECT file, row_key, line, record_id, patient_id, refused, refused_detail FROM migrated_rows WHERE org_id = $1`, orgID)
	if err != nil {
		return nil, crs.Errorf(crs.EINTERNAL, "read migrated rows: %w", err)
	}
	return out, nil
}

// OpenNullifiedPathways counts the trust's pathways whose clock is
// nullified with no stop date.
func (db *DB) OpenNullifiedPathways(ctx context.Context, orgID string) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM pathways WHERE org_id = $1 AND clock_state = $2 AND clock_stop = ''`,
		orgID, crs.ClockNullified).Scan(&n)
	if err != nil {
		return 0, crs.Errorf(crs.EINTERNAL, "count open nullified pathways: %w", err)
	}
	return n, nil
}

var _ crs.MigrationHoldingsReader = (*DB)(nil)

// MigrationHoldings reads what the trust holds of the records migrations
// loaded into it, with the latest change made to each since by anyone but
// the migration.
func (db *DB) MigrationHoldings(ctx context.Context, orgID string) (*crs.MigrationHoldings, error) {
	h := &crs.MigrationHoldings{Patients: map[string]crs.HeldPatient{}, Pathways: map[string]crs.HeldPathway{},
		Appointments: map[string]crs.HeldAppointment{}, WaitingList: map[string]crs.HeldEntry{}, Spells: map[string]crs.HeldSpell{},
		Changes: map[string]crs.HeldChange{}, PatientChanges: map[string][]crs.HeldChange{}}
	q := db.read
	var first sql.NullString
	if err := q.QueryRowContext(ctx, `SELECT MIN(recorded_at) FROM events WHERE org_id = $1 AND user_id = $2`, orgID, crs.MigrationUserID).Scan(&first); err != nil {
		return nil, crs.Errorf(crs.EINTERNAL, "read the import time: %w", err)
	}
	h.ImportedAt = parseTime(first.String)
	reads := []struct {
		query string
		scan  func(scanner) error
	}{
		{`SELECT i.value, p.id, p.mrn, p.nhs_number, p.family_name, p.given_name, p.other_names, p.birth_date, p.merged_into
			FROM patient_identifiers i JOIN patients p ON p.id = i.patient_id WHERE i.org_id = $1 AND i.kind = 'legacy'`,
			func(s scanner) error {
				var legacy, dob string
				var p crs.HeldPatient
				err := s.Scan(&legacy, &p.ID, &p.MRN, &p.NHSNumber, &p.FamilyName, &p.GivenName, &p.OtherNames, &dob, &p.MergedInto)
				p.BirthDate = parseDate(dob)
				h.Patients[legacy] = p
				return err
			}},
		{`SELECT pw.ppi, pw.id, pw.clock_state, pw.clock_start, pw.clock_stop, COALESCE(r.patient_id, '')
			FROM pathways pw LEFT JOIN referrals r ON r.id = pw.referral_id WHERE pw.org_id = $1`,
			func(s scanner) error {
				var ppi, start, stop string
				var p crs.HeldPathway
				err := s.Scan(&ppi, &p.ID, &p.ClockState, &start, &stop, &p.ReferralPatient)
				p.ClockStart, p.ClockStop = parseDate(start), parseDate(stop)
				h.Pathways[ppi] = p
				return err
			}},
		{`SELECT a.id, COALESCE(c.code, ''), a.start_at, COALESCE(s.start_at, ''), a.status FROM appointments a
			LEFT JOIN slots s ON s.id = a.slot_id LEFT JOIN clinics c ON c.id = a.clinic_id WHERE a.org_id = $1`,
			func(s scanner) error {
				var id, start, slot string
				var a crs.HeldAppointment
				err := s.Scan(&id, &a.ClinicCode, &start, &slot, &a.Status)
				a.Start, a.SlotStart = parseTime(start), parseTime(slot)
				h.Appointments[id] = a
				return err
			}},
		{`SELECT w.id, w.status, COALESCE(pw.ppi, '') FROM waiting_list_entries w LEFT JOIN pathways pw ON pw.id = w.pathway_id WHERE w.org_id = $1`,
			func(s scanner) error {
				var id string
				var e crs.HeldEntry
				err := s.Scan(&id, &e.Status, &e.PPI)
				h.WaitingList[id] = e
				return err
			}},
		{`SELECT sp.id, sp.status, COALESCE(w.code, ''), COALESCE(b.code, '') FROM spells sp
			LEFT JOIN locations w ON w.id = sp.ward_id LEFT JOIN locations b ON b.id = sp.bed_id WHERE sp.org_id = $1`,
			func(s scanner) error {
				var id string
				var sp crs.HeldSpell
				err := s.Scan(&id, &sp.Status, &sp.WardCode, &sp.BedCode)
				h.Spells[id] = sp
				return err
			}},
	}
	for _, r := range reads {
		if err := eachRow(ctx, q, r.scan, r.query, orgID); err != nil {
			return nil, crs.Errorf(crs.EINTERNAL, "read migrated records: %w", err)
		}
	}
	if first.String == "" {
		return h, nil
	}
	err := eachRow(ctx, q, func(s scanner) error {
		var subject, patient, at string
		var c crs.HeldChange
		if err := s.Scan(&subject, &patient, &c.Type, &c.Username, &at); err != nil {
			return err
		}
		c.At = parseTime(at)
		if subject != "" {
			h.Changes[subject] = c
		}
		if patient != "" {
			h.PatientChanges[patient] = append(h.PatientChanges[patient], c)
		}
		return nil
	}, `SELECT subject_id, patient_id, type, username, recorded_at FROM events
		WHERE org_id = $1 AND user_id <> $2 AND recorded_at >= $3 ORDER BY recorded_at, id`, orgID, crs.MigrationUserID, first.String)
	if err != nil {
		return nil, crs.Errorf(crs.EINTERNAL, "read changes since the import: %w", err)
	}
	return h, nil
}
