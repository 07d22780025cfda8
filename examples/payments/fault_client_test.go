package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// faultClient sends each request on a connection of its own, so that a
// replica's crash breaks only the requests it had in flight.
var faultClient = &http.Client{
	Timeout:   30 * time.Second,
	Transport: &http.Transport{DisableKeepAlives: true},
}

// answer is what a createPayment request got: a transport error when
// the replica died with it in flight, or a response.
type answer struct {
	err      error
	status   int
	replayed bool   // Idempotency-Replayed: true
	id       string // the payment's id, on a 201
}

func (a answer) String() string {
	if a.err != nil {
		return "error: " + a.err.Error()
	}
	return fmt.Sprintf("%d replayed=%v id=%s", a.status, a.replayed, a.id)
}

// paymentBody is every fault test's createPayment request: a retry must
// send the same body, or it is a different request.
const paymentBody = `{"amount": 1000, "currency": "EUR"}`

// pay sends createPayment with key to the replica at base.
func pay(base, key string) answer {
	req, err := http.NewRequest(http.MethodPost, base+"/payments", strings.NewReader(paymentBody))
	if err != nil {
		return answer{err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	res, err := faultClient.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return answer{err: err}
	}
	a := answer{status: res.StatusCode, replayed: res.Header.Get("Idempotency-Replayed") == "true"}
	if a.status == http.StatusCreated {
		var p Payment
		if err := json.Unmarshal(body, &p); err != nil {
			return answer{err: fmt.Errorf("201 with %q: %w", body, err)}
		}
		a.id = p.Id.String()
	}
	return a
}

// payAll sends createPayment for every key at once and returns a function
// that waits for the answers.
func payAll(base string, keys []string) func() map[string]answer {
	var mu sync.Mutex
	got := make(map[string]answer, len(keys))
	var wg sync.WaitGroup
	for _, k := range keys {
		wg.Go(func() {
			a := pay(base, k)
			mu.Lock()
			got[k] = a
			mu.Unlock()
		})
	}
	return func() map[string]answer {
		wg.Wait()
		return got
	}
}

// retry is a client's retry of key at base: it sends the request again
// while the key is in flight (409, the previous owner's lease not yet
// lapsed), and returns the first other answer.
func retry(t *testing.T, base, key string) answer {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		a := pay(base, key)
		if a.err != nil || a.status != http.StatusConflict || time.Now().After(deadline) {
			return a
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// roundKeys are n keys of one round, under the test's prefix.
func roundKeys(prefix string, round, n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("%sr%d-%d", prefix, round, i)
	}
	return keys
}
