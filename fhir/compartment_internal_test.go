package fhir

import "testing"

// TestCompartmentParams checks R4's compartments against the search
// parameters OpenCRS knows: every type is an R4 type and every
// parameter that puts a resource in a compartment is one of its type's
// reference parameters that may refer to the compartment's type.
func TestCompartmentParams(t *testing.T) {
	for comp, types := range compartments {
		for typ, params := range types {
			if !isResource[typ] {
				t.Errorf("%s compartment: %s is not an R4 type", comp, typ)
			}
			for _, name := range params {
				if name == "{def}" {
					if typ != comp {
						t.Errorf("%s compartment: %s is named by {def}", comp, typ)
					}
					continue
				}
				p, ok := SearchParamOf(typ, name)
				if !ok || p.Type != "reference" {
					t.Errorf("%s compartment: %s.%s is not a reference parameter", comp, typ, name)
				}
			}
		}
	}
}
