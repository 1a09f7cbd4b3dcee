package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opencrs/crs"
)

// ResourceService reads the FHIR resource store; changes go through the
// write path (crs.ResourceTx).
type ResourceService struct {
	db *DB

	prepare sync.Once
	current *sql.Stmt // the read of a current version, parsed once; nil if it could not be
}

// readCurrentSQL reads the current version of one resource.
const readCurrentSQL = `SELECT ` + resourceColumns + ` FROM fhir_current WHERE org_id = $1 AND type = $2 AND id = $3`

// NewResourceService returns the resource store's reads on db.
func NewResourceService(db *DB) *ResourceService { return &ResourceService{db: db} }

const resourceColumns = `type, id, version, seq, last_updated, deleted, patient_id, body`

func scanResource(rows scanner) (*crs.Resource, error) {
	var r crs.Resource
	var updated, body string
	var deleted int
	if err := rows.Scan(&r.Type, &r.ID, &r.Version, &r.Seq, &updated, &deleted, &r.PatientID, &body); err != nil {
		return nil, err
	}
	r.LastUpdated, r.Deleted, r.Body = parseTime(updated), deleted != 0, []byte(body)
	return &r, nil
}

func queryResources(ctx context.Context, q Querier, query string, args ...any) ([]*crs.Resource, error) {
	return queryPlaced(ctx, q, false, 0, query, args...)
}

// placedScan reads a resource's row followed by its place in a $lastn
// answer.
type placedScan struct {
	rows  *sql.Rows
	place *crs.ResourceLastNPlace
}

func (p placedScan) Scan(dest ...any) error {
	return p.rows.Scan(append(dest, &p.place.System, &p.place.Code, &p.place.At)...)
}

// sortedScan reads a resource's row followed by the values of its keys
// in a sorted search.
type sortedScan struct {
	rows  *sql.Rows
	place *crs.ResourceSortPlace
}

func (p sortedScan) Scan(dest ...any) error {
	keys := make([]any, len(p.place.Keys))
	for i := range keys {
		keys[i] = new(any)
	}
	if err := p.rows.Scan(append(dest, keys...)...); err != nil {
		return err
	}
	for i, k := range keys {
		switch v := (*k.(*any)).(type) {
		case nil:
		case string:
			p.place.Keys[i] = &v
		case []byte:
			t := string(v)
			p.place.Keys[i] = &t
		case float64:
			t := strconv.FormatFloat(v, 'g', -1, 64)
			p.place.Keys[i] = &t
		case int64:
			t := strconv.FormatInt(v, 10)
			p.place.Keys[i] = &t
		default:
			return fmt.Errorf("a sort key of %T", v)
		}
	}
	return nil
}

// sortKeyCount is the number of sort keys a search's rows end with (see
// resourceSearchFew): none but in a sorted search of resources.
func sortKeyCount(q crs.ResourceQuery, count bool) int {
	if count || q.LastN != nil {
		return 0
	}
	return len(q.SortBy)
}

