package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/opencrs/crs"
)

// OrganisationService keeps trusts and their locations.
type OrganisationService struct{ db *DB }

// NewOrganisationService returns the organisation service over db.
func NewOrganisationService(db *DB) *OrganisationService { return &OrganisationService{db: db} }

var _ crs.OrganisationService = (*OrganisationService)(nil)

// CreateOrganisation adds a trust. The actor must be a system actor; its
// OrgID is ignored and the new organisation's ID is used for the event.
func (s *OrganisationService) CreateOrganisation(ctx context.Context, a crs.Actor, o *crs.Organisation) error {
	if a.Role != crs.RoleSystem {
		return crs.Errorf(crs.EFORBIDDEN, "only OpenCRS itself can add an organisation")
	}
	if err := o.Validate(); err != nil {
		return err
	}
	if o.ID == "" {
		o.ID = crs.NewID()
	}
	a.OrgID = o.ID
	return s.db.writeTx(ctx, a, crs.ActAdministerSettings, func(tx *Tx) error {
		// n numbers the trust in the resource store's search index
		// (migration 0140). On PostgreSQL trusts created at once are
		// numbered one after the other.
		if tx.db.pooled() {
			if _, err := tx.Exec(`SELECT pg_advisory_xact_lock(hashtext('organisations.n'))`); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(`INSERT INTO organisations (id, ods_code, name, mrn_prefix, created_at, n)
			VALUES ($1, $2, $3, $4, $5, (SELECT COALESCE(MAX(n), 0) + 1 FROM organisations))`,
			o.ID, o.ODSCode, o.Name, o.MRNPrefix, formatTime(tx.now)); err != nil {
			if isUniqueViolation(err) {
				return crs.FieldErrorf("ods_code", "an organisation with ODS code %s already exists", o.ODSCode)
			}
			return err
		}
		if _, err := tx.Exec(`INSERT INTO counters (org_id, name, value) VALUES ($1, 'mrn', 0)`, o.ID); err != nil {
			return err
		}
		return tx.EmitData(&crs.Event{Type: crs.EventOrganisationAdded, SubjectID: o.ID, Summary: "Organisation " + o.ODSCode + " added"}, "organisation", o)
	})
}

// FindOrganisation returns the actor's own organisation.
func (s *OrganisationService) FindOrganisation(ctx context.Context, a crs.Actor) (*crs.Organisation, error) {
	if a.OrgID == "" {
		return nil, crs.Errorf(crs.EUNAUTHORIZED, "you must log in")
	}
	return scanOrganisation(s.db.read.QueryRowContext(ctx, `SELECT id, ods_code, name, mrn_prefix FROM organisations WHERE id = $1`, a.OrgID))
}

// FindOrganisationByODS returns an organisation by its ODS code. A
// non-system actor may only find its own.
func (s *OrganisationService) FindOrganisationByODS(ctx context.Context, a crs.Actor, ods string) (*crs.Organisation, error) {
	o, err := scanOrganisation(s.db.read.QueryRowContext(ctx, `SELECT id, ods_code, name, mrn_prefix FROM organisations WHERE ods_code = $1`, ods))
	if err != nil {
		return nil, err
	}
	if a.Role != crs.RoleSystem && o.ID != a.OrgID {
		return nil, crs.Errorf(crs.ENOTFOUND, "no organisation with ODS code %s", ods)
	}
	return o, nil
}

// FindOrganisations lists every organisation in the deployment, for the
// system actor that wires interfaces and seeds demo data.
func (s *OrganisationService) FindOrganisations(ctx context.Context) ([]*crs.Organisation, error) {
	return queryRows(ctx, s.db.read, scanOrganisation, `SELECT id, ods_code, name, mrn_prefix FROM organisations ORDER BY ods_code`)
}

func scanOrganisation(r scanner) (*crs.Organisation, error) {
	var o crs.Organisation
	if err := r.Scan(&o.ID, &o.ODSCode, &o.Name, &o.MRNPrefix); err != nil {
		return nil, notFound(err, "no such organisation")
	}
	return &o, nil
}

// CreateLocation adds a location to the actor's trust. The parent must be
// a location of the trust of a kind the new one may be within; a ward's
// code is unique in the trust (HL7 PV1-3 names a ward by it alone), any
// other's among its parent's; a bay of a single-sex ward takes the ward's
// sex. A bed with no status is available.
func (s *OrganisationService) CreateLocation(ctx context.Context, a crs.Actor, l *crs.Location) error {
	l.OrgID = a.OrgID
	l.Active = true
	if l.Kind == crs.LocationBed && l.Status == "" {
		l.Status = crs.BedAvailable
	}
	if err := l.Validate(); err != nil {
		return err
	}
	if l.ID == "" {
		l.ID = crs.NewID()
	}
	return s.db.writeTx(ctx, a, crs.ActAdministerSettings, func(tx *Tx) error {
		if err := checkParent(tx, l); err != nil {
			return err
		}
		if l.Kind == crs.LocationWard {
			var n int
			if err := tx.QueryRow(`SELECT COUNT(*) FROM locations WHERE org_id = $1 AND kind = 'ward' AND code = $2`, a.OrgID, l.Code).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return crs.FieldErrorf("code", "the trust already has a ward with code %s", l.Code)
			}
		}
		if _, err := tx.Exec(`INSERT INTO locations (id, org_id, parent_id, kind, code, name, specialty, sex, status, ed_type, active)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1)`,
			l.ID, l.OrgID, l.ParentID, string(l.Kind), l.Code, l.Name, l.Specialty, string(l.Sex), string(l.Status), l.EDType); err != nil {
			if isUniqueViolation(err) {
				return crs.FieldErrorf("code", "a location with code %s already exists there", l.Code)
			}
			return err
		}
		settingsChanged(tx) // the estate the bed board and pickers keep
		return tx.EmitData(&crs.Event{Type: crs.EventLocationAdded, SubjectID: l.ID, Summary: l.Kind.Name() + " " + l.Code + " added"}, "location", l)
	})
}

