// Package augment publishes an idempotency contract in the OpenAPI
// document itself, so that docs tools and client generators see it.
//
//	out, err := augment.Spec(src, m)        // the augmented document
//	ov, err := augment.Overlay(src, m)      // the same additions as an Overlay 1.0
//
// The output is the input plus new lines, and nothing else: comments, key
// order, quoting and indentation stay byte for byte. The document is
// parsed (go.yaml.in/yaml/v4, which reads JSON too) only to find where
// additions go; the new text is spliced into the original bytes, indented
// like its surroundings, with the document's line endings.
//
// Placement: new entries go at the end of the collection they join. In
// block YAML that is after the collection's last line and before the blank
// lines and comments (no deeper than its entries) that lead to the next
// key, which belong to that key; the top level grows at the end of the
// file. In JSON and YAML flow collections the entries go before the
// closing bracket, so in pretty-printed JSON the last value's line gains a
// comma and the new lines follow it. The only lines that change are those
// two exceptions: a JSON line gaining its comma, and a flow collection
// that has to grow (an empty `{}` or `[]` under a block key instead loses
// its brackets and becomes a block collection, so its line is the one
// that changes).
//
// What is added, for each operation of the model, each part true for
// that operation's policy:
//   - a $ref to components.parameters.IdempotencyKey (in: header, string,
//     minLength 1, maxLength 256), unless the operation or its path item
//     already declares an Idempotency-Key header in any letter case. Its
//     short description states the operation's own terms: required or
//     not, the TTL, the wait, the scope headers (or that keys are shared
//     between callers), whether 5xx are stored, a maxResponseBytes other
//     than the default. What holds for every operation is said once, in
//     the components the parameter's readers meet next (the key's syntax
//     in the 400, a reused key in the 422). So operations whose terms
//     differ get parameters of their own, named IdempotencyKey plus what
//     differs from the default (optional, 24h): "Required",
//     "TTL<duration>", "Wait<duration>", "Scoped", "StoresServerErrors",
//     e.g. IdempotencyKeyRequiredTTL48h; two that differ only in what the
//     name does not show are numbered. An operation that takes its key from
//     the body (x-idempotent key: {in: body}) gets no parameter: the key
//     is a property of its JSON and form body schemas (bodykey.go), and its
//     problem responses are the IdempotencyBodyKey... components, whose
//     texts name the body.
//   - components.headers.IdempotencyReplayed and IdempotencyReplay (the
//     Idempotency-Replay: omitted of a replay whose body was not stored)
//     on every response the runtime can replay: 2xx, 3xx, 4xx (stored and
//     replayed like any other) and default (which can stand for a 4xx);
//     never 1xx, and 5xx only where the policy has storeServerErrors. A
//     response given as a $ref to components.responses gets them in the
//     shared component only when every reference to it is such a response
//     of a marked operation; otherwise they are left out there and a
//     warning says so.
//   - 400, 409, 413, 422 and 503 responses, as $refs to
//     components.responses entries with an application/problem+json body
//     (components.schemas.Problem, RFC 9457) and examples carrying the
//     runtime's own codes. The 400 is IdempotencyKeyMissingOrInvalid,
//     with the key_missing example, where the key is required, and
//     IdempotencyKeyInvalid, without it, where it is optional. The 413
//     (on every operation: the runtime caps the body it fingerprints)
//     states the operation's limit: IdempotencyRequestTooLarge for the
//     default 1 MiB, IdempotencyRequestTooLarge64KiB and so on for a
//     maxRequestBytes. Operations that agree share each component. A
//     status the operation already declares keeps the author's response.
//
// Components are added only where referenced. A name already taken by
// the author's own, different component is never overwritten: the next
// of Idempotency<Name>, <Name>2, ... is used. A component equal to the
// one we would add is reused, which is also why running Spec on its own
// output changes nothing.
//
// Augment also returns warnings: operations not found in this file (a
// path item $ref'd from another file), responses whose replay header could
// not be documented, a status the author already declares (their response
// stays, so the idempotency problem for it goes undocumented), and an
// author's Idempotency-Key header that is not required where the policy
// requires the key. Overlay writes the same additions as an Overlay
// 1.0 document; when there is nothing to add its action list is empty.
//
// Swagger 2.0 documents get the same contract where Swagger 2.0 keeps
// such things, with the same names, variants, reuse and warnings: the key
// parameters under the top-level parameters ($ref '#/parameters/<Name>',
// with type, minLength and maxLength on the parameter itself), the problem
// responses under the top-level responses ($ref '#/responses/<Name>',
// each with schema $ref '#/definitions/Problem' and one example, the first
// problem's, under examples.application/problem+json, whatever the
// document's produces says), and the Problem schema under definitions.
// Swagger 2.0 has no reusable headers, so Idempotency-Replayed and
// Idempotency-Replay are written inline on each response, with type:
// string and enum: ["true"] or ["omitted"]. Overlay
// shares the planning, so it works for Swagger 2.0 documents too.
package augment
