package web

import (
	"net/http"
	"sort"

	"github.com/opencrs/crs"
)

// timelineLimit bounds how many entries the timeline shows.
const timelineLimit = 500

// timelinePage is the data of a patient's timeline.
type timelinePage struct {
	pageData
	Kinds   []string        // every kind, for the filter
	Showing map[string]bool // the kinds asked for; empty for all
	Entries []*crs.TimelineEntry
	More    bool // there were more entries than the page shows
}

// timelineKindNames name the kinds of entry in the filter.
var timelineKindNames = map[string]string{
	crs.TimelineEncounter: "Encounters", crs.TimelineResult: "Results", crs.TimelineDocument: "Documents",
	crs.TimelineObservation: "Observations", crs.TimelineProblem: "Problems", crs.TimelineAllergy: "Allergies", crs.TimelineOther: "Other",
}

func init() { funcs["timelineKind"] = func(k string) string { return timelineKindNames[k] } }

// handleTimeline shows what happened in the patient's care, newest first:
// the encounters (inpatient spells, outpatient attendances, A&E
// attendances), the results and documents other systems filed, and every
// entry of the clinical record (observations, problems, allergies, ...).
// ?kind= (repeated) narrows it to kinds of entry; the filter is a plain
// form, so it works without the script.
func (s *Server) handleTimeline(w http.ResponseWriter, r *http.Request) error {
	if s.Timeline == nil {
		return errNoClinicalLists
	}
	a := actorOf(r)
	if err := a.Authorize(crs.ActViewClinical); err != nil {
		return err
	}
	_, b, err := s.findPatient(r)
	if err != nil {
		return err
	}
	page := &timelinePage{Kinds: crs.TimelineKinds, Showing: map[string]bool{}}
	page.Title, page.Banner = "Timeline", b
	var kinds []string
	for _, k := range r.URL.Query()["kind"] {
		if _, ok := timelineKindNames[k]; !ok {
			return crs.Errorf(crs.EINVALID, "kind %q is not one of the kinds of entry of the timeline", k)
		}
		if !page.Showing[k] {
			page.Showing[k] = true
			kinds = append(kinds, k)
		}
	}
	show := func(k string) bool { return len(kinds) == 0 || page.Showing[k] }
	ctx, id := r.Context(), b.ID
	if page.Entries, err = s.Timeline.ClinicalTimeline(ctx, a, id, kinds, timelineLimit); err != nil {
		return err
	}
	if show(crs.TimelineEncounter) && s.needJourney() == nil {
		if err := s.timelineEncounters(r, id, page); err != nil {
			return err
		}
	}
	if show(crs.TimelineResult) && s.Results != nil {
		results, err := s.Results.FindResults(ctx, a, id)
		if err != nil {
			return err
		}
		for _, res := range results {
			at := res.ObservedAt
			if at.IsZero() {
				at = res.ReportedAt
			}
			page.Entries = append(page.Entries, &crs.TimelineEntry{At: at, Kind: crs.TimelineResult, Title: res.ServiceName,
				Detail: crs.Count(len(res.Observations), "observation", "observations"), Status: crs.ResultStatusName(res.Status), Link: "/patients/" + id + "/results/" + res.ID})
		}
	}
	if show(crs.TimelineDocument) && s.Documents != nil {
		docs, err := s.Documents.FindDocuments(ctx, a, id)
		if err != nil {
			return err
		}
		for _, d := range docs {
			page.Entries = append(page.Entries, &crs.TimelineEntry{At: d.At, Kind: crs.TimelineDocument, Title: d.Name(),
				Detail: d.Author, Status: crs.DocumentStatusName(d.Status), Link: "/patients/" + id + "/documents/" + d.ID})
		}
	}
	sort.SliceStable(page.Entries, func(i, j int) bool { return page.Entries[i].At.After(page.Entries[j].At) })
	if len(page.Entries) > timelineLimit {
		page.Entries, page.More = page.Entries[:timelineLimit], true
	}
	return s.render(w, r, "timeline", page)
}

// timelineEncounters adds the patient's spells, outpatient attendances
// and A&E attendances.
func (s *Server) timelineEncounters(r *http.Request, id string, page *timelinePage) error {
	a, ctx := actorOf(r), r.Context()
	add := func(e *crs.TimelineEntry) { e.Kind = crs.TimelineEncounter; page.Entries = append(page.Entries, e) }
	spells, err := s.Inpatients.FindSpells(ctx, a, id)
	if err != nil {
		return err
	}
	for _, sp := range spells {
		if sp.Status == crs.SpellCancelled {
			continue
		}
		add(&crs.TimelineEntry{At: sp.AdmittedAt, Title: "Admitted", Detail: "Treatment function " + sp.TreatmentFunction, Status: codeWords(sp.Status), Link: "/spells/" + sp.ID})
		if !sp.DischargedAt.IsZero() {
			add(&crs.TimelineEntry{At: sp.DischargedAt, Title: "Discharged", Detail: "Treatment function " + sp.TreatmentFunction, Link: "/spells/" + sp.ID})
		}
	}
	refs, err := s.Referrals.FindReferrals(ctx, a, id)
	if err != nil {
		return err
	}
	for _, ref := range refs {
		appts, err := s.Outpatients.FindAppointments(ctx, a, ref.ID)
		if err != nil {
			return err
		}
		for _, ap := range appts {
			if ap.Status != crs.AppointmentAttended && ap.Status != crs.AppointmentDNA {
				continue
			}
			status := "Attended"
			if ap.Status == crs.AppointmentDNA {
				status = "Did not attend"
			}
			add(&crs.TimelineEntry{At: ap.Start, Title: "Outpatient appointment", Status: status, Link: "/appointments/" + ap.ID})
		}
	}
	eds, err := s.ED.FindAttendances(ctx, a, id)
	if err != nil {
		return err
	}
	for _, ed := range eds {
		add(&crs.TimelineEntry{At: ed.ArrivedAt, Title: "A&E attendance", Detail: ed.Complaint, Status: codeWords(ed.Status), Link: "/ed/" + ed.ID})
	}
	return nil
}
