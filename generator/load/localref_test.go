package load

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// refSpec is a document whose one operation takes its request body schema
// from ref; the $ref's value stands at line 10, column 28.
func refSpec(ref string) string {
	return head + `  /payments:
    post:
      x-idempotent: true
      requestBody:
        content:
          application/json:
            schema: {$ref: "` + ref + `"}
      responses: {"200": {description: ok}}
`
}

const paymentSchema = "Payment:\n  type: object\n  properties:\n    amount: {type: integer}\n"

// secret stands in for what a file outside the spec's folder holds; no
// diagnostic may show any of it.
const secret = "S3CR3T-a1b2c3d4e5f6"

// loadWithin loads path and returns its error text with dir's name taken
// out, failing the test if the load blocks (as it does on a FIFO opened
// for reading) instead of waiting out go test's timeout.
func loadWithin(t *testing.T, path, dir string, opts Options) (string, error) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := Load(context.Background(), path, opts)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			return "", nil
		}
		if dir == "" {
			return err.Error(), err
		}
		return strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), ""), err
	case <-time.After(time.Minute):
		t.Fatalf("Load(%s) still blocked after a minute", path)
		return "", nil
	}
}

// mustFail loads path, wants an error, and checks that it holds nothing of
// the secret.
func mustFail(t *testing.T, path, dir string, opts Options) string {
	t.Helper()
	got, err := loadWithin(t, path, dir, opts)
	if err == nil {
		t.Fatal("Load succeeded, want an error")
	}
	if strings.Contains(got, secret[:4]) {
		t.Errorf("the error shows the referenced file's content:\n%s", got)
	}
	return got
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// tree lays out <tmp>/spec/spec.yaml with the given $ref beside
// <tmp>/outside/payment.yaml, a valid schema file that also holds the
// secret, and returns the spec's path and <tmp>.
func tree(t *testing.T, ref string) (spec, tmp string) {
	t.Helper()
	tmp = t.TempDir()
	if real, err := filepath.EvalSymlinks(tmp); err == nil {
		tmp = real
	}
	spec = filepath.Join(tmp, "spec", "spec.yaml")
	writeFile(t, spec, refSpec(ref))
	writeFile(t, filepath.Join(tmp, "outside", "payment.yaml"), "# "+secret+"\n"+paymentSchema)
	return spec, tmp
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("cannot make a symlink here: %v", err)
	}
}

// TestRefOutsideSpecFolder: a $ref leading out of the spec's folder, by ../
// or through a symlink to a file or a folder, is refused at the $ref, with
// the flag that lets it in; the flag does.
func TestRefOutsideSpecFolder(t *testing.T) {
	cases := []struct {
		name, ref, link, linkTo, shown, allow string
	}{
		{name: "dotdot", ref: "../outside/payment.yaml#/Payment", shown: "outside/payment.yaml", allow: "outside"},
		{name: "file symlink", ref: "link.yaml#/Payment", link: "link.yaml", linkTo: "../outside/payment.yaml",
			shown: "spec/link.yaml", allow: "outside"},
		{name: "folder symlink", ref: "shared/payment.yaml#/Payment", link: "shared", linkTo: "../outside",
			shown: "spec/shared/payment.yaml", allow: "outside"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			spec, tmp := tree(t, c.ref)
			if c.link != "" {
				symlink(t, c.linkTo, filepath.Join(filepath.Dir(spec), c.link))
			}
			got := mustFail(t, spec, tmp, Options{})
			want := `spec/spec.yaml:10:28: $ref "` + c.ref + `": ` + c.shown + ` lies outside the folder of spec/spec.yaml, ` +
				`which local references may not leave; move the file there, or allow its folder (-allow-ref-dir ` + c.allow + `)`
			if got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}

			r, err := Load(context.Background(), spec, Options{AllowRefDirs: []string{filepath.Join(tmp, c.allow)}})
			if err != nil {
				t.Fatalf("with the folder allowed: %v", err)
			}
			if len(r.Model.Operations) != 1 {
				t.Errorf("operations %+v", r.Model.Operations)
			}
		})
	}
}

// TestRefAnywhere: "/" allows every folder; a folder that does not exist is
// a clear error, not a silent no-op.
func TestRefAnywhere(t *testing.T) {
	spec, tmp := tree(t, "../outside/payment.yaml#/Payment")
	if _, err := Load(context.Background(), spec, Options{AllowRefDirs: []string{string(filepath.Separator)}}); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(tmp, "nowhere")
	_, err := Load(context.Background(), spec, Options{AllowRefDirs: []string{missing}})
	if err == nil || !strings.Contains(err.Error(), "cannot allow $refs into "+missing+": ") {
		t.Errorf("got %v, want an error naming %s", err, missing)
	}
}

// TestRefToDevice: /dev/zero is refused before a byte is read, first as
// outside the spec's folder and, with every folder allowed, as a device.
func TestRefToDevice(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero here")
	}
	spec, tmp := tree(t, "/dev/zero")
	got := mustFail(t, spec, tmp, Options{})
	if want := `spec/spec.yaml:10:28: $ref "/dev/zero": /dev/zero lies outside the folder of spec/spec.yaml`; !strings.HasPrefix(got, want) {
		t.Errorf("got  %s\nwant %s…", got, want)
	}
	got = mustFail(t, spec, tmp, Options{AllowRefDirs: []string{"/"}})
	if want := `spec/spec.yaml:10:28: $ref "/dev/zero": cannot read /dev/zero: a device, not a regular file`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestRefToFolder: a $ref naming a folder inside the spec's is refused as
