package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/opencrs/crs"
)

// DayTrust is a running OpenCRS with a demo trust to drive, as `crs bench
// day` hands it over: where it listens, who may log in, and the records
// its staff work on. The bench reaches it only over HTTP and MLLP, as
// browsers and a PAS do.
type DayTrust struct {
	BaseURL  string // the web server, e.g. http://127.0.0.1:41234
	MLLPAddr string // the MLLP listener, host:port
	ODSCode  string // the trust's ODS code: MSH-4 of the feed, its hospital numbers' assigner
	// SendingApplication is MSH-3 of the inbound interface that accepts
	// the feed ("PAS" for the demo trust).
	SendingApplication string

	Staff []DayStaff
	// Patients are registered patients, none of them an inpatient, that
	// staff search for, open and admit.
	Patients []DayPatient
	// ToBook are referrals on the to-book worklist; ToOutcome are
	// attended appointments whose outcome is not yet recorded; Spells are
	// inpatients' spells. Each is worked by one member of staff only.
	ToBook, ToOutcome, Spells []string
	// Services are the trust's outpatient services a new referral can go
	// to.
	Services []DayService
	// Wards are the ward codes the feed admits to and transfers between.
	Wards []string
	// NHSSeed and NHSUsed say where the feed's NHS numbers come from: a
	// demo.Generator of NHSSeed, after the first NHSUsed numbers it gives
	// (those the trust's patients already hold).
	NHSSeed int64
	NHSUsed int
}

// DayStaff is a member of staff the bench logs in as.
type DayStaff struct {
	Username, Password string
	Role               crs.Role // clerk, nurse or doctor: what they spend the day doing
}

// DayPatient is a registered patient, as staff look one up.
type DayPatient struct {
	ID, NHSNumber, FamilyName, GivenName string
}

// DayService is an outpatient service: treatment function and the
// consultant its clinics run under.
type DayService struct {
	TreatmentFunction, Consultant string
}

// DayOptions says how hard `crs bench day` drives the trust.
type DayOptions struct {
	// Duration is how long the busy hour is simulated; 60 s if 0.
	Duration time.Duration
	// Think is the mean think time between one action of a member of
	// staff and their next (exponentially distributed); 30 s if 0.
	Think time.Duration
	// FeedRate is how many inbound ADT messages a second the PAS sends,
	// on schedule whatever the server's pace; 200 if 0, none if negative.
	FeedRate float64
	// FeedConns is how many MLLP connections the feed is spread over; 8
	// if 0.
	FeedConns int
	// LoginConcurrency is how many staff log in at once before the
	// measured time; the number of CPUs if 0.
	LoginConcurrency int
	// Seed chooses the actions, patients and think times.
	Seed int64
	// FirstRound, for tests, has each member of staff first take every
	// action of their role in turn that many times, without thinking and
	// even past Duration, so every kind of page is loaded however slow
	// the machine.
	FirstRound int
	// CPUProfile, if set, is a file to write a CPU profile of the
	// measured time to (the whole process: server and simulated users).
	CPUProfile string
	// Trace, MutexProfile and BlockProfile, if set, are files to write
	// an execution trace, the mutex contention and the blocking profiles
	// of the measured time to.
	Trace, MutexProfile, BlockProfile string
	// OnMeasure, if set, is called as the measured time starts, after
	// the staff have logged in.
	OnMeasure func()
	// Header lines printed above the figures: the command, the engine,
	// the trust.
	Header []string
	// Logger is told how the run progresses; slog.Default() if nil.
	Logger *slog.Logger
}

// Day page targets: every kind of page at p95, feed ACKs at p99.
const (
	DayPageTarget = 50 * time.Millisecond
	DayFeedTarget = 20 * time.Millisecond
)

// The kinds of page the simulated staff load, as they are reported.
const (
	PageSearch      = "search"             // GET /patients, blank or submitted
	PageSearchTyped = "search as you type" // GET /patients?partial=1
	PagePatient     = "patient record"     // GET /patients/{id}
	PageReferralNew = "referral form"      // GET /patients/{id}/referrals/new
	PageReferralAdd = "record referral"    // POST /patients/{id}/referrals/new
	PageReferral    = "referral"           // GET /referrals/{id}
	PageBookForm    = "booking page"       // GET /referrals/{id}/book
	PageBook        = "book"               // POST /referrals/{id}/book
	PageAppointment = "appointment"        // GET /appointments/{id}
	PageOutcome     = "record outcome"     // POST /appointments/{id}/outcome
	PageAdmitForm   = "admit form"         // GET /patients/{id}/admit
	PageAdmit       = "admit"              // POST /patients/{id}/admit
	PageSpell       = "spell"              // GET /spells/{id}
	PageTransfer    = "transfer"           // POST /spells/{id}/transfer
	PageDischarge   = "discharge"          // POST /spells/{id}/discharge
	PageBedBoard    = "bed board"          // GET /beds: the trust's wards
	PageWardBeds    = "ward beds"          // GET /beds/{ward}: one ward's beds
)

