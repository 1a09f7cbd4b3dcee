package crs_test

import (
	"go/build"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// module is the import path of this module; its packages live in the
// folders under the module root, where the tests of package crs run.
const module = "github.com/opencrs/crs"

// edges are the packages that reach the record through the unit of work
// package crs declares, never through package store: only cmd/crs wires
// store to them.
var edges = []string{"interfaces", "web", "demo", "fhir", "golive", "report"}

// domain is package crs and the rule packages: they hold the hospital's
// rules and import no edge technology.
var domain = []string{".", "nhs", "rtt", "news2", "match"}

// edgeImports are the packages the domain never imports, directly or
// through another package of the module.
var edgeImports = []string{"database/sql", "net/http", module + "/hl7", module + "/mllp", module + "/fhir", module + "/store"}

// deps returns the module's packages that dir's package imports outside
// its tests, transitively, each with the chain of imports that reaches it
// from dir, and the direct imports of each.
func deps(t *testing.T, dir string) (chains map[string][]string, imports map[string][]string) {
	t.Helper()
	chains, imports = map[string][]string{}, map[string][]string{}
	var walk func(path string, chain []string)
	walk = func(path string, chain []string) {
		if _, seen := chains[path]; seen {
			return
		}
		chains[path] = chain
		rel := strings.TrimPrefix(strings.TrimPrefix(path, module), "/")
		if rel == "" {
			rel = "."
		}
		pkg, err := build.ImportDir(filepath.FromSlash(rel), 0)
		if err != nil {
			t.Fatalf("read package %s: %v", path, err)
		}
		imports[path] = pkg.Imports // without TestImports and XTestImports
		for _, imp := range pkg.Imports {
			if imp == module || strings.HasPrefix(imp, module+"/") {
				walk(imp, append(append([]string(nil), chain...), imp))
			}
		}
	}
	path := module
	if dir != "." {
		path += "/" + dir
	}
	walk(path, []string{path})
	return chains, imports
}

// planned are packages the layout names that are not written yet; every
// other package of the lists above must exist, so the rules cannot pass
// by checking nothing.
var planned = map[string]bool{}

// exists reports whether the module has a package in dir, failing the
// test when it should.
func exists(t *testing.T, dir string) bool {
	t.Helper()
	_, err := os.Stat(filepath.FromSlash(dir))
	if err != nil && !planned[dir] {
		t.Fatalf("package %s is missing: %v", dir, err)
	}
	return err == nil
}

// each runs check as a subtest for every package of dirs that exists.
func each(t *testing.T, dirs []string, check func(t *testing.T, dir string)) {
	for _, dir := range dirs {
		if exists(t, dir) {
			t.Run(dir, func(t *testing.T) { check(t, dir) })
		}
	}
}

// TestEdgesDoNotImportStore keeps the unit of work the only way in: an
// edge that imported store could write around the one write path.
func TestEdgesDoNotImportStore(t *testing.T) {
	each(t, edges, func(t *testing.T, edge string) {
		chains, _ := deps(t, edge)
		for path, chain := range chains {
			if path == module+"/store" || strings.HasPrefix(path, module+"/store/") {
				t.Errorf("%s imports %s: %s", edge, path, strings.Join(chain, " -> "))
			}
		}
	})
}

// TestDomainImportsNoEdge keeps package crs and the rule packages free of
// SQL, HTTP, HL7 and FHIR, so the rules can be read and tested alone.
func TestDomainImportsNoEdge(t *testing.T) {
	each(t, domain, func(t *testing.T, dir string) {
		chains, imports := deps(t, dir)
		for path, imps := range imports {
			for _, imp := range imps {
				for _, bad := range edgeImports {
					if imp == bad || strings.HasPrefix(imp, bad+"/") {
						t.Errorf("%s imports %s: %s", dir, imp, strings.Join(append(chains[path], imp), " -> "))
					}
				}
			}
		}
	})
}
