package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// listingForm is the decision to admit form as typed.
type listingForm struct {
	DecidedOn, Management, Procedure, ProcedureName, Priority, Consultant string
}

var listingFields = []string{"decided_on", "intended_management", "procedure", "priority", "consultant"}

var listingAnchors = map[string]string{"priority": "priority-P1"}

// listingPage is the data of the decision to admit page of a pathway.
type listingPage struct {
	pageData
	Pathway *crs.Pathway
	Form    listingForm
}

func (s *Server) loadListing(r *http.Request, page *listingPage) error {
	if err := s.needJourney(); err != nil {
		return err
	}
	p, err := s.Referrals.FindPathway(r.Context(), actorOf(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	b, err := s.patientBanner(r, p.PatientID)
	if err != nil {
		return err
	}
	page.Pathway, page.Banner, page.Title = p, b, "Add to the waiting list"
	return actorOf(r).Authorize(crs.ActManagePathways)
}

// handleListingForm shows the decision to admit form of a pathway.
func (s *Server) handleListingForm(w http.ResponseWriter, r *http.Request) error {
	page := &listingPage{}
	if err := s.loadListing(r, page); err != nil {
		return err
	}
	page.Form = listingForm{DecidedOn: crs.LocalDate(s.now()).String(), Management: "2", Consultant: page.Pathway.ConsultantCode}
	return s.render(w, r, "listing", page)
}

// handleListing records the decision to admit and adds the patient to
// the waiting list on the pathway.
func (s *Server) handleListing(w http.ResponseWriter, r *http.Request) error {
	page := &listingPage{Form: listingForm{DecidedOn: form(r, "decided_on"), Management: form(r, "intended_management"),
		Procedure: form(r, "procedure"), ProcedureName: form(r, "procedure_name"), Priority: form(r, "priority"), Consultant: form(r, "consultant")}}
	if err := s.loadListing(r, page); err != nil {
		return err
	}
	f, fp := page.Form, formPost{name: "listing", page: page, order: listingFields, anchors: listingAnchors, fallback: "procedure"}
	e := &crs.WaitingListEntry{ReferralID: page.Pathway.ReferralID, PathwayID: page.Pathway.ID, PatientID: page.Pathway.PatientID,
		IntendedManagement: f.Management, ProcedureCode: f.Procedure, ProcedureName: f.ProcedureName, Priority: f.Priority,
		ConsultantCode: f.Consultant, TreatmentFunction: page.Pathway.TreatmentFunction, ForTreatment: true}
	var msg string
	e.DecidedOn, msg = readDate(r, "decided_on", "Date of the decision")
	page.Errors.dateError("decided_on", msg)
	e.Normalize()
	fp.check(e.Validate(s.now()))
	return s.submit(w, r, fp, func() (string, string, error) {
		err := s.WaitingList.AddToWaitingList(r.Context(), actorOf(r), e)
		return "/waiting-list/" + e.ID, "Added to the waiting list for " + e.ProcedureCode, err
	})
}
