package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/golive"
	"github.com/opencrs/crs/store"
)

// benchImportFlags sets up `crs bench import`: generate a legacy extract
// of a trust with the number of patients asked for, import it into a new
// database and report the rows loaded a second.
func benchImportFlags(ctx context.Context, stdout, stderr io.Writer) (*flag.FlagSet, func() error) {
	fs := newFlags("bench import", "bench import [flags]", stdout)
	patients := fs.Int("patients", 100000, "live patients of the generated extract")
	dsn := fs.String("db", "", "database: sqlite:PATH (a new file) or postgres://... (a new, empty database); default a new SQLite file in a temporary folder")
	dir := fs.String("dir", "", "folder for the extract and the SQLite file (default: a temporary folder)")
	batch := fs.Int("batch", golive.DefaultBatchSize, "rows per command")
	seed := fs.Int64("seed", 1, "chooses the generated patients and activity")
	return fs, func() error {
		work := *dir
		if work == "" {
			var err error
			if work, err = os.MkdirTemp("", "crs-bench-import-"); err != nil {
				return err
			}
			defer os.RemoveAll(work)
		}
		extract := filepath.Join(work, "extract")
		began := time.Now()
		if _, err := golive.Generate(extract, golive.GenerateOptions{Patients: *patients, Seed: *seed}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "generated an extract of %d patients in %s\n", *patients, time.Since(began).Round(time.Millisecond))
		if *dsn == "" {
			*dsn = "sqlite:" + filepath.Join(work, "crs.db")
		}
		db, err := store.Open(ctx, *dsn)
		if err != nil {
			return err
		}
		defer db.Close()
		org := &crs.Organisation{ODSCode: "R9V", Name: "Bench Trust", MRNPrefix: "B"}
		if err := store.NewOrganisationService(db).CreateOrganisation(ctx, crs.SystemActor(""), org); err != nil {
			return err
		}
		began = time.Now()
		x, err := golive.Read(extract)
		if err != nil {
			return err
		}
		read := time.Since(began)
		im := &golive.Importer{Store: db, Log: db, OrgID: org.ID, BatchSize: *batch, Progress: stderr}
		began = time.Now()
		n, err := im.Load(ctx, x)
		if err != nil {
			return err
		}
		load := time.Since(began)
		rows := 0
		for _, f := range golive.Files {
			rows += len(x.File(f).Rows)
		}
		fmt.Fprintf(stdout, "read and checked %d rows in %s (%.0f rows/s)\n", rows, read.Round(time.Millisecond), float64(rows)/read.Seconds())
		fmt.Fprintf(stdout, "loaded %d rows in %s (%.0f rows/s); in all %.0f rows/s\n", n, load.Round(time.Millisecond),
			float64(n)/load.Seconds(), float64(rows)/(read+load).Seconds())
		return nil
	}
}
