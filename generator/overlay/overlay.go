// Package overlay applies OpenAPI Overlay 1.0 documents. (Being written; see issue 4.)
package overlay

import "errors"

// Apply returns src with the overlay's actions applied; format is "yaml" or "json".
func Apply(src, overlayDoc []byte, format string) ([]byte, error) {
	return nil, errors.New("overlay.Apply: not written yet")
}
