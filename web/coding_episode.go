package web

import (
	"fmt"
	"net/http"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// codingSlots are how many diagnosis and procedure boxes the coding form
// shows; the service takes up to crs.MaxDiagnoses and crs.MaxProcedures.
const (
	codingDiagnosisSlots = 6
	codingProcedureSlots = 4
)

// codingEpisodePage is the data of one episode's coding form.
type codingEpisodePage struct {
	pageData
	Episode    *crs.CodingEpisode
	Diagnoses  []string // the form's diagnosis boxes
	Procedures []string // the form's procedure boxes
	Dates      []string // the procedure dates, YYYY-MM-DD
}

// codingBox is one box of the coding form, as the template draws it.
type codingBox struct {
	Name, Label, Value, Hint string
}

func (p *codingEpisodePage) loadForm(r *http.Request) {
	p.Diagnoses, p.Procedures, p.Dates = make([]string, codingDiagnosisSlots), make([]string, codingProcedureSlots), make([]string, codingProcedureSlots)
	for i := range p.Diagnoses {
		p.Diagnoses[i] = form(r, fmt.Sprintf("diagnosis_%d", i+1))
	}
	for i := range p.Procedures {
		p.Procedures[i] = form(r, fmt.Sprintf("procedure_%d", i+1))
		p.Dates[i] = typedDateText(r, fmt.Sprintf("procedure_%d_date", i+1))
	}
}

func (s *Server) loadCodingEpisode(r *http.Request, page *codingEpisodePage) error {
	if s.Coding == nil {
		return errNoPage
	}
	e, err := s.Coding.FindEpisode(r.Context(), actorOf(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	b, err := s.patientBanner(r, e.PatientID)
	if err != nil {
		return err
	}
	page.Episode, page.Banner, page.Title, page.Nav = e, b, "Code a consultant episode", "coding"
	return nil
}

// handleCodingEpisode shows a consultant episode with the form a
// clinical coder codes it on, filled with its coding if it has one.
func (s *Server) handleCodingEpisode(w http.ResponseWriter, r *http.Request) error {
	page := &codingEpisodePage{}
	if err := s.loadCodingEpisode(r, page); err != nil {
		return err
	}
	page.loadForm(r)
	if c := page.Episode.Coding; c != nil {
		for i, d := range c.Diagnoses {
			if i < len(page.Diagnoses) {
				page.Diagnoses[i] = nhs.DisplayCode(d)
			}
		}
		for i, p := range c.Procedures {
			if i < len(page.Procedures) {
				page.Procedures[i], page.Dates[i] = nhs.DisplayCode(p.Code), p.Date.String()
			}
		}
	}
	return s.render(w, r, "coding_episode", page)
}

// handleCodeEpisode records the coding of the episode: format errors
// and codes not on the trust's list are shown beside their boxes.
func (s *Server) handleCodeEpisode(w http.ResponseWriter, r *http.Request) error {
	page := &codingEpisodePage{}
	if err := s.loadCodingEpisode(r, page); err != nil {
		return err
	}
	page.loadForm(r)
	c := &crs.EpisodeCoding{EpisodeID: page.Episode.EpisodeID}
	for _, d := range page.Diagnoses {
		if d != "" || len(c.Diagnoses) == 0 {
			c.Diagnoses = append(c.Diagnoses, d)
		}
	}
	for i, code := range page.Procedures {
		if code == "" {
			if page.Dates[i] != "" {
				page.Errors.add(fmt.Sprintf("procedure_%d", i+1), "", "Give the procedure this date belongs to, or clear the date")
			}
			continue
		}
		name := fmt.Sprintf("procedure_%d_date", i+1)
		d, msg := readDate(r, name, "The procedure date")
		page.Errors.dateError(name, msg)
		c.Procedures = append(c.Procedures, crs.ProcedureCode{Code: code, Date: d})
	}
	fp := formPost{name: "coding_episode", page: page, fallback: "diagnosis_1"}
	fp.check(c.Normalise()) // format errors beside their boxes with any of the form's own
	return s.submit(w, r, fp, func() (string, string, error) {
		err := s.Coding.CodeEpisode(r.Context(), actorOf(r), c)
		return "/coding", "Episode coded", err
	})
}

func init() {
	funcs["codingBoxes"] = func(kind string, values []string) []codingBox {
		out := make([]codingBox, len(values))
		for i, v := range values {
			out[i] = codingBox{Name: fmt.Sprintf("%s_%d", kind, i+1), Value: v}
			switch {
			case kind == "diagnosis" && i == 0:
				out[i].Label, out[i].Hint = "Primary diagnosis (ICD-10)", "For example J18.9 or J189"
			case kind == "diagnosis":
				out[i].Label = fmt.Sprintf("Secondary diagnosis %d", i)
			case kind == "procedure" && i == 0:
				out[i].Label, out[i].Hint = "Primary procedure (OPCS-4)", "For example W37.1 or W371; leave empty if none"
			default:
				out[i].Label = fmt.Sprintf("Procedure %d", i+1)
			}
		}
		return out
	}
	funcs["displayCode"] = nhs.DisplayCode
}
