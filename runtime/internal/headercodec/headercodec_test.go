package headercodec

import (
	"net/http"
	"reflect"
	"testing"
)

func TestHeaderCodecRoundTrip(t *testing.T) {
	for _, h := range []http.Header{
		nil,
		{},
		{"Set-Cookie": {"a=1", "b=2"}, "X-Bin": {"\x00\xff\xfe"}, "Empty": {}, "": {""}},
	} {
		got, err := Decode(Encode(h))
		if err != nil || !reflect.DeepEqual(got, h) {
			t.Errorf("round trip of %q = %q, %v", h, got, err)
		}
	}
}

func TestHeaderCodecRejectsCorruption(t *testing.T) {
	good := Encode(http.Header{"A": {"bc"}})
	for _, b := range [][]byte{
		{},                 // no count
		{0x80},             // truncated varint
		{1, 5, 'a'},        // name longer than the rest
		{1, 1, 'a', 2, 0},  // second value missing
		append(good, 0x00), // trailing bytes
		{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, // absurd count
	} {
		if h, err := Decode(b); err == nil {
			t.Errorf("Decode(%x) = %q, want an error", b, h)
		}
	}
}

func FuzzHeaderDecode(f *testing.F) {
	f.Add(Encode(http.Header{"A": {"b", "c"}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := Decode(b)
		if err != nil {
			return
		}
		// Whatever decodes must survive a round trip.
		again, err := Decode(Encode(h))
		if err != nil || !reflect.DeepEqual(again, h) {
			t.Fatalf("re-encoding %q gave %q, %v", h, again, err)
		}
	})
}
