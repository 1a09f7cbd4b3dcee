package web

import (
	"context"
	"html/template"
	"sort"
	"strings"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
	"github.com/opencrs/crs/rtt"
)

// This file holds how pages write codes for people: a service by its
// number and name, a consultant by name with the code in small print, an
// RTT status in plain words with the Data Dictionary's meaning on hover
// and focus, and one phrase for a value nobody has recorded.

// notKnown is what every page shows for a value nobody has recorded.
const notKnown = "Not known"

// serviceName writes a treatment function as the NHS names it with its
// code first: "110 Trauma and Orthopaedic Service"; a code the list lacks
// is shown as given, an empty one as not known.
func serviceName(code string) string {
	if code == "" {
		return notKnown
	}
	if n, ok := nhs.Lookup(nhs.TreatmentFunctions, code); ok {
		return code + " " + n
	}
	return code
}

// rttStatusWords writes an RTT period status in plain words, "RTT 20 -
// clock still running", with the Data Dictionary's description in the
// title (read on hover, and by screen readers).
func rttStatusWords(s rtt.Status) template.HTML {
	if !s.Valid() {
		return template.HTML(notKnown)
	}
	var words string
	switch s.Category() {
	case rtt.CategoryClockStart:
		words = "clock started"
	case rtt.CategoryClockRunning:
		words = "clock still running"
	case rtt.CategoryClockStop:
		words = "clock stopped"
	case rtt.CategoryNotRTT:
		words = "not part of an RTT period"
	default:
		words = "not yet known"
	}
	return template.HTML(`<abbr class="rtt-status" title="` + template.HTMLEscapeString(s.Description()) + `">RTT ` +
		s.String() + " – " + words + `</abbr>`)
}

// consultants are the trust's consultants by code, with their names, as
// the trust's clinics name them.
type consultants map[string]string

// consultantNames reads the names of the trust's consultants from its
// clinics. A user who may not see clinics, or a service without them,
// gets none: pages then show the codes alone.
func (s *Server) consultantNames(ctx context.Context, a crs.Actor) consultants {
	out := consultants{}
	if s.Outpatients == nil || canSeeClinics(a) != nil {
		return out
	}
	cs, err := s.Outpatients.FindClinics(ctx, a)
	if err != nil {
		s.logger().Debug("consultant names", "err", err)
		return out
	}
	for _, c := range cs {
		if c.ConsultantCode != "" && strings.TrimSpace(c.ConsultantName) != "" {
			out[strings.ToUpper(c.ConsultantCode)] = strings.TrimSpace(c.ConsultantName)
		}
	}
	return out
}

// consultantName writes a consultant by name with the GMC or local code in
// small print ("Ms Bone C7654321"), the code alone when the trust has not
// named them, and "Not known" for none.
func (p *pageData) consultantName(code string) template.HTML {
	if code == "" {
		return template.HTML(notKnown)
	}
	esc := template.HTMLEscapeString(code)
	if name := p.consultantList()[strings.ToUpper(code)]; name != "" {
		return template.HTML(template.HTMLEscapeString(name) + ` <small class="code">` + esc + `</small>`)
	}
	return template.HTML(esc)
}

// ConsultantOptions lists the trust's named consultants for a select,
// by name ("Ms Bone (C7654321)"), with the chosen code kept when the
// trust has not named it.
func (p *pageData) ConsultantOptions(chosen string) []nhs.Code {
	var out []nhs.Code
	for code, name := range p.consultantList() {
		out = append(out, nhs.Code{Code: code, Description: name + " (" + code + ")"})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Description < out[j].Description })
	if chosen != "" && p.consultantList()[strings.ToUpper(chosen)] == "" {
		out = append(out, nhs.Code{Code: chosen, Description: chosen})
	}
	return out
}

// consultantField is the data of the consultant-select partial.
type consultantField struct {
	Page  *pageData
	Value string
}

func (p *pageData) consultantList() consultants {
	if p.consultants == nil && p.loadConsultants != nil {
		p.consultants = p.loadConsultants()
	}
	return p.consultants
}

func init() {
	funcs["service"] = serviceName
	funcs["rttStatus"] = rttStatusWords
	funcs["notKnown"] = func() string { return notKnown }
	funcs["lower"] = strings.ToLower
	funcs["consultant"] = func(p pager, code string) template.HTML { return p.page().consultantName(code) }
	funcs["consultantField"] = func(p pager, value string) consultantField {
		return consultantField{Page: p.page(), Value: strings.ToUpper(value)}
	}
}
