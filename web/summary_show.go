package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

func init() {
	// The discharge summary form's sections and the overdue list's ages.
	funcs["summaryFieldList"] = func() [][3]string { return summaryFormFields }
	funcs["summaryField"] = summaryField
	funcs["hoursSince"] = func(now, t time.Time) int { return int(now.Sub(t).Hours()) }
}

// summaryPage is the data of a spell's discharge summary page: the draft
// form, or the signed summary with its amendment form and history.
type summaryPage struct {
	pageData
	Summary *crs.DischargeSummary
	History []*crs.DischargeSummary // every version, newest first
	Form    crs.DischargeSummary    // what the form shows
	Reason  string                  // the amendment's reason
}

// summaryFields lists the summary form's fields in page order.
var summaryFields = []string{"diagnoses", "procedures", "medications", "follow_up", "gp_information", "reason"}

// spellSummary reads the summary of the spell the path names, and its
// patient.
func (s *Server) spellSummary(r *http.Request) (*crs.DischargeSummary, *crs.Patient, error) {
	if s.Summaries == nil {
		return nil, nil, errNoResults
	}
	sum, err := s.Summaries.SpellSummary(r.Context(), actorOf(r), r.PathValue("id"))
	if crs.ErrorCode(err) == crs.ENOTFOUND {
		return nil, nil, s.spellRefusal(r, err)
	}
	if err != nil {
		return nil, nil, err
	}
	p, err := s.Patients.FindPatient(r.Context(), actorOf(r), sum.PatientID)
	return sum, p, err
}

// spellRefusal tells apart a summary not found from one the user may not
// see: a clinician without a relationship with the spell's patient is
// told to give their reason on the patient's record.
func (s *Server) spellRefusal(r *http.Request, notFound error) error {
	if s.Access == nil || s.Inpatients == nil {
		return notFound
	}
	sp, err := s.Inpatients.FindSpell(r.Context(), actorOf(r), r.PathValue("id"))
	if err != nil {
		return notFound
	}
	if err := s.Access.CheckClinical(r.Context(), actorOf(r), sp.PatientID); err != nil {
		switch crs.ErrorCode(err) {
		case crs.ENORELATIONSHIP, crs.ESEALED:
			return crs.Errorf(crs.EFORBIDDEN, "%s: open the patient's record to give your reason", strings.TrimSuffix(crs.ErrorMessage(err), "."))
		}
		return err
	}
	return notFound
}

func (s *Server) summaryPage(r *http.Request, page *summaryPage) error {
	a := actorOf(r)
	sum, p, err := s.spellSummary(r)
	if err != nil {
		return err
	}
	page.Title, page.Banner, page.Summary = "Discharge summary", s.newBanner(r, p), sum
	page.History, err = s.Summaries.SummaryHistory(r.Context(), a, sum.ID)
	return err
}

// handleSummary shows the discharge summary of a spell: the draft to
// write and sign, or the signed summary, its history and the form to
// amend it.
func (s *Server) handleSummary(w http.ResponseWriter, r *http.Request) error {
	page := &summaryPage{}
	if err := s.summaryPage(r, page); err != nil {
		return err
	}
	page.Form = *page.Summary
	return s.render(w, r, "summary", page)
}

// handleSaveSummary saves the draft (action "save"), signs and sends it
// ("sign"), or signs and sends an amendment of a signed summary ("amend").
func (s *Server) handleSaveSummary(w http.ResponseWriter, r *http.Request) error {
	page := &summaryPage{Reason: form(r, "reason")}
	if err := s.summaryPage(r, page); err != nil {
		return err
	}
	page.Form = *page.Summary
	f := &page.Form
	f.Diagnoses, f.Procedures, f.Medications, f.FollowUp, f.GPInformation = form(r, "diagnoses"), form(r, "procedures"), form(r, "medications"), form(r, "follow_up"), form(r, "gp_information")
	a, action := actorOf(r), form(r, "action")
	to := "/spells/" + page.Summary.SpellID + "/summary"
	fp := formPost{name: "summary", page: page, order: summaryFields, fallback: "diagnoses"}
	if action != "save" {
		fp.check(f.Validate())
	}
	return s.submit(w, r, fp, func() (string, string, error) {
		switch action {
		case "save":
			return to, "Draft saved", s.Summaries.SaveDraft(r.Context(), a, f)
		case "amend":
			return to, "Amendment signed and sent", s.Summaries.AmendSummary(r.Context(), a, f, page.Reason)
		}
		return to, "Discharge summary signed and sent", s.Summaries.SignSummary(r.Context(), a, f)
	})
}

// summaryFormFields are the sections of the summary form: name, label
// and hint.
var summaryFormFields = [][3]string{
	{"diagnoses", "Diagnoses", "The primary diagnosis first, then the others, one a line"},
	{"procedures", "Procedures", "Operations and procedures done in this stay, one a line"},
	{"medications", "Medications on discharge", "One a line: drug, dose, route, frequency and any change from admission; write None if none"},
	{"follow_up", "Follow-up", "Clinic appointments, tests and referrals arranged; write None if none"},
	{"gp_information", "Information for the GP", "What the GP should do, and what the patient has been told"},
}

// summaryField is the value of a section of the summary form.
func summaryField(s crs.DischargeSummary, name string) string {
	return map[string]string{"diagnoses": s.Diagnoses, "procedures": s.Procedures, "medications": s.Medications,
		"follow_up": s.FollowUp, "gp_information": s.GPInformation}[name]
}
