package generator

import (
	"fmt"
	"go/token"
	"io"
	"path/filepath"
	"strings"
)

// Options say what Run reads and writes.
//
// An output path left empty gets its default name in the spec's directory;
// Skip ("-") writes nothing for that output.
type Options struct {
	// Spec is the OpenAPI document (3.0, 3.1 or Swagger 2.0, YAML or JSON).
	Spec string
	// Package is the Go package of the generated file: the package
	// oapi-codegen generated ServerInterface into. Default: the package
	// named in the OapiConfig file, else "api".
	Package string
	// GoOut is the Go file. Default: idempotency.gen.go beside the spec.
	GoOut string
	// SpecOut is the augmented document. Default: <base>.idempotent.<ext>
	// beside the spec, named after it (openapi.yaml gives
	// openapi.idempotent.yaml).
	SpecOut string
	// DocsOut is the Markdown page. Default: IDEMPOTENCY.md beside the spec.
	DocsOut string
	// OverlayOut, when set, receives an OpenAPI Overlay that adds what the
	// augmented document adds. Empty (the default) or Skip writes none.
	OverlayOut string
	// OverlayIn is an OpenAPI Overlay applied to the spec before anything
	// reads it, for marking operations of a document one cannot edit.
	OverlayIn string
	// OapiConfig is the oapi-codegen configuration file whose naming
	// options and include/exclude filters the generated Go must mirror.
	OapiConfig string
	// ServerSpec names the document oapi-codegen's server is generated
	// from: "input" (the default) or "augmented", whose operations gain an
	// Idempotency-Key parameter and so a params argument.
	ServerSpec string
	// Check compares instead of writing: Run returns a *CheckError holding a
	// unified diff for every output whose file differs.
	Check bool
	// MarkMethods marks every operation with one of these methods as if it
	// said x-idempotent: true, unless it carries a marker of its own.
	MarkMethods []string
	// AllowRemoteRefs lets $refs reach http and https URLs.
	AllowRemoteRefs bool
	// AllowRefDirs are folders, besides the spec's own, whose files local
	// $refs may read; "/" allows any. By default a $ref leading out of the
	// spec's folder, by ../, an absolute path or a symlink, is refused.
	AllowRefDirs []string
	// Stderr receives warnings; nil discards them.
	Stderr io.Writer
}

// Skip as an output path writes nothing for that output.
const Skip = "-"

// Default output names.
const (
	DefaultGoOut   = "idempotency.gen.go"
	DefaultDocsOut = "IDEMPOTENCY.md"
)

// Server spec choices.
const (
	ServerSpecInput     = "input"
	ServerSpecAugmented = "augmented"
)

// output kinds, in the order Run renders and reports them.
const (
	kindGo      = "Go"
	kindSpec    = "augmented spec"
	kindDocs    = "Markdown"
	kindOverlay = "overlay"
)

// target is one file Run is asked for.
type target struct {
	kind string
	path string
}

// validate checks what can be checked before reading anything.
func (o Options) validate() error {
	if o.Spec == "" {
		return fmt.Errorf("no spec given")
	}
	if o.Package != "" && !token.IsIdentifier(o.Package) {
		return fmt.Errorf("package %q is not a Go identifier", o.Package)
	}
	switch o.ServerSpec {
	case "", ServerSpecInput, ServerSpecAugmented:
	default:
		return fmt.Errorf("server spec %q: want %q or %q", o.ServerSpec, ServerSpecInput, ServerSpecAugmented)
	}
	return nil
}

// targets resolves the output paths, defaults included, and checks that
// they are distinct and leave the input alone. format is the spec's
// ("yaml" or "json"), for a spec file without an extension.
func (o Options) targets(format string) ([]target, error) {
	dir := filepath.Dir(o.Spec)
	pick := func(kind, p, def string) (target, bool) {
		switch p {
		case Skip:
			return target{}, false
		case "":
			if def == "" {
				return target{}, false
			}
			p = filepath.Join(dir, def)
		}
		return target{kind: kind, path: p}, true
	}
	var ts []target
	for _, c := range []struct{ kind, path, def string }{
		{kindGo, o.GoOut, DefaultGoOut},
		{kindSpec, o.SpecOut, DefaultSpecOut(o.Spec, format)},
		{kindDocs, o.DocsOut, DefaultDocsOut},
		{kindOverlay, o.OverlayOut, ""},
	} {
		if t, ok := pick(c.kind, c.path, c.def); ok {
			ts = append(ts, t)
		}
	}
	seen := map[string]string{filepath.Clean(o.Spec): "the input spec"}
	if o.OverlayIn != "" {
		seen[filepath.Clean(o.OverlayIn)] = "the input overlay"
	}
	for _, t := range ts {
		c := filepath.Clean(t.path)
		if other, dup := seen[c]; dup {
			return nil, fmt.Errorf("the %s output %s would overwrite %s", t.kind, t.path, other)
		}
		seen[c] = "the " + t.kind + " output"
	}
	return ts, nil
}

// DefaultSpecOut names the augmented document after the input:
// api/openapi.yaml gives openapi.idempotent.yaml; a .yml or .json input
// keeps its extension, and one without takes its format's.
func DefaultSpecOut(spec, format string) string {
	base := filepath.Base(spec)
	ext := filepath.Ext(base)
	if ext == "" {
		ext = "." + format
	}
	return strings.TrimSuffix(base, filepath.Ext(base)) + ".idempotent" + ext
}
