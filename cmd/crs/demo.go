package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/interfaces"
	"github.com/opencrs/crs/store"
)

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", "demo [flags]\n\nStarts OpenCRS with demo data: two synthetic trusts with staff, wards, clinics,\npatients and their journeys, on an embedded SQLite database that is created\nthe first time and reused after. A run that stopped part way is finished by\nthe next.\n\nFor testing, CRS_DEMO_TODAY=YYYY-MM-DD runs the demo as if today were that date.", stdout)
	dir := fs.String("data", "crs-data", "folder for the demo database")
	httpAddr := fs.String("http", "127.0.0.1:8080", "address for the web UI")
	mllpAddr := fs.String("mllp", "127.0.0.1:2575", "address for HL7 v2 over MLLP; empty for none")
	patients := fs.Int("patients", 10000, "synthetic patients per trust")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn, error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *patients < 1 {
		return fmt.Errorf("--patients %d: a demo trust needs at least 1 patient", *patients)
	}
	clock, err := demoClock(os.Getenv("CRS_DEMO_TODAY"))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*dir, 0o750); err != nil {
		return fmt.Errorf("create data folder: %w", err)
	}
	// The data folder is locked first, so that a second demo on it says
	// so rather than that its address is in use; then the addresses are
	// taken, so that one in use is said before the demo data is made and
	// the passwords printed.
	unlock, err := lockDataDir(*dir)
	if err != nil {
		return err
	}
	defer unlock()
	ls, err := listen(*httpAddr, *mllpAddr)
	if err != nil {
		return err
	}
	defer ls.Close()
	logger := newLogger(stderr, *logLevel)
	a, err := openApp(ctx, "sqlite:"+filepath.Join(*dir, "crs.db"), logger)
	if err != nil {
		return err
	}
	defer a.Close()
	a.db.Clock, a.web.Clock = clock, clock

	fmt.Fprintf(stdout, "Preparing demo data in %s (first run: %s per trust) ...\n", *dir, crs.Count(*patients, "patient", "patients"))
	res, err := demo.Seed(ctx, a.demoServices(), demo.Options{Patients: *patients, Seed: 1, Logger: logger,
		Say: func(msg string) { fmt.Fprintln(stdout, msg) }})
	if err != nil {
		return fmt.Errorf("seed demo data: %w", err)
	}
	for _, tr := range res.Trusts {
		if err := completeDemoTrust(ctx, a, tr, stdout); err != nil {
			return err
		}
		// A trust this run made holds only what this version indexed;
		// one made by another is checked as the service starts.
		if tr.Created {
			if err := fhir.RecordIndexCurrent(ctx, a.db, crs.SystemActor(tr.Org.ID)); err != nil {
				return err
			}
		}
	}
	if _, err := res.WriteTo(stdout); err != nil {
		return err
	}
	fhirToken, err := demoFHIRClient(ctx, a, res.Trusts[0].Org)
	if err != nil {
		return err
	}
	return a.serve(ctx, serveOptions{listeners: ls, snomedSample: true, ready: func(addr, mllp string) {
		fmt.Fprintf(stdout, "\nOpenCRS demo is running at http://%s/ (Ctrl-C to stop)\n", addr)
		fmt.Fprintf(stdout, "FHIR R4 API of %s (token for 24h; more with crs fhir token --client demo):\n  curl -H 'Authorization: Bearer %s' http://%s/fhir/Observation?_count=10\n", res.Trusts[0].Org.ODSCode, fhirToken, addr)
		if mllp != "" {
			fmt.Fprintf(stdout, "HL7 v2 over MLLP on %s: messages from application PAS at each trust's ODS code\n", mllp)
		}
	}})
}

// demoClock is the clock the demo runs on: the system clock, or, when
// today (CRS_DEMO_TODAY, for testing) names a date, the system clock moved
// by whole days so that it is that date.
func demoClock(today string) (crs.Clock, error) {
	if today == "" {
		return crs.SystemClock{}, nil
	}
	t, err := time.Parse("2006-01-02", today)
	if err != nil {
		return nil, fmt.Errorf("CRS_DEMO_TODAY=%q: write the date as YYYY-MM-DD", today)
	}
	now := crs.SystemClock{}.Now()
	return shiftedClock(t.Sub(crs.DateOf(now).Time)), nil
}

// shiftedClock is the system clock moved by a duration.
type shiftedClock time.Duration

// Now returns the system time moved by the clock's duration.
func (c shiftedClock) Now() time.Time { return crs.SystemClock{}.Now().Add(time.Duration(c)) }

// demoReferrals is how many referrals the patient journey of a demo trust
// is made with.
const demoReferrals = 200

