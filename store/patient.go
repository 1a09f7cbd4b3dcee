package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/match"
	"github.com/opencrs/crs/nhs"
)

// PatientService is the patient master index over SQL.
type PatientService struct {
	db *DB
	// CandidateLimit is how many patients a search by name alone reads to
	// rank when more match; 0 means DefaultCandidateLimit. The names
	// closest to the one typed are read first, each name whole, until this
	// many are in hand (or as many as the page asked for needs). Every
	// match is counted whatever the limit.
	CandidateLimit int
}

// NewPatientService returns the patient index over db.
func NewPatientService(db *DB) *PatientService { return &PatientService{db: db} }

var _ crs.PatientService = (*PatientService)(nil)

const patientColumns = `id, org_id, mrn, nhs_number, nhs_status, title, given_name, other_names, family_name,
	birth_date, gender, address_lines, postcode, phone, mobile, email, contacts, gp_code, gp_name,
	gp_practice_code, gp_practice_name, ethnic_category, death_time, merged_into, inactive, version, created_at, updated_at`

func scanPatient(r scanner) (*crs.Patient, error) {
	var p crs.Patient
	var status, birth, lines, contacts, death, created, updated string
	if err := r.Scan(&p.ID, &p.OrgID, &p.MRN, &p.NHSNumber, &status, &p.Title, &p.GivenName, &p.OtherNames, &p.FamilyName,
		&birth, &p.Gender, &lines, &p.Address.Postcode, &p.Phone, &p.Mobile, &p.Email, &contacts, &p.GPCode, &p.GPName,
		&p.GPPracticeCode, &p.GPPracticeName, &p.EthnicCategory, &death, &p.MergedInto, &p.Inactive, &p.Version, &created, &updated); err != nil {
		return nil, notFound(err, "no such patient")
	}
	p.NHSNumberStatus = nhs.NumberStatus(status)
	p.BirthDate = parseDate(birth)
	_ = json.Unmarshal([]byte(lines), &p.Address.Lines)
	_ = json.Unmarshal([]byte(contacts), &p.Contacts)
	if death != "" {
		t := parseTime(death)
		p.DeathTime = &t
	}
	p.CreatedAt, p.UpdatedAt = parseTime(created), parseTime(updated)
	return &p, nil
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	if string(b) == "null" {
		return "[]"
	}
	return string(b)
}

func deathText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return formatTime(*t)
}

// patientArgs are the values of every column but id, org_id, mrn,
// version, created_at, in the order of the UPDATE below.
func patientArgs(p *crs.Patient) []any {
	f := searchFormsOf(p)
	return []any{p.NHSNumber, string(p.NHSNumberStatus), p.Title, p.GivenName, p.OtherNames, p.FamilyName,
		formatDate(p.BirthDate), p.Gender, jsonText(p.Address.Lines), p.Address.Postcode, p.Phone, p.Mobile, p.Email,
		jsonText(p.Contacts), p.GPCode, p.GPName, p.GPPracticeCode, p.GPPracticeName, p.EthnicCategory,
		deathText(p.DeathTime), p.MergedInto, f.familyNorm, f.familyKey, f.givenNorm, f.postcodeNorm, f.familyFold,
		f.givenFoldFirst, f.givenFoldLast, f.familyPart, boolInt(p.Inactive)}
}

// searchForms are the forms of a patient's names and postcode the
// patients table keeps for its searches (family_norm, family_key,
// given_norm, postcode_norm, family_fold, given_fold_first,
// given_fold_last, family_part_norm).
type searchForms struct {
	familyNorm, familyKey, givenNorm, postcodeNorm, familyFold string
	givenFoldFirst, givenFoldLast, familyPart                  string
}

func searchFormsOf(p *crs.Patient) searchForms {
	f := searchForms{familyNorm: match.Normalize(p.FamilyName), familyKey: match.Key(p.FamilyName),
		givenNorm: match.Normalize(p.GivenName), postcodeNorm: strings.ReplaceAll(p.Address.Postcode, " ", ""),
		familyFold: match.Fold(p.FamilyName)}
	f.givenFoldFirst, f.givenFoldLast = givenFolds(p)
	f.familyPart = familyPart(p.FamilyName)
	return f
}

// familyPart is the last part of a family name of several, hyphenated
// or spaced (Smythe-Jones, Carreno Quinones), normalised as family_norm
// is (match.Normalize): a search by the part finds the patient, as a
// clerk types either name of a double-barrelled one and as R4 asks of a
// search by family name. It is "" for a name of one part.
func familyPart(family string) string {
	parts := match.FamilyParts(family)
	if parts == nil {
		return ""
	}
	return match.Normalize(parts[len(parts)-1])
}

