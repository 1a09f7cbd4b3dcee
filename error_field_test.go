package crs

import (
	"fmt"
	"testing"
)

// TestHasFieldError finds the field of one error, of a list of them, and
// of either wrapped, and no field an error is not about.
func TestHasFieldError(t *testing.T) {
	one := FieldErrorf("reason", "say why")
	list := Errors{FieldErrorf("sex", "say whom"), FieldErrorf("specialty", "say which")}
	for _, tc := range []struct {
		err   error
		field string
		want  bool
	}{
		{one, "reason", true}, {one, "sex", false}, {list, "specialty", true}, {list, "reason", false},
		{fmt.Errorf("save: %w", list), "sex", true}, {fmt.Errorf("save: %w", one), "reason", true},
		{Errorf(EINVALID, "no field"), "reason", false}, {nil, "reason", false},
	} {
		if got := HasFieldError(tc.err, tc.field); got != tc.want {
			t.Errorf("HasFieldError(%v, %q) = %v, want %v", tc.err, tc.field, got, tc.want)
		}
	}
}
