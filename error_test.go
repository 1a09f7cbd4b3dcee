package crs_test

import (
	"database/sql"
	"errors"
	"testing"

	"github.com/opencrs/crs"
)

// TestErrorfSaysItsCauseOnce: an error that wraps a cause says the
// cause once, whether a user reads it (ErrorMessage) or a log does
// (Error), and still unwraps to it.
func TestErrorfSaysItsCauseOnce(t *testing.T) {
	inner := crs.Errorf(crs.ECONFLICT, "NHS number 9990000018 already belongs to the patient with hospital number RXX001")
	for _, tc := range []struct {
		name  string
		err   *crs.Error
		cause error
		want  string
	}{
		{"a cause at the end", crs.Errorf(crs.EINTERNAL, "write Observation/o1: %w", sql.ErrNoRows), sql.ErrNoRows,
			"write Observation/o1: sql: no rows in result set"},
		{"an error of ours as the cause", crs.Errorf(crs.ECONFLICT, "patient at index 0: %w", inner), inner,
			"patient at index 0: NHS number 9990000018 already belongs to the patient with hospital number RXX001"},
		{"two levels", crs.Errorf(crs.EINTERNAL, "import: %w", crs.Errorf(crs.EINTERNAL, "batch 2: %w", sql.ErrNoRows)), sql.ErrNoRows,
			"import: batch 2: sql: no rows in result set"},
		{"the cause alone", crs.Errorf(crs.EINTERNAL, "%w", sql.ErrNoRows), sql.ErrNoRows,
			"sql: no rows in result set"},
		{"a cause within the words", crs.Errorf(crs.EINTERNAL, "read (%w) again", sql.ErrNoRows), sql.ErrNoRows,
			"read (sql: no rows in result set) again"},
		{"no cause", crs.Errorf(crs.EINVALID, "no ward %s", "W1"), nil, "no ward W1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("Error() = %q, want %q", got, tc.want)
			}
			if got := crs.ErrorMessage(tc.err); got != tc.want {
				t.Errorf("ErrorMessage = %q, want %q", got, tc.want)
			}
			if tc.cause != nil && !errors.Is(tc.err, tc.cause) {
				t.Errorf("errors.Is(err, %v) = false, want true", tc.cause)
			}
		})
	}
	var ce *crs.Error
	if err := crs.Errorf(crs.EINTERNAL, "import: %w", inner); !errors.As(err.Err, &ce) || ce.Code != crs.ECONFLICT {
		t.Errorf("the cause of a wrapped error of ours is %v, want the conflict it wraps", err.Err)
	}
}
