package web

import (
	"net/http"
	"strings"

	"github.com/opencrs/crs"
)

// searchPage is the data of the patient search page and of its results
// fragment.
type searchPage struct {
	pageData
	Q                                              string
	Family, Given, BirthDate, Postcode, GenderCode string
	Advanced                                       bool // an advanced field was used: show them open
	Searched                                       bool
	Results                                        []crs.PatientMatch
	Error                                          string // why the search could not run, shown beside the box
	ErrorField                                     string
}

// handleSearch finds patients. One box takes an NHS number, a hospital
// number or "family given dd/mm/yyyy postcode"; the advanced fields
// narrow it. With partial=1 it returns only the results, which the script
// swaps in as the clerk types.
func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r)
	if err := a.Authorize(crs.ActSearchPatients); err != nil {
		return err
	}
	v := r.URL.Query()
	p := &searchPage{
		Q: strings.TrimSpace(v.Get("q")), Family: strings.TrimSpace(v.Get("family")), Given: strings.TrimSpace(v.Get("given")),
		BirthDate: strings.TrimSpace(v.Get("dob")), Postcode: strings.TrimSpace(v.Get("postcode")), GenderCode: v.Get("gender"),
	}
	p.Title, p.Nav = "Find a patient", "search"
	p.Advanced = p.Family != "" || p.Given != "" || p.BirthDate != "" || p.Postcode != "" || p.GenderCode != ""
	if p.Q != "" || p.Advanced {
		q := crs.PatientQuery{Text: p.Q, FamilyName: p.Family, GivenName: p.Given, Postcode: p.Postcode, Gender: p.GenderCode, Limit: 50}
		if looksLikeNHSNumber(p.Q) {
			// Ten digits are an NHS number: one that fails the check is a
			// mistyped number, not a hospital number.
			q.Text, q.NHSNumber = "", p.Q
		}
		var err error
		if p.BirthDate != "" {
			q.BirthDate, err = crs.ParseDate(p.BirthDate)
			if err != nil {
				err = crs.FieldErrorf("dob", "date of birth %s", crs.ErrorMessage(err))
			}
		}
		if err == nil {
			p.Results, err = s.Patients.SearchPatients(r.Context(), a, q)
		}
		switch crs.ErrorCode(err) {
		case "":
			p.Searched = true
		case crs.EINVALID:
			p.Error, p.ErrorField = sentence(crs.FieldErrors(err)[crs.ErrorField(err)]), crs.ErrorField(err)
			if p.ErrorField == "nhs_number" || p.ErrorField == "" {
				p.ErrorField = "q"
			}
			if p.Error == "" {
				p.Error = sentence(crs.ErrorMessage(err))
			}
			p.Errors.add(p.ErrorField, p.ErrorField, p.Error)
		default:
			return err
		}
	}
	if v.Get("partial") == "1" {
		return s.renderPartial(w, r, "search", "results", p)
	}
	if p.Errors.Any() {
		return s.reshow(w, r, "search", p, nil)
	}
	return s.render(w, r, "search", p)
}

// looksLikeNHSNumber reports whether s is ten digits, perhaps spaced 3-3-4.
func looksLikeNHSNumber(s string) bool {
	digits := 0
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == ' ' || c == '-':
		default:
			return false
		}
	}
	return digits == 10
}
