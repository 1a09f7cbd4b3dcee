package web

import (
	"net/http"
	"strings"

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
	f := page.Form
	e := &crs.WaitingListEntry{ReferralID: page.Pathway.ReferralID, PathwayID: page.Pathway.ID, PatientID: page.Pathway.PatientID,
		IntendedManagement: f.Management, ProcedureCode: f.Procedure, ProcedureName: f.ProcedureName, Priority: f.Priority,
		ConsultantCode: f.Consultant, TreatmentFunction: page.Pathway.TreatmentFunction, ForTreatment: true}
	if d, ok := parseDay(f.DecidedOn); ok {
		e.DecidedOn = d
	} else {
		page.Errors.add("decided_on", "", "Date of the decision must be a real date, for example 02/03/2026")
	}
	e.Normalize()
	if err := e.Validate(s.now()); err != nil {
		page.Errors.addErr(err, listingAnchors)
	}
	if !page.Errors.Any() {
		err := s.WaitingList.AddToWaitingList(r.Context(), actorOf(r), e)
		if err == nil {
			return s.redirect(w, r, "/waiting-list/"+e.ID, "Added to the waiting list for "+e.ProcedureCode)
		}
		if !serviceErrors(&page.Errors, err, listingAnchors, "procedure") {
			return err
		}
	}
	return s.reshow(w, r, "listing", page, listingFields)
}

// entryPage is the data of a waiting list entry's page: the decision,
// its TCI offers and the forms to offer dates, answer and remove.
type entryPage struct {
	pageData
	Entry                *crs.WaitingListEntry
	OfferedOn            string   // the offer form
	Dates                []string // the dates offered, as typed, one per input
	RemovalReason, Note  string   // the removal form
	RemovalStatus        string
	DeclineNote          string
	Until, Reason        string // the suspension form
	ReasonableNoticeDays int
}

