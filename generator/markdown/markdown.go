// Package markdown renders IDEMPOTENCY.md. (Being written; see issue 4.)
package markdown

import (
	"errors"

	"github.com/idemgen/idemgen/generator/model"
)

// Render returns the Markdown page for m.
func Render(m model.Model) ([]byte, error) {
	return nil, errors.New("markdown.Render: not written yet")
}