// givenFolds are the first and the last, in the order of their folded
// forms' bytes, of a patient's given name and middle names (each word
// of OtherNames), folded as a search compares them (match.Fold): the
// names a search of the patient shows as given, by which a search
// sorted by given name orders it from the first or from the last. Both
// are "" for a patient without one.
func givenFolds(p *crs.Patient) (first, last string) {
	names := strings.Fields(p.OtherNames)
	if p.GivenName != "" {
		names = append(names, p.GivenName)
	}
	for i, n := range names {
		f := match.Fold(n)
		if i == 0 || f < first {
			first = f
		}
		if i == 0 || f > last {
			last = f
		}
	}
	return first, last
}

// insertPatient writes a new patient within a command: it validates,
// checks the NHS number is not already held, allocates the hospital
// number unless the patient brings one (a migrated record), and appends
// the registration event.
func insertPatient(tx *Tx, p *crs.Patient) error { return insertPatientAt(tx, p, 1) }

// insertPatientAt is insertPatient whose record starts at version
// (a record registered again after its deletion continues its history).
func insertPatientAt(tx *Tx, p *crs.Patient, version int) error {
	p.Normalize()
	p.OrgID = tx.actor.OrgID
	if err := p.Validate(tx.now); err != nil {
		return err
	}
	// An inbound registration has just looked the number up in the same
	// command (findPatientByIdentifierTx), on SQLite's single writer, and
	// written nothing since: no live patient holds it. Otherwise, on
	// SQLite, the INSERT itself checks that none does (guarded), a
	// statement fewer on the one writer; the holder is looked up only if
	// there is one.
	checkNHS := p.NHSNumber != "" && p.NHSNumber != tx.absentNHS
	guarded := checkNHS && !tx.db.pooled()
	allocated := p.MRN == ""
	var n int64 // the hospital number, when the look-up took it
	if checkNHS && !guarded {
		other, found, taken, err := nhsHolderTaking(tx, p.OrgID, p.NHSNumber, p.ID, allocated)
		if err != nil {
			return err
		} else if found {
			if p.NHSNumber == tx.unseenNHS {
				// An inbound message that looked the number up and found
				// no patient holding it: another command registered the
				// patient since. The message is run again (writePooled)
				// to find that patient and update the record, as it
				// would have had the other come first.
				tx.overtaken = "NHS number " + p.NHSNumber + " of hospital number " + other
			}
			return nhsHeld(p.NHSNumber, other)
		}
		n = taken
		// A registration of the number by another command may commit
		// between the look-up and this one's: the INSERT waits for any
		// under way (lockNHS, sent with it) and fails on the key if one
		// committed (nhsClashID).
		if err := lockNHS(tx, p.NHSNumber); err != nil {
			return err
		}
	}
	if allocated {
		var prefix string
		var err error
		if n == 0 {
			if n, err = tx.allocate(p.OrgID, "mrn", 1); err != nil {
				return crs.Errorf(crs.EINTERNAL, "allocate hospital number: %w", err)
			}
		}
		if prefix, err = mrnPrefix(tx, p.OrgID); err != nil {
			return err
		}
		p.MRN = crs.FormatMRN(prefix, n)
	}
	if p.ID == "" {
		p.ID = crs.NewID()
	}
	p.Version, p.CreatedAt, p.UpdatedAt = version, tx.now, tx.now
	args := append([]any{p.ID, p.OrgID, p.MRN}, patientArgs(p)...)
	args = append(args, p.Version, formatTime(p.CreatedAt), formatTime(p.UpdatedAt))
	ctx := context.Background()
	if tx.claimed != "" || allocated {
		// An inbound message registering the patient it found no record
		// of, or a registration given a hospital number of the trust's
		// counter, on PostgreSQL: the INSERT goes with the next statement
		// or the commit (pg_pipeline.go). A hospital number taken
		// meanwhile by a command committed first fails the commit, and
		// the command is run again (writePooled): the message finds that
		// patient this time, and the registration takes the counter's
		// next number. A hospital number the caller gave is inserted at
		// once, for its clash to be answered naming it.
		ctx = tx.deferrable(ctx)
	}
	insert := insertPatientSQL + ` VALUES ` + insertPatientValues
	switch {
	case guarded:
		insert = insertPatientSQL + ` SELECT ` + insertPatientValues[1:len(insertPatientValues)-1] + ` WHERE ` + nhsFreeSQL
	case checkNHS:
		insert = insertPatientClashSQL
	}
	wrote := tx.wrote
	res, err := tx.ExecContext(ctx, insert, args...)
	if err != nil {
		if pe := keyClash(err); pe != nil && pe.ConstraintName == "patients_pkey" {
			return err // the NHS number's holder, registered meanwhile (nhsClashID)
		} else if isUniqueViolation(err) {
			return crs.FieldErrorf("mrn", "hospital number %s is already in use", p.MRN)
		}
		return err
	}
	if guarded {
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			tx.wrote = wrote // the INSERT wrote nothing: the command fails as cleanly as the look-up's
			other, _, err := nhsHolderEqual(tx, p.OrgID, p.NHSNumber, p.ID)
			if err != nil {
				return err
			}
			return nhsHeld(p.NHSNumber, other)
		}
	}
	tx.registered++
	summary := "Registered with hospital number " + p.MRN
	if version > 1 {
		summary = "Registered again, after its deletion, with hospital number " + p.MRN
	}
	return tx.EmitData(&crs.Event{Type: crs.EventPatientRegistered, PatientID: p.ID, SubjectID: p.ID, Summary: summary},
		"registration", patientEventData{Patient: p})
}

