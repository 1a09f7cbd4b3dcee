package demo

import (
	"bytes"
	"context"

	"github.com/opencrs/crs"
)

// SeedOrderCatalogue loads the sample test catalogue (pathology to the
// "Pathology LIMS" feed, imaging to the "Radiology RIS" feed) into a
// trust that has none; a trust with one keeps it.
func SeedOrderCatalogue(ctx context.Context, os crs.OrderService, a crs.Actor) error {
	have, err := os.Catalogue(ctx, a)
	if err != nil || len(have) > 0 {
		return err
	}
	const file = "codes/order_catalogue_sample.csv"
	b, err := sampleCodes.ReadFile(file)
	if err != nil {
		return err
	}
	tests, err := crs.ReadOrderCatalogue(bytes.NewReader(b), file)
	if err != nil {
		return err
	}
	_, err = os.LoadCatalogue(ctx, a, tests)
	return err
}