// DayPageKinds lists the kinds of page in the order they are reported.
var DayPageKinds = []string{PageSearch, PageSearchTyped, PagePatient, PageReferralNew, PageReferralAdd, PageReferral, PageBookForm, PageBook,
	PageAppointment, PageOutcome, PageAdmitForm, PageAdmit, PageSpell, PageTransfer, PageDischarge, PageBedBoard, PageWardBeds}

// DayLatency is the time one kind of page (or the feed's ACKs) took.
type DayLatency struct {
	Kind          string
	Count         int         // answered as expected, and timed
	Errors        int         // answered with an error or not at all
	Refused       int         // forms refused because another user took the bed or slot first (then chosen again)
	Statuses      map[int]int // error answers by HTTP status (0: no answer)
	P50, P95, P99 time.Duration
	Max           time.Duration
}

// DayFeed is what the inbound feed saw.
type DayFeed struct {
	Sent          int            // messages sent
	Codes         map[string]int // ACKs by MSA-1 code (AA, AE, AR)
	Failed        int            // messages with no ACK (connection lost, time out)
	P50, P95, P99 time.Duration  // from the time each was due to be sent to its ACK
	Max           time.Duration
	Rate          float64 // messages acknowledged per second
	Errors        []string
}

// DayResult holds the figures of a day bench.
type DayResult struct {
	Staff     int
	Login     DayLatency // logging in, before the measured time
	LoginTime time.Duration
	Pages     []DayLatency // by kind, in DayPageKinds order; kinds never loaded are left out
	// PagesPerSecond and Actions are the pages loaded and the actions
	// staff started, a second, over the measured time.
	PagesPerSecond, Actions float64
	// Idle counts actions not done for want of work, by action: no
	// referral left to book is not one of them (a new one is recorded).
	Idle     map[string]int
	Feed     DayFeed
	Elapsed  time.Duration // the measured time
	ErrorLog []string      // the first few errors, for the reader
}

// errDayStop ends a member of staff's action when the bench stops.
var errDayStop = errors.New("bench stopped")

// Day logs the staff in, then for Duration lets each of them work (search,
// open records, book, record outcomes, admit, transfer, discharge) with
// a think time between actions, while a PAS feeds ADT messages over MLLP
// at FeedRate, and writes the time each kind of page took and the feed's
// ACK latency to w.
func Day(ctx context.Context, w io.Writer, t *DayTrust, o DayOptions) (*DayResult, error) {
	if o.Duration <= 0 {
		o.Duration = time.Minute
	}
	if o.Think <= 0 {
		o.Think = 30 * time.Second
	}
	if o.FeedRate == 0 {
		o.FeedRate = 200
	}
	if o.FeedConns <= 0 {
		o.FeedConns = 8
	}
	if o.LoginConcurrency <= 0 {
		o.LoginConcurrency = runtime.NumCPU()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if len(t.Staff) == 0 {
		return nil, fmt.Errorf("day bench: no staff to log in")
	}
	if len(t.Patients) == 0 {
		return nil, fmt.Errorf("day bench: no patients to work on")
	}
	d := &dayRun{trust: t, opts: o, rec: newDayRecorder(), res: &DayResult{Staff: len(t.Staff), Idle: map[string]int{}}}
	d.transport = &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: time.Minute}
	defer d.transport.CloseIdleConnections()

	users, err := d.login(ctx)
	if err != nil {
		return nil, err
	}
	d.deal(users)

	if o.CPUProfile != "" {
		f, err := os.Create(o.CPUProfile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}
	stopWaits, err := waitProfiles(o.Trace, o.MutexProfile, o.BlockProfile)
	if err != nil {
		return nil, err
	}
	if o.OnMeasure != nil {
		o.OnMeasure()
	}
	o.Logger.Info("day bench: measuring", "staff", len(users), "duration", o.Duration, "think", o.Think, "feed_rate", o.FeedRate)
	start := time.Now()
	d.end = start.Add(o.Duration)
	var wg sync.WaitGroup
	for _, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.work(ctx, u)
		}()
	}
	var feed DayFeed
	if o.FeedRate > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			feed = d.feed(ctx, start)
		}()
	}
	wg.Wait()
	if o.CPUProfile != "" {
		pprof.StopCPUProfile()
	}
	if err := stopWaits(); err != nil {
		return nil, err
	}
	res := d.res
	res.Elapsed = time.Since(start)
	res.Feed = feed
	res.Pages = d.rec.latencies()
	pages := 0
	for _, l := range res.Pages {
		pages += l.Count + l.Errors
	}
	res.PagesPerSecond = float64(pages) / o.Duration.Seconds()
	res.Actions = float64(d.actions) / o.Duration.Seconds()
	res.ErrorLog = d.rec.errorLog
	res.Print(w, o)
	return res, ctx.Err()
}

