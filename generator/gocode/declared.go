package gocode

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"sync"
)

// serverType is the struct the template declares around ServerInterface.
const serverType = "IdempotentServer"

// declared is what a rendered idempotency.gen.go declares, read back from
// the source rather than listed by hand, so that the checks follow the
// template when it changes.
type declared struct {
	// scope counts each name of the file and package scope: imports,
	// types, functions, variables and constants.
	scope   map[string]int
	imports map[string][]string // import name → specs as written
	fields  map[string]bool     // IdempotentServer's fields, embedded ones by type name
	methods map[string]int      // IdempotentServer's methods
}

// readDeclared parses src and lists its declarations.
func readDeclared(src []byte) (declared, error) {
	f, err := parser.ParseFile(token.NewFileSet(), "idempotency.gen.go", src, parser.SkipObjectResolution)
	if err != nil {
		return declared{}, err
	}
	d := declared{scope: map[string]int{}, imports: map[string][]string{}, fields: map[string]bool{}, methods: map[string]int{}}
	add := func(id *ast.Ident) {
		if id != nil && id.Name != "_" {
			d.scope[id.Name]++
		}
	}
	for _, is := range f.Imports {
		spec := is.Path.Value
		if is.Name != nil {
			spec = is.Name.Name + " " + spec
		}
		name := importName(spec)
		d.scope[name]++
		d.imports[name] = append(d.imports[name], spec)
	}
	for _, decl := range f.Decls {
		switch decl := decl.(type) {
		case *ast.FuncDecl:
			if decl.Recv == nil {
				add(decl.Name)
			} else if receiverType(decl.Recv) == serverType {
				d.methods[decl.Name.Name]++
			}
		case *ast.GenDecl:
			for _, spec := range decl.Specs {
				switch spec := spec.(type) {
				case *ast.TypeSpec:
					add(spec.Name)
					if st, ok := spec.Type.(*ast.StructType); ok && spec.Name.Name == serverType {
						d.readFields(st)
					}
				case *ast.ValueSpec:
					for _, n := range spec.Names {
						add(n)
					}
				}
			}
		}
	}
	return d, nil
}

func (d declared) readFields(st *ast.StructType) {
	for _, f := range st.Fields.List {
		if len(f.Names) == 0 {
			d.fields[typeName(f.Type)] = true
		}
		for _, n := range f.Names {
			d.fields[n.Name] = true
		}
	}
}

// receiverType is the name of a method's receiver type, without the star.
func receiverType(recv *ast.FieldList) string {
	if recv == nil || len(recv.List) != 1 {
		return ""
	}
	return typeName(recv.List[0].Type)
}

// typeName is T for T, *T and pkg.T.
func typeName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.StarExpr:
		return typeName(e.X)
	case *ast.SelectorExpr:
		return e.Sel.Name
	case *ast.Ident:
		return e.Name
	}
	return ""
}

// probeDeclared renders the template for the given wrappers' routes, or
// one route without a wrapper, and reads back what the file declares.
func probeDeclared(wrappers []wrapperData) declared {
	routes := []routeData{{Method: "POST", Path: "/p"}}
	if len(wrappers) > 0 {
		routes = nil
		for _, w := range wrappers {
			routes = append(routes, w.routeData)
		}
	}
	probe := &fileData{Package: "p", Source: "s", StdLib: []string{`"net/http"`}, External: []string{runtimeImport},
		Routes: routes, Wrappers: wrappers, Shape: &netHTTPShape}
	probe.setKeyChecks(nil, probe.Shape)
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, probe); err != nil {
		panic("gocode: the template does not render: " + err.Error())
	}
	d, err := readDeclared(buf.Bytes())
	if err != nil {
		panic("gocode: the template renders invalid Go: " + err.Error())
	}
	return d
}

// templateScope is the set of package-scope names the template declares
// whatever the specification holds (IdempotentRoutes, NewIdempotentServer
// …), read from a file rendered for one probe operation, whose route
// variable (routeProbe) stands for the per-operation names. Wrapper
// parameters avoid them.
var templateScope = sync.OnceValue(func() map[string]bool {
	d := probeDeclared([]wrapperData{{routeData: routeData{Method: "POST", Path: "/p", Var: routeVar("Probe")}, GoName: "Probe", Field: "mwProbe", Recv: "s"}})
	names := map[string]bool{}
	for n := range d.scope {
		if _, imported := d.imports[n]; !imported {
			names[n] = true
		}
	}
	return names
})

// bareFields are IdempotentServer's fields in a file that wraps nothing.
var bareFields = sync.OnceValue(func() map[string]bool { return probeDeclared(nil).fields })
