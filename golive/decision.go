package golive

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/opencrs/crs"
)

// The go / no-go decision of a cutover: the import, the reconciliation,
// the rehearsal of the interfaces and the data quality of the migrated
// record, each measured against a threshold the programme board sets,
// with where the detail of each figure is.

// Criterion is one measure of the decision: its figure must not exceed
// its threshold. A criterion without a threshold is shown for
// information and never makes the decision no-go.
type Criterion = crs.GoLiveCriterion

// Decision is the go / no-go summary of a cutover.
type Decision struct {
	Go bool `json:"go"`
	// Failed names the criteria over their threshold.
	Failed   []string    `json:"failed"`
	Criteria []Criterion `json:"criteria"`
}

// DefaultThresholds are the thresholds of the criteria when the board
// sets none: nothing unaccounted for, nothing held, refused or unmapped in
// the rehearsal, at most 2% of the extract's rows rejected and 1% of its
// appointments out of slot, no invalid NHS number and no open pathway
// without a status. The data quality checks not named here are shown for
// information.
var DefaultThresholds = map[string]float64{
	"import_rejected_pct":          2,
	"import_not_loaded":            0,
	"appointments_out_of_slot_pct": 1,
	"reconcile_unaccounted":        0,
	"rehearsal_held":               0,
	"rehearsal_refused":            0,
	"rehearsal_unmapped_codes":     0,
	"dq_" + crs.DQNHSNumberInvalid: 0,
	"dq_" + crs.DQPathwayNoStatus:  0,
}

// ParseThreshold reads a threshold as NAME=VALUE; a VALUE of "none"
// makes the criterion informational.
func ParseThreshold(s string, into map[string]*float64) error {
	name, val, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return crs.Errorf(crs.EINVALID, "threshold %q is not NAME=VALUE (e.g. import_rejected_pct=1.5)", s)
	}
	if strings.TrimSpace(val) == "none" {
		into[name] = nil
		return nil
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
	if err != nil || v < 0 {
		return crs.Errorf(crs.EINVALID, "threshold %s: %q is not a number of zero or more (or none)", name, val)
	}
	into[name] = &v
	return nil
}

// DecisionInput is what the decision is made of. Rehearsal and DQ may
// be nil: then their criteria are not measured.
type DecisionInput struct {
	Extract   *Report // the import's outcome, rows accepted and rejected by reason
	NotLoaded int     // accepted rows of the extract the import has not loaded
	Reconcile *Reconciliation
	Rehearsal *Rehearsal
	DQ        *crs.DQReport
	// Thresholds set by the board, over DefaultThresholds; a nil value
	// makes the criterion informational.
	Thresholds map[string]*float64
	// ExtractDir names the extract in the commands of the details.
	ExtractDir string
}

