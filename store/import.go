package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/opencrs/crs"
)

// ImportBatchSize is how many patients ImportPatients registers in one
// command (one call of the write path, one transaction) unless told
// otherwise. A commit writes every page its batch changed, and the
// patients' NHS numbers fall at random places in their index, dirtying
// one of its pages for almost every patient: the more patients a batch
// holds, the more of them share each page written. SQLite also walks its
// page cache once a commit. 10,000 patients are about 13 MB of pages.
const ImportBatchSize = 10000

// ImportPatients registers many patients at once, as a legacy PAS
// migration or the demo does: it is LoadPatients with the default
// options.
func ImportPatients(ctx context.Context, db *DB, a crs.Actor, ps []*crs.Patient) error {
	_, err := db.LoadPatients(ctx, a, ps, crs.LoadOptions{})
	return err
}

// LoadPatients registers the patients through the one write path,
// in batches of opts.BatchSize patients, each batch one command of
// activity register_patient. Each patient is tidied and validated as
// RegisterPatient does, keeps the hospital number it brings (a migrated
// record) or is given the next one the trust allocates. Each batch
// appends one event (EventPatientsLoaded, naming its patients) and one
// audit record, which every patient of the batch points at
// (load_audit_id): their history and audit trail start from it, and the
// outbound feeds send each patient's registration from it. ID, MRN,
// Version and the times are filled in on the patients given.
//
// A batch is all or nothing: if any patient in it is invalid, or brings
// an NHS number or hospital number already held by a live record (or by
// another patient of the import), the whole batch is rejected and the
// error names the patient by its index in ps. Batches committed before it
// stay; patients of later batches may have been tidied and given an ID
// but are not registered. LoadPatients returns how many patients
// were registered, always the first n of ps.
//
// On SQLite the write connection uses bulk load settings (see
// bulkLoadPragmas) while the import runs. A load into an empty patient
// index builds the search indexes, and on SQLite the NHS number index,
// after the patients are written (see deferSearchIndexes and heldNHS).
func (db *DB) LoadPatients(ctx context.Context, a crs.Actor, ps []*crs.Patient, opts crs.LoadOptions) (done int, err error) {
	ctx, size, restore, err := db.startLoad(ctx, a, crs.ActRegisterPatient, opts, ImportBatchSize)
	if err != nil {
		return 0, err
	}
	defer restore()
	build, err := db.deferSearchIndexes(ctx, true)
	if err != nil {
		return 0, err
	}
	defer func() {
		if berr := build(); err == nil {
			err = berr
		}
	}()
	// Tidying and deriving the search keys needs no database, so it is done
	// for the next batch while the committer writes this one.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ready := make(chan []importRow, 1)
	go func() {
		defer close(ready)
		for start := 0; start < len(ps); start += size {
			rows := prepareImport(ps[start:min(start+size, len(ps))], start, a.OrgID)
			select {
			case ready <- rows:
			case <-ctx.Done():
				return
			}
		}
	}()
	for rows := range ready {
		err := db.writeTx(ctx, a, crs.ActRegisterPatient, func(tx *Tx) error { return insertImport(tx, rows) })
		if err != nil {
			return done, err
		}
		done += len(rows)
		if opts.Progress != nil {
			opts.Progress(done, len(ps))
		}
	}
	return done, ctx.Err()
}

// bulkLoadPragmas are the SQLite settings of the write connection while
// patients are imported. None weakens durability (no batch is answered
// before the syncer has synced it, see sync.go):
// each batch is one command in a savepoint, whose rollback journal stays
// in memory rather than in a temporary file; a larger page cache keeps the
// search indexes' pages; and the WAL is checkpointed less often, so a
// page changed by several batches is copied into the database once.
// Foreign key checks are not among them: they are off for the load's own
// batches alone (see setForeignKeys).
var bulkLoadPragmas = []struct{ name, value string }{
	{"temp_store", "2"},             // MEMORY
	{"cache_size", "-524288"},       // 512 MiB
	{"wal_autocheckpoint", "65536"}, // pages: 256 MiB of WAL
	{"mmap_size", "2147483648"},     // read the database through 2 GiB of mapped memory, not a system call a page
}

