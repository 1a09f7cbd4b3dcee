package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store/storetest"
)

// loginAs logs in with a username and password and returns the status
// of the answer and the client.
func (e *env) loginAs(username, password string) (resp, *client) {
	e.t.Helper()
	c := e.client()
	c.get("/login")
	return c.post("/login", url.Values{"username": {username}, "password": {password}}), c
}

func TestStaffAddUser(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.a, crs.RoleAdmin)

	r := admin.get("/staff")
	wantStatus(t, "GET /staff", r, http.StatusOK)
	wantBody(t, "GET /staff", r, `href="/staff" aria-current="page">Staff</a>`, "clerk.raa", "Receptionist / clerk", "Add a user")
	if strings.Contains(r.body, "clerk.rbb") {
		t.Errorf("the staff list of trust A shows trust B's user clerk.rbb")
	}

	r = admin.get("/staff/new")
	wantStatus(t, "GET /staff/new", r, http.StatusOK)
	wantBody(t, "GET /staff/new", r, `name="username"`, `name="name"`, `name="role"`, `type="password"`, `name="password_confirm"`,
		"At least 10 characters", `<option value="nurse">`)

	for _, tc := range []struct {
		name  string
		form  url.Values
		field string
		msg   string
	}{
		{"short password", url.Values{"username": {"k.ward"}, "name": {"Kim Ward"}, "role": {"nurse"}, "password": {"short"}, "password_confirm": {"short"}},
			"password", "A password needs at least 10 characters"},
		{"username in the password", url.Values{"username": {"k.ward"}, "name": {"Kim Ward"}, "role": {"nurse"}, "password": {"k.ward-2026!"}, "password_confirm": {"k.ward-2026!"}},
			"password", "A password must not contain the username"},
		{"passwords differ", url.Values{"username": {"k.ward"}, "name": {"Kim Ward"}, "role": {"nurse"}, "password": {"kettle orange pylon"}, "password_confirm": {"kettle orange pylon."}},
			"password_confirm", "The passwords do not match"},
		{"no role", url.Values{"username": {"k.ward"}, "name": {"Kim Ward"}, "password": {"kettle orange pylon"}, "password_confirm": {"kettle orange pylon"}},
			"role", "Choose a role"},
		{"bad username", url.Values{"username": {"k ward"}, "name": {"Kim Ward"}, "role": {"nurse"}, "password": {"kettle orange pylon"}, "password_confirm": {"kettle orange pylon"}},
			"username", "must be 2 to 63 lower-case letters"},
		{"taken username", url.Values{"username": {"nurse.raa"}, "name": {"Kim Ward"}, "role": {"nurse"}, "password": {"kettle orange pylon"}, "password_confirm": {"kettle orange pylon"}},
			"username", "Username nurse.raa is taken"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := admin.post("/staff/new", tc.form)
			wantStatus(t, "POST /staff/new", r, http.StatusUnprocessableEntity)
			// The message is beside its field and linked from the summary.
			wantBody(t, "POST /staff/new", r, `id="`+tc.field+`-error"`, tc.msg, `href="#`+tc.field+`"`)
			if strings.Contains(r.body, "kettle orange pylon") {
				t.Errorf("the form shows the typed password again")
			}
		})
	}

	r = admin.post("/staff/new", url.Values{"username": {"K.Ward"}, "name": {"Kim Ward"}, "role": {"nurse"},
		"password": {"kettle orange pylon"}, "password_confirm": {"kettle orange pylon"}})
	if r.status != http.StatusSeeOther || r.loc != "/staff" {
		t.Fatalf("add a user: %d to %q; want 303 to /staff\n%s", r.status, r.loc, excerpt(r.body))
	}
	wantBody(t, "the staff list after adding", admin.get("/staff"), "k.ward", "Kim Ward", "User k.ward added as Nurse")

	r, kim := e.loginAs("k.ward", "kettle orange pylon")
	if r.status != http.StatusSeeOther || r.loc != "/patients" {
		t.Fatalf("the new user logs in: %d to %q; want 303 to /patients\n%s", r.status, r.loc, excerpt(r.body))
	}
	r = kim.get("/patients")
	wantStatus(t, "the new user's first page", r, http.StatusOK)
	wantBody(t, "the new user's first page", r, "Kim Ward", "(Nurse)")
	if strings.Contains(r.body, `href="/staff"`) {
		t.Errorf("a nurse's navigation links to the Staff page")
	}
}