// insertPatientSQL and insertPatientValues are the INSERT of a new
// patient (insertPatient's arguments).
const (
	insertPatientSQL = `INSERT INTO patients (id, org_id, mrn, nhs_number, nhs_status, title, given_name, other_names, family_name,
		birth_date, gender, address_lines, postcode, phone, mobile, email, contacts, gp_code, gp_name, gp_practice_code,
		gp_practice_name, ethnic_category, death_time, merged_into, family_norm, family_key, given_norm, postcode_norm,
		family_fold, given_fold_first, given_fold_last, family_part_norm, inactive, version, created_at, updated_at)`
	insertPatientValues = `($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36)`
)

// nhsFreeSQL is the condition, in insertPatient's arguments, that no
// live patient of the trust but the new one holds its NHS number: as
// nhsHolderSQL, which SQLite answers from patients_nhs alone.
const nhsFreeSQL = `NOT EXISTS (SELECT 1 FROM patients WHERE ` + nhsOtherHolder + `)`

// nhsOtherHolder is the condition, in insertPatient's arguments, on a
// patient that it is a live holder of the new patient's NHS number
// other than the new patient.
const nhsOtherHolder = `org_id = $2 AND nhs_number = $4 AND id <> $1 AND merged_into = ''`

// lockNHS makes the commands that give a live patient of the trust the
// NHS number, on PostgreSQL, wait for one another from here to their
// commit, so that each looks for the number's holder once the one before
// has committed: no index keeps a number to one live patient, and two
// registrations of it at once would otherwise each find it free and
// make two records of one person. The lock goes with the statement that
// follows it, in one round trip (pg_pipeline.go): a change of
// demographics' look-up, a registration's INSERT (nhsClashID). Each such
// command also shares the lock of nhsLoadKey, so that it waits for a
// batch of a legacy import under way, and the batch for it.
func lockNHS(tx *Tx, number string) error {
	return tx.lockKeyShared(tx.deferrable(context.Background()), nhsLoadKey, "nhs "+number)
}

// nhsLoadKey is the lock a batch of a legacy import, which gives
// thousands of live patients their NHS numbers, holds alone from before
// it looks for the numbers' holders to its commit (lockNHSLoad). A lock
// of each number would fill PostgreSQL's table of locks, shared by every
// session of the server (max_locks_per_transaction for each connection):
// 20,000 of them overflow the default.
const nhsLoadKey = "nhs numbers loaded"

// lockNHSLoad makes a batch of a legacy import giving live patients NHS
// numbers wait for the commands giving one a number (lockNHS) under way,
// and those begun after it wait for the batch: a registration of one of
// its numbers then finds the patient the batch gave it to. The import's
// batches wait for one another too.
func lockNHSLoad(tx *Tx) error {
	return tx.lockKey(tx.ctx, nhsLoadKey)
}

// nhsClashID is, on PostgreSQL, the id a new patient is inserted with
// (in insertPatient's arguments): its own, or, when a live patient of
// the trust holds its NHS number, that patient's. A registration of the
// number committed after the command looked it up then fails the INSERT
// on the patients' key, as a clash (write_clash.go), and the command is
// run again for its look-up to find that patient: no index keeps a
// number to one live patient.
//
// The holder is asked for as nhsProbeSQL asks, in the order of
// patients_nhs from the number as a bound, its live holders first (their
// merged_into is empty): of the first two records, a live holder that is
// not the new patient. So asked, PostgreSQL reads it through that index
// once it has planned the statement on a hundred patients or more (see
// patient_analyze.go). Asked by equality (nhsOtherHolder), it was planned
// as a walk of the trust's patients through another index of the
// trust's until the table held some hundreds, analysed.
const nhsClashID = `COALESCE((SELECT id FROM (SELECT id, org_id, nhs_number, merged_into FROM patients
	WHERE (org_id, nhs_number, merged_into) >= ($2, $4, '') ORDER BY org_id, nhs_number, merged_into LIMIT 2) AS h
	WHERE org_id = $2 AND nhs_number = $4 AND merged_into = '' AND id <> $1 LIMIT 1), $1)`

