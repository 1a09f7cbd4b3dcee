package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/opencrs/crs"
)

// UserService keeps staff users, their password hashes and sessions.
type UserService struct {
	db *DB
	// unknown counts the failed logins of usernames that are no one's.
	unknown *crs.LoginFailures
	// SessionIdle is how long a session lasts without a request: a
	// terminal left logged in on a ward is not left open for long.
	SessionIdle time.Duration
	// SessionMax is the longest a session lasts from login, however busy:
	// at least once a shift everyone logs in again.
	SessionMax time.Duration
}

// NewUserService returns the user service over db with sessions that end
// after 30 minutes without activity or 12 hours (a shift) after login,
// whichever comes first.
func NewUserService(db *DB) *UserService {
	return &UserService{db: db, SessionIdle: 30 * time.Minute, SessionMax: 12 * time.Hour,
		unknown: &crs.LoginFailures{Free: crs.LoginFailuresFree, Lockout: crs.LoginFailuresLockout}}
}

// sessionSlide is how often a session in use has its expiry pushed on:
// at most one write per session a minute, however many requests it makes,
// so a session may end up to a minute before SessionIdle has passed.
const sessionSlide = time.Minute

var _ crs.UserService = (*UserService)(nil)

// argon2id parameters: OWASP's minimum for interactive logins.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// deriveKey is argon2id's key derivation, the slow part of a login; a
// test counts its calls.
var deriveKey = argon2.IDKey

// hashPassword returns an argon2id hash of the password in the PHC string
// form, with a random salt.
func hashPassword(password string) string {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	key := deriveKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// checkPassword reports whether password matches the PHC-form hash.
func checkPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return false
	}
	got := deriveKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// CreateUser adds a user to the actor's organisation.
func (s *UserService) CreateUser(ctx context.Context, a crs.Actor, u *crs.User, password string) error {
	u.OrgID = a.OrgID
	if err := u.Validate(); err != nil {
		return err
	}
	if !u.Role.PersonRole() && a.Role != crs.RoleSystem {
		return crs.FieldErrorf("role", "the %s role is a system's and cannot be given to a person", u.Role.Name())
	}
	if err := crs.CheckPassword(u.Username, password); err != nil {
		return err
	}
	hash := hashPassword(password)
	if u.ID == "" {
		u.ID = crs.NewID()
	}
	return s.db.writeTx(ctx, a, crs.ActAdministerUsers, func(tx *Tx) error {
		u.CreatedAt = tx.now
		if _, err := tx.Exec(`INSERT INTO users (id, org_id, username, name, role, password_hash, disabled, created_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $7)`,
			u.ID, u.OrgID, u.Username, u.Name, string(u.Role), hash, formatTime(tx.now)); err != nil {
			if isUniqueViolation(err) {
				return crs.FieldErrorf("username", "username %s is taken", u.Username)
			}
			return err
		}
		if err := setRoles(tx, u.ID, append([]crs.Role{u.Role}, u.Roles...)); err != nil {
			return err
		}
		return tx.EmitData(&crs.Event{Type: crs.EventUserAdded, SubjectID: u.ID, Summary: "User " + u.Username + " added as " + u.Role.Name()},
			"user", map[string]string{"username": u.Username, "name": u.Name, "role": string(u.Role)})
	})
}

// FindUsers lists the users of the actor's organisation.
func (s *UserService) FindUsers(ctx context.Context, a crs.Actor) ([]*crs.User, error) {
	if err := a.Authorize(crs.ActAdministerUsers); err != nil {
		return nil, err
	}
	return queryRows(ctx, s.db.read, func(r scanner) (*crs.User, error) {
		u, _, err := scanUser(r, false)
		return u, err
	}, `SELECT `+userColumns+` FROM users WHERE org_id = $1 ORDER BY username`, a.OrgID)
}

// userColumns are the columns scanUser reads, in its order.
const userColumns = `id, org_id, username, name, role, disabled, created_at, failed_logins, locked`

