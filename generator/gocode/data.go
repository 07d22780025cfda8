package gocode

import (
	"cmp"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/idemgen/idemgen/generator/model"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
)

// fileData is what templates/gocode.go.tmpl renders.
type fileData struct {
	Package  string
	Source   string // the specification's name, for comments
	StdLib   []string
	External []string // import specs, e.g. `openapi_types "github.com/…/types"`
	Routes   []routeData
	Wrappers []wrapperData
	// RouteTableOnly leaves out IdempotentServer: oapi-codegen generates
	// no ServerInterface for it to wrap.
	RouteTableOnly bool
	// BasePaths are the arguments of NewIdempotencyMiddleware's
	// idempotency.WithBasePath, as Go source ("/v1", "/v2"); BasePathDoc
	// says so in its doc comment. Empty without base paths.
	BasePaths, BasePathDoc string
	// Shape is how the server target's methods take a request.
	Shape *shape
	// Ctor is the name of IdempotentServer's constructor: unexported when
	// KeyChecks lists operations, whose server must be built by
	// NewIdempotentHandler or RegisterIdempotentHandlers (keycheck.go).
	Ctor string
	// Entry is what users call to build it: NewIdempotentServer, or with
	// key checks NewIdempotentHandler or RegisterIdempotentHandlers.
	Entry string
	// KeyChecks are the operations whose handlers oapi-codegen generated
	// to bind the Idempotency-Key header; KeyMethods the router methods
	// that register them.
	KeyChecks  []keyCheckData
	KeyMethods []keyMethod
	// KeyCheckDoc says, in the constructor's doc comment, why the key
	// check is there.
	KeyCheckDoc string
	// CtorDoc says why Ctor is unexported, when it is.
	CtorDoc string
	// ClientType is oapi-codegen's client type, for the ClientOption that
	// gives the marked operations idemclient's keys and retries; empty
	// without a client.
	ClientType string
	// TableOnlyDoc opens a file without a server, saying why.
	TableOnlyDoc string
	// ClientRoutes are the marked operations as idemclient routes, one
	// idemclient.Policy literal each.
	ClientRoutes []clientRoute
	// ClientBodyKeyOps names, comma-separated, the marked operations left
	// out of ClientRoutes because they take their key from the body.
	ClientBodyKeyOps string
}

// clientRoute is one operation of IdempotentClientRoutes.
type clientRoute struct {
	Method, Path string
	Policy       string // the idemclient.Policy fields, as Go source
	Comment      string
}

type routeData struct {
	// Var names the package-level idempotency.Route of an operation that
	// has a wrapper: "route" + its Go name, unique as the Go names are.
	// Empty for the routes served by the route table only.
	Var          string
	Method, Path string
	// Operation is the operationId as Go source, for the events' label;
	// empty when the spec gives none.
	Operation string
	Comment   string // one line: "createPayment: key optional, TTL 24h."
	Options   []string
}

type wrapperData struct {
	routeData
	GoName string
	Doc    string // the method's doc comment, "// " lines
	Field  string // the IdempotentServer field holding the middleware
	Recv   string // receiver name, distinct from every parameter
	Params string // ", id openapi_types.UUID, params X" after (w, r) or the context
	Args   string // ", id, params"

	params []model.GoParam
}

const runtimeImport = `"github.com/idemgen/idemgen/runtime/idempotency"`

// knownQualifiers maps the package names oapi-codegen puts in parameter
// types to their imports.
var knownQualifiers = map[string]string{
	"openapi_types": `openapi_types "github.com/oapi-codegen/runtime/types"`,
	"time":          `"time"`,
	"json":          `"encoding/json"`,
}

