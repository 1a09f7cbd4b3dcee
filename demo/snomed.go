package demo

import (
	"context"
	"embed"
	"io/fs"
	"strconv"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// sampleSNOMED is the demo trust's small SNOMED CT release in RF2 form:
// a few dozen real concepts (problems and diagnoses, allergens,
// reactions, and "No known allergy") with their terms. A trust loads
// the NHS release with crs terminology load --system snomed.
//
//go:embed snomed/*.txt
var sampleSNOMED embed.FS

// SNOMEDSample reads the demo's sample SNOMED CT release.
func SNOMEDSample() ([]nhs.Concept, error) {
	names, err := fs.Glob(sampleSNOMED, "snomed/*.txt")
	if err != nil {
		return nil, err
	}
	var files []nhs.RF2File
	for _, name := range names {
		f, err := sampleSNOMED.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		files = append(files, nhs.RF2File{Name: name, R: f})
	}
	return nhs.ReadRF2(files)
}

// SeedSNOMED loads the sample release into a trust that has none; a
// trust with a release keeps it.
func SeedSNOMED(ctx context.Context, ts crs.TerminologyService, a crs.Actor) error {
	if loaded, err := ts.SNOMEDLoaded(ctx, a); err != nil || loaded {
		return err
	}
	concepts, err := SNOMEDSample()
	if err != nil {
		return err
	}
	_, err = ts.LoadSNOMED(ctx, a, concepts)
	return err
}

// ClinicalListServices are the services SeedClinicalLists records
// through.
type ClinicalListServices struct {
	Patients  crs.PatientService
	Problems  crs.ProblemService
	Allergies crs.AllergyService
}

// demoClinicalLists are what the first patients of a demo trust have on
// record, in hospital-number order: an allergy, no known allergies,
// problems (one an alert), or nothing recorded, so the banner shows each
// case.
var demoClinicalLists = []struct {
	allergy, reaction, severity, criticality string
	nka                                      bool
	problems                                 []string
	alert                                    string
}{
	{allergy: "764146007", reaction: "39579001", severity: "severe", criticality: "high", problems: []string{"195967001"}},
	{nka: true, problems: []string{"38341003", "44054006"}},
	{allergy: "256349002", reaction: "126485001", severity: "moderate", criticality: "high", alert: "129839007"},
	{problems: []string{"49436004"}},
	{allergy: "387207008", reaction: "271807003", severity: "mild", criticality: "low", problems: []string{"13645005"}},
	{nka: true},
}

// SeedClinicalLists records problems and allergies for the first
// patients of a trust (hospital numbers prefix0000001 onwards) that have
// none yet, through the services as a user would: a rerun adds nothing.
func SeedClinicalLists(ctx context.Context, s ClinicalListServices, a crs.Actor, mrnPrefix string) error {
	for i, d := range demoClinicalLists {
		res, err := s.Patients.SearchPatients(ctx, a, crs.PatientQuery{MRN: mrnPrefix + leftPad(i+1), Limit: 1})
		if err != nil {
			return err
		}
		if len(res.Matches) == 0 {
			continue
		}
		pid := res.Matches[0].Patient.ID
		have, err := s.Allergies.ListAllergies(ctx, a, pid)
		if err != nil {
			return err
		}
		probs, err := s.Problems.ListProblems(ctx, a, pid)
		if err != nil || len(have) > 0 || len(probs) > 0 {
			return err
		}
		entry := crs.Entry{PatientID: pid}
		if d.nka {
			if err := s.Allergies.RecordAllergy(ctx, a, &crs.Allergy{Entry: entry, NoKnownAllergies: true}); err != nil {
				return err
			}
		}
		if d.allergy != "" {
			al := &crs.Allergy{Entry: entry, Substance: d.allergy, Reaction: d.reaction, Severity: d.severity, Criticality: d.criticality,
				ClinicalStatus: crs.AllergyActive, Verification: crs.VerificationConfirmed}
			if err := s.Allergies.RecordAllergy(ctx, a, al); err != nil {
				return err
			}
		}
		codes := d.problems
		if d.alert != "" {
			codes = append(codes, d.alert)
		}
		for _, code := range codes {
			p := &crs.Problem{Entry: entry, Code: code, ClinicalStatus: crs.ProblemActive, Verification: crs.VerificationConfirmed, Alert: code == d.alert}
			if err := s.Problems.RecordProblem(ctx, a, p); err != nil {
				return err
			}
		}
	}
	return nil
}

func leftPad(n int) string {
	s := "0000000" + strconv.Itoa(n)
	return s[len(s)-7:]
}
