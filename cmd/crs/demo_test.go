package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/store"
)

// TestDemoOnAnyDay runs the demo as if today were each of the days its
// generated patients once failed on (a birth date swapped into the
// future), and a leap day, and logs in to each.
func TestDemoOnAnyDay(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds and starts the demo")
	}
	for _, day := range []string{"2026-07-28", "2026-08-03", "2026-09-05", "2026-10-01", "2026-11-01", "2026-12-02", "2028-02-29"} {
		t.Run(day, func(t *testing.T) {
			t.Setenv("CRS_DEMO_TODAY", day)
			r := start(t, "demo", "--data", t.TempDir(), "--http", "127.0.0.1:0", "--mllp", "", "--patients", "300", "--log-level", "warn")
			base := r.waitFor(t, `OpenCRS demo is running at (http://127\.0\.0\.1:\d+)/ `, 5*time.Minute)[1]
			out := r.stdout.String()
			password := regexp.MustCompile(`Every demo user's password is "([^"]+)"`).FindStringSubmatch(out)
			user := regexp.MustCompile(`(?m)^  (\S+) +\S`).FindStringSubmatch(out)
			if password == nil || user == nil {
				t.Fatalf("the demo did not print a user and the password:\n%s", out)
			}
			c := newBrowser(t)
			if code := login(t, c, base, user[1], password[1]); code != http.StatusOK {
				t.Fatalf("log in as %s: status %d; want 200", user[1], code)
			}
			if resp, _ := get(t, c, base+"/"); resp.StatusCode != 200 || resp.Request.URL.Path == "/login" {
				t.Errorf("GET / after logging in: %d at %s; want a page of the app", resp.StatusCode, resp.Request.URL)
			}
			r.stop(t)
		})
	}
	t.Run("not a date", func(t *testing.T) {
		t.Setenv("CRS_DEMO_TODAY", "2026-02-30")
		code, _, errs := runCLI(t, "demo", "--data", t.TempDir(), "--http", "127.0.0.1:0", "--mllp", "")
		if code != 1 || !strings.Contains(errs, `CRS_DEMO_TODAY="2026-02-30"`) {
			t.Errorf("exit %d, stderr %q; want 1 and the variable named", code, errs)
		}
	})
}

// TestDemoAddressInUse checks that the demo says an address is in use
// before it makes any data or prints the passwords.
func TestDemoAddressInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()
	tests := []struct{ name, http, mllp, want string }{
		{"http", addr, "", "listen for HTTP on " + addr},
		{"mllp", "127.0.0.1:0", addr, "listen for MLLP on " + addr},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			code, out, errs := runCLI(t, "demo", "--data", dir, "--http", tc.http, "--mllp", tc.mllp, "--patients", "50")
			if code != 1 || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, errs, tc.want)
			}
			if strings.Contains(out, "password") || strings.Contains(out, "Preparing") {
				t.Errorf("the demo prepared data before finding the address in use:\n%s", out)
			}
			if _, err := os.Stat(filepath.Join(dir, "crs.db")); !os.IsNotExist(err) {
				t.Errorf("the demo made its database before finding the address in use (stat: %v)", err)
			}
		})
	}
}

// TestOneCRSPerDataFolder starts the demo and checks that a second demo
// or a server on the same folder refuses, naming the folder and the
// process using it, and that the folder is free once the first stops.
func TestOneCRSPerDataFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds and starts the demo")
	}
	dir := t.TempDir()
	first := start(t, "demo", "--data", dir, "--http", "127.0.0.1:0", "--mllp", "", "--patients", "50", "--log-level", "warn")
	addr := first.waitFor(t, `OpenCRS demo is running at http://(127\.0\.0\.1:\d+)/ `, 5*time.Minute)[1]
	want := "another crs is using " + dir + " (pid " + strconv.Itoa(os.Getpid()) + ")"
	for _, args := range [][]string{
		{"demo", "--data", dir, "--http", "127.0.0.1:0", "--mllp", "", "--patients", "50"},
		{"demo", "--data", dir, "--http", addr, "--mllp", "", "--patients", "50"}, // its address too
		{"serve", "--db", "sqlite:" + filepath.Join(dir, "crs.db"), "--http", "127.0.0.1:0", "--mllp", ""},
	} {
		code, out, errs := runCLI(t, args...)
		if code != 1 || !strings.Contains(errs, want) {
			t.Errorf("crs %s: exit %d, stderr %q; want 1 and %q", args[0], code, errs, want)
		}
		if strings.Contains(out, "password") {
			t.Errorf("crs %s printed the passwords though it refused:\n%s", args[0], out)
		}
	}
	first.stop(t)

	again := start(t, "serve", "--db", "sqlite:"+filepath.Join(dir, "crs.db"), "--http", "127.0.0.1:0", "--mllp", "", "--log-level", "warn")
	again.waitFor(t, `OpenCRS is running at (http://127\.0\.0\.1:\d+)/\n`, 30*time.Second)
	again.stop(t)
}

// TestCompleteDemoTrust leaves one demo trust with part of its patient
// journey and the user of its HL7 interface but not the interface, as a
// run stopped part way does, and checks that the next run finishes both
// and says so.
func TestCompleteDemoTrust(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds the demo")
	}
	ctx := context.Background()
	a, err := openApp(ctx, "sqlite:"+filepath.Join(t.TempDir(), "crs.db"), newLogger(io.Discard, "warn"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	opts := demo.Options{Patients: 300, Seed: 1, Logger: newLogger(io.Discard, "warn")}
	if _, err := demo.Seed(ctx, a.demoServices(), opts); err != nil {
		t.Fatal(err)
	}
	res, err := demo.Seed(ctx, a.demoServices(), opts) // the next run finds the trusts there
	if err != nil {
		t.Fatal(err)
	}
	part := res.Trusts[0].Org
	sys := crs.SystemActor(part.ID)
	if err := demo.SeedJourney(ctx, journeyServices(a.db), sys, demo.JourneyOptions{Referrals: 50, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if err := a.users.CreateUser(ctx, sys, &crs.User{Username: "hl7.pas." + lowerASCII(part.ODSCode), Name: "PAS interface", Role: crs.RoleInterface}, randomPassword()); err != nil {
		t.Fatal(err)
	}

	var out strings.Builder
	for _, tr := range res.Trusts {
		if err := completeDemoTrust(ctx, a, tr, &out); err != nil {
			t.Fatalf("complete %s: %v", tr.Org.ODSCode, err)
		}
	}
	for _, want := range []string{
		part.ODSCode + ": found 50 of 200 referrals of the patient journey from an earlier run that stopped part way; making the remaining 150",
		res.Trusts[1].Org.ODSCode + ": an earlier run stopped before the patient journey; making it now",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the run said:\n%s\nwant a line with %q", out.String(), want)
		}
	}
	for _, tr := range res.Trusts {
		n, err := store.CountReferrals(ctx, a.db, tr.Org.ID)
		if err != nil || n != demoReferrals {
			t.Errorf("%s has %d referrals (%v); want %d", tr.Org.ODSCode, n, err, demoReferrals)
		}
		ifaces, err := a.db.FindInterfaces(ctx, tr.Org.ID)
		if err != nil || len(ifaces) != 1 {
			t.Errorf("%s has %d interfaces (%v); want 1", tr.Org.ODSCode, len(ifaces), err)
		}
	}
}
