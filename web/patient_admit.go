package web

import (
	"net/http"
	"strings"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// admitForm is the admission form as typed.
type admitForm struct {
	EntryID, PreadmissionID, EDID, Method, Source, Place, Consultant, TF, Expected, At string
	Purpose                                                                            string // from the waiting list: treatment or diagnostic
}

// Purposes of an admission from the waiting list.
const (
	purposeTreatment  = "treatment"
	purposeDiagnostic = "diagnostic"
)

func init() {
	funcs["admitPurposes"] = func() []nhs.Code {
		return []nhs.Code{
			{Code: purposeTreatment, Description: "First definitive treatment: the RTT clock stops (30)"},
			{Code: purposeDiagnostic, Description: "Diagnostics only (test, pre-treatment or pre-operative assessment): the clock runs on"},
		}
	}
}

var admitFields = []string{"purpose", "method", "source", "place", "consultant", "treatment_function", "expected_discharge", "at"}

var admitAnchors = map[string]string{"patient": "method"}

// admitPage is the data of the admission page.
type admitPage struct {
	pageData
	Form    admitForm
	Wards   []*crs.BedBoardWard
	Entry   *crs.WaitingListEntry
	Planned *crs.Preadmission // the planned admission being admitted, if any
}

func (s *Server) loadAdmit(r *http.Request, page *admitPage) error {
	a := actorOf(r)
	b, err := s.journeyPatient(r)
	if err != nil {
		return err
	}
	page.Banner, page.Title = b, "Admit"
	if page.Form.PreadmissionID != "" {
		if page.Planned, err = s.Inpatients.FindPreadmission(r.Context(), a, page.Form.PreadmissionID); err != nil {
			return err
		}
		if page.Planned.PatientID != b.ID {
			return crs.Errorf(crs.ENOTFOUND, "That planned admission is not this patient's.")
		}
		if page.Form.EntryID == "" {
			page.Form.EntryID = page.Planned.EntryID
		}
	}
	if page.Form.EntryID != "" {
		if page.Entry, err = s.WaitingList.FindWaitingListEntry(r.Context(), a, page.Form.EntryID); err != nil {
			return err
		}
		if page.Entry.PatientID != b.ID {
			return crs.Errorf(crs.ENOTFOUND, "That waiting list entry is not this patient's.")
		}
	}
	if page.Form.EDID != "" {
		e, err := s.ED.FindAttendance(r.Context(), a, page.Form.EDID)
		if err != nil {
			return err
		}
		if e.PatientID != b.ID {
			return crs.Errorf(crs.ENOTFOUND, "That A&E attendance is not this patient's.")
		}
	}
	return nil
}

// loadAdmitWards reads the wards and their free beds the form offers,
// each time the form is shown: after a refusal (a bed another user took
// first) the form then offers the beds as they are now, not as they were
// before the refused admission.
func (s *Server) loadAdmitWards(r *http.Request, page *admitPage) (err error) {
	page.Wards, err = s.Inpatients.WardBeds(r.Context(), actorOf(r))
	return err
}

// handleAdmitForm shows the admission form: from the waiting list
// (?entry=), a planned admission (?preadmission=), from A&E (?ed=), or an
// emergency, maternity or transfer-in admission.
func (s *Server) handleAdmitForm(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	page := &admitPage{Form: admitForm{EntryID: q.Get("entry"), PreadmissionID: q.Get("preadmission"), EDID: q.Get("ed"), Source: "19", Method: "21"}}
	if err := s.loadAdmit(r, page); err != nil {
		return err
	}
	if err := s.loadAdmitWards(r, page); err != nil {
		return err
	}
	if e := page.Entry; e != nil {
		page.Form.Method, page.Form.Consultant, page.Form.TF = "11", e.ConsultantCode, e.TreatmentFunction
		page.Form.Purpose = purposeDiagnostic
		if e.ForTreatment {
			page.Form.Purpose = purposeTreatment
		}
	}
	if p := page.Planned; p != nil {
		page.Form.Method, page.Form.Place = p.AdmissionMethod, p.WardID
		if p.ConsultantCode != "" {
			page.Form.Consultant = p.ConsultantCode
		}
		if p.TreatmentFunction != "" {
			page.Form.TF = p.TreatmentFunction
		}
	}
	return s.render(w, r, "admit", page)
}

// handleAdmit admits the patient to a ward and bed under a consultant.
func (s *Server) handleAdmit(w http.ResponseWriter, r *http.Request) error {
	f := admitForm{EntryID: form(r, "entry"), PreadmissionID: form(r, "preadmission"), EDID: form(r, "ed"), Method: form(r, "method"), Source: form(r, "source"),
		Place: form(r, "place"), Consultant: strings.ToUpper(form(r, "consultant")), TF: form(r, "treatment_function"),
		Expected: form(r, "expected_discharge"), At: form(r, "at"), Purpose: form(r, "purpose")}
	page := &admitPage{Form: f}
	if err := s.loadAdmit(r, page); err != nil {
		return err
	}
	ad := &crs.Admission{PatientID: page.Banner.ID, EntryID: f.EntryID, PreadmissionID: f.PreadmissionID, EDAttendanceID: f.EDID, Method: f.Method, Source: f.Source,
		ConsultantCode: f.Consultant, TreatmentFunction: f.TF}
	ad.WardID, ad.BedID, _ = strings.Cut(f.Place, "/")
	if page.Entry != nil {
		switch f.Purpose {
		case purposeTreatment, purposeDiagnostic:
			forTreatment := f.Purpose == purposeTreatment
			ad.ForTreatment = &forTreatment
		case "": // not sent: the entry's intention
		default:
			page.Errors.add("purpose", "purpose-"+purposeTreatment, "Say whether the patient is admitted for treatment or for diagnostics only")
		}
	}
	var msg string
	ad.ExpectedDischarge, msg = readDate(r, "expected_discharge", "Expected discharge date")
	page.Errors.dateError("expected_discharge", msg)
	ad.At, msg = readDateTime(r, "at", "Time admitted", s.now())
	page.Errors.dateError("at", msg)
	fp := formPost{name: "admit", page: page, order: admitFields, anchors: admitAnchors, fallback: "place",
		reload: func() error { return s.loadAdmitWards(r, page) }}
	fp.check(ad.Validate())
	return s.submit(w, r, fp, func() (string, string, error) {
		sp, err := s.Inpatients.Admit(r.Context(), actorOf(r), ad)
		if err != nil {
			return "", "", err
		}
		return "/spells/" + sp.ID, "Admitted", nil
	})
}
