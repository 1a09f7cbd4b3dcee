package web

import (
	"context"
	"html/template"
	"sync"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// codeListAge is how long a trust's OPCS-4 list is kept in memory before
// it is read again: a load on this server forgets it at once (Notify), a
// load on another server is seen within this time.
const codeListAge = 5 * time.Minute

// codeLists keeps each trust's OPCS-4 descriptions by code, so a page
// that writes procedures in words reads the list once, not once a code.
type codeLists struct {
	mu    sync.Mutex
	byOrg map[string]codeList
}

type codeList struct {
	names map[string]string
	at    time.Time
}

func (c *codeLists) forget(orgID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.byOrg, orgID)
}

// procedureNames returns the actor's trust's OPCS-4 descriptions by
// code; none when coding is not served or the list cannot be read (the
// pages then show the codes alone).
func (s *Server) procedureNames(ctx context.Context, a crs.Actor) map[string]string {
	if s.Coding == nil || a.OrgID == "" {
		return nil
	}
	now := s.now()
	s.procs.mu.Lock()
	l, ok := s.procs.byOrg[a.OrgID]
	s.procs.mu.Unlock()
	if ok && now.Sub(l.at) < codeListAge {
		return l.names
	}
	names, err := s.Coding.CodeNames(ctx, a, nhs.OPCS4)
	if err != nil {
		s.logger().Debug("procedure names", "err", err)
		return nil
	}
	s.procs.mu.Lock()
	defer s.procs.mu.Unlock()
	if s.procs.byOrg == nil {
		s.procs.byOrg = map[string]codeList{}
	}
	s.procs.byOrg[a.OrgID] = codeList{names: names, at: now}
	return names
}

// procedureName writes an OPCS-4 procedure as the trust's code list
// describes it, "W401 Total prosthetic replacement of knee joint using
// cement"; a code the list does not have is written in small print, after
// the name the clinician gave it if any; none is "Not known".
func (p *pageData) procedureName(code string, given ...string) template.HTML {
	if code == "" {
		return template.HTML(notKnown)
	}
	if p.procedures == nil && p.loadProcedures != nil {
		p.procedures = p.loadProcedures()
		if p.procedures == nil {
			p.procedures = map[string]string{}
		}
	}
	key := code
	if n, err := nhs.NormaliseOPCS4(code); err == nil {
		key = n
	}
	esc := template.HTMLEscapeString(code)
	if d := p.procedures[key]; d != "" {
		return template.HTML(`<span class="procedure">` + esc + " " + template.HTMLEscapeString(d) + `</span>`)
	}
	name := ""
	for _, g := range given {
		if g != "" {
			name = template.HTMLEscapeString(g) + " "
		}
	}
	return template.HTML(name + `<small class="code">` + esc + `</small>`)
}

func init() {
	// procedure writes an OPCS-4 code in words from the trust's code list
	// (see procedureName), with the name given on the record as a
	// fallback: {{procedure $ .ProcedureCode .ProcedureName}}.
	funcs["procedure"] = func(p pager, code string, given ...string) template.HTML {
		return p.page().procedureName(code, given...)
	}
}
