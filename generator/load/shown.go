package load

import (
	"errors"

	"github.com/idemgen/idemgen/generator/model"
)

// shown returns where the author wrote what stands at o: with an overlay
// applied, the root document as loaded is the overlay's output, whose
// lines neither the overlay's author nor the document's wrote.
func (s *source) shown(o model.Origin) model.Origin {
	if s.applied == nil || o.Line == 0 || o.File != s.path && o.File != display(s.name) {
		return o
	}
	p, ok := s.applied.Source(o.Line, o.Column)
	if !ok {
		return o
	}
	file := s.path
	if p.Overlay {
		file = s.overlayName
	}
	return model.Origin{File: file, Line: p.Line, Column: p.Column}
}

// showAll returns es placed where their authors wrote them, sorted again.
func (s *source) showAll(es Errors) Errors {
	if s.applied == nil || len(es) == 0 {
		return es
	}
	out := make(Errors, len(es))
	for i, e := range es {
		out[i] = &Error{Origin: s.shown(e.Origin), Msg: e.Msg}
	}
	return out.sorted()
}

// showErr is showAll for a load's or a build's error.
func (s *source) showErr(err error) error {
	var es Errors
	if errors.As(err, &es) {
		return s.showAll(es)
	}
	return err
}
