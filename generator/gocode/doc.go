// Package gocode writes idempotency.gen.go: typed wrappers over the
// ServerInterface that oapi-codegen generates for a specification, and a
// route table with a plain net/http middleware for any router.
//
// Names and parameter types are never guessed: Resolve asks oapi-codegen's
// own pkg/codegen, configured like the user's oapi-codegen run, so a wrapper
// method always has exactly the signature of the method it overrides.
//
//	cfg, err := gocode.LoadConfig("oapi-codegen.yaml") // "" for the defaults
//	doc, err := res.Fresh(ctx)                          // a document no one else holds
//	m, warnings, err := gocode.Resolve(doc, cfg, res.Model)
//	src, err := gocode.Render(m, gocode.Options{Package: "api", Source: "openapi.yaml"})
package gocode
