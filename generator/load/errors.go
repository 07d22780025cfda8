package load

import (
	"cmp"
	"slices"
	"strings"

	"github.com/idemgen/idemgen/generator/model"
)

// Error is one diagnostic: a position in a specification file and what is
// wrong there. Its text is "spec.yaml:12:7: x-idempotent.ttl: …", the form
// editors and CI annotators understand.
type Error struct {
	Origin model.Origin
	Msg    string
	// Marker is set for a misspelt x-idempotent, or the marker on a path
	// item: a mistake in the marking itself, which idemgen -lint reports
	// as a finding rather than a failure to read the document.
	Marker bool
}

func (e *Error) Error() string { return e.Origin.String() + ": " + e.Msg }

// Errors is every diagnostic found in one document, sorted by position. Load
// collects them all rather than stopping at the first, so that one run shows
// everything to fix.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// sorted returns es ordered by file, line and column, with exact duplicates
// (the same message at the same place) removed.
func (es Errors) sorted() Errors {
	out := slices.Clone(es)
	slices.SortStableFunc(out, func(a, b *Error) int {
		return cmp.Or(
			cmp.Compare(a.Origin.File, b.Origin.File),
			cmp.Compare(a.Origin.Line, b.Origin.Line),
			cmp.Compare(a.Origin.Column, b.Origin.Column),
		)
	})
	return slices.CompactFunc(out, func(a, b *Error) bool {
		return a.Origin == b.Origin && a.Msg == b.Msg
	})
}

// errs collects diagnostics while a document is read.
type errs struct{ list Errors }

func (c *errs) add(o model.Origin, msg string) { c.list = append(c.list, &Error{Origin: o, Msg: msg}) }

// addMarker adds a mistake in the marking itself (see Error.Marker).
func (c *errs) addMarker(o model.Origin, msg string) {
	c.list = append(c.list, &Error{Origin: o, Msg: msg, Marker: true})
}

// err returns the collected diagnostics as one error, or nil.
func (c *errs) err() error {
	if len(c.list) == 0 {
		return nil
	}
	return c.list.sorted()
}
