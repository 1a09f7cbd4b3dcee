// Package fhir is OpenCRS's FHIR R4 REST API (UK Core profiles): it maps
// the typed administrative core (patients, encounters, appointments,
// referrals) to FHIR resources and back, serves the versioned resource
// store of clinical content without PAS rules, and answers bad input
// with an OperationOutcome. Like every edge it reaches the record
// through the unit of work package crs declares: a FHIR transaction
// bundle is one command, all or nothing, on the one write path, with
// conditional create (If-None-Exist) as its idempotency key.
package fhir
