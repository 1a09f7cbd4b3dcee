package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/opencrs/crs"
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
	fs := newFlags("note template load", noteTemplateHelp, stdout)
	dsn := fs.String("db", "sqlite:crs-data/crs.db", "the database: sqlite:PATH or postgres://...")
	ods := fs.String("ods", "", "ODS code of the trust (required)")
	if err := parseFlags(fs, args[2:]); err != nil {
		return err
	}
	if err := required("note template load", map[string]string{"ods": *ods}); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("give one FILE to load (see crs note template load --help)")
	}
	name := fs.Arg(0)
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	ts, err := crs.ReadNoteTemplates(f, name)
	if err != nil {
		return err
	}
	db, org, err := openTrust(ctx, *dsn, *ods)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := noteService(db).LoadTemplates(ctx, crs.SystemActor(org.ID), ts)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d templates of %s, %d added or changed\n", name, len(ts), org.ODSCode, n)
	return nil
}
