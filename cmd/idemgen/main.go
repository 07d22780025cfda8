// Command idemgen generates idempotency wrappers for an oapi-codegen server
// from the operations an OpenAPI document marks x-idempotent, together with
// the document with the idempotency contract added and a Markdown page of it.
//
// Beside oapi-codegen's own go:generate line:
//
//	//go:generate go tool oapi-codegen -config oapi-codegen.yaml openapi.yaml
//	//go:generate go tool idemgen -oapi-config oapi-codegen.yaml openapi.yaml
//
// with idemgen in go.mod's tool section (go get -tool
// github.com/idemgen/idemgen/cmd/idemgen), or without installing anything:
//
//	go run github.com/idemgen/idemgen/cmd/idemgen@latest openapi.yaml
//
// Run idemgen -h for the flags.
package main

import (
	"context"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
