package store

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/opencrs/crs"
)

// TestLoginWorkIsTheSame checks that a login of a username that is no
// one's does the same slow work as a wrong password for a real user (one
// argon2id key derivation each), so the time it takes does not tell a
// guesser which usernames exist. (Counted, not timed.)
func TestLoginWorkIsTheSame(t *testing.T) {
	var calls atomic.Int64
	real := deriveKey
	deriveKey = func(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
		calls.Add(1)
		return real(password, salt, time, memory, threads, keyLen)
	}
	t.Cleanup(func() { deriveKey = real })
	ctx := context.Background()
	db, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "login.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	org := &crs.Organisation{ODSCode: "RLW", Name: "Login Work Trust"}
	if err := NewOrganisationService(db).CreateOrganisation(ctx, crs.SystemActor(""), org); err != nil {
		t.Fatal(err)
	}
	us := NewUserService(db)
	for _, u := range []*crs.User{{Username: "a.clerk", Name: "Ann Clerk", Role: crs.RoleClerk}, {Username: "a.nurse", Name: "Ann Nurse", Role: crs.RoleNurse}} {
		if err := us.CreateUser(ctx, crs.SystemActor(org.ID), u, "kettle orange pylon"); err != nil {
			t.Fatal(err)
		}
	}
	dummyHash() // made once, at the first unknown username
	for _, tc := range []struct{ name, username, password string }{
		{"a wrong password", "a.clerk", "not-the-password"},
		{"a username that is no one's", "no.such.user", "not-the-password"},
		{"the right password", "a.nurse", "kettle orange pylon"},
	} {
		calls.Store(0)
		_, err := us.Authenticate(ctx, tc.username, tc.password)
		if got := calls.Load(); got != 1 {
			t.Errorf("%s: %d key derivations, want 1 (err %v)", tc.name, got, err)
		}
	}
}
