package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// Events of record access governance.
const (
	EventAccessGranted   = "access.granted"   // a claim, break-glass or sealed open
	EventRecordSealed    = "record.sealed"    // a seal put on a record
	EventRecordUnsealed  = "record.unsealed"  // a seal lifted
	EventStaffAssigned   = "staff.assigned"   // a staff assignment recorded
	EventStaffUnassigned = "staff.unassigned" // a staff assignment ended
	EventStaffChanged    = "staff.changed"    // a user's roles or identity changed
	EventAlertClosed     = "privacy.alert_closed"
)

// AccessService keeps legitimate relationships, grants, seals, staff
// assignments and the privacy officer's alerts.
type AccessService struct{ db *DB }

// NewAccessService returns the access service over db.
func NewAccessService(db *DB) *AccessService { return &AccessService{db: db} }

var _ crs.AccessService = (*AccessService)(nil)

// CheckClinical is the one clinical access check; see crs.AccessService.
func (s *AccessService) CheckClinical(ctx context.Context, a crs.Actor, patientID string) error {
	return s.db.checkClinical(ctx, a, patientID)
}

// checkClinical refuses a person without a legitimate relationship with
// the patient, or without a sealed record opened; a refusal is audited.
// It also raises the identity alerts (own record, own surname and
// postcode) on an access let through.
func (db *DB) checkClinical(ctx context.Context, a crs.Actor, patientID string) error {
	if err := a.Authorize(crs.ActViewClinical); err != nil {
		db.refused(a, crs.ActViewClinical)
		return err
	}
	if !a.Role.NeedsRelationship() || patientID == "" {
		return nil
	}
	refusal, err := clinicalAccess(ctx, db.read, a, patientID, db.Clock.Now().UTC())
	if refusal != "" {
		db.Audit(a, patientID, crs.AuditRefused, refusal)
	}
	if err != nil {
		return err
	}
	db.watchIdentity(ctx, a, patientID)
	return nil
}

