package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/internal/routes"
	"github.com/opencrs/crs/store"
)

// registeredRoutes lists the routes the package registers.
func registeredRoutes(t *testing.T) []string {
	t.Helper()
	out, err := routes.Registered(".")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRouteAccessMatrix walks every route in every role that can log in,
// for a patient the user has a legitimate relationship with (on their
// ward) and one they have none with, and checks each answer is allowed
// or refused exactly as routeAccess declares; and that every registered
// route is declared.
func TestRouteAccessMatrix(t *testing.T) {
	e := newEnv(t)
	e.server.Messages = labEngine(t, e) // the interface analyst's pages too
	e.srv.Close()
	e.srv = httptest.NewServer(e.server.Handler())
	t.Cleanup(e.srv.Close)
	routes := registeredRoutes(t)
	if len(routes) < 100 {
		t.Fatalf("found only %d routes in the source", len(routes))
	}
	for _, p := range routes {
		if _, ok := routeAccess[p]; !ok {
			t.Errorf("route %q is not in routeAccess", p)
		}
	}
	for p := range routeAccess {
		if i := sort.SearchStrings(routes, p); i == len(routes) || routes[i] != p {
			t.Errorf("routeAccess declares %q, which is not registered", p)
		}
	}

	ctx := context.Background()
	st := e.setUp(e.a)
	related := e.register(e.a, "Matrix", "Related", crs.NewDate(1950, 1, 1), "", "N1 1AA")
	stranger := e.register(e.a, "Matrix", "Stranger", crs.NewDate(1951, 1, 1), "", "N1 1AB")
	if _, err := store.NewInpatientService(e.db).Admit(ctx, e.a.Actor(crs.RoleClerk), &crs.Admission{PatientID: related.ID, Method: "21", Source: "19",
		WardID: st.ward.ID, BedID: st.beds[0].ID, ConsultantCode: "C1234567"}); err != nil {
		t.Fatalf("admit: %v", err)
	}
	acc := store.NewAccessService(e.db)
	for _, u := range e.a.Users {
		if err := acc.Assign(ctx, e.a.Actor(crs.RoleAdmin), &crs.Assignment{UserID: u.ID, Kind: crs.AssignWard, Value: st.ward.Code, StartsOn: crs.LocalDate(e.clock.Now())}); err != nil {
			t.Fatalf("assign: %v", err)
		}
	}

	for _, role := range crs.Roles() {
		if !role.PersonRole() {
			continue
		}
		c := e.login(e.a, role)
		actor := e.a.Actor(role)
		for _, pattern := range routes {
			rule := routeAccess[pattern]
			method, path, ok := strings.Cut(pattern, " ")
			if !ok || rule.public || pattern == "POST /logout" {
				continue
			}
			for _, withRel := range []bool{true, false} {
				patient := related
				if !withRel {
					patient = stranger
				}
				target := strings.NewReplacer("{$}", "", "{id}", patient.ID, "{action}", "discharge").Replace(path)
				if !strings.HasPrefix(path, "/patients/{id}") {
					target = strings.ReplaceAll(path, "{id}", "00000000-0000-7000-8000-000000000000")
					target = strings.ReplaceAll(target, "{action}", "discharge")
				}
				for _, name := range []string{"{result}", "{doc}", "{offer}", "{assignment}", "{problem}", "{allergy}", "{report}"} {
					target = strings.ReplaceAll(target, name, "00000000-0000-7000-8000-000000000001")
				}
				var r resp
				if method == http.MethodGet {
					r = c.get(target)
				} else {
					r = c.post(target, url.Values{})
				}
				want := true
				if len(rule.acts) > 0 {
					want = false
					for _, act := range rule.acts {
						want = want || actor.Can(act)
					}
				}
				breakGlass := want && rule.rel && !withRel && role.NeedsRelationship() // the role may, the person has no relationship
				if breakGlass {
					want = false
				}
				refused := r.status == http.StatusForbidden
				if r.status == http.StatusSeeOther && strings.HasPrefix(r.loc, "/login") {
					t.Errorf("%s as %s: sent to log in (%s)", pattern, role, r.loc)
					continue
				}
				if refused == want {
					t.Errorf("%s %s as %s (relationship %v): status %d, want %s\n%s", method, target, role, withRel, r.status,
						map[bool]string{true: "allowed", false: "refused"}[want], excerpt(r.body))
				}
				if breakGlass && !strings.Contains(r.body, "break the glass") {
					t.Errorf("%s as %s without a relationship: the page offers no break-glass", pattern, role)
				}
			}
		}
	}
}

// TestClinicalActivities checks the activities the A&E and pathway pages
// need beyond their route: a clerk books a patient in and moves them but
// cannot triage, record them seen or decide to admit; an analyst and a
// privacy officer cannot open an attendance and its presenting complaint.
func TestClinicalActivities(t *testing.T) {
	e := newEnv(t)
	p := e.register(e.a, "Casualty", "Cora", crs.NewDate(1990, 2, 3), "", "E1 1AA")
	att := &crs.EDAttendance{PatientID: p.ID, ArrivalMode: "1048031000000100", AttendanceCategory: "1", Complaint: "Chest pain"}
	if err := store.NewEDService(e.db).Arrive(context.Background(), e.a.Actor(crs.RoleClerk), att); err != nil {
		t.Fatal(err)
	}
	clerk := e.login(e.a, crs.RoleClerk)
	wantBody(t, "clerk opens the attendance", clerk.get("/ed/"+att.ID), "Chest pain")
	for _, step := range []struct{ action, field, value string }{{"triage", "triage", "2"}, {"seen", "clinician", "Dr Who"}, {"dta", "specialty", "300"}} {
		wantStatus(t, "clerk records "+step.action, clerk.post("/ed/"+att.ID+"/"+step.action, url.Values{step.field: {step.value}}), http.StatusForbidden)
	}
	wantStatus(t, "clerk moves the patient", clerk.post("/ed/"+att.ID+"/move", url.Values{"location": {"MAJ-4"}}), http.StatusSeeOther)
	nurse := e.login(e.a, crs.RoleNurse)
	nurse.get("/ed/" + att.ID)
	// A nurse of the emergency department triages; one who is not
	// assigned to it has no relationship with the patient.
	wantStatus(t, "nurse of no department triages", nurse.post("/ed/"+att.ID+"/triage", url.Values{"triage": {"2"}}), http.StatusForbidden)
	e.a.AssignToED(t, e.db, e.a.Actor(crs.RoleNurse))
	wantStatus(t, "nurse triages", nurse.post("/ed/"+att.ID+"/triage", url.Values{"triage": {"2"}}), http.StatusSeeOther)
	for _, role := range []crs.Role{crs.RoleAnalyst, crs.RolePrivacyOfficer} {
		r := e.login(e.a, role).get("/ed/" + att.ID)
		wantStatus(t, string(role)+" opens the attendance", r, http.StatusForbidden)
		if strings.Contains(r.body, "Chest pain") {
			t.Errorf("%s sees the presenting complaint", role)
		}
	}
}

// TestLoginRoleChoice checks role selection at login: a user with two
// roles chooses one and acts with its activities only; the interface
// role cannot log in.
func TestLoginRoleChoice(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	doc := e.a.Users[crs.RoleDoctor]
	if err := store.NewAccessService(e.db).SetUserRoles(ctx, e.a.Actor(crs.RoleAdmin), doc.ID, []crs.Role{crs.RoleDoctor, crs.RoleClerk}); err != nil {
		t.Fatal(err)
	}
	c := e.client()
	c.get("/login")
	r := c.post("/login", url.Values{"username": {doc.Username}, "password": {"test-password-1"}, "next": {"/patients/new"}})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/login/role?next=") {
		t.Fatalf("login with two roles: %d to %q, want the role choice", r.status, r.loc)
	}
	if r := c.get("/patients"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/login/role") {
		t.Errorf("a page before choosing: %d to %q, want the role choice", r.status, r.loc)
	}
	r = c.get("/login/role")
	wantBody(t, "role choice", r, "Choose your role", "Doctor", "Receptionist / clerk")
	wantStatus(t, "no role chosen", c.post("/login/role", url.Values{}), http.StatusUnprocessableEntity)
	wantStatus(t, "a role not held", c.post("/login/role", url.Values{"role": {"admin"}}), http.StatusUnprocessableEntity)
	r = c.post("/login/role", url.Values{"role": {"clerk"}, "next": {"/patients/new"}})
	if r.status != http.StatusSeeOther || r.loc != "/patients/new" {
		t.Fatalf("choose clerk: %d to %q", r.status, r.loc)
	}
	wantStatus(t, "clerk registers", c.get("/patients/new"), http.StatusOK)
	p := e.register(e.a, "Chosen", "Role", crs.NewDate(1970, 1, 1), "", "N1 1AA")
	wantStatus(t, "clerk reads results", c.get("/patients/"+p.ID+"/results"), http.StatusForbidden)

	ic := e.client()
	ic.get("/login")
	wantStatus(t, "interface logs in", ic.post("/login", url.Values{"username": {e.a.Users[crs.RoleInterface].Username}, "password": {"test-password-1"}}), http.StatusUnauthorized)
}
