package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/opencrs/crs"
)

// handleOfferTCI records dates offered to come in; the page says whether
// the offer was reasonable (two or more dates with three weeks' notice).
func (s *Server) handleOfferTCI(w http.ResponseWriter, r *http.Request) error {
	page := &entryPage{}
	if err := r.ParseForm(); err != nil {
		return crs.Errorf(crs.EINVALID, "the form could not be read")
	}
	if err := s.loadEntry(r, page); err != nil {
		return err
	}
	o := &crs.TCIOffer{}
	var msg string
	o.OfferedOn, msg = readDate(r, "offered_on", "Date of the offer")
	page.Errors.dateError("offered_on", msg)
	// Each date offered has a date input of its own (date1..date3); a
	// form or link of the older shape sends them as "dates", YYYY-MM-DD,
	// one a value or several separated by commas.
	for i, label := range offerDateLabels {
		name := "date" + strconv.Itoa(i+1)
		d, msg := readDate(r, name, label)
		page.Errors.dateError(name, msg)
		if !d.IsZero() {
			o.Dates = append(o.Dates, d)
		}
	}
	for _, v := range r.PostForm["dates"] {
		for _, f := range strings.FieldsFunc(v, func(c rune) bool { return c == ',' || c == ';' || c == '\n' || c == ' ' }) {
			d, msg := parseTypedDate(splitDate(f), "Each date offered")
			if msg != "" {
				page.Errors.dateError("date1", msg)
				break
			}
			o.Dates = append(o.Dates, d)
		}
	}
	fp := formPost{name: "entry", page: page, fallback: "date1", names: map[string]string{"dates": "date1"}}
	return s.submit(w, r, fp, func() (string, string, error) {
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
		msg = "TCI agreed for " + showDate(resp.Date)
	}
	return s.redirect(w, r, "/waiting-list/"+page.Entry.ID, msg)
}
