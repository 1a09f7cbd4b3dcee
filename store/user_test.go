package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// events returns the types of the organisation's events about a subject,
// oldest first, and checks each has its audit record.
func userEvents(t *testing.T, db *store.DB, orgID, subjectID string) []string {
	t.Helper()
	rows, err := db.Reader().QueryContext(context.Background(),
		`SELECT e.type, (SELECT COUNT(*) FROM audit a WHERE a.event_id = e.id AND a.org_id = e.org_id) FROM events e
		 WHERE e.org_id = $1 AND e.subject_id = $2 ORDER BY e.recorded_at, e.id`, orgID, subjectID)
	if err != nil {
		t.Fatalf("events: %v", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var typ string
		var audits int
		if err := rows.Scan(&typ, &audits); err != nil {
			t.Fatal(err)
		}
		if audits != 1 {
			t.Errorf("event %s has %d audit records, want 1", typ, audits)
		}
		out = append(out, typ)
	}
	return out
}

func TestPasswordPolicy(t *testing.T) {
	for _, tc := range []struct {
		name, username, password string
		ok                       bool
	}{
		{"ten characters", "jsmith", "kettle-run", true},
		{"the alphabet in order", "jsmith", "abcdefghij", false},
		{"a keyboard row", "jsmith", "qwertyuiop", false},
		{"a keyboard walk", "jsmith", "1qaz2wsx3edc", false},
		{"digits in order", "jsmith", "0123456789", false},
		{"a common password", "jsmith", "password123", false},
		{"a common stem with a year and a symbol", "jsmith", "Summer2026!", false},
		{"a common stem with look-alike letters", "jsmith", "P@ssw0rd2026", false},
		{"look-alike letters at the start", "jsmith", "@dmin123456", false},
		{"the hospital's own words", "jsmith", "Hospital123", false},
		{"the product's name", "jsmith", "OpenCRS2026!", false},
		{"one character repeated", "jsmith", "aaaaaaaaaaaa", false},
		{"two characters repeated", "jsmith", "abababababab", false},
		{"the demo's password", "jsmith", "demo-password", true},
		{"the tests' password", "jsmith", "test-password-1", true},
		{"nine characters", "jsmith", "abcdefghi", false},
		{"ten characters counted as letters, not bytes", "jsmith", "ééééééééé", false},
		{"the username", "jsmith.ward", "jsmith.ward", false},
		{"contains the username in another case", "jsmith", "JSmith-2026-x", false},
		{"three words", "jsmith", "kettle orange pylon", true},
		{"too long", "jsmith", string(make([]byte, 257)), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := crs.CheckPassword(tc.username, tc.password)
			if (err == nil) != tc.ok {
				t.Fatalf("CheckPassword(%q, %q) = %v; want ok %v", tc.username, tc.password, err, tc.ok)
			}
			if err != nil && (crs.ErrorCode(err) != crs.EINVALID || crs.FieldErrors(err)["password"] == "") {
				t.Errorf("error %v; want an EINVALID error on the password field", err)
			}
		})
	}
}

