package fhir

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"testing"
)

// TestInteractionAccess checks that every route the API registers is
// declared in interactionAccess, and every declaration is registered.
func TestInteractionAccess(t *testing.T) {
	file, err := parser.ParseFile(token.NewFileSet(), "server.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	ast.Inspect(file, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) == 0 {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
			return true
		}
		if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
			p, _ := strconv.Unquote(lit.Value)
			seen[p] = true
			if _, ok := interactionAccess[p]; !ok {
				t.Errorf("interaction %q is not in interactionAccess", p)
			}
		}
		return true
	})
	if len(seen) < 10 {
		t.Fatalf("found only %d routes", len(seen))
	}
	for p := range interactionAccess {
		if !seen[p] {
			t.Errorf("interactionAccess declares %q, which is not registered", p)
		}
	}
}
