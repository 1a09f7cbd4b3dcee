package fhir

import (
	"encoding/json"
	"net/http"
	"sort"
)

// SoftwareVersion is the version the CapabilityStatement names.
var SoftwareVersion = "dev"

// handleMetadata answers the CapabilityStatement: what this server
// implements, and only that.
func (s *Server) handleMetadata(w http.ResponseWriter, r *http.Request) {
	base := baseURL(r)
	type param struct {
		Name string `json:"name"`
		Type string `json:"type"`
	}
	type interaction struct {
		Code string `json:"code"`
	}
	type operation struct {
		Name       string `json:"name"`
		Definition string `json:"definition"`
	}
	export := operation{"export", "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"}
	type resource struct {
		Type              string        `json:"type"`
		Interaction       []interaction `json:"interaction"`
		Versioning        string        `json:"versioning"`
		ReadHistory       bool          `json:"readHistory"`
		UpdateCreate      bool          `json:"updateCreate"`
		ConditionalCreate bool          `json:"conditionalCreate"`
		ConditionalUpdate bool          `json:"conditionalUpdate"`
		ConditionalDelete string        `json:"conditionalDelete"`
		SearchInclude     []string      `json:"searchInclude,omitempty"`
		SearchRevInclude  []string      `json:"searchRevInclude,omitempty"`
		SearchParam       []param       `json:"searchParam"`
		Operation         []operation   `json:"operation,omitempty"`
	}
	var resources []resource
	for _, t := range resourceTypes {
		res := resource{Type: t, Versioning: "versioned-update", ReadHistory: true, UpdateCreate: true, ConditionalCreate: true, ConditionalUpdate: true, ConditionalDelete: "single"}
		codes := []string{"read", "vread", "update", "patch", "delete", "history-instance", "history-type", "create", "search-type"}
		switch t {
		case "AuditEvent": // the audit trail: read only
			codes = []string{"read", "search-type"}
			res = resource{Type: t, Versioning: "no-version", ConditionalDelete: "not-supported"}
		case "Patient":
			res.Operation = []operation{{"everything", "http://hl7.org/fhir/OperationDefinition/Patient-everything"}, export}
		case "Group":
			res.Operation = []operation{export}
		}
		for _, c := range codes {
			res.Interaction = append(res.Interaction, interaction{c})
		}
		names := make([]string, 0, len(searchParams[t]))
		for n, p := range searchParams[t] {
			if p.Type == "composite" || p.Type == "special" || len(p.Paths) == 0 && n != "_id" && n != "_lastUpdated" {
				continue
			}
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			p := searchParams[t][n]
			res.SearchParam = append(res.SearchParam, param{n, p.Type})
			if p.Type == "reference" {
				res.SearchInclude = append(res.SearchInclude, t+":"+n)
			}
		}
		resources = append(resources, res)
	}
	cs := map[string]any{
		"resourceType": "CapabilityStatement",
		"status":       "active",
		"date":         "2026-01-01",
		"kind":         "instance",
		"software":     map[string]any{"name": "OpenCRS", "version": SoftwareVersion},
		"implementation": map[string]any{
			"description": "OpenCRS FHIR R4 API",
			"url":         base,
		},
		"fhirVersion": "4.0.1",
		"format":      []string{"application/fhir+json", "json"},
		"rest": []any{map[string]any{
			"mode": "server",
			"security": map[string]any{
				"service": []any{map[string]any{"coding": []any{map[string]any{
					"system": "http://terminology.hl7.org/CodeSystem/restful-security-service", "code": "SMART-on-FHIR"}}}},
				"extension": []any{map[string]any{
					"url":       "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
					"extension": []any{map[string]any{"url": "token", "valueUri": base + "/token"}},
				}},
			},
			"resource":    resources,
			"interaction": []any{map[string]any{"code": "history-system"}, map[string]any{"code": "transaction"}, map[string]any{"code": "batch"}},
			"operation":   []operation{export},
			"searchParam": []any{
				map[string]any{"name": "_id", "type": "token"},
				map[string]any{"name": "_lastUpdated", "type": "date"},
			},
		}},
	}
	b, _ := json.Marshal(cs)
	writeJSON(w, http.StatusOK, b)
}

// handleSMARTConfiguration answers .well-known/smart-configuration: how
// a system gets a token (SMART Backend Services).
func (s *Server) handleSMARTConfiguration(w http.ResponseWriter, r *http.Request) {
	base := baseURL(r)
	b, _ := json.Marshal(map[string]any{
		"token_endpoint":                                   base + "/token",
		"grant_types_supported":                            []string{"client_credentials"},
		"token_endpoint_auth_methods_supported":            []string{"private_key_jwt"},
		"token_endpoint_auth_signing_alg_values_supported": []string{"RS384", "ES384"},
		"scopes_supported":                                 []string{"system/*.read", "system/*.write", "system/*.*", "system/*.cruds"},
		"capabilities":                                     []string{"client-confidential-asymmetric"},
	})
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}
