package crs

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes. Each edge maps them once: to an HTTP status and page, a FHIR
// OperationOutcome, an HL7 acknowledgement code.
const (
	ENOTFOUND     = "not_found"    // the thing asked for does not exist (for this trust)
	EINVALID      = "invalid"      // the input breaks a rule; Message says which
	ECONFLICT     = "conflict"     // the change clashes with the current state
	EUNAUTHORIZED = "unauthorized" // no one is logged in, or the login failed
	EFORBIDDEN    = "forbidden"    // the actor's role does not allow the activity
	EINTERNAL     = "internal"     // a fault of ours; the details are logged, not shown
)

// Error is the one error type of OpenCRS: a code that says what kind of
// failure it is, and a message a person can act on. Field names the input
// that was wrong (a form field, a FHIR element, an HL7 field) when known.
type Error struct {
	Code    string
	Message string
	Field   string
	Err     error // wrapped cause, if any
}

// Error returns the message, prefixed with the field when there is one.
func (e *Error) Error() string {
	msg := e.Message
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Err == nil {
		return msg
	}
	switch cause := e.Err.Error(); {
	case cause == "":
		return msg
	case msg == "":
		return cause
	default:
		return msg + ": " + cause
	}
}

// Unwrap returns the wrapped cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and formatted message. A %w
// verb wraps its argument as the cause.
//
// A cause wrapped with %w at the end of the format ("write %s: %w", the
// way every caller writes it) is kept as Err and left out of Message,
// which Error appends it to: the text reads as fmt.Errorf's, once. A
// cause wrapped elsewhere in the format stays in Message, and is not
// kept as Err to be appended again.
func Errorf(code, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	e := &Error{Code: code, Message: err.Error()}
	if u := errors.Unwrap(err); u != nil {
		switch cause := u.Error(); {
		case e.Message == cause:
			e.Message, e.Err = "", u
		case strings.HasSuffix(e.Message, ": "+cause):
			e.Message, e.Err = strings.TrimSuffix(e.Message, ": "+cause), u
		default:
			e.Err = &wrapped{u}
		}
	}
	return e
}

// wrapped keeps a cause that an Error's message already says, for
// errors.Is and errors.As, and says nothing more of it.
type wrapped struct{ err error }

func (w *wrapped) Error() string { return "" }
func (w *wrapped) Unwrap() error { return w.err }

// FieldErrorf returns an EINVALID *Error about one named input field.
func FieldErrorf(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err if it is (or wraps) an *Error,
// EINTERNAL for any other error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the human message of err if it is an *Error, and a
// generic message for any other error, so internal details never reach a
// user.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Error()
	}
	return "An internal error has occurred."
}

// ErrorField returns the field an EINVALID error is about, or "".
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// Errors collects several field errors found by one validation, so a form
// can show each beside its field.
type Errors []*Error

// Error joins the messages.
func (es Errors) Error() string {
	s := ""
	for i, e := range es {
		if i > 0 {
			s += "; "
		}
		s += e.Error()
	}
	return s
}

// Err returns the collected errors as one *Error of code EINVALID whose
// cause is the list, or nil when there are none.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: "", Err: es}
}

// FieldErrors returns, for an error made by Errors.Err or FieldErrorf, the
// message for each field. Errors without a field are listed under "".
func FieldErrors(err error) map[string]string {
	m := map[string]string{}
	var es Errors
	if errors.As(err, &es) {
		for _, e := range es {
			if _, ok := m[e.Field]; !ok {
				m[e.Field] = e.Message
			}
		}
		return m
	}
	var e *Error
	if errors.As(err, &e) {
		m[e.Field] = e.Message
	}
	return m
}

// FieldErrorList returns the field errors err holds, in the order they
// were found (FieldErrors gives them by field).
func FieldErrorList(err error) Errors {
	var es Errors
	if errors.As(err, &es) {
		return es
	}
	var e *Error
	if errors.As(err, &e) {
		return Errors{e}
	}
	return nil
}

// HasFieldError reports whether err is, or holds, an error about the
// named field of a form or resource.
func HasFieldError(err error, field string) bool {
	for _, e := range FieldErrorList(err) {
		if e.Field == field {
			return true
		}
	}
	return false
}
