package web

import (
	"net/http"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// assignForm is the add-an-assignment form of a user's page, as typed.
type assignForm struct{ Kind, Value, StartsOn, EndsOn string }

// assignmentKinds are the kinds of assignment as options.
func assignmentKinds() []nhs.Code {
	names := map[crs.AssignmentKind]string{crs.AssignWard: "Ward (code): the patients in a bed on it",
		crs.AssignClinic: "Clinic (code): the patients booked into it today", crs.AssignTeam: "Consultant team (consultant code): their list and inpatients",
		crs.AssignSpecialty: "Specialty (treatment function code): open referrals to it", crs.AssignDepartment: "A&E department (code): the patients in it now"}
	var out []nhs.Code
	for _, k := range crs.AssignmentKinds() {
		out = append(out, nhs.Code{Code: string(k), Description: names[k]})
	}
	return out
}

func init() { funcs["assignmentKinds"] = assignmentKinds }

// loadStaffAccess fills a user's page with their roles, identity and
// assignments.
func (s *Server) loadStaffAccess(r *http.Request, p *staffUserPage) error {
	if s.Access == nil {
		return nil
	}
	a, ctx, id := actorOf(r), r.Context(), p.Person.ID
	roles, err := s.Access.UserRoles(ctx, a, id)
	if err != nil {
		return err
	}
	p.Held, p.AllRoles = map[string]bool{}, roleOptions()
	for _, role := range roles {
		p.Held[string(role)] = true
	}
	if p.Identity, err = s.Access.StaffIdentity(ctx, a, id); err != nil {
		return err
	}
	p.Assignments, err = s.Access.Assignments(ctx, a, id)
	return err
}

// staffAccessPage reads the user the address names and their page, for
// the answers of the forms below.
func (s *Server) staffAccessPage(r *http.Request) (*staffUserPage, error) {
	u, err := s.findStaff(r)
	if err != nil {
		return nil, err
	}
	p := newStaffUserPage(r, u)
	return p, s.loadStaffAccess(r, p)
}

// handleStaffAssign records an assignment of the user to a ward, clinic,
// consultant team, specialty or department.
func (s *Server) handleStaffAssign(w http.ResponseWriter, r *http.Request) error {
	p, err := s.staffAccessPage(r)
	if err != nil {
		return err
	}
	p.Assign = assignForm{Kind: form(r, "kind"), Value: form(r, "value"), StartsOn: form(r, "starts_on"), EndsOn: form(r, "ends_on")}
	as := &crs.Assignment{UserID: p.Person.ID, Kind: crs.AssignmentKind(p.Assign.Kind), Value: p.Assign.Value}
	var msg string
	as.StartsOn, msg = readDate(r, "starts_on", "From")
	p.Errors.dateError("starts_on", msg)
	if as.StartsOn.IsZero() {
		as.StartsOn = crs.LocalDate(s.now())
	}
	as.EndsOn, msg = readDate(r, "ends_on", "To (last day)")
	p.Errors.dateError("ends_on", msg)
	fp := formPost{name: "staff_user", page: p, order: []string{"kind", "value", "starts_on", "ends_on"}, fallback: "value"}
	return s.submit(w, r, fp, func() (string, string, error) {
		err := s.Access.Assign(r.Context(), actorOf(r), as)
		return "/staff/" + p.Person.ID, "Assigned to " + string(as.Kind) + " " + as.Value, err
	})
}

// handleStaffUnassign ends an assignment today.
func (s *Server) handleStaffUnassign(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := s.Access.EndAssignment(r.Context(), actorOf(r), r.PathValue("assignment"), crs.LocalDate(s.now())); err != nil {
		return err
	}
	return s.redirect(w, r, "/staff/"+id, "Assignment ended today.")
}

// handleStaffRoles gives the user the roles ticked; with more than one
// they choose one at each login.
func (s *Server) handleStaffRoles(w http.ResponseWriter, r *http.Request) error {
	p, err := s.staffAccessPage(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return crs.Errorf(crs.EINVALID, "the form could not be read")
	}
	var roles []crs.Role
	p.Held = map[string]bool{}
	for _, v := range r.PostForm["roles"] {
		roles = append(roles, crs.Role(v))
		p.Held[v] = true
	}
	fp := formPost{name: "staff_user", page: p, fallback: "roles", anchors: map[string]string{"roles": "roles-" + string(crs.RoleClerk)}}
	return s.submit(w, r, fp, func() (string, string, error) {
		err := s.Access.SetUserRoles(r.Context(), actorOf(r), p.Person.ID, roles)
		return "/staff/" + p.Person.ID, "Roles saved. Any session of theirs has ended.", err
	})
}

// handleStaffIdentity records the user's identity for the privacy
// checks: their surname and postcode, and NHS number.
func (s *Server) handleStaffIdentity(w http.ResponseWriter, r *http.Request) error {
	p, err := s.staffAccessPage(r)
	if err != nil {
		return err
	}
	p.Identity = crs.StaffIdentity{FamilyName: form(r, "family_name"), Postcode: form(r, "postcode"), NHSNumber: form(r, "nhs_number")}
	fp := formPost{name: "staff_user", page: p, order: []string{"family_name", "postcode", "nhs_number"}}
	return s.submit(w, r, fp, func() (string, string, error) {
		err := s.Access.SetStaffIdentity(r.Context(), actorOf(r), p.Person.ID, p.Identity)
		return "/staff/" + p.Person.ID, "Identity for the privacy checks saved.", err
	})
}
