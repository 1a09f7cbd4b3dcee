package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/mllp"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// runCLI runs crs in-process with args and returns its exit code and
// output.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsage(t *testing.T) {
	commands := []string{"demo", "serve", "hl7", "bench", "version"}
	t.Run("no arguments", func(t *testing.T) {
		code, out, _ := runCLI(t)
		if code != 2 {
			t.Errorf("crs: exit %d; want 2", code)
		}
		for _, c := range commands {
			if !regexp.MustCompile(`(?m)^  ` + c + ` +\S`).MatchString(out) {
				t.Errorf("crs usage does not list %q with its summary:\n%s", c, out)
			}
		}
		if !strings.Contains(out, "CRS_") {
			t.Errorf("crs usage does not say flags can be set with CRS_* variables:\n%s", out)
		}
	})
	for _, arg := range []string{"--help", "-h", "help"} {
		t.Run(arg, func(t *testing.T) {
			code, out, _ := runCLI(t, arg)
			if code != 0 {
				t.Errorf("crs %s: exit %d; want 0", arg, code)
			}
			for _, c := range commands {
				if !strings.Contains(out, "  "+c+" ") {
					t.Errorf("crs %s does not list %q:\n%s", arg, c, out)
				}
			}
		})
	}
	t.Run("unknown command", func(t *testing.T) {
		code, out, errs := runCLI(t, "nosuch")
		if code != 2 {
			t.Errorf("crs nosuch: exit %d; want 2", code)
		}
		if !strings.Contains(errs, `unknown command "nosuch"`) {
			t.Errorf("crs nosuch: stderr %q; want it to name the unknown command", errs)
		}
		if out != "" {
			t.Errorf("crs nosuch: stdout %q; want the error and usage on stderr only", out)
		}
	})
	usageErrors := []struct {
		args []string
		want string // in stdout or stderr
	}{
		{[]string{"serve", "--nosuch"}, "nosuch"},
		{[]string{"serve", "--session-idle", "0s"}, "--session-idle 0s"},
		{[]string{"serve", "--mllp-tls-cert", "server.crt"}, "needs both --mllp-tls-cert and --mllp-tls-key"},
		{[]string{"serve", "--mllp-client-ca", "ca.crt"}, "--mllp-client-ca needs --mllp-tls-cert"},
		{[]string{"serve", "--feeds-tls-cert", "client.crt"}, "--feeds-tls-cert and --feeds-tls-key need --feeds-tls-ca"},
		{[]string{"serve", "--session-idle", "2h", "--session-max", "1h"}, "no longer than the maximum"},
		{[]string{"serve", "--fhir-base", "api.example.nhs.uk/fhir"}, `--fhir-base "api.example.nhs.uk/fhir": give the API's base as an http or https URL`},
		{[]string{"serve", "--fhir-base", "https://api.example.nhs.uk/fhir?x=1"}, "--fhir-base"},
		{[]string{"hl7"}, "crs hl7 send"},
		{[]string{"hl7", "nosuch"}, "crs hl7 send"},
		{[]string{"hl7", "parse"}, "Usage: crs hl7 parse"},
		{[]string{"hl7", "send", "--to", "127.0.0.1:9"}, "Usage: crs hl7 send"},
		{[]string{"bench"}, "pmi"},
		{[]string{"bench", "nosuch"}, `unknown benchmark "nosuch"`},
		{[]string{"version", "--nosuch"}, "nosuch"},
	}
	for _, tc := range usageErrors {
		name := strings.Join(tc.args, " ")
		t.Run(name, func(t *testing.T) {
			code, out, errs := runCLI(t, tc.args...)
			if code != 2 {
				t.Errorf("crs %s: exit %d; want 2 (a usage error)\nstdout: %s\nstderr: %s", name, code, out, errs)
			}
			if !strings.Contains(out+errs, tc.want) {
				t.Errorf("crs %s: output does not contain %q\nstdout: %s\nstderr: %s", name, tc.want, out, errs)
			}
		})
	}
}

