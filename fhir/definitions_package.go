package fhir

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// PackageName is the name of the FHIR package of OpenCRS's definitions.
const PackageName = "opencrs.fhir"

// releaseVersion is a version a package may carry: a release's
// major.minor.patch, perhaps with a label.
var releaseVersion = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$`)

// packageVersion is the package's version for OpenCRS's version: the
// release's (v0.3.1 is 0.3.1), else 0.0.0-dev for a build that is no
// release.
func packageVersion(crsVersion string) string {
	if v := strings.TrimPrefix(crsVersion, "v"); releaseVersion.MatchString(v) {
		return v
	}
	return "0.0.0-dev"
}

// WritePackage writes OpenCRS's definitions (Definitions) as a FHIR NPM
// package, a gzipped tar: package/package.json, package/.index.json and
// each resource in package/[type]-[id].json. HL7's validator (-ig) and
// HAPI (NpmPackageValidationSupport) load it, so that a trust's
// integration engine knows what OpenCRS's extensions and codes mean.
// crsVersion is OpenCRS's version, the package's when it is a release's.
func WritePackage(w io.Writer, crsVersion string) error {
	version := packageVersion(crsVersion)
	manifest := map[string]any{
		"name": PackageName, "version": version, "fhirVersions": []string{"4.0.1"}, "type": "Conformance",
		"canonical": "https://opencrs.org", "author": "OpenCRS",
		"title":        "OpenCRS definitions",
		"description":  "The extensions, code systems and identifier systems of OpenCRS's own that its FHIR R4 API serves.",
		"dependencies": map[string]string{"hl7.fhir.r4.core": "4.0.1"},
	}
	type entry struct {
		Filename     string `json:"filename"`
		ResourceType string `json:"resourceType"`
		ID           string `json:"id"`
		URL          string `json:"url,omitempty"`
		Kind         string `json:"kind,omitempty"`
		Type         string `json:"type,omitempty"`
	}
	index := struct {
		IndexVersion int     `json:"index-version"`
		Files        []entry `json:"files"`
	}{IndexVersion: 1}
	files := map[string][]byte{}
	var names []string
	for _, r := range definitions().all {
		res, err := Decode(r.Body)
		if err != nil {
			return err
		}
		e := entry{Filename: r.Type + "-" + r.ID + ".json", ResourceType: r.Type, ID: r.ID}
		e.URL, _ = res["url"].(string)
		e.Kind, _ = res["kind"].(string)
		e.Type, _ = res["type"].(string)
		index.Files = append(index.Files, e)
		files[e.Filename] = r.Body
		names = append(names, e.Filename)
	}
	mj, err := json.MarshalIndent(manifest, "", "  ")
	if err != nil {
		return crs.Errorf(crs.EINTERNAL, "write the package manifest: %w", err)
	}
	ij, err := json.MarshalIndent(index, "", "  ")
	if err != nil {
		return crs.Errorf(crs.EINTERNAL, "write the package index: %w", err)
	}
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	// The files carry the definitions' date, so that the same OpenCRS
	// writes the same package.
	when, _ := time.Parse(time.DateOnly, definitionsDate)
	put := func(name string, body []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: "package/" + name, Mode: 0o644, Size: int64(len(body)), ModTime: when, Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
			return crs.Errorf(crs.EINTERNAL, "write the package: %w", err)
		}
		if _, err := tw.Write(body); err != nil {
			return crs.Errorf(crs.EINTERNAL, "write the package: %w", err)
		}
		return nil
	}
	if err := put("package.json", mj); err != nil {
		return err
	}
	if err := put(".index.json", ij); err != nil {
		return err
	}
	for _, n := range names {
		if err := put(n, files[n]); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return crs.Errorf(crs.EINTERNAL, "write the package: %w", err)
	}
	if err := gz.Close(); err != nil {
		return crs.Errorf(crs.EINTERNAL, "write the package: %w", err)
	}
	return nil
}
