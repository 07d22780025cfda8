// Package load reads an OpenAPI document and builds idemgen's model of it:
// the operations marked x-idempotent and their policies.
//
//	r, err := load.Load(ctx, "api/openapi.yaml", load.Options{})
//	if err != nil {
//		// err is a load.Errors: every problem, each as "file:line:col: message".
//	}
//	for _, op := range r.Model.Operations {
//		fmt.Println(op.Route(), op.Policy.TTL)
//	}
//
// It reads OpenAPI 3.0 and 3.1 with kin-openapi, Swagger 2.0 through
// openapi2conv, and documents split over several files by relative $refs.
// Remote $refs are refused unless Options.AllowRemoteRefs is set, so that
// go generate stays hermetic; local ones may read only regular files under
// the root document's folder and Options.AllowRefDirs, and every file read
// is capped at MaxFileBytes. Operations come from paths only; webhooks and
// callbacks are left alone.
package load

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/idemgen/idemgen/generator/model"
	"github.com/idemgen/idemgen/generator/overlay"

	"github.com/idemgen/idemgen/internal/contract"
)

// Options change how a document is read.
type Options struct {
	// MarkMethods marks every operation with one of these methods as
	// `x-idempotent: true` unless it carries a marker of its own. It lets a
	// test run idemgen over documents nobody marked.
	MarkMethods []string
	// AllowRemoteRefs lets $refs reach http and https URLs.
	AllowRemoteRefs bool
	// AllowRefDirs are folders, besides the root document's own, whose
	// files local $refs may read ("/" allows any). A file's symlinks are
	// resolved before the check, so a link pointing out is refused too.
	AllowRefDirs []string
	// Overlay is an OpenAPI Overlay document applied to the root document's
	// bytes before anything else reads them. Diagnostics still name the
	// place its author wrote: what an action wrote is placed in the
	// overlay, the rest in the root document as it was before.
	Overlay []byte
	// OverlayName is the overlay's file name, for diagnostics in it.
	OverlayName string

	// maxBytes overrides MaxFileBytes, so that tests need not write 64 MiB.
	maxBytes int64
}

// Result is a loaded document.
type Result struct {
	Model model.Model
	// Root is the root document's bytes as loaded (after the overlay).
	Root []byte
	// Swagger2 reports a Swagger 2.0 document, read through openapi2conv.
	Swagger2 bool
	// Warnings are problems that do not stop generation, each prefixed
	// with its position.
	Warnings []string

	src *source
	mu  sync.Mutex
	doc *openapi3.T // handed out by the first Fresh call
}

// Load reads the document at path.
func Load(ctx context.Context, path string, opts Options) (*Result, error) {
	data, err := readRegular(nil, path, opts.limit())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, unwrapPathError(err))
	}
	return LoadBytes(ctx, path, data, opts)
}

// LoadBytes reads a document whose root file holds root and stands at path;
// path locates the files its relative $refs name.
func LoadBytes(ctx context.Context, path string, root []byte, opts Options) (*Result, error) {
	s := &source{path: path, name: filepath.ToSlash(path), opts: opts}
	methods, err := markMethods(opts.MarkMethods)
	if err != nil {
		return nil, err
	}
	if s.roots, err = refRoots(path, opts.AllowRefDirs); err != nil {
		return nil, err
	}
	s.format = formatOf(root)
	if s.format == "json" && !json.Valid(root) {
		// YAML reads most broken JSON (a trailing comma, say) without a
		// word; a .json file must be JSON, since its augmented copy is
		// written as JSON. Other names may hold YAML in flow style.
		if e := syntaxError(path, root); e != nil && strings.EqualFold(filepath.Ext(path), ".json") {
			return nil, Errors{e}
		}
		s.format = "yaml"
	}
	if len(opts.Overlay) > 0 {
		name := opts.OverlayName
		if name == "" {
			name = "overlay"
		}
		applied, err := overlay.ApplyMapped(root, opts.Overlay, name, s.format)
		var oe *overlay.Error
		if errors.As(err, &oe) {
			// Positioned in the overlay already.
			return nil, Errors{{Origin: model.Origin{File: oe.File, Line: oe.Line, Column: oe.Column}, Msg: oe.Msg}}
		}
		if err != nil {
			return nil, fmt.Errorf("%s: applying the overlay %s: %w", path, name, err)
		}
		root, s.applied, s.overlayName = applied.Doc, applied, name
	}
	s.root = root
	s.swagger = isSwagger2(root)

	doc, fs, err := s.load(ctx)
	if err != nil {
		return nil, s.showErr(err)
	}
	m, warnings, err := build(doc, s, fs, methods)
	if err != nil {
		return nil, s.showErr(err)
	}
	for i := range m.Operations {
		m.Operations[i].Origin = s.shown(m.Operations[i].Origin)
	}
	r := &Result{Model: m, Root: root, Swagger2: s.swagger, src: s, doc: doc}
	for _, w := range s.showAll(warnings) {
		r.Warnings = append(r.Warnings, w.Error())
	}
	return r, nil
}

// Position returns where the author wrote what stands at o in the document
// as loaded (Root): o itself, unless an overlay was applied. It is for
// positions read from the document Fresh returns.
func (r *Result) Position(o model.Origin) model.Origin { return r.src.shown(o) }

// Fresh returns a loaded document that no one else holds, for code that
// mutates what it is given (oapi-codegen's pkg/codegen rewrites operationIds
// and filters paths). The first call hands over the document the model was
// built from, which Load itself no longer reads; later calls load anew.
func (r *Result) Fresh(ctx context.Context) (*openapi3.T, error) {
	r.mu.Lock()
	doc := r.doc
	r.doc = nil
	r.mu.Unlock()
	if doc != nil {
		return doc, nil
	}
	doc, _, err := r.src.load(ctx)
	return doc, err
}

// formatOf tells JSON from YAML by the first significant byte: a JSON
// document is an object.
func formatOf(data []byte) string {
	data = bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(data) > 0 && data[0] == '{' {
		return "json"
	}
	return "yaml"
}

func markMethods(ms []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, m := range ms {
		m = strings.ToUpper(strings.TrimSpace(m))
		if m == "" {
			continue
		}
		if contract.SafeMethod(m) {
			return nil, fmt.Errorf("cannot mark %s operations idempotent: %s is a safe method, which the middleware leaves alone", m, m)
		}
		out[m] = true
	}
	return out, nil
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
