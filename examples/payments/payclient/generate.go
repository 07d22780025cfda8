package main

// oapi-codegen writes the client and models of the example's API
// (client.gen.go); idemgen reads the same configuration and writes the
// client's route table and WithIdempotentRetries (idempotency.gen.go). The
// published contract is the example server's to write, so its two outputs
// are skipped here ("-").

//go:generate go tool oapi-codegen -config oapi-codegen.yaml ../openapi.yaml
//go:generate go tool idemgen -oapi-config oapi-codegen.yaml -o idempotency.gen.go -spec-out - -docs-out - ../openapi.yaml
