//go:build race

package augment

// In a -race build the corpus part of TestContractIsTruthful is skipped:
// it runs no concurrent code, and under the race detector it would add
// minutes to CI while checking nothing more.
func init() { raceEnabled = true }
