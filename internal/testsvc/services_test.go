package testsvc

import (
	"context"
	"fmt"
	"testing"
)

// The finders against addresses where nothing listens: a skip naming the
// service, the address, the variable and how to start it, or a failure
// under CI; never the password of the URL.
func TestServersUnreachable(t *testing.T) {
	finders := []struct {
		name, env, url string
		find           func(tb testing.TB)
		parts          []string
	}{
		{"redis", "IDEMGEN_REDIS_URL", "redis://:s3cret@%s/0", func(tb testing.TB) { Redis(tb) },
			[]string{"Redis at redis://:xxxxx@", "IDEMGEN_REDIS_URL", ".ci/services"}},
		{"postgres", "IDEMGEN_POSTGRES_URL", "postgres://u:s3cret@%s/test?sslmode=disable&connect_timeout=2",
			func(tb testing.TB) { PostgresPool(tb, nil) },
			[]string{"PostgreSQL at postgres://u:xxxxx@", "IDEMGEN_POSTGRES_URL", ".ci/services"}},
		{"postgres-conn", "IDEMGEN_POSTGRES_URL", "postgres://u:s3cret@%s/test?sslmode=disable",
			func(tb testing.TB) { PostgresConn(tb) },
			[]string{"PostgreSQL at postgres://u:xxxxx@", "IDEMGEN_POSTGRES_URL"}},
		{"mariadb", "IDEMGEN_MARIADB_DSN", "root:s3cret@tcp(%s)/test", func(tb testing.TB) { MariaDB(tb) },
			[]string{"MariaDB at 127.0.0.1:", "IDEMGEN_MARIADB_DSN", "mariadbd"}},
	}
	for _, fd := range finders {
		addr := closedAddr(t)
		for _, c := range ciValues[:2] {
			t.Run(fd.name+"/CI="+c.value, func(t *testing.T) {
				t.Setenv("CI", c.value)
				t.Setenv(fd.env, fmt.Sprintf(fd.url, addr))
				f := run(t, fd.find)
				f.expect(t, !c.ci, c.ci, append(fd.parts, addr), "s3cret")
			})
		}
	}
}

// A setting that does not parse fails the test even outside CI: it is a
// mistake to fix, not a server to start.
func TestBadSettingsFail(t *testing.T) {
	t.Setenv("CI", "")
	for _, c := range []struct {
		env, value string
		find       func(tb testing.TB)
	}{
		{"IDEMGEN_REDIS_URL", "http://:s3cret@127.0.0.1/0", func(tb testing.TB) { Redis(tb) }},
		{"IDEMGEN_POSTGRES_URL", "postgres://u:s3cret@127.0.0.1:notaport/x", func(tb testing.TB) { PostgresConfig(tb) }},
		{"IDEMGEN_MARIADB_DSN", "root:s3cret@unix(/run/mysqld.sock)/test", func(tb testing.TB) { MariaDB(tb) }},
		{"IDEMGEN_MARIADB_DSN", "root:s3cret@tcp(127.0.0.1/test", func(tb testing.TB) { MariaDB(tb) }},
		{"IDEMGEN_MARIADB_DSN", "root:s3cret@tcp(127.0.0.1)/test", func(tb testing.TB) { MariaDB(tb) }},
	} {
		t.Run(c.env+"="+c.value, func(t *testing.T) {
			t.Setenv(c.env, c.value)
			run(t, c.find).expect(t, false, true, []string{c.env}, "s3cret")
		})
	}
}

// The finders against the project's servers, which must be up under CI.
func TestServersLive(t *testing.T) {
	t.Run("redis", func(t *testing.T) {
		client := Redis(t)
		prefix := RedisPrefix(t, client, "testsvc")
		// A prefix of its own, and its keys gone after the test.
		f := run(t, func(tb testing.TB) {
			p := RedisPrefix(tb, client, "testsvc")
			if p == prefix {
				tb.Errorf("two tests got the prefix %s", p)
			}
			client.Set(context.Background(), p+":k", "v", 0)
			prefix = p
		})
		f.expect(t, false, false, nil)
		if n := client.Exists(context.Background(), prefix+":k").Val(); n != 0 {
			t.Errorf("%s:k outlived its test", prefix)
		}
	})
	t.Run("postgres", func(t *testing.T) {
		pool := PostgresPool(t, nil)
		var schema string
		run(t, func(tb testing.TB) {
			schema = PostgresSchema(tb, pool, "testsvc_test")
			if _, err := pool.Exec(context.Background(), "CREATE TABLE "+schema+".t (x int)"); err != nil {
				tb.Errorf("create a table in %s: %v", schema, err)
			}
		}).expect(t, false, false, nil)
		var n int
		if err := PostgresConn(t).QueryRow(context.Background(),
			"SELECT count(*) FROM pg_namespace WHERE nspname = $1", schema).Scan(&n); err != nil || n != 0 {
			t.Errorf("schema %s after its test: count %d, err %v; want it dropped", schema, n, err)
		}
	})
	t.Run("mariadb", func(t *testing.T) {
		addr, dsn := MariaDB(t)
		if addr == "" || dsn == "" {
			t.Errorf("MariaDB() = %q, %q", addr, dsn)
		}
	})
}
