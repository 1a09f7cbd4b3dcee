// Package web is the HTML user interface of OpenCRS: server-rendered pages
// a ward clerk, nurse, doctor, analyst or privacy officer uses in a
// browser. Pages are html/template files embedded in the binary, styled by
// our own CSS after the NHS design system, with a small script of our own
// for search as you type; every page works without JavaScript.
//
// Each page or action lives in a file of its own named noun_verb for the
// page it holds (patient_register.go, waitlist_list.go,
// waitlist_entry.go, ...). A handler parses the request, calls a service of
// package crs and renders a template; it returns an error to have it shown
// by the one error page (see fail). A form's handler reads the form into
// its page and answers with s.submit (form.go): the page again with 422
// and each problem beside its field, or a 303 on to the next page. To add
// a page:
//
//  1. write templates/<page>.html defining the block "content", using the
//     shared partials of templates/_*.html ("csrf", "text", "select",
//     "radios", "date", "datetime", "time", "patient_form"; dates and
//     times only ever through "date", "datetime" and "time", read with
//     readDate, readDateTime and readClock, date_input.go); the layout adds the header, the
//     patient banner (when pageData.Banner is set), the flash message and
//     the error summary (pageData.Errors);
//  2. write <noun>_<verb>.go with a data type embedding pageData and a
//     handlerFunc that fills it and calls s.render(w, r, "<page>", data);
//  3. list its route in routes (routes.go) wrapped in s.authed (logged in,
//     CSRF checked on POST) or s.public.
package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/internal/gzipped"
)

// Server serves the web user interface of one OpenCRS deployment. Each
// request acts for the logged-in user of one trust; the services do the
// access checks, the auditing and the tenancy.
type Server struct {
	Patients crs.PatientService
	Users    crs.UserService
	Audit    crs.AuditService
	Orgs     crs.OrganisationService

	// The patient journey: referrals and RTT pathways, outpatients, the
	// waiting list, inpatients and A&E. A page whose service is nil is
	// not found.
	Referrals   crs.ReferralService
	Outpatients crs.OutpatientService
	WaitingList crs.WaitingListService
	Inpatients  crs.InpatientService
	ED          crs.EDService
	Coding      crs.CodingService // clinical coding of finished episodes; nil leaves its pages out
	// Reports writes the extracts the PTL and waiting list pages offer.
	Reports crs.ReportService
	// Results are the results other systems file to the record; nil
	// leaves their pages out.
	Results crs.ResultService
	// Documents are the clinical documents other systems file to the
	// record; nil leaves their pages out.
	Documents crs.DocumentService
	// Observations are the vital signs and NEWS2 charts and the ward
	// clinical boards; nil leaves their pages out.
	Observations crs.ObservationService
	// Subscriptions reports the FHIR Subscriptions on the feeds page;
	// nil leaves them out.
	Subscriptions crs.SubscriptionMonitor
	// Submissions and Diagnostics serve the information analyst's area
	// (/reports) and the diagnostic requests; nil leaves them out.
	Submissions crs.SubmissionService
	// GoLive keeps the runs of the go / no-go check of the cutover, for
	// the programme board's page; nil leaves it out.
	GoLive      crs.GoLiveCheckService
	Diagnostics crs.DiagnosticService
	// Access checks legitimate relationships and keeps grants, seals,
	// staff assignments and the privacy officer's alerts.
	Access crs.AccessService
	// Problems, Allergies, Terminology and Timeline serve the clinical
	// record's problem list, allergies, banner alerts and timeline; a nil
	// Problems leaves them out.
	Problems    crs.ProblemService
	Allergies   crs.AllergyService
	Terminology crs.TerminologyService
	Timeline    crs.TimelineService
	Orders      crs.OrderService            // tests ordered for patients; nil leaves the orders pages out
	Reviews     crs.ResultReviewService     // the results worklist; nil leaves it out
	Summaries   crs.DischargeSummaryService // discharge summaries; nil leaves their pages out
	Notes       crs.NoteService             // clinical notes and clinic letters; nil leaves their pages out

	Clock  crs.Clock    // the time pages show ages and defaults against; the system clock if nil
	Logger *slog.Logger // where request and error logs go; slog.Default if nil

	// SecureCookies sets the Secure attribute on cookies; set it when the
	// server is reached over TLS (directly or behind a proxy).
	SecureCookies bool
	// TrustProxy believes a proxy in front of the server: its
	// X-Forwarded-Proto (TLS or not) and X-Forwarded-For (the user's
	// address, for login throttling). Leave it off when browsers reach
	// the server directly, or anyone could claim any address.
	TrustProxy bool

	// Messages serves the interface analyst's message log and feeds
	// pages; nil leaves them out.
	Messages MessageService

	once  sync.Once
	pages map[string]*pageTemplate
	orgs  sync.Map  // organisation ID → *crs.Organisation, for the header
	live  broker    // live boards waiting for a change (see Notify)
	procs codeLists // each trust's OPCS-4 list, for the procedure func

	flashes      flashStore         // one-time messages waiting to be shown
	addresses    *crs.LoginFailures // failed logins by network address
	throttleOnce sync.Once          // makes addresses
}