// queryPlaced is queryResources reading, when placed, each resource's
// place in a $lastn answer after its columns, or its keys' values, when
// keys is more than none, in a sorted search.
func queryPlaced(ctx context.Context, q Querier, placed bool, keys int, query string, args ...any) ([]*crs.Resource, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, crs.Errorf(crs.EINTERNAL, "read resources: %w", err)
	}
	defer rows.Close()
	var out []*crs.Resource
	for rows.Next() {
		var r *crs.Resource
		var err error
		switch {
		case placed:
			place := new(crs.ResourceLastNPlace)
			if r, err = scanResource(placedScan{rows, place}); err == nil {
				place.ID, r.Place = r.ID, place
			}
		case keys > 0:
			place := &crs.ResourceSortPlace{Keys: make([]*string, keys)}
			if r, err = scanResource(sortedScan{rows, place}); err == nil {
				place.ID, r.SortPlace = r.ID, place
			}
		default:
			r, err = scanResource(rows)
		}
		if err != nil {
			return nil, crs.Errorf(crs.EINTERNAL, "read resources: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// GetResource returns the current version of a resource of the trust.
func (tx *Tx) GetResource(typ, id string) (*crs.Resource, error) {
	if tx.contended != "" && tx.contended == typ+"/"+id {
		// The run before lost the race to write the resource to another
		// command: this one waits for the others run again for it, one
		// at a time, rather than race them again.
		if err := tx.LockResourceKey("write " + tx.contended); err != nil {
			return nil, err
		}
	}
	r, err := scanResource(tx.QueryRow(readCurrentSQL, tx.actor.OrgID, typ, id))
	if f := resourceLookedUp.Load(); f != nil && (err == nil || err == sql.ErrNoRows) {
		(*f)(typ, id)
	}
	if err != nil {
		return nil, notFound(err, "%s/%s is not in the record", typ, id)
	}
	return r, nil
}

// resourceLookedUp, when a test sets it, runs after a command has looked
// up a resource, for another command to write it at that moment.
var resourceLookedUp atomic.Pointer[func(typ, id string)]

// readVersionSQL reads one version of a resource.
const readVersionSQL = `SELECT ` + versionColumns + ` FROM fhir_versions v WHERE v.org_id = $1 AND v.type = $2 AND v.id = $3 AND v.version = $4`

// GetResourceVersion returns one version of a resource of the trust.
func (tx *Tx) GetResourceVersion(typ, id string, version int) (*crs.Resource, error) {
	r, err := scanResource(tx.QueryRow(readVersionSQL, tx.actor.OrgID, typ, id, version))
	if err != nil {
		return nil, notFound(err, "%s/%s has no version %d", typ, id, version)
	}
	return r, nil
}

// PutResource writes the resource's next version and its index rows and
// appends its event and audit record.
func (tx *Tx) PutResource(r *crs.Resource, index []crs.ResourceIndexRow) error {
	if err := r.CheckText(); err != nil {
		return err
	}
	subscriptionWritten(tx, r.Type)
	org := tx.actor.OrgID
	var current int
	var rid int64
	var was string // the patient the current version is about
	err := tx.QueryRow(`SELECT version, rid, patient_id FROM fhir_current WHERE org_id = $1 AND type = $2 AND id = $3`, org, r.Type, r.ID).Scan(&current, &rid, &was)
	if err != nil && err != sql.ErrNoRows {
		return crs.Errorf(crs.EINTERNAL, "read current version: %w", err)
	}
	if r.Type != "Patient" { // the Patient itself is the patient index's, written by its rules
		// A resource moved to another patient changes both records.
		for _, pid := range []string{was, r.PatientID} {
			if err := tx.clearClinicalWrite(pid); err != nil {
				return err
			}
		}
	}
	if r.Version != current+1 {
		// Another command wrote the resource since this one read it: on
		// PostgreSQL, one committed in between. The command is run
		// again (writePooled) to read that version and write the next,
		// or, when the client named the version it changes (If-Match),
		// to answer that it is no longer the current one.
		tx.overtakenResource = r.Type + "/" + r.ID
		tx.overtaken = fmt.Sprintf("%s version %d", tx.overtakenResource, current)
		return crs.Errorf(crs.ECONFLICT, "%s/%s is at version %d, not %d", r.Type, r.ID, current, r.Version-1)
	}
	if current == 0 {
		return tx.putNew([]*crs.Resource{r}, [][]crs.ResourceIndexRow{index})
	}
	summary := "updated"
	if r.Deleted {
		summary = "deleted"
	}
	ev := &crs.Event{Type: crs.EventResourceWritten, PatientID: r.PatientID, SubjectID: r.Type + "/" + r.ID,
		Summary: fmt.Sprintf("%s/%s %s (version %d)", r.Type, r.ID, summary, r.Version)}
	if err := tx.EmitData(ev, "fhir "+r.Type, writtenOf(r)); err != nil {
		return err
	}
	r.LastUpdated = tx.now
	r.Seq = crs.NewID()
	updated := formatTime(r.LastUpdated)
	// The version superseded keeps its body in its version row from now
	// on; the new one's is in fhir_current alone (migration 0104).
	_, err = tx.Exec(`UPDATE fhir_versions SET body = (SELECT c.body FROM fhir_current c WHERE c.org_id = $1 AND c.type = $2 AND c.id = $3)
		WHERE org_id = $1 AND type = $2 AND id = $3 AND version = $4 AND body = ''`, org, r.Type, r.ID, current)
	if err == nil {
		err = insertRows(tx, "fhir_versions", versionCols, versionNCols, versionArgs(nil, org, r, ev.ID, updated), "")
	}
	if err != nil {
		return crs.Errorf(crs.EINTERNAL, "write %s/%s: %w", r.Type, r.ID, err)
	}
	_, err = tx.Exec(`UPDATE fhir_current SET version = $5, seq = $6, last_updated = $7, deleted = $8, patient_id = $9, body = $10
		WHERE rid = $1 AND org_id = $2 AND type = $3 AND id = $4`, currentArgs(nil, rid, org, r, updated)...)
	if err != nil {
		return crs.Errorf(crs.EINTERNAL, "write %s/%s: %w", r.Type, r.ID, err)
	}
	return tx.reindex(rid, r, index)
}

// reindex replaces the index rows of r, numbered rid, with index; a
// version that deletes its resource has none.
func (tx *Tx) reindex(rid int64, r *crs.Resource, index []crs.ResourceIndexRow) error {
	if _, err := tx.Exec(`DELETE FROM fhir_index WHERE rid = $1`, rid); err != nil {
		return crs.Errorf(crs.EINTERNAL, "index %s/%s: %w", r.Type, r.ID, err)
	}
	if r.Deleted {
		return nil
	}
	orgN, err := tx.db.orgNumber(tx.ctx, tx, tx.actor.OrgID)
	if err != nil {
		return err
	}
	if err := insertRows(tx, "fhir_index", indexCols, indexColumns, indexArgs(nil, orgN, rid, r, index), ""); err != nil {
		return crs.Errorf(crs.EINTERNAL, "index %s/%s: %w", r.Type, r.ID, err)
	}
	return nil
}

// PutResourceMeta rewrites a version's body with its meta changed, and
// appends the event and audit record of the change, which name the
// version; the version, its time and its key stay as they were. The
// current version's index rows are replaced by index; an earlier
// version has none, the search index being of current versions alone.
func (tx *Tx) PutResourceMeta(r *crs.Resource, index []crs.ResourceIndexRow) error {
	if err := r.CheckText(); err != nil {
		return err
	}
	org := tx.actor.OrgID
	var current, deleted int
	var rid int64
	var patient string
	err := tx.QueryRow(`SELECT c.version, c.rid, v.deleted, v.patient_id FROM fhir_current c
		JOIN fhir_versions v ON v.org_id = c.org_id AND v.type = c.type AND v.id = c.id AND v.version = $4
		WHERE c.org_id = $1 AND c.type = $2 AND c.id = $3`, org, r.Type, r.ID, r.Version).Scan(&current, &rid, &deleted, &patient)
	if err != nil {
		return notFound(err, "%s/%s has no version %d", r.Type, r.ID, r.Version)
	}
	if deleted != 0 {
		return crs.Errorf(crs.ECONFLICT, "version %d of %s/%s deleted it, and a deletion has no meta to change", r.Version, r.Type, r.ID)
	}
	if r.Type != "Patient" {
		if err := tx.clearClinicalWrite(patient); err != nil {
			return err
		}
	}
	r.PatientID, r.Deleted = patient, false
	ev := &crs.Event{Type: crs.EventResourceMetaChanged, PatientID: patient, SubjectID: r.Type + "/" + r.ID,
		Summary: fmt.Sprintf("%s/%s meta changed (version %d unchanged)", r.Type, r.ID, r.Version)}
	if r.Version != current {
		ev.Summary = fmt.Sprintf("%s/%s meta of version %d changed (the current is version %d, unchanged)", r.Type, r.ID, r.Version, current)
	}
	if err := tx.EmitData(ev, fmt.Sprintf("fhir %s/%s meta of version %d", r.Type, r.ID, r.Version), writtenOf(r)); err != nil {
		return err
	}
	if r.Version != current {
		// A version superseded keeps its body in its version row.
		_, err = tx.Exec(`UPDATE fhir_versions SET body = $5 WHERE org_id = $1 AND type = $2 AND id = $3 AND version = $4`, org, r.Type, r.ID, r.Version, string(r.Body))
		if err != nil {
			return crs.Errorf(crs.EINTERNAL, "write the meta of %s/%s version %d: %w", r.Type, r.ID, r.Version, err)
		}
		return nil
	}
	// The current version's body is kept in fhir_current; a version row
	// that still holds one (written before migration 0104) is kept true.
	_, err = tx.Exec(`UPDATE fhir_current SET body = $5 WHERE org_id = $1 AND type = $2 AND id = $3 AND version = $4`, org, r.Type, r.ID, r.Version, string(r.Body))
	if err == nil {
		_, err = tx.Exec(`UPDATE fhir_versions SET body = $5 WHERE org_id = $1 AND type = $2 AND id = $3 AND version = $4 AND body <> ''`, org, r.Type, r.ID, r.Version, string(r.Body))
	}
	if err != nil {
		return crs.Errorf(crs.EINTERNAL, "write the meta of %s/%s: %w", r.Type, r.ID, err)
	}
	return tx.reindex(rid, r, index)
}

// resourceWritten is the data of a resource.written event about one
// version of a resource.
type resourceWritten struct {
	Type    string `json:"type"`
	ID      string `json:"id"`
	Version int    `json:"version"`
	Deleted bool   `json:"deleted"`
	Patient string `json:"patient"`
}

func writtenOf(r *crs.Resource) resourceWritten {
	return resourceWritten{Type: r.Type, ID: r.ID, Version: r.Version, Deleted: r.Deleted, Patient: r.PatientID}
}

// The columns of a version, a current row and an index row, as
// insertRows writes them.
const (
	versionCols  = `seq, org_id, type, id, version, last_updated, deleted, patient_id, body, event_id, method`
	versionNCols = 11
	currentCols  = `rid, org_id, type, id, version, seq, last_updated, deleted, patient_id, body`
	currentNCols = 10
	indexCols    = `rid, org_n, type, param, system, code, text, lo, hi, num, n`
)

// versionArgs appends to args the values of r's row of fhir_versions,
// written as the current version: its body is kept in fhir_current
// alone until a later version supersedes it. updated is r.LastUpdated
// as written (formatTime), made once for all the rows of a resource
// and of the resources a command creates together.
func versionArgs(args []any, org string, r *crs.Resource, eventID, updated string) []any {
	return append(args, r.Seq, org, r.Type, r.ID, r.Version, updated, deletedFlag(r), r.PatientID, "", eventID, r.Method)
}

// versionColumns reads a row of fhir_versions (as v) as resourceColumns
// reads one of fhir_current: the body of the version that is current is
// the current row's.
const versionColumns = `v.type, v.id, v.version, v.seq, v.last_updated, v.deleted, v.patient_id,
	CASE WHEN v.body <> '' THEN v.body ELSE COALESCE((SELECT c.body FROM fhir_current c
		WHERE c.org_id = v.org_id AND c.type = v.type AND c.id = v.id AND c.version = v.version), '') END`

// currentArgs appends to args the values of r's row of fhir_current,
// numbered rid; updated as for versionArgs.
func currentArgs(args []any, rid int64, org string, r *crs.Resource, updated string) []any {
	return append(args, rid, org, r.Type, r.ID, r.Version, r.Seq, updated, deletedFlag(r), r.PatientID, string(r.Body))
}

func deletedFlag(r *crs.Resource) int {
	if r.Deleted {
		return 1
	}
	return 0
}

// indexArgs appends to args the values of the index rows of r, numbered
// rid, of the trust numbered orgN; the rows are numbered from 0 (n, the
// row's key within the resource). A row repeated (one coding
// given twice) is written once, so a search reading the rows of a code
// meets each resource once.
//
// It runs on SQLite's one writer, once for every resource written: the
// few rows of most resources are each compared with those before them,
// and only a resource of many rows has a set of them made.
func indexArgs(args []any, orgN, rid int64, r *crs.Resource, index []crs.ResourceIndexRow) []any {
	var seen map[crs.ResourceIndexRow]bool
	if len(index) > indexRowsCompared {
		seen = make(map[crs.ResourceIndexRow]bool, len(index))
	}
	index = indexedRows(index)
	args = slices.Grow(args, len(index)*indexColumns)
	ridV, orgV, typeV := any(rid), any(orgN), any(r.Type) // boxed once for all its rows
	n := 0
	for i, x := range index {
		var num any
		if x.Num != nil {
			num = *x.Num
		} else if seen == nil {
			if slices.Contains(index[:i], x) {
				continue
			}
		} else {
			if seen[x] {
				continue
			}
			seen[x] = true
		}
		lo, hi := "", "" // only a date has a range (an open start is the least time)
		if !x.Hi.IsZero() {
			lo, hi = formatIndexTime(x.Lo), formatIndexTime(x.Hi)
		}
		args = append(args, ridV, orgV, typeV, x.Param, x.System, x.Code, x.Text, lo, hi, num, n)
		n++
	}
	return args
}

// indexRowsCompared is how many index rows of a resource indexArgs
// compares in turn to find those repeated; above it, it keeps a set.
const indexRowsCompared = 16

// indexColumns is the columns of a row of the search index.
const indexColumns = 11

// formatIndexTime writes an index date; the zero time (an open end) is
// the least time there is, and the ends of a range beyond any real date
// stay in order with the rest.
func formatIndexTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// SearchResources runs a search inside the command.
func (tx *Tx) SearchResources(q crs.ResourceQuery) ([]*crs.Resource, error) {
	few, err := fewConcepts(tx.ctx, tx, tx.actor.OrgID, q)
	if err != nil {
		return nil, err
	}
	orgN, err := tx.db.orgNumber(tx.ctx, tx, tx.actor.OrgID)
	if err != nil {
		return nil, err
	}
	query, args := resourceSearchFew(tx.actor.OrgID, orgN, q, false, few)
	return queryPlaced(tx.ctx, tx, q.LastN != nil, sortKeyCount(q, false), query, args...)
}

// LockResourceKey serialises the commands that give the same key. On
// SQLite commands are applied one at a time already.
func (tx *Tx) LockResourceKey(key string) error {
	return tx.lockKey(context.Background(), key)
}

// lockKey makes the commands of the trust that lock the same key wait
// for one another, from the lock to their commit (PostgreSQL; on SQLite
// commands are applied one at a time already). With a context of
// deferrable, the lock goes with the command's next statement.
func (tx *Tx) lockKey(ctx context.Context, key string) error {
	return tx.lockKeyShared(ctx, "", key)
}

// lockKeyShared is lockKey of key with, first, a share of the lock of
// shared (unless ""): the commands sharing it run at once, and a command
// taking it alone (lockKey) waits for them all, and they for it, to
// commit.
func (tx *Tx) lockKeyShared(ctx context.Context, shared, key string) error {
	if !tx.db.pooled() {
		return nil
	}
	trust := tx.actor.OrgID + "|"
	q, args := `SELECT pg_advisory_xact_lock(hashtext($1))`, []any{trust + key}
	if shared != "" {
		q, args = `SELECT pg_advisory_xact_lock_shared(hashtext($1)), pg_advisory_xact_lock(hashtext($2))`, []any{trust + shared, trust + key}
	}
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return crs.Errorf(crs.EINTERNAL, "lock %s: %w", key, err)
	}
	return nil
}

// ReadResource returns one version of a resource, 0 for the current,
// and audits the read against the patient the resource is about.
func (s *ResourceService) ReadResource(ctx context.Context, a crs.Actor, typ, id string, version int) (*crs.Resource, error) {
	if err := a.Authorize(crs.ActViewClinical); err != nil {
		s.db.refused(a, crs.ActViewClinical)
		return nil, err
	}
	var r *crs.Resource
	var err error
	if version == 0 {
		// The read every client makes most: its statement is parsed once.
		s.prepare.Do(func() { s.current, _ = s.db.read.PrepareContext(context.Background(), readCurrentSQL) })
		if s.current != nil {
			r, err = scanResource(s.current.QueryRowContext(ctx, a.OrgID, typ, id))
		} else {
			r, err = scanResource(s.db.read.QueryRowContext(ctx, readCurrentSQL, a.OrgID, typ, id))
		}
	} else {
		r, err = scanResource(s.db.read.QueryRowContext(ctx, readVersionSQL, a.OrgID, typ, id, version))
	}
	if err != nil && version > 0 {
		return nil, notFound(err, "%s/%s has no version %d", typ, id, version)
	}
	if err != nil {
		return nil, notFound(err, "%s/%s is not in the record", typ, id)
	}
	if err := s.db.checkClinical(ctx, a, r.PatientID); err != nil {
		return nil, err
	}
	s.db.Audit(a, r.PatientID, crs.AuditView, "fhir "+typ+"/"+id)
	return r, nil
}

// historySQL is the query of a page of history, newest first: of the
// trust, of a type (typ) or of one resource (typ and id), since a time,
// current at some time in at, before a version's seq (the page before's
// last).
func historySQL(org, typ, id string, since time.Time, at crs.Period, place crs.HistoryPlace, count int) (string, []any) {
	where := []string{"v.org_id = $1"}
	args := []any{org}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if typ != "" {
		add("v.type = $%d", typ)
	}
	if id != "" {
		add("v.id = $%d", id)
	}
	if !since.IsZero() {
		add("v.last_updated >= $%d", formatTime(since))
	}
	if !at.End.IsZero() {
		add("v.last_updated < $%d", formatTime(at.End))
	}
	if !at.Start.IsZero() {
		// A version is current until the next is written: the next,
		// read by its key, must come after the period starts.
		add(`NOT EXISTS (SELECT 1 FROM fhir_versions n WHERE n.org_id = v.org_id AND n.type = v.type AND n.id = v.id
			AND n.version = v.version + 1 AND n.last_updated <= $%d)`, formatTime(at.Start))
	}
	if place.Before != "" {
		add("v.seq < $%d", place.Before)
	}
	dir := "DESC"
	if place.After != "" {
		// The page newer than one seen: the versions nearest after it,
		// read oldest first (and listed newest first by the caller).
		add("v.seq > $%d", place.After)
		dir = "ASC"
	}
	order := "v.seq" // a trust's or a type's history in the order written; one resource's by version, the order of its key
	if id != "" {
		order = "v.version"
	}
	return `SELECT ` + versionColumns + `, v.method FROM fhir_versions v WHERE ` + strings.Join(where, " AND ") +
		fmt.Sprintf(` ORDER BY %s %s LIMIT %d`, order, dir, count), args
}

// scanHistoryVersion reads a row of historySQL: a version with the
// interaction that wrote it.
func scanHistoryVersion(row scanner) (*crs.Resource, error) {
	var method string
	r, err := scanThen(row, scanResource, &method)
	if err != nil {
		return nil, err
	}
	r.Method = method
	return r, nil
}

// ResourceHistory lists versions, newest first.
func (s *ResourceService) ResourceHistory(ctx context.Context, a crs.Actor, typ, id string, since time.Time, before string, count int) ([]*crs.Resource, error) {
	return s.ResourceHistoryAt(ctx, a, typ, id, since, crs.Period{}, crs.HistoryPlace{Before: before}, count)
}

// ResourceHistoryAt lists the versions current at some time in at,
// newest first.
func (s *ResourceService) ResourceHistoryAt(ctx context.Context, a crs.Actor, typ, id string, since time.Time, at crs.Period, place crs.HistoryPlace, count int) ([]*crs.Resource, error) {
	var out []*crs.Resource
	err := s.db.View(ctx, a, crs.ActViewClinical, "", "fhir history", func(q Querier) error {
		query, args := historySQL(a.OrgID, typ, id, since, at, place, count)
		var err error
		out, err = queryRows(ctx, q, scanHistoryVersion, query, args...)
		if place.After != "" {
			slices.Reverse(out)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.db.accessibleResources(ctx, a, out, "fhir history")
}

// metaInUseSQL reads the distinct profiles, tags and security labels of
// the trust's current resources ($2, when given, names their type) from
// their index rows, which a version that deletes its resource leaves
// none of.
const metaInUseSQL = `SELECT DISTINCT type, param, system, code FROM fhir_index
	WHERE org_n = $1 AND param IN ('_profile', '_tag', '_security') AND code <> '' AND text = ''`

// metaCarriersSQL reads the bodies of the first few current resources of
// a type that carry a tag or security label, to find the label's
// display: the few read by the label's index rows, not every resource
// carrying it, so a type's $meta costs what its labels are, not its
// resources.
const metaCarriersSQL = `SELECT c.body FROM fhir_index x JOIN fhir_current c ON c.rid = x.rid
	WHERE x.org_n = $1 AND x.type = $2 AND x.param = $3 AND x.code = $4 AND x.system = $5 AND x.text = '' LIMIT 5`

// MetaInUse returns the profiles, tags and security labels in use on
// the current resources of typ, or of the trust, by type, a tag or label
// with the bodies of the first few resources carrying it.
func (s *ResourceService) MetaInUse(ctx context.Context, a crs.Actor, typ string) (map[string][]crs.MetaCode, error) {
	out := map[string][]crs.MetaCode{}
	what := "fhir $meta of the resource store"
	if typ != "" {
		what = "fhir $meta of " + typ
	}
	err := s.db.View(ctx, a, crs.ActViewClinical, "", what, func(q Querier) error {
		orgN, err := s.db.orgNumber(ctx, q, a.OrgID)
		if err != nil {
			return err
		}
		query, args := metaInUseSQL, []any{orgN}
		if typ != "" {
			query, args = query+" AND type = $2", append(args, typ)
		}
		err = eachRow(ctx, q, func(r scanner) error {
			var t string
			var x crs.MetaCode
			if err := r.Scan(&t, &x.Param, &x.System, &x.Code); err != nil {
				return err
			}
			out[t] = append(out[t], x)
			return nil
		}, query+" ORDER BY type, param, system, code", args...)
		for t, codes := range out {
			for i := range codes {
				if err == nil && codes[i].Param != "_profile" {
					codes[i].Carriers, err = metaCarriers(ctx, q, orgN, t, codes[i])
				}
			}
		}
		if err != nil {
			return crs.Errorf(crs.EINTERNAL, "read the meta in use: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// metaCarriers returns the bodies of the first few current resources
// of typ carrying the tag or security label c.
func metaCarriers(ctx context.Context, q Querier, orgN int64, typ string, c crs.MetaCode) ([][]byte, error) {
	var out [][]byte
	err := eachRow(ctx, q, func(r scanner) error {
		var body []byte
		err := r.Scan(&body)
		out = append(out, body)
		return err
	}, metaCarriersSQL, orgN, typ, c.Param, c.Code, c.System)
	return out, err
}

// SearchResources returns the current resources that match q.
func (s *ResourceService) SearchResources(ctx context.Context, a crs.Actor, q crs.ResourceQuery) ([]*crs.Resource, int, error) {
	var out []*crs.Resource
	total := 0
	patientID, what := "", "fhir search "+q.Type
	if len(q.RefersTo) == 1 && strings.HasPrefix(q.RefersTo[0], "Patient/") {
		patientID = strings.TrimPrefix(q.RefersTo[0], "Patient/")
		what = "fhir search " + q.Type + " of " + q.RefersTo[0]
	}
	if q.LastN != nil {
		what = strings.Replace(what, "fhir search ", "fhir $lastn ", 1)
	}
	// The access check of View, but one audit record: the list's, naming
	// the patients of the resources found, or when it names none (a count,
	// nothing found, resources about no patient) the read's own.
	if err := s.db.checkClinical(ctx, a, patientID); err != nil {
		return nil, 0, err
	}
	few, err := fewConcepts(ctx, s.db.read, a.OrgID, q)
	if err != nil {
		return nil, 0, err
	}
	orgN, err := s.db.orgNumber(ctx, s.db.read, a.OrgID)
	if err != nil {
		return nil, 0, err
	}
	if err := s.cursorHeld(ctx, a, q); err != nil {
		return nil, 0, err
	}
	query, args := resourceSearchFew(a.OrgID, orgN, q, q.Count == 0, few)
	if q.Count == 0 {
		err = s.db.read.QueryRowContext(ctx, query, args...).Scan(&total)
	} else {
		out, err = queryPlaced(ctx, s.db.read, q.LastN != nil, sortKeyCount(q, false), query, args...)
		if q.Before != "" || q.SortAfter != nil && q.SortAfter.Before {
			slices.Reverse(out) // read nearest first
		}
	}
	if err != nil {
		return nil, 0, err
	}
	out, listed, err := s.db.accessibleListed(ctx, a, out, what)
	if err == nil && !listed {
		s.db.Audit(a, patientID, crs.AuditView, what)
	}
	return out, total, err
}

// cursorHeld refuses the page of a search of one type after a resource
// the trust does not hold: the page resumes after that resource in the
// order created, and a cursor of no resource has no place in it (a
// client follows the next link of the page before, which names the
// page's last resource).
func (s *ResourceService) cursorHeld(ctx context.Context, a crs.Actor, q crs.ResourceQuery) error {
	cursor := cmp.Or(q.After, q.Before)
	if cursor == "" || q.Type == "" || len(q.SortBy) > 0 {
		return nil
	}
	var one int
	err := s.db.read.QueryRowContext(ctx, `SELECT 1 FROM fhir_current WHERE org_id = $1 AND type = $2 AND id = $3`, a.OrgID, q.Type, cursor).Scan(&one)
	if err == sql.ErrNoRows {
		return crs.Errorf(crs.EINVALID, "the page's cursor %q names no %s: follow the next or previous link of a page", cursor, q.Type)
	}
	return err
}

// accessibleResources keeps, of resources read for a list, those about
// patients the actor may see (a person needs a legitimate relationship
// with each; a system client sees all), and audits the list: one record
// naming each patient on it.
func (db *DB) accessibleResources(ctx context.Context, a crs.Actor, rs []*crs.Resource, what string) ([]*crs.Resource, error) {
	out, _, err := db.accessibleListed(ctx, a, rs, what)
	return out, err
}

// accessibleListed is accessibleResources, saying whether the list named
// any patient (and so was audited).
func (db *DB) accessibleListed(ctx context.Context, a crs.Actor, rs []*crs.Resource, what string) ([]*crs.Resource, bool, error) {
	allowed := map[string]bool{}
	var out []*crs.Resource
	var ids []string
	for _, r := range rs {
		if r.PatientID != "" {
			ok, seen := allowed[r.PatientID]
			if !seen {
				err := db.checkClinical(ctx, a, r.PatientID)
				switch crs.ErrorCode(err) {
				case "":
					ok = true
					ids = append(ids, r.PatientID)
				case crs.ENORELATIONSHIP, crs.ESEALED:
				default:
					return nil, false, err
				}
				allowed[r.PatientID] = ok
			}
			if !ok {
				continue
			}
		}
		out = append(out, r)
	}
	db.recordListed(a, ids, what)
	return out, len(ids) > 0 && a.OrgID != "", nil
}