func TestSubcommandHelp(t *testing.T) {
	tests := []struct {
		args  []string
		want  string   // the synopsis
		flags []string // each printed as -name
	}{
		{[]string{"demo"}, "Usage: crs demo", []string{"data", "http", "mllp", "patients", "log-level"}},
		{[]string{"serve"}, "Usage: crs serve", []string{"db", "http", "mllp", "secure-cookies", "log-level", "session-idle", "session-max", "mllp-tls-cert", "mllp-tls-key", "mllp-client-ca", "feeds-tls-ca", "feeds-tls-cert", "feeds-tls-key"}},
		{[]string{"hl7", "send"}, "Usage: crs hl7 send", []string{"to", "timeout", "tls-ca", "tls-cert", "tls-key"}},
		{[]string{"hl7", "parse"}, "Usage: crs hl7 parse", nil},
		{[]string{"hl7", "interface", "add"}, "Usage: crs hl7 interface add", []string{"db", "ods", "app", "facility", "name"}},
		{[]string{"bench", "pmi"}, "Usage: crs bench pmi", []string{"patients", "queries", "db", "keep", "seed", "batch", "cpuprofile"}},
		{[]string{"bench", "hl7"}, "Usage: crs bench hl7", []string{"messages", "dir", "cpuprofile"}},
		{[]string{"bench", "journey"}, "Usage: crs bench journey", []string{"pathways", "beds", "queries", "db", "keep", "cpuprofile"}},
		{[]string{"bench", "fhir"}, "Usage: crs bench fhir", []string{"patients", "reads", "searches", "synthea", "dir", "db", "clients", "cpuprofile", "trace", "mutexprofile", "blockprofile"}},
		{[]string{"bench", "day"}, "Usage: crs bench day", []string{"db", "keep", "staff", "patients", "feed-rate", "feed-conns", "duration", "think", "seed", "cpuprofile"}},
		{[]string{"version"}, "Usage: crs version", nil},
		{[]string{"hl7"}, "crs hl7 parse FILE", nil},
		{[]string{"bench"}, "journey", nil},
	}
	for _, tc := range tests {
		for _, h := range []string{"--help", "-h"} {
			args := append(append([]string{}, tc.args...), h)
			name := strings.Join(args, " ")
			t.Run(name, func(t *testing.T) {
				code, out, errs := runCLI(t, args...)
				if code != 0 {
					t.Fatalf("crs %s: exit %d; want 0\nstdout: %s\nstderr: %s", name, code, out, errs)
				}
				if !strings.Contains(out, tc.want) {
					t.Errorf("crs %s: stdout does not contain %q:\n%s", name, tc.want, out)
				}
				for _, f := range tc.flags {
					if !regexp.MustCompile(`(?m)^  -` + regexp.QuoteMeta(f) + `\b`).MatchString(out) {
						t.Errorf("crs %s: flag -%s not listed:\n%s", name, f, out)
					}
				}
			})
		}
	}
}

