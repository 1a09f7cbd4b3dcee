package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pageData is what every page's template can use: who is logged in, the
// CSRF token for forms, the one-time flash message, the patient banner and
// the form errors. Each page's data type embeds it and sets Title (and
// Banner on patient pages); render fills in the rest.
type pageData struct {
	Title     string            // the page's name, first in <title>
	User      *crs.User         // the logged-in user, nil on the login page
	Actor     crs.Actor         // the actor of the request
	Org       *crs.Organisation // the user's trust
	CSRFToken string            // put in every POST form as csrf_token
	Flash     string            // a one-time message from the previous action
	Banner    *banner           // the patient the page is about, shown in the banner
	Errors    formErrors        // problems with the submitted form, summarised at the top
	Nav       string            // which header link is current: "search", "register"
	Now       time.Time         // the time the page was made (for ages)

	form url.Values // what the request submitted, so date inputs show it again as typed

	consultants     consultants        // the trust's consultants' names, read on first use
	loadConsultants func() consultants // reads them (set by fill)
	procedures      map[string]string  // the trust's OPCS-4 descriptions by code, read on first use
	loadProcedures  func() map[string]string
}

// page returns the pageData of any page type that embeds it.
func (p *pageData) page() *pageData { return p }

// Can reports whether the logged-in user may carry out the activity, so a
// page shows only the actions the user can take.
func (p *pageData) Can(act string) bool { return p.Actor.Can(crs.Activity(act)) }

// Err returns the error message for a form field, or "".
func (p *pageData) Err(field string) string { return p.Errors.byField[field] }

// pager is a page's data: a type embedding pageData.
type pager interface{ page() *pageData }

// formErrors are the problems with a submitted form, in the order of its
// fields, each linked from the error summary to its field.
type formErrors struct {
	List    []fieldError
	byField map[string]string
}

// fieldError is one problem: the field it is about, the id of the input
// the error summary links to, and the message.
type fieldError struct {
	Field, Anchor, Message string
}

// add records a message for a field, keeping the first for each field.
// anchor is the id of the input to link to ("" for the field name).
func (fe *formErrors) add(field, anchor, msg string) {
	if fe.byField == nil {
		fe.byField = map[string]string{}
	}
	if _, ok := fe.byField[field]; ok {
		return
	}
	if anchor == "" {
		anchor = field
	}
	fe.List = append(fe.List, fieldError{Field: field, Anchor: anchor, Message: sentence(msg)})
	fe.byField[field] = sentence(msg)
}

// addErr records the field errors of a crs error (crs.FieldErrors), with
// anchors from anchors (field → input id) where the input's id differs.
func (fe *formErrors) addErr(err error, anchors map[string]string) {
	for field, msg := range crs.FieldErrors(err) {
		fe.add(field, anchors[field], msg)
	}
}

// Any reports whether there are errors.
func (fe formErrors) Any() bool { return len(fe.List) > 0 }

// sortBy orders the errors as the fields appear on the form.
func (fe *formErrors) sortBy(order []string) {
	rank := map[string]int{}
	for i, f := range order {
		rank[f] = i + 1
	}
	l := fe.List
	for i := 1; i < len(l); i++ {
		for j := i; j > 0 && rankOf(rank, l[j].Field) < rankOf(rank, l[j-1].Field); j-- {
			l[j], l[j-1] = l[j-1], l[j]
		}
	}
}

func rankOf(rank map[string]int, f string) int {
	if r, ok := rank[f]; ok {
		return r
	}
	return len(rank) + 1
}

