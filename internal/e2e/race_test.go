//go:build race

package e2e

// In a -race build, TestEndToEnd runs the generated servers under the race
// detector as well, and TestCorpusCompiles, which runs no concurrent code,
// is skipped rather than run minutes longer.
func init() { raceEnabled = true }
