// Package overlay applies OpenAPI Overlay documents (1.0.0, and 1.1.0) to
// a specification before idemgen reads it, so that an upstream spec can be
// marked without editing it:
//
//	overlay: 1.0.0
//	info: {title: mark payments idempotent, version: "1"}
//	actions:
//	  - target: $.paths['/payments'].post
//	    update:
//	      x-idempotent: {required: true, ttl: 48h}
//
//	out, err := overlay.ApplyFile(spec, doc, "payments.overlay.yaml", "yaml")
//
// JSONPath selection and the merge rules are those of
// github.com/speakeasy-api/openapi/overlay. This package adds what a
// generator needs on top: every problem in the overlay is reported as
// file:line:col, and a target that selects nothing is an error (a typo in
// a path would otherwise silently leave an operation unmarked).
//
// The result is re-encoded: YAML in gives YAML out (comments, key order and
// scalar styles kept, indented as the document was), JSON in gives JSON out
// (keys in document order, indented like the document's first key).
package overlay
