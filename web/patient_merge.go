package web

import (
	"net/http"
	"strings"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// mergePage is the data of the merge pages: finding the other record, then
// comparing the two and choosing which to keep.
type mergePage struct {
	pageData
	Patient *crs.Patient
	Find    string
	Results []crs.PatientMatch
	More    int // matches beyond those shown
	Error   string
	Other   *crs.Patient // the record to compare with, once chosen
	Rows    []compareRow
	Keep    string
	Reason  string
}

// compareRow is one line of the side-by-side comparison.
type compareRow struct {
	Label       string
	This, Other string
	Differs     bool
}

// loadMerge reads the record of the address for the merge page, once
// the user may merge records.
func (s *Server) loadMerge(r *http.Request, page *mergePage) error {
	if err := actorOf(r).Authorize(crs.ActMergePatients); err != nil {
		return err
	}
	p, b, err := s.findPatient(r)
	if err != nil {
		return err
	}
	page.Patient, page.Title, page.Banner = p, "Merge records", b
	return nil
}

// handleMergeForm shows the merge page of a record. Without ?other= it
// lets the user find the other record (by hospital number, NHS number or
// a search); with it, it shows both records side by side, differences
// marked, and asks which to keep.
func (s *Server) handleMergeForm(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r)
	page := &mergePage{Find: strings.TrimSpace(r.URL.Query().Get("find"))}
	if err := s.loadMerge(r, page); err != nil {
		return err
	}
	p := page.Patient
	if p.Merged() {
		return crs.Errorf(crs.ECONFLICT, "this record is already merged into hospital number %s", page.Banner.MergedIntoMRN)
	}
	if other := r.URL.Query().Get("other"); other != "" {
		if err := s.compare(r, page, other); err != nil {
			return err
		}
		return s.render(w, r, "merge", page)
	}
	if page.Find != "" {
		q := crs.PatientQuery{Text: page.Find, Limit: 20}
		if looksLikeNHSNumber(page.Find) {
			q.Text, q.NHSNumber = "", page.Find
		}
		res, err := s.Patients.SearchPatients(r.Context(), a, q)
		if crs.ErrorCode(err) == crs.EINVALID {
			page.Error = sentence(crs.FieldErrors(err)[crs.ErrorField(err)])
			page.Errors.add("find", "", page.Error)
			return s.reshow(w, r, "merge", page, nil)
		} else if err != nil {
			return err
		}
		page.More = res.More()
		for _, m := range res.Matches {
			if m.Patient.ID != p.ID {
				page.Results = append(page.Results, m)
			}
		}
	}
	return s.render(w, r, "merge", page)
}

// compare reads the other record and lays the two side by side.
func (s *Server) compare(r *http.Request, page *mergePage, otherID string) error {
	if otherID == page.Patient.ID {
		return crs.Errorf(crs.EINVALID, "a record cannot be merged into itself; choose another record")
	}
	o, err := s.Patients.FindPatient(r.Context(), actorOf(r), otherID)
	if err != nil {
		return err
	}
	if o.Merged() {
		return crs.Errorf(crs.ECONFLICT, "hospital number %s is already merged into another record", o.MRN)
	}
	page.Other, page.Title = o, "Compare records to merge"
	x, y := page.Patient, o
	row := func(label, a, b string) {
		page.Rows = append(page.Rows, compareRow{Label: label, This: a, Other: b, Differs: a != b})
	}
	nhsText := func(p *crs.Patient) string {
		if p.NHSNumber == "" {
			return "Not known (" + p.NHSNumberStatus.Description() + ")"
		}
		return nhs.FormatNumber(p.NHSNumber) + " (" + p.NHSNumberStatus.Description() + ")"
	}
	row("Hospital number", x.MRN, y.MRN)
	row("NHS number", nhsText(x), nhsText(y))
	row("Name", x.DisplayName(), y.DisplayName())
	row("Other names", x.OtherNames, y.OtherNames)
	row("Date of birth", showDate(x.BirthDate), showDate(y.BirthDate))
	row("Gender", x.GenderName(), y.GenderName())
	row("Address", x.Address.String(), y.Address.String())
	row("Phone", x.Phone, y.Phone)
	row("Mobile", x.Mobile, y.Mobile)
	row("Email", x.Email, y.Email)
	row("GP practice", strings.TrimSpace(x.GPPracticeCode+" "+x.GPPracticeName), strings.TrimSpace(y.GPPracticeCode+" "+y.GPPracticeName))
	dead := func(p *crs.Patient) string {
		if p.DeathTime == nil {
			return ""
		}
		return showDateTime(*p.DeathTime)
	}
	row("Date of death", dead(x), dead(y))
	row("Registered", showDate(crs.LocalDate(x.CreatedAt)), showDate(crs.LocalDate(y.CreatedAt)))
	return nil
}

// handleMerge merges the two records: the one chosen to keep is the
// major, the other the minor, which afterwards points to the major.
func (s *Server) handleMerge(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r)
	page := &mergePage{Keep: r.PostFormValue("keep"), Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	if err := s.loadMerge(r, page); err != nil {
		return err
	}
	p := page.Patient
	if err := s.compare(r, page, r.PostFormValue("other")); err != nil {
		return err
	}
	var major, minor *crs.Patient
	switch page.Keep {
	case p.ID:
		major, minor = p, page.Other
	case page.Other.ID:
		major, minor = page.Other, p
	default:
		page.Errors.add("keep", "keep-this", "Choose which record to keep")
	}
	if page.Reason == "" {
		page.Errors.add("reason", "", "Enter why these records are the same patient")
	}
	return s.submit(w, r, formPost{name: "merge", page: page}, func() (string, string, error) {
		err := s.Patients.MergePatients(r.Context(), a, major.ID, minor.ID, page.Reason)
		return "/patients/" + major.ID, "Hospital number " + minor.MRN + " merged into hospital number " + major.MRN, err
	})
}
