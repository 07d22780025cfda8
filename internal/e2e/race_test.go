//go:build race

package e2e

// The corpus compile check runs no concurrent code of its own; under the
// race detector it would only run oapi-codegen over Stripe's spec minutes
// longer.
func init() { raceEnabled = true }
