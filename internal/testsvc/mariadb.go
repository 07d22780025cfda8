package testsvc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

const mariaDBHint = "start it with `start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd`, " +
	"or set IDEMGEN_MARIADB_DSN to a server of yours"

// MariaDBDSN is the MariaDB server the tests use, as a DSN in the form of
// github.com/go-sql-driver/mysql: IDEMGEN_MARIADB_DSN, or the project
// machines' root@tcp(127.0.0.1:3306)/test (root, no password). Its
// reachability is not checked; see [MariaDB].
func MariaDBDSN() string { return envOr("IDEMGEN_MARIADB_DSN", "root@tcp(127.0.0.1:3306)/test") }

// MariaDB checks that the server of [MariaDBDSN] answers on TCP with a
// MySQL-protocol greeting, and returns its host:port and the DSN. It does
// not log in: the module has no MySQL driver, so whether the credentials
// and the database work is for the test's own client to find out. It
// skips the test (fails it under [CI]) when the server does not answer,
// and fails it when the DSN names no tcp(host:port) address.
func MariaDB(tb testing.TB) (addr, dsn string) {
	tb.Helper()
	dsn = MariaDBDSN()
	addr, err := dsnAddr(dsn)
	if err != nil {
		tb.Fatalf("IDEMGEN_MARIADB_DSN: %v", err)
	}
	if err := reach("mariadb "+addr, func() error { return greet(addr, 2*time.Second) }); err != nil {
		Unavailable(tb, "MariaDB at "+addr+" (IDEMGEN_MARIADB_DSN) unreachable", err, mariaDBHint)
	}
	return addr, dsn
}

// dsnAddr is the host:port of a DSN's tcp(...) part, found as
// go-sql-driver/mysql finds it: between the last @ and the last / (a
// password may hold either). Errors never quote what lies before the @.
func dsnAddr(dsn string) (string, error) {
	head := dsn
	if i := strings.LastIndex(head, "/"); i >= 0 {
		head = head[:i]
	}
	if i := strings.LastIndex(head, "@"); i >= 0 {
		head = head[i+1:]
	}
	addr, ok := strings.CutPrefix(head, "tcp(")
	if !ok {
		return "", fmt.Errorf("the DSN's address %q is not tcp(host:port) (the form is user[:password]@tcp(host:port)/database)", head)
	}
	addr, ok = strings.CutSuffix(addr, ")")
	if !ok {
		return "", fmt.Errorf("the DSN's address %q is not closed by a )", head)
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return "", fmt.Errorf("the DSN's address %q: %w", head, err)
	}
	return addr, nil
}

// greet connects to addr and reads the server's first packet, which a
// MySQL-protocol server sends unasked: a handshake (protocol version 10)
// when it accepts clients, an error packet when it refuses them.
func greet(addr string, timeout time.Duration) error {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	var head [4]byte // 3 bytes of payload length, little-endian, and a sequence number
	if _, err := io.ReadFull(conn, head[:]); err != nil {
		return fmt.Errorf("no MySQL-protocol greeting: %w", err)
	}
	n := int(head[0]) | int(head[1])<<8 | int(head[2])<<16
	if n == 0 || n > 1<<16 {
		return fmt.Errorf("not a MySQL-protocol greeting (a first packet of %d bytes)", n)
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(conn, payload); err != nil {
		return fmt.Errorf("MySQL-protocol greeting cut short: %w", err)
	}
	switch payload[0] {
	case 10:
		return nil
	case 0xff:
		if len(payload) < 3 {
			return errors.New("the server refuses connections (a short error packet)")
		}
		return fmt.Errorf("the server refuses connections: error %d: %s",
			binary.LittleEndian.Uint16(payload[1:3]), payload[3:])
	default:
		return fmt.Errorf("not a MySQL-protocol greeting (protocol version %d, want 10)", payload[0])
	}
}