// dayRun is one run of the day bench.
type dayRun struct {
	trust     *DayTrust
	opts      DayOptions
	transport *http.Transport
	rec       *dayRecorder
	res       *DayResult
	end       time.Time // the measured time ends

	mu      sync.Mutex
	actions int
}

// dayUser is a logged-in member of staff: their browser (its own cookie
// jar), the CSRF token of the last page, and the records only they work
// on.
type dayUser struct {
	DayStaff
	client *http.Client
	csrf   string
	rng    *rand.Rand
	booked int // bookings made

	patients  []DayPatient // theirs to admit
	toBook    []string
	toOutcome []string
	spells    []string
	ward      string // the ward whose beds they look at, chosen on the trust's board
}

// login logs every member of staff in over HTTP, LoginConcurrency at a
// time (a password check is meant to be slow), timing each.
func (d *dayRun) login(ctx context.Context) ([]*dayUser, error) {
	t0 := time.Now()
	users := make([]*dayUser, len(d.trust.Staff))
	errs := make([]error, len(users))
	lat := make([]time.Duration, len(users))
	next := make(chan int)
	var wg sync.WaitGroup
	for k := 0; k < d.opts.LoginConcurrency; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				users[i], lat[i], errs[i] = d.loginOne(ctx, i)
			}
		}()
	}
	for i := range users {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	d.res.Login = DayLatency{Kind: "login", Count: len(lat), P50: journeyPercentile(lat, 50), P95: journeyPercentile(lat, 95), P99: journeyPercentile(lat, 99), Max: lat[len(lat)-1]}
	d.res.LoginTime = time.Since(t0)
	d.opts.Logger.Info("day bench: staff logged in", "staff", len(users), "elapsed", d.res.LoginTime.Round(time.Millisecond), "p95", d.res.Login.P95)
	return users, nil
}