func newFileData(m model.Model, opts Options) (*fileData, error) {
	if !token.IsIdentifier(opts.Package) || opts.Package == "_" {
		return nil, fmt.Errorf("gocode: package name %q is not a Go identifier", opts.Package)
	}
	sh, ok := shapes[m.Framework]
	if !ok {
		return nil, fmt.Errorf("gocode: %s: no wrappers for framework %q", m.Source, m.Framework)
	}
	d := &fileData{Package: opts.Package, Source: opts.Source, RouteTableOnly: m.RouteTableOnly, Shape: sh}
	if d.Source == "" && m.Source != "" {
		d.Source = filepath.Base(m.Source)
	}
	d.Source = strings.Join(strings.Fields(d.Source), " ") // it stands in comments
	if d.Source == "" {
		d.Source = "the specification"
	}
	d.setBasePaths(m.BasePaths)
	imports := map[string]bool{`"net/http"`: true, runtimeImport: true}
	seen := map[string]model.Operation{}
	binds := map[string]bool{}
	for _, op := range m.Operations {
		r := routeData{Method: op.Method, Path: op.Path}
		if op.OperationID != "" {
			r.Operation = strconv.Quote(op.OperationID)
		}
		r.Comment = policySummary(op.Policy) + "."
		if name := cmp.Or(op.OperationID, op.GoName); name != "" {
			r.Comment = name + ": " + r.Comment
		}
		r.Comment = strings.Join(strings.Fields(r.Comment), " ") // one line, whatever the spec holds
		r.Options = routeOptions(op)
		if op.Policy.TTL > 0 || op.Policy.Wait > 0 {
			imports[`"time"`] = true
		}
		if op.GoName == "" {
			d.Routes = append(d.Routes, r)
			continue
		}
		r.Var = routeVar(op.GoName)
		d.Routes = append(d.Routes, r)
		if !token.IsIdentifier(op.GoName) || !token.IsExported(op.GoName) {
			return nil, fmt.Errorf("%s: %s: Go name %q is not an exported identifier", op.Origin, op.Route(), op.GoName)
		}
		if prev, dup := seen[op.GoName]; dup {
			return nil, fmt.Errorf("%s: %s: Go name %s is already used by %s", op.Origin, op.Route(), op.GoName, prev.Route())
		}
		seen[op.GoName] = op
		binds[op.GoName] = op.BindsKey
		w, err := newWrapper(r, op, sh, imports)
		if err != nil {
			return nil, err
		}
		d.Wrappers = append(d.Wrappers, w)
	}
	if len(d.Wrappers) > 0 {
		for _, spec := range sh.Imports {
			imports[spec] = true
		}
	}
	d.setKeyChecks(binds, sh)
	if m.RouteTableOnly {
		what := "the route table alone, for NewIdempotencyMiddleware in front of any router."
		if m.ClientType != "" {
			what = "the route table, for NewIdempotencyMiddleware in front of any router, and the client's WithIdempotentRetries."
		}
		d.TableOnlyDoc = comment("The oapi-codegen configuration idemgen read generates no server, so this file has no IdempotentServer and refers to no ServerInterface: it is " +
			what + " For typed wrappers, give idemgen the configuration that generates the server (std-http, chi, gorilla, echo, gin, fiber or iris).")
	}
	if m.ClientType != "" {
		d.ClientType = m.ClientType
		imports[`"github.com/idemgen/idemgen/runtime/idemclient"`] = true
		for _, op := range m.Operations {
			if op.Policy.Key.InBody {
				// idemclient keys requests with the header, which this
				// operation does not read: its key is the caller's, in
				// the body, and a retry without one could run it twice.
				d.ClientBodyKeyOps = strings.TrimPrefix(d.ClientBodyKeyOps+", "+op.GoName, ", ")
				continue
			}
			d.ClientRoutes = append(d.ClientRoutes, newClientRoute(op))
		}
	}
	if len(d.KeyChecks) > 0 && sh.Router != "" {
		imports[`"strings"`] = true // the routers trim the base URL
	}
	// A parameter is in scope in the method's body, which names the
	// imported packages (http.HandlerFunc): one named like a package or a
	// declaration of the file gets another name. Only the wrapper's own
	// names change; the types, and so the signature, stay oapi-codegen's.
	avoid := maps.Clone(templateScope())
	for spec := range imports {
		avoid[importName(spec)] = true
	}
	for i := range d.Wrappers {
		d.Wrappers[i].bind(avoid, sh)
	}
	for spec := range imports {
		if strings.Contains(spec, ".") {
			d.External = append(d.External, spec)
		} else {
			d.StdLib = append(d.StdLib, spec)
		}
	}
	// Sort by path, so `openapi_types "…"` sits where gofmt expects it.
	byPath := func(a, b string) int { return strings.Compare(importPath(a), importPath(b)) }
	slices.SortFunc(d.StdLib, byPath)
	slices.SortFunc(d.External, byPath)
	return d, nil
}

// setBasePaths renders the base paths NewIdempotencyMiddleware passes to
// the runtime, quoted, so that no text of the spec reaches the file as code.
func (d *fileData) setBasePaths(paths []string) {
	if len(paths) == 0 {
		return
	}
	quoted := make([]string, len(paths))
	for i, p := range paths {
		quoted[i] = strconv.Quote(p)
	}
	d.BasePaths = strings.Join(quoted, ", ")
	listed := quoted[len(quoted)-1]
	if n := len(quoted); n > 1 {
		listed = strings.Join(quoted[:n-1], ", ") + " and " + listed
	}
	what := "the path of the servers"
	if len(paths) > 1 {
		what = "the paths of the servers"
	}
	d.BasePathDoc = comment("It also matches the routes under " + listed + ", " + what + " in " + d.Source +
		" (idempotency.WithBasePath); a WithBasePath in opts adds another prefix.")
}

