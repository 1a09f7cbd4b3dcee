package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
	const synopsis = `terminology load --db DSN --ods CODE --system icd10|opcs4|snomed FILE...

Loads the trust's own code list of ICD-10 diagnoses or OPCS-4 procedures,
replacing the list it had: coders can give an episode only codes on it.
FILE is CSV or tab-separated (UTF-8), one code and its description a line,
with an optional header line code,description. A code is written with or
without its dot (A00.0 or A000; W37.1 or W371).

With --system snomed, loads the trust's SNOMED CT release, replacing the
one it had: clinicians record problems, diagnoses, allergies and
reactions only with its active concepts. The FILEs are the RF2 files of
the release (Snapshot or Full): sct2_Concept_*.txt and
sct2_Description_*.txt, and optionally der2_cRefset_Language*.txt, which
says the preferred term, and sct2_Relationship_*.txt, whose is-a
relationships say what each concept is a kind of (for the FHIR API's
:below and :above, is-a value sets and $subsumes), and
der2_Refset_Simple*.txt, whose simple reference sets list concepts (for
value sets by memberOf, as UK Core's are); a folder given stands for the
RF2 files in it, of reference sets the Snapshot ones.

A file with a bad line loads nothing, and each bad line is reported as
FILE:LINE: what is wrong.`
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
	if *system != nhs.ICD10 && *system != nhs.OPCS4 && *system != nhs.SNOMED {
		return usageError(fmt.Sprintf("--system %q: the classification is icd10, opcs4 or snomed", *system))
	}
	if *system == nhs.SNOMED {
		return loadSNOMED(ctx, *dsn, *ods, fs.Args(), stdout)
	}
	codes, name, err := readOneFile(fs, "terminology load", func(r io.Reader, name string) ([]nhs.Code, error) { return nhs.ReadCodeList(r, name, *system) })
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

// loadSNOMED loads a trust's SNOMED CT release from its RF2 files.
func loadSNOMED(ctx context.Context, dsn, ods string, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError("give the RF2 files of the release: sct2_Concept_*.txt and sct2_Description_*.txt (see crs terminology load --help)")
	}
	var names []string
	for _, a := range args {
		if st, err := os.Stat(a); err == nil && st.IsDir() {
			for _, pattern := range []string{"sct2_Concept_*.txt", "sct2_Description_*.txt", "der2_cRefset_Language*.txt", "sct2_Relationship_*.txt", "der2_Refset_SimpleSnapshot*.txt"} {
				found, _ := filepath.Glob(filepath.Join(a, pattern))
				names = append(names, found...)
			}
			continue
		}
		names = append(names, a)
	}
	var files []nhs.RF2File
	for _, name := range names {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		files = append(files, nhs.RF2File{Name: name, R: f})
	}
	concepts, err := nhs.ReadRF2(files)
	if err != nil {
		return err
	}
	db, org, err := openTrust(ctx, dsn, ods)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := store.NewTerminologyService(db).LoadSNOMED(ctx, crs.SystemActor(org.ID), concepts)
	if err != nil {
		return err
	}
	isa, members := 0, 0
	for _, c := range concepts {
		isa += len(c.Parents)
		members += len(c.Refsets)
	}
	fmt.Fprintf(stdout, "%d SNOMED CT concepts, %d is-a relationships and %d reference set members loaded for %s from %d files\n", n, isa, members, org.ODSCode, len(files))
	return nil
}
