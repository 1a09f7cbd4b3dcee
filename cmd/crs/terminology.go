package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
	"github.com/opencrs/crs/store"
)

// helpOrUsage answers a command given no subcommand it knows: its
// synopsis on stdout when help was asked for, else on stderr and
// errUsage.
func helpOrUsage(args []string, synopsis string, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprintf(stdout, "Usage: crs %s\n", synopsis)
		return nil
	}
	fmt.Fprintf(stderr, "Usage: crs %s\n", synopsis)
	return errUsage
}

// runTerminology loads a trust's code lists of the clinical
// classifications its coders code episodes with.
func runTerminology(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const synopsis = `terminology load --db DSN --ods CODE --system icd10|opcs4 FILE

Loads the trust's own code list of ICD-10 diagnoses or OPCS-4 procedures,
replacing the list it had: coders can give an episode only codes on it.
FILE is CSV or tab-separated (UTF-8), one code and its description a line,
with an optional header line code,description. A code is written with or
without its dot (A00.0 or A000; W37.1 or W371). A file with a bad line
loads nothing, and each bad line is reported as FILE:LINE: what is wrong.`
	if len(args) == 0 || args[0] != "load" {
		return helpOrUsage(args, synopsis, stdout, stderr)
	}
	fs := newFlags("terminology load", synopsis, stdout)
	dsn := fs.String("db", "sqlite:crs-data/crs.db", "the database: sqlite:PATH or postgres://...")
	ods := fs.String("ods", "", "ODS code of the trust (required)")
	system := fs.String("system", "", "the classification of the file: icd10 or opcs4 (required)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if err := required("terminology load", map[string]string{"ods": *ods, "system": *system}); err != nil {
		return err
	}
	*system = strings.ToLower(*system)
	if *system != nhs.ICD10 && *system != nhs.OPCS4 {
		return usageError(fmt.Sprintf("--system %q: the classification is icd10 or opcs4", *system))
	}
	if fs.NArg() != 1 {
		return usageError("give one FILE to load (see crs terminology load --help)")
	}
	name := fs.Arg(0)
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	codes, err := nhs.ReadCodeList(f, name, *system)
	if err != nil {
		return err
	}
	db, org, err := openTrust(ctx, *dsn, *ods)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := store.NewCodingService(db).LoadCodeList(ctx, crs.SystemActor(org.ID), *system, codes)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d %s codes loaded for %s\n", name, n, nhs.SystemName(*system), org.ODSCode)
	return nil
}