// clinicalAccess is the rule of the clinical access check for a person
// whose role needs a legitimate relationship, read through q (the read
// pool, or the transaction of a write): nil when the record is open to
// them now; otherwise the error (ESEALED, EFORBIDDEN for a sealed record
// their role cannot open, ENORELATIONSHIP, ENOTFOUND for no patient of
// the trust) and what the audit record of the refusal says ("" when
// there is nothing to audit).
func clinicalAccess(ctx context.Context, q Querier, a crs.Actor, patientID string, now time.Time) (refusal string, err error) {
	grants, err := activeGrants(ctx, q, a, patientID, now)
	if err != nil {
		return "", err
	}
	var seals []string
	if err := eachRow(ctx, q, func(r scanner) error {
		var c string
		err := r.Scan(&c)
		seals = append(seals, crs.SealCategories[c])
		return err
	}, `SELECT category FROM patient_seals WHERE org_id = $1 AND patient_id = $2 AND lifted_at = ''`, a.OrgID, patientID); err != nil {
		return "", err
	}
	if len(seals) > 0 && !grants[crs.GrantSealed] {
		if !a.Can(crs.ActOpenSealed) {
			return "sealed record", crs.Errorf(crs.EFORBIDDEN, "this record is sealed (%s) and your role (%s) cannot open sealed records", strings.Join(seals, ", "), a.Role.Name())
		}
		return "sealed record", crs.Errorf(crs.ESEALED, "this record is sealed (%s): give your reason to open it", strings.Join(seals, ", "))
	}
	related, err := legitimate(ctx, q, a, patientID, now, grants)
	if err != nil || related {
		return "", err
	}
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM patients WHERE `+patientByID, patientID, a.OrgID).Scan(&n); err != nil {
		return "", err
	}
	if n == 0 { // another trust's patient, or none: nothing to claim
		return "", crs.Errorf(crs.ENOTFOUND, "no such patient")
	}
	return "no legitimate relationship", crs.Errorf(crs.ENORELATIONSHIP, "you have no legitimate relationship with this patient: they are not on your ward, in your clinic today, on your team's list, referred to your specialty or in your department")
}

// legitimate is the rule of a legitimate relationship: the actor holds a
// current claim or break glass on the patient (grants, as activeGrants
// reads them), or is related to them through a current assignment. A
// role that needs no relationship always has one. Seals are not its
// concern.
func legitimate(ctx context.Context, q Querier, a crs.Actor, patientID string, now time.Time, grants map[crs.GrantKind]bool) (bool, error) {
	if !a.Role.NeedsRelationship() || grants[crs.GrantClaim] || grants[crs.GrantBreakGlass] {
		return true, nil
	}
	why, err := relationship(ctx, q, a, patientID, now)
	return why != "", err
}

// activeGrants returns the kinds of grant the actor holds on the patient
// now.
func activeGrants(ctx context.Context, q Querier, a crs.Actor, patientID string, now time.Time) (map[crs.GrantKind]bool, error) {
	out := map[crs.GrantKind]bool{}
	err := eachRow(ctx, q, func(r scanner) error {
		var k string
		err := r.Scan(&k)
		out[crs.GrantKind(k)] = true
		return err
	}, `SELECT kind FROM access_grants WHERE org_id = $1 AND user_id = $2 AND patient_id = $3 AND ends_at > $4`,
		a.OrgID, a.UserID, patientID, formatTime(now))
	return out, err
}

// recentDischarge is how long a ward's staff keep their relationship with
// a patient discharged from the ward: long enough to write, sign and send
// the discharge summary and act on results that come back after.
const recentDischarge = 7 * 24 * time.Hour

// relationshipQueries says, for each kind of assignment, whether the
// patient ($2) is related to an assignment of value $3 of the trust ($1);
// $4 and $5 bound today, or $4 alone the start of the recent-discharge
// window.
var relationshipQueries = map[crs.AssignmentKind]struct {
	sql, why string
	today    bool // the query bounds today with $4 and $5
	recent   bool // the query takes the start of the recent-discharge window as $4
}{
	crs.AssignWard: {sql: `SELECT COUNT(*) FROM spells s JOIN locations l ON l.id = s.ward_id
		WHERE s.org_id = $1 AND s.patient_id = $2 AND l.code = $3
		AND (s.status IN ('admitted', 'on_leave') OR (s.status = 'discharged' AND s.discharged_at >= $4))`,
		why: "in a bed on your ward %s, or discharged from it in the last 7 days", recent: true},
	crs.AssignClinic: {`SELECT COUNT(*) FROM appointments ap JOIN clinics c ON c.id = ap.clinic_id
		WHERE ap.org_id = $1 AND ap.patient_id = $2 AND ap.live = 1 AND c.code = $3 AND ap.start_at >= $4 AND ap.start_at < $5`, "booked into your clinic %s today", true, false},
	crs.AssignTeam: {`SELECT (SELECT COUNT(*) FROM waiting_list_entries WHERE org_id = $1 AND patient_id = $2 AND consultant_code = $3 AND status IN ('waiting', 'suspended'))
		+ (SELECT COUNT(*) FROM spells WHERE org_id = $1 AND patient_id = $2 AND consultant_code = $3 AND status IN ('admitted', 'on_leave'))`, "on the list or ward of your team (%s)", false, false},
	crs.AssignSpecialty:  {`SELECT COUNT(*) FROM referrals WHERE org_id = $1 AND patient_id = $2 AND treatment_function = $3 AND status = 'open'`, "referred to your specialty %s", false, false},
	crs.AssignDepartment: {`SELECT COUNT(*) FROM ed_attendances WHERE org_id = $1 AND patient_id = $2 AND status = 'in_department' AND $3 <> ''`, "in your department %s now", false, false},
}

// relationship says why the actor is related to the patient through a
// current assignment, or "" when they are not.
func relationship(ctx context.Context, q Querier, a crs.Actor, patientID string, now time.Time) (string, error) {
	today := crs.DateOf(now).String()
	dayStart := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	asg, err := queryRows(ctx, q, func(r scanner) ([2]string, error) {
		var k [2]string
		err := r.Scan(&k[0], &k[1])
		return k, err
	}, `SELECT kind, value FROM staff_assignments WHERE org_id = $1 AND user_id = $2 AND starts_on <= $3 AND (ends_on = '' OR ends_on >= $3)
		ORDER BY kind, value`, a.OrgID, a.UserID, today)
	if err != nil {
		return "", err
	}
	for _, as := range asg {
		rq, ok := relationshipQueries[crs.AssignmentKind(as[0])]
		if !ok {
			continue
		}
		var n int
		args := []any{a.OrgID, patientID, as[1]}
		if rq.today {
			args = append(args, formatTime(dayStart), formatTime(dayStart.Add(24*time.Hour)))
		}
		if rq.recent {
			args = append(args, formatTime(now.Add(-recentDischarge)))
		}
		if err := q.QueryRowContext(ctx, rq.sql, args...).Scan(&n); err != nil {
			return "", crs.Errorf(crs.EINTERNAL, "check relationship: %w", err)
		}
		if n > 0 {
			return fmt.Sprintf(rq.why, as[1]), nil
		}
	}
	return "", nil
}

// Relationship says why the actor may see the patient's record.
func (s *AccessService) Relationship(ctx context.Context, a crs.Actor, patientID string) (string, error) {
	if !a.Role.NeedsRelationship() {
		return "system access", nil
	}
	now := s.db.Clock.Now().UTC()
	why, err := relationship(ctx, s.db.read, a, patientID, now)
	if err != nil || why != "" {
		return why, err
	}
	grants, err := activeGrants(ctx, s.db.read, a, patientID, now)
	if err != nil {
		return "", err
	}
	switch {
	case grants[crs.GrantBreakGlass]:
		return "break-glass emergency access", nil
	case grants[crs.GrantClaim]:
		return "a relationship you claimed", nil
	}
	return "", crs.Errorf(crs.ENORELATIONSHIP, "you have no legitimate relationship with this patient")
}

// watchIdentity raises an alert when a member of staff opens their own
// record (same NHS number) or one with their surname and postcode.
func (db *DB) watchIdentity(ctx context.Context, a crs.Actor, patientID string) {
	var fam, pc, nhs, pfam, ppc, pnhs string
	err := db.read.QueryRowContext(ctx, `SELECT u.family_name, u.postcode, u.nhs_number, p.family_name, p.postcode, p.nhs_number
		FROM users u, patients p WHERE u.id = $1 AND u.org_id = $2 AND p.id = $3 AND p.org_id = $2`, a.UserID, a.OrgID, patientID).Scan(&fam, &pc, &nhs, &pfam, &ppc, &pnhs)
	if err != nil {
		return // not a user (a system) or no such patient: nothing to compare
	}
	switch {
	case nhs != "" && nhs == pnhs:
		db.raiseAlert(ctx, a, crs.AlertOwnRecord, patientID, "the patient's NHS number is the user's own")
	case fam != "" && pc != "" && strings.EqualFold(fam, pfam) && normalPostcode(pc) == normalPostcode(ppc):
		db.raiseAlert(ctx, a, crs.AlertSameAddress, patientID, "the patient shares the user's surname and postcode")
	}
}

func normalPostcode(s string) string { return strings.ToUpper(strings.ReplaceAll(s, " ", "")) }

// raiseAlert adds an alert to the privacy officer's inbox unless the same
// one (kind, user, patient) is open already. Alerts are governance data
// kept beside the audit trail, written as it is.
func (db *DB) raiseAlert(ctx context.Context, a crs.Actor, kind, patientID, detail string) {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM privacy_alerts WHERE org_id = $1 AND kind = $2 AND user_id = $3 AND patient_id = $4 AND closed_at = ''`,
		a.OrgID, kind, a.UserID, patientID).Scan(&n); err != nil || n > 0 {
		return
	}
	if _, err := db.execDurable(ctx, `INSERT INTO privacy_alerts (id, org_id, at, kind, user_id, username, patient_id, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		crs.NewID(), a.OrgID, formatTime(db.Clock.Now()), kind, a.UserID, a.Username, patientID, detail); err != nil {
		db.Logger.Error("raise privacy alert", "kind", kind, "user", a.UserID, "patient", patientID, "err", err)
	}
}

// GrantAccess records a claim, a break-glass or a sealed record opened,
// with its reason, and raises the alert.
func (s *AccessService) GrantAccess(ctx context.Context, a crs.Actor, patientID string, kind crs.GrantKind, reason string) (*crs.Grant, error) {
	reason = strings.TrimSpace(reason)
	act := crs.ActViewClinical
	alert := map[crs.GrantKind]string{crs.GrantClaim: crs.AlertClaim, crs.GrantBreakGlass: crs.AlertBreakGlass, crs.GrantSealed: crs.AlertSealed}[kind]
	switch {
	case alert == "":
		return nil, crs.FieldErrorf("kind", "access kind %q is not a claim, break-glass or sealed open", kind)
	case kind == crs.GrantSealed:
		act = crs.ActOpenSealed
	}
	if len(reason) < 10 {
		return nil, crs.FieldErrorf("reason", "give your reason in a sentence (at least 10 characters)")
	}
	g := &crs.Grant{ID: crs.NewID(), UserID: a.UserID, PatientID: patientID, Kind: kind, Reason: reason}
	err := s.db.writeTx(ctx, a, act, func(tx *Tx) error {
		if err := livePatient(tx, patientID); err != nil {
			return err
		}
		g.StartedAt, g.EndsAt = tx.now, tx.now.Add(crs.GrantDuration(kind))
		if _, err := tx.Exec(`INSERT INTO access_grants (id, org_id, user_id, patient_id, kind, reason, started_at, ends_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			g.ID, a.OrgID, a.UserID, patientID, string(kind), reason, formatTime(g.StartedAt), formatTime(g.EndsAt)); err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO privacy_alerts (id, org_id, at, kind, user_id, username, patient_id, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			crs.NewID(), a.OrgID, formatTime(tx.now), alert, a.UserID, a.Username, patientID, reason); err != nil {
			return err
		}
		return tx.EmitData(&crs.Event{Type: EventAccessGranted, PatientID: patientID, SubjectID: g.ID, Summary: crs.AlertNames[alert] + " by " + a.Username},
			"access "+string(kind), map[string]any{"kind": kind, "reason": reason, "ends_at": g.EndsAt})
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// SealRecord seals the patient's record in a category.
func (s *AccessService) SealRecord(ctx context.Context, a crs.Actor, patientID, category, reason string) error {
	if _, ok := crs.SealCategories[category]; !ok {
		return crs.FieldErrorf("category", "choose what the seal is for")
	}
	if strings.TrimSpace(reason) == "" {
		return crs.FieldErrorf("reason", "say why the record is sealed")
	}
	return s.db.writeTx(ctx, a, crs.ActSealRecords, func(tx *Tx) error {
		if err := livePatient(tx, patientID); err != nil {
			return err
		}
		id := crs.NewID()
		if _, err := tx.Exec(`INSERT INTO patient_seals (id, org_id, patient_id, category, reason, sealed_by, sealed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			id, a.OrgID, patientID, category, strings.TrimSpace(reason), a.Username, formatTime(tx.now)); err != nil {
			return err
		}
		return tx.EmitData(&crs.Event{Type: EventRecordSealed, PatientID: patientID, SubjectID: id, Summary: "Record sealed: " + crs.SealCategories[category]},
			"seal", map[string]string{"category": category})
	})
}

// Seals lists the seals in force on the patient's record.
func (s *AccessService) Seals(ctx context.Context, a crs.Actor, patientID string) ([]*crs.Seal, error) {
	var out []*crs.Seal
	err := s.db.View(ctx, a, crs.ActViewDemographics, patientID, "seals", func(q Querier) error {
		var err error
		out, err = queryRows(ctx, q, func(r scanner) (*crs.Seal, error) {
			var sl crs.Seal
			var at string
			err := r.Scan(&sl.ID, &sl.PatientID, &sl.Category, &sl.Reason, &sl.SealedBy, &at)
			sl.SealedAt = parseTime(at)
			return &sl, err
		}, `SELECT id, patient_id, category, reason, sealed_by, sealed_at FROM patient_seals WHERE org_id = $1 AND patient_id = $2 AND lifted_at = '' ORDER BY sealed_at`, a.OrgID, patientID)
		return err
	})
	return out, err
}

// UnsealRecord lifts a seal.
func (s *AccessService) UnsealRecord(ctx context.Context, a crs.Actor, sealID string) error {
	return s.db.writeTx(ctx, a, crs.ActSealRecords, func(tx *Tx) error {
		var pid string
		if err := tx.QueryRow(`SELECT patient_id FROM patient_seals WHERE id = $1 AND org_id = $2 AND lifted_at = ''`, sealID, a.OrgID).Scan(&pid); err != nil {
			return notFound(err, "no such seal in force")
		}
		if _, err := tx.Exec(`UPDATE patient_seals SET lifted_at = $1 WHERE id = $2`, formatTime(tx.now), sealID); err != nil {
			return err
		}
		return tx.Emit(&crs.Event{Type: EventRecordUnsealed, PatientID: pid, SubjectID: sealID, Summary: "Seal lifted"}, "seal")
	})
}

// Assign records a staff assignment.
func (s *AccessService) Assign(ctx context.Context, a crs.Actor, as *crs.Assignment) error {
	as.Value = strings.ToUpper(strings.TrimSpace(as.Value))
	if err := as.Validate(); err != nil {
		return err
	}
	return s.db.writeTx(ctx, a, crs.ActAdministerUsers, func(tx *Tx) error {
		if _, err := findUserTx(tx, a.OrgID, as.UserID); err != nil {
			return err
		}
		if as.ID == "" {
			as.ID = crs.NewID()
		}
		ends := ""
		if !as.EndsOn.IsZero() {
			ends = formatDate(as.EndsOn)
		}
		if _, err := tx.Exec(`INSERT INTO staff_assignments (id, org_id, user_id, kind, value, starts_on, ends_on, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			as.ID, a.OrgID, as.UserID, string(as.Kind), as.Value, formatDate(as.StartsOn), ends, formatTime(tx.now)); err != nil {
			return err
		}
		return tx.EmitData(&crs.Event{Type: EventStaffAssigned, SubjectID: as.UserID, Summary: fmt.Sprintf("Assigned to %s %s", as.Kind, as.Value)},
			"staff assignment", map[string]string{"kind": string(as.Kind), "value": as.Value})
	})
}

// EndAssignment ends an assignment on a day (the last day it counts).
func (s *AccessService) EndAssignment(ctx context.Context, a crs.Actor, id string, on crs.Date) error {
	return s.db.writeTx(ctx, a, crs.ActAdministerUsers, func(tx *Tx) error {
		var uid, starts string
		if err := tx.QueryRow(`SELECT user_id, starts_on FROM staff_assignments WHERE id = $1 AND org_id = $2`, id, a.OrgID).Scan(&uid, &starts); err != nil {
			return notFound(err, "no such assignment")
		}
		if on.IsZero() {
			on = crs.DateOf(tx.now)
		}
		if formatDate(on) < starts { // it ends before it began: it never counts
			on = crs.DateOf(parseDate(starts).AddDate(0, 0, -1))
		}
		if _, err := tx.Exec(`UPDATE staff_assignments SET ends_on = $1 WHERE id = $2`, formatDate(on), id); err != nil {
			return err
		}
		return tx.Emit(&crs.Event{Type: EventStaffUnassigned, SubjectID: uid, Summary: "Assignment ended " + on.Display()}, "staff assignment")
	})
}

// Assignments lists a user's assignments, newest first.
func (s *AccessService) Assignments(ctx context.Context, a crs.Actor, userID string) ([]*crs.Assignment, error) {
	if userID != a.UserID {
		if err := a.Authorize(crs.ActAdministerUsers); err != nil {
			return nil, err
		}
	}
	return queryRows(ctx, s.db.read, func(r scanner) (*crs.Assignment, error) {
		var as crs.Assignment
		var kind, starts, ends string
		err := r.Scan(&as.ID, &as.UserID, &kind, &as.Value, &starts, &ends)
		as.Kind, as.StartsOn, as.EndsOn = crs.AssignmentKind(kind), parseDate(starts), parseDate(ends)
		return &as, err
	}, `SELECT id, user_id, kind, value, starts_on, ends_on FROM staff_assignments WHERE org_id = $1 AND user_id = $2 ORDER BY starts_on DESC, id`, a.OrgID, userID)
}

// SetStaffIdentity keeps a user's identity for the privacy checks.
func (s *AccessService) SetStaffIdentity(ctx context.Context, a crs.Actor, userID string, id crs.StaffIdentity) error {
	if err := id.Validate(); err != nil {
		return err
	}
	return s.db.writeTx(ctx, a, crs.ActAdministerUsers, func(tx *Tx) error {
		res, err := tx.Exec(`UPDATE users SET family_name = $1, postcode = $2, nhs_number = $3 WHERE id = $4 AND org_id = $5`,
			strings.TrimSpace(id.FamilyName), strings.ToUpper(strings.TrimSpace(id.Postcode)), id.NHSNumber, userID, a.OrgID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return crs.Errorf(crs.ENOTFOUND, "no such user")
		}
		return tx.Emit(&crs.Event{Type: EventStaffChanged, SubjectID: userID, Summary: "Identity for privacy checks recorded"}, "user identity")
	})
}

// StaffIdentity returns a user's identity for the privacy checks.
func (s *AccessService) StaffIdentity(ctx context.Context, a crs.Actor, userID string) (crs.StaffIdentity, error) {
	var id crs.StaffIdentity
	if err := a.Authorize(crs.ActAdministerUsers); err != nil {
		return id, err
	}
	err := s.db.read.QueryRowContext(ctx, `SELECT family_name, postcode, nhs_number FROM users WHERE id = $1 AND org_id = $2`, userID, a.OrgID).
		Scan(&id.FamilyName, &id.Postcode, &id.NHSNumber)
	return id, notFound(err, "no such user")
}

// SetUserRoles gives a user their role profiles. The interface role is a
// system's and is never given to a person.
func (s *AccessService) SetUserRoles(ctx context.Context, a crs.Actor, userID string, roles []crs.Role) error {
	if len(roles) == 0 {
		return crs.FieldErrorf("roles", "choose at least one role")
	}
	for _, r := range roles {
		if !r.PersonRole() {
			return crs.FieldErrorf("roles", "the role %q cannot be given to a person", r.Name())
		}
	}
	return s.db.writeTx(ctx, a, crs.ActAdministerUsers, func(tx *Tx) error {
		u, err := findUserTx(tx, a.OrgID, userID)
		if err != nil {
			return err
		}
		if !u.Role.PersonRole() {
			return crs.Errorf(crs.ECONFLICT, "user %s is a system and holds the interface role only", u.Username)
		}
		if err := setRoles(tx, userID, roles); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE users SET role = $1 WHERE id = $2`, string(roles[0]), userID); err != nil {
			return err
		}
		names := make([]string, len(roles))
		for i, r := range roles {
			names[i] = string(r)
		}
		if err := endSessions(tx, userID); err != nil { // a role taken away ends the sessions acting in it
			return err
		}
		return tx.EmitData(&crs.Event{Type: EventStaffChanged, SubjectID: userID, Summary: "Roles of " + u.Username + ": " + strings.Join(names, ", ")},
			"user roles", map[string]any{"roles": names})
	})
}

// setRoles replaces the user_roles rows of a user.
func setRoles(tx *Tx, userID string, roles []crs.Role) error {
	if _, err := tx.Exec(`DELETE FROM user_roles WHERE user_id = $1`, userID); err != nil {
		return err
	}
	seen := map[crs.Role]bool{}
	for _, r := range roles {
		if seen[r] {
			continue
		}
		seen[r] = true
		if _, err := tx.Exec(`INSERT INTO user_roles (user_id, role) VALUES ($1, $2)`, userID, string(r)); err != nil {
			return err
		}
	}
	return nil
}

// UserRoles lists a user's role profiles.
func (s *AccessService) UserRoles(ctx context.Context, a crs.Actor, userID string) ([]crs.Role, error) {
	if userID != a.UserID {
		if err := a.Authorize(crs.ActAdministerUsers); err != nil {
			return nil, err
		}
	}
	return userRoles(ctx, s.db.read, userID)
}

func userRoles(ctx context.Context, q Querier, userID string) ([]crs.Role, error) {
	roles, err := queryRows(ctx, q, func(r scanner) (crs.Role, error) {
		var s string
		err := r.Scan(&s)
		return crs.Role(s), err
	}, `SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role`, userID)
	return roles, err
}

// ChooseSessionRole binds the session to one of its user's roles.
func (s *AccessService) ChooseSessionRole(ctx context.Context, token string, role crs.Role) error {
	var uid string
	if err := s.db.read.QueryRowContext(ctx, `SELECT user_id FROM sessions WHERE token_hash = $1`, tokenHash(token)).Scan(&uid); err != nil {
		return notFound(err, "no session")
	}
	roles, err := userRoles(ctx, s.db.read, uid)
	if err != nil {
		return err
	}
	for _, r := range roles {
		if r == role && r.PersonRole() {
			_, err := s.db.execDurable(ctx, `UPDATE sessions SET role = $1 WHERE token_hash = $2`, string(role), tokenHash(token))
			return err
		}
	}
	return crs.FieldErrorf("role", "you do not hold the role %q", role.Name())
}

// RecordListed audits a list of patients shown to the actor: one record
// for the list, naming each patient it listed.
func (s *AccessService) RecordListed(ctx context.Context, a crs.Actor, patientIDs []string, what string) {
	s.db.recordListed(a, patientIDs, what)
}

// AuditListed is the audit action of a list of patients shown or
// exported.
const AuditListed = "listed"

// recordListed audits a list shown or exported as one record whose what
// says which list, how many patients and the hash of their ids (see
// listedWhat); the patients are rows of audit_listed beside it.
func (db *DB) recordListed(a crs.Actor, patientIDs []string, what string) {
	if a.OrgID == "" {
		return
	}
	ids := listedIDs(patientIDs)
	if len(ids) == 0 {
		return
	}
	db.queueAudit(&crs.AuditRecord{
		ID: crs.NewID(), OrgID: a.OrgID, At: db.Clock.Now().UTC(), UserID: a.UserID, Username: a.Username,
		Role: a.Role, Action: AuditListed, What: listedWhat(what, ids), Purpose: a.Purpose, Listed: ids,
	})
}

// Alerts lists the privacy officer's alerts, open first then newest,
// followed by the users whose volume stands out. Volume is computed, not
// stored: over the 7 days to now, the number of distinct patients each
// user viewed (audit action view); a user is flagged who viewed at least
// 20 and more than three times the median of the users of their role
// (at least 3 of them) who viewed any.
func (s *AccessService) Alerts(ctx context.Context, a crs.Actor) ([]*crs.PrivacyAlert, error) {
	if err := a.Authorize(crs.ActViewAudit); err != nil {
		s.db.refused(a, crs.ActViewAudit)
		return nil, err
	}
	out, err := queryRows(ctx, s.db.read, func(r scanner) (*crs.PrivacyAlert, error) {
		var al crs.PrivacyAlert
		var at, closed string
		err := r.Scan(&al.ID, &at, &al.Kind, &al.UserID, &al.Username, &al.PatientID, &al.Detail, &closed, &al.ClosedBy, &al.Note)
		al.At, al.ClosedAt = parseTime(at), parseTime(closed)
		return &al, err
	}, `SELECT id, at, kind, user_id, username, patient_id, detail, closed_at, closed_by, note FROM privacy_alerts WHERE org_id = $1
		ORDER BY CASE WHEN closed_at = '' THEN 0 ELSE 1 END, at DESC LIMIT 500`, a.OrgID)
	if err != nil {
		return nil, err
	}
	vol, err := s.highVolume(ctx, a)
	if err != nil {
		return nil, err
	}
	return append(vol, out...), nil
}

// highVolume computes the volume alerts (see Alerts).
func (s *AccessService) highVolume(ctx context.Context, a crs.Actor) ([]*crs.PrivacyAlert, error) {
	now := s.db.Clock.Now().UTC()
	type count struct {
		user, name string
		role       crs.Role
		n          int
	}
	counts, err := queryRows(ctx, s.db.read, func(r scanner) (count, error) {
		var c count
		var role string
		err := r.Scan(&c.user, &c.name, &role, &c.n)
		c.role = crs.Role(role)
		return c, err
	}, `SELECT user_id, username, role, COUNT(DISTINCT patient_id) FROM `+s.db.auditSince()+`
		WHERE org_id = $1 AND at >= $2 AND action = 'view' AND patient_id <> '' AND role NOT IN ('system', 'interface')
		GROUP BY user_id, username, role`, a.OrgID, formatTime(now.Add(-7*24*time.Hour)))
	if err != nil {
		return nil, err
	}
	byRole := map[crs.Role][]int{}
	for _, c := range counts {
		byRole[c.role] = append(byRole[c.role], c.n)
	}
	var out []*crs.PrivacyAlert
	for _, c := range counts {
		peers := byRole[c.role]
		if len(peers) < 3 || c.n < 20 {
			continue
		}
		sort.Ints(peers)
		median := peers[len(peers)/2]
		if c.n > 3*median {
			out = append(out, &crs.PrivacyAlert{ID: "volume-" + c.user, At: now, Kind: crs.AlertHighVolume, UserID: c.user, Username: c.name,
				Detail: fmt.Sprintf("%d patients viewed in 7 days as %s; the median of %d %s users is %d", c.n, c.role.Name(), len(peers), c.role.Name(), median)})
		}
	}
	return out, nil
}

// CloseAlert closes an alert with the privacy officer's note.
func (s *AccessService) CloseAlert(ctx context.Context, a crs.Actor, id, note string) error {
	if strings.TrimSpace(note) == "" {
		return crs.FieldErrorf("note", "say what you found")
	}
	return s.db.writeTx(ctx, a, crs.ActViewAudit, func(tx *Tx) error {
		res, err := tx.Exec(`UPDATE privacy_alerts SET closed_at = $1, closed_by = $2, note = $3 WHERE id = $4 AND org_id = $5 AND closed_at = ''`,
			formatTime(tx.now), a.Username, strings.TrimSpace(note), id, a.OrgID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return crs.Errorf(crs.ENOTFOUND, "no such open alert")
		}
		return tx.Emit(&crs.Event{Type: EventAlertClosed, SubjectID: id, Summary: "Privacy alert closed"}, "privacy alert")
	})
}

// AccessReport groups every access to the patient's record into visits
// (crs.GroupVisits), oldest first, with the names of the staff.
func (s *AccessService) AccessReport(ctx context.Context, a crs.Actor, patientID string) ([]*crs.AccessVisit, error) {
	if err := s.db.Flush(ctx); err != nil { // the whole truth: audit records still queued are written first
		return nil, err
	}
	recs, err := NewAuditService(s.db).PatientAccess(ctx, a, patientID)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	err = eachRow(ctx, s.db.read, func(r scanner) error {
		var id, name string
		err := r.Scan(&id, &name)
		names[id] = name
		return err
	}, `SELECT id, name FROM users WHERE org_id = $1`, a.OrgID)
	if err != nil {
		return nil, err
	}
	return crs.GroupVisits(recs, names), nil
}
