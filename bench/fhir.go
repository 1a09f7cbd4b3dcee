package bench

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
)

// FHIROptions says what `crs bench fhir` measures.
type FHIROptions struct {
	// Patients is how many Patient+Observation transactions to post (the
	// transaction figure, and the patients the reads choose among);
	// 5,000 if 0.
	Patients int
	// Reads is how many single-patient reads to time at each number of
	// clients; 20,000 if 0.
	Reads int
	// Clients lists the numbers of concurrent HTTP clients the reads are
	// timed at; 1, 16 and 64 if empty.
	Clients []int
	// Searches is how many token searches and $everything calls to time;
	// 2,000 if 0.
	Searches int
	// Synthea is a folder of Synthea transaction Bundles (*.json.gz) to
	// ingest; "" or a missing folder skips the ingest.
	Synthea string
	// Dir and DSN name the database as for HL7Options.
	Dir, DSN string
	// CPUProfile, when set, is a file the CPU profile of the timed reads
	// is written to; the profiles of the transactions, the searches and
	// the ingest go beside it, named with .transaction, .search and
	// .ingest added.
	CPUProfile string
	// Trace, when set, is a file the execution trace of the timed reads
	// is written to (`go tool trace`): where a slow read waited.
	Trace string
	// MutexProfile and BlockProfile, when set, are files the mutex
	// contention and blocking profiles of the timed reads are written to.
	MutexProfile, BlockProfile string
}

// FHIRFigure is one measured figure: how many operations a second and
// their latency.
type FHIRFigure struct {
	Name     string
	Clients  int
	N        int
	PerSec   float64
	P50, P99 time.Duration
	// WireP50 and WireP99 are the latency from a request written to the
	// last bytes of its answer in the client's socket (the kernel's
	// receive timestamp), without the client's own wait to be scheduled
	// and read them; zero where the kernel gives no timestamps.
	WireP50, WireP99 time.Duration
	// Max is the slowest call.
	Max time.Duration
	// CPU is the process's CPU time (user and system, client and server
	// together) per call over the run.
	CPU time.Duration
}

