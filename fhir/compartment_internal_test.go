package fhir

import "testing"

// TestCompartmentParams checks R4's compartments against the search
// parameters OpenCRS knows: every type is an R4 type and every
// parameter that puts a resource in a compartment is one of its type's
// reference parameters that may refer to the compartment's type.
func TestCompartmentParams(t *testing.T) {
	for comp, def := range compartments {
		for typ, params := range def.types {
			if !isResource[typ] {
				t.Errorf("%s compartment: %s is not an R4 type", comp, typ)
			}
			if typ == comp && def.own {
				t.Errorf("%s compartment: its own type %s is in it by parameters too", comp, typ)
			}
			for _, name := range params {
				p, ok := SearchParamOf(typ, name)
				if !ok || p.Type != "reference" {
					t.Errorf("%s compartment: %s.%s is not a reference parameter", comp, typ, name)
				}
			}
		}
	}
}