// insertPatientClashSQL is the INSERT of a new patient on PostgreSQL
// that takes its id from nhsClashID.
var insertPatientClashSQL = insertPatientSQL + ` SELECT ` + nhsClashID + insertPatientValues[len("($1"):len(insertPatientValues)-1]

// nhsHeld is the refusal of an NHS number a live patient holds, naming
// that patient by hospital number: for a registration, a change of
// demographics (which adds its advice) and a legacy import alike.
func nhsHeld(number, mrn string) *crs.Error {
	return &crs.Error{Code: crs.ECONFLICT, Field: "nhs_number", Message: fmt.Sprintf("NHS number %s already belongs to the patient with hospital number %s", nhs.FormatNumber(number), mrn)}
}

// nhsGivenTwice is the refusal of an NHS number that a legacy import or
// migration gives to two of its records, naming the one given it first
// by its index in the records given.
func nhsGivenTwice(number string, earlier int) *crs.Error {
	return &crs.Error{Code: crs.ECONFLICT, Field: "nhs_number", Message: fmt.Sprintf("NHS number %s is also given to the patient at index %d", nhs.FormatNumber(number), earlier)}
}

// nhsProbeSQL reads, on PostgreSQL, the patients of the trust ($1) from the NHS number
// $2 on, in the order of the (org_id, nhs_number) index, nhsProbeRows at
// most: the holders of the number (the live one, and the records merged
// into others that kept it) and those after them. A few: the cost
// PostgreSQL sees in a probe grows with the rows it reads, and for more
// it plans, on a new table, a seq scan and a sort. Asked in the index's
// order from a bound, rather than by equality, it probes that index
// however PostgreSQL sees the table. By equality it was planned while
// the table was new and nearly empty (and kept so, as the statement's
// generic plan, while it grew) as a walk of the trust's patients by
// another index of the trust's, and generic on a table analysed as a
// seq scan: 5,000 FHIR transactions, each registering a patient, read
// 12.5 million entries of patients_family_key_norm, half the trust's
// patients each.
const nhsProbeSQL = `SELECT mrn, org_id, nhs_number, id, merged_into FROM patients WHERE (org_id, nhs_number) >= ($1, $2)
	ORDER BY org_id, nhs_number LIMIT 3`

// nhsProbeRows is nhsProbeSQL's LIMIT.
const nhsProbeRows = 3

// nhsHolderSQL finds the live holder of an NHS number ($2) in the trust
// ($1) other than the patient $3, by equality: on SQLite (which plans it
// as a probe of patients_nhs on all three of its columns, so that a
// number nobody holds is known from the index alone, where nhsProbeSQL
// reads the patients after it), and on PostgreSQL for a number held by
// more records than nhsProbeSQL reads.
const nhsHolderSQL = `SELECT mrn FROM patients WHERE org_id = $1 AND nhs_number = $2 AND id <> $3 AND merged_into = '' LIMIT 1`

// nhsProbeTakeSQL is nhsProbeSQL that also moves the trust's ($1)
// hospital number counter on by one when the patients it reads show that
// no live patient other than $3 holds the NHS number ($2), and returns
// the counter's new value as a last row, in the sixth column, after the
// patients (whose sixth column is 0). It runs on PostgreSQL before the
// registration's transaction begins, in a transaction of its own, whose
// commit does not wait for the disk, as numbering's own connections'
// do not (see allocate): the counter's row is locked for that statement
// alone, and its move is in the log before the registration's commit,
// which waits for the log up to itself. The number is taken when, and
// only when, the registration would take it next, so the numbers have
// the gaps they had: those of registrations that failed. Its 3 is
// nhsProbeRows: with as many holders read, the probe does not know.
const nhsProbeTakeSQL = `WITH probe AS (` + nhsProbeSQL + `),
	holders AS (SELECT count(*) AS records, count(*) FILTER (WHERE merged_into = '' AND id <> $3) AS live
		FROM probe WHERE org_id = $1 AND nhs_number = $2),
	taken AS (INSERT INTO counters (org_id, name, value)
		SELECT $1, 'mrn', 1 FROM holders, (SELECT set_config('synchronous_commit', 'off', true)) AS s
		WHERE holders.records < 3 AND holders.live = 0
		ON CONFLICT (org_id, name) DO UPDATE SET value = counters.value + excluded.value RETURNING value)
	SELECT mrn, org_id, nhs_number, id, merged_into, 0 FROM probe
	UNION ALL SELECT '', '', '', '', '', value FROM taken`