// checkParent checks, within a command, that a location's parent is a
// location of the trust it may be within, and that a bay's sex fits its
// ward's.
func checkParent(tx *Tx, l *crs.Location) error {
	if l.ParentID == "" {
		return nil
	}
	var kind, sex string
	if err := tx.QueryRow(`SELECT kind, sex FROM locations WHERE id = $1 AND org_id = $2`, l.ParentID, tx.actor.OrgID).Scan(&kind, &sex); err != nil {
		return crs.FieldErrorf("parent", "no such parent location in this trust")
	}
	pk := crs.LocationKind(kind)
	if !slices.Contains(crs.ParentKinds(l.Kind), pk) {
		return crs.FieldErrorf("parent", "a %s cannot be within a %s", l.Kind.Name(), pk.Name())
	}
	if l.Kind == crs.LocationED && pk == crs.LocationED && l.EDType != "" {
		return crs.FieldErrorf("ed_type", "an area within an emergency department has the department's type")
	}
	if l.Kind == crs.LocationBay && l.Sex != "" && sex != "" && sex != string(crs.SexMixed) && string(l.Sex) != sex {
		return crs.FieldErrorf("sex", "a bay of a %s ward must be %s too", sex, sex)
	}
	return nil
}

// UpdateLocation changes a location's name, sex, specialty, bed status or
// department type. Its kind, code and parent are kept as they are. A
// location given as it already is changes nothing and appends no event.
func (s *OrganisationService) UpdateLocation(ctx context.Context, a crs.Actor, l *crs.Location) error {
	if err := a.Authorize(crs.ActAdministerSettings); err != nil {
		return err
	}
	find := func(q Querier) (*crs.Location, error) {
		old, err := scanLocation(q.QueryRowContext(ctx, `SELECT `+locationColumns+` FROM locations WHERE id = $1 AND org_id = $2`, l.ID, a.OrgID))
		if err == nil {
			l.OrgID, l.ParentID, l.Kind, l.Code, l.Active = old.OrgID, old.ParentID, old.Kind, old.Code, old.Active
		}
		return old, err
	}
	if old, err := find(s.db.read); err != nil {
		return err
	} else if *l == *old {
		return nil
	}
	return s.db.writeTx(ctx, a, crs.ActAdministerSettings, func(tx *Tx) error {
		old, err := find(tx)
		if err != nil {
			return err
		}
		if err := l.Validate(); err != nil {
			return err
		}
		if err := checkParent(tx, l); err != nil {
			return err
		}
		if l.Kind == crs.LocationBed && l.Status != crs.BedAvailable {
			var n int
			if err := tx.QueryRow(`SELECT COUNT(*) FROM bed_stays WHERE bed_id = $1 AND is_current = 1`, l.ID).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return &crs.Error{Code: crs.ECONFLICT, Field: "status", Message: fmt.Sprintf("bed %s has a patient in it: move them before the bed is closed", l.Code)}
			}
		}
		if l.Kind == crs.LocationWard && l.Sex != old.Sex && l.Sex != crs.SexMixed {
			var n int
			if err := tx.QueryRow(`SELECT COUNT(*) FROM locations WHERE parent_id = $1 AND org_id = $2 AND kind = 'bay' AND sex <> '' AND sex <> $3`,
				l.ID, a.OrgID, string(l.Sex)).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return crs.FieldErrorf("sex", "the ward has bays of another sex: change them first")
			}
		}
		if _, err := tx.Exec(`UPDATE locations SET name = $1, specialty = $2, sex = $3, status = $4, ed_type = $5 WHERE id = $6 AND org_id = $7`,
			l.Name, l.Specialty, string(l.Sex), string(l.Status), l.EDType, l.ID, a.OrgID); err != nil {
			return err
		}
		settingsChanged(tx) // the estate the bed board and pickers keep
		summary := l.Kind.Name() + " " + l.Code + " changed"
		if l.Status != old.Status {
			summary = "bed " + l.Code + " " + strings.ReplaceAll(string(l.Status), "_", " ")
		}
		return tx.EmitData(&crs.Event{Type: crs.EventLocationChanged, SubjectID: l.ID, Summary: summary}, "location", l)
	})
}