func TestUserContract(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RAA")
		other := storetest.NewTrust(t, db, "RBB")
		us := store.NewUserService(db)
		admin := tr.Actor(crs.RoleAdmin)

		u := &crs.User{Username: "a.nurse", Name: "Alex Nurse", Role: crs.RoleNurse}
		if err := us.CreateUser(ctx, admin, u, "kettle orange pylon"); err != nil {
			t.Fatalf("admin creates a user: %v", err)
		}

		t.Run("create checks the password policy and the role", func(t *testing.T) {
			for _, tc := range []struct {
				name     string
				user     crs.User
				password string
				field    string
			}{
				{"short password", crs.User{Username: "b.nurse", Name: "B", Role: crs.RoleNurse}, "short", "password"},
				{"username as password", crs.User{Username: "b.nurse.ward9", Name: "B", Role: crs.RoleNurse}, "b.nurse.ward9", "password"},
				{"unknown role", crs.User{Username: "b.nurse", Name: "B", Role: "surgeon"}, "kettle orange pylon", "role"},
				{"system role", crs.User{Username: "b.nurse", Name: "B", Role: crs.RoleSystem}, "kettle orange pylon", "role"},
				{"taken username", crs.User{Username: "a.nurse", Name: "B", Role: crs.RoleNurse}, "kettle orange pylon", "username"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					u := tc.user
					err := us.CreateUser(ctx, admin, &u, tc.password)
					if crs.ErrorCode(err) != crs.EINVALID || crs.FieldErrors(err)[tc.field] == "" {
						t.Errorf("create: %v; want EINVALID on %s", err, tc.field)
					}
				})
			}
			if err := us.CreateUser(ctx, tr.Actor(crs.RoleClerk), &crs.User{Username: "c.clerk", Name: "C", Role: crs.RoleClerk}, "kettle orange pylon"); crs.ErrorCode(err) != crs.EFORBIDDEN {
				t.Errorf("a clerk creates a user: %v; want EFORBIDDEN", err)
			}
		})

		t.Run("find is scoped to the trust", func(t *testing.T) {
			got, err := us.FindUser(ctx, admin, u.ID)
			if err != nil || got.Username != "a.nurse" || got.Role != crs.RoleNurse || got.Disabled {
				t.Fatalf("FindUser = %+v, %v; want a.nurse, enabled", got, err)
			}
			if got, err := us.FindUserByUsername(ctx, admin, "A.Nurse"); err != nil || got.ID != u.ID {
				t.Errorf("FindUserByUsername(A.Nurse) = %+v, %v; want %s", got, err, u.ID)
			}
			oa := other.Actor(crs.RoleAdmin)
			if _, err := us.FindUser(ctx, oa, u.ID); crs.ErrorCode(err) != crs.ENOTFOUND {
				t.Errorf("another trust's admin finds the user: %v; want ENOTFOUND", err)
			}
			if _, err := us.FindUserByUsername(ctx, oa, "a.nurse"); crs.ErrorCode(err) != crs.ENOTFOUND {
				t.Errorf("another trust's admin finds the user by username: %v; want ENOTFOUND", err)
			}
			if _, err := us.FindUser(ctx, tr.Actor(crs.RoleClerk), u.ID); crs.ErrorCode(err) != crs.EFORBIDDEN {
				t.Errorf("a clerk finds a user: %v; want EFORBIDDEN", err)
			}
			list, err := us.FindUsers(ctx, oa)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range list {
				if x.OrgID != other.Org.ID {
					t.Errorf("another trust's list holds %s of org %s", x.Username, x.OrgID)
				}
			}
		})

		t.Run("other trusts cannot change the user", func(t *testing.T) {
			oa := other.Actor(crs.RoleAdmin)
			if err := us.SetUserDisabled(ctx, oa, u.ID, true); crs.ErrorCode(err) != crs.ENOTFOUND {
				t.Errorf("another trust disables the user: %v; want ENOTFOUND", err)
			}
			if err := us.SetPassword(ctx, oa, u.ID, "another long password"); crs.ErrorCode(err) != crs.ENOTFOUND {
				t.Errorf("another trust sets the password: %v; want ENOTFOUND", err)
			}
			if _, err := us.Authenticate(ctx, "a.nurse", "kettle orange pylon"); err != nil {
				t.Errorf("after the other trust's attempts the user cannot log in: %v", err)
			}
		})

		t.Run("disable ends sessions and stops logins; enable lets them in again", func(t *testing.T) {
			who, err := us.Authenticate(ctx, "a.nurse", "kettle orange pylon")
			if err != nil {
				t.Fatal(err)
			}
			sess, err := us.CreateSession(ctx, who)
			if err != nil {
				t.Fatal(err)
			}
			if err := us.SetUserDisabled(ctx, admin, u.ID, true); err != nil {
				t.Fatalf("disable: %v", err)
			}
			if _, _, err := us.FindSession(ctx, sess.ID); crs.ErrorCode(err) != crs.ENOTFOUND {
				t.Errorf("the disabled user's session: %v; want ENOTFOUND", err)
			}
			if _, err := us.Authenticate(ctx, "a.nurse", "kettle orange pylon"); crs.ErrorCode(err) != crs.EUNAUTHORIZED {
				t.Errorf("a disabled user logs in: %v; want EUNAUTHORIZED", err)
			}
			if err := us.SetUserDisabled(ctx, admin, u.ID, true); crs.ErrorCode(err) != crs.ECONFLICT {
				t.Errorf("disable twice: %v; want ECONFLICT", err)
			}
			if err := us.SetUserDisabled(ctx, admin, u.ID, false); err != nil {
				t.Fatalf("enable: %v", err)
			}
			if _, _, err := us.FindSession(ctx, sess.ID); crs.ErrorCode(err) != crs.ENOTFOUND {
				t.Errorf("the session ended by disabling came back on enabling: %v", err)
			}
			if _, err := us.Authenticate(ctx, "a.nurse", "kettle orange pylon"); err != nil {
				t.Errorf("the enabled user cannot log in: %v", err)
			}
		})

		t.Run("an administrator cannot disable themselves", func(t *testing.T) {
			if err := us.SetUserDisabled(ctx, admin, admin.UserID, true); crs.ErrorCode(err) != crs.ECONFLICT {
				t.Errorf("admin disables themselves: %v; want ECONFLICT", err)
			}
			if err := us.SetUserDisabled(ctx, tr.Actor(crs.RoleClerk), u.ID, true); crs.ErrorCode(err) != crs.EFORBIDDEN {
				t.Errorf("a clerk disables a user: %v; want EFORBIDDEN", err)
			}
		})

		t.Run("set password under the policy ends sessions", func(t *testing.T) {
			who, err := us.Authenticate(ctx, "a.nurse", "kettle orange pylon")
			if err != nil {
				t.Fatal(err)
			}
			sess, err := us.CreateSession(ctx, who)
			if err != nil {
				t.Fatal(err)
			}
			if err := us.SetPassword(ctx, admin, u.ID, "short"); crs.ErrorCode(err) != crs.EINVALID {
				t.Errorf("short password: %v; want EINVALID", err)
			}
			if err := us.SetPassword(ctx, admin, u.ID, "my-a.nurse-pass"); crs.ErrorCode(err) != crs.EINVALID {
				t.Errorf("password with the username: %v; want EINVALID", err)
			}
			if err := us.SetPassword(ctx, tr.System, u.ID, "violet harbour engine"); err != nil {
				t.Fatalf("set password as the system: %v", err)
			}
			if _, _, err := us.FindSession(ctx, sess.ID); crs.ErrorCode(err) != crs.ENOTFOUND {
				t.Errorf("the session after a password reset: %v; want ENOTFOUND", err)
			}
			if _, err := us.Authenticate(ctx, "a.nurse", "kettle orange pylon"); crs.ErrorCode(err) != crs.EUNAUTHORIZED {
				t.Errorf("the old password still works: %v", err)
			}
			if _, err := us.Authenticate(ctx, "a.nurse", "violet harbour engine"); err != nil {
				t.Errorf("the new password does not work: %v", err)
			}
		})

		t.Run("every change is an event with its audit record", func(t *testing.T) {
			got := userEvents(t, db, tr.Org.ID, u.ID)
			want := []string{crs.EventUserAdded, crs.EventUserDisabled, crs.EventUserEnabled, crs.EventUserPasswordSet}
			if len(got) != len(want) {
				t.Fatalf("events = %v; want %v", got, want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("event %d = %s; want %s", i, got[i], want[i])
				}
			}
			if n := len(userEvents(t, db, other.Org.ID, u.ID)); n != 0 {
				t.Errorf("%d events of the user in the other trust", n)
			}
		})
	})
}

