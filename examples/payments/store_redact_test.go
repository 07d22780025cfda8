package main

import (
	"context"
	"strings"
	"testing"
)

// A -store URL carries credentials: no error may print them.
func TestStoreErrorsHidePasswords(t *testing.T) {
	for _, spec := range []string{
		"redis://user:s3cret@127.0.0.1:1/notanumber",
		"postgres://postgres:s3cret@127.0.0.1:1/test?connect_timeout=1&bogus_param=%zz",
		"mysql://root:s3cret@127.0.0.1:1/test",
	} {
		_, err := openStore(context.Background(), spec)
		if err == nil {
			t.Fatalf("%s: no error", spec)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("error shows the password: %v", err)
		}
	}
}
