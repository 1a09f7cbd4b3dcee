package crs

import (
	"context"
	"strings"
	"time"

	"github.com/opencrs/crs/nhs"
)

// Error codes of the clinical access check. Each is a refusal (the web
// answers 403) that the user can act on: a clinician without a
// legitimate relationship may self-claim one or break the glass; a
// sealed record opens only with the override activity and a reason.
const (
	ENORELATIONSHIP = "no_relationship" // no legitimate relationship with the patient
	ESEALED         = "sealed"          // the record is sealed; opening it needs a justification
)

// Activities of record access governance.
const (
	ActOpenSealed  Activity = "open_sealed"  // open a sealed record, giving a justification
	ActSealRecords Activity = "seal_records" // seal a record at the patient's request or for its category
)

func init() {
	activityNames[ActOpenSealed] = "opening sealed records"
	activityNames[ActSealRecords] = "sealing records"
	roleActivities[RoleDoctor] = append(roleActivities[RoleDoctor], ActOpenSealed)
	roleActivities[RolePrivacyOfficer] = append(roleActivities[RolePrivacyOfficer], ActSealRecords)
}

// NeedsRelationship reports whether the role sees a patient's clinical
// record only with a legitimate relationship: every person who may view
// it. Systems (an interface, OpenCRS itself) are exempt but audited.
func (r Role) NeedsRelationship() bool {
	return r != RoleInterface && r != RoleSystem && r.Can(ActViewClinical)
}

// PersonRole reports whether the role can be given to a person who logs
// in to the web: every role but the interface (a system) and OpenCRS
// itself.
func (r Role) PersonRole() bool { return r.Valid() && r != RoleInterface && r != RoleSystem }

// AssignmentKind is what a member of staff is assigned to. Each gives
// them a legitimate relationship with some patients.
type AssignmentKind string

// Assignment kinds and the patients they relate the member of staff to.
const (
	AssignWard       AssignmentKind = "ward"       // value a ward code: the patients in a bed on it (admission to discharge)
	AssignClinic     AssignmentKind = "clinic"     // value a clinic code: the patients booked into it today
	AssignTeam       AssignmentKind = "team"       // value a consultant code: their waiting list and inpatients
	AssignSpecialty  AssignmentKind = "specialty"  // value a treatment function code: open referrals to it
	AssignDepartment AssignmentKind = "department" // value an A&E department code: the patients in it now
)

// AssignmentKinds lists the kinds, in the order staff pages show them.
func AssignmentKinds() []AssignmentKind {
	return []AssignmentKind{AssignWard, AssignClinic, AssignTeam, AssignSpecialty, AssignDepartment}
}

// Assignment records that a member of staff works on a ward, in a clinic,
// in a consultant's team, in a specialty or in a department, from a day
// to an optional last day.
type Assignment struct {
	ID       string
	UserID   string
	Kind     AssignmentKind
	Value    string // the ward, clinic, consultant, treatment function or department code
	StartsOn Date
	EndsOn   Date // zero while open-ended
}

// ActiveOn reports whether the assignment runs on day d.
func (as *Assignment) ActiveOn(d Date) bool {
	return !d.Before(as.StartsOn.Time) && (as.EndsOn.IsZero() || !d.After(as.EndsOn.Time))
}

// Validate checks the assignment.
func (as *Assignment) Validate() error {
	var es Errors
	ok := false
	for _, k := range AssignmentKinds() {
		ok = ok || k == as.Kind
	}
	if !ok {
		es = append(es, FieldErrorf("kind", "assignment kind %q is not one of ward, clinic, team, specialty, department", as.Kind))
	}
	if strings.TrimSpace(as.Value) == "" {
		es = append(es, FieldErrorf("value", "say which %s", as.Kind))
	}
	if as.StartsOn.IsZero() {
		es = append(es, FieldErrorf("starts_on", "say from when the assignment runs"))
	}
	if !as.EndsOn.IsZero() && as.EndsOn.Before(as.StartsOn.Time) {
		es = append(es, FieldErrorf("ends_on", "the assignment cannot end before it starts"))
	}
	return es.Err()
}

