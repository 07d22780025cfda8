package e2e

// The generated chi and gorilla servers import these routers inside the
// temporary modules, which take their versions from this module's go.mod.
// Importing them here keeps them there, pinned, so that go mod tidy does not
// drop them and the end-to-end builds never pick a version of their own.
import (
	_ "github.com/go-chi/chi/v5"
	_ "github.com/gorilla/mux"
)