// Decide measures every criterion and makes the decision. A threshold
// naming no criterion is an error, so a misspelt one is not ignored.
func Decide(in DecisionInput) (*Decision, error) {
	d := &Decision{Go: true, Failed: []string{}}
	dir := in.ExtractDir
	add := func(name, desc string, figure float64, detail string) {
		c := Criterion{Name: name, Description: desc, Figure: figure, Detail: detail, Pass: true}
		if t, ok := DefaultThresholds[name]; ok {
			c.Threshold = &t
		}
		if t, ok := in.Thresholds[name]; ok {
			c.Threshold = t
		}
		if c.Threshold != nil && figure > *c.Threshold {
			c.Pass, d.Go = false, false
			d.Failed = append(d.Failed, name)
		}
		d.Criteria = append(d.Criteria, c)
	}
	rows, rejected := 0, 0
	for _, name := range in.Extract.Files.Keys {
		c := in.Extract.Files.Values[name]
		rows += c.Rows
		rejected += c.Rejected
	}
	add("import_rejected_pct", fmt.Sprintf("rows of the extract rejected, %% of %d rows (%d rejected)", rows, rejected),
		pct(rejected, rows), "crs import legacy "+dir+" --dry-run --report rejections.html")
	for _, name := range in.Extract.Files.Keys {
		c := in.Extract.Files.Values[name]
		for _, reason := range c.RejectedByReason.Keys {
			add("import_rejected_"+strings.TrimSuffix(name, ".csv")+"_"+reason, fmt.Sprintf("rows of %s rejected for %s", name, reason),
				float64(c.RejectedByReason.Values[reason]), "crs import legacy "+dir+" --dry-run --report rejections.html")
		}
	}
	add("import_not_loaded", "accepted rows of the extract not yet loaded (an interrupted import)",
		float64(in.NotLoaded), "crs import legacy "+dir+" (run again to carry on)")
	add("appointments_out_of_slot_pct", fmt.Sprintf("appointments that fit no slot, %% of %d accepted (%d)", in.Extract.Appointments.Accepted, in.Extract.Appointments.OutOfSlot),
		pct(in.Extract.Appointments.OutOfSlot, in.Extract.Appointments.Accepted), "crs import legacy "+dir+" --dry-run --report appointments.html")
	add("likely_duplicate_pairs", "pairs of patients likely to be one person, for review",
		float64(len(in.Extract.LikelyDuplicates)), "crs import legacy "+dir+" --dry-run --report duplicates.html")
	add("reconcile_unaccounted", "records of the extract OpenCRS does not hold as the extract has them, no change since the import explaining it",
		float64(in.Reconcile.Unaccounted()), "crs golive reconcile "+dir)
	changed := 0
	for _, t := range in.Reconcile.Totals {
		changed += t.ChangedSinceImport
	}
	add("reconcile_changed_since_import", "records changed in OpenCRS since the import", float64(changed), "crs golive reconcile "+dir)
	if r := in.Rehearsal; r != nil {
		add("rehearsal_messages", "messages of the systems that stay rehearsed", float64(r.Total.Messages), "crs golive rehearse")
		add("rehearsal_held", "rehearsed messages that would be held", float64(r.Total.Held), "crs golive rehearse")
		add("rehearsal_refused", "rehearsed messages that would be refused", float64(r.Total.Refused), "crs golive rehearse")
		add("rehearsal_unmapped_codes", "codes of the systems that stay without a mapping", float64(r.Unmapped), "crs golive rehearse")
		out := 0
		for _, o := range r.Outbound {
			out += o.Count
		}
		add("rehearsal_outbound", "messages the rehearsal would send to the trust's destinations", float64(out), "crs golive rehearse")
	}
	if in.DQ != nil {
		for _, c := range crs.DQChecks {
			add("dq_"+c, "records the data quality check "+c+" finds", float64(in.DQ.Counts[c]), "/reports/dq (crs report dq --format csv)")
		}
	}
	known := map[string]bool{}
	for _, c := range d.Criteria {
		known[c.Name] = true
	}
	var unknown []string
	for name := range in.Thresholds {
		if !known[name] {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, crs.Errorf(crs.EINVALID, "no criterion named %s (see crs golive check --help)", strings.Join(unknown, ", "))
	}
	return d, nil
}

func pct(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(int(float64(n)*10000/float64(of)+0.5)) / 100
}

// FormatFigure says a figure or threshold as the summary shows it.
func FormatFigure(v *float64) string {
	if v == nil {
		return "none"
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// WriteText writes the decision for the programme board: GO or NO-GO,
// then every criterion with its figure, threshold and detail.
func (d *Decision) WriteText(w io.Writer) error {
	b := &strings.Builder{}
	if d.Go {
		fmt.Fprintf(b, "GO: every criterion is within its threshold.\n\n")
	} else {
		fmt.Fprintf(b, "NO-GO: %d criteria over their threshold: %s\n\n", len(d.Failed), strings.Join(d.Failed, ", "))
	}
	fmt.Fprintf(b, "%-6s %-48s %8s %9s  %s\n", "", "criterion", "figure", "threshold", "detail")
	for _, c := range d.Criteria {
		mark := "pass"
		if !c.Pass {
			mark = "FAIL"
		} else if c.Threshold == nil {
			mark = "info"
		}
		f := c.Figure
		fmt.Fprintf(b, "%-6s %-48s %8s %9s  %s\n", mark, c.Name, FormatFigure(&f), FormatFigure(c.Threshold), c.Detail)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// JSON is the decision as `crs golive check --json` prints it.
func (d *Decision) JSON() ([]byte, error) { return json.MarshalIndent(d, "", "  ") }

//go:embed templates/decision.html
var decisionHTML string

var decisionTmpl = template.Must(template.New("decision").Funcs(template.FuncMap{"fig": FormatFigure, "num": func(v float64) string { return FormatFigure(&v) }}).Parse(decisionHTML))

// HTML is the decision as a page for the programme board.
func (d *Decision) HTML() ([]byte, error) {
	var b bytes.Buffer
	if err := decisionTmpl.Execute(&b, d); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
