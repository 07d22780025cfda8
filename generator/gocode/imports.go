package gocode

import (
	"go/ast"
	"go/parser"
	"path"
	"strconv"
	"strings"

	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
)

// importCandidate is an import oapi-codegen's output may use for a
// parameter type: from the schema's x-go-type-import, or from a
// type-mapping entry of the config.
type importCandidate struct{ name, path string }

// paramImport finds the import that the one foreign package of typ needs,
// or "" when typ needs none (or more than one, which Render reports).
// oapi-codegen leaves type-mapping imports to goimports; idemgen must name
// them itself.
func paramImport(typ string, p codegen.ParameterDefinition, mapping *codegen.TypeMapping) string {
	quals := foreignQualifiers(typ)
	if len(quals) != 1 {
		return ""
	}
	q := quals[0]
	var cands []importCandidate
	if imps, err := codegen.OperationSchemaImports(&p.Schema); err == nil {
		for _, gi := range imps {
			cands = append(cands, importCandidate{gi.Name, gi.Path})
		}
	}
	if mapping != nil {
		for _, fm := range []codegen.FormatMapping{mapping.Integer, mapping.Number, mapping.Boolean, mapping.String} {
			for _, spec := range append([]codegen.SimpleTypeSpec{fm.Default}, mapValues(fm.Formats)...) {
				if spec.Import != "" && strings.HasPrefix(spec.Type, q+".") {
					cands = append(cands, importCandidate{"", spec.Import})
				}
			}
		}
	}
	for _, c := range cands {
		if c.name == q || (c.name == "" && guessName(c.path) == q) {
			return importSpec(q, c.path)
		}
	}
	if len(cands) == 1 {
		return importSpec(q, cands[0].path)
	}
	return ""
}

// importSpec names the package explicitly unless its path already implies q.
func importSpec(q, p string) string {
	if guessName(p) == q {
		return strconv.Quote(p)
	}
	return q + " " + strconv.Quote(p)
}

// guessName is the package name an import path most likely declares:
// its last element, skipping a major-version suffix.
func guessName(p string) string {
	base := path.Base(p)
	if len(base) > 1 && base[0] == 'v' && strings.Trim(base[1:], "0123456789") == "" {
		base = path.Base(path.Dir(p))
	}
	base, _, _ = strings.Cut(base, ".")
	return strings.ReplaceAll(base, "-", "")
}

// foreignQualifiers lists the package qualifiers of typ that idemgen
// does not import by itself.
func foreignQualifiers(typ string) []string {
	expr, err := parser.ParseExpr(typ)
	if err != nil {
		return nil
	}
	var qs []string
	ast.Inspect(expr, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok {
				if _, known := knownQualifiers[id.Name]; !known {
					qs = append(qs, id.Name)
				}
			}
			return false
		}
		return true
	})
	return qs
}

func mapValues[K comparable, V any](m map[K]V) []V {
	out := make([]V, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