// FindUser returns a user of the actor's organisation by id. Another
// trust's user is not found, as if there were none.
func (s *UserService) FindUser(ctx context.Context, a crs.Actor, id string) (*crs.User, error) {
	if err := a.Authorize(crs.ActAdministerUsers); err != nil {
		return nil, err
	}
	u, _, err := scanUser(s.db.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1 AND org_id = $2`, id, a.OrgID), false)
	return u, err
}

// FindUserByUsername returns a user of the actor's organisation by
// username (any case).
func (s *UserService) FindUserByUsername(ctx context.Context, a crs.Actor, username string) (*crs.User, error) {
	if err := a.Authorize(crs.ActAdministerUsers); err != nil {
		return nil, err
	}
	u, _, err := scanUser(s.db.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE username = $1 AND org_id = $2`,
		strings.ToLower(strings.TrimSpace(username)), a.OrgID), false)
	if crs.ErrorCode(err) == crs.ENOTFOUND {
		return nil, crs.Errorf(crs.ENOTFOUND, "no user %s in this trust", username)
	}
	return u, err
}

// findUserTx returns, within a command, a user of the organisation.
func findUserTx(tx *Tx, orgID, id string) (*crs.User, error) {
	u, _, err := scanUser(tx.QueryRow(`SELECT `+userColumns+` FROM users WHERE id = $1 AND org_id = $2`, id, orgID), false)
	return u, err
}

// SetUserDisabled disables the user (they can no longer log in, and every
// session of theirs ends in the same transaction) or enables them again.
// An administrator cannot disable themselves, so a trust is never left
// without one by a slip. Disabling a user already disabled (or enabling
// one already enabled) is a conflict that changes nothing.
func (s *UserService) SetUserDisabled(ctx context.Context, a crs.Actor, id string, disabled bool) error {
	if disabled && id == a.UserID {
		return crs.Errorf(crs.ECONFLICT, "you cannot disable your own account; ask another administrator")
	}
	return s.db.writeTx(ctx, a, crs.ActAdministerUsers, func(tx *Tx) error {
		u, err := findUserTx(tx, a.OrgID, id)
		if err != nil {
			return err
		}
		if u.Disabled == disabled {
			state := "enabled"
			if disabled {
				state = "disabled"
			}
			return crs.Errorf(crs.ECONFLICT, "user %s is already %s", u.Username, state)
		}
		flag, typ, summary := 0, crs.EventUserEnabled, "User "+u.Username+" enabled"
		if disabled {
			flag, typ, summary = 1, crs.EventUserDisabled, "User "+u.Username+" disabled"
		}
		if _, err := tx.Exec(`UPDATE users SET disabled = $1 WHERE id = $2 AND org_id = $3`, flag, u.ID, a.OrgID); err != nil {
			return err
		}
		if disabled {
			if err := endSessions(tx, u.ID); err != nil {
				return err
			}
		}
		return tx.EmitData(&crs.Event{Type: typ, SubjectID: u.ID, Summary: summary}, "user", map[string]any{"username": u.Username, "disabled": disabled})
	})
}

// SetPassword gives a user of the actor's organisation a new password
// under the password policy and ends their sessions: whoever knew the old
// password is logged out.
func (s *UserService) SetPassword(ctx context.Context, a crs.Actor, id, password string) error {
	if err := a.Authorize(crs.ActAdministerUsers); err != nil {
		s.db.refused(a, crs.ActAdministerUsers)
		return err
	}
	u, err := s.FindUser(ctx, a, id)
	if err != nil {
		return err
	}
	if err := crs.CheckPassword(u.Username, password); err != nil {
		return err
	}
	hash := hashPassword(password) // slow on purpose: outside the committer
	return s.db.writeTx(ctx, a, crs.ActAdministerUsers, func(tx *Tx) error {
		res, err := tx.Exec(`UPDATE users SET password_hash = $1 WHERE id = $2 AND org_id = $3`, hash, u.ID, a.OrgID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return crs.Errorf(crs.ENOTFOUND, "no such user")
		}
		if err := endSessions(tx, u.ID); err != nil {
			return err
		}
		return tx.EmitData(&crs.Event{Type: crs.EventUserPasswordSet, SubjectID: u.ID, Summary: "Password of user " + u.Username + " reset"},
			"user", map[string]string{"username": u.Username})
	})
}