// nhsHolder finds the hospital number of the live patient of the trust,
// other than the patient exceptID, that holds the NHS number: the check
// as a patient is registered or given a number.
func nhsHolder(tx *Tx, orgID, number, exceptID string) (mrn string, found bool, err error) {
	mrn, found, _, err = nhsHolderTaking(tx, orgID, number, exceptID, false)
	return mrn, found, err
}

// nhsHolderTaking is nhsHolder that, asked to take a hospital number for
// a registration, takes it in the look-up's round trip where it can
// (nhsProbeTakeSQL): taken is the counter's new value, or 0 when the
// number is to be taken as allocate takes it.
func nhsHolderTaking(tx *Tx, orgID, number, exceptID string, take bool) (mrn string, found bool, taken int64, err error) {
	if !tx.db.pooled() {
		mrn, found, err = nhsHolderEqual(tx, orgID, number, exceptID)
		return mrn, found, 0, err
	}
	// Asked first in a registration, the look-up goes before the
	// transaction's BEGIN (pg_pipeline.go); one that takes the number
	// goes there or not at all.
	var rows *sql.Rows
	taking := take && tx.db.numbers != nil && !tx.dry
	if taking {
		rows, err = tx.QueryContext(onlyFirst(context.Background()), nhsProbeTakeSQL, orgID, number, exceptID)
		taking = err == nil
	}
	if rows == nil && (err == nil || errors.Is(err, errNotFirst)) {
		rows, err = tx.QueryContext(lookUpFirst(context.Background()), nhsProbeSQL, orgID, number)
	}
	if err != nil {
		return "", false, 0, err
	}
	same := 0
	for rows.Next() {
		var org, nhsNumber, id, merged string
		var value int64
		if taking {
			err = rows.Scan(&mrn, &org, &nhsNumber, &id, &merged, &value)
		} else {
			err = rows.Scan(&mrn, &org, &nhsNumber, &id, &merged)
		}
		if err != nil {
			rows.Close()
			return "", false, 0, err
		}
		if value > 0 {
			taken = value
			continue
		}
		if org != orgID || nhsNumber != number {
			continue // past the number's holders
		}
		same++
		if merged == "" && id != exceptID {
			rows.Close()
			return mrn, true, 0, nil
		}
	}
	if err := rows.Close(); err != nil {
		return "", false, 0, err
	}
	if err := rows.Err(); err != nil {
		return "", false, 0, err
	}
	if same < nhsProbeRows {
		return "", false, taken, nil
	}
	mrn, found, err = nhsHolderEqual(tx, orgID, number, exceptID)
	return mrn, found, taken, err
}

// nhsHolderEqual is nhsHolder by nhsHolderSQL.
func nhsHolderEqual(tx *Tx, orgID, number, exceptID string) (mrn string, found bool, err error) {
	err = tx.QueryRow(nhsHolderSQL, orgID, number, exceptID).Scan(&mrn)
	if err == sql.ErrNoRows {
		return "", false, nil
	}
	return mrn, err == nil, err
}

// patientEventData is what a patient event carries: the record as it
// stands after the change and, for an update, the fields that changed.
type patientEventData struct {
	Patient *crs.Patient      `json:"patient"`
	Changes map[string][2]any `json:"changes,omitempty"`
	Minor   *crs.Patient      `json:"minor,omitempty"`
	Moved   []movedRow        `json:"moved,omitempty"`
	Reason  string            `json:"reason,omitempty"`
	// AdoptedNHS says the major took the minor's NHS number in the merge,
	// so an unmerge gives it back.
	AdoptedNHS bool `json:"adopted_nhs,omitempty"`
}

// patientByID finds one patient of a trust ($2) by id ($1). The trust
// is compared as an expression of its column, which no index holds, so
// that the patient is always read by the primary key: PostgreSQL plans a
// statement made while the table is new and nearly empty (and keeps the
// plan as the statement's generic plan while it grows) as a walk of the
// trust's patients by whichever index of the trust's comes first, every
// one of them costing the same as the key on so few rows.
const patientByID = `id = $1 AND org_id || '' = $2`

// getPatientSQL is GetPatient's query on each engine.
var getPatientSQL = map[string]string{
	"sqlite":   `SELECT ` + patientColumns + ` FROM patients WHERE ` + patientByID,
	"postgres": `SELECT ` + patientColumns + ` FROM patients WHERE ` + patientByID + ` FOR UPDATE`,
}