// TestBenchProfile runs a small HL7 benchmark and checks that it reports
// its figures and writes a CPU profile pprof can read (gzip-compressed).
func TestBenchProfile(t *testing.T) {
	prof := filepath.Join(t.TempDir(), "cpu.prof")
	code, out, errs := runCLI(t, "bench", "hl7", "--messages", "40", "--dir", t.TempDir(), "--cpuprofile", prof)
	if code != 0 {
		t.Fatalf("crs bench hl7: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	for _, want := range []string{"msg/s", "parser:"} {
		if !strings.Contains(out, want) {
			t.Errorf("crs bench hl7 output lacks %q:\n%s", want, out)
		}
	}
	b, err := os.ReadFile(prof)
	if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Errorf("profile %s: %d bytes, err %v; want a gzip-compressed pprof profile", prof, len(b), err)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runCLI(t, "version")
	info, _ := debug.ReadBuildInfo()
	if want := versionText(version, info); code != 0 || out != want || !strings.HasPrefix(out, "crs ") {
		t.Errorf("crs version: exit %d, %q; want 0, %q", code, out, want)
	}
}

// TestParseFlagsEnvironment checks that CRS_<FLAG> sets a flag's default,
// CRS_<FLAG>_FILE reads it from a file, the command line wins over both,
// and a bad value names the variable.
func TestParseFlagsEnvironment(t *testing.T) {
	newSet := func() (*flag.FlagSet, *string, *int, *bool) {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		db := fs.String("db", "sqlite:default.db", "")
		n := fs.Int("patients", 10, "")
		secure := fs.Bool("secure-cookies", false, "")
		return fs, db, n, secure
	}
	dir := t.TempDir()
	secret := filepath.Join(dir, "db-url")
	if err := os.WriteFile(secret, []byte("postgres://crs:s3cret@db/crs\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	notNumber := filepath.Join(dir, "patients")
	if err := os.WriteFile(notNumber, []byte("many"), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		env        map[string]string
		args       []string
		db         string
		patients   int
		secure     bool
		wantErr    string // "" for none; else a part of the error
		wantUsage  bool
		notInError string
	}{
		{name: "defaults", db: "sqlite:default.db", patients: 10},
		{name: "variables", env: map[string]string{"CRS_DB": "sqlite:env.db", "CRS_PATIENTS": "20", "CRS_SECURE_COOKIES": "true"},
			db: "sqlite:env.db", patients: 20, secure: true},
		{name: "command line wins", env: map[string]string{"CRS_DB": "sqlite:env.db", "CRS_PATIENTS": "20"}, args: []string{"--db", "sqlite:flag.db"},
			db: "sqlite:flag.db", patients: 20},
		{name: "file", env: map[string]string{"CRS_DB_FILE": secret}, db: "postgres://crs:s3cret@db/crs", patients: 10},
		{name: "bad value names the variable", env: map[string]string{"CRS_PATIENTS": "many"}, wantErr: "CRS_PATIENTS"},
		{name: "bad value in a file names the variable", env: map[string]string{"CRS_PATIENTS_FILE": notNumber}, wantErr: "CRS_PATIENTS_FILE"},
		{name: "missing file names the variable", env: map[string]string{"CRS_DB_FILE": filepath.Join(dir, "nosuch")}, wantErr: "CRS_DB_FILE"},
		{name: "a secret in a file is not echoed when wrong", env: map[string]string{"CRS_SECURE_COOKIES_FILE": secret}, wantErr: "CRS_SECURE_COOKIES_FILE", notInError: "s3cret"},
		{name: "unknown flag", args: []string{"--nosuch"}, wantUsage: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			fs, db, n, secure := newSet()
			err := parseFlags(fs, tc.args)
			switch {
			case tc.wantUsage:
				if !errors.Is(err, errUsage) {
					t.Errorf("parseFlags: %v; want errUsage", err)
				}
				return
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("parseFlags: %v; want an error naming %s", err, tc.wantErr)
				}
				if err != nil && tc.notInError != "" && strings.Contains(err.Error(), tc.notInError) {
					t.Errorf("parseFlags: %v; the error shows the secret", err)
				}
				return
			case err != nil:
				t.Fatalf("parseFlags: %v", err)
			}
			if *db != tc.db || *n != tc.patients || *secure != tc.secure {
				t.Errorf("db %q, patients %d, secure %v; want %q, %d, %v", *db, *n, *secure, tc.db, tc.patients, tc.secure)
			}
		})
	}

	t.Run("through run", func(t *testing.T) {
		t.Setenv("CRS_PATIENTS", "-")
		code, _, errs := runCLI(t, "demo", "--data", t.TempDir())
		if code != 1 || !strings.Contains(errs, `CRS_PATIENTS="-"`) {
			t.Errorf("CRS_PATIENTS=- crs demo: exit %d, stderr %q; want 1 and the variable named", code, errs)
		}
	})
}

func TestHL7Parse(t *testing.T) {
	t.Run("ADT A28", func(t *testing.T) {
		code, out, errs := runCLI(t, "hl7", "parse", filepath.Join("..", "..", "interfaces", "testdata", "adt_a28.hl7"))
		if code != 0 {
			t.Fatalf("exit %d; want 0\nstderr: %s", code, errs)
		}
		for _, want := range []string{
			"MSH-9 " + hl7.FieldName("MSH", 9),
			"MSH-10 " + hl7.FieldName("MSH", 10) + `: "SYN0001"`,
			"PID-3 " + hl7.FieldName("PID", 3),
			`"9990000018"`,
			"PID-5 " + hl7.FieldName("PID", 5),
			`"SMITH"`,
			"PID-7 " + hl7.FieldName("PID", 7) + `: "19800101"`,
		} {
			if !strings.Contains(out, want) {
				t.Errorf("output does not contain %q:\n%s", want, out)
			}
		}
		if hl7.FieldName("PID", 3) == "" {
			t.Errorf("hl7.FieldName(PID, 3) is empty")
		}
	})

	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bad := []struct {
		name, file, want string
	}{
		{"not HL7", write("notes.txt", "Dear colleague,\nplease find the patient's details below.\n"), "MSH"},
		{"empty", write("empty.hl7", ""), "no HL7 messages"},
		{"missing", filepath.Join(dir, "nosuch.hl7"), "no such file"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := runCLI(t, "hl7", "parse", tc.file)
			if code != 1 {
				t.Errorf("exit %d; want 1", code)
			}
			if !strings.Contains(errs, tc.file) || !strings.Contains(errs, tc.want) {
				t.Errorf("stderr %q; want it to name %s and say %q", errs, tc.file, tc.want)
			}
		})
	}
}

