package store

import (
	"context"
	"database/sql"

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
	return s.db.Write(ctx, a, crs.ActAdministerSettings, func(tx *Tx) error {
		if _, err := tx.Exec(`INSERT INTO organisations (id, ods_code, name, mrn_prefix, created_at) VALUES ($1, $2, $3, $4, $5)`,
			o.ID, o.ODSCode, o.Name, o.MRNPrefix, formatTime(tx.Now)); err != nil {
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
	rows, err := s.db.read.QueryContext(ctx, `SELECT id, ods_code, name, mrn_prefix FROM organisations ORDER BY ods_code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*crs.Organisation
	for rows.Next() {
		o, err := scanOrganisation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

type scanner interface{ Scan(dest ...any) error }

// queryRows runs a query and reads each row of its answer with scan.
func queryRows[T any](ctx context.Context, q Querier, query string, args []any, scan func(scanner) (T, error)) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func scanOrganisation(r scanner) (*crs.Organisation, error) {
	var o crs.Organisation
	if err := r.Scan(&o.ID, &o.ODSCode, &o.Name, &o.MRNPrefix); err != nil {
		return nil, notFound(err, "no such organisation")
	}
	return &o, nil
}

// CreateLocation adds a location to the actor's trust.
func (s *OrganisationService) CreateLocation(ctx context.Context, a crs.Actor, l *crs.Location) error {
	l.OrgID = a.OrgID
	l.Active = true
	if err := l.Validate(); err != nil {
		return err
	}
	if l.ID == "" {
		l.ID = crs.NewID()
	}
	return s.db.Write(ctx, a, crs.ActAdministerSettings, func(tx *Tx) error {
		if l.ParentID != "" {
			var n int
			if err := tx.QueryRow(`SELECT COUNT(*) FROM locations WHERE id = $1 AND org_id = $2`, l.ParentID, a.OrgID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return crs.FieldErrorf("parent", "no such parent location in this trust")
			}
		}
		if _, err := tx.Exec(`INSERT INTO locations (id, org_id, parent_id, kind, code, name, specialty, active) VALUES ($1, $2, $3, $4, $5, $6, $7, 1)`,
			l.ID, l.OrgID, l.ParentID, string(l.Kind), l.Code, l.Name, l.Specialty); err != nil {
			if isUniqueViolation(err) {
				return crs.FieldErrorf("code", "a location with code %s already exists there", l.Code)
			}
			return err
		}
		return tx.EmitData(&crs.Event{Type: crs.EventLocationAdded, SubjectID: l.ID, Summary: string(l.Kind) + " " + l.Code + " added"}, "location", l)
	})
}

// FindLocations lists the trust's locations of one kind ("" for all).
func (s *OrganisationService) FindLocations(ctx context.Context, a crs.Actor, kind crs.LocationKind) ([]*crs.Location, error) {
	if a.OrgID == "" {
		return nil, crs.Errorf(crs.EUNAUTHORIZED, "you must log in")
	}
	var rows *sql.Rows
	var err error
	const cols = `SELECT id, org_id, parent_id, kind, code, name, specialty, active FROM locations`
	if kind == "" {
		rows, err = s.db.read.QueryContext(ctx, cols+` WHERE org_id = $1 ORDER BY kind, code`, a.OrgID)
	} else {
		rows, err = s.db.read.QueryContext(ctx, cols+` WHERE org_id = $1 AND kind = $2 ORDER BY code`, a.OrgID, string(kind))
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*crs.Location
	for rows.Next() {
		var l crs.Location
		var k string
		var active int
		if err := rows.Scan(&l.ID, &l.OrgID, &l.ParentID, &k, &l.Code, &l.Name, &l.Specialty, &active); err != nil {
			return nil, err
		}
		l.Kind, l.Active = crs.LocationKind(k), active == 1
		out = append(out, &l)
	}
	return out, rows.Err()
}

// mrnPrefix returns, within a command, the prefix of the hospital numbers
// the trust allocates. It is set when the trust is created and never
// changes, so the database remembers it.
func mrnPrefix(tx *Tx, orgID string) (string, error) {
	tx.db.prefixMu.Lock()
	p, ok := tx.db.prefixes[orgID]
	tx.db.prefixMu.Unlock()
	if ok {
		return p, nil
	}
	if err := tx.QueryRow(`SELECT mrn_prefix FROM organisations WHERE id = $1`, orgID).Scan(&p); err != nil {
		return "", notFound(err, "no such organisation")
	}
	tx.db.prefixMu.Lock()
	tx.db.prefixes[orgID] = p
	tx.db.prefixMu.Unlock()
	return p, nil
}
