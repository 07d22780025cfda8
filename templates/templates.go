// Package templates embeds the text/template sources idemgen renders its
// outputs from. They live in their own package because go:embed cannot
// reach a parent directory.
package templates

import "embed"

// FS holds every *.tmpl file of this directory.
//
//go:embed *.tmpl
var FS embed.FS