// TestHL7Send sends files with `crs hl7 send` to the MLLP listener of a
// real engine on SQLite.
func TestHL7Send(t *testing.T) {
	ctx := context.Background()
	db := storetest.OpenSQLite(t, nil)
	tr := storetest.NewTrust(t, db, "RXX")
	e := hl7Engine(db, nil)
	t.Cleanup(func() { e.Close() })
	if err := e.AddInterface(ctx, tr.System, &crs.Interface{Name: "PAS", SendingApplication: "PAS", SendingFacility: "RXX", UserID: tr.Users[crs.RoleInterface].ID}); err != nil {
		t.Fatal(err)
	}
	addr, err := e.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a28 := filepath.Join("..", "..", "interfaces", "testdata", "adt_a28.hl7")

	t.Run("accepted", func(t *testing.T) {
		code, out, errs := runCLI(t, "hl7", "send", a28, "--to", addr.String())
		if code != 0 {
			t.Fatalf("exit %d; want 0\nstdout: %s\nstderr: %s", code, out, errs)
		}
		if !regexp.MustCompile(`(?m)^ok +` + regexp.QuoteMeta(a28) + ` message 1 \(MSH-10 SYN0001, ADT\^A28\): AA`).MatchString(out) {
			t.Errorf("stdout does not say message 1 was accepted:\n%s", out)
		}
		if !strings.Contains(out, "1 sent, 1 accepted, 0 failed") {
			t.Errorf("stdout has no summary:\n%s", out)
		}
		p, err := store.NewPatientService(db).FindPatientByIdentifier(ctx, tr.Actor(crs.RoleClerk), "nhs", "9990000018")
		if err != nil {
			t.Fatalf("the patient the message registers: %v", err)
		}
		if p.FamilyName != "SMITH" {
			t.Errorf("patient family name %q; want SMITH", p.FamilyName)
		}
	})

	t.Run("flags before files", func(t *testing.T) {
		code, out, errs := runCLI(t, "hl7", "send", "--to", addr.String(), "--timeout", "10s", a28)
		if code != 0 || !strings.Contains(out, "1 sent, 1 accepted, 0 failed") {
			t.Errorf("exit %d; want 0 and the message accepted\nstdout: %s\nstderr: %s", code, out, errs)
		}
	})

	t.Run("unknown sender", func(t *testing.T) {
		raw, err := os.ReadFile(a28)
		if err != nil {
			t.Fatal(err)
		}
		lab := filepath.Join(t.TempDir(), "lab.hl7")
		msg := bytes.Replace(raw, []byte("|PAS|RXX|"), []byte("|LAB|ZZZ|"), 1)
		msg = bytes.Replace(msg, []byte("SYN0001"), []byte("LAB0001"), 1)
		if err := os.WriteFile(lab, msg, 0o600); err != nil {
			t.Fatal(err)
		}
		code, out, errs := runCLI(t, "hl7", "send", lab, "--to", addr.String())
		if code != 1 {
			t.Errorf("exit %d; want 1", code)
		}
		want := regexp.MustCompile(`(?m)^FAIL ` + regexp.QuoteMeta(lab) + ` message 1 \(MSH-10 LAB0001, ADT\^A28\): AR .*unknown sender.*"LAB".*"ZZZ"`)
		if !want.MatchString(out) {
			t.Errorf("stdout does not say the message was rejected and why:\n%s", out)
		}
		if !strings.Contains(out, "1 sent, 0 accepted, 1 failed") {
			t.Errorf("stdout has no summary:\n%s", out)
		}
		if !strings.Contains(errs, "1 of 1 messages were not accepted") {
			t.Errorf("stderr %q; want the count of messages not accepted", errs)
		}
	})

	t.Run("nothing to send", func(t *testing.T) {
		empty := filepath.Join(t.TempDir(), "empty.hl7")
		if err := os.WriteFile(empty, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		code, _, errs := runCLI(t, "hl7", "send", empty, "--to", addr.String())
		if code != 1 || !strings.Contains(errs, empty) {
			t.Errorf("exit %d, stderr %q; want 1 and the file named", code, errs)
		}
	})

	t.Run("no listener", func(t *testing.T) {
		code, out, _ := runCLI(t, "hl7", "send", a28, "--to", freeAddr(t), "--timeout", "2s")
		if code != 1 || !strings.Contains(out, "FAIL ") {
			t.Errorf("exit %d; want 1 and FAIL\nstdout: %s", code, out)
		}
	})
}

// freeAddr returns an address on 127.0.0.1 that nothing listens on at
// the time of asking.
func freeAddr(t *testing.T) string {
	t.Helper()
	e := hl7Engine(storetest.OpenSQLite(t, nil), nil)
	addr, err := e.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.Close()
	return addr.String()
}

// syncBuffer is an output a running command writes to while the test
// reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// running is crs running in-process until stop.
type running struct {
	stdout, stderr *syncBuffer
	cancel         context.CancelFunc
	done           chan struct{} // closed when run has returned code
	code           int
}

func start(t *testing.T, args ...string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.code = run(ctx, args, r.stdout, r.stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(30 * time.Second):
			t.Errorf("crs %s did not stop", strings.Join(args, " "))
		}
	})
	return r
}

