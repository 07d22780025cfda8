package load

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"

	"github.com/idemgen/idemgen/generator/overlay"
)

// source is one document to load: its root bytes and how to read them.
type source struct {
	path    string // as the caller gave it
	name    string // as kin-openapi stamps it into origins
	format  string // "yaml" or "json"
	root    []byte
	swagger bool
	opts    Options
	// roots are the folders local $refs may read, symlinks resolved: the
	// root document's own first (see refRoots).
	roots []string
	// applied, when an overlay was applied to the root, says where each
	// position of root came from; overlayName names the overlay.
	applied     *overlay.Applied
	overlayName string
}

// errRemote stops kin-openapi at a refused remote $ref; diagnose finds where
// the $ref stands.
var errRemote = errors.New("remote reference refused")

// load parses and resolves the document. On failure it returns the
// diagnostics, positioned in the files read.
func (s *source) load(ctx context.Context) (doc *openapi3.T, fs *files, err error) {
	fs = newFiles()
	fs.add(s.name, s.root)
	var refused, unreadable []string
	var declined []declinedRef

	newLoader := func(origins bool) *openapi3.Loader {
		loader := openapi3.NewLoader()
		loader.Context = ctx
		loader.IncludeOrigin = origins
		// Checked by the reader below, which refuses remote URLs itself.
		loader.IsExternalRefsAllowed = true
		loader.ReadFromURIFunc = func(_ *openapi3.Loader, u *url.URL) ([]byte, error) {
			var data []byte
			var err error
			if u.Scheme == "http" || u.Scheme == "https" {
				if !s.opts.AllowRemoteRefs {
					refused = append(refused, u.String())
					return nil, errRemote
				}
				data, err = fetch(ctx, u, s.opts.limit())
			} else if isLocal(u) {
				data, err = s.readRef(u)
			} else {
				err = openapi3.ErrURINotSupported
			}
			if re, ok := asRefused(err); ok {
				declined = append(declined, declinedFile(u, re))
				return nil, err
			}
			if err == nil {
				fs.add(u.String(), data)
			} else {
				unreadable = append(unreadable, u.String())
			}
			return data, err
		}
		return loader
	}

	defer func() {
		// kin-openapi is the last thing that should panic on bad input; if
		// it does, report it as a load failure rather than crash go generate.
		if p := recover(); p != nil {
			doc, err = nil, Errors{{Origin: originOf(s.path), Msg: fs.quiet(fmt.Sprintf("kin-openapi failed on this document: %v", p))}}
		}
	}()

	location := &url.URL{Path: s.name}
	if s.swagger {
		var doc2 openapi2.T
		if err = openapi2.UnmarshalFromData(s.root, &doc2); err == nil {
			doc, err = openapi2conv.ToV3WithLoader(&doc2, newLoader(false), location)
		}
		if err == nil {
			// Read the converted document back as OpenAPI 3, as if the user
			// had converted the file: what the converter builds in memory
			// (empty but non-nil allOf lists) crashes oapi-codegen.
			// Positions come from the Swagger file instead (builder).
			var v3 []byte
			if v3, err = json.Marshal(doc); err == nil {
				doc, err = newLoader(false).LoadFromDataWithPath(v3, location)
			}
		}
	} else {
		doc, err = newLoader(true).LoadFromDataWithPath(s.root, location)
	}
	if err != nil {
		return nil, fs, s.diagnose(err, fs, refused, declined, unreadable)
	}
	if !s.swagger && doc.OpenAPI == "" {
		return nil, fs, Errors{{Origin: originOf(s.path),
			Msg: "not an OpenAPI document: it has neither an openapi nor a swagger field"}}
	}
	return doc, fs, nil
}

// isSwagger2 reports a Swagger 2.0 root: a top-level swagger field whose
// value starts with 2. A scan of the bytes, so that OpenAPI 3 documents are
// parsed only once; Slack's JSON puts the field last.
var swaggerField = regexp.MustCompile(`(?m)(^["']?swagger["']?[ \t]*:[ \t]*["']?2|"swagger"[ \t\r\n]*:[ \t\r\n]*"2)`)

func isSwagger2(data []byte) bool {
	return bytes.Contains(data, []byte("swagger")) && swaggerField.Match(data)
}

// fetch GETs a remote document of at most limit bytes.
func fetch(ctx context.Context, u *url.URL, limit int64) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return readCapped(resp.Body, limit)
}
