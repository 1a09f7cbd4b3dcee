package fhir

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/opencrs/crs"
)

// Issue is one issue of an OperationOutcome: how bad, what kind (an R4
// issue-type code such as "structure", "not-found"), in words, and the
// element it is about.
type Issue struct {
	Severity    string
	Code        string
	Diagnostics string
	Expression  string
}

// Outcome is an error answered as an OperationOutcome with its HTTP
// status.
type Outcome struct {
	Status int
	Issues []Issue
	// cause is the error the outcome says in the protocol's words, kept
	// for the store to tell what failed the command (a clash of keys with
	// a command committed meanwhile, after which the command is run
	// again).
	cause error
}

// Unwrap returns the error the outcome was made of, if any.
func (o *Outcome) Unwrap() error { return o.cause }

func (o *Outcome) Error() string {
	var parts []string
	for _, i := range o.Issues {
		if i.Expression != "" {
			parts = append(parts, i.Expression+": "+i.Diagnostics)
		} else {
			parts = append(parts, i.Diagnostics)
		}
	}
	return strings.Join(parts, "; ")
}

func invalid(code, expr, format string, args ...any) *Outcome {
	return &Outcome{Status: http.StatusBadRequest, Issues: []Issue{{Severity: "error", Code: code, Diagnostics: fmt.Sprintf(format, args...), Expression: expr}}}
}

func outcomeOf(status int, code, format string, args ...any) *Outcome {
	return &Outcome{Status: status, Issues: []Issue{{Severity: "error", Code: code, Diagnostics: fmt.Sprintf(format, args...)}}}
}

// asOutcome maps any error to the OperationOutcome it is answered with:
// the codes of crs.Error once, here.
func asOutcome(err error) *Outcome {
	var o *Outcome
	if errors.As(err, &o) {
		return o
	}
	var ce *crs.Error
	if !errors.As(err, &ce) {
		return outcomeOf(http.StatusInternalServerError, "exception", "the request could not be completed")
	}
	msg := ce.Message
	switch ce.Code {
	case crs.ENOTFOUND:
		return outcomeOf(http.StatusNotFound, "not-found", "%s", msg)
	case crs.EINVALID:
		if f := ce.Field; f != "" && f[0] >= 'A' && f[0] <= 'Z' { // a FHIR expression
			return invalid("invalid", f, "%s", msg)
		}
		return outcomeOf(http.StatusBadRequest, "invalid", "%s", msg)
	case crs.ECONFLICT:
		return outcomeOf(http.StatusConflict, "conflict", "%s", msg)
	case crs.EUNAUTHORIZED:
		return outcomeOf(http.StatusUnauthorized, "login", "%s", msg)
	case crs.EFORBIDDEN:
		return outcomeOf(http.StatusForbidden, "forbidden", "%s", msg)
	case crs.ENORELATIONSHIP, crs.ESEALED: // a person without a legitimate relationship, or a sealed record
		return outcomeOf(http.StatusForbidden, "suppressed", "%s", msg)
	}
	return outcomeOf(http.StatusInternalServerError, "exception", "the request could not be completed")
}

// JSON is the OperationOutcome resource, with a narrative that says its
// issues in words, so that a person (or a system showing the resource as
// its text) reads what went wrong without interpreting the codes.
func (o *Outcome) JSON() []byte {
	type issue struct {
		Severity    string   `json:"severity"`
		Code        string   `json:"code"`
		Diagnostics string   `json:"diagnostics,omitempty"`
		Expression  []string `json:"expression,omitempty"`
	}
	out := struct {
		ResourceType string         `json:"resourceType"`
		Text         *jsonNarrative `json:"text,omitempty"`
		Issue        []issue        `json:"issue"`
	}{ResourceType: "OperationOutcome"}
	var div xhtmlDiv
	for _, i := range o.Issues {
		is := issue{Severity: i.Severity, Code: i.Code, Diagnostics: i.Diagnostics}
		if i.Expression != "" {
			is.Expression = []string{i.Expression}
			div.para(i.Severity, ": ", cmp.Or(i.Diagnostics, i.Code), " (", i.Expression, ")")
		} else {
			div.para(i.Severity, ": ", cmp.Or(i.Diagnostics, i.Code))
		}
		out.Issue = append(out.Issue, is)
	}
	if !div.empty() {
		n := div.narrative()
		out.Text = &n
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(out)
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// readOutcome reads back an OperationOutcome the API answered with status
// (an inner request's refusal), each issue's diagnostics after prefix;
// false when the body holds none.
func readOutcome(status int, body []byte, prefix string) (*Outcome, bool) {
	var got struct {
		Issue []struct {
			Severity, Code, Diagnostics string
			Expression                  []string
		}
	}
	if err := json.Unmarshal(body, &got); err != nil || len(got.Issue) == 0 {
		return nil, false
	}
	o := &Outcome{Status: status}
	for _, i := range got.Issue {
		o.Issues = append(o.Issues, Issue{Severity: i.Severity, Code: i.Code, Diagnostics: prefix + i.Diagnostics, Expression: strings.Join(i.Expression, ", ")})
	}
	return o, true
}