// waitFor waits until stdout matches re and returns the submatches.
func (r *running) waitFor(t *testing.T, re string, timeout time.Duration) []string {
	t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(timeout)
	for {
		if m := rx.FindStringSubmatch(r.stdout.String()); m != nil {
			return m
		}
		select {
		case <-r.done:
			t.Fatalf("crs exited %d before printing %s\nstdout: %s\nstderr: %s", r.code, re, r.stdout, r.stderr)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("crs did not print %s within %v\nstdout: %s\nstderr: %s", re, timeout, r.stdout, r.stderr)
		}
	}
}

// stop cancels the context, as SIGINT does, and checks that run returns
// 0 promptly.
func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case <-r.done:
		if r.code != 0 {
			t.Errorf("crs exited %d after its context was cancelled; want 0\nstderr: %s", r.code, r.stderr)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("crs did not return within 15s of its context being cancelled")
	}
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return resp, string(b)
}

func TestServe(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server")
	}
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "x.db")
	if code, out, errs := runCLI(t, "trust", "add", "--db", dsn, "--ods", "RXX", "--name", "Riverside Hospitals NHS Trust"); code != 0 {
		t.Fatalf("crs trust add: exit %d\n%s%s", code, out, errs)
	}
	r := start(t, "serve", "--db", dsn, "--http", "127.0.0.1:0", "--mllp", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0", "--log-level", "warn",
		"--fhir-base", "https://api.example.nhs.uk/clinical/R4/")
	base := r.waitFor(t, `OpenCRS is running at (http://127\.0\.0\.1:\d+)/\n`, 30*time.Second)[1]
	mllpAddr := r.waitFor(t, `HL7 v2 over MLLP on (127\.0\.0\.1:\d+)\n`, 5*time.Second)[1]
	metricsBase := r.waitFor(t, `Metrics for Prometheus at (http://127\.0\.0\.1:\d+)/metrics\n`, 5*time.Second)[1]
	c := &http.Client{Timeout: 10 * time.Second}

	resp, body := get(t, c, base+"/healthz")
	if resp.StatusCode != 200 || body != "ok" {
		t.Errorf("GET /healthz: %d %q; want 200 ok", resp.StatusCode, body)
	}

	// The FHIR API names the base the gateway in front serves it at.
	if resp, body := get(t, c, base+"/fhir/.well-known/smart-configuration"); resp.StatusCode != 200 || !strings.Contains(body, `"token_endpoint":"https://api.example.nhs.uk/clinical/R4/token"`) {
		t.Errorf("GET /fhir/.well-known/smart-configuration: %d %s; want the token endpoint under --fhir-base", resp.StatusCode, body)
	}

	// A message on the MLLP listener from a sender no interface is
	// configured for: answered AR and counted.
	mc := &mllp.Client{Addr: mllpAddr, Timeout: 10 * time.Second}
	defer mc.Close()
	reply, err := mc.Send(context.Background(), []byte("MSH|^~\\&|LAB|ZZZ|OPENCRS|RXX|20260302090000||ADT^A28^ADT_A05|S1|P|2.4\rEVN|A28\rPID|1||X1^^^RXX^MR||DOE^JO\r"))
	if err != nil {
		t.Fatalf("MLLP send: %v", err)
	}
	if ack, err := hl7.ParseACK(reply); err != nil || ack.Code != hl7.AR || ack.ControlID != "S1" {
		t.Errorf("ACK %q (%v); want AR for S1", reply, err)
	}

	if resp, _ := get(t, c, base+"/metrics"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /metrics on the main address: %d; want 404 (served on --metrics-addr alone)", resp.StatusCode)
	}
	resp, body = get(t, c, metricsBase+"/metrics")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Errorf("GET /metrics: %d, Content-Type %q; want 200 and the Prometheus text format", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		"# TYPE crs_hl7_messages_in_total counter\n",
		`crs_hl7_messages_in_total{type="ADT^A28",outcome="AR"} 1` + "\n",
		"# TYPE crs_hl7_ack_latency_seconds histogram\n",
		`crs_hl7_ack_latency_seconds_count{direction="in"} 1` + "\n",
		"# TYPE crs_hl7_queue_depth gauge\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("GET /metrics does not contain %q:\n%s", want, body)
		}
	}
	r.stop(t)
	if _, err := c.Get(base + "/healthz"); err == nil {
		t.Errorf("GET /healthz answered after shutdown")
	}
}

