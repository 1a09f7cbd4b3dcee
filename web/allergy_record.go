package web

import (
	"net/http"
	"strconv"

	"github.com/opencrs/crs"
)

// allergyPage is the data of the form that records an allergy or adverse
// reaction or changes one, with the versions of the one changed.
type allergyPage struct {
	pageData
	ID, Version                           string
	Substance, Reaction                   *conceptField
	Category, Severity, Criticality       string
	Status, Verif, Onset, Note, Reason    string
	Current                               *crs.Allergy
	History                               []*crs.Allergy
	Categories, Severities, Criticalities []string
	Statuses, Verifications               []string
}

// substanceHint says how to find the substance.
const substanceHint = "Type part of the name, such as “pen” or “peanut”, and choose from the list"

// allergyFields lists the form's fields in page order.
var allergyFields = []string{"substance", "category", "reaction", "severity", "criticality", "clinical_status", "verification", "onset", "note", "reason"}

var allergyAnchors = map[string]string{"substance": "substance_q", "reaction": "reaction_q", "category": "category-",
	"severity": "severity-", "criticality": "criticality-", "clinical_status": "clinical_status-active", "verification": "verification-confirmed"}

func (s *Server) allergyPage(r *http.Request, page *allergyPage) error {
	if err := s.needClinicalLists(r); err != nil {
		return err
	}
	_, b, err := s.findPatient(r)
	if err != nil {
		return err
	}
	page.Banner, page.Title = b, "Record an allergy or adverse reaction"
	notKnown := func(codes []string) []string { return append([]string{""}, codes...) }
	page.Categories, page.Severities, page.Criticalities = notKnown(crs.AllergyCategories), notKnown(crs.ReactionSeverities), notKnown(crs.AllergyCriticalities)
	page.Statuses, page.Verifications = crs.AllergyStatuses, crs.AllergyVerifications
	if id := r.PathValue("allergy"); id != "" {
		a := actorOf(r)
		if page.Current, err = s.Allergies.FindAllergy(r.Context(), a, b.ID, id); err != nil {
			return err
		}
		if page.History, err = s.Allergies.AllergyHistory(r.Context(), a, b.ID, id); err != nil {
			return err
		}
		page.Title, page.ID = page.Current.Display(), id
	}
	return nil
}

// fillAllergy puts an allergy as recorded into the form.
func (page *allergyPage) fill(al *crs.Allergy) {
	page.Substance = conceptOf(page, "substance", "Substance or product", substanceHint, crs.ConceptSubstance, al.Substance, al.SubstanceDisplay)
	page.Reaction = conceptOf(page, "reaction", "Reaction (how it showed)", "Optional: type part of the term, such as “rash”", crs.ConceptReaction, al.Reaction, al.ReactionDisplay)
	page.Reaction.Optional = true
	page.Version, page.Category, page.Severity, page.Criticality = strconv.Itoa(al.Version), al.Category, al.Severity, al.Criticality
	page.Status, page.Verif, page.Onset, page.Note = al.ClinicalStatus, al.Verification, al.Onset.String(), al.Note
}

// handleAllergyForm shows the form to record an allergy, or to change one
// with its versions and the action to mark it entered in error.
func (s *Server) handleAllergyForm(w http.ResponseWriter, r *http.Request) error {
	page := &allergyPage{}
	if err := s.allergyPage(r, page); err != nil {
		return err
	}
	if page.Current != nil {
		page.fill(page.Current)
	} else {
		page.fill(&crs.Allergy{ClinicalStatus: crs.AllergyActive, Verification: crs.VerificationConfirmed})
		page.Version = ""
	}
	return s.render(w, r, "allergy", page)
}

// handleRecordAllergy records an allergy, or the next version of one.
// An active allergy supersedes a no known allergies statement. The
// Search buttons show the form again with the concepts that match.
func (s *Server) handleRecordAllergy(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r)
	if err := a.Authorize(crs.ActRecordClinical); err != nil {
		return err
	}
	page := &allergyPage{Version: form(r, "version"), Category: form(r, "category"), Severity: form(r, "severity"), Criticality: form(r, "criticality"),
		Status: form(r, "clinical_status"), Verif: form(r, "verification"), Onset: form(r, "onset"), Note: form(r, "note")}
	if err := s.allergyPage(r, page); err != nil {
		return err
	}
	var err error
	if page.Substance, err = s.readConcept(r, page, "substance", "Substance or product", substanceHint, crs.ConceptSubstance); err != nil {
		return err
	}
	if page.Reaction, err = s.readConcept(r, page, "reaction", "Reaction (how it showed)", "Optional: type part of the term, such as “rash”", crs.ConceptReaction); err != nil {
		return err
	}
	page.Reaction.Optional = true
	if form(r, "search") != "" {
		return s.render(w, r, "allergy", page)
	}
	al := &crs.Allergy{Entry: crs.Entry{ID: page.ID, PatientID: page.Banner.ID}, Substance: page.Substance.Code, Reaction: page.Reaction.Code,
		Category: page.Category, Severity: page.Severity, Criticality: page.Criticality, ClinicalStatus: page.Status, Verification: page.Verif, Note: page.Note}
	al.Version, _ = strconv.Atoi(page.Version)
	d, msg := readDate(r, "onset", "Onset")
	al.Onset = d
	page.Errors.dateError("onset", msg)
	fp := formPost{name: "allergy", page: page, order: allergyFields, anchors: allergyAnchors, fallback: "substance"}
	if !page.Errors.Any() {
		fp.check(al.Validate(crs.LocalDate(s.now())))
	}
	return s.submit(w, r, fp, func() (string, string, error) {
		err := s.Allergies.RecordAllergy(r.Context(), a, al)
		return "/patients/" + page.Banner.ID + "/allergies", "Allergy to " + al.SubstanceDisplay + " recorded", err
	})
}

// handleAllergyInError marks an allergy entered in error, with the
// reason typed.
func (s *Server) handleAllergyInError(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r)
	if err := a.Authorize(crs.ActRecordClinical); err != nil {
		return err
	}
	page := &allergyPage{}
	if err := s.allergyPage(r, page); err != nil {
		return err
	}
	page.fill(page.Current)
	page.Reason = form(r, "reason")
	fp := formPost{name: "allergy", page: page, order: allergyFields, fallback: "reason"}
	return s.submit(w, r, fp, func() (string, string, error) {
		err := s.Allergies.EnterAllergyInError(r.Context(), a, page.Banner.ID, page.ID, page.Reason)
		return "/patients/" + page.Banner.ID + "/allergies", page.Current.Display() + " marked entered in error", err
	})
}

// ErrorAction is where the form marking the allergy entered in error
// posts.
func (page *allergyPage) ErrorAction() string {
	return "/patients/" + page.Banner.ID + "/allergies/" + page.ID + "/error"
}