func TestStaffDisableAndPassword(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.a, crs.RoleAdmin)
	nurse := e.a.Users[crs.RoleNurse]
	nc := e.login(e.a, crs.RoleNurse)
	page := "/staff/" + nurse.ID

	r := admin.get(page)
	wantStatus(t, "GET "+page, r, http.StatusOK)
	wantBody(t, "GET "+page, r, nurse.Username, "Enabled: can log in", `action="`+page+`/disable"`, `action="`+page+`/password"`)

	t.Run("a disabled user is logged out and cannot log in", func(t *testing.T) {
		r := admin.post(page+"/disable", nil)
		if r.status != http.StatusSeeOther || r.loc != page {
			t.Fatalf("disable: %d to %q; want 303 to %s\n%s", r.status, r.loc, page, excerpt(r.body))
		}
		wantBody(t, "the page after disabling", admin.get(page), "disabled: they cannot log in", "Disabled: cannot log in", `action="`+page+`/enable"`)
		if r := nc.get("/patients"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/login") {
			t.Errorf("the disabled nurse's open session: GET /patients = %d to %q; want a redirect to /login", r.status, r.loc)
		}
		r, _ = e.loginAs(nurse.Username, storetest.Password)
		wantStatus(t, "the disabled nurse logs in", r, http.StatusUnauthorized)
		wantStatus(t, "disable twice", admin.post(page+"/disable", nil), http.StatusConflict)

		r = admin.post(page+"/enable", nil)
		if r.status != http.StatusSeeOther {
			t.Fatalf("enable: %d\n%s", r.status, excerpt(r.body))
		}
		if r, _ := e.loginAs(nurse.Username, storetest.Password); r.status != http.StatusSeeOther {
			t.Errorf("the enabled nurse logs in: %d; want 303", r.status)
		}
	})

	t.Run("reset password", func(t *testing.T) {
		_, before := e.loginAs(nurse.Username, storetest.Password)
		r := admin.post(page+"/password", url.Values{"password": {"violet harbour engine"}, "password_confirm": {"violet harbour"}})
		wantStatus(t, "reset with passwords that differ", r, http.StatusUnprocessableEntity)
		wantBody(t, "reset with passwords that differ", r, `id="password_confirm-error"`, "The passwords do not match")
		r = admin.post(page+"/password", url.Values{"password": {"short"}, "password_confirm": {"short"}})
		wantStatus(t, "reset with a short password", r, http.StatusUnprocessableEntity)
		wantBody(t, "reset with a short password", r, `id="password-error"`, "at least 10 characters")

		r = admin.post(page+"/password", url.Values{"password": {"violet harbour engine"}, "password_confirm": {"violet harbour engine"}})
		if r.status != http.StatusSeeOther || r.loc != page {
			t.Fatalf("reset: %d to %q\n%s", r.status, r.loc, excerpt(r.body))
		}
		if r := before.get("/patients"); r.status != http.StatusSeeOther {
			t.Errorf("the nurse's session from before the reset: GET /patients = %d; want a redirect to log in", r.status)
		}
		if r, _ := e.loginAs(nurse.Username, storetest.Password); r.status != http.StatusUnauthorized {
			t.Errorf("the old password: %d; want 401", r.status)
		}
		if r, _ := e.loginAs(nurse.Username, "violet harbour engine"); r.status != http.StatusSeeOther {
			t.Errorf("the new password: %d; want 303", r.status)
		}
	})

	t.Run("an administrator cannot disable themselves", func(t *testing.T) {
		self := "/staff/" + e.a.Users[crs.RoleAdmin].ID
		r := admin.get(self)
		wantBody(t, "GET own page", r, "You cannot disable your own account")
		if strings.Contains(r.body, `/disable"`) {
			t.Errorf("the administrator's own page offers to disable them")
		}
		wantStatus(t, "POST own disable", admin.post(self+"/disable", nil), http.StatusConflict)
		wantStatus(t, "the administrator still works", admin.get("/staff"), http.StatusOK)
	})

	t.Run("forms need the CSRF token", func(t *testing.T) {
		r := admin.post(page+"/disable", url.Values{"csrf_token": {"forged"}})
		wantStatus(t, "disable with a forged token", r, http.StatusForbidden)
		r = admin.post("/staff/new", url.Values{"csrf_token": {""}, "username": {"x.y"}})
		wantStatus(t, "add without a token", r, http.StatusForbidden)
	})
}

func TestStaffAccess(t *testing.T) {
	e := newEnv(t)
	clerk := e.login(e.a, crs.RoleClerk)
	admin := e.login(e.a, crs.RoleAdmin)
	nurseA := "/staff/" + e.a.Users[crs.RoleNurse].ID
	clerkB := e.b.Users[crs.RoleClerk]
	otherTrust := "/staff/" + clerkB.ID

	t.Run("roles without user administration get 403", func(t *testing.T) {
		if strings.Contains(clerk.get("/patients").body, `href="/staff"`) {
			t.Errorf("a clerk's navigation links to the Staff page")
		}
		for _, path := range []string{"/staff", "/staff/new", nurseA} {
			r := clerk.get(path)
			wantStatus(t, "clerk GET "+path, r, http.StatusForbidden)
			wantBody(t, "clerk GET "+path, r, "Your role (Receptionist / clerk) does not allow administering users")
		}
		for _, path := range []string{"/staff/new", nurseA + "/disable", nurseA + "/enable", nurseA + "/password"} {
			wantStatus(t, "clerk POST "+path, clerk.post(path, url.Values{"username": {"x.y"}, "name": {"X"}, "role": {"admin"},
				"password": {"kettle orange pylon"}, "password_confirm": {"kettle orange pylon"}}), http.StatusForbidden)
		}
		if r, _ := e.loginAs("x.y", "kettle orange pylon"); r.status != http.StatusUnauthorized {
			t.Errorf("the user a clerk tried to add can log in: %d", r.status)
		}
		if r, _ := e.loginAs(e.a.Users[crs.RoleNurse].Username, storetest.Password); r.status != http.StatusSeeOther {
			t.Errorf("the nurse a clerk tried to disable cannot log in: %d", r.status)
		}
	})

	t.Run("another trust's user is not found", func(t *testing.T) {
		wantStatus(t, "admin A GET B's clerk", admin.get(otherTrust), http.StatusNotFound)
		wantStatus(t, "admin A disables B's clerk", admin.post(otherTrust+"/disable", nil), http.StatusNotFound)
		wantStatus(t, "admin A resets B's clerk's password", admin.post(otherTrust+"/password",
			url.Values{"password": {"kettle orange pylon"}, "password_confirm": {"kettle orange pylon"}}), http.StatusNotFound)
		if r, _ := e.loginAs(clerkB.Username, storetest.Password); r.status != http.StatusSeeOther {
			t.Errorf("trust B's clerk after trust A's attempts: login %d; want 303", r.status)
		}
		wantStatus(t, "a user that does not exist", admin.get("/staff/nosuch"), http.StatusNotFound)
	})
}