// one.
func TestRefToFolder(t *testing.T) {
	spec, tmp := tree(t, "sub#/Payment")
	if err := os.Mkdir(filepath.Join(filepath.Dir(spec), "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	got := mustFail(t, spec, tmp, Options{})
	want := `spec/spec.yaml:10:28: $ref "sub#/Payment": cannot read ` + filepath.Join("spec", "sub") + `: a folder, not a regular file`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestRefTooLarge: a referenced file over the cap is refused by its size,
// without reading it; one exactly at the cap loads.
func TestRefTooLarge(t *testing.T) {
	spec, tmp := tree(t, "big.yaml#/Payment")
	big := filepath.Join(filepath.Dir(spec), "big.yaml")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: 64 MiB and a byte, none of it written.
	if err := errors.Join(f.Truncate(MaxFileBytes+1), f.Close()); err != nil {
		t.Fatal(err)
	}
	got := mustFail(t, spec, tmp, Options{})
	if want := `spec/spec.yaml:10:28: $ref "big.yaml#/Payment": cannot read spec/big.yaml: larger than the 64 MiB limit on a document`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}

	// Padded past the spec's own size, so that only this file meets a
	// lowered cap.
	schema := paymentSchema + "#" + strings.Repeat(" padding", 100) + "\n"
	writeFile(t, big, schema)
	n := int64(len(schema))
	if _, err := Load(context.Background(), spec, Options{maxBytes: n}); err != nil {
		t.Errorf("a file of exactly the cap: %v", err)
	}
	got = mustFail(t, spec, tmp, Options{maxBytes: n - 1})
	if !strings.HasSuffix(got, ": larger than the "+strconv.FormatInt(n-1, 10)+" bytes limit on a document") {
		t.Errorf("a file one byte over the cap: %s", got)
	}
}

// TestReadCapped: a source that grows past its stat'd size, or never ends,
// still stops one byte past the cap.
func TestReadCapped(t *testing.T) {
	if _, err := readCapped(strings.NewReader("12345"), 5); err != nil {
		t.Errorf("exactly the cap: %v", err)
	}
	if _, err := readCapped(strings.NewReader("123456"), 5); err == nil {
		t.Error("one byte over the cap was read")
	}
	var endless io.Reader = zeros{}
	if _, err := readCapped(endless, 1<<20); err == nil || !strings.Contains(err.Error(), "larger than the 1 MiB limit") {
		t.Errorf("an endless source: %v", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestRefContentNotShown: however a referenced file fails to parse, the
// diagnostic gives its position and a reason, never what it holds.
func TestRefContentNotShown(t *testing.T) {
	short := secret[:6]
	cases := map[string]string{
		"scalar":       secret + "\n",
		"short scalar": short + "\n",
		"anchor":       "Payment: *" + short + "\n",
		"json":         `{"Payment": ` + secret + "}\n",
		"flow":         "Payment:\n  type: [" + secret + "\n",
		"duplicate":    "Payment: {type: object}\nPayment: " + secret + "\n",
		"tag":          "Payment: !" + short + " x\n",
		"list":         "- " + secret + "\n",
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			spec, tmp := tree(t, "schemas.yaml#/Payment")
			writeFile(t, filepath.Join(filepath.Dir(spec), "schemas.yaml"), body)
			got := mustFail(t, spec, tmp, Options{})
			if !regexp.MustCompile(`^spec/(spec|schemas)\.yaml:\d+:\d+: `).MatchString(got) {
				t.Errorf("not positioned: %s", got)
			}
		})
	}
}

// TestSpecNotRegular: the spec itself must be a regular file under the cap.
func TestSpecNotRegular(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{dir: "a folder, not a regular file"}
	if _, err := os.Stat("/dev/zero"); err == nil {
		cases["/dev/zero"] = "a device, not a regular file"
	}
	for path, want := range cases {
		_, err := loadWithin(t, path, "", Options{})
		if err == nil || err.Error() != path+": "+want {
			t.Errorf("Load(%s): got %v, want %s: %s", path, err, path, want)
		}
		if _, err := ReadFile(path); err == nil || !strings.HasSuffix(err.Error(), want) {
			t.Errorf("ReadFile(%s): got %v, want …%s", path, err, want)
		}
	}
	spec := filepath.Join(dir, "spec.yaml")
	writeFile(t, spec, refSpec("#/components/schemas/Payment"))
	if _, err := Load(context.Background(), spec, Options{maxBytes: 10}); err == nil ||
		err.Error() != spec+": larger than the 10 bytes limit on a document" {
		t.Errorf("a spec over the cap: %v", err)
	}
}

// TestRemoteTooLarge: a remote document over the cap is refused at its
// $ref, not cut short and parsed.
func TestRemoteTooLarge(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(paymentSchema + "#" + strings.Repeat(" padding", 100) + "\n"))
	}))
	defer srv.Close()
	ref := srv.URL + "/schemas.yaml#/Payment"
	p := write(t, "spec.yaml", refSpec(ref))
	got := loadErr(t, p, Options{AllowRemoteRefs: true, maxBytes: 300})
	if want := `spec.yaml:10:28: $ref "` + ref + `": cannot read ` + srv.URL + `/schemas.yaml: larger than the 300 bytes limit on a document`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
