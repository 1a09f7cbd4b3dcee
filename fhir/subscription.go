package fhir

import "net/http"

// subscriptionDoc is what the CapabilityStatement says of Subscription.
const subscriptionDoc = "Kept as a record only: OpenCRS sends no FHIR Subscription notifications, so a Subscription is written with status off or error; one requested or active is refused (422), as it would never be honoured. A system learns of changes through the HL7 v2 outbound feeds, or by reading _history with _since."

// refuseSubscription refuses a Subscription whose status asks for
// notifications (requested, active): OpenCRS sends none, and one stored
// would tell its client it will be told of changes it never hears of.
// at names the resource in a Bundle ("" for its type).
func refuseSubscription(res Resource, at string) error {
	if res.Type() != "Subscription" {
		return nil
	}
	switch status, _ := res["status"].(string); status {
	case "requested", "active":
		if at == "" {
			at = "Subscription"
		}
		return &Outcome{Status: http.StatusUnprocessableEntity, Issues: []Issue{{Severity: "error", Code: "not-supported", Expression: at + ".status",
			Diagnostics: "a Subscription with status " + status + " is not taken: OpenCRS sends no FHIR Subscription notifications; learn of changes through the HL7 v2 outbound feeds, or by reading _history with _since (a Subscription with status off or error is kept as a record)"}}}
	}
	return nil
}