func (s *Server) loadEntry(r *http.Request, page *entryPage) error {
	if err := s.needJourney(); err != nil {
		return err
	}
	e, err := s.WaitingList.FindWaitingListEntry(r.Context(), actorOf(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	b, err := s.patientBanner(r, e.PatientID)
	if err != nil {
		return err
	}
	page.Entry, page.Banner, page.Title, page.ReasonableNoticeDays = e, b, "Waiting list entry", 21
	if page.OfferedOn == "" {
		page.OfferedOn = crs.LocalDate(s.now()).String()
	}
	return nil
}

// handleEntry shows a waiting list entry.
func (s *Server) handleEntry(w http.ResponseWriter, r *http.Request) error {
	page := &entryPage{}
	if err := s.loadEntry(r, page); err != nil {
		return err
	}
	return s.render(w, r, "entry", page)
}

// handleOfferTCI records dates offered to come in; the page says whether
// the offer was reasonable (two or more dates with three weeks' notice).
func (s *Server) handleOfferTCI(w http.ResponseWriter, r *http.Request) error {
	page := &entryPage{OfferedOn: form(r, "offered_on")}
	if err := r.ParseForm(); err != nil {
		return crs.Errorf(crs.EINVALID, "the form could not be read")
	}
	// Each date has an input of its own; one input may also hold several
	// dates separated by commas, as typed where date inputs are not shown.
	var typed []string
	for _, v := range r.PostForm["dates"] {
		typed = append(typed, strings.FieldsFunc(v, func(c rune) bool { return c == ',' || c == ';' || c == '\n' || c == ' ' })...)
	}
	page.Dates = typed
	if err := s.loadEntry(r, page); err != nil {
		return err
	}
	o := &crs.TCIOffer{}
	if d, ok := parseDay(page.OfferedOn); ok {
		o.OfferedOn = d
	} else {
		page.Errors.add("offered_on", "", "Date of the offer must be a real date, for example 02/03/2026")
	}
	for _, f := range typed {
		d, err := crs.ParseDate(f)
		if err != nil {
			page.Errors.add("dates", "", "Each date offered must be a real date, for example 2026-03-30")
			break
		}
		o.Dates = append(o.Dates, d)
	}
	if !page.Errors.Any() {
		err := o.Validate()
		if err == nil {
			err = s.WaitingList.OfferTCI(r.Context(), actorOf(r), page.Entry.ID, o)
		}
		if err == nil {
			msg := "Offer recorded: not a reasonable offer (it needs two dates with 3 weeks' notice)"
			if o.Reasonable {
				msg = "Offer recorded: a reasonable offer"
			}
			return s.redirect(w, r, "/waiting-list/"+page.Entry.ID, msg)
		}
		if !serviceErrors(&page.Errors, err, nil, "dates") {
			return err
		}
	}
	return s.reshow(w, r, "entry", page, nil)
}

// handleRespondTCI records the patient's acceptance of one offered date,
// or refusal of the offer.
func (s *Server) handleRespondTCI(w http.ResponseWriter, r *http.Request) error {
	page := &entryPage{DeclineNote: form(r, "note")}
	if err := s.loadEntry(r, page); err != nil {
		return err
	}
	resp := crs.TCIResponse{Note: page.DeclineNote}
	if d := form(r, "accept"); d != "" {
		day, err := crs.ParseDate(d)
		if err != nil {
			return crs.Errorf(crs.EINVALID, "%q is not a date", d)
		}
		resp.Accept, resp.Date = true, day
	}
	if err := s.WaitingList.RespondToTCI(r.Context(), actorOf(r), r.PathValue("offer"), resp); err != nil {
		return err
	}
	msg := "The patient declined the offer"
	if resp.Accept {
		msg = "TCI agreed for " + resp.Date.Display()
	}
	return s.redirect(w, r, "/waiting-list/"+page.Entry.ID, msg)
}

// handleRemoveEntry takes the patient off the waiting list with a reason.
func (s *Server) handleRemoveEntry(w http.ResponseWriter, r *http.Request) error {
	page := &entryPage{RemovalReason: form(r, "removal_reason"), Note: form(r, "note"), RemovalStatus: form(r, "rtt_status")}
	if err := s.loadEntry(r, page); err != nil {
		return err
	}
	rm := crs.Removal{Reason: page.RemovalReason, Note: page.Note}
	if page.RemovalReason == "" {
		page.Errors.add("removal_reason", "removal_reason-1", "Choose why the patient is removed from the list")
	}
	if page.RemovalStatus != "" {
		st, err := parseRTT(page.RemovalStatus)
		if err != nil {
			page.Errors.add("rtt_status", "", "Choose an RTT status from the list")
		}
		rm.RTTStatus = st
	}
	if !page.Errors.Any() {
		err := s.WaitingList.RemoveFromWaitingList(r.Context(), actorOf(r), page.Entry.ID, rm)
		if err == nil {
			return s.redirect(w, r, "/waiting-list/"+page.Entry.ID, "Removed from the waiting list")
		}
		if !serviceErrors(&page.Errors, err, map[string]string{"reason": "removal_reason-1"}, "removal_reason") {
			return err
		}
	}
	return s.reshow(w, r, "entry", page, nil)
}

// handleSuspendEntry records that the patient is unavailable for
// admission until a date, with the reason. The RTT clock does not pause.
func (s *Server) handleSuspendEntry(w http.ResponseWriter, r *http.Request) error {
	page := &entryPage{Until: form(r, "until"), Reason: form(r, "reason")}
	if err := s.loadEntry(r, page); err != nil {
		return err
	}
	if err := actorOf(r).Authorize(crs.ActManagePathways); err != nil {
		return err
	}
	if page.Entry.Status != crs.ListWaiting {
		return crs.Errorf(crs.ECONFLICT, "Only a patient waiting on the list can be suspended; this entry is %s.", page.Entry.Status)
	}
	if page.Reason == "" {
		page.Errors.add("reason", "", "Say why the patient is unavailable")
	}
	until, ok := parseDay(page.Until)
	switch {
	case !ok:
		page.Errors.add("until", "", "Unavailable until must be a real date, for example 2026-04-20")
	case until.IsZero():
		page.Errors.add("until", "", "Enter the date until which the patient is unavailable")
	case !until.After(crs.LocalDate(s.now()).Time):
		page.Errors.add("until", "", "Unavailable until must be a date after today")
	}
	if !page.Errors.Any() {
		err := s.WaitingList.Suspend(r.Context(), actorOf(r), page.Entry.ID, until, page.Reason)
		if err == nil {
			return s.redirect(w, r, "/waiting-list/"+page.Entry.ID, "Suspended until "+until.Display()+"; the RTT clock keeps running")
		}
		if !serviceErrors(&page.Errors, err, nil, "reason") {
			return err
		}
	}
	return s.reshow(w, r, "entry", page, []string{"until", "reason"})
}

// handleResumeEntry ends a suspension: the patient can be offered dates
// to come in again.
func (s *Server) handleResumeEntry(w http.ResponseWriter, r *http.Request) error {
	page := &entryPage{}
	if err := s.loadEntry(r, page); err != nil {
		return err
	}
	if err := s.WaitingList.Resume(r.Context(), actorOf(r), page.Entry.ID); err != nil {
		return err
	}
	return s.redirect(w, r, "/waiting-list/"+page.Entry.ID, "Available for admission again")
}

// OfferDate is the i-th date offered as typed, for the i-th date input.
func (p *entryPage) OfferDate(i int) string {
	if i < len(p.Dates) {
		return p.Dates[i]
	}
	return ""
}