const locationColumns = `id, org_id, parent_id, kind, code, name, specialty, sex, status, ed_type, active`

func scanLocation(r scanner) (*crs.Location, error) {
	var l crs.Location
	var kind, sex, status string
	var active int
	if err := r.Scan(&l.ID, &l.OrgID, &l.ParentID, &kind, &l.Code, &l.Name, &l.Specialty, &sex, &status, &l.EDType, &active); err != nil {
		return nil, notFound(err, "no such location in this trust")
	}
	l.Kind, l.Sex, l.Status, l.Active = crs.LocationKind(kind), crs.LocationSex(sex), crs.BedStatus(status), active == 1
	return &l, nil
}

// FindLocations lists the trust's locations of one kind ("" for all).
func (s *OrganisationService) FindLocations(ctx context.Context, a crs.Actor, kind crs.LocationKind) ([]*crs.Location, error) {
	if a.OrgID == "" {
		return nil, crs.Errorf(crs.EUNAUTHORIZED, "you must log in")
	}
	if kind == "" {
		return queryRows(ctx, s.db.read, scanLocation, `SELECT `+locationColumns+` FROM locations WHERE org_id = $1 ORDER BY kind, code`, a.OrgID)
	}
	return queryRows(ctx, s.db.read, scanLocation, `SELECT `+locationColumns+` FROM locations WHERE org_id = $1 AND kind = $2 ORDER BY code`, a.OrgID, string(kind))
}

// FindLocationsByID returns the trust's locations with the ids given, by
// id, looked up by their primary key.
func (s *OrganisationService) FindLocationsByID(ctx context.Context, a crs.Actor, ids []string) (map[string]*crs.Location, error) {
	if a.OrgID == "" {
		return nil, crs.Errorf(crs.EUNAUTHORIZED, "you must log in")
	}
	out := map[string]*crs.Location{}
	ids = slices.DeleteFunc(slices.Compact(slices.Sorted(slices.Values(ids))), func(id string) bool { return id == "" })
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, 0, len(ids)+1)
	args = append(args, a.OrgID)
	for _, id := range ids {
		args = append(args, id)
	}
	locs, err := queryRows(ctx, s.db.read, scanLocation, `SELECT `+locationColumns+` FROM locations WHERE org_id = $1 AND id IN `+inList(2, len(ids)), args...)
	for _, l := range locs {
		out[l.ID] = l
	}
	return out, err
}