// completeDemoTrust gives a demo trust its patient journey and its HL7
// interface unless it has them already, so a first run that stopped part
// way is completed by the next, and says so.
func completeDemoTrust(ctx context.Context, a *app, tr *demo.TrustResult, stdout io.Writer) error {
	org := tr.Org
	referrals, err := store.CountReferrals(ctx, a.db, org.ID)
	if err != nil {
		return err
	}
	journey := demo.JourneyOptions{Referrals: demoReferrals, Seed: 1}
	switch {
	case referrals == 0 && !tr.Created:
		fmt.Fprintf(stdout, "%s: an earlier run stopped before the patient journey; making it now\n", org.ODSCode)
	case referrals > 0 && referrals < demoReferrals:
		// The wards and A&E are seeded after every referral is made, so
		// they are still to do; a seed of its own gives the rest of the
		// referrals patients and stages other than those made already.
		fmt.Fprintf(stdout, "%s: found %d of %d referrals of the patient journey from an earlier run that stopped part way; making the remaining %d, then the wards and A&E\n",
			org.ODSCode, referrals, demoReferrals, demoReferrals-referrals)
		journey = demo.JourneyOptions{Referrals: demoReferrals - referrals, Seed: 2}
	}
	if referrals < demoReferrals {
		if err := demo.SeedJourney(ctx, journeyServices(a.db), crs.SystemActor(org.ID), journey); err != nil {
			return fmt.Errorf("seed the patient journey of %s: %w", org.ODSCode, err)
		}
	}
	if err := demo.SeedCodeLists(ctx, store.NewCodingService(a.db), crs.SystemActor(org.ID)); err != nil {
		return fmt.Errorf("load the demo code lists of %s: %w", org.ODSCode, err)
	}
	if err := demo.SeedSNOMED(ctx, store.NewTerminologyService(a.db), crs.SystemActor(org.ID)); err != nil {
		return fmt.Errorf("load the demo SNOMED CT release of %s: %w", org.ODSCode, err)
	}
	lists := demo.ClinicalListServices{Patients: a.patients, Problems: a.web.Problems, Allergies: a.web.Allergies}
	if err := demo.SeedClinicalLists(ctx, lists, crs.SystemActor(org.ID), org.MRNPrefix); err != nil {
		return fmt.Errorf("record the demo problems and allergies of %s: %w", org.ODSCode, err)
	}
	if err := demo.SeedOrderCatalogue(ctx, orderService(a.db), crs.SystemActor(org.ID)); err != nil {
		return fmt.Errorf("load the demo test catalogue of %s: %w", org.ODSCode, err)
	}
	if err := demo.SeedNoteTemplates(ctx, noteService(a.db), crs.SystemActor(org.ID)); err != nil {
		return fmt.Errorf("load the demo note templates of %s: %w", org.ODSCode, err)
	}
	if err := addDemoOrderFeeds(ctx, a, org); err != nil {
		return fmt.Errorf("add the demo order feeds of %s: %w", org.ODSCode, err)
	}
	ifaces, err := a.db.FindInterfaces(ctx, org.ID)
	if err != nil {
		return err
	}
	if len(ifaces) == 0 {
		if !tr.Created && referrals >= demoReferrals {
			fmt.Fprintf(stdout, "%s: an earlier run stopped before the HL7 interface; adding it now\n", org.ODSCode)
		}
		if err := addDemoInterface(ctx, a, org); err != nil {
			return fmt.Errorf("add the demo HL7 interface of %s: %w", org.ODSCode, err)
		}
	}
	return nil
}

// addDemoInterface configures an inbound interface for the trust: messages
// from sending application "PAS" at the trust's own ODS code, acting as an
// interface user. The user an earlier run made before it stopped is used
// again.
func addDemoInterface(ctx context.Context, a *app, org *crs.Organisation) error {
	sys := crs.SystemActor(org.ID)
	name := "hl7.pas." + lowerASCII(org.ODSCode)
	users, err := a.users.FindUsers(ctx, sys)
	if err != nil {
		return err
	}
	var u *crs.User
	for _, x := range users {
		if x.Username == name {
			u = x
		}
	}
	if u == nil {
		u = &crs.User{Username: name, Name: "PAS interface", Role: crs.RoleInterface}
		if err := a.users.CreateUser(ctx, sys, u, randomPassword()); err != nil {
			return err
		}
	}
	return a.hl7.AddInterface(ctx, sys, &crs.Interface{Name: "PAS", SendingApplication: "PAS", SendingFacility: org.ODSCode, UserID: u.ID})
}

// addDemoOrderFeeds configures the outbound feeds the demo's test
// catalogue sends orders to, marked for orders (trigger O01), and the
// GPs' feed of discharge summaries (T02, T08), unless the trust has them. No laboratory or radiology system listens at their
// addresses: orders wait in their queues, to be seen on the feeds page.
func addDemoOrderFeeds(ctx context.Context, a *app, org *crs.Organisation) error {
	have, err := a.db.FindDestinations(ctx, org.ID)
	if err != nil {
		return err
	}
	names := map[string]bool{}
	for _, d := range have {
		names[d.Name] = true
	}
	for _, d := range []*crs.Destination{
		{Name: "Pathology LIMS", Addr: "127.0.0.1:2581", ReceivingApplication: "LIMS", ReceivingFacility: org.ODSCode},
		{Name: "Radiology RIS", Addr: "127.0.0.1:2582", ReceivingApplication: "RIS", ReceivingFacility: org.ODSCode},
		{Name: "GP documents", Addr: "127.0.0.1:2583", ReceivingApplication: "DOCMAN", ReceivingFacility: "GP", Triggers: []string{"T02", "T08"}},
	} {
		if names[d.Name] {
			continue
		}
		if d.Triggers == nil {
			d.Triggers = []string{interfaces.OrderTrigger}
		}
		if err := a.hl7.AddDestination(ctx, crs.SystemActor(org.ID), d); err != nil {
			return err
		}
	}
	return nil
}

// demoServices are the services the demo seeds a trust through.
func (a *app) demoServices() demo.Services {
	return demo.Services{Organisations: a.orgs, Users: a.users, Patients: a.db, Clock: a.db.Clock, Access: store.NewAccessService(a.db)}
}

// journeyServices are the services the demo and the bench seed a trust's
// patient journey through.
func journeyServices(db *store.DB) demo.JourneyServices {
	return demo.JourneyServices{Organisations: store.NewOrganisationService(db), Referrals: store.NewReferralService(db),
		Outpatients: store.NewOutpatientService(db), WaitingList: store.NewWaitingListService(db), Inpatients: store.NewInpatientService(db),
		ED: store.NewEDService(db), Loader: db, Clock: db.Clock,
		Observations: &fhir.ObservationService{Store: db, Resources: store.NewResourceService(db)}}
}