// loginOne logs one member of staff in as a browser does: the login page
// (for its CSRF cookie and token), the form, and the page it leads to.
func (d *dayRun) loginOne(ctx context.Context, i int) (*dayUser, time.Duration, error) {
	s := d.trust.Staff[i]
	jar, _ := cookiejar.New(nil)
	u := &dayUser{DayStaff: s, rng: rand.New(rand.NewPCG(uint64(d.opts.Seed), uint64(i)+1)),
		client: &http.Client{Jar: jar, Transport: d.transport, Timeout: time.Minute,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	fail := func(what string, p *dayPage) error {
		return fmt.Errorf("log in as %s: %s answered %d: %s", s.Username, what, p.status, dayExcerpt(p.body))
	}
	p := d.fetch(ctx, u, "", "GET", "/login", nil, false)
	if p.err != nil || p.status != http.StatusOK {
		return nil, 0, errors.Join(p.err, fail("login page", p))
	}
	t0 := time.Now()
	p = d.fetch(ctx, u, "", "POST", "/login", url.Values{"username": {s.Username}, "password": {s.Password}}, false)
	lat := time.Since(t0)
	if p.err != nil || p.status != http.StatusSeeOther {
		return nil, 0, errors.Join(p.err, fail("login", p))
	}
	if p = d.fetch(ctx, u, "", "GET", p.location, nil, false); p.err != nil || p.status != http.StatusOK {
		return nil, 0, errors.Join(p.err, fail("the page after login", p))
	}
	return u, lat, nil
}

// deal shares the records to work on among the staff whose job they
// are: referrals to book among clerks, outcomes among doctors, patients
// to admit and spells among nurses (and clerks, who admit too).
func (d *dayRun) deal(users []*dayUser) {
	by := map[crs.Role][]*dayUser{}
	for _, u := range users {
		by[u.Role] = append(by[u.Role], u)
	}
	clerks, nurses, doctors := by[crs.RoleClerk], by[crs.RoleNurse], by[crs.RoleDoctor]
	if len(clerks) == 0 {
		clerks = users
	}
	if len(nurses) == 0 {
		nurses = users
	}
	if len(doctors) == 0 {
		doctors = users
	}
	for i, id := range d.trust.ToBook {
		u := clerks[i%len(clerks)]
		u.toBook = append(u.toBook, id)
	}
	for i, id := range d.trust.ToOutcome {
		u := doctors[i%len(doctors)]
		u.toOutcome = append(u.toOutcome, id)
	}
	for i, id := range d.trust.Spells {
		u := nurses[i%len(nurses)]
		u.spells = append(u.spells, id)
	}
	admitters := append(append([]*dayUser(nil), nurses...), clerks...)
	for i, p := range d.trust.Patients {
		u := admitters[i%len(admitters)]
		u.patients = append(u.patients, p)
	}
}

// The actions staff take, and how often each role takes them (weights).
const (
	actSearch    = "search"
	actRecord    = "open record"
	actBook      = "book"
	actOutcome   = "record outcome"
	actAdmit     = "admit"
	actTransfer  = "transfer"
	actDischarge = "discharge"
	actBedBoard  = "bed board"
)

type dayWeight struct {
	action string
	weight int
}

var dayMix = map[crs.Role][]dayWeight{
	crs.RoleClerk:  {{actSearch, 40}, {actRecord, 25}, {actBook, 30}, {actAdmit, 5}},
	crs.RoleNurse:  {{actSearch, 20}, {actRecord, 25}, {actBedBoard, 10}, {actAdmit, 12}, {actTransfer, 15}, {actDischarge, 18}},
	crs.RoleDoctor: {{actSearch, 25}, {actRecord, 45}, {actOutcome, 30}},
}

// work is one member of staff's busy hour: after a random start within
// the first think time, an action, then a think time drawn from an
// exponential distribution, until the measured time ends.
func (d *dayRun) work(ctx context.Context, u *dayUser) {
	mix := dayMix[u.Role]
	if mix == nil {
		mix = dayMix[crs.RoleClerk]
	}
	total := 0
	for _, m := range mix {
		total += m.weight
	}
	wait := time.Duration(u.rng.Float64() * float64(d.opts.Think))
	for done := 0; ; done++ {
		var action string
		if done < d.opts.FirstRound*len(mix) {
			// Each action of the role in turn, at once, deadline or not.
			if ctx.Err() != nil {
				return
			}
			action = mix[done%len(mix)].action
		} else {
			if !d.sleep(ctx, wait) {
				return
			}
			n := u.rng.IntN(total)
			for _, m := range mix {
				if n -= m.weight; n < 0 {
					action = m.action
					break
				}
			}
		}
		d.mu.Lock()
		d.actions++
		d.mu.Unlock()
		if err := d.act(ctx, u, action); err != nil && !errors.Is(err, errDayStop) {
			d.rec.logError(fmt.Sprintf("%s (%s): %v", action, u.Role, err))
		}
		wait = time.Duration(u.rng.ExpFloat64() * float64(d.opts.Think))
	}
}

// sleep waits for wait, and reports whether the measured time goes on
// after it.
func (d *dayRun) sleep(ctx context.Context, wait time.Duration) bool {
	if !time.Now().Add(wait).Before(d.end) {
		return false
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// act takes one action as a browser would: load the page, read its form
// (CSRF token, choices), post it, follow the redirect.
func (d *dayRun) act(ctx context.Context, u *dayUser, action string) error {
	switch action {
	case actSearch:
		return d.search(ctx, u)
	case actRecord:
		_, err := d.page(ctx, u, PagePatient, "/patients/"+d.anyPatient(u).ID)
		return err
	case actBook:
		return d.book(ctx, u)
	case actOutcome:
		return d.outcome(ctx, u)
	case actAdmit:
		return d.admit(ctx, u)
	case actTransfer, actDischarge:
		return d.moveOrDischarge(ctx, u, action)
	case actBedBoard:
		return d.bedBoard(ctx, u)
	}
	return fmt.Errorf("unknown action %q", action)
}

// anyPatient picks any of the trust's sample patients.
func (d *dayRun) anyPatient(u *dayUser) DayPatient {
	return d.trust.Patients[u.rng.IntN(len(d.trust.Patients))]
}

// search finds a patient as a clerk does at the search box: by name
// (typing the family name, then the given name, the results swapped in
// as they type) or by NHS number (pasted), then the search button, and
// half the time opens the best match.
func (d *dayRun) search(ctx context.Context, u *dayUser) error {
	p := d.anyPatient(u)
	if _, err := d.page(ctx, u, PageSearch, "/patients"); err != nil {
		return err
	}
	var typed []string
	if p.NHSNumber != "" && u.rng.IntN(2) == 0 {
		typed = []string{p.NHSNumber[:3] + " " + p.NHSNumber[3:6] + " " + p.NHSNumber[6:]}
	} else {
		fam := strings.ToLower(p.FamilyName)
		typed = []string{fam[:min(3, len(fam))], fam, fam + " " + strings.ToLower(p.GivenName)}
	}
	for _, q := range typed {
		if _, err := d.page(ctx, u, PageSearchTyped, "/patients?"+url.Values{"q": {q}, "partial": {"1"}}.Encode()); err != nil {
			return err
		}
	}
	body, err := d.page(ctx, u, PageSearch, "/patients?"+url.Values{"q": {typed[len(typed)-1]}}.Encode())
	if err != nil {
		return err
	}
	m := dayPatientLink.FindStringSubmatch(body)
	if m == nil || u.rng.IntN(2) == 0 {
		return nil
	}
	_, err = d.page(ctx, u, PagePatient, "/patients/"+m[1])
	return err
}

// book books a referral from the clerk's share of the to-book worklist
// into a free slot chosen from the booking page; the first time and
// every fourth time after, or with none left, the clerk records a new referral (a GP's letter) for a
// patient and books that.
func (d *dayRun) book(ctx context.Context, u *dayUser) error {
	var ref string
	u.booked++
	if n := len(u.toBook); n > 0 && u.booked%4 != 1 {
		ref, u.toBook = u.toBook[n-1], u.toBook[:n-1]
	} else {
		var err error
		if ref, err = d.recordReferral(ctx, u); err != nil {
			return err
		}
	}
	body, err := d.page(ctx, u, PageBookForm, "/referrals/"+ref+"/book")
	if err != nil {
		return err
	}
	pick := func(body string) string {
		slots := dayFreeSlot.FindAllStringSubmatch(body, -1)
		if len(slots) == 0 {
			return ""
		}
		return slots[u.rng.IntN(min(len(slots), 20))][1] // among the earliest, as a clerk offers them
	}
	loc, err := d.choose(ctx, u, PageBook, "/referrals/"+ref+"/book", url.Values{}, "slot", pick(body), pick)
	if err == errDayNoChoice {
		d.idle(actBook + ": no free slot")
		return nil
	}
	if err != nil {
		return err
	}
	_, err = d.page(ctx, u, PageAppointment, loc)
	return err
}

// recordReferral records a GP referral for one of the trust's patients
// through the referral form, and returns its id.
func (d *dayRun) recordReferral(ctx context.Context, u *dayUser) (string, error) {
	if len(d.trust.Services) == 0 {
		return "", fmt.Errorf("no outpatient service to refer to")
	}
	p := d.anyPatient(u)
	if _, err := d.page(ctx, u, PageReferralNew, "/patients/"+p.ID+"/referrals/new"); err != nil {
		return "", err
	}
	sv := d.trust.Services[u.rng.IntN(len(d.trust.Services))]
	loc, err := d.post(ctx, u, PageReferralAdd, "/patients/"+p.ID+"/referrals/new", url.Values{"source": {"03"}, "referrer_name": {"Dr Green"},
		"received_on": {time.Now().In(crs.London).Format("2006-01-02")}, "priority": {"1"}, "treatment_function": {sv.TreatmentFunction},
		"consultant": {sv.Consultant}, "consultant_led": {"yes"}})
	if err != nil {
		return "", err
	}
	id, ok := strings.CutPrefix(loc, "/referrals/")
	if !ok {
		return "", fmt.Errorf("recording a referral led to %s, not the referral", loc)
	}
	return id, nil
}

// outcome records the outcome of an attended appointment from the
// doctor's share: a follow-up, the waiting list or discharge.
func (d *dayRun) outcome(ctx context.Context, u *dayUser) error {
	n := len(u.toOutcome)
	if n == 0 {
		d.idle(actOutcome + ": no appointment awaiting its outcome")
		_, err := d.page(ctx, u, PagePatient, "/patients/"+d.anyPatient(u).ID)
		return err
	}
	ap := u.toOutcome[n-1]
	u.toOutcome = u.toOutcome[:n-1]
	if _, err := d.page(ctx, u, PageAppointment, "/appointments/"+ap); err != nil {
		return err
	}
	var f url.Values
	switch u.rng.IntN(3) {
	case 0:
		f = url.Values{"rtt_status": {"20"}, "next_step": {"follow_up"}, "follow_up_weeks": {"6"}}
	case 1:
		f = url.Values{"rtt_status": {"20"}, "next_step": {"waiting_list"}, "procedure": {"T201"}, "procedure_name": {"Hernia repair"},
			"intended_management": {"2"}, "priority": {"P3"}, "consultant": {"C1000001"}}
	default:
		f = url.Values{"rtt_status": {"34"}, "next_step": {"discharge"}}
	}
	loc, err := d.post(ctx, u, PageOutcome, "/appointments/"+ap+"/outcome", f)
	if err != nil {
		return err
	}
	_, err = d.page(ctx, u, PageReferral, loc)
	return err
}

// admit admits one of the user's patients as an emergency via A&E to a
// free bed chosen from the admission form.
func (d *dayRun) admit(ctx context.Context, u *dayUser) error {
	n := len(u.patients)
	if n == 0 {
		d.idle(actAdmit + ": no patient left to admit")
		return nil
	}
	p := u.patients[n-1]
	u.patients = u.patients[:n-1]
	body, err := d.page(ctx, u, PageAdmitForm, "/patients/"+p.ID+"/admit")
	if err != nil {
		return err
	}
	sv := d.trust.Services[u.rng.IntN(len(d.trust.Services))]
	loc, err := d.choose(ctx, u, PageAdmit, "/patients/"+p.ID+"/admit", url.Values{"method": {"21"}, "source": {"19"},
		"consultant": {sv.Consultant}, "treatment_function": {sv.TreatmentFunction}, "entry": {""}, "preadmission": {""}, "ed": {""}},
		"place", d.freeBed(u, body), func(body string) string { return d.freeBed(u, body) })
	if err == errDayNoChoice {
		d.idle(actAdmit + ": no free bed")
		return nil
	}
	if err != nil {
		return err
	}
	spell, ok := strings.CutPrefix(loc, "/spells/")
	if !ok {
		return fmt.Errorf("admitting led to %s, not the spell", loc)
	}
	u.spells = append(u.spells, spell)
	_, err = d.page(ctx, u, PageSpell, loc)
	return err
}

// moveOrDischarge transfers one of the nurse's inpatients to a free bed
// or discharges them home, from the spell page. A nurse with no
// inpatient of their own looks at the bed board instead.
func (d *dayRun) moveOrDischarge(ctx context.Context, u *dayUser, action string) error {
	n := len(u.spells)
	if n == 0 {
		return d.bedBoard(ctx, u)
	}
	i := u.rng.IntN(n)
	spell := u.spells[i]
	body, err := d.page(ctx, u, PageSpell, "/spells/"+spell)
	if err != nil {
		return err
	}
	var loc string
	if action == actDischarge {
		u.spells[i] = u.spells[n-1]
		u.spells = u.spells[:n-1]
		loc, err = d.post(ctx, u, PageDischarge, "/spells/"+spell+"/discharge", url.Values{"method": {"1"}, "destination": {"19"}, "at": {""}})
	} else {
		loc, err = d.choose(ctx, u, PageTransfer, "/spells/"+spell+"/transfer", url.Values{"at": {""}}, "place", d.freeBed(u, body),
			func(body string) string { return d.freeBed(u, body) })
		if err == errDayNoChoice {
			d.idle(actTransfer + ": no free bed")
			return nil
		}
	}
	if err != nil {
		return err
	}
	_, err = d.page(ctx, u, PageSpell, loc)
	return err
}

// bedBoard opens the trust's bed board and from it the nurse's own ward
// (chosen among the board's wards the first time, then listed first).
func (d *dayRun) bedBoard(ctx context.Context, u *dayUser) error {
	body, err := d.page(ctx, u, PageBedBoard, "/beds")
	if err != nil {
		return err
	}
	if u.ward == "" {
		wards := dayWardLink.FindAllStringSubmatch(body, -1)
		if len(wards) == 0 {
			return fmt.Errorf("bed board: no ward to open")
		}
		u.ward = wards[u.rng.IntN(len(wards))][1]
	}
	_, err = d.page(ctx, u, PageWardBeds, "/beds/"+u.ward)
	return err
}

// freeBed picks a free bed ("ward/bed") from the ward-and-bed list of a
// page, or "" when every bed is taken.
func (d *dayRun) freeBed(u *dayUser, body string) string {
	beds := dayFreeBed.FindAllStringSubmatch(body, -1)
	if len(beds) == 0 {
		return ""
	}
	return beds[u.rng.IntN(len(beds))][1]
}

// idle counts an action not done for want of work.
func (d *dayRun) idle(what string) {
	d.mu.Lock()
	d.res.Idle[what]++
	d.mu.Unlock()
}

var (
	dayCSRF        = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
	dayPatientLink = regexp.MustCompile(`href="/patients/([0-9a-f-]{36})"`)
	dayFreeSlot    = regexp.MustCompile(`name="slot" type="radio" value="([^"]+)"`)
	dayWardLink    = regexp.MustCompile(`href="/beds/([0-9a-f-]{36})"`)
	dayFreeBed     = regexp.MustCompile(`<option value="([^"/]+/[^"]+)"[^>]*>[^<]*\(free\)</option>`)
)

// page loads a page that should answer 200 and returns its body; any
// other answer is an error of that kind of page.
func (d *dayRun) page(ctx context.Context, u *dayUser, kind, path string) (string, error) {
	p := d.fetch(ctx, u, kind, "GET", path, nil, false)
	if p.err != nil {
		return "", p.err
	}
	if p.status != http.StatusOK {
		return "", fmt.Errorf("GET %s: %d %s", path, p.status, dayExcerpt(p.body))
	}
	return p.body, nil
}

// post submits a form with the CSRF token of the last page, and returns
// where its 303 answer leads; any other answer is an error of that kind.
func (d *dayRun) post(ctx context.Context, u *dayUser, kind, path string, form url.Values) (string, error) {
	p := d.fetch(ctx, u, kind, "POST", path, form, false)
	if p.err != nil {
		return "", p.err
	}
	if p.status != http.StatusSeeOther {
		return "", fmt.Errorf("POST %s: %d %s", path, p.status, dayExcerpt(p.body))
	}
	return p.location, nil
}

// errDayNoChoice is a form with nothing left to choose: no free bed or
// slot.
var errDayNoChoice = errors.New("nothing free to choose")

// dayChooseTries is how many times a user submits a form whose bed or
// slot another user keeps taking first before they give it up as an
// error: a ward clerk told the bed has just gone picks another of those
// the form shows free again, and again.
const dayChooseTries = 5

// choose submits a form whose field is a choice (first) of a free bed or
// slot, which another user may take first. The form then comes back
// (422) saying so, counted as refused, not as an error; the user makes
// another choice (pick) from the form shown again, whose free beds and
// slots are read after the refusal, and submits once more, up to
// dayChooseTries times in all.
func (d *dayRun) choose(ctx context.Context, u *dayUser, kind, path string, form url.Values, field, first string, pick func(body string) string) (string, error) {
	choice := first
	for try := 1; ; try++ {
		if choice == "" {
			return "", errDayNoChoice
		}
		form.Set(field, choice)
		p := d.fetch(ctx, u, kind, "POST", path, form, try < dayChooseTries)
		switch {
		case p.err != nil:
			return "", p.err
		case p.status == http.StatusSeeOther:
			return p.location, nil
		case p.status != http.StatusUnprocessableEntity || try == dayChooseTries:
			return "", fmt.Errorf("POST %s: %d %s", path, p.status, dayExcerpt(p.body))
		}
		choice = pick(p.body)
	}
}

// dayPage is an answer to one request.
type dayPage struct {
	status   int
	body     string
	location string
	err      error
}

// fetch makes one request with the user's cookies, reads the whole
// answer and, for a kind of page, records how long it took; an answer
// other than the one expected (200 to GET, 303 to POST) is recorded as
// an error of that kind, or as refused if refusable and the answer is a
// 422 form. Requests still running when ctx ends stop the action without
// a record.
func (d *dayRun) fetch(ctx context.Context, u *dayUser, kind, method, path string, form url.Values, refusable bool) *dayPage {
	var body io.Reader
	if form != nil {
		form.Set("csrf_token", u.csrf)
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, d.trust.BaseURL+path, body)
	if err != nil {
		return &dayPage{err: err}
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if strings.Contains(path, "partial=1") {
		req.Header.Set("X-Requested-With", "fetch")
		req.Header.Set("X-CSRF-Token", u.csrf)
	}
	t0 := time.Now()
	p := &dayPage{}
	res, err := u.client.Do(req)
	if err == nil {
		var b []byte
		b, err = io.ReadAll(res.Body)
		res.Body.Close()
		p.status, p.body, p.location = res.StatusCode, string(b), res.Header.Get("Location")
	}
	lat := time.Since(t0)
	if ctx.Err() != nil {
		p.err = errDayStop
		return p
	}
	p.err = err
	if m := dayCSRF.FindStringSubmatch(p.body); m != nil {
		u.csrf = m[1]
	}
	if kind != "" {
		want := http.StatusOK
		if method == "POST" {
			want = http.StatusSeeOther
		}
		d.rec.record(kind, lat, p.status, err == nil && p.status == want, refusable && err == nil && p.status == http.StatusUnprocessableEntity)
	}
	return p
}

// dayExcerpt is the start of a page's text, for an error message.
func dayExcerpt(body string) string {
	if i := strings.Index(body, `class="error-summary`); i >= 0 {
		body = body[i:]
	} else if i := strings.Index(body, "<main"); i >= 0 {
		body = body[i:]
	}
	body = strings.Join(strings.Fields(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(body, " ")), " ")
	if len(body) > 200 {
		body = body[:200] + "..."
	}
	return body
}

// dayRecorder gathers the timings of every kind of page.
type dayRecorder struct {
	mu       sync.Mutex
	ok       map[string][]time.Duration
	refused  map[string]int
	errs     map[string]map[int]int
	errorLog []string
}

func newDayRecorder() *dayRecorder {
	return &dayRecorder{ok: map[string][]time.Duration{}, refused: map[string]int{}, errs: map[string]map[int]int{}}
}

func (r *dayRecorder) record(kind string, lat time.Duration, status int, ok, refused bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ok {
		r.ok[kind] = append(r.ok[kind], lat)
		return
	}
	if refused {
		r.refused[kind]++
		return
	}
	if r.errs[kind] == nil {
		r.errs[kind] = map[int]int{}
	}
	r.errs[kind][status]++
}

// logError keeps the first few errors to show.
func (r *dayRecorder) logError(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.errorLog) < 10 {
		r.errorLog = append(r.errorLog, msg)
	}
}

// latencies sums up each kind of page loaded.
func (r *dayRecorder) latencies() []DayLatency {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []DayLatency
	for _, k := range DayPageKinds {
		lat, errs := r.ok[k], r.errs[k]
		if len(lat) == 0 && len(errs) == 0 {
			continue
		}
		l := summarise(lat)
		l.Kind, l.Statuses, l.Refused = k, errs, r.refused[k]
		for _, n := range errs {
			l.Errors += n
		}
		out = append(out, l)
	}
	return out
}

// summarise gives the count and percentiles of a set of timings.
func summarise(lat []time.Duration) DayLatency {
	if len(lat) == 0 {
		return DayLatency{}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return DayLatency{Count: len(lat), P50: journeyPercentile(lat, 50), P95: journeyPercentile(lat, 95), P99: journeyPercentile(lat, 99), Max: lat[len(lat)-1]}
}

// Print writes the figures as tables, each line with its target.
func (r *DayResult) Print(w io.Writer, o DayOptions) {
	for _, h := range o.Header {
		fmt.Fprintln(w, h)
	}
	fmt.Fprintf(w, "%d staff logged in, %d at a time, in %s: login p50 %s, p95 %s (not in the page figures)\n",
		r.Staff, o.LoginConcurrency, r.LoginTime.Round(100*time.Millisecond), dayMS(r.Login.P50), dayMS(r.Login.P95))
	fmt.Fprintf(w, "measured %s: %.1f actions/s (mean think time %s), %.1f pages/s\n\n", r.Elapsed.Round(100*time.Millisecond), r.Actions, o.Think, r.PagesPerSecond)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "page\tcount\terrors\trefused\tp50 ms\tp95 ms\tp99 ms\tmax ms\ttarget p95\t\t\n")
	for _, l := range r.Pages {
		verdict := journeyMet(l.P95 <= DayPageTarget && l.Errors == 0)
		if l.Count == 0 {
			verdict = "MISSED"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t<= %s\t%s\t\n", l.Kind, l.Count, l.Errors, l.Refused, dayMS(l.P50), dayMS(l.P95), dayMS(l.P99), dayMS(l.Max), dayMS(DayPageTarget), verdict)
	}
	tw.Flush()
	for _, l := range r.Pages {
		if l.Errors > 0 {
			fmt.Fprintf(w, "  %s errors by HTTP status (0: no answer): %v\n", l.Kind, l.Statuses)
		}
	}
	if len(r.Idle) > 0 {
		keys := make([]string, 0, len(r.Idle))
		for k := range r.Idle {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprintf(w, "actions not done for want of work:")
		for _, k := range keys {
			fmt.Fprintf(w, " %s %d;", k, r.Idle[k])
		}
		fmt.Fprintln(w)
	}
	f := r.Feed
	if o.FeedRate > 0 {
		fmt.Fprintf(w, "\ninbound ADT feed over MLLP: %.0f msg/s scheduled on %d connections, %.1f msg/s acknowledged\n", o.FeedRate, o.FeedConns, f.Rate)
		fmt.Fprintf(w, "  sent %d: AA %d, AE %d, AR %d, no ACK %d; ACK latency from the time due p50 %s ms, p95 %s ms, p99 %s ms, max %s ms; target p99 <= %s ms: %s\n",
			f.Sent, f.Codes["AA"], f.Codes["AE"], f.Codes["AR"], f.Failed, dayMS(f.P50), dayMS(f.P95), dayMS(f.P99), dayMS(f.Max), dayMS(DayFeedTarget),
			journeyMet(f.P99 <= DayFeedTarget && f.Sent > 0 && f.Failed == 0 && f.Codes["AA"] == f.Sent))
		for _, e := range f.Errors {
			fmt.Fprintf(w, "  feed: %s\n", e)
		}
	}
	for _, e := range r.ErrorLog {
		fmt.Fprintf(w, "error: %s\n", e)
	}
}

// dayMS writes a duration in milliseconds.
func dayMS(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	if ms >= 100 {
		return fmt.Sprintf("%.0f", math.Round(ms))
	}
	return fmt.Sprintf("%.1f", ms)
}
