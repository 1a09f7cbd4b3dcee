package web

import (
	"strings"

	"github.com/opencrs/crs/nhs"
)

func init() {
	// choiceOf makes a "radios" field of a list of codes, each labelled
	// in words: "entered-in-error" is "Entered in error"; "" is "Not known".
	funcs["choiceOf"] = func(p pager, name, label, value string, codes []string) field {
		f := newField(p, name, label, value)
		for _, c := range codes {
			d := codeWords(c)
			if c == "" {
				d = "Not known"
			}
			f.Options = append(f.Options, nhs.Code{Code: c, Description: d})
		}
		return f
	}
	funcs["codeWords"] = codeWords
}

// codeWords writes an R4 code as words: "unable-to-assess" is "Unable to
// assess".
func codeWords(code string) string { return sentence(strings.ReplaceAll(code, "-", " ")) }
