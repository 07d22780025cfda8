package main

// oapi-codegen writes the server and models (api.gen.go); idemgen reads the
// same configuration so that its wrappers (idempotency.gen.go) use exactly
// oapi-codegen's names, and writes the published contract beside them
// (openapi.idempotent.yaml, IDEMPOTENCY.md).

//go:generate go tool oapi-codegen -config oapi-codegen.yaml openapi.yaml
//go:generate go tool idemgen -oapi-config oapi-codegen.yaml openapi.yaml