// StaffIdentity is what the privacy officer's checks compare with the
// records a member of staff opens: their own NHS number, and their
// surname and postcode (a relative's or neighbour's record).
type StaffIdentity struct {
	FamilyName string
	Postcode   string
	NHSNumber  string
}

// Validate checks the identity: an NHS number, when given, must pass
// the Modulus 11 check.
func (id *StaffIdentity) Validate() error {
	id.NHSNumber = strings.ReplaceAll(strings.TrimSpace(id.NHSNumber), " ", "")
	if id.NHSNumber != "" && !nhs.ValidNumber(id.NHSNumber) {
		return FieldErrorf("nhs_number", "NHS number %s is not valid (10 digits with a Modulus 11 check digit)", id.NHSNumber)
	}
	return nil
}

// GrantKind is access a clinician gives themselves with a reason.
type GrantKind string

// Grant kinds, each lasting its GrantDuration and raising an alert.
const (
	GrantClaim      GrantKind = "claim"       // a self-claimed legitimate relationship
	GrantBreakGlass GrantKind = "break_glass" // emergency access
	GrantSealed     GrantKind = "sealed"      // a sealed record opened with a justification
)

// GrantDuration is how long access given with a reason lasts: a
// self-claimed relationship a day, break-glass a shift (8 hours), a
// sealed record an hour.
func GrantDuration(k GrantKind) time.Duration {
	switch k {
	case GrantClaim:
		return 24 * time.Hour
	case GrantBreakGlass:
		return 8 * time.Hour
	}
	return time.Hour
}

// Grant is access given with a reason, from a time to a time.
type Grant struct {
	ID        string
	UserID    string
	PatientID string
	Kind      GrantKind
	Reason    string
	StartedAt time.Time
	EndsAt    time.Time
}

// Seal categories: a patient's request, and the sensitive categories
// whose content is kept from everyone without the override activity.
const (
	SealPatientRequest = "patient_request"
	SealSexualHealth   = "sexual_health"
	SealGenderIdentity = "gender_identity"
	SealAdoption       = "adoption"
	SealIVF            = "ivf"
)

// SealCategories names the seal categories as shown to people.
var SealCategories = map[string]string{
	SealPatientRequest: "Restricted at the patient's request", SealSexualHealth: "Sexual health",
	SealGenderIdentity: "Gender identity history", SealAdoption: "Adoption", SealIVF: "Fertility treatment (IVF)",
}

// Seal is a restriction on a patient's clinical record.
type Seal struct {
	ID        string
	PatientID string
	Category  string
	Reason    string
	SealedBy  string
	SealedAt  time.Time
}

// Alert kinds of the privacy officer's inbox.
const (
	AlertClaim       = "claim"        // a self-claimed relationship
	AlertBreakGlass  = "break_glass"  // emergency access
	AlertSealed      = "sealed"       // a sealed record opened
	AlertOwnRecord   = "own_record"   // a user opened their own record
	AlertSameAddress = "same_address" // a user opened a record with their surname and postcode
	AlertHighVolume  = "high_volume"  // a user opened far more records than their peers
)

// AlertNames says what each kind of alert means.
var AlertNames = map[string]string{
	AlertClaim: "Self-claimed relationship", AlertBreakGlass: "Break-glass access", AlertSealed: "Sealed record opened",
	AlertOwnRecord: "Opened their own record", AlertSameAddress: "Opened a record with their surname and postcode",
	AlertHighVolume: "Opened far more records than their peers",
}

// PrivacyAlert is an access the privacy officer should look at.
type PrivacyAlert struct {
	ID        string
	At        time.Time
	Kind      string
	UserID    string
	Username  string
	PatientID string // "" for an alert about a user's volume of access
	Detail    string
	ClosedAt  time.Time
	ClosedBy  string
	Note      string
}

// AccessVisit is one visit of a user to a patient's record: the accesses
// of one user, each within VisitGap of the one before, in one role.
type AccessVisit struct {
	UserID   string
	Username string
	Name     string
	Role     Role
	Purpose  string
	From, To time.Time
	Records  []*AuditRecord // oldest first
}

// VisitGap is the longest pause within one visit: the time a web session
// lasts without activity.
const VisitGap = 30 * time.Minute