// endSessions ends every session of a user, within a command.
func endSessions(tx *Tx, userID string) error {
	_, err := tx.Exec(`DELETE FROM sessions WHERE user_id = $1`, userID)
	return err
}

func scanUser(r scanner, withHash bool) (*crs.User, string, error) {
	var u crs.User
	var role, created, hash string
	var disabled, locked int
	dest := []any{&u.ID, &u.OrgID, &u.Username, &u.Name, &role, &disabled, &created, &u.FailedLogins, &locked}
	if withHash {
		dest = append(dest, &hash)
	}
	if err := r.Scan(dest...); err != nil {
		return nil, "", notFound(err, "no such user")
	}
	u.Role, u.Disabled, u.CreatedAt, u.Locked = crs.Role(role), disabled == 1, parseTime(created), locked == 1
	return &u, hash, nil
}

// Authenticate checks a username and password. A failed attempt is
// audited as refused and answers EUNAUTHORIZED without saying which part
// was wrong; an unknown username takes as long as a wrong password (the
// password is checked against a dummy hash).
//
// Failed logins in a row are counted per account: after
// crs.LoginFailuresFree each next attempt must wait crs.LoginDelay
// (EFORBIDDEN, saying how long), and crs.LoginFailuresLockout lock the
// account until an administrator unlocks it (crs.ErrAccountLocked).
// Usernames that are no one's are counted the same way, in memory, so
// the answers do not tell a guesser which usernames exist.
func (s *UserService) Authenticate(ctx context.Context, username, password string) (*crs.User, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	now := s.db.Clock.Now().UTC()
	var lastFailed string
	row := s.db.read.QueryRowContext(ctx, `SELECT `+userColumns+`, password_hash, last_failed_at FROM users WHERE username = $1`, username)
	u, hash, err := scanUserFailures(row, &lastFailed)
	bad := crs.Errorf(crs.EUNAUTHORIZED, "the username or password is not right")
	if err != nil {
		if crs.ErrorCode(err) != crs.ENOTFOUND {
			return nil, err
		}
		if err := s.unknown.Check(username, now); err != nil {
			return nil, err
		}
		checkPassword(dummyHash(), password) // spend the same time as a real check
		s.unknown.Fail(username, now)
		return nil, bad
	}
	if u.Locked {
		s.db.Audit(crs.ActorFor(u, "login"), "", crs.AuditRefused, "login: account locked")
		return nil, crs.ErrAccountLocked
	}
	if wait := parseTime(lastFailed).Add(crs.LoginDelay(u.FailedLogins, crs.LoginFailuresFree)).Sub(now); lastFailed != "" && wait > 0 {
		s.db.Audit(crs.ActorFor(u, "login"), "", crs.AuditRefused, "login: too soon after failed logins")
		return nil, crs.LoginWaitError(wait)
	}
	if !checkPassword(hash, password) || u.Disabled || !u.Role.PersonRole() {
		if _, err := s.db.execDurable(ctx, `UPDATE users SET failed_logins = failed_logins + 1, last_failed_at = $1,
			locked = CASE WHEN failed_logins + 1 >= $2 THEN 1 ELSE locked END WHERE id = $3`, formatTime(now), crs.LoginFailuresLockout, u.ID); err != nil {
			return nil, fmt.Errorf("count a failed login: %w", err)
		}
		what := "login"
		if u.FailedLogins+1 >= crs.LoginFailuresLockout {
			what = "login: account locked after failed logins"
		}
		s.db.Audit(crs.ActorFor(u, "login"), "", crs.AuditRefused, what)
		return nil, bad // a system (the interface role) never logs in to the web
	}
	if u.FailedLogins > 0 {
		if _, err := s.db.execDurable(ctx, `UPDATE users SET failed_logins = 0, last_failed_at = '' WHERE id = $1`, u.ID); err != nil {
			return nil, fmt.Errorf("clear failed logins: %w", err)
		}
		u.FailedLogins = 0
	}
	if u.Roles, err = userRoles(ctx, s.db.read, u.ID); err != nil {
		return nil, err
	}
	if len(u.Roles) > 1 {
		u.Role = "" // the user chooses the role of the session (ChooseSessionRole)
	}
	s.db.Audit(crs.ActorFor(u, "login"), "", crs.AuditLogin, "login")
	return u, nil
}

