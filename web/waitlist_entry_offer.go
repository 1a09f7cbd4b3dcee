package web

import (
	"net/http"
	"strings"

	"github.com/opencrs/crs"
)

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
	return s.submit(w, r, formPost{name: "entry", page: page, fallback: "dates"}, func() (string, string, error) {
		err := o.Validate()
		if err == nil {
			err = s.WaitingList.OfferTCI(r.Context(), actorOf(r), page.Entry.ID, o)
		}
		msg := "Offer recorded: not a reasonable offer (it needs two dates with 3 weeks' notice)"
		if o.Reasonable {
			msg = "Offer recorded: a reasonable offer"
		}
		return "/waiting-list/" + page.Entry.ID, msg, err
	})
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
