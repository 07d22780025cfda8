// Package augment writes the published contract into the specification. (Being written; see issue 4.)
package augment

import (
	"errors"

	"github.com/idemgen/idemgen/generator/model"
)

// Spec returns src with the idempotency contract added and nothing else changed.
func Spec(src []byte, m model.Model) ([]byte, error) {
	return nil, errors.New("augment.Spec: not written yet")
}

// Overlay returns an OpenAPI Overlay 1.0 document that adds the same contract.
func Overlay(src []byte, m model.Model) ([]byte, error) {
	return nil, errors.New("augment.Overlay: not written yet")
}