// AccessService governs who may see which patient's clinical record, and
// lets the privacy officer see who did.
type AccessService interface {
	// CheckClinical returns nil when the actor may see the patient's
	// clinical record now: a system, or a person whose role allows it and
	// who has a legitimate relationship (an assignment, or a claim or
	// break-glass still running) and, for a sealed record, has opened it
	// with a justification. Otherwise EFORBIDDEN (the role), ESEALED or
	// ENORELATIONSHIP. Every clinical read runs it.
	CheckClinical(ctx context.Context, a Actor, patientID string) error
	// Relationship says why the actor may see the patient's record ("on
	// your ward W1"), or ENORELATIONSHIP.
	Relationship(ctx context.Context, a Actor, patientID string) (string, error)
	// GrantAccess records access the actor gives themselves with a
	// reason (a claim, break-glass, a sealed record opened) and raises
	// the privacy officer's alert.
	GrantAccess(ctx context.Context, a Actor, patientID string, kind GrantKind, reason string) (*Grant, error)
	// SealRecord seals a patient's record in a category; Seals lists the
	// seals in force; UnsealRecord lifts one.
	SealRecord(ctx context.Context, a Actor, patientID, category, reason string) error
	Seals(ctx context.Context, a Actor, patientID string) ([]*Seal, error)
	UnsealRecord(ctx context.Context, a Actor, sealID string) error

	// Assign records a staff assignment; EndAssignment ends one on a day;
	// Assignments lists a user's.
	Assign(ctx context.Context, a Actor, as *Assignment) error
	EndAssignment(ctx context.Context, a Actor, id string, on Date) error
	Assignments(ctx context.Context, a Actor, userID string) ([]*Assignment, error)
	// SetStaffIdentity and StaffIdentity keep a user's identity for the
	// privacy checks.
	SetStaffIdentity(ctx context.Context, a Actor, userID string, id StaffIdentity) error
	StaffIdentity(ctx context.Context, a Actor, userID string) (StaffIdentity, error)
	// SetUserRoles gives a user the role profiles they hold (at least
	// one, each a person's role); UserRoles lists them.
	SetUserRoles(ctx context.Context, a Actor, userID string, roles []Role) error
	UserRoles(ctx context.Context, a Actor, userID string) ([]Role, error)
	// ChooseSessionRole binds the session to one of its user's roles, as
	// a smartcard's role selection does.
	ChooseSessionRole(ctx context.Context, token string, role Role) error

	// RecordListed audits each patient who appeared to the actor in a
	// list (search results, a board, the PTL, an export) as what.
	RecordListed(ctx context.Context, a Actor, patientIDs []string, what string)
	// Alerts lists the privacy officer's alerts, open ones first, with
	// the users whose volume of access stands out (see AccessService
	// implementations for how it is computed); CloseAlert closes one with
	// a note.
	Alerts(ctx context.Context, a Actor) ([]*PrivacyAlert, error)
	CloseAlert(ctx context.Context, a Actor, id, note string) error
	// AccessReport tells who accessed the patient's record, visit by
	// visit, oldest first: what a patient asking is given.
	AccessReport(ctx context.Context, a Actor, patientID string) ([]*AccessVisit, error)
}

// GroupVisits groups audit records of one patient (any order) into
// visits: by user and role, a new visit after a pause longer than
// VisitGap. Names maps user ids to names.
func GroupVisits(recs []*AuditRecord, names map[string]string) []*AccessVisit {
	sorted := append([]*AuditRecord(nil), recs...)
	for i := 1; i < len(sorted); i++ { // insertion sort: oldest first, stable
		for j := i; j > 0 && sorted[j].At.Before(sorted[j-1].At); j-- {
			sorted[j], sorted[j-1] = sorted[j-1], sorted[j]
		}
	}
	open := map[string]*AccessVisit{}
	var out []*AccessVisit
	for _, r := range sorted {
		key := r.UserID + "|" + string(r.Role)
		v := open[key]
		if v == nil || r.At.Sub(v.To) > VisitGap {
			v = &AccessVisit{UserID: r.UserID, Username: r.Username, Name: names[r.UserID], Role: r.Role, Purpose: r.Purpose, From: r.At}
			open[key] = v
			out = append(out, v)
		}
		v.To = r.At
		v.Records = append(v.Records, r)
	}
	return out
}