// sentence starts a message with a capital letter.
func sentence(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// pageTemplate is one page's template set: the layout, the shared
// partials and the page's own blocks.
type pageTemplate struct{ t *template.Template }

// mustParseTemplates parses templates/layout.html and every partial
// (templates/_*.html) once, then each page file on a clone of them, so
// each page defines its own "content". A broken template is a programming
// error found by any test.
func mustParseTemplates() map[string]*pageTemplate {
	base := template.New("").Funcs(funcs)
	base = template.Must(base.ParseFS(templateFS, "templates/layout.html", "templates/_*.html"))
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	pages := map[string]*pageTemplate{}
	for _, n := range names {
		file := path.Base(n)
		if file == "layout.html" || strings.HasPrefix(file, "_") {
			continue
		}
		t := template.Must(template.Must(base.Clone()).ParseFS(templateFS, n))
		pages[strings.TrimSuffix(file, ".html")] = &pageTemplate{t: t}
	}
	return pages
}

// render writes a page in the base layout with status 200.
func (s *Server) render(w http.ResponseWriter, r *http.Request, page string, data pager) error {
	return s.renderStatus(w, r, http.StatusOK, page, data)
}

// renderStatus writes the page (templates/<page>.html) in the base layout
// with the given status, after filling in the common pageData. It renders
// into a buffer first, so a template fault gives an error page rather than
// half a page.
func (s *Server) renderStatus(w http.ResponseWriter, r *http.Request, status int, page string, data pager) error {
	return s.execute(w, r, status, page, "layout", data)
}

// renderPartial writes one named template of a page (such as the results
// table of the search page) without the layout, for the script to swap
// into the page.
func (s *Server) renderPartial(w http.ResponseWriter, r *http.Request, page, name string, data pager) error {
	return s.execute(w, r, http.StatusOK, page, name, data)
}

func (s *Server) execute(w http.ResponseWriter, r *http.Request, status int, page, name string, data pager) error {
	pt, ok := s.pages[page]
	if !ok {
		return crs.Errorf(crs.EINTERNAL, "no template for page %q", page)
	}
	p := data.page()
	s.fill(w, r, p)
	// The one-time message is the whole page's: a fragment a script
	// fetches (a live board refreshing in another tab, search as you
	// type) has no place to show it, so it leaves it for the page.
	if name == "layout" && p.Flash == "" {
		p.Flash = s.takeFlash(w, r)
	}
	buf := pageBuffers.Get().(*bytes.Buffer)
	defer putPageBuffer(buf)
	if err := pt.t.ExecuteTemplate(buf, name, data); err != nil {
		return crs.Errorf(crs.EINTERNAL, "render %s: %w", page, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	if err != nil {
		s.logger().Debug("write page", "path", r.URL.Path, "err", err)
	}
	return nil
}

// pageBuffers are the buffers pages are rendered into, kept between
// requests so that a busy ward does not grow a new one for every page.
var pageBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// putPageBuffer returns a buffer to pageBuffers, unless an unusually long
// page (a whole trust's bed board) grew it past what is worth keeping.
func putPageBuffer(b *bytes.Buffer) {
	if b.Cap() > 4<<20 {
		return
	}
	b.Reset()
	pageBuffers.Put(b)
}

// fill sets the common pageData of a request.
func (s *Server) fill(w http.ResponseWriter, r *http.Request, p *pageData) {
	p.Now = s.now()
	if r.ParseForm() == nil {
		p.form = r.Form
	}
	if sess := sessionOf(r); sess != nil {
		p.User, p.Actor, p.CSRFToken = sess.user, sess.actor, sess.csrf
		p.Org = s.organisation(r, sess.actor)
		p.loadConsultants = func() consultants { return s.consultantNames(r.Context(), sess.actor) }
		p.loadProcedures = func() map[string]string { return s.procedureNames(r.Context(), sess.actor) }
	}
}

// organisation returns the actor's trust for the header, cached: a
// trust's name rarely changes.
func (s *Server) organisation(r *http.Request, a crs.Actor) *crs.Organisation {
	if o, ok := s.orgs.Load(a.OrgID); ok {
		return o.(*crs.Organisation)
	}
	if s.Orgs == nil {
		return nil
	}
	o, err := s.Orgs.FindOrganisation(r.Context(), a)
	if err != nil {
		return nil
	}
	s.orgs.Store(a.OrgID, o)
	return o
}

// staticHashes holds a short content hash of each static file, added to
// its address so browsers can cache it for long and still see changes.
var staticHashes = func() map[string]string {
	m := map[string]string{}
	fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := staticFS.ReadFile(p)
		h := sha256.Sum256(b)
		m[strings.TrimPrefix(p, "static/")] = hex.EncodeToString(h[:4])
		return nil
	})
	return m
}()

// staticHandler serves web/static under /static/.
func staticHandler() http.Handler {
	sub, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		if r.URL.Query().Get("v") != "" {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "public, max-age=300")
		}
		files.ServeHTTP(w, r)
	})
}

