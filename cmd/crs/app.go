package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/interfaces"
	"github.com/opencrs/crs/report"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/web"
)

// app is a running OpenCRS: the database, the services over it and the
// edges that serve them.
type app struct {
	db     *store.DB
	logger *slog.Logger

	orgs     *store.OrganisationService
	users    *store.UserService
	patients *store.PatientService
	audit    *store.AuditService
	hl7      *interfaces.Engine
	web      *web.Server
}

// openApp opens the database and builds the services.
func openApp(ctx context.Context, dsn string, logger *slog.Logger) (*app, error) {
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	db.Logger = logger
	a := &app{
		db:       db,
		logger:   logger,
		orgs:     store.NewOrganisationService(db),
		users:    store.NewUserService(db),
		patients: store.NewPatientService(db),
		audit:    store.NewAuditService(db),
		hl7:      hl7Engine(db, logger),
	}
	a.web = &web.Server{
		Patients:    a.patients,
		Users:       a.users,
		Audit:       a.audit,
		Orgs:        a.orgs,
		Referrals:   store.NewReferralService(db),
		Outpatients: store.NewOutpatientService(db),
		WaitingList: store.NewWaitingListService(db),
		Inpatients:  store.NewInpatientService(db),
		ED:          store.NewEDService(db),
		Coding:      store.NewCodingService(db),
		Reports:     report.New(store.NewReportSource(db)),
		Results:     resultService(db),
		Documents:   store.NewClinicalService(db),
		Submissions: store.NewSubmissionService(db), GoLive: store.NewGoLiveCheckService(db),
		Diagnostics: store.NewDiagnosticService(db),
		Access:      store.NewAccessService(db),
		Orders:      orderService(db),
		Reviews:     resultService(db),
		Summaries:   summaryService(db),
		Messages:    a.hl7,
		Clock:       crs.SystemClock{},
		Logger:      logger,
	}
	wireClinicalLists(a.web, db)

	// Orders tracked, results filed to the resource store.
	db.OnEvent(summaryService(db).Discharged) // a discharge starts its summary's draft
	db.OnEvent(fhir.QueueRecordNotifications) // a patient's or the PAS's change queues its FHIR Subscriptions' notifications

	a.web.Observations = &fhir.ObservationService{Store: db, Resources: store.NewResourceService(db)}
	// The Feeds page lists the FHIR Subscriptions.
	a.web.Subscriptions = &fhir.SubscriptionMonitor{Resources: store.NewResourceService(db), Queue: db}
	db.OnCommit(a.web.Notify) // live boards
	return a, nil
}

// lockDatabase takes the lock of the folder of an embedded database
// (sqlite:PATH or PATH.db), so that no two crs processes use one file; a
// PostgreSQL database needs none.
func lockDatabase(dsn string) (release func(), err error) {
	path, ok := strings.CutPrefix(dsn, "sqlite:")
	if !ok && !strings.HasSuffix(dsn, ".db") {
		return func() {}, nil
	}
	if !ok {
		path = dsn
	}
	return lockDataDir(filepath.Dir(path))
}

// Close stops the integration engine and closes the database.
func (a *app) Close() error {
	a.hl7.Close()
	return a.db.Close()
}

// serveOptions says where the app listens.
type serveOptions struct {
	httpAddr string
	mllpAddr string // "" for no MLLP listener
	secure   bool
	ready    func(httpAddr, mllpAddr string) // told the bound addresses once listening

	// HTTPS: the web UI and APIs over TLS with this certificate and key
	// (PEM files); plain HTTP when empty.
	tlsCert, tlsKey string
	// trustProxy believes the X-Forwarded-Proto, X-Forwarded-Host and
	// X-Forwarded-For of a proxy in front.
	trustProxy bool
	// fhirBase is the FHIR API's base as systems reach it, when a proxy
	// serves it at another address; "" for each request's own.
	fhirBase string
	// snomedSample says the trusts' SNOMED CT releases are the demo's
	// sample of a few dozen concepts, not releases: the FHIR API does not
	// refuse a concept for being outside it (the web's pickers still
	// offer it), and answers its terminology operations from it.
	snomedSample bool
	// metricsAddr serves /metrics on a listener of its own; else
	// metricsToken, if set, serves it on the main listener to requests
	// bearing the token; else it is not served.
	metricsAddr, metricsToken string
	metricsReady              func(addr string) // told the metrics address once listening

	// listeners, when set, are the HTTP and MLLP listeners taken before
	// (see listen); serve then uses them rather than the addresses.
	listeners *listeners
}

