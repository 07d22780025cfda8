package testsvc

import (
	"net"
	"strings"
	"testing"
	"time"
)

// serveOnce listens on a free port and answers the first connection with
// first (nil: closes it at once).
func serveOnce(t *testing.T, first []byte) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.Write(first)
	}()
	return l.Addr().String()
}

// packet frames payload as a MySQL-protocol packet with sequence 0.
func packet(payload string) []byte {
	n := len(payload)
	return append([]byte{byte(n), byte(n >> 8), byte(n >> 16), 0}, payload...)
}

func TestGreet(t *testing.T) {
	for _, c := range []struct {
		name  string
		first []byte
		want  string // "" for a greeting accepted
	}{
		{"handshake", packet("\x0a11.4.2-MariaDB\x00rest of the handshake"), ""},
		{"refused", packet("\xff\x10\x04Too many connections"), "error 1040: Too many connections"},
		{"short error", packet("\xff\x10"), "short error packet"},
		{"old protocol", packet("\x09abc"), "protocol version 9, want 10"},
		{"http", []byte("HTTP/1.1 400 Bad Request\r\n\r\n"), "not a MySQL-protocol greeting"},
		{"empty packet", packet(""), "a first packet of 0 bytes"},
		{"cut short", packet("\x0a11.4")[:6], "greeting cut short"},
		{"silent close", nil, "no MySQL-protocol greeting"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := greet(serveOnce(t, c.first), 2*time.Second)
			switch {
			case c.want == "" && err != nil:
				t.Errorf("greet: %v, want a greeting accepted", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("greet: %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestDSNAddr(t *testing.T) {
	for dsn, want := range map[string]string{
		"root@tcp(127.0.0.1:3306)/test":               "127.0.0.1:3306",
		"u:p@tcp(x)/d@tcp([::1]:3307)/db?parseTime=1": "[::1]:3307",
		"tcp(db.internal:3306)/test":                  "db.internal:3306",
	} {
		if got, err := dsnAddr(dsn); err != nil || got != want {
			t.Errorf("dsnAddr(%q) = %q, %v; want %q", dsn, got, err, want)
		}
	}
}
