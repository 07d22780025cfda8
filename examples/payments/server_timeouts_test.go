package main

import (
	"net/http"
	"testing"
)

// TestServerTimeouts: every timeout is set (a zero one means never), and
// WriteTimeout, which starts when the headers are in, outlasts ReadTimeout,
// which covers reading the body.
func TestServerTimeouts(t *testing.T) {
	srv := newServer(http.NotFoundHandler())
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.WriteTimeout <= 0 || srv.IdleTimeout <= 0 {
		t.Fatalf("timeouts header=%v read=%v write=%v idle=%v: each must be set",
			srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout)
	}
	if srv.ReadHeaderTimeout > srv.ReadTimeout || srv.WriteTimeout <= srv.ReadTimeout {
		t.Fatalf("want ReadHeaderTimeout <= ReadTimeout < WriteTimeout, have %v, %v, %v",
			srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout)
	}
}
