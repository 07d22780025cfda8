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
// What is added, for each operation of the model:
//   - a $ref to components.parameters.IdempotencyKey (in: header, string,
//     minLength 1, maxLength 256, the TTL and semantics in its
//     description), unless the operation or its path item already
//     declares an Idempotency-Key header in any letter case. A parameter
//     states required and TTL, so when marked operations differ in them,
//     each (required, TTL) pair has its own parameter, named IdempotencyKey
//     plus "Required" and "TTL<duration>" where they differ from the
//     default (optional, 24h): IdempotencyKeyRequiredTTL48h.
//   - components.headers.IdempotencyReplayed on every response the
//     operation declares. A response given as a $ref to
//     components.responses gets it in the shared component only when no
//     operation outside the model references that component; otherwise
//     the header is left out there and a warning says so.
//   - 400, 409, 413, 422 and 503 responses (413 on every operation: the
//     runtime caps the body it fingerprints at 1 MiB unless maxRequestBytes
//     says otherwise), as $refs to components.responses entries with an
//     application/problem+json body (components.schemas.Problem, RFC 9457)
//     and examples carrying the runtime's own codes. A status the
//     operation already declares keeps the author's response.
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
// Swagger 2.0 has no reusable headers, so Idempotency-Replayed is written
// inline on each response, with type: string and enum: ["true"]. Overlay
// shares the planning, so it works for Swagger 2.0 documents too.
package augment
