package demo

import (
	"bytes"
	"context"
	"embed"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// sampleCodes are the demo trust's small code lists of ICD-10 and OPCS-4
// codes: real code formats with descriptions of the demo's own. A trust
// loads its full lists with crs terminology load.
//
//go:embed codes/*.csv
var sampleCodes embed.FS

// SeedCodeLists loads the sample code lists into a trust that has no
// code list of a classification yet; a trust with one keeps it.
func SeedCodeLists(ctx context.Context, cs crs.CodingService, a crs.Actor) error {
	for system, file := range map[string]string{nhs.ICD10: "codes/icd10_sample.csv", nhs.OPCS4: "codes/opcs4_sample.csv"} {
		b, err := sampleCodes.ReadFile(file)
		if err != nil {
			return err
		}
		codes, err := nhs.ReadCodeList(bytes.NewReader(b), file, system)
		if err != nil {
			return err
		}
		if _, err := cs.LookupCode(ctx, a, system, codes[0].Code); err == nil {
			continue
		} else if crs.ErrorCode(err) != crs.ENOTFOUND {
			return err
		}
		if _, err := cs.LoadCodeList(ctx, a, system, codes); err != nil {
			return err
		}
	}
	return nil
}
