package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
)

// runFHIR manages the systems that use the FHIR API: registering them,
// minting tokens for operators and tests, and writing the package of
// OpenCRS's definitions their validators load.
func runFHIR(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const synopsis = `fhir <client add|token|reindex|package> ...

  crs fhir client add --db DSN --ods CODE --name NAME --scopes "system/Patient.read ..." (--jwks FILE | --jwks-url URL)
                      register a system that gets tokens with SMART Backend Services
  crs fhir token --db DSN --ods CODE --client NAME [--ttl 15m] [--scopes "..."]
                      print a bearer token for a registered system
  crs fhir reindex --db DSN [--ods CODE] [--type Observation,Condition,...]
                      write the search index of the trust's resources (every
                      trust's without --ods) again from their bodies, as
                      crs serve does at its start after an upgrade changed
                      what it holds
  crs fhir package --out FILE.tgz
                      write OpenCRS's extensions, code systems and identifier
                      systems as a FHIR package, for a trust's validator or
                      integration engine to load (HL7's validator: -ig FILE.tgz)
`
	switch {
	case len(args) >= 2 && args[0] == "client" && args[1] == "add":
		return fhirClientAdd(ctx, args[2:], stdout)
	case len(args) >= 1 && args[0] == "token":
		return fhirToken(ctx, args[1:], stdout)
	case len(args) >= 1 && args[0] == "reindex":
		return fhirReindex(ctx, args[1:], stdout)
	case len(args) >= 1 && args[0] == "package":
		return fhirPackage(args[1:], stdout)
	case len(args) >= 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help"):
		fmt.Fprintf(stdout, "Usage: crs %s", synopsis)
		return nil
	}
	fmt.Fprintf(stderr, "Usage: crs %s", synopsis)
	return errUsage
}

// fhirPackage writes the FHIR package of OpenCRS's definitions to a
// file, replacing it whole only once it is written.
func fhirPackage(args []string, stdout io.Writer) error {
	fs := newFlags("fhir package", "fhir package --out FILE.tgz", stdout)
	out := fs.String("out", "", "the file to write the package to, e.g. opencrs.fhir.tgz (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required("fhir package", map[string]string{"out": *out}); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(*out), filepath.Base(*out)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := fhir.WritePackage(f, version); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), *out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d definitions of OpenCRS's, FHIR package %s\n", *out, len(fhir.Definitions()), fhir.PackageName)
	return nil
}

func fhirClientAdd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("fhir client add", `fhir client add --db DSN --ods CODE --name NAME --scopes "..." (--jwks FILE | --jwks-url URL)`, stdout)
	dsn := fs.String("db", "sqlite:crs-data/crs.db", "the database: sqlite:PATH or postgres://...")
	ods := fs.String("ods", "", "ODS code of the client's trust (required)")
	name := fs.String("name", "", "what the trust calls the system, e.g. lab-system (required)")
	scopes := fs.String("scopes", "", `the SMART scopes it may be given, e.g. "system/Patient.read system/Observation.*" (required)`)
	jwksFile := fs.String("jwks", "", "a file holding the system's public keys as a JSON Web Key Set (this or --jwks-url)")
	jwksURL := fs.String("jwks-url", "", "the https address the system publishes its key set at, read when it asks for a token, so that it rotates its keys itself (this or --jwks)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required("fhir client add", map[string]string{"ods": *ods, "name": *name, "scopes": *scopes}); err != nil {
		return err
	}
	if (*jwksFile == "") == (*jwksURL == "") {
		return fmt.Errorf("fhir client add: give the system's keys as --jwks FILE or their address as --jwks-url URL (one of the two)")
	}
	if _, err := fhir.ParseScopes(*scopes); err != nil {
		return fmt.Errorf("--scopes: %v", err)
	}
	var jwks []byte
	if *jwksFile != "" {
		var err error
		if jwks, err = os.ReadFile(*jwksFile); err != nil {
			return fmt.Errorf("--jwks: %v", err)
		}
		if _, err := fhir.ParseJWKS(jwks); err != nil {
			return fmt.Errorf("--jwks %s: %v", *jwksFile, err)
		}
	} else if err := fhir.CheckKeySetURL(*jwksURL); err != nil {
		return fmt.Errorf("--jwks-url: %v", err)
	}
	db, org, err := openTrust(ctx, *dsn, *ods)
	if err != nil {
		return err
	}
	defer db.Close()
	c := &crs.APIClient{Name: strings.TrimSpace(*name), Scopes: strings.Join(strings.Fields(*scopes), " "), JWKS: jwks, JWKSURL: *jwksURL}
	if err := db.Write(ctx, crs.SystemActor(org.ID), crs.ActAdministerSettings, func(tx crs.Tx) error { return tx.InsertAPIClient(c) }); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "registered FHIR client %s of %s\nclient_id: %s\n", c.Name, org.ODSCode, c.ID)
	return nil
}