// RegisterPatient adds a patient to the index.
// A command run again (see job.fn) starts from the patient as given: a
// hospital number allocated by a run rolled back is allocated again.
func (s *PatientService) RegisterPatient(ctx context.Context, a crs.Actor, p *crs.Patient) error {
	given := *p
	return s.db.writeTx(ctx, a, crs.ActRegisterPatient, func(tx *Tx) error {
		*p = given
		return insertPatient(tx, p)
	})
}

// getPatient reads a patient of the actor's trust within a command. On
// PostgreSQL, where commands run at once, it locks the patient's row until
// the command ends: two commands that change one patient run one after
// the other, so neither loses the other's change, and their outbound
// messages keep their order (see feed_sequence.go).
func getPatient(tx *Tx, id string) (*crs.Patient, error) {
	if p := tx.lookedUp; p != nil && p.ID == id && p.OrgID == tx.actor.OrgID {
		return copyPatient(p), nil
	}
	return scanPatient(tx.QueryRow(getPatientSQL[tx.db.dialect.name], id, tx.actor.OrgID))
}

// copyPatient returns a copy of p that shares nothing with it.
func copyPatient(p *crs.Patient) *crs.Patient {
	c := *p
	c.Address.Lines = slices.Clone(p.Address.Lines)
	c.Contacts = slices.Clone(p.Contacts)
	if p.DeathTime != nil {
		t := *p.DeathTime
		c.DeathTime = &t
	}
	return &c
}

// updatePatient replaces the patient's demographics, guarding against a
// lost update with the version.
func (s *PatientService) UpdatePatient(ctx context.Context, a crs.Actor, p *crs.Patient) error {
	return s.db.writeTx(ctx, a, crs.ActAmendDemographics, func(tx *Tx) error { return updatePatient(tx, p) })
}

// updatePatient writes changed demographics within a command. A
// p.Version of 0 skips the lost-update check (a message from another
// system carries no version).
func updatePatient(tx *Tx, p *crs.Patient) error {
	old, err := getPatient(tx, p.ID)
	if err != nil {
		return err
	}
	if old.Merged() {
		return crs.Errorf(crs.ECONFLICT, "hospital number %s was merged into another record; change that record instead", old.MRN)
	}
	if p.Version != 0 && p.Version != old.Version {
		return crs.Errorf(crs.ECONFLICT, "someone else changed this record since you opened it (version %d, now %d); reload and make your change again", p.Version, old.Version)
	}
	p.Normalize()
	p.OrgID, p.MRN, p.CreatedAt, p.MergedInto = old.OrgID, old.MRN, old.CreatedAt, old.MergedInto
	if err := keptParts(old, p); err != nil {
		return err
	}
	if err := p.Validate(tx.now); err != nil {
		return err
	}
	if p.NHSNumber != "" && p.NHSNumber != old.NHSNumber {
		if err := lockNHS(tx, p.NHSNumber); err != nil {
			return err
		}
		if other, found, err := nhsHolder(tx, p.OrgID, p.NHSNumber, p.ID); err != nil {
			return err
		} else if found {
			// Two records of one person: the clerk merges them rather
			// than move the number from one to the other.
			held := nhsHeld(p.NHSNumber, other)
			held.Message += "; merge the records instead"
			return held
		}
	}
	changes := diffPatients(old, p)
	if len(changes) == 0 && p.KeptChanged {
		changes["details kept beside the record"] = [2]any{"", "changed"}
	}
	if len(changes) == 0 {
		*p = *old
		return tx.EmitData(&crs.Event{Type: crs.EventPatientUpdated, PatientID: p.ID, SubjectID: p.ID, Summary: "Demographics confirmed, nothing changed"}, "demographics", patientEventData{Patient: p})
	}
	p.Version, p.UpdatedAt = old.Version+1, tx.now
	if err := writePatientSince(tx, p, old); err != nil {
		return err
	}
	keys := make([]string, 0, len(changes))
	for k := range changes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return tx.EmitData(&crs.Event{Type: crs.EventPatientUpdated, PatientID: p.ID, SubjectID: p.ID, Summary: "Changed " + strings.Join(keys, ", ")},
		"demographics", patientEventData{Patient: p, Changes: changes})
}

