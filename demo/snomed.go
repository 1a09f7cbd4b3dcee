package demo

import (
	"context"
	"embed"
	"io/fs"

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
