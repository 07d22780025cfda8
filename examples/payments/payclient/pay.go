package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/idemgen/idemgen/runtime/idemclient"
)

// callTimeout bounds one call, its retries included. The transport stops
// retrying within its MaxElapsed (30 s by default) but does not cut an
// attempt short: a server that accepts the request and never answers
// would hold the call forever.
const callTimeout = time.Minute

// newPayment is the body of every createPayment call: each call has a key
// of its own, so the same body makes a new payment each time.
var newPayment = NewPayment{Amount: 1000, Currency: "EUR"}

// made is one payment, and the key the call that made it was sent with.
type made struct {
	key, id string
}

// pay makes one payment. A call the transport had to retry is noted on
// stderr: how many attempts it took, and whether the answer was the
// replay of one the server had already made.
func pay(ctx context.Context, client *ClientWithResponses, stderr io.Writer) (made, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	ctx, call := idemclient.WithCall(ctx)
	resp, err := client.CreatePaymentWithResponse(ctx, newPayment)
	if call.Attempts > 1 || call.Replayed {
		fmt.Fprintf(stderr, "payclient: %s: %d attempts, replayed %v\n", call.Key, call.Attempts, call.Replayed)
	}
	if err != nil {
		return made{}, fmt.Errorf("%w (attempts: %d)", err, call.Attempts)
	}
	if resp.StatusCode() != http.StatusCreated || resp.JSON201 == nil {
		return made{}, fmt.Errorf("%s: %.200q (attempts: %d)", resp.Status(), resp.Body, call.Attempts)
	}
	return made{key: call.Key, id: resp.JSON201.Id.String()}, nil
}
