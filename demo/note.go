package demo

import (
	"bytes"
	"context"

	"github.com/opencrs/crs"
)

// SeedNoteTemplates loads the sample templates of clinical notes and
// clinic letters (general surgery, orthopaedics, general medicine and
// cardiology) into a trust that has none; a trust with its own keeps
// them.
func SeedNoteTemplates(ctx context.Context, ns crs.NoteService, a crs.Actor) error {
	have, err := ns.Templates(ctx, a, "")
	if err != nil || len(have) > 0 {
		return err
	}
	const file = "codes/note_templates_sample.csv"
	b, err := sampleCodes.ReadFile(file)
	if err != nil {
		return err
	}
	ts, err := crs.ReadNoteTemplates(bytes.NewReader(b), file)
	if err != nil {
		return err
	}
	_, err = ns.LoadTemplates(ctx, a, ts)
	return err
}
