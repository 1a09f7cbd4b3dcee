package fhir

import (
	"strconv"

	"github.com/opencrs/crs/internal/jsontext"
)

// servedJSON is the JSON of a Bundle whose entries are resources found
// (a searchset, $everything): each resource's stored body is copied into
// the Bundle as it is, where encoding/json would check and compact every
// body again (for a page of 20 Observations, most of the time the
// encoding took). A Bundle with an entry that carries a request or a
// response (a history, a transaction's answer) is encoded as before.
func (b *bundle) servedJSON() []byte {
	b.settleTotal()
	size := 128
	for _, e := range b.Entry {
		if e.Request != nil || e.Response != nil {
			return b.json()
		}
		size += len(e.Resource) + len(e.FullURL) + 64
	}
	for _, l := range b.Link {
		size += len(l.URL) + 32
	}
	out := make([]byte, 0, size)
	out = append(out, `{"resourceType":`...)
	out = jsontext.AppendString(out, b.ResourceType)
	out = append(out, `,"type":`...)
	out = jsontext.AppendString(out, b.Type)
	if b.Total != nil {
		out = append(out, `,"total":`...)
		out = strconv.AppendInt(out, int64(*b.Total), 10)
	}
	if len(b.Link) > 0 {
		out = append(out, `,"link":[`...)
		for i, l := range b.Link {
			if i > 0 {
				out = append(out, ',')
			}
			out = append(out, `{"relation":`...)
			out = jsontext.AppendString(out, l.Relation)
			out = append(out, `,"url":`...)
			out = jsontext.AppendString(out, l.URL)
			out = append(out, '}')
		}
		out = append(out, ']')
	}
	if len(b.Entry) > 0 {
		out = append(out, `,"entry":[`...)
		for i, e := range b.Entry {
			if i > 0 {
				out = append(out, ',')
			}
			out = append(out, '{')
			sep := false
			if e.FullURL != "" {
				out = append(out, `"fullUrl":`...)
				out = jsontext.AppendString(out, e.FullURL)
				sep = true
			}
			if len(e.Resource) > 0 {
				if sep {
					out = append(out, ',')
				}
				out = append(out, `"resource":`...)
				out = append(out, e.Resource...)
				sep = true
			}
			if e.Search != nil {
				if sep {
					out = append(out, ',')
				}
				out = append(out, `"search":`...)
				out = e.Search.appendJSON(out)
			}
			out = append(out, '}')
		}
		out = append(out, ']')
	}
	return append(out, '}')
}