// funcs are the template functions every page can use.
var funcs = template.FuncMap{
	// static returns the address of a static file with its content hash.
	"static": func(name string) string { return "/static/" + name + "?v=" + staticHashes[name] },
	// nhsNumber writes an NHS number in the 3-3-4 display.
	"nhsNumber": nhs.FormatNumber,
	// nhsStatus describes an NHS number status code.
	"nhsStatus": func(s nhs.NumberStatus) string { return s.Description() },
	// date, datetime, datetimeSec and clock are how every page shows a
	// date and a time (web/date_show.go).
	"date":        showDate,
	"isoDate":     showISODate,
	"datetime":    showDateTime,
	"datetimeSec": showDateTimeSec,
	"clock":       showClock,
	"age":         age,
	// isoTime writes a time for a <time datetime> attribute.
	"isoTime":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"gender":   func(code string) string { n, _ := nhs.Lookup(nhs.Genders, code); return n },
	"ethnic":   func(code string) string { n, _ := nhs.Lookup(nhs.EthnicCategories, code); return n },
	"roleName": func(r crs.Role) string { return r.Name() },
	"upper":    strings.ToUpper,
	"join":     strings.Join,
	// figure, deref and hasPrefix show a go / no-go criterion.
	"figure":    func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) },
	"deref":     func(p *float64) float64 { return *p },
	"hasPrefix": strings.HasPrefix,
	// field makes the data of a form field partial ("text", "select"...):
	// the page, the field name (also the input id), its label and value.
	"field": newField,
	// hint, width, kind, auto, options and describe add to a field.
	"hint":     func(h string, f field) field { f.Hint = h; return f },
	"width":    func(n int, f field) field { f.Width = n; return f },
	"kind":     func(t string, f field) field { f.Type = t; return f },
	"auto":     func(a string, f field) field { f.Autocomplete = a; return f },
	"options":  func(o []nhs.Code, f field) field { f.Options = o; return f },
	"empty":    func(e string, f field) field { f.Empty = e; return f },
	"inc":      func(i int) int { return i + 1 },
	"sentence": sentence,
	"genders":  func() []nhs.Code { return nhs.Genders },
	"ethnics":  func() []nhs.Code { return nhs.EthnicCategories },
	"statuses": numberStatusCodes,
	"plural":   crs.Count,
	// resultStatus names a result status code (F → Final).
	"resultStatus": crs.ResultStatusName,
	// documentStatus names a document's completion status (AU → Authenticated).
	"documentStatus": crs.DocumentStatusName,
}

// field is the data of one labelled form input with its hint and error.
type field struct {
	Name, Label, Value, Hint, Error, Type, Autocomplete string
	Empty                                               string // the text of a select's empty choice
	Day, Month, Year, Time                              string // the parts of a date and time input
	ID                                                  string // the input's id where it is not Name
	Width                                               int
	Options                                             []nhs.Code
}

// OptionTags are the <option> elements of a select's choices, "CODE –
// Description", the one of Value selected: written here once, as a code
// list (treatment functions, specialties) runs to hundreds of choices
// that the template would write and escape one field at a time.
func (f field) OptionTags() template.HTML {
	var b strings.Builder
	for _, o := range f.Options {
		code := template.HTMLEscapeString(o.Code)
		b.WriteString(`<option value="`)
		b.WriteString(code)
		b.WriteByte('"')
		if o.Code == f.Value {
			b.WriteString(" selected")
		}
		b.WriteByte('>')
		b.WriteString(code)
		b.WriteString(" – ")
		b.WriteString(template.HTMLEscapeString(o.Description))
		b.WriteString("</option>")
	}
	return template.HTML(b.String())
}

// InputID is the id of the field's input (of a date input, the prefix of
// its boxes' ids).
func (f field) InputID() string {
	if f.ID != "" {
		return f.ID
	}
	return f.Name
}

func newField(p pager, name, label, value string) field {
	return field{Name: name, Label: label, Value: value, Error: p.page().Err(name), Type: "text"}
}

func numberStatusCodes() []nhs.Code {
	var out []nhs.Code
	for _, s := range nhs.NumberStatuses() {
		out = append(out, nhs.Code{Code: string(s), Description: s.Description()})
	}
	return out
}

// age writes a patient's age on a day as clinicians read it: years from
// two, months under two, days under a month.
func age(d crs.Date, on time.Time) string {
	if d.IsZero() {
		return ""
	}
	if y := d.AgeOn(on); y >= 2 {
		return fmt.Sprintf("%dy", y)
	}
	months := (on.Year()-d.Year())*12 + int(on.Month()-d.Month())
	if on.Day() < d.Day() {
		months--
	}
	if months >= 1 {
		return fmt.Sprintf("%dm", months)
	}
	return fmt.Sprintf("%dd", int(on.Sub(d.Time).Hours()/24))
}
