package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// plannedForm is the record a planned admission form as typed.
type plannedForm struct {
	ExpectedOn, ExpectedTime, Ward, Consultant, Method, PatientClass, TreatmentFunction string
}

var plannedFields = []string{"expected_on", "expected_time", "ward", "consultant", "method", "patient_class", "treatment_function"}
var plannedAnchors = map[string]string{"patient_class": "patient_class-1"}

// electiveMethods are the ADMISSION METHOD codes of a planned admission.
var electiveMethods = func() []nhs.Code {
	var out []nhs.Code
	for _, c := range nhs.AdmissionMethods {
		if c.Code == "11" || c.Code == "12" || c.Code == "13" {
			out = append(out, c)
		}
	}
	return out
}()

func init() {
	journeyLists["elective"] = electiveMethods
	journeyLists["pclass"] = []nhs.Code{{Code: "1", Description: "Ordinary admission (stays at least one night)"}, {Code: "2", Description: "Day case"}}
}

// plannedPage is the data of the record a planned admission page.
type plannedPage struct {
	pageData
	PatientID string
	Wards     []*crs.BedBoardWard
	Form      plannedForm
}

func (s *Server) loadPlanned(r *http.Request, page *plannedPage) error {
	if err := s.needJourney(); err != nil {
		return err
	}
	b, err := s.patientBanner(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	page.PatientID, page.Banner, page.Title = r.PathValue("id"), b, "Record a planned admission"
	if err := actorOf(r).Authorize(crs.ActManagePathways); err != nil {
		return err
	}
	page.Wards, err = s.Inpatients.WardBeds(r.Context(), actorOf(r))
	return err
}

// handlePlannedForm shows the form to record a planned admission (a
// pre-admission) by hand.
func (s *Server) handlePlannedForm(w http.ResponseWriter, r *http.Request) error {
	page := &plannedPage{Form: plannedForm{Method: "11", PatientClass: "1"}}
	if err := s.loadPlanned(r, page); err != nil {
		return err
	}
	return s.render(w, r, "preadmission_new", page)
}

// handleRecordPlanned records a planned admission: the patient is
// expected on a date, on a ward, under a consultant. The feeds are sent
// it as a pre-admission (A05), with the trust's visit number.
func (s *Server) handleRecordPlanned(w http.ResponseWriter, r *http.Request) error {
	page := &plannedPage{Form: plannedForm{ExpectedOn: form(r, "expected_on"), ExpectedTime: form(r, "expected_time"), Ward: form(r, "ward"),
		Consultant: form(r, "consultant"), Method: form(r, "method"), PatientClass: form(r, "patient_class"), TreatmentFunction: form(r, "treatment_function")}}
	if err := s.loadPlanned(r, page); err != nil {
		return err
	}
	f := page.Form
	p := &crs.Preadmission{PatientID: page.PatientID, WardID: f.Ward, ConsultantCode: strings.ToUpper(f.Consultant), AdmissionMethod: f.Method,
		PatientClass: f.PatientClass, TreatmentFunction: f.TreatmentFunction}
	day, msg := readDate(r, "expected_on", "Expected date")
	switch {
	case msg != "":
		page.Errors.dateError("expected_on", msg)
	case day.IsZero():
		page.Errors.dateError("expected_on", "Enter the date the patient is expected")
	case day.Before(crs.LocalDate(s.now()).Time):
		page.Errors.dateError("expected_on", "Expected date must be today or in the future")
	default:
		p.ExpectedOn = day
	}
	if hh, mm, set, msg := readClock(r, "expected_time", "Expected time"); msg != "" {
		page.Errors.add("expected_time", "", msg)
	} else if set && !p.ExpectedOn.IsZero() {
		p.ExpectedAt = time.Date(day.Year(), day.Month(), day.Day(), hh, mm, 0, 0, crs.London).UTC()
	}
	if f.Ward != "" && !hasWard(page.Wards, f.Ward) {
		page.Errors.add("ward", "", "Choose a ward of this trust from the list")
	}
	if f.Consultant == "" {
		page.Errors.add("consultant", "", "Enter the consultant's code, for example C1234567")
	}
	if f.Method == "" {
		page.Errors.add("method", "", "Choose the admission method")
	} else if _, ok := nhs.Lookup(electiveMethods, f.Method); !ok {
		page.Errors.add("method", "", "A planned admission is elective: choose waiting list, booked or planned")
	}
	if f.PatientClass != "1" && f.PatientClass != "2" {
		page.Errors.add("patient_class", plannedAnchors["patient_class"], "Choose an ordinary admission or a day case")
	}
	c := *p
	c.Normalize()
	fp := formPost{name: "preadmission_new", page: page, order: plannedFields, names: map[string]string{"ward": "ward"}, anchors: plannedAnchors,
		fallback: "expected_on"}
	fp.check(c.Validate())
	return s.submit(w, r, fp, func() (string, string, error) {
		err := s.Inpatients.RecordPreadmission(r.Context(), actorOf(r), p)
		return "/preadmissions/" + p.ID, "Planned admission " + p.VisitNumber + " recorded for " + p.Expected(), err
	})
}

// hasWard reports whether id is one of the wards.
func hasWard(wards []*crs.BedBoardWard, id string) bool {
	for _, w := range wards {
		if w.WardID == id {
			return true
		}
	}
	return false
}