// scanUserFailures scans a user with their password hash and the time of
// their last failed login.
func scanUserFailures(r scanner, lastFailed *string) (*crs.User, string, error) {
	var u crs.User
	var role, created, hash string
	var disabled, locked int
	if err := r.Scan(&u.ID, &u.OrgID, &u.Username, &u.Name, &role, &disabled, &created, &u.FailedLogins, &locked, &hash, lastFailed); err != nil {
		return nil, "", notFound(err, "no such user")
	}
	u.Role, u.Disabled, u.CreatedAt, u.Locked = crs.Role(role), disabled == 1, parseTime(created), locked == 1
	return &u, hash, nil
}

// dummyHash is the hash an unknown username's password is checked
// against, made once, so the check costs what a real one does.
var dummyHash = sync.OnceValue(func() string { return hashPassword("no such user: " + randomToken()) })

// UnlockUser unlocks an account locked after too many failed logins (or
// clears the count of one not yet locked). Unlocking an account neither
// locked nor with failures is a conflict that changes nothing.
func (s *UserService) UnlockUser(ctx context.Context, a crs.Actor, id string) error {
	return s.db.writeTx(ctx, a, crs.ActAdministerUsers, func(tx *Tx) error {
		u, err := findUserTx(tx, a.OrgID, id)
		if err != nil {
			return err
		}
		if !u.Locked && u.FailedLogins == 0 {
			return crs.Errorf(crs.ECONFLICT, "user %s is not locked", u.Username)
		}
		if _, err := tx.Exec(`UPDATE users SET locked = 0, failed_logins = 0, last_failed_at = '' WHERE id = $1 AND org_id = $2`, u.ID, a.OrgID); err != nil {
			return err
		}
		return tx.EmitData(&crs.Event{Type: crs.EventUserUnlocked, SubjectID: u.ID, Summary: "User " + u.Username + " unlocked"},
			"user", map[string]any{"username": u.Username, "failed_logins": u.FailedLogins})
	})
}

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// CreateSession starts a session for u. The token is returned in the
// session's ID and only its hash is stored.
func (s *UserService) CreateSession(ctx context.Context, u *crs.User) (*crs.Session, error) {
	now := s.db.Clock.Now().UTC()
	sess := &crs.Session{ID: randomToken(), UserID: u.ID, CSRFToken: randomToken(), CreatedAt: now, ExpiresAt: s.sessionExpiry(now, now)}
	_, err := s.db.execDurable(ctx, `INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, role) VALUES ($1, $2, $3, $4, $5, $6)`,
		tokenHash(sess.ID), sess.UserID, sess.CSRFToken, formatTime(sess.CreatedAt), formatTime(sess.ExpiresAt), string(u.Role))
	if err != nil {
		return nil, err
	}
	// Logins clear away the sessions that ended over a day ago; the
	// newer ones stay, so their owners are told why they must log in
	// again.
	if _, err := s.db.execDurable(ctx, `DELETE FROM sessions WHERE expires_at < $1`, formatTime(now.Add(-sessionKept))); err != nil {
		return nil, err
	}
	return sess, nil
}

// sessionKept is how long an ended session stays recorded.
const sessionKept = 24 * time.Hour