// FHIR measures the FHIR API over real HTTP on loopback against an
// in-process server on a fresh database: Patient+Observation
// transactions, single-patient reads at each number of clients, token
// searches with _count=20, Patient/$everything, and the ingest of
// Synthea Bundles. Every request carries a SMART bearer token checked as
// in production, and every read is access-checked and audited.
func FHIR(ctx context.Context, w io.Writer, o FHIROptions) ([]FHIRFigure, error) {
	if o.Patients <= 0 {
		o.Patients = 5000
	}
	if o.Reads <= 0 {
		o.Reads = 20000
	}
	if len(o.Clients) == 0 {
		o.Clients = []int{1, 16, 64}
	}
	if o.Searches <= 0 {
		o.Searches = 2000
	}
	bdb, engine, err := openBenchDB(ctx, HL7Options{DSN: o.DSN, Dir: o.Dir})
	if err != nil {
		return nil, err
	}
	defer bdb.Close()
	db := bdb.DB
	org := &crs.Organisation{ODSCode: "RXX", Name: "Bench Trust"}
	if err := store.NewOrganisationService(db).CreateOrganisation(ctx, crs.SystemActor(""), org); err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		return nil, err
	}
	client := &crs.APIClient{Name: "bench", Scopes: "system/*.*", JWKS: fhir.ECJWKS(&key.PublicKey, "bench")}
	if err := db.Write(ctx, crs.SystemActor(org.ID), crs.ActAdministerSettings, func(tx crs.Tx) error { return tx.InsertAPIClient(client) }); err != nil {
		return nil, err
	}
	smart := &fhir.SMART{Store: db, Clients: store.NewAPIClientService(db)}
	token, _, err := smart.MintToken(ctx, client, "system/*.*", "", 24*time.Hour)
	if err != nil {
		return nil, err
	}
	// Patient is served from the patient index and the PAS's records as
	// the typed core, as crs serve wires them.
	srv := &fhir.Server{Store: db, Resources: store.NewResourceService(db), Auth: smart, Exports: store.NewExportService(db), Audit: store.NewAuditService(db),
		Patients: store.NewPatientService(db), Core: &fhir.Core{Referrals: store.NewReferralService(db), Inpatients: store.NewInpatientService(db),
			ED: store.NewEDService(db), Outpatients: store.NewOutpatientService(db), Orgs: store.NewOrganisationService(db)}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	hs := &http.Server{Handler: srv.Handler()}
	go hs.Serve(ln)
	defer hs.Close()
	defer srv.Close()
	maxClients := 64
	for _, c := range o.Clients {
		maxClients = max(maxClients, c)
	}
	b := newFHIRBench(ln.Addr().String(), token, maxClients*2)
	defer b.close()

	fmt.Fprintf(w, "FHIR API over HTTP on loopback, %s, %d CPUs, SMART token on every request, reads audited\n", engine, runtime.NumCPU())
	fmt.Fprintf(w, "%-36s %7s %8s %10s %10s %10s %10s %10s\n", "", "clients", "n", "per s", "p50", "p99", "max", "cpu/op")
	var figs []FHIRFigure
	report := func(f FHIRFigure) {
		figs = append(figs, f)
		fmt.Fprintf(w, "%-36s %7d %8d %10.0f %10s %10s %10s %10s\n", f.Name, f.Clients, f.N, f.PerSec, f.P50.Round(time.Microsecond), f.P99.Round(time.Microsecond),
			f.Max.Round(time.Microsecond), f.CPU.Round(time.Microsecond/10))
		if f.WireP99 > 0 {
			fmt.Fprintf(w, "%-36s %7s %8s %10s %10s %10s\n", "  in the client's socket", "", "", "", f.WireP50.Round(time.Microsecond), f.WireP99.Round(time.Microsecond))
		}
	}

	// Patient+Observation transactions.
	patients := make([]string, o.Patients)
	stop, err := profile(o.CPUProfile, ".transaction")
	if err != nil {
		return nil, err
	}
	// Where the writes' time went on SQLite's write path, printed after
	// the figures: the transactions' and the ingest's commands.
	var writes WriteTimes
	timeWrites := func(phase crs.Activity) {
		db.TimeWrites(func(t store.WriteTiming) { t.Activity = phase; writes.Add(t) })
	}
	timeWrites("transactions")
	defer writes.Print(w)
	f, err := b.measure(ctx, "Patient+Observation transaction", 16, o.Patients, func(i int) (time.Duration, error) {
		body := fmt.Sprintf(`{"resourceType":"Bundle","type":"transaction","entry":[`+
			`{"fullUrl":"urn:uuid:p","resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"%s"}],"name":[{"family":"Bench%d","given":["Ann"]}],"gender":"female","birthDate":"1970-05-01"},"request":{"method":"POST","url":"Patient"}},`+
			`{"resource":{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}]},"subject":{"reference":"urn:uuid:p"},"effectiveDateTime":"2024-03-01T10:00:00Z","valueQuantity":{"value":%d,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}},"request":{"method":"POST","url":"Observation"}}]}`,
			benchNHSNumber(i), i, 60+i%40)
		resp, err := b.do("POST", "/", body)
		if err != nil {
			return 0, err
		}
		var r struct {
			Entry []struct{ Response struct{ Location string } }
		}
		if err := json.Unmarshal(resp, &r); err != nil || len(r.Entry) != 2 {
			return 0, fmt.Errorf("transaction %d answered %.300s", i, resp)
		}
		patients[i] = strings.Split(r.Entry[0].Response.Location, "/")[1]
		return 0, nil
	})
	stop()
	db.TimeWrites(nil)
	if err != nil {
		return nil, err
	}
	report(f)

	// Single-patient reads.
	if stop, err = profile(o.CPUProfile, ""); err != nil {
		return nil, err
	}
	stopWaits, err := waitProfiles(o.Trace, o.MutexProfile, o.BlockProfile)
	if err != nil {
		stop()
		return nil, err
	}
	for _, c := range o.Clients {
		f, err := b.measure(ctx, "read Patient/[id]", c, o.Reads, func(i int) (time.Duration, error) {
			return b.send("GET", "/Patient/"+patients[(i*7919)%len(patients)], "", nil)
		})
		if err != nil {
			return nil, err
		}
		report(f)
	}
	stop()
	if err := stopWaits(); err != nil {
		return nil, err
	}

	// Token searches, one page of 20.
	if stop, err = profile(o.CPUProfile, ".search"); err != nil {
		return nil, err
	}
	f, err = b.measure(ctx, "search Observation?code=...&_count=20", 16, o.Searches, func(i int) (time.Duration, error) {
		return b.send("GET", "/Observation?code=http://loinc.org|8867-4&_count=20", "", nil)
	})
	if err != nil {
		return nil, err
	}
	report(f)
	f, err = b.measure(ctx, "search Patient?identifier=nhs|...", 16, o.Searches, func(i int) (time.Duration, error) {
		return b.send("GET", "/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|"+benchNHSNumber((i*7919)%o.Patients), "", nil)
	})
	if err != nil {
		return nil, err
	}
	report(f)
	f, err = b.measure(ctx, "Patient/[id]/$everything", 16, o.Searches, func(i int) (time.Duration, error) {
		return b.send("GET", "/Patient/"+patients[(i*7919)%len(patients)]+"/$everything", "", nil)
	})
	if err != nil {
		return nil, err
	}
	report(f)
	stop()

	// Synthea ingest.
	files, _ := filepath.Glob(filepath.Join(o.Synthea, "*.json.gz"))
	if o.Synthea == "" || len(files) == 0 {
		fmt.Fprintf(w, "Synthea ingest skipped: no Bundles in %q (--synthea)\n", o.Synthea)
		return figs, nil
	}
	bundles := make([][]byte, len(files))
	resources := 0
	for i, file := range files {
		if bundles[i], err = gunzipFile(file); err != nil {
			return nil, err
		}
		resources += bytes.Count(bundles[i], []byte(`"request"`))
	}
	if stop, err = profile(o.CPUProfile, ".ingest"); err != nil {
		return nil, err
	}
	t0 := time.Now()
	timeWrites("Synthea ingest")
	defer db.TimeWrites(nil)
	f, err = b.measure(ctx, "Synthea Bundles ingested", 4, len(bundles), func(i int) (time.Duration, error) {
		return b.send("POST", "/", string(bundles[i]), nil)
	})
	stop()
	if err != nil {
		return nil, err
	}
	report(f)
	rate := float64(resources) / time.Since(t0).Seconds()
	fmt.Fprintf(w, "Synthea ingest: %d Bundles, %d resources, %.0f resources/s\n", len(bundles), resources, rate)
	figs = append(figs, FHIRFigure{Name: "Synthea resources ingested", Clients: 4, N: resources, PerSec: rate})
	return figs, nil
}

