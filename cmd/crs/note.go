package main

import (
	"context"
	"io"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
)

// noteTemplateHelp says what a file of note templates holds.
const noteTemplateHelp = `note template load --db DSN --ods CODE FILE

Makes FILE the trust's templates of clinical notes and clinic letters:
new templates are added, known ones (same specialty, kind and title)
updated, and those not in the file retired (notes written from them
stay). FILE is CSV (UTF-8) with the header
specialty,kind,title,heading,prompt and one section a line: specialty is
the TREATMENT FUNCTION CODE (100 General Surgery, 110 Trauma and
Orthopaedics, 300 General Internal Medicine, 320 Cardiology...), kind is
note or letter, heading the section's heading and prompt what the
clinician is asked to write in it (may be empty). A template's sections
are given on consecutive lines, in order. A file with a bad line loads
nothing, and each bad line is reported as FILE:LINE: what is wrong.`

// runNote sets up what writing clinical notes and letters needs.
func runNote(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "template" {
		return helpOrUsage(args, noteTemplateHelp, stdout, stderr)
	}
	if len(args) < 2 || args[1] != "load" {
		return helpOrUsage(args[1:], noteTemplateHelp, stdout, stderr)
	}
	return loadTrustFile(ctx, args[2:], "note template load", noteTemplateHelp, stdout, crs.ReadNoteTemplates,
		func(db *store.DB, a crs.Actor, ts []crs.NoteTemplate) (int, error) {
			return noteService(db).LoadTemplates(ctx, a, ts)
		},
		"%[1]s: %[2]d templates of %[3]s, %[4]d added or changed\n")
}
