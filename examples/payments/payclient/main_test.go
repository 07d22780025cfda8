package main

import (
	"os"
	"testing"
)

// mainEnv, set to 1, makes the test binary payclient itself: TestMain
// runs main with the binary's arguments instead of the tests, so that a
// test can see main's exit status and output.
const mainEnv = "PAYCLIENT_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) == "1" {
		main()
		os.Exit(0)
	}
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}
