package web

import (
	"io"
	"net/http"
	"path/filepath"

	"github.com/opencrs/crs"
)

// maxUpload bounds a file of traffic uploaded to be checked (with the
// rest of its form); a larger one is checked with crs hl7 check.
const maxUpload = 32 << 20

// errTooLarge is the error of a form bigger than the server takes.
func errTooLarge(limit int64) error {
	return crs.Errorf(crs.EINVALID, "What was sent is larger than the %d MB a form may be. Check a larger file of traffic with crs hl7 check.", limit>>20)
}

// interfaceCheckPage is the data of an inbound interface's check page:
// the form to upload files of the traffic its sender sends and, once
// they are checked, the report of what the interface would make of them.
type interfaceCheckPage struct {
	pageData
	Interface *crs.Interface
	Fresh     bool             // the form's "take every message as new"
	Report    *crs.CheckReport // nil until files are checked
	// Sections are the report's reasons: held, refused, stored, warned.
	Sections []reasonSection
	// Unreadable are the messages that cannot be read, each with its place.
	Unreadable []*crs.CheckMessage
}

// reasonSection is one list of reasons of the report, every message type's.
type reasonSection struct {
	Title, ID string
	Rows      []reasonRow
}

// reasonRow is one reason messages of a type gave.
type reasonRow struct {
	Type string
	crs.ReasonCount
}

// sections lists the reasons of the report by outcome.
func sections(rep *crs.CheckReport) []reasonSection {
	out := []reasonSection{{Title: "Held, by reason", ID: "held"}, {Title: "Refused, by reason", ID: "refused"}, {Title: "Stored, not applied, by reason", ID: "stored"}, {Title: "Applied with warnings, by warning", ID: "warned"}}
	for _, t := range rep.Types {
		for i, rs := range [][]crs.ReasonCount{t.HeldReasons, t.RefusedReasons, t.StoredReasons, t.WarningReasons} {
			for _, rc := range rs {
				out[i].Rows = append(out[i].Rows, reasonRow{Type: t.Type, ReasonCount: rc})
			}
		}
	}
	return out
}

// interfaceCheckRoutes adds the check page of each inbound interface
// when the message service can check traffic (the integration engine
// can).
func (s *Server) interfaceCheckRoutes(mux *http.ServeMux, m MessageService) {
	c, ok := m.(crs.TrafficChecker)
	if !ok {
		return
	}
	mux.Handle("GET /interfaces/{id}/check", s.authed(s.handleInterfaceCheckForm(m)))
	mux.Handle("POST /interfaces/{id}/check", s.authed(s.handleInterfaceCheck(m, c)))
}

// loadInterfaceCheck finds the interface of the page among the trust's,
// for an interface analyst.
func (s *Server) loadInterfaceCheck(r *http.Request, m MessageService, p *interfaceCheckPage) error {
	is, _, err := m.Channels(r.Context(), actorOf(r))
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	for _, i := range is {
		if i.ID == id {
			p.Interface = i
		}
	}
	if p.Interface == nil {
		return crs.Errorf(crs.ENOTFOUND, "There is no inbound interface %s in your trust.", id)
	}
	p.Title, p.Nav = "Check traffic: "+p.Interface.Name, "interfaces"
	return nil
}

// handleInterfaceCheckForm shows the form to upload files of traffic.
func (s *Server) handleInterfaceCheckForm(m MessageService) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p := &interfaceCheckPage{}
		if err := s.loadInterfaceCheck(r, m, p); err != nil {
			return err
		}
		return s.render(w, r, "interface_check", p)
	}
}

// handleInterfaceCheck replays the uploaded files through the interface
// in a dry run and shows the report under the form: nothing is written
// and nothing is sent, so the page is not a change to redirect from.
func (s *Server) handleInterfaceCheck(m MessageService, c crs.TrafficChecker) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p := &interfaceCheckPage{}
		if err := s.loadInterfaceCheck(r, m, p); err != nil {
			return err
		}
		p.Fresh = r.PostFormValue("fresh") != ""
		var files []crs.TrafficFile
		if r.MultipartForm != nil {
			for _, fh := range r.MultipartForm.File["file"] {
				f, err := fh.Open()
				if err != nil {
					p.Errors.add("file", "", filepath.Base(fh.Filename)+" cannot be read: "+err.Error())
					break
				}
				data, err := io.ReadAll(f)
				f.Close()
				if err != nil {
					p.Errors.add("file", "", filepath.Base(fh.Filename)+" cannot be read: "+err.Error())
					break
				}
				files = append(files, crs.TrafficFile{Name: filepath.Base(fh.Filename), Data: data})
			}
		}
		if len(files) == 0 && !p.Errors.Any() {
			p.Errors.add("file", "", "Choose a file of HL7 messages to check")
		}
		if p.Errors.Any() {
			return s.reshow(w, r, "interface_check", p, nil)
		}
		rep, err := c.CheckTraffic(r.Context(), actorOf(r), p.Interface.ID, files, crs.CheckOptions{FreshControlIDs: p.Fresh})
		if err != nil {
			return err
		}
		if rep.Total.Messages == 0 {
			p.Errors.add("file", "", "There are no HL7 messages in the file: each message starts with a line beginning MSH")
			return s.reshow(w, r, "interface_check", p, nil)
		}
		p.Report, p.Sections = rep, sections(rep)
		for _, m := range rep.Messages {
			if m.Type == crs.CheckUnreadable {
				p.Unreadable = append(p.Unreadable, m)
			}
		}
		return s.render(w, r, "interface_check", p)
	}
}