func fhirToken(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("fhir token", `fhir token --db DSN --ods CODE --client NAME [--ttl 15m] [--scopes "..."]`, stdout)
	dsn := fs.String("db", "sqlite:crs-data/crs.db", "the database: sqlite:PATH or postgres://...")
	ods := fs.String("ods", "", "ODS code of the client's trust (required)")
	name := fs.String("client", "", "the registered client's name (required)")
	ttl := fs.Duration("ttl", 15*time.Minute, "how long the token lasts")
	scopes := fs.String("scopes", "", "the scopes wanted; all the client's when not given")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required("fhir token", map[string]string{"ods": *ods, "client": *name}); err != nil {
		return err
	}
	if *ttl <= 0 || *ttl > 24*time.Hour {
		return fmt.Errorf("--ttl %s: a token lasts more than nothing and at most 24h", *ttl)
	}
	db, org, err := openTrust(ctx, *dsn, *ods)
	if err != nil {
		return err
	}
	defer db.Close()
	tok, err := mintFHIRToken(ctx, db, org.ID, *name, *scopes, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}

// fhirReindex writes the search index rows of a trust's resources again
// from their bodies (fhir.Reindex), or of every trust of the database
// one after the other when no trust is named, printing each type it
// rewrote rows of and each trust's totals.
func fhirReindex(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("fhir reindex", `fhir reindex --db DSN [--ods CODE] [--type Observation,Condition,...]`, stdout)
	dsn := fs.String("db", "sqlite:crs-data/crs.db", "the database: sqlite:PATH or postgres://...")
	ods := fs.String("ods", "", "ODS code of the trust whose resources are reindexed; every trust of the database when not given")
	typeList := fs.String("type", "", "comma-separated resource types to reindex; every type when not given")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var types []string
	for _, t := range strings.Split(*typeList, ",") {
		if t = strings.TrimSpace(t); t == "" {
			continue
		}
		if !fhir.IsResourceType(t) {
			return fmt.Errorf("--type %s: not a resource type of FHIR R4 (e.g. Observation)", t)
		}
		types = append(types, t)
	}
	var db *store.DB
	var orgs []*crs.Organisation
	if *ods != "" {
		d, org, err := openTrust(ctx, *dsn, *ods)
		if err != nil {
			return err
		}
		db, orgs = d, []*crs.Organisation{org}
	} else {
		d, err := openExisting(ctx, *dsn)
		if err != nil {
			return err
		}
		db = d
		if orgs, err = store.NewOrganisationService(db).FindOrganisations(ctx); err != nil {
			db.Close()
			return err
		}
	}
	defer db.Close()
	for _, org := range orgs {
		if err := reindexTrust(ctx, db, org, types, stdout); err != nil {
			return err
		}
	}
	return nil
}

// reindexTrust reindexes one trust's resources of types (nil: all),
// printing each type it looked at once done, and the totals.
func reindexTrust(ctx context.Context, db *store.DB, org *crs.Organisation, types []string, stdout io.Writer) error {
	var at fhir.ReindexCount // the type being reindexed, printed once it is done
	done := func() {
		if at.Looked > 0 {
			fmt.Fprintf(stdout, "%s %s: %d resources, %d rewritten\n", org.ODSCode, at.Type, at.Looked, at.Rewritten)
		}
	}
	n, err := fhir.Reindex(ctx, db, crs.SystemActor(org.ID), types, func(c fhir.ReindexCount) {
		if c.Type != at.Type {
			done()
		}
		at = c
	})
	if err != nil {
		return fmt.Errorf("fhir reindex of %s stopped in %s after %d of its resources: %w; run it again to finish (what it did is found unchanged)", org.ODSCode, n.Type, n.Looked, err)
	}
	done()
	fmt.Fprintf(stdout, "reindexed %s: %d resources looked at, %d had their search index rows written again\n", org.ODSCode, n.TotalLooked, n.TotalRewritten)
	return nil
}

// reindexStale indexes again, a trust after another, the resources of
// each trust last indexed under another search index than this
// version's (fhir.ReindexStale), logging what it did. Stopped by ctx, it
// leaves the rest to the next start.
func reindexStale(ctx context.Context, db *store.DB, logger *slog.Logger) {
	orgs, err := store.NewOrganisationService(db).FindOrganisations(ctx)
	if err != nil {
		if ctx.Err() == nil {
			logger.Error("search index: the trusts were not read", "err", err)
		}
		return
	}
	for _, org := range orgs {
		ran, n, err := fhir.ReindexStale(ctx, db, crs.SystemActor(org.ID), nil)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			logger.Error("search index of the trust's resources not brought up to date; crs fhir reindex does it", "ods", org.ODSCode, "err", err)
		case ran:
			logger.Info("search index brought up to date", "ods", org.ODSCode, "resources", n.TotalLooked, "rewritten", n.TotalRewritten)
		}
	}
}

