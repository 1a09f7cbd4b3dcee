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

// form returns the trimmed value of a submitted form field.
func form(r *http.Request, k string) string { return strings.TrimSpace(r.FormValue(k)) }

// parseClock reads a time of day written HH:MM (or HHMM).
func parseClock(s string) (int, int, bool) {
	s = strings.ReplaceAll(s, ".", ":")
	if len(s) == 4 && !strings.Contains(s, ":") {
		s = s[:2] + ":" + s[2:]
	}
	h, m, found := strings.Cut(s, ":")
	if !found {
		return 0, 0, false
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 || len(m) != 2 {
		return 0, 0, false
	}
	return hh, mm, true
}

// formPost is how a page shows the answer to one of its forms: the page
// (its template and data, with the form as typed), the order of the
// form's fields for the error summary, and where a service's refusal
// goes.
type formPost struct {
	name    string            // the page's template
	page    pager             // the page's data; problems found reading the form are in its Errors
	order   []string          // the form's fields in page order; nil keeps the order found
	names   map[string]string // a service's field → the form's input, where they differ
	anchors map[string]string // a form field → the id of its first input, where they differ
	// fallback is the field a refusal that names no field stands
	// beside; "" leaves such a refusal to the error page.
	fallback string
	// reload reads what the page shows around the form (the free slots
	// of a booking, the feeds), only when the form is shown again.
	reload func() error
}

// submit answers a form: when reading it found problems, or save
// returns a refusal the form can show, it shows the page again with
// 422, each problem beside its field and in the error summary (see
// check); otherwise it sends the user with 303 to the address save
// returns, with its flash message. Any other error of save is returned
// for the error page. save is not called when the form has problems.
func (s *Server) submit(w http.ResponseWriter, r *http.Request, f formPost, save func() (to, flash string, err error)) error {
	if !f.page.page().Errors.Any() {
		to, flash, err := save()
		if err == nil {
			return s.redirect(w, r, to, flash)
		}
		if !f.check(err) {
			return err
		}
	}
	if f.reload != nil {
		if err := f.reload(); err != nil {
			return err
		}
	}
	return s.reshow(w, r, f.name, f.page, f.order)
}

// check puts a refusal of the form beside its fields and reports whether
// it was one: EINVALID, or ECONFLICT such as a slot taken a moment ago,
// each field error beside its input (named as f.names says) and one
// that names no field beside f.fallback. Other errors, and nil, are
// left alone. It is also how a handler records what the domain's
// Validate finds in the form before calling the service.
func (f formPost) check(err error) bool {
	switch crs.ErrorCode(err) {
	case crs.EINVALID, crs.ECONFLICT:
	default:
		return false
	}
	fe := crs.FieldErrors(err)
	if _, ok := fe[""]; ok && f.fallback == "" {
		return false
	}
	errs := &f.page.page().Errors
	for field, msg := range fe {
		if field == "" {
			field = f.fallback
		}
		if alias, ok := f.names[field]; ok {
			field = alias
		} else if alias, ok := fieldAliases[field]; ok {
			field = alias
		}
		errs.add(field, f.anchors[field], msg)
	}
	return true
}

// fieldAliases names the form field that holds a service's field: the
// ward and bed are chosen together in one "place" select.
var fieldAliases = map[string]string{"ward": "place", "bed": "place", "kind": "departure"}

// readPeriod reads a period typed in two date and time inputs, in UK
// time, with an error for each input that is empty or cannot be read.
func readPeriod(r *http.Request, fromField, toField string, now time.Time) (from, to time.Time, err error) {
	var es crs.Errors
	read := func(field, label, what string) time.Time {
		t, msg := readDateTime(r, field, label, now)
		if msg == "" && t.IsZero() {
			msg = "Enter the " + what + " of the period"
		}
		if msg != "" {
			es = append(es, crs.FieldErrorf(field, "%s", msg))
		}
		return t
	}
	from, to = read(fromField, "From", "start"), read(toField, "To", "end")
	return from, to, es.Err()
}

// patientForm is the demographics form of the register and edit pages
// (templates/_patient_form.html), as typed: it is shown again with the
// user's input when something is wrong.
type patientForm struct {
	Title, GivenName, OtherNames, FamilyName string
	Birth                                    typedDate
	Gender                                   string
	NHSNumber, NHSNumberStatus               string
	AddressLines                             [5]string
	Postcode, Phone, Mobile, Email           string
	GPPracticeCode, GPPracticeName           string
	EthnicCategory                           string
	ContactName, ContactRelationship         string
	ContactPhone                             string
	Inactive                                 bool // the record is not in active use (the edit form only)
	Version                                  string
}

// patientFields lists the form's fields in page order, for the error
// summary.
var patientFields = []string{"title", "given_name", "other_names", "family_name", "birth_date", "gender", "nhs_number",
	"nhs_number_status", "address", "postcode", "phone", "mobile", "email", "gp_practice_code", "gp_practice_name", "ethnic_category", "contact_name"}

// patientAnchors maps the fields whose first input has another id.
var patientAnchors = map[string]string{"gender": "gender-1", "address": "address_line1"}

// readPatientForm reads the submitted demographics form.
func readPatientForm(r *http.Request) patientForm {
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := patientForm{
		Title: v("title"), GivenName: v("given_name"), OtherNames: v("other_names"), FamilyName: v("family_name"),
		Birth:  typedDateIn(r.PostForm, "birth_date"),
		Gender: v("gender"), NHSNumber: v("nhs_number"), NHSNumberStatus: v("nhs_number_status"),
		Postcode: v("postcode"), Phone: v("phone"), Mobile: v("mobile"), Email: v("email"),
		GPPracticeCode: v("gp_practice_code"), GPPracticeName: v("gp_practice_name"), EthnicCategory: v("ethnic_category"),
		ContactName: v("contact_name"), ContactRelationship: v("contact_relationship"), ContactPhone: v("contact_phone"),
		Inactive: v("inactive") == "yes", Version: v("version"),
	}
	for i := range f.AddressLines {
		f.AddressLines[i] = v("address_line" + strconv.Itoa(i+1))
	}
	return f
}

// BirthDate is the date of birth for the date input, in one piece.
func (f patientForm) BirthDate() string { return f.Birth.text() }

// formOf fills the form from a patient's record.
func formOf(p *crs.Patient) patientForm {
	f := patientForm{
		Title: p.Title, GivenName: p.GivenName, OtherNames: p.OtherNames, FamilyName: p.FamilyName,
		Gender: p.Gender, NHSNumber: nhs.FormatNumber(p.NHSNumber), NHSNumberStatus: string(p.NHSNumberStatus),
		Postcode: p.Address.Postcode, Phone: p.Phone, Mobile: p.Mobile, Email: p.Email,
		GPPracticeCode: p.GPPracticeCode, GPPracticeName: p.GPPracticeName, EthnicCategory: p.EthnicCategory,
		Inactive: p.Inactive, Version: strconv.Itoa(p.Version),
	}
	if !p.BirthDate.IsZero() {
		f.Birth = splitDate(p.BirthDate.String())
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
	p.Inactive = f.Inactive
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
	d, msg := parseTypedDate(f.Birth, "Date of birth")
	errs.dateError("birth_date", msg)
	p.BirthDate = d
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

func nonEmpty(lines []string) []string {
	var out []string
	for _, l := range lines {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}
