package web

import (
	"html"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
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
	Total                                          int    // patients matching, on every page
	First, Last                                    int    // the positions of the results shown, from 1
	PrevURL, NextURL                               string // the pages before and after this one, with the same search
	// AllURL, as the user types, is the search's first full page when
	// more match than the few shown.
	AllURL     string
	Error      string // why the search could not run, shown beside the box
	ErrorField string
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
	typing := v.Get("partial") == "1"
	p := &searchPage{
		Q: strings.TrimSpace(v.Get("q")), Family: strings.TrimSpace(v.Get("family")), Given: strings.TrimSpace(v.Get("given")),
		Postcode: strings.TrimSpace(v.Get("postcode")), GenderCode: v.Get("gender"),
	}
	p.Title, p.Nav = "Find a patient", "search"
	dob := typedDateIn(v, "dob")
	p.BirthDate = typedDateText(r, "dob")
	p.Advanced = p.Family != "" || p.Given != "" || p.BirthDate != "" || p.Postcode != "" || p.GenderCode != ""
	if p.Q != "" || p.Advanced {
		q := crs.PatientQuery{Text: p.Q, FamilyName: p.Family, GivenName: p.Given, Postcode: p.Postcode, Gender: p.GenderCode, Limit: searchPageSize}
		if typing {
			q.Limit = searchTypedSize
		} else if n, err := strconv.Atoi(v.Get("page")); err == nil && n > 1 {
			q.Offset = (n - 1) * searchPageSize
		}
		if looksLikeNHSNumber(p.Q) {
			// Ten digits are an NHS number: one that fails the check is a
			// mistyped number, not a hospital number.
			q.Text, q.NHSNumber = "", p.Q
		}
		var err error
		var msg string
		if q.BirthDate, msg = parseTypedDate(dob, "Date of birth"); msg != "" {
			err = crs.FieldErrorf("dob", "%s", msg)
		}
		var res *crs.PatientResults
		if err == nil {
			res, err = s.Patients.SearchPatients(r.Context(), a, q)
		}
		if err == nil {
			p.paginate(v, res, typing)
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
	if typing {
		return s.renderPartial(w, r, "search", "results", p)
	}
	if p.Errors.Any() {
		return s.reshow(w, r, "search", p, nil)
	}
	return s.render(w, r, "search", p)
}

// searchPageSize is how many patients one page of search results shows.
const searchPageSize = 50

// searchTypedSize is how many patients the results show as the user
// types (partial=1), before they search: the best few, enough to spot the
// patient sought, with a link to every match.
const searchTypedSize = 10

// paginate fills in the count and the links to the pages before and after
// the results, keeping every field of the search; as the user types, the
// link to the first full page instead.
func (p *searchPage) paginate(v url.Values, res *crs.PatientResults, typing bool) {
	p.Results, p.Total = res.Matches, res.Total
	if len(res.Matches) > 0 {
		p.First, p.Last = res.Offset+1, res.Offset+len(res.Matches)
	}
	page := res.Offset/searchPageSize + 1
	link := func(n int) string {
		u := url.Values{}
		for k, vs := range v {
			if k != "page" && k != "partial" {
				u[k] = vs
			}
		}
		if n > 1 {
			u.Set("page", strconv.Itoa(n))
		}
		return "/patients?" + u.Encode()
	}
	if typing {
		if res.More() > 0 {
			p.AllURL = link(1)
		}
		return
	}
	if page > 1 {
		p.PrevURL = link(page - 1)
	}
	if res.More() > 0 {
		p.NextURL = link(page + 1)
	}
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

// resultRows writes the rows of the search results, a patient a row: the
// name linking to the record (and whether merged or deceased), NHS number,
// date of birth and age, gender, hospital number, postcode, and the score
// and its reasons. They are written once here rather than by the template
// a field at a time, as a page of results is most of the search's work.
func resultRows(p pager, ms []crs.PatientMatch) template.HTML {
	now := p.page().Now
	var b strings.Builder
	b.Grow(len(ms) * 700)
	text := func(ss ...string) {
		for _, s := range ss {
			b.WriteString(html.EscapeString(s))
		}
	}
	for _, m := range ms {
		pt := m.Patient
		if pt.Merged() {
			b.WriteString(`<tr class="row--merged">`)
		} else {
			b.WriteString(`<tr>`)
		}
		b.WriteString("\n<th scope=\"row\"><a href=\"/patients/")
		text(pt.ID)
		b.WriteString(`">`)
		text(pt.DisplayName())
		b.WriteString(`</a>`)
		if pt.Merged() {
			b.WriteString(` <strong class="tag tag--grey tag--small">Merged</strong>`)
		} else if pt.Inactive {
			b.WriteString(` <strong class="tag tag--grey tag--small">Not in active use</strong>`)
		}
		if pt.Deceased() {
			b.WriteString(` <strong class="tag tag--red tag--small">Deceased</strong>`)
		}
		b.WriteString("</th>\n<td class=\"nowrap\">")
		if pt.NHSNumber != "" {
			text(nhs.FormatNumber(pt.NHSNumber))
		} else {
			b.WriteString(`<span class="secondary">Not known</span>`)
		}
		b.WriteString(`</td><td class="nowrap">`)
		text(showDate(pt.BirthDate))
		b.WriteString(` <span class="secondary">(`)
		text(age(pt.BirthDate, now))
		b.WriteString(`)</span></td><td>`)
		text(pt.GenderName())
		b.WriteString(`</td><td>`)
		text(pt.MRN)
		b.WriteString(`</td><td class="nowrap">`)
		text(pt.Address.Postcode)
		score := strconv.Itoa(m.Score)
		b.WriteString(`</td><td><span class="score" aria-label="Score `)
		b.WriteString(score)
		b.WriteString(` out of 100">`)
		b.WriteString(score)
		b.WriteString(`</span> <span class="secondary reasons">`)
		text(strings.Join(m.Reasons, ", "))
		b.WriteString("</span></td>\n</tr>\n")
	}
	return template.HTML(b.String())
}

func init() { funcs["resultRows"] = resultRows }