// mintFHIRToken gives the trust's client with the name a token.
func mintFHIRToken(ctx context.Context, db *store.DB, orgID, name, scopes string, ttl time.Duration) (string, error) {
	clients := store.NewAPIClientService(db)
	c, err := clients.FindAPIClientByName(ctx, orgID, name)
	if err != nil {
		return "", err
	}
	if c.Disabled {
		return "", fmt.Errorf("FHIR client %s is disabled", name)
	}
	smart := &fhir.SMART{Store: db, Clients: clients}
	tok, _, err := smart.MintToken(ctx, c, scopes, "", ttl)
	return tok, err
}

// fhirServer is the FHIR API over the database, for crs serve and demo.
func fhirServer(a *app) *fhir.Server {
	clients := store.NewAPIClientService(a.db)
	return &fhir.Server{Store: a.db, Resources: store.NewResourceService(a.db), Auth: &fhir.SMART{Store: a.db, Clients: clients}, Logger: a.logger,
		Terminology: store.NewTerminologyService(a.db),
		Exports:     store.NewExportService(a.db), Audit: store.NewAuditService(a.db), Notifications: a.db,
		Patients: a.patients, Core: &fhir.Core{Referrals: store.NewReferralService(a.db), Inpatients: store.NewInpatientService(a.db),
			ED: store.NewEDService(a.db), Outpatients: store.NewOutpatientService(a.db), Orgs: a.orgs}}
}

// demoFHIRClient registers the demo trust's FHIR client "demo" (all
// scopes, a key made for it and not kept) unless it exists, and mints it
// a token lasting the day: the curl line the demo prints works at once.
func demoFHIRClient(ctx context.Context, a *app, org *crs.Organisation) (string, error) {
	clients := store.NewAPIClientService(a.db)
	if _, err := clients.FindAPIClientByName(ctx, org.ID, "demo"); crs.ErrorCode(err) == crs.ENOTFOUND {
		key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		if err != nil {
			return "", err
		}
		c := &crs.APIClient{Name: "demo", Scopes: "system/*.*", JWKS: fhir.ECJWKS(&key.PublicKey, "demo")}
		if err := a.db.Write(ctx, crs.SystemActor(org.ID), crs.ActAdministerSettings, func(tx crs.Tx) error { return tx.InsertAPIClient(c) }); err != nil {
			return "", fmt.Errorf("register the demo FHIR client: %w", err)
		}
	} else if err != nil {
		return "", err
	}
	return mintFHIRToken(ctx, a.db, org.ID, "demo", "", 24*time.Hour)
}
