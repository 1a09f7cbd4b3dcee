package web

import (
	"net/http"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// auditPage is the data of a patient's access audit page and of the
// letter a patient can be given.
type auditPage struct {
	pageData
	Visits           []*crs.AccessVisit // oldest first
	Seals            []*crs.Seal
	Category, Reason string // the seal form as typed
	Patient          *crs.Patient
}

// sealCategories lists the seal categories for the seal form.
func sealCategories() []nhs.Code {
	out := []nhs.Code{}
	for _, c := range []string{crs.SealPatientRequest, crs.SealSexualHealth, crs.SealGenderIdentity, crs.SealAdoption, crs.SealIVF} {
		out = append(out, nhs.Code{Code: c, Description: crs.SealCategories[c]})
	}
	return out
}

func init() {
	funcs["sealCategories"] = sealCategories
	funcs["alertName"] = func(k string) string { return crs.AlertNames[k] }
	funcs["sealName"] = func(c string) string { return crs.SealCategories[c] }
}

// handleAudit shows a privacy officer who accessed a patient's record,
// visit by visit to the second (when, which user in which role, what
// they did and saw, and why), with the seals on the record.
func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) error {
	page, err := s.loadAudit(r)
	if err != nil {
		return err
	}
	page.Title = "Access audit"
	return s.render(w, r, "audit", page)
}

// handleAuditLetter shows the accesses to the record as a letter the
// patient can be given, printable from the browser.
func (s *Server) handleAuditLetter(w http.ResponseWriter, r *http.Request) error {
	page, err := s.loadAudit(r)
	if err != nil {
		return err
	}
	page.Title, page.Banner = "Who has accessed your record", nil
	return s.render(w, r, "audit_letter", page)
}

func (s *Server) loadAudit(r *http.Request) (*auditPage, error) {
	a := actorOf(r)
	if err := a.Authorize(crs.ActViewAudit); err != nil {
		return nil, err
	}
	p, b, err := s.findPatient(r)
	if err != nil {
		return nil, err
	}
	page := &auditPage{Patient: p}
	page.Banner = b
	if s.Access == nil { // no governance service: the audit trail alone, in visits without names
		recs, err := s.Audit.PatientAccess(r.Context(), a, b.ID)
		page.Visits = crs.GroupVisits(recs, nil)
		return page, err
	}
	if page.Visits, err = s.Access.AccessReport(r.Context(), a, b.ID); err != nil {
		return nil, err
	}
	page.Seals, err = s.Access.Seals(r.Context(), a, b.ID)
	return page, err
}

// handleSeal seals the record in a category, with the reason.
func (s *Server) handleSeal(w http.ResponseWriter, r *http.Request) error {
	if s.Access == nil {
		return errNoPage
	}
	id := r.PathValue("id")
	err := s.Access.SealRecord(r.Context(), actorOf(r), id, form(r, "category"), form(r, "reason"))
	if crs.ErrorCode(err) == crs.EINVALID {
		page, lerr := s.loadAudit(r)
		if lerr != nil {
			return lerr
		}
		page.Title, page.Category, page.Reason = "Access audit", form(r, "category"), form(r, "reason")
		(formPost{page: page, fallback: "reason"}).check(err)
		return s.reshow(w, r, "audit", page, []string{"category", "reason"})
	}
	if err != nil {
		return err
	}
	return s.redirect(w, r, "/patients/"+id+"/audit", "Record sealed. Its clinical content now opens only with a recorded reason.")
}

// handleUnseal lifts a seal.
func (s *Server) handleUnseal(w http.ResponseWriter, r *http.Request) error {
	if s.Access == nil {
		return errNoPage
	}
	id := r.PathValue("id")
	if err := s.Access.UnsealRecord(r.Context(), actorOf(r), form(r, "seal")); err != nil {
		return err
	}
	return s.redirect(w, r, "/patients/"+id+"/audit", "Seal lifted.")
}