// listeners are the sockets the app serves on, taken before anything
// slow is done so that an address in use is said at once.
type listeners struct {
	http, mllp net.Listener // mllp is nil for no MLLP listener
}

// listen takes the HTTP address and, unless empty, the MLLP address.
func listen(httpAddr, mllpAddr string) (*listeners, error) {
	h, err := net.Listen("tcp", httpAddr)
	if err != nil {
		return nil, fmt.Errorf("listen for HTTP on %s: %w", httpAddr, err)
	}
	l := &listeners{http: h}
	if mllpAddr != "" {
		if l.mllp, err = net.Listen("tcp", mllpAddr); err != nil {
			h.Close()
			return nil, fmt.Errorf("listen for MLLP on %s: %w", mllpAddr, err)
		}
	}
	return l, nil
}

// Close lets the addresses go, when they were never served.
func (l *listeners) Close() {
	l.http.Close()
	if l.mllp != nil {
		l.mllp.Close()
	}
}

// serve runs the app's listeners until ctx is done, then shuts them down
// gracefully: requests in flight finish, queued audit records are written.
func (a *app) serve(ctx context.Context, o serveOptions) error {
	ls := o.listeners
	if ls == nil {
		var err error
		if ls, err = listen(o.httpAddr, o.mllpAddr); err != nil {
			return err
		}
	}
	ln := ls.http
	if err := a.hl7.Start(ctx); err != nil {
		ls.Close()
		return fmt.Errorf("start HL7 feeds: %w", err)
	}
	mllpAddr := ""
	if ls.mllp != nil {
		mllpAddr = a.hl7.Serve(ls.mllp).String()
	}
	go runNightlyCensus(ctx, a.db, a.logger, time.Hour)
	// Resources indexed by an OpenCRS that indexed otherwise are indexed
	// again beside the service; a shutdown stops it (the next start
	// goes on) before the database closes.
	reindexCtx, stopReindex := context.WithCancel(ctx)
	reindexed := make(chan struct{})
	go func() { defer close(reindexed); reindexStale(reindexCtx, a.db, a.logger) }()
	defer func() { stopReindex(); <-reindexed }()
	mux := http.NewServeMux()
	metrics, merr := a.serveMetrics(mux, o)
	if merr != nil {
		ls.Close()
		return merr
	}
	if metrics != nil {
		defer metrics.Close()
	}
	a.web.SecureCookies = o.secure
	a.web.TrustProxy = o.trustProxy
	mux.Handle("/", a.web.Handler())
	fhirAPI := fhirServer(a)
	fhirAPI.SNOMEDSample = o.snomedSample
	fhirAPI.BaseURL, fhirAPI.TrustProxy = o.fhirBase, o.trustProxy
	fhirHandler := fhirAPI.Handler()
	mux.Handle("/fhir/", fhirHandler)
	mux.Handle("/fhir", fhirHandler) // the service base: POST [base] for a batch or transaction

	if err := fhirAPI.ResumeExports(ctx); err != nil {
		a.logger.Error("bulk exports left unfinished were not resumed", "err", err)
	}
	defer fhirAPI.Close()
	// FHIR Subscription notifications queued by the writes are sent
	// beside the service; a shutdown stops the sender before the
	// database closes (what it had not sent stays queued).
	notifyCtx, stopNotify := context.WithCancel(ctx)
	notified := make(chan struct{})
	go func() { defer close(notified); fhirAPI.RunNotifications(notifyCtx, time.Second) }()
	defer func() { stopNotify(); <-notified }()
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.logger.Handler(), slog.LevelWarn),
	}
	srv.RegisterOnShutdown(a.web.CloseLive) // open live streams end so shutdown need not wait
	errc := make(chan error, 1)
	if o.tlsCert != "" {
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		go func() { errc <- srv.ServeTLS(ln, o.tlsCert, o.tlsKey) }()
	} else {
		go func() { errc <- srv.Serve(ln) }()
	}
	a.logger.Info("serving HTTP", "addr", ln.Addr().String(), "db", a.db.Dialect())
	if o.ready != nil {
		o.ready(ln.Addr().String(), mllpAddr)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a.logger.Info("shutting down")
	err := srv.Shutdown(shutdownCtx)
	if herr := a.hl7.Shutdown(shutdownCtx); err == nil {
		err = herr
	}
	return err
}