// profile starts a CPU profile written to file+suffix, and returns the
// function that stops it; with no file it profiles nothing.
func profile(file, suffix string) (stop func(), err error) {
	if file == "" {
		return func() {}, nil
	}
	pf, err := os.Create(file + suffix)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(pf); err != nil {
		pf.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); pf.Close() }, nil
}

// waitProfiles starts what is asked to be recorded of the timed work
// beside its CPU profile, into the files named (none when ""): an
// execution trace (where each goroutine ran and waited), and the mutex
// contention and blocking profiles. The function it returns stops them
// and writes the files.
func waitProfiles(traceFile, mutexFile, blockFile string) (stop func() error, err error) {
	var tf *os.File
	if traceFile != "" {
		if tf, err = os.Create(traceFile); err != nil {
			return nil, err
		}
		if err := trace.Start(tf); err != nil {
			tf.Close()
			return nil, err
		}
	}
	if mutexFile != "" {
		runtime.SetMutexProfileFraction(1)
	}
	if blockFile != "" {
		// One sample per 10 us spent blocked, on average.
		runtime.SetBlockProfileRate(10000)
	}
	return func() error {
		var errs []error
		if tf != nil {
			trace.Stop()
			errs = append(errs, tf.Close())
		}
		for _, p := range []struct{ file, name string }{{mutexFile, "mutex"}, {blockFile, "block"}} {
			if p.file == "" {
				continue
			}
			f, err := os.Create(p.file)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			errs = append(errs, pprof.Lookup(p.name).WriteTo(f, 0), f.Close())
		}
		runtime.SetMutexProfileFraction(0)
		runtime.SetBlockProfileRate(0)
		return errors.Join(errs...)
	}, nil
}

// fhirBench is the HTTP client side of the FHIR benchmark. It speaks
// HTTP/1.1 over kept-alive TCP connections of its own, one request at a
// time on each, writing each request with one Write and reading each
// answer with readAnswer: the client's CPU is counted in the reads'
// profile, and net/http's Transport spends two goroutines and their
// hand-offs on every request.
type fhirBench struct {
	// host is the server's address; path the API's base path (/fhir).
	host, path string
	// head ends every request's header: the Host and the bearer token.
	head string
	// idle holds the connections not in use.
	idle chan *benchConn
}

// newFHIRBench returns the client of the API at addr, sending token.
func newFHIRBench(addr, token string, conns int) *fhirBench {
	return &fhirBench{host: addr, path: "/fhir", head: "Host: " + addr + "\r\nAuthorization: Bearer " + token + "\r\n",
		idle: make(chan *benchConn, conns)}
}

// benchConn is one kept-alive connection and its buffers.
type benchConn struct {
	c net.Conn
	r *bufio.Reader
	// wire reads c with the kernel's receive timestamps, nil where there
	// are none.
	wire *wireReader
	req  []byte
	body bytes.Buffer
}

// conn takes an idle connection, or dials one.
func (b *fhirBench) conn() (*benchConn, error) {
	select {
	case c := <-b.idle:
		return c, nil
	default:
	}
	c, err := net.Dial("tcp", b.host)
	if err != nil {
		return nil, err
	}
	if w, ok := newWireReader(c); ok {
		return &benchConn{c: c, r: bufio.NewReaderSize(w, 16<<10), wire: w}, nil
	}
	return &benchConn{c: c, r: bufio.NewReaderSize(c, 16<<10)}, nil
}