// TestDemo runs `crs demo` twice on one folder: the first run makes the
// data and a printed user can log in; the second reuses it.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds and starts the demo")
	}
	dir := t.TempDir()
	args := []string{"demo", "--data", dir, "--http", "127.0.0.1:0", "--mllp", "127.0.0.1:0", "--patients", "200", "--log-level", "warn"}

	r := start(t, args...)
	base := r.waitFor(t, `OpenCRS demo is running at (http://127\.0\.0\.1:\d+)/ `, 5*time.Minute)[1]
	out := r.stdout.String()
	password := regexp.MustCompile(`Every demo user's password is "([^"]+)"`).FindStringSubmatch(out)
	if password == nil {
		t.Fatalf("the demo did not print the password:\n%s", out)
	}
	trusts := regexp.MustCompile(`(?m)^(.+) \((\w+)\), (created|already there): \d+ locations, (\d+) patients(.*)$`).FindAllStringSubmatch(out, -1)
	if len(trusts) != 2 {
		t.Fatalf("the demo reported %d trusts; want 2:\n%s", len(trusts), out)
	}
	for _, tr := range trusts {
		if tr[3] != "created" || tr[4] != "200" || !strings.Contains(tr[5], "200 added") {
			t.Errorf("first run: %q; want the trust created with 200 patients added", tr[0])
		}
	}
	users := regexp.MustCompile(`(?m)^  (\S+) +(\S.*)$`).FindAllStringSubmatch(out, -1)
	if len(users) < 2 {
		t.Fatalf("the demo listed %d users:\n%s", len(users), out)
	}
	user, role := users[0][1], users[0][2]

	c := newBrowser(t)
	if code := login(t, c, base, user, "wrong-password"); code != http.StatusUnauthorized {
		t.Errorf("log in as %s with a wrong password: status %d; want 401", user, code)
	}
	if code := login(t, c, base, user, password[1]); code != http.StatusOK {
		t.Fatalf("log in as %s: status %d; want 200", user, code)
	}
	resp, body := get(t, c, base+"/")
	if resp.StatusCode != 200 || resp.Request.URL.Path == "/login" {
		t.Errorf("GET / after logging in: %d at %s; want a page of the app", resp.StatusCode, resp.Request.URL)
	}
	if !strings.Contains(body, "Logged in as ") || !strings.Contains(body, "("+html.EscapeString(role)+")") || !strings.Contains(body, `action="/logout"`) {
		t.Errorf("GET / after logging in as %s does not show them logged in as %s:\n%.3000s", user, role, body)
	}
	r.stop(t)

	// Again on the same folder: nothing made twice.
	r = start(t, args...)
	base = r.waitFor(t, `OpenCRS demo is running at (http://127\.0\.0\.1:\d+)/ `, 2*time.Minute)[1]
	out = r.stdout.String()
	trusts = regexp.MustCompile(`(?m)^(.+) \((\w+)\), (created|already there): \d+ locations, (\d+) patients(.*)$`).FindAllStringSubmatch(out, -1)
	if len(trusts) != 2 {
		t.Fatalf("the second run reported %d trusts; want 2:\n%s", len(trusts), out)
	}
	for _, tr := range trusts {
		if tr[3] != "already there" || tr[4] != "200" || tr[5] != "" {
			t.Errorf("second run: %q; want the trust already there with its 200 patients and none added", tr[0])
		}
	}
	// The printed token takes a Synthea-like patient over FHIR, its
	// Condition coded with a SNOMED CT concept the demo's sample of 55
	// lacks (428251008 History of appendectomy): the sample is not a
	// release to hold codes to.
	token := regexp.MustCompile(`Authorization: Bearer (\S+)'`).FindStringSubmatch(out)
	if token == nil {
		t.Fatalf("the demo printed no FHIR token:\n%s", out)
	}
	bundle := `{"resourceType":"Bundle","type":"transaction","entry":[
 {"fullUrl":"urn:uuid:6f1c2a3e-0000-4000-8000-000000000001","resource":{"resourceType":"Patient","name":[{"family":"Heller342","given":["Shanelle829"]}],"gender":"female","birthDate":"1961-02-14"},"request":{"method":"POST","url":"Patient"}},
 {"fullUrl":"urn:uuid:6f1c2a3e-0000-4000-8000-000000000002","resource":{"resourceType":"Condition","subject":{"reference":"urn:uuid:6f1c2a3e-0000-4000-8000-000000000001"},
  "code":{"coding":[{"system":"http://snomed.info/sct","code":"428251008","display":"History of appendectomy"}]}},"request":{"method":"POST","url":"Condition"}}]}`
	req, _ := http.NewRequest("POST", base+"/fhir", strings.NewReader(bundle))
	req.Header.Set("Authorization", "Bearer "+token[1])
	req.Header.Set("Content-Type", "application/fhir+json")
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Error(err)
	} else {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || strings.Count(string(b), `"status":"201 Created"`) != 2 {
			t.Errorf("a transaction with a concept outside the sample: %d %s, want both entries created", resp.StatusCode, b)
		}
	}
	// The terminology operations answer from the sample all the same:
	// diabetes mellitus (73211009) subsumes type 2 (44054006), and the
	// sample's reference set of allergic reactions expands.
	for _, tc := range []struct{ path, want string }{
		{"/fhir/CodeSystem/$subsumes?system=http://snomed.info/sct&codeA=73211009&codeB=44054006", `"valueCode":"subsumes"`},
		{"/fhir/ValueSet/$expand?url=http://snomed.info/sct%3Ffhir_vs%3Drefset/19999999103", `"total":6`},
	} {
		req, _ := http.NewRequest("GET", base+tc.path, nil)
		req.Header.Set("Authorization", "Bearer "+token[1])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), tc.want) {
			t.Errorf("GET %s: %d %s, want %s", tc.path, resp.StatusCode, b, tc.want)
		}
	}
	r.stop(t)
}

// newBrowser returns an HTTP client that keeps cookies.
func newBrowser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 30 * time.Second}
}

// login fills in the login form as a browser would and returns the
// status of the page it ends on.
func login(t *testing.T, c *http.Client, base, user, password string) int {
	t.Helper()
	resp, body := get(t, c, base+"/login")
	if resp.StatusCode != 200 {
		t.Fatalf("GET /login: status %d", resp.StatusCode)
	}
	m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the login form has no csrf_token:\n%s", body)
	}
	form := url.Values{"username": {user}, "password": {password}, "csrf_token": {m[1]}, "next": {""}}
	resp, err := c.PostForm(base+"/login", form)
	if err != nil {
		t.Fatalf("POST /login: %v", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode == http.StatusOK && resp.Request.URL.Path == "/login" {
		t.Fatalf("POST /login ended on the login page with status 200")
	}
	return resp.StatusCode
}