// keptParts refuses a change that may leave parts unknown
// (PartsUnknown) where it leaves out a name or a date of birth the
// record holds: another system that does not know one does not remove
// what the PMI knows; it may change it.
func keptParts(old, p *crs.Patient) error {
	if !p.PartsUnknown {
		return nil
	}
	var es crs.Errors
	if p.FamilyName == "" && old.FamilyName != "" {
		es = append(es, crs.FieldErrorf("family_name", "the record holds a family name (%s): a change may correct it, not remove it", old.FamilyName))
	}
	if p.GivenName == "" && old.GivenName != "" {
		es = append(es, crs.FieldErrorf("given_name", "the record holds a given name (%s): a change may correct it, not remove it", old.GivenName))
	}
	if p.BirthDate.IsZero() && !old.BirthDate.IsZero() {
		es = append(es, crs.FieldErrorf("birth_date", "the record holds a date of birth (%s): a change may correct it, not remove it", old.BirthDate.Display()))
	}
	return es.Err()
}

// writePatient writes the patient's changed record. On PostgreSQL its
// statements, whose outcome nothing reads (the hospital number, the one
// unique key, is not changed), go with the command's next statement or
// its commit (pg_pipeline.go).
func writePatient(tx *Tx, p *crs.Patient) error { return writePatientSince(tx, p, nil) }

// writePatientSince is writePatient for a change of the record old (nil
// when not known): the RTT courses of the patient's pathways carry the
// GP practice, and after a merge or unmerge the patient they now belong
// to, so they are written again unless old shows neither changed. An
// update of demographics from a feed (A08, A31) rarely moves either, and
// the courses' statement, run for each, took 0.10-0.16 s of the
// committer's 5.6-6.4 s in `crs bench hl7`'s profiles (15,000 messages).
func writePatientSince(tx *Tx, p, old *crs.Patient) error {
	args := append(patientArgs(p), p.Version, formatTime(p.UpdatedAt), p.ID, p.OrgID)
	_, err := tx.ExecContext(tx.deferrable(context.Background()), updatePatientQuery(tx, p, old), args...)
	if err != nil {
		return err
	}
	if old != nil && old.GPPracticeCode == p.GPPracticeCode && old.MergedInto == p.MergedInto {
		return nil
	}
	return syncCourseHeads(tx.deferrable(tx.ctx), tx, p.OrgID, `pw.patient_id = $2`, p.ID)
}

// updatePatientSQL writes a patient's changed record, found by its id
// and trust as patientByID finds it.
const updatePatientSQL = `UPDATE patients SET nhs_number = $1, nhs_status = $2, title = $3, given_name = $4, other_names = $5,
	family_name = $6, birth_date = $7, gender = $8, address_lines = $9, postcode = $10, phone = $11, mobile = $12,
	email = $13, contacts = $14, gp_code = $15, gp_name = $16, gp_practice_code = $17, gp_practice_name = $18,
	ethnic_category = $19, death_time = $20, merged_into = $21, family_norm = $22, family_key = $23, given_norm = $24,
	postcode_norm = $25, family_fold = $26, given_fold_first = $27, given_fold_last = $28, family_part_norm = $29,
	inactive = $30, version = $31, updated_at = $32
	WHERE id = $33 AND org_id || '' = $34`

// The columns of patients its indexes hold, in groups that change
// together (see updatePatientQuery).
const (
	indexedNHS   = 1 << iota // nhs_number, merged_into: patients_nhs, patients_merged_into
	indexedBirth             // birth_date: patients_birth_date
	indexedNames             // family_norm, family_key, given_norm, other_names, title, family_fold, given_fold_first, given_fold_last, family_part_norm: patients_family_norm, patients_family_key_norm, patients_given_norm, patients_other_names, patients_title, patients_family_fold, patients_given_fold_first, patients_given_fold_last, patients_family_part
	indexedGP                // gp_practice_code, gp_practice_name: patients_gp_practice
)

// updatePatientSQLite holds updatePatientSQL on SQLite by the groups of
// indexed columns it sets (indexed...): SQLite deletes and inserts again
// the entry of every index a column of the SET list is in, whether or not
// its value changed, so an update from a feed that changes a name or an
// address rewrote the date of birth's and the NHS number's entries too,
// two B-tree pages of the committer's write-ahead log for nothing. The
// parameters are updatePatientSQL's; those a variant leaves out are bound
// and not read.
var updatePatientSQLite = func() (v [16]string) {
	sets := strings.Split(updatePatientSQL[len(`UPDATE patients SET `):strings.Index(updatePatientSQL, "\n\tWHERE ")], ",")
	group := map[string]int{"nhs_number": indexedNHS, "merged_into": indexedNHS, "birth_date": indexedBirth,
		"family_norm": indexedNames, "family_key": indexedNames, "given_norm": indexedNames, "other_names": indexedNames, "title": indexedNames, "family_fold": indexedNames,
		"given_fold_first": indexedNames, "given_fold_last": indexedNames, "family_part_norm": indexedNames,
		"gp_practice_code": indexedGP, "gp_practice_name": indexedGP}
	for mask := range v {
		var kept []string
		for _, s := range sets {
			col := strings.TrimSpace(s[:strings.Index(s, "=")])
			if g := group[col]; g == 0 || mask&g != 0 {
				kept = append(kept, strings.TrimSpace(s))
			}
		}
		v[mask] = `UPDATE patients SET ` + strings.Join(kept, ", ") + updatePatientSQL[strings.Index(updatePatientSQL, "\n\tWHERE "):]
	}
	return v
}()

