package crs

import (
	"context"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Event types of user management.
const (
	EventUserDisabled    = "user.disabled"     // a user may no longer log in; their sessions ended
	EventUserEnabled     = "user.enabled"      // a disabled user may log in again
	EventUserPasswordSet = "user.password_set" // a user's password was reset; their sessions ended
)

// Activity is one thing a user may do, after the activities of the NHS
// national role-based access control (RBAC) baseline. Every command and
// every read checks one.
type Activity string

// Activities.
const (
	ActSearchPatients     Activity = "search_patients"     // find patients and see their banner
	ActViewDemographics   Activity = "view_demographics"   // open a patient's administrative record
	ActRegisterPatient    Activity = "register_patient"    // create a patient record
	ActAmendDemographics  Activity = "amend_demographics"  // change names, addresses, GP, NHS number; record death
	ActMergePatients      Activity = "merge_patients"      // merge and unmerge duplicate records, delete a registration made in error
	ActViewClinical       Activity = "view_clinical"       // view the clinical record
	ActRecordClinical     Activity = "record_clinical"     // write to the clinical record
	ActManagePathways     Activity = "manage_pathways"     // referrals, bookings, waiting lists, admissions
	ActViewReports        Activity = "view_reports"        // statutory and management reports (aggregate)
	ActViewAudit          Activity = "view_audit"          // who accessed a patient's record
	ActManageInterfaces   Activity = "manage_interfaces"   // HL7 message log, resend, feeds
	ActReceiveMessages    Activity = "receive_messages"    // an interface sending messages in
	ActAdministerUsers    Activity = "administer_users"    // create users and assign roles
	ActAdministerSettings Activity = "administer_settings" // organisations, locations, clinics
)

var activityNames = map[Activity]string{
	ActSearchPatients: "finding patients", ActViewDemographics: "viewing patient records",
	ActRegisterPatient: "registering patients", ActAmendDemographics: "amending demographics",
	ActMergePatients: "merging patient records", ActViewClinical: "viewing the clinical record",
	ActRecordClinical: "recording in the clinical record", ActManagePathways: "managing referrals, bookings and admissions",
	ActViewReports: "viewing reports", ActViewAudit: "viewing the access audit",
	ActManageInterfaces: "managing interfaces", ActReceiveMessages: "sending messages in",
	ActAdministerUsers: "administering users", ActAdministerSettings: "administering settings",
}

// Name says what the activity allows, as a person would put it.
func (a Activity) Name() string {
	if n, ok := activityNames[a]; ok {
		return n
	}
	return strings.ReplaceAll(string(a), "_", " ")
}

// Role is a role profile: a named set of activities given to a user.
type Role string

// Role profiles. The demo gives a user of each.
const (
	RoleClerk            Role = "clerk"             // receptionist / ward clerk
	RoleNurse            Role = "nurse"             // registered nurse
	RoleDoctor           Role = "doctor"            // doctor / consultant
	RoleAnalyst          Role = "analyst"           // information analyst
	RoleInterfaceAnalyst Role = "interface_analyst" // integration team
	RoleInterface        Role = "interface"         // a system sending messages (HL7, FHIR client)
	RolePrivacyOfficer   Role = "privacy_officer"   // information governance / Caldicott
	RoleAdmin            Role = "admin"             // system administrator
	RoleSystem           Role = "system"            // OpenCRS itself: seeding, migration
)

var roleActivities = map[Role][]Activity{
	RoleClerk:            {ActSearchPatients, ActViewDemographics, ActRegisterPatient, ActAmendDemographics, ActManagePathways},
	RoleNurse:            {ActSearchPatients, ActViewDemographics, ActViewClinical, ActRecordClinical, ActManagePathways},
	RoleDoctor:           {ActSearchPatients, ActViewDemographics, ActViewClinical, ActRecordClinical, ActManagePathways},
	RoleAnalyst:          {ActSearchPatients, ActViewDemographics, ActViewReports, ActMergePatients},
	RoleInterfaceAnalyst: {ActSearchPatients, ActViewDemographics, ActManageInterfaces},
	RoleInterface:        {ActSearchPatients, ActViewDemographics, ActRegisterPatient, ActAmendDemographics, ActMergePatients, ActManagePathways, ActRecordClinical, ActViewClinical, ActReceiveMessages},
	RolePrivacyOfficer:   {ActSearchPatients, ActViewDemographics, ActViewAudit},
	RoleAdmin:            {ActAdministerUsers, ActAdministerSettings, ActSearchPatients},
}

var roleNames = map[Role]string{
	RoleClerk: "Receptionist / clerk", RoleNurse: "Nurse", RoleDoctor: "Doctor",
	RoleAnalyst: "Information analyst", RoleInterfaceAnalyst: "Interface analyst",
	RoleInterface: "Interface (system)", RolePrivacyOfficer: "Privacy officer",
	RoleAdmin: "System administrator", RoleSystem: "OpenCRS system",
}

// Roles lists the role profiles a user can be given.
func Roles() []Role {
	return []Role{RoleClerk, RoleNurse, RoleDoctor, RoleAnalyst, RoleCoder, RoleInterfaceAnalyst, RoleInterface, RolePrivacyOfficer, RoleAdmin}
}

// Valid reports whether r is a known role a user can hold.
func (r Role) Valid() bool { _, ok := roleActivities[r]; return ok }

// Name is the role's name as shown to people.
func (r Role) Name() string {
	if n, ok := roleNames[r]; ok {
		return n
	}
	return string(r)
}

// Activities lists what the role may do.
func (r Role) Activities() []Activity { return roleActivities[r] }

// Can reports whether the role includes the activity. The system role
// can do everything.
func (r Role) Can(act Activity) bool {
	if r == RoleSystem {
		return true
	}
	for _, a := range roleActivities[r] {
		if a == act {
			return true
		}
	}
	return false
}

// User is a member of staff, or a system, who logs in to OpenCRS.
type User struct {
	ID        string
	OrgID     string
	Username  string
	Name      string
	Role      Role
	Roles     []Role // every role profile the user holds; Role is the one they act in
	Disabled  bool
	CreatedAt time.Time
	// Locked says the account was locked after too many failed logins
	// in a row; an administrator unlocks it.
	Locked bool
	// FailedLogins counts the failed logins since the last one that
	// succeeded.
	FailedLogins int
}

var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,62}$`)

// Validate checks the user's fields.
func (u *User) Validate() error {
	var es Errors
	if !usernamePattern.MatchString(u.Username) {
		es = append(es, FieldErrorf("username", "username %q must be 2 to 63 lower-case letters, digits, dots, hyphens or underscores", u.Username))
	}
	if strings.TrimSpace(u.Name) == "" {
		es = append(es, FieldErrorf("name", "a user needs a name"))
	}
	if !u.Role.Valid() {
		es = append(es, FieldErrorf("role", "role %q is not a known role profile", u.Role))
	}
	es.addText("name", "the name", u.Name, MaxNameLength)
	return es.Err()
}

// The password policy: long enough to resist guessing (after the NCSC's
// advice, length rather than composition rules), not the username, and
// not on the list of common passwords (password_policy.go).
const (
	MinPasswordLength = 10  // characters
	MaxPasswordLength = 256 // characters; longer is a mistake, not a password
)

// PasswordPolicy says the password policy as it is shown beside a
// password field.
const PasswordPolicy = "At least 10 characters, not the username, and not a common or easily guessed password (such as Password123! or qwertyuiop). A few unrelated words make a good password."

// CheckPassword applies the password policy to a password chosen for the
// user with the username. Its error is an EINVALID field error on
// "password".
func CheckPassword(username, password string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinPasswordLength:
		return FieldErrorf("password", "a password needs at least %d characters (this one has %d)", MinPasswordLength, n)
	case n > MaxPasswordLength:
		return FieldErrorf("password", "a password can have at most %d characters", MaxPasswordLength)
	case username != "" && strings.Contains(strings.ToLower(password), strings.ToLower(username)):
		return FieldErrorf("password", "a password must not contain the username")
	case guessablePassword(password) != "":
		return FieldErrorf("password", "choose another password: %s. A few unrelated words make a good password", guessablePassword(password))
	}
	return nil
}

// Actor is who is acting in a request: a logged-in user in the role they
// hold, working for one organisation, for a stated purpose. Every command
// and every read of a patient's record is checked against the actor and
// audited with it.
type Actor struct {
	UserID   string
	Username string
	OrgID    string
	Role     Role
	Purpose  string // why the record is being accessed, e.g. "direct care"
}

// SystemActor is OpenCRS itself acting in an organisation: seeding demo
// data or migrating a legacy PAS. It may do everything and is audited as
// "system".
func SystemActor(orgID string) Actor {
	return Actor{UserID: "system", Username: "system", OrgID: orgID, Role: RoleSystem, Purpose: "system"}
}

// ActorFor returns the actor for a user acting for purpose.
func ActorFor(u *User, purpose string) Actor {
	return Actor{UserID: u.ID, Username: u.Username, OrgID: u.OrgID, Role: u.Role, Purpose: purpose}
}

// Authorize returns nil if the actor may carry out act, EUNAUTHORIZED if
// no one is logged in and EFORBIDDEN if the role does not allow it.
func (a Actor) Authorize(act Activity) error {
	if a.UserID == "" || a.OrgID == "" {
		return Errorf(EUNAUTHORIZED, "you must log in")
	}
	if !a.Role.Can(act) {
		return Errorf(EFORBIDDEN, "your role (%s) does not allow %s", a.Role.Name(), act.Name())
	}
	return nil
}

// Can reports whether the actor may carry out act.
func (a Actor) Can(act Activity) bool { return a.Authorize(act) == nil }

// Session is a logged-in user's session in the web UI.
type Session struct {
	ID        string // an opaque random token; stored only as a hash
	UserID    string
	CSRFToken string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// UserService manages staff users, their passwords and sessions.
type UserService interface {
	// CreateUser adds a user to the actor's organisation with a password.
	CreateUser(ctx context.Context, a Actor, u *User, password string) error
	// FindUsers lists the users of the actor's organisation.
	FindUsers(ctx context.Context, a Actor) ([]*User, error)
	// FindUser returns a user of the actor's organisation by id, or
	// ENOTFOUND (also for another trust's user).
	FindUser(ctx context.Context, a Actor, id string) (*User, error)
	// FindUserByUsername returns a user of the actor's organisation by
	// username, or ENOTFOUND.
	FindUserByUsername(ctx context.Context, a Actor, username string) (*User, error)
	// SetUserDisabled disables a user, who can then no longer log in and
	// whose sessions end, or enables them again. No one can disable
	// themselves.
	SetUserDisabled(ctx context.Context, a Actor, id string, disabled bool) error
	// SetPassword gives a user a new password (under the policy of
	// CheckPassword) and ends their sessions.
	SetPassword(ctx context.Context, a Actor, id, password string) error
	// UnlockUser unlocks an account locked after too many failed logins
	// and starts its count of failures again.
	UnlockUser(ctx context.Context, a Actor, id string) error
	// Authenticate checks a username and password and returns the user.
	// Every attempt, good or bad, is audited.
	Authenticate(ctx context.Context, username, password string) (*User, error)
	// CreateSession starts a session for the user and returns it with its
	// token in ID.
	CreateSession(ctx context.Context, u *User) (*Session, error)
	// FindSession returns a live session and its user by token, and
	// keeps a session in use alive: it ends after a time without
	// activity, and after a longest time from login however busy. A
	// session that has ended is EUNAUTHORIZED with the reason, for the
	// user; an unknown one ENOTFOUND.
	FindSession(ctx context.Context, token string) (*Session, *User, error)
	// DeleteSession ends a session (log out).
	DeleteSession(ctx context.Context, token string) error
}