// orgFixed is what the database remembers of a trust: set when the
// trust is created and never changed.
type orgFixed struct {
	prefix string // the prefix of the hospital numbers it allocates
	n      int64  // its number in the resource store's search index
}

// mrnPrefix returns, within a command, the prefix of the hospital numbers
// the trust allocates.
func mrnPrefix(tx *Tx, orgID string) (string, error) {
	o, err := tx.db.orgFixed(tx.ctx, tx, orgID)
	return o.prefix, err
}

// orgNumber returns the trust's number in the resource store's index.
func (db *DB) orgNumber(ctx context.Context, q Querier, orgID string) (int64, error) {
	o, err := db.orgFixed(ctx, q, orgID)
	return o.n, err
}

// orgFixed reads what never changes of a trust once, and remembers it.
func (db *DB) orgFixed(ctx context.Context, q Querier, orgID string) (orgFixed, error) {
	db.orgsMu.Lock()
	o, ok := db.orgs[orgID]
	db.orgsMu.Unlock()
	if ok {
		return o, nil
	}
	var n sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT mrn_prefix, n FROM organisations WHERE id = $1`, orgID).Scan(&o.prefix, &n); err != nil {
		return o, notFound(err, "no such organisation")
	}
	if !n.Valid {
		return o, crs.Errorf(crs.EINTERNAL, "organisation %s has no number", orgID)
	}
	o.n = n.Int64
	db.orgsMu.Lock()
	db.orgs[orgID] = o
	db.orgsMu.Unlock()
	return o, nil
}

// ListGPPractices lists the GP practices the trust knows in code order:
// the page of those it keeps, and the distinct practices of its
// patients read one code at a time from patients_gp_practice (migration
// 0117), each an index seek past the last, so that a practice of
// thousands of patients costs one read, not thousands.
func (s *OrganisationService) ListGPPractices(ctx context.Context, a crs.Actor, after string, limit int) ([]crs.GPPractice, bool, error) {
	if a.OrgID == "" {
		return nil, false, crs.Errorf(crs.EUNAUTHORIZED, "you must log in")
	}
	limit = min(max(limit, 1), 1000)
	kept, err := queryRows(ctx, s.db.read, scanGPPractice, `SELECT code, name, postcode FROM gp_practices
		WHERE org_id = $1 AND code > $2 ORDER BY code LIMIT $3`, a.OrgID, after, limit+1)
	if err != nil {
		return nil, false, err
	}
	var named []crs.GPPractice
	for at := after; len(named) <= limit; {
		var p crs.GPPractice
		err := s.db.read.QueryRowContext(ctx, nextGPPracticeSQL, a.OrgID, at).Scan(&p.Code, &p.Name)
		if errors.Is(err, sql.ErrNoRows) {
			break
		}
		if err != nil {
			return nil, false, err
		}
		named = append(named, p)
		at = p.Code
	}
	// The two lists merged in code order, a practice kept taking the
	// place of the same code on patients' records.
	var out []crs.GPPractice
	for len(kept) > 0 || len(named) > 0 {
		switch {
		case len(named) == 0 || len(kept) > 0 && kept[0].Code <= named[0].Code:
			if len(named) > 0 && named[0].Code == kept[0].Code {
				named = named[1:]
			}
			out, kept = append(out, *kept[0]), kept[1:]
		default:
			out, named = append(out, named[0]), named[1:]
		}
	}
	if len(out) > limit {
		return out[:limit], true, nil
	}
	return out, false, nil
}

// nextGPPracticeSQL reads the first practice of the trust's ($1)
// patients after the code $2, with a name its patients' records give
// it, from patients_gp_practice.
const nextGPPracticeSQL = `SELECT gp_practice_code, gp_practice_name FROM patients
	WHERE org_id = $1 AND gp_practice_code <> '' AND gp_practice_code > $2
	ORDER BY gp_practice_code, gp_practice_name LIMIT 1`

func scanGPPractice(r scanner) (*crs.GPPractice, error) {
	var p crs.GPPractice
	err := r.Scan(&p.Code, &p.Name, &p.Postcode)
	return &p, err
}