// TestSessionsSlide checks that a session in use stays alive, an idle one
// ends after 30 minutes, a busy one ends 12 hours after login, and the
// expiry is written at most once a minute.
func TestSessionsSlide(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RAA")
		us := store.NewUserService(db)
		if us.SessionIdle != 30*time.Minute || us.SessionMax != 12*time.Hour {
			t.Fatalf("default limits %v idle, %v in all; want 30m, 12h", us.SessionIdle, us.SessionMax)
		}
		u := tr.Users[crs.RoleClerk]
		// stored reads the expiry the database holds for the user's one
		// session.
		stored := func(t *testing.T) time.Time {
			t.Helper()
			var s string
			if err := db.Reader().QueryRowContext(ctx, `SELECT expires_at FROM sessions WHERE user_id = $1`, u.ID).Scan(&s); err != nil {
				t.Fatalf("stored expiry: %v", err)
			}
			got, err := time.Parse("2006-01-02T15:04:05.000000Z", s)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		login := func(t *testing.T) (*crs.Session, time.Time) {
			t.Helper()
			sess, err := us.CreateSession(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = us.DeleteSession(ctx, sess.ID) })
			return sess, clock.Now()
		}
		use := func(t *testing.T, sess *crs.Session, after time.Duration) error {
			t.Helper()
			clock.Advance(after)
			_, got, err := us.FindSession(ctx, sess.ID)
			if err == nil && got.ID != u.ID {
				t.Fatalf("session of %s, want %s", got.ID, u.ID)
			}
			return err
		}
		wantEnded := func(t *testing.T, err error, why string) {
			t.Helper()
			if crs.ErrorCode(err) != crs.EUNAUTHORIZED || !strings.Contains(crs.ErrorMessage(err), why) {
				t.Fatalf("got %v; want EUNAUTHORIZED saying %q", err, why)
			}
		}

		t.Run("activity keeps a session alive past the idle limit", func(t *testing.T) {
			sess, start := login(t)
			if got, want := stored(t), start.Add(30*time.Minute); !got.Equal(want) {
				t.Fatalf("expiry at login %v, want %v", got, want)
			}
			for i := 1; i <= 6; i++ {
				if err := use(t, sess, 20*time.Minute); err != nil {
					t.Fatalf("request %d, %v after login: %v", i, clock.Now().Sub(start), err)
				}
			}
			if got, want := stored(t), clock.Now().Add(30*time.Minute); !got.Equal(want) {
				t.Errorf("expiry after two hours of use %v, want %v", got, want)
			}
		})

		t.Run("idleness ends a session", func(t *testing.T) {
			sess, _ := login(t)
			if err := use(t, sess, 29*time.Minute); err != nil {
				t.Fatalf("after 29 minutes: %v", err)
			}
			if err := use(t, sess, 29*time.Minute+59*time.Second); err != nil {
				t.Fatalf("29m59s after the last request: %v", err)
			}
			wantEnded(t, use(t, sess, 30*time.Minute), "your session ended after 30 minutes without activity; log in again")
		})

		t.Run("the absolute limit ends a session in use", func(t *testing.T) {
			sess, start := login(t)
			for clock.Now().Sub(start) < 12*time.Hour-20*time.Minute {
				if err := use(t, sess, 20*time.Minute); err != nil {
					t.Fatalf("%v after login: %v", clock.Now().Sub(start), err)
				}
			}
			if got, want := stored(t), start.Add(12*time.Hour); !got.Equal(want) {
				t.Errorf("expiry near the limit %v, want %v (12 hours from login)", got, want)
			}
			wantEnded(t, use(t, sess, 20*time.Minute), "12 hours after you logged in")
		})

		t.Run("the expiry is written at most once a minute", func(t *testing.T) {
			sess, start := login(t)
			for _, step := range []struct {
				after time.Duration
				want  time.Duration // stored expiry, from login
			}{
				{30 * time.Second, 30 * time.Minute},                // within a minute of login: no write
				{29 * time.Second, 30 * time.Minute},                // 59s: still none
				{1 * time.Second, 31 * time.Minute},                 // a minute: extended
				{59 * time.Second, 31 * time.Minute},                // within a minute of that: none
				{10 * time.Second, 31*time.Minute + 69*time.Second}, // over a minute: extended
			} {
				if err := use(t, sess, step.after); err != nil {
					t.Fatal(err)
				}
				if got, want := stored(t), start.Add(step.want); !got.Equal(want) {
					t.Errorf("at %v after login the stored expiry is %v after login, want %v", clock.Now().Sub(start), got.Sub(start), step.want)
				}
			}
		})
	})
}

// TestEndedSessionsCleared checks that a login clears away the sessions
// that ended over a day before, and keeps those that ended since, whose
// owners are still told why they must log in again.
func TestEndedSessionsCleared(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RAA")
		us := store.NewUserService(db)
		old, err := us.CreateSession(ctx, tr.Users[crs.RoleClerk])
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(12 * time.Hour) // old ended 11.5 hours ago
		recent, err := us.CreateSession(ctx, tr.Users[crs.RoleNurse])
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(14 * time.Hour) // old ended 25.5 hours ago, recent 13.5
		if _, err := us.CreateSession(ctx, tr.Users[crs.RoleDoctor]); err != nil {
			t.Fatal(err)
		}
		if _, _, err := us.FindSession(ctx, old.ID); crs.ErrorCode(err) != crs.ENOTFOUND {
			t.Errorf("a session ended over a day ago: %v; want it cleared away (not found)", err)
		}
		if _, _, err := us.FindSession(ctx, recent.ID); crs.ErrorCode(err) != crs.EUNAUTHORIZED {
			t.Errorf("a session ended 13.5 hours ago: %v; want it kept, answered as ended", err)
		}
	})
}
