package crs

import (
	"sync"
	"time"
)

// Login throttling: failed logins slow down and then stop whoever is
// guessing passwords, for one account and from one network address.
const (
	// LoginFailuresFree is how many failed logins in a row an account
	// has before each next attempt must wait (LoginDelay).
	LoginFailuresFree = 3
	// LoginFailuresLockout is how many failed logins in a row lock an
	// account until a system administrator unlocks it.
	LoginFailuresLockout = 10
	// AddressFailuresFree is how many failed logins from one network
	// address (any accounts) come before each next attempt from it must
	// wait; an address is slowed down, never locked out.
	AddressFailuresFree = 20
	// maxLoginDelay is the longest wait between attempts.
	maxLoginDelay = 15 * time.Minute
)

// EventUserUnlocked is an administrator unlocking an account locked
// after too many failed logins.
const EventUserUnlocked = "user.unlocked"

// LoginDelay is how long after the last of failures failed logins in a
// row the next attempt must wait, free failures after which the waits
// start: 1 second, then doubling (2, 4, 8 ... seconds) up to 15 minutes.
func LoginDelay(failures, free int) time.Duration {
	if failures < free {
		return 0
	}
	n := failures - free
	if n > 10 {
		return maxLoginDelay
	}
	return min(time.Second<<n, maxLoginDelay)
}

// LoginWaitError is the refusal of a login attempt made too soon after
// failed ones.
func LoginWaitError(wait time.Duration) error {
	secs := int((wait + time.Second - 1) / time.Second)
	unit := "seconds"
	if secs == 1 {
		unit = "second"
	}
	return Errorf(EFORBIDDEN, "too many failed logins: wait %d %s and try again", secs, unit)
}

// ErrAccountLocked is the refusal of a login to an account locked after
// too many failed logins in a row.
var ErrAccountLocked = Errorf(EFORBIDDEN, "this account is locked after %d failed logins in a row: ask a system administrator to unlock it", LoginFailuresLockout)

// LoginFailures counts failed logins in memory, by key (a username that
// is no one's, a network address): after Free failures in a row each
// next attempt must wait LoginDelay, and after Lockout (if not 0) no
// attempt is let through. A key with no failure for an hour, and not
// locked out, starts again.
type LoginFailures struct {
	Free    int
	Lockout int

	mu sync.Mutex
	m  map[string]*loginFailures
}

// loginFailures are the failed logins in a row of one key, and the last.
type loginFailures struct {
	n    int
	last time.Time
}

// maxFailureKeys bounds the memory a LoginFailures takes: when full, it
// forgets the keys idle for an hour, or failing that all of them.
const maxFailureKeys = 100000

// failuresForgotten is how long a key's failures are kept after its last.
const failuresForgotten = time.Hour

// Check refuses an attempt for key made too soon after its failures
// (LoginWaitError), or after Lockout of them (ErrAccountLocked).
func (b *LoginFailures) Check(key string, now time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	f := b.m[key]
	switch {
	case f == nil:
		return nil
	case b.Lockout > 0 && f.n >= b.Lockout:
		return ErrAccountLocked
	case now.Sub(f.last) > failuresForgotten:
		delete(b.m, key)
		return nil
	}
	if wait := f.last.Add(LoginDelay(f.n, b.Free)).Sub(now); wait > 0 {
		return LoginWaitError(wait)
	}
	return nil
}

// Fail counts a failed login of key.
func (b *LoginFailures) Fail(key string, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = map[string]*loginFailures{}
	}
	if len(b.m) >= maxFailureKeys {
		for k, f := range b.m {
			if now.Sub(f.last) > failuresForgotten {
				delete(b.m, k)
			}
		}
		if len(b.m) >= maxFailureKeys {
			clear(b.m)
		}
	}
	f := b.m[key]
	if f == nil {
		f = &loginFailures{}
		b.m[key] = f
	}
	f.n++
	f.last = now
}
