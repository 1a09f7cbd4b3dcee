package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// reshow answers a form that cannot be accepted as typed: the form's page
// again with status 422 Unprocessable Entity, what the user typed still in
// its fields, each problem beside its field and the error summary at the
// top, in the order of the form's fields (order; nil keeps the order the
// problems were found). A request no form of ours could send is not this:
// it is the error page (400), and a failed CSRF check is 403.
func (s *Server) reshow(w http.ResponseWriter, r *http.Request, name string, page pager, order []string) error {
	if order != nil {
		page.page().Errors.sortBy(order)
	}
	return s.renderStatus(w, r, http.StatusUnprocessableEntity, name, page)
}

// patientForm is the demographics form of the register and edit pages
// (templates/_patient_form.html), as typed: it is shown again with the
// user's input when something is wrong.
type patientForm struct {
	Title, GivenName, OtherNames, FamilyName string
	BirthDay, BirthMonth, BirthYear          string
	Gender                                   string
	NHSNumber, NHSNumberStatus               string
	AddressLines                             [5]string
	Postcode, Phone, Mobile, Email           string
	GPPracticeCode, GPPracticeName           string
	EthnicCategory                           string
	ContactName, ContactRelationship         string
	ContactPhone                             string
	Version                                  string
}

// patientFields lists the form's fields in page order, for the error
// summary.
var patientFields = []string{"title", "given_name", "other_names", "family_name", "birth_date", "gender", "nhs_number",
	"nhs_number_status", "address", "postcode", "phone", "mobile", "email", "gp_practice_code", "gp_practice_name", "ethnic_category", "contact_name"}

// patientAnchors maps the fields whose first input has another id.
var patientAnchors = map[string]string{"birth_date": "birth_date-day", "gender": "gender-1", "address": "address_line1"}

// readPatientForm reads the submitted demographics form.
func readPatientForm(r *http.Request) patientForm {
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := patientForm{
		Title: v("title"), GivenName: v("given_name"), OtherNames: v("other_names"), FamilyName: v("family_name"),
		BirthDay: v("birth_date-day"), BirthMonth: v("birth_date-month"), BirthYear: v("birth_date-year"),
		Gender: v("gender"), NHSNumber: v("nhs_number"), NHSNumberStatus: v("nhs_number_status"),
		Postcode: v("postcode"), Phone: v("phone"), Mobile: v("mobile"), Email: v("email"),
		GPPracticeCode: v("gp_practice_code"), GPPracticeName: v("gp_practice_name"), EthnicCategory: v("ethnic_category"),
		ContactName: v("contact_name"), ContactRelationship: v("contact_relationship"), ContactPhone: v("contact_phone"),
		Version: v("version"),
	}
	for i := range f.AddressLines {
		f.AddressLines[i] = v("address_line" + strconv.Itoa(i+1))
	}
	return f
}

// formOf fills the form from a patient's record.
func formOf(p *crs.Patient) patientForm {
	f := patientForm{
		Title: p.Title, GivenName: p.GivenName, OtherNames: p.OtherNames, FamilyName: p.FamilyName,
		Gender: p.Gender, NHSNumber: nhs.FormatNumber(p.NHSNumber), NHSNumberStatus: string(p.NHSNumberStatus),
		Postcode: p.Address.Postcode, Phone: p.Phone, Mobile: p.Mobile, Email: p.Email,
		GPPracticeCode: p.GPPracticeCode, GPPracticeName: p.GPPracticeName, EthnicCategory: p.EthnicCategory,
		Version: strconv.Itoa(p.Version),
	}
	if !p.BirthDate.IsZero() {
		f.BirthDay, f.BirthMonth, f.BirthYear = strconv.Itoa(p.BirthDate.Day()), strconv.Itoa(int(p.BirthDate.Month())), strconv.Itoa(p.BirthDate.Year())
	}
	copy(f.AddressLines[:], p.Address.Lines)
	if len(p.Contacts) > 0 {
		f.ContactName, f.ContactRelationship, f.ContactPhone = p.Contacts[0].Name, p.Contacts[0].Relationship, p.Contacts[0].Phone
	}
	return f
}

// apply writes the form's fields onto p, recording in errs the input that
// cannot even be read (a date that is not a date). Fields the form does
// not show (GP, death, further contacts) are left as they are.
func (f patientForm) apply(p *crs.Patient, errs *formErrors) {
	p.Title, p.GivenName, p.OtherNames, p.FamilyName = f.Title, f.GivenName, f.OtherNames, f.FamilyName
	p.Gender, p.NHSNumber, p.NHSNumberStatus = f.Gender, f.NHSNumber, nhs.NumberStatus(f.NHSNumberStatus)
	p.Address = crs.Address{Lines: nonEmpty(f.AddressLines[:]), Postcode: f.Postcode}
	p.Phone, p.Mobile, p.Email = f.Phone, f.Mobile, f.Email
	p.GPPracticeCode, p.GPPracticeName, p.EthnicCategory = f.GPPracticeCode, f.GPPracticeName, f.EthnicCategory
	var rest []crs.Contact
	if len(p.Contacts) > 1 {
		rest = p.Contacts[1:]
	}
	p.Contacts = nil
	if f.ContactName != "" || f.ContactPhone != "" || f.ContactRelationship != "" {
		if f.ContactName == "" {
			errs.add("contact_name", "", "Enter the next of kin's name, or clear their relationship and phone")
		}
		p.Contacts = []crs.Contact{{Name: f.ContactName, Relationship: f.ContactRelationship, Phone: f.ContactPhone}}
	}
	p.Contacts = append(p.Contacts, rest...)
	p.BirthDate = crs.Date{}
	if f.BirthDay != "" || f.BirthMonth != "" || f.BirthYear != "" {
		d, ok := parseDateParts(f.BirthDay, f.BirthMonth, f.BirthYear)
		if !ok {
			errs.add("birth_date", "birth_date-day", "Date of birth must be a real date, for example 27 3 1980")
		}
		p.BirthDate = d
	}
	if f.Version != "" {
		p.Version, _ = strconv.Atoi(f.Version)
	}
}

// check validates p as the service will, adding each problem to errs, so
// the form shows every problem at once and no duplicate check runs on
// input that cannot be saved.
func (s *Server) check(p *crs.Patient, errs *formErrors) {
	c := *p
	c.Address.Lines = append([]string(nil), p.Address.Lines...)
	c.Normalize()
	if err := c.Validate(s.now()); err != nil {
		errs.addErr(err, patientAnchors)
	}
	errs.sortBy(patientFields)
}

// parseDateParts reads a date typed as day, month and year boxes.
func parseDateParts(day, month, year string) (crs.Date, bool) {
	d, err1 := strconv.Atoi(day)
	m, err2 := strconv.Atoi(month)
	y, err3 := strconv.Atoi(year)
	if err1 != nil || err2 != nil || err3 != nil || y < 1000 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31 {
		return crs.Date{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d {
		return crs.Date{}, false
	}
	return crs.Date{Time: t}, true
}

func nonEmpty(lines []string) []string {
	var out []string
	for _, l := range lines {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}