// startLoad begins a bulk load of activity act: it checks the actor may
// carry it out and sets the bulk load settings, which restore puts back.
// size is the batch size the options give, or def; the load's commands
// are written with bulk, the context that marks them as its batches.
func (db *DB) startLoad(ctx context.Context, a crs.Actor, act crs.Activity, opts crs.LoadOptions, def int) (bulk context.Context, size int, restore func(), err error) {
	if size = opts.BatchSize; size <= 0 {
		size = def
	}
	if err := a.Authorize(act); err != nil {
		db.refused(a, act)
		return nil, 0, nil, err
	}
	if err := db.checkTrust(ctx, a.OrgID); err != nil {
		return nil, 0, nil, err
	}
	if restore, err = db.bulkLoad(ctx); err != nil {
		return nil, 0, nil, err
	}
	return context.WithValue(ctx, bulkLoadKey{}, true), size, restore, nil
}

// checkTrust checks that the trust a load's rows belong to exists, once:
// its batches are written without foreign key checks on SQLite.
func (db *DB) checkTrust(ctx context.Context, orgID string) error {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM organisations WHERE id = $1`, orgID).Scan(&n); err != nil {
		return crs.Errorf(crs.EINTERNAL, "find the trust of the load: %w", err)
	}
	if n == 0 {
		return crs.Errorf(crs.ENOTFOUND, "no such trust: %s", orgID)
	}
	return nil
}

// bulkLoadKey marks the context of a command that is a batch of a bulk
// load: LoadPatients, LoadReferrals or a load begun with BulkLoad.
type bulkLoadKey struct{}

// isBulkLoad reports whether the command of ctx is a batch of a bulk load.
func isBulkLoad(ctx context.Context) bool { b, _ := ctx.Value(bulkLoadKey{}).(bool); return b }

// setForeignKeys turns SQLite's foreign key checks on the write
// connection on or off for the batch about to be written; the committer
// calls it between transactions (the pragma does nothing inside one).
// They are off only for a batch of bulk load commands: checked, each
// multi-row INSERT of a load needs a statement journal (a tenth of the
// patient load's CPU), and a load's rows refer only to what it checked
// itself (the trust of its actor, the live patients its referrals name,
// the pathways it makes). Every other command keeps them, even while a
// load is under way: the committer never puts a command in a batch of
// load commands (see gather).
func (db *DB) setForeignKeys(on bool) error {
	if db.dialect.name != "sqlite" || db.noForeignKeys == !on {
		return nil
	}
	v := map[bool]string{true: "ON", false: "OFF"}[on]
	if _, err := db.write.ExecContext(context.Background(), `PRAGMA foreign_keys = `+v); err != nil {
		return crs.Errorf(crs.EINTERNAL, "turn foreign key checks %s: %w", v, err)
	}
	db.noForeignKeys = !on
	return nil
}

// bulkLoad sets the bulk load pragmas on SQLite's write connection and
// returns the function that puts the previous values back.
func (db *DB) bulkLoad(ctx context.Context) (restore func(), err error) {
	if db.dialect.name != "sqlite" {
		return func() {}, nil
	}
	var old []string
	db.loads.Add(1) // the checkpointer rests (checkpoint.go)
	restore = func() {
		defer db.loads.Add(-1)
		for i, v := range old {
			if _, err := db.write.ExecContext(context.Background(), `PRAGMA `+bulkLoadPragmas[i].name+` = `+v); err != nil {
				db.Logger.Error("restore pragma", "pragma", bulkLoadPragmas[i].name, "err", err)
			}
		}
	}
	for _, p := range bulkLoadPragmas {
		var v string
		if err := db.write.QueryRowContext(ctx, `PRAGMA `+p.name).Scan(&v); err != nil {
			restore()
			return nil, crs.Errorf(crs.EINTERNAL, "read pragma %s: %w", p.name, err)
		}
		if _, err := db.write.ExecContext(ctx, `PRAGMA `+p.name+` = `+p.value); err != nil {
			restore()
			return nil, crs.Errorf(crs.EINTERNAL, "set pragma %s: %w", p.name, err)
		}
		old = append(old, v)
	}
	return restore, nil
}

// importRow is one patient of an import with the values derived from it
// before the command runs.
type importRow struct {
	p     *crs.Patient
	index int // in the caller's slice, for error messages
	// derived columns
	birth, lines, contacts, death string
	searchForms
}

// prepareImport tidies the patients and derives their stored forms and
// search keys. It is pure, so it runs ahead of the write.
func prepareImport(ps []*crs.Patient, start int, orgID string) []importRow {
	rows := make([]importRow, len(ps))
	for i, p := range ps {
		p.Normalize()
		p.OrgID = orgID
		if p.ID == "" {
			p.ID = crs.NewID()
		}
		rows[i] = importRow{
			p: p, index: start + i,
			birth: formatDate(p.BirthDate), lines: jsonText(p.Address.Lines), contacts: jsonText(p.Contacts),
			death:       deathText(p.DeathTime),
			searchForms: searchFormsOf(p),
		}
	}
	return rows
}

// rowError names the patient of an import a failure is about.
func rowError(r *importRow, err error) error {
	return crs.Errorf(crs.ErrorCode(err), "patient at index %d: %w", r.index, err)
}

const (
	importPatientCols = `id, org_id, mrn, nhs_number, nhs_status, title, given_name, other_names, family_name,
		birth_date, gender, address_lines, postcode, phone, mobile, email, contacts, gp_code, gp_name, gp_practice_code,
		gp_practice_name, ethnic_category, death_time, merged_into, family_norm, family_key, given_norm, postcode_norm,
		family_fold, given_fold_first, given_fold_last, family_part_norm, version, created_at, updated_at, load_audit_id`
	importPatientArgs = 36 // the columns of importPatientCols
	importEventCols   = `id, org_id, type, patient_id, subject_id, user_id, username, role, recorded_at, effective_at, summary, data`
)

// insertImport is the command of one batch: validate, check identifiers,
// allocate hospital numbers, write the patients, append their events and
// audit records.
func insertImport(tx *Tx, rows []importRow) error {
	ctx := tx.Context()
	bulk := newBulkInserter(tx)
	defer bulk.close()

	// Validate every patient, and check the identifiers they bring are
	// not used twice within the batch.
	nhsSeen := make(map[string]int, len(rows))
	mrnSeen := map[string]int{}
	var nhsList, mrnList []any
	need := 0
	for i := range rows {
		r := &rows[i]
		p := r.p
		p.OrgID = tx.actor.OrgID
		if err := p.Validate(tx.now); err != nil {
			return rowError(r, err)
		}
		if p.NHSNumber != "" {
			if j, ok := nhsSeen[p.NHSNumber]; ok {
				return rowError(r, nhsGivenTwice(p.NHSNumber, rows[j].index))
			}
			nhsSeen[p.NHSNumber] = i
			nhsList = append(nhsList, p.NHSNumber)
		}
		if p.MRN == "" {
			need++
		} else {
			p.MRN = strings.ToUpper(strings.TrimSpace(p.MRN))
			if j, ok := mrnSeen[p.MRN]; ok {
				return rowError(r, crs.FieldErrorf("mrn", "hospital number %s is also given to the patient at index %d", p.MRN, rows[j].index))
			}
			mrnSeen[p.MRN] = i
			mrnList = append(mrnList, p.MRN)
		}
	}
	// ... nor already held in the trust. A registration or change of
	// demographics giving a number at the same time waits for the batch,
	// and the batch for it (lockNHSLoad). During a load without the NHS
	// number index, only the numbers its stand-in may hold are looked up.
	if len(nhsList) > 0 {
		if err := lockNHSLoad(tx); err != nil {
			return err
		}
	}
	held := tx.db.loadNHS.Load()
	if held != nil && len(nhsList) > 0 {
		var err error
		if nhsList, err = held.heldIn(tx, tx.actor.OrgID, nhsList); err != nil {
			return err
		}
	}
	if err := bulk.eachExisting(ctx, `nhs_number, mrn`, `merged_into = '' AND nhs_number`, tx.actor.OrgID, nhsList, func(n, mrn string) error {
		r := &rows[nhsSeen[n]]
		return rowError(r, nhsHeld(n, mrn))
	}); err != nil {
		return err
	}
	if err := bulk.eachExisting(ctx, `mrn, mrn`, `mrn`, tx.actor.OrgID, mrnList, func(mrn, _ string) error {
		return rowError(&rows[mrnSeen[mrn]], crs.FieldErrorf("mrn", "hospital number %s is already in use", mrn))
	}); err != nil {
		return err
	}

	// Allocate a block of hospital numbers for those who bring none.
	if need > 0 {
		last, err := tx.allocate(tx.actor.OrgID, "mrn", need)
		if err != nil {
			return crs.Errorf(crs.EINTERNAL, "allocate hospital numbers: %w", err)
		}
		prefix, err := mrnPrefix(tx, tx.actor.OrgID)
		if err != nil {
			return err
		}
		next := last - int64(need) + 1
		for i := range rows {
			if p := rows[i].p; p.MRN == "" {
				p.MRN = crs.FormatMRN(prefix, next)
				next++
			}
		}
	}

	// Write the patients, each pointing at the batch's audit record.
	auditID := crs.NewID()
	now := formatTime(tx.now)
	args := make([]any, 0, len(rows)*importPatientArgs)
	loaded := crs.PatientsLoaded{Patients: make([]string, len(rows))}
	for i := range rows {
		r := &rows[i]
		p := r.p
		p.Version, p.CreatedAt, p.UpdatedAt = 1, tx.now, tx.now
		args = append(args, p.ID, p.OrgID, p.MRN, p.NHSNumber, string(p.NHSNumberStatus), p.Title, p.GivenName, p.OtherNames, p.FamilyName,
			r.birth, p.Gender, r.lines, p.Address.Postcode, p.Phone, p.Mobile, p.Email, r.contacts, p.GPCode, p.GPName, p.GPPracticeCode,
			p.GPPracticeName, p.EthnicCategory, r.death, p.MergedInto, r.familyNorm, r.familyKey, r.givenNorm, r.postcodeNorm,
			r.familyFold, r.givenFoldFirst, r.givenFoldLast, r.familyPart, p.Version, now, now, auditID)
		loaded.Patients[i] = p.ID
	}
	if err := bulk.insert(ctx, "patients", importPatientCols, importPatientArgs, args); err != nil {
		if isUniqueViolation(err) {
			return crs.Errorf(crs.ECONFLICT, "a patient of the batch has a hospital number or ID already in use: %w", err)
		}
		return err
	}
	if held != nil {
		held.wrote(tx.actor.OrgID, batchNHS(rows))
	}

	// Append one event and one audit record for the batch: the event names
	// its patients, and each patient's record names the audit record.
	loaded.FirstMRN, loaded.LastMRN = rows[0].p.MRN, rows[len(rows)-1].p.MRN
	data, err := json.Marshal(loaded)
	if err != nil {
		return crs.Errorf(crs.EINTERNAL, "encode the load's event: %w", err)
	}
	ev := &crs.Event{Type: crs.EventPatientsLoaded, Summary: loadSummary(loaded), Data: data}
	return bulk.emitAudited(ctx, []*crs.Event{ev}, []string{auditID}, "PMI load: "+strconv.Itoa(len(rows))+" patients registered")
}

// batchNHS lists the NHS numbers of a batch's patients.
func batchNHS(rows []importRow) []any {
	out := make([]any, 0, len(rows))
	for i := range rows {
		if n := rows[i].p.NHSNumber; n != "" {
			out = append(out, n)
		}
	}
	return out
}

// loadSummary is the history's line for a batch of the PMI load.
func loadSummary(l crs.PatientsLoaded) string {
	if len(l.Patients) == 1 {
		return "Registered by the PMI load with hospital number " + l.FirstMRN
	}
	others := strconv.Itoa(len(l.Patients)-1) + " other patients"
	if len(l.Patients) == 2 {
		others = "1 other patient"
	}
	return "Registered by the PMI load with " + others + " (hospital numbers " + l.FirstMRN + " to " + l.LastMRN + ")"
}

// bulkInserter writes many rows within one command with bulk INSERTs
// (insertRows) and looks them up with statements prepared once per
// command: it saves the per-statement cost that dominates a bulk load on
// both engines.
type bulkInserter struct {
	tx    *Tx
	stmts map[string]*sql.Stmt
}

func newBulkInserter(tx *Tx) *bulkInserter {
	return &bulkInserter{tx: tx, stmts: map[string]*sql.Stmt{}}
}

func (b *bulkInserter) close() {
	for _, s := range b.stmts {
		s.Close()
	}
}

// maxParams bounds the parameters of one statement, within SQLite's
// limit of 32,766 and PostgreSQL's of 65,535. A bulk load writes a batch
// of records in few statements: each statement has its own journal of the
// pages it changes (SQLite) and its own round trip (PostgreSQL).
const maxParams = 32000

// stmt returns the prepared statement for query, preparing it once.
func (b *bulkInserter) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := b.stmts[query]; ok {
		return s, nil
	}
	s, err := b.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	b.stmts[query] = s
	return s, nil
}

// placeholders writes n groups of ncols parameters: ($1, $2), ($3, $4)...
// On SQLite they are anonymous (?, ?): SQLite looks a numbered or named
// parameter up in a list, which makes binding a statement with thousands
// of them quadratic.
func (b *bulkInserter) placeholders(n, ncols, first int) string {
	return placeholderRows(n, ncols, first, b.tx.db.dialect.name == "sqlite")
}

// placeholderRows writes n groups of ncols parameters numbered from
// first, or anonymous (anon) for SQLite.
func placeholderRows(n, ncols, first int, anon bool) string {
	var sb strings.Builder
	sb.Grow(n * ncols * 6)
	k := first
	for i := 0; i < n; i++ {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteByte('(')
		for c := 0; c < ncols; c++ {
			if c > 0 {
				sb.WriteString(", ")
			}
			if anon {
				sb.WriteByte('?')
			} else {
				sb.WriteByte('$')
				sb.WriteString(strconv.Itoa(k))
			}
			k++
		}
		sb.WriteByte(')')
	}
	return sb.String()
}

// insert writes rows of ncols values each, laid out one row after another
// in args, with insertRows.
func (b *bulkInserter) insert(ctx context.Context, table, cols string, ncols int, args []any) error {
	return insertRows(b.tx, table, cols, ncols, args, "")
}

// eachExisting looks for the values among the organisation's patients
// (SELECT cols FROM patients WHERE org_id = orgID AND cond IN (values)),
// in chunks, and calls f with the two columns of each row found, until f
// returns an error: an import stops at the first, a migration refuses
// each record it finds held.
func (b *bulkInserter) eachExisting(ctx context.Context, cols, cond, orgID string, values []any, f func(a, b string) error) error {
	org := b.placeholders(1, 1, 1)
	for len(values) > 0 {
		n := min(maxParams-1, len(values))
		s, err := b.stmt(ctx, `SELECT `+cols+` FROM patients WHERE org_id = `+org[1:len(org)-1]+` AND `+cond+` IN `+b.placeholders(1, n, 2))
		if err != nil {
			return err
		}
		rows, err := s.QueryContext(ctx, append([]any{orgID}, values[:n]...)...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var x, y string
			if err := rows.Scan(&x, &y); err != nil {
				rows.Close()
				return err
			}
			if err := f(x, y); err != nil {
				rows.Close()
				return err
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		values = values[n:]
	}
	return nil
}

// emit appends the events and one audit record for each, and runs the
// event hooks: Tx.Emit for many events at once, with the same effect as
// calling it for each. It must stay in step with Tx.Emit.
func (b *bulkInserter) emit(ctx context.Context, evs []*crs.Event, what string) error {
	return b.emitAudited(ctx, evs, nil, what)
}

// emitAudited is emit with the ids of the events' audit records given
// (one for each event), for records that point at them; nil ids makes
// new ones.
func (b *bulkInserter) emitAudited(ctx context.Context, evs []*crs.Event, auditIDs []string, what string) error {
	tx := b.tx
	a := tx.actor
	now := formatTime(tx.now)
	role := string(a.Role)
	evArgs := make([]any, 0, len(evs)*12)
	audits := make([]*crs.AuditRecord, 0, len(evs))
	for i, ev := range evs {
		ev.ID = crs.NewID()
		ev.OrgID = a.OrgID
		ev.UserID, ev.Username, ev.Role = a.UserID, a.Username, a.Role
		ev.RecordedAt = tx.now
		eff := now
		if ev.EffectiveAt.IsZero() {
			ev.EffectiveAt = tx.now
		} else {
			eff = formatTime(ev.EffectiveAt)
		}
		if len(ev.Data) == 0 {
			ev.Data = json.RawMessage("{}")
		}
		evArgs = append(evArgs, ev.ID, ev.OrgID, ev.Type, ev.PatientID, ev.SubjectID, ev.UserID, ev.Username, role,
			now, eff, ev.Summary, string(ev.Data))
		id := crs.NewID()
		if auditIDs != nil {
			id = auditIDs[i]
		}
		audits = append(audits, &crs.AuditRecord{ID: id, OrgID: ev.OrgID, At: tx.now, UserID: ev.UserID, Username: ev.Username,
			Role: a.Role, PatientID: ev.PatientID, Action: crs.AuditChange, What: what, Purpose: a.Purpose, EventID: ev.ID})
	}
	if err := b.insert(ctx, "events", importEventCols, 12, evArgs); err != nil {
		return crs.Errorf(crs.EINTERNAL, "append events: %w", err)
	}
	chained, err := linkAudits(ctx, tx, audits, tx.heads)
	if err != nil {
		return err
	}
	auArgs := make([]any, 0, len(chained)*auditColumns)
	for _, c := range chained {
		auArgs = append(auArgs, chainArgs(c)...)
	}
	if err := b.insert(ctx, "audit", auditChainCols, auditColumns, auArgs); err != nil {
		return crs.Errorf(crs.EINTERNAL, "append audit records: %w", err)
	}
	tx.db.hooksMu.RLock()
	hooks := tx.db.hooks
	tx.db.hooksMu.RUnlock()
	for _, ev := range evs {
		for _, h := range hooks {
			if err := h(tx, ev); err != nil {
				return err
			}
		}
	}
	tx.events = append(tx.events, evs...)
	return nil
}