// sessionExpiry is when a session created at created and last used at
// used ends: SessionIdle after its last use, but never later than
// SessionMax after login.
func (s *UserService) sessionExpiry(created, used time.Time) time.Time {
	end := used.Add(s.SessionIdle)
	if limit := created.Add(s.SessionMax); end.After(limit) {
		end = limit
	}
	return end
}

// FindSession returns a live session and its user, and slides it: a
// session in use has its expiry pushed to SessionIdle from now (never past
// SessionMax from login), written at most once a minute. A session that
// has ended is EUNAUTHORIZED with the reason (idle or at its limit) for
// the user; an unknown token, or a disabled user's, is ENOTFOUND.
func (s *UserService) FindSession(ctx context.Context, token string) (*crs.Session, *crs.User, error) {
	if token == "" {
		return nil, nil, crs.Errorf(crs.ENOTFOUND, "no session")
	}
	row := s.db.read.QueryRowContext(ctx, `SELECT s.csrf_token, s.created_at, s.expires_at, s.role,
		(SELECT COUNT(*) FROM user_roles r WHERE r.user_id = u.id AND r.role = s.role),
		u.id, u.org_id, u.username, u.name, u.role, u.disabled, u.created_at
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1`, tokenHash(token))
	var sess crs.Session
	var created, expires, sessRole string
	var u crs.User
	var role, ucreated string
	var disabled, holds int
	if err := row.Scan(&sess.CSRFToken, &created, &expires, &sessRole, &holds, &u.ID, &u.OrgID, &u.Username, &u.Name, &role, &disabled, &ucreated); err != nil {
		return nil, nil, notFound(err, "no session")
	}
	// The session acts in the role chosen at login, while the user still
	// holds it; a session with none chosen yet acts in no role.
	if role = ""; holds > 0 {
		role = sessRole
	}
	sess.ID, sess.UserID, sess.CreatedAt, sess.ExpiresAt = token, u.ID, parseTime(created), parseTime(expires)
	u.Role, u.Disabled, u.CreatedAt = crs.Role(role), disabled == 1, parseTime(ucreated)
	if u.Disabled {
		return nil, nil, crs.Errorf(crs.ENOTFOUND, "no session")
	}
	now := s.db.Clock.Now().UTC()
	if !now.Before(sess.ExpiresAt) {
		if !sess.ExpiresAt.Before(sess.CreatedAt.Add(s.SessionMax)) {
			return nil, nil, crs.Errorf(crs.EUNAUTHORIZED, "your session ended %s after you logged in, the longest a session lasts; log in again",
				durationWords(s.SessionMax))
		}
		return nil, nil, crs.Errorf(crs.EUNAUTHORIZED, "your session ended after %s without activity; log in again", durationWords(s.SessionIdle))
	}
	if next := s.sessionExpiry(sess.CreatedAt, now); next.Sub(sess.ExpiresAt) >= sessionSlide {
		// The condition on expires_at keeps two requests at once from
		// moving the expiry back.
		if _, err := s.db.execDurable(ctx, `UPDATE sessions SET expires_at = $1 WHERE token_hash = $2 AND expires_at < $1`,
			formatTime(next), tokenHash(token)); err != nil {
			return nil, nil, fmt.Errorf("extend session: %w", err)
		}
		sess.ExpiresAt = next
	}
	return &sess, &u, nil
}

// durationWords writes a session limit as a user reads it: "30 minutes",
// "12 hours".
func durationWords(d time.Duration) string {
	n, unit := int(d/time.Minute), "minute"
	if d >= time.Hour && d%time.Hour == 0 {
		n, unit = int(d/time.Hour), "hour"
	}
	if n != 1 {
		unit += "s"
	}
	return fmt.Sprintf("%d %s", n, unit)
}

// DeleteSession ends a session.
func (s *UserService) DeleteSession(ctx context.Context, token string) error {
	_, err := s.db.execDurable(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash(token))
	return err
}
