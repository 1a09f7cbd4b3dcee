package web

import (
	"net/http"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/rtt"
)

// pathwayPage is the data of an RTT pathway's page.
type pathwayPage struct {
	pageData
	Clock  *crs.PathwayClock
	AsOf   string // as typed
	Today  bool
	Why    []decisionLine
	Period rtt.Clock

	Decision, DecisionDate, Note, DNADate string // the decision form as typed

	// Earlier are the pathway's RTT periods before the one shown in the
	// clock panel, oldest first (Annex C: periods one after another on
	// one PPI).
	Earlier []periodLine
	// DNA is the date of the DNA before a rule 5f discharge that stopped
	// the clock shown; zero otherwise.
	DNA crs.Date
}

// periodLine is one earlier RTT period of the pathway.
type periodLine struct {
	N           int
	Start, Stop crs.Date
	StopReason  string
	Days, Weeks int
	Removed     string // "Removed from measurement: ..." for a nullified period
}

func init() { funcs["measurement"] = crs.MeasurementNote }

// decisionLine is one event on the pathway and what it did to the clock.
type decisionLine struct {
	Date    crs.Date
	Kind    string
	Status  rtt.Status
	Effect  string
	Rule    string
	Stopped bool
	Started bool
	Text    string // the rule's whole explanation
}

// handlePathway shows an RTT pathway's clock as of today or the date in
// ?asof=YYYY-MM-DD: running or stopped, since when, the weeks and days
// waited, and why, event by event with the rule of the guidance.
func (s *Server) handlePathway(w http.ResponseWriter, r *http.Request) error {
	page := &pathwayPage{AsOf: r.URL.Query().Get("asof")}
	if err := s.loadPathway(r, page); err != nil {
		return err
	}
	if page.Errors.Any() {
		return s.reshow(w, r, "pathway", page, nil)
	}
	return s.render(w, r, "pathway", page)
}

// loadPathway works out the pathway's clock as of page.AsOf (today if
// empty) and the decisions behind it.
func (s *Server) loadPathway(r *http.Request, page *pathwayPage) error {
	if err := s.needJourney(); err != nil {
		return err
	}
	a := actorOf(r)
	asOf := crs.LocalDate(s.now())
	page.Today = true
	if d, msg := readDate(r, "asof", "The date"); msg != "" {
		page.Errors.dateError("asof", msg)
	} else if !d.IsZero() {
		asOf, page.Today = d, d.Equal(asOf.Time)
	}
	pc, err := s.Referrals.PathwayClock(r.Context(), a, r.PathValue("id"), asOf)
	if err != nil {
		return err
	}
	b, err := s.patientBanner(r, pc.Pathway.PatientID)
	if err != nil {
		return err
	}
	page.Clock, page.Title, page.Banner = pc, "RTT pathway "+pc.Pathway.PPI, b
	if page.AsOf == "" {
		page.AsOf = asOf.String()
	}
	for _, d := range pc.Clock.Decisions {
		page.Why = append(page.Why, decisionLine{Date: crs.DateOf(d.Date), Kind: d.Kind.String(), Status: d.Status,
			Effect: d.Effect.String(), Rule: d.Rule.String(), Text: d.String(),
			Stopped: d.Effect == rtt.EffectStopped || d.Effect == rtt.EffectNullified || d.Effect == rtt.EffectTransferred,
			Started: d.Effect == rtt.EffectStarted || d.Effect == rtt.EffectReopened})
	}
	for i, c := range pc.Periods[:max(len(pc.Periods)-1, 0)] {
		page.Earlier = append(page.Earlier, periodLine{N: i + 1, Start: crs.DateOf(c.Start), Stop: crs.DateOf(c.Stop), StopReason: c.StopReason,
			Days: c.Days, Weeks: c.Weeks, Removed: crs.MeasurementNote(c)})
	}
	if d, ok := crs.DNAThenDischarge(pc.Clock); ok {
		page.DNA = d
	}
	if page.DecisionDate == "" {
		page.DecisionDate = crs.LocalDate(s.now()).String()
	}
	return nil
}