// updatePatientQuery is the UPDATE of p, known to have been old (nil when
// not known): on SQLite it sets the indexed columns only of the groups
// whose fields changed.
func updatePatientQuery(tx *Tx, p, old *crs.Patient) string {
	if old == nil || tx.db.pooled() {
		return updatePatientSQL
	}
	mask := 0
	if p.NHSNumber != old.NHSNumber || p.MergedInto != old.MergedInto {
		mask |= indexedNHS
	}
	if formatDate(p.BirthDate) != formatDate(old.BirthDate) {
		mask |= indexedBirth
	}
	if p.FamilyName != old.FamilyName || p.GivenName != old.GivenName || p.OtherNames != old.OtherNames || p.Title != old.Title {
		mask |= indexedNames
	}
	if p.GPPracticeCode != old.GPPracticeCode || p.GPPracticeName != old.GPPracticeName {
		mask |= indexedGP
	}
	return updatePatientSQLite[mask]
}

// diffPatients lists the fields that differ, each as [old, new].
func diffPatients(a, b *crs.Patient) map[string][2]any {
	d := map[string][2]any{}
	cmp := func(name string, x, y any) {
		if fmt.Sprint(x) != fmt.Sprint(y) {
			d[name] = [2]any{x, y}
		}
	}
	cmp("NHS number", a.NHSNumber, b.NHSNumber)
	cmp("NHS number status", a.NHSNumberStatus, b.NHSNumberStatus)
	cmp("title", a.Title, b.Title)
	cmp("given name", a.GivenName, b.GivenName)
	cmp("other names", a.OtherNames, b.OtherNames)
	cmp("family name", a.FamilyName, b.FamilyName)
	cmp("date of birth", a.BirthDate.String(), b.BirthDate.String())
	cmp("gender", a.Gender, b.Gender)
	cmp("address", a.Address.String(), b.Address.String())
	cmp("phone", a.Phone, b.Phone)
	cmp("mobile", a.Mobile, b.Mobile)
	cmp("email", a.Email, b.Email)
	cmp("contacts", jsonText(a.Contacts), jsonText(b.Contacts))
	cmp("GP", a.GPCode+" "+a.GPName, b.GPCode+" "+b.GPName)
	cmp("GP practice", a.GPPracticeCode+" "+a.GPPracticeName, b.GPPracticeCode+" "+b.GPPracticeName)
	cmp("ethnic category", a.EthnicCategory, b.EthnicCategory)
	cmp("date of death", deathText(a.DeathTime), deathText(b.DeathTime))
	cmp("in active use", !a.Inactive, !b.Inactive)
	return d
}

// RecordDeath records the patient's death.
func (s *PatientService) RecordDeath(ctx context.Context, a crs.Actor, id string, at time.Time) error {
	return s.db.writeTx(ctx, a, crs.ActAmendDemographics, func(tx *Tx) error {
		p, err := getPatient(tx, id)
		if err != nil {
			return err
		}
		if p.Merged() {
			return crs.Errorf(crs.ECONFLICT, "this record was merged into another; record the death there")
		}
		if p.DeathTime != nil {
			return crs.Errorf(crs.ECONFLICT, "the patient's death is already recorded (%s)", p.DeathTime.Format("02-Jan-2006 15:04"))
		}
		at = at.UTC()
		p.DeathTime = &at
		// A death changes no name or date of birth: a record a system
		// registered without them takes one as it stands.
		p.PartsUnknown = true
		if err := p.Validate(tx.now); err != nil {
			return err
		}
		p.Version, p.UpdatedAt = p.Version+1, tx.now
		if err := writePatient(tx, p); err != nil {
			return err
		}
		return tx.EmitData(&crs.Event{Type: crs.EventPatientDied, PatientID: p.ID, SubjectID: p.ID, EffectiveAt: at, Summary: "Death recorded on " + at.Format("02-Jan-2006 15:04")},
			"death", patientEventData{Patient: p})
	})
}