// put keeps a connection for the next request, or closes it.
func (b *fhirBench) put(c *benchConn) {
	select {
	case b.idle <- c:
	default:
		c.c.Close()
	}
}

// close closes the idle connections.
func (b *fhirBench) close() {
	for {
		select {
		case c := <-b.idle:
			c.c.Close()
		default:
			return
		}
	}
}

// do sends one request and returns (a copy of) the body of a 2xx answer.
func (b *fhirBench) do(method, path, body string) ([]byte, error) {
	var out []byte
	_, err := b.send(method, path, body, func(p []byte) { out = bytes.Clone(p) })
	return out, err
}

// send sends one request and hands the body of a 2xx answer to read,
// which must not keep it. Any other answer is an error that quotes it.
// It returns the time from the request written to the last bytes of the
// answer in the socket (0 where the kernel gives no timestamps).
func (b *fhirBench) send(method, path, body string, read func([]byte)) (wire time.Duration, err error) {
	c, err := b.conn()
	if err != nil {
		return 0, err
	}
	u := b.path + path
	if path == "/" {
		u = b.path
	}
	q := append(c.req[:0], method...)
	q = append(q, ' ')
	q = append(q, u...)
	q = append(q, " HTTP/1.1\r\n"...)
	q = append(q, b.head...)
	if body != "" {
		q = append(q, "Content-Type: "+fhir.ContentType+"\r\nContent-Length: "...)
		q = strconv.AppendInt(q, int64(len(body)), 10)
		q = append(q, "\r\n"...)
	}
	q = append(q, "\r\n"...)
	q = append(q, body...)
	c.req = q
	sent := time.Now()
	if _, err := c.c.Write(q); err != nil {
		c.c.Close()
		return 0, err
	}
	status, closeAfter, err := readAnswer(c.r, &c.body)
	if c.wire != nil && err == nil {
		// The kernel's clock is the wall clock: sent's too, read without
		// its monotonic reading.
		if at := c.wire.arrived(); at.After(sent.Round(0)) {
			wire = at.Sub(sent.Round(0))
		}
	}
	if err != nil || closeAfter {
		c.c.Close()
	} else {
		// Back to the pool once the answer's body has been read: the next
		// request on the connection reuses its buffer.
		defer b.put(c)
	}
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if status/100 != 2 {
		return 0, fmt.Errorf("%s %s: HTTP %d: %.500s", method, path, status, c.body.Bytes())
	}
	if read != nil {
		read(c.body.Bytes())
	}
	return wire, nil
}

// measure runs n calls of fn over clients goroutines and times each; fn
// returns the call's latency in the socket (send's), or 0.
func (b *fhirBench) measure(ctx context.Context, name string, clients, n int, fn func(i int) (time.Duration, error)) (FHIRFigure, error) {
	lat, wire := make([]time.Duration, n), make([]time.Duration, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	start, cpu0 := time.Now(), processCPU()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				w, err := fn(i)
				if err != nil {
					once.Do(func() { firstErr = err })
					next.Store(int64(n))
					return
				}
				lat[i], wire[i] = time.Since(t0), w
			}
		}()
	}
	wg.Wait()
	elapsed, cpu := time.Since(start), processCPU()-cpu0
	if firstErr != nil {
		return FHIRFigure{}, fmt.Errorf("%s: %w", name, firstErr)
	}
	if err := ctx.Err(); err != nil {
		return FHIRFigure{}, err
	}
	slices.Sort(lat)
	f := FHIRFigure{Name: name, Clients: clients, N: n, PerSec: float64(n) / elapsed.Seconds(),
		P50: journeyPercentile(lat, 50), P99: journeyPercentile(lat, 99), Max: lat[n-1], CPU: cpu / time.Duration(n)}
	// The figure in the socket only when every call had one.
	if !slices.Contains(wire, 0) {
		slices.Sort(wire)
		f.WireP50, f.WireP99 = journeyPercentile(wire, 50), journeyPercentile(wire, 99)
	}
	return f, nil
}

// benchNHSNumber is the i-th NHS number of the 999 test range with a
// valid Modulus 11 check digit.
func benchNHSNumber(i int) string {
	for n := 999000000 + i*11; ; n++ {
		s := fmt.Sprintf("%09d", n)
		sum := 0
		for k := 0; k < 9; k++ {
			sum += int(s[k]-'0') * (10 - k)
		}
		check := 11 - sum%11
		if check == 11 {
			check = 0
		}
		if check != 10 {
			return s + fmt.Sprint(check)
		}
	}
}

func gunzipFile(file string) ([]byte, error) {
	fh, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	z, err := gzip.NewReader(fh)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return io.ReadAll(z)
}
