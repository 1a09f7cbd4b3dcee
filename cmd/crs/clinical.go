package main

import (
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/web"
)

// wireClinicalLists gives the web the problem list, allergies, the
// trust's SNOMED CT release and the timeline: kept in the resource store
// as R4 Condition and AllergyIntolerance by package fhir, and the clinical
// notes and clinic letters, kept as R4 Composition.
func wireClinicalLists(w *web.Server, db *store.DB) {
	rs, terms := store.NewResourceService(db), store.NewTerminologyService(db)
	w.Problems = &fhir.ProblemService{Store: db, Resources: rs, Records: rs, Terminology: terms}
	w.Allergies = &fhir.AllergyService{Store: db, Resources: rs, Records: rs, Terminology: terms}
	w.Terminology = terms
	w.Timeline = &fhir.TimelineService{Records: rs}
	w.Notes = noteService(db)
}

// noteService keeps clinical notes, clinic letters and their templates
// in the resource store.
func noteService(db *store.DB) *fhir.NoteService {
	rs := store.NewResourceService(db)
	return &fhir.NoteService{Store: db, Resources: rs, Records: rs, Outpatients: store.NewOutpatientService(db)}
}
