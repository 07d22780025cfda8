package gocode

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// maxBasePaths bounds what one servers URL expands to: its path variables'
// enum values multiply.
const maxBasePaths = 16

// serverVar is a {name} in a servers URL.
var serverVar = regexp.MustCompile(`\{([^{}]*)\}`)

// basePaths returns the path part of each of doc's servers URLs ("/v1" for
// https://api.example.com/v1), in the document's order, without
// duplicates, "" and "/": the prefixes under which the route table is
// mounted. A variable in the path stands for each of its enum values, or
// for its default when it has none; in the host it does not matter. A URL
// whose path cannot be known (a relative one such as "v1", an undeclared
// variable) is skipped with a warning, as the caller can pass
// idempotency.WithBasePath itself.
func basePaths(doc *openapi3.T, source string) ([]string, []string) {
	var out, warnings []string
	for _, s := range doc.Servers {
		if s == nil {
			continue
		}
		paths, err := serverPaths(s)
		if err != nil {
			at := source
			if o := fieldOrigin(s.Origin, "url"); o.Line > 0 {
				at = o.String()
			}
			warnings = append(warnings, fmt.Sprintf("%s: servers URL %q: %v; NewIdempotencyMiddleware does not match under it unless given idempotency.WithBasePath", at, s.URL, err))
			continue
		}
		for _, p := range paths {
			if p != "/" && !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out, warnings
}

// serverPaths expands one servers URL to the cleaned paths it may stand for.
func serverPaths(s *openapi3.Server) ([]string, error) {
	p := s.URL
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	switch {
	case strings.Contains(p, "://"):
		p = afterHost(p[strings.Index(p, "://")+3:])
	case strings.HasPrefix(p, "//"):
		p = afterHost(p[2:])
	case p != "" && !strings.HasPrefix(p, "/"):
		return nil, errors.New("it is relative to where the document is served")
	}
	expanded := []string{p}
	for _, m := range serverVar.FindAllStringSubmatch(p, -1) {
		v := s.Variables[m[1]]
		if v == nil {
			return nil, fmt.Errorf("its path variable {%s} is not declared", m[1])
		}
		values := v.Enum
		if len(values) == 0 {
			values = []string{v.Default}
		}
		var next []string
		for _, e := range expanded {
			for _, val := range values {
				next = append(next, strings.Replace(e, m[0], val, 1))
			}
		}
		if len(next) > maxBasePaths {
			return nil, fmt.Errorf("its path variables stand for more than %d paths", maxBasePaths)
		}
		expanded = next
	}
	out := make([]string, 0, len(expanded))
	for _, e := range expanded {
		u, err := url.Parse(e)
		if err != nil || u.Scheme != "" || u.Host != "" {
			return nil, fmt.Errorf("%q is not a URL path", e)
		}
		out = append(out, path.Clean("/"+u.Path))
	}
	return out, nil
}

// afterHost is what follows the host (and port) in "host/path": the path,
// "" when there is none. Variables in the host are not expanded: they do
// not change the path.
func afterHost(s string) string {
	if i := strings.IndexByte(s, '/'); i >= 0 {
		return s[i:]
	}
	return ""
}
