package redisstore

import (
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

func TestCodecRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 27, 1, 2, 3, 456789, time.UTC)
	cases := map[string]*idempotency.Record{
		"full": {
			Status: 201,
			Header: http.Header{"Link": {"<a>", "<b>"}, "X-Empty": {""}, "Vary": {}},
			Body:   []byte("hello\x00world"), CreatedAt: at, ExpiresAt: at.Add(time.Hour),
		},
		"omitted":     {Status: 200, Header: http.Header{"Content-Type": {"text/plain"}}, BodyOmitted: true},
		"zero":        {},
		"empty body":  {Status: 204, Header: http.Header{}, Body: []byte{}},
		"before 1970": {Status: 200, CreatedAt: time.Date(1900, 1, 1, 0, 0, 0, 1, time.UTC)},
		"far future":  {Status: 200, ExpiresAt: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)},
	}
	for name, want := range cases {
		got, err := decodeRecord(encodeRecord(want))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got.Status != want.Status || got.BodyOmitted != want.BodyOmitted ||
			!got.CreatedAt.Equal(want.CreatedAt) || !got.ExpiresAt.Equal(want.ExpiresAt) ||
			got.CreatedAt.IsZero() != want.CreatedAt.IsZero() ||
			!reflect.DeepEqual(got.Header, want.Header) ||
			!reflect.DeepEqual(got.Body, want.Body) {
			t.Errorf("%s:\n got %#v\nwant %#v", name, got, want)
		}
	}
}

func TestCodecRejectsCorruptInput(t *testing.T) {
	good := encodeRecord(&idempotency.Record{
		Status: 200, Header: http.Header{"A": {"b", "c"}}, Body: []byte("x"),
		CreatedAt: time.Now(), ExpiresAt: time.Now(),
	})
	// Every truncation before the body must be refused, never panic.
	for n := 0; n < len(good)-1; n++ {
		if _, err := decodeRecord(good[:n]); !errors.Is(err, errCorrupt) {
			t.Errorf("prefix of %d bytes: err %v, want errCorrupt", n, err)
		}
	}
	bad := map[string][]byte{
		"version":        {9, 0, 200, 1},
		"huge count":     {codecVersion, flagHeader, 200, 1, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"status":         {codecVersion, 0, 0xe8, 0x07},
		"trailing bytes": {codecVersion, 0, 200, 1, 'x'},
		"nanoseconds":    {codecVersion, flagCreated, 200, 1, 0, 0xff, 0xff, 0xff, 0xff, 0x0f},
	}
	for name, b := range bad {
		if _, err := decodeRecord(b); !errors.Is(err, errCorrupt) {
			t.Errorf("%s: err %v, want errCorrupt", name, err)
		}
	}
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add(encodeRecord(&idempotency.Record{Status: 200, Header: http.Header{"A": {"b"}}, Body: []byte("x")}))
	f.Add([]byte{codecVersion, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := decodeRecord(b)
		if err != nil {
			return
		}
		again, err := decodeRecord(encodeRecord(rec))
		if err != nil || again.Status != rec.Status || !reflect.DeepEqual(again.Header, rec.Header) {
			t.Fatalf("re-encoding a decoded record changed it: %+v -> %+v, %v", rec, again, err)
		}
	})
}