// routeVar is the name of the package-level Route of the wrapper for the
// ServerInterface method goName. The prefix keeps it unexported, and
// apart from every other name the file declares (IdempotentRoutes and the
// rest are exported; imports are checked by checkDeclared).
func routeVar(goName string) string { return "route" + goName }

func newWrapper(r routeData, op model.Operation, sh *shape, imports map[string]bool) (wrapperData, error) {
	w := wrapperData{routeData: r, GoName: op.GoName, Field: "mw" + op.GoName, params: op.GoParams}
	id := ""
	if op.OperationID != "" {
		id = " (operationId " + op.OperationID + ")"
	}
	key := "Idempotency-Key"
	if op.Policy.Key.InBody {
		key = "key"
	}
	w.Doc = comment(fmt.Sprintf("%s serves %s%s idempotently: %s. A retry with the same %s and request replays the first response without calling the embedded implementation.",
		op.GoName, op.Route(), id, policySummary(op.Policy), key))
	names := map[string]bool{}
	for _, n := range sh.names {
		names[n] = true
	}
	for _, p := range op.GoParams {
		if !token.IsIdentifier(p.Name) || names[p.Name] {
			return w, fmt.Errorf("%s: %s: parameter name %q is not a usable Go identifier", op.Origin, op.Route(), p.Name)
		}
		names[p.Name] = true
		if err := addTypeImports(p, imports); err != nil {
			return w, fmt.Errorf("%s: %s: parameter %s: %w", op.Origin, op.Route(), p.Name, err)
		}
	}
	return w, nil
}

// bind names the wrapper's receiver and parameters: oapi-codegen's names,
// except where one would hide a name in avoid from the method's body.
func (w *wrapperData) bind(avoid map[string]bool, sh *shape) {
	used := map[string]bool{}
	for _, n := range sh.names {
		used[n] = true
	}
	for _, p := range w.params {
		used[p.Name] = true
	}
	fresh := func(base string) string {
		name := base
		for i := 0; used[name] || avoid[name]; i++ {
			name = base + strconv.Itoa(i)
		}
		used[name] = true
		return name
	}
	var params, args strings.Builder
	for _, p := range w.params {
		name := p.Name
		if avoid[name] {
			// As oapi-codegen renames a parameter called like a keyword.
			name = fresh("p" + codegen.UppercaseFirstCharacter(name))
		}
		fmt.Fprintf(&params, ", %s %s", name, p.Type)
		fmt.Fprintf(&args, ", %s", name)
	}
	w.Params, w.Args = params.String(), args.String()
	w.Recv = fresh("s")
}

// addTypeImports records the imports a parameter type needs; a package
// idemgen does not know how to import is an error, not a broken file.
func addTypeImports(p model.GoParam, imports map[string]bool) error {
	typ := p.Type
	expr, err := parser.ParseExpr(typ)
	if err != nil {
		return fmt.Errorf("type %q is not a Go type: %v", typ, err)
	}
	var bad error
	ast.Inspect(expr, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if pkg, ok := sel.X.(*ast.Ident); ok {
			spec, known := knownQualifiers[pkg.Name]
			if !known && p.Import != "" && importName(p.Import) == pkg.Name {
				spec, known = p.Import, true
			}
			if !known {
				if bad == nil {
					bad = fmt.Errorf("type %q needs package %s, which idemgen cannot import", typ, pkg.Name)
				}
				return false
			}
			imports[spec] = true
		}
		return false
	})
	return bad
}

// importName is the name an import spec binds: its explicit name, or the
// name its path most likely declares.
func importName(spec string) string {
	if name, _, ok := strings.Cut(spec, " "); ok {
		return name
	}
	if p, err := strconv.Unquote(spec); err == nil {
		return guessName(p)
	}
	return ""
}

func importPath(spec string) string {
	if i := strings.IndexByte(spec, '"'); i >= 0 {
		return spec[i:]
	}
	return spec
}

// comment wraps text into "// " lines of at most about 76 columns.
func comment(text string) string {
	var b strings.Builder
	n := 0
	for _, word := range strings.Fields(text) {
		switch {
		case n == 0:
			b.WriteString("//")
		case n+1+len(word) > 76:
			b.WriteString("\n//")
			n = 0
		}
		b.WriteString(" " + word)
		n += 1 + len(word)
	}
	return b.String()
}
