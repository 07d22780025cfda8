// Package e2e checks idemgen's output the way a user meets it: oapi-codegen
// generates a server for a specification, idemgen generates the wrappers,
// and both are compiled together in a temporary module that uses this
// checkout's runtime through a replace directive.
//
//   - TestEndToEnd builds every server target idemgen wraps (std-http,
//     chi, gorilla, echo v4 and v5, gin, fiber v2 and v3, iris, and strict
//     over each) and the route table alone beside models only, for
//     testdata/payments.yaml, and drives each over real HTTP (fiber over
//     fasthttp) from a test program run with `go test` inside the
//     temporary module: replay, 409 in flight, 422, 400 on a missing key,
//     an unmarked operation, and the framework's own error answer replayed
//     as sent with its 5xx not stored.
//   - TestEndToEndAugmented generates oapi-codegen's server and client
//     from idemgen's augmented spec (-server-spec augmented), so the
//     marked operations take params; the same HTTP checks run, and the
//     generated client sends Idempotency-Key as a typed parameter and
//     decodes the problem responses.
//   - TestCorpusCompiles type-checks the wrappers against oapi-codegen's
//     std-http server for every corpus document that oapi-codegen can
//     generate one for, with every POST and PATCH marked. (The golden Go
//     files are type-checked in package generator, TestGoldenTypeChecks.)
//   - TestGoGenerateExample runs go generate on examples/payments in a fresh
//     module with both tools in go.mod, and compares the outputs with the
//     committed ones.
//
// These tests build real code, so they are skipped with -short; the corpus
// check is also skipped under -race, where it checks nothing more.
package e2e
