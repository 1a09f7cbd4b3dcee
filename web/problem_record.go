package web

import (
	"net/http"
	"strconv"

	"github.com/opencrs/crs"
)

// problemPage is the data of the form that records a problem or changes
// one, with the versions of the one changed.
type problemPage struct {
	pageData
	ID, Version             string // of the problem changed; "" for a new one
	Code                    *conceptField
	Category, Status, Verif string
	Onset, Abatement, Note  string
	Alert                   bool
	Current                 *crs.Problem   // the problem as recorded, when changing one
	History                 []*crs.Problem // its versions, newest first
	Statuses, Verifications []string
	Reason                  string // why it is in error, as typed
}

// problemFields lists the form's fields in page order.
var problemFields = []string{"code", "category", "clinical_status", "verification", "onset", "abatement", "note", "reason"}

var problemAnchors = map[string]string{"code": "code_q", "category": "category-problem-list-item"}

func (s *Server) problemPage(r *http.Request, page *problemPage) error {
	if err := s.needClinicalLists(r); err != nil {
		return err
	}
	_, b, err := s.findPatient(r)
	if err != nil {
		return err
	}
	page.Banner, page.Statuses, page.Verifications = b, crs.ProblemStatuses, crs.ProblemVerifications
	page.Title = "Record a problem or diagnosis"
	if id := r.PathValue("problem"); id != "" {
		a := actorOf(r)
		if page.Current, err = s.Problems.FindProblem(r.Context(), a, b.ID, id); err != nil {
			return err
		}
		if page.History, err = s.Problems.ProblemHistory(r.Context(), a, b.ID, id); err != nil {
			return err
		}
		page.Title, page.ID = page.Current.Display, id
	}
	return nil
}

// handleProblemForm shows the form to record a problem, or to change one
// with its versions and the action to mark it entered in error.
func (s *Server) handleProblemForm(w http.ResponseWriter, r *http.Request) error {
	page := &problemPage{}
	if err := s.problemPage(r, page); err != nil {
		return err
	}
	page.Code = conceptOf(page, "code", "Problem or diagnosis", "", crs.ConceptProblem, "", "")
	page.Category, page.Status, page.Verif = crs.ProblemListItem, crs.ProblemActive, crs.VerificationConfirmed
	if p := page.Current; p != nil {
		page.Code.Code, page.Code.Display = p.Code, p.Display
		page.Version, page.Category, page.Status, page.Verif = strconv.Itoa(p.Version), p.Category, p.ClinicalStatus, p.Verification
		page.Onset, page.Abatement, page.Note, page.Alert = p.Onset.String(), p.Abatement.String(), p.Note, p.Alert
	}
	return s.render(w, r, "problem", page)
}

// handleRecordProblem records a problem, or the next version of one. The
// form's Search button shows it again with the concepts that match.
func (s *Server) handleRecordProblem(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r)
	if err := a.Authorize(crs.ActRecordClinical); err != nil {
		return err
	}
	page := &problemPage{Version: form(r, "version"), Category: form(r, "category"), Status: form(r, "clinical_status"),
		Verif: form(r, "verification"), Onset: form(r, "onset"), Abatement: form(r, "abatement"), Note: form(r, "note"), Alert: form(r, "alert") == "yes"}
	if err := s.problemPage(r, page); err != nil {
		return err
	}
	var err error
	if page.Code, err = s.readConcept(r, page, "code", "Problem or diagnosis", "", crs.ConceptProblem); err != nil {
		return err
	}
	if form(r, "search") != "" {
		return s.render(w, r, "problem", page)
	}
	p := &crs.Problem{Entry: crs.Entry{ID: page.ID, PatientID: page.Banner.ID}, Category: page.Category, Code: page.Code.Code,
		ClinicalStatus: page.Status, Verification: page.Verif, Alert: page.Alert, Note: page.Note}
	p.Version, _ = strconv.Atoi(page.Version)
	readDay := func(field, label string) crs.Date {
		d, msg := readDate(r, field, label)
		page.Errors.dateError(field, msg)
		return d
	}
	p.Onset, p.Abatement = readDay("onset", "Onset"), readDay("abatement", "Resolved on")
	fp := formPost{name: "problem", page: page, order: problemFields, anchors: problemAnchors, fallback: "code"}
	if !page.Errors.Any() {
		fp.check(p.Validate(crs.LocalDate(s.now())))
	}
	return s.submit(w, r, fp, func() (string, string, error) {
		err := s.Problems.RecordProblem(r.Context(), a, p)
		return "/patients/" + page.Banner.ID + "/problems", p.Display + " recorded", err
	})
}

// handleProblemInError marks a problem entered in error, with the reason
// typed.
func (s *Server) handleProblemInError(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r)
	if err := a.Authorize(crs.ActRecordClinical); err != nil {
		return err
	}
	page := &problemPage{Reason: form(r, "reason")}
	if err := s.problemPage(r, page); err != nil {
		return err
	}
	p := page.Current
	page.Code = conceptOf(page, "code", "Problem or diagnosis", "", crs.ConceptProblem, p.Code, p.Display)
	page.Version, page.Category, page.Status, page.Verif = strconv.Itoa(p.Version), p.Category, p.ClinicalStatus, p.Verification
	page.Onset, page.Abatement, page.Note, page.Alert = p.Onset.String(), p.Abatement.String(), p.Note, p.Alert
	fp := formPost{name: "problem", page: page, order: problemFields, fallback: "reason"}
	return s.submit(w, r, fp, func() (string, string, error) {
		err := s.Problems.EnterProblemInError(r.Context(), a, page.Banner.ID, page.ID, page.Reason)
		return "/patients/" + page.Banner.ID + "/problems", p.Display + " marked entered in error", err
	})
}

// ErrorAction is where the form marking the problem entered in error
// posts.
func (page *problemPage) ErrorAction() string {
	return "/patients/" + page.Banner.ID + "/problems/" + page.ID + "/error"
}