// Handler returns the whole user interface: every route, the static files
// and the middleware (security headers, request log, panic recovery).
// Outermost, pages, downloads and assets over 4 KB go gzip-compressed to
// the browsers that take gzip, which all do (package gzipped): whatever
// the layers inside write, a redirect, an error page or a range of a
// file, passes through it.
func (s *Server) Handler() http.Handler {
	s.once.Do(func() { s.pages = mustParseTemplates() })
	s.throttleOnce.Do(func() { s.addresses = &crs.LoginFailures{Free: crs.AddressFailuresFree} })
	mux := http.NewServeMux()
	s.routes(mux)
	return gzipped.Answers(s.recoverPanics(s.logRequests(securityHeaders(s.transportSecurity(mux)))))
}

func (s *Server) now() time.Time {
	if s.Clock == nil {
		return time.Now().UTC()
	}
	return s.Clock.Now()
}

func (s *Server) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
}

// handlerFunc is a page handler. It parses the request, calls a service
// and renders; an error it returns is shown by fail, once, with the HTTP
// status its crs error code maps to.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// public serves h to anyone, logged in or not. If there is a live session
// its user is put in the request (so the header shows them), but none is
// needed.
func (s *Server) public(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sess, err := s.findSession(r); err == nil {
			r = r.WithContext(context.WithValue(r.Context(), sessionKey, sess))
		}
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
	})
}

// authed serves h to a logged-in user only: without a live session the
// browser is sent to the login page, which returns here afterwards and,
// when the session has ended, says why (after 30 minutes without
// activity, or at the end of a shift). On
// POST (and other unsafe methods) the session's CSRF token must come in
// the csrf_token form field or the X-CSRF-Token header.
func (s *Server) authed(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, err := s.findSession(r)
		switch crs.ErrorCode(err) {
		case "", crs.EUNAUTHORIZED, crs.ENOTFOUND:
		default:
			s.fail(w, r, err) // the store failed: not a reason to log the user out
			return
		}
		if err != nil {
			if err != errNoLogin && crs.ErrorCode(err) == crs.EUNAUTHORIZED {
				s.setFlash(w, sentence(crs.ErrorMessage(err)))
			}
			s.clearCookie(w, sessionCookie, "/")
			s.toLogin(w, r)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), sessionKey, sess))
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			limit := int64(maxForm)
			if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
				limit = maxUpload // a form with files, such as traffic to check
			}
			if r.ContentLength > limit {
				s.fail(w, r, errTooLarge(limit))
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			if !validToken(sess.csrf, submittedToken(r)) {
				s.fail(w, r, errCSRF)
				return
			}
		}
		if !s.allowRoute(w, r, sess) { // access.go: the route's activity and relationship
			return
		}
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
	})
}

// maxForm bounds the size of a submitted form.
const maxForm = 1 << 20

// securityHeaders sets the headers every response carries: a content
// security policy that allows only our own scripts and styles and no
// framing, no MIME sniffing, and no referrer to other sites. Pages with
// patient data are not cached.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if len(r.URL.Path) < 8 || r.URL.Path[:8] != "/static/" {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the status a handler wrote, for the log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Flush lets live pages (server-sent events) flush through the recorder.
func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// logRequests logs each request's method, path, status and duration. It
// logs the path only, never the query string, which may hold a patient's
// name or NHS number typed into a search.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if r.URL.Path == "/healthz" || len(r.URL.Path) > 7 && r.URL.Path[:8] == "/static/" {
			return
		}
		s.logger().Debug("http request", "method", r.Method, "path", r.URL.Path, "status", rec.status,
			"duration_ms", time.Since(start).Milliseconds())
	})
}

// recoverPanics turns a panic in a handler into the internal error page
// with a reference, and logs the stack.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				ref := newRef()
				s.logger().Error("panic in handler", "ref", ref, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				http.Error(w, "An internal error has occurred. Reference "+ref+".", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// newRef returns a short random reference for an internal error, shown to
// the user and logged, so a support call can find the log line.
func newRef() string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// purpose says why a user in a role accesses records: the reason the
// audit trail records beside every read and change.
func purpose(r crs.Role) string {
	switch r {
	case crs.RoleClerk, crs.RoleNurse, crs.RoleDoctor:
		return "direct care"
	case crs.RolePrivacyOfficer:
		return "privacy audit"
	default:
		return "administration"
	}
}

// MessageService is what the interface analyst's pages use: the message
// log and the outbound feeds of crs.MessageService, resending a period
// of a feed, and the message as a tree of named fields. The integration
// engine (interfaces.Engine) is one.
type MessageService interface {
	crs.MessageService
	// CountMessages counts the trust's messages matching q (its cursors
	// aside), stopping at most.
	CountMessages(ctx context.Context, a crs.Actor, q crs.MessageQuery, most int) (int, error)
	// Channels lists the trust's inbound interfaces and outbound
	// destinations.
	Channels(ctx context.Context, a crs.Actor) ([]*crs.Interface, []*crs.Destination, error)
	// ResendRange queues again every message to a destination created
	// between from and to, in their order, and returns how many.
	ResendRange(ctx context.Context, a crs.Actor, destID string, from, to time.Time) (int, error)
	// ReprocessRange reprocesses, oldest first, the messages of an
	// inbound interface received between from and to that are in error,
	// and reports what became of them.
	ReprocessRange(ctx context.Context, a crs.Actor, ifaceID string, from, to time.Time) (crs.ReprocessReport, error)
	// MessageHistory lists the events about a message (its reprocesses),
	// newest first.
	MessageHistory(ctx context.Context, a crs.Actor, id string) ([]*crs.Event, error)
	// MessageTree writes the message for people to read: each segment
	// and field with its number and HL7 name.
	MessageTree(m *crs.Message) string
}
