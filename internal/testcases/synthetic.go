package testcases

import (
	"fmt"
	"strings"
)

// SyntheticSpec writes a deterministic OpenAPI 3.0 document (YAML) of about
// ops operations, for measuring the generator on a document of any size. It
// is shaped like a real API rather than a list of identical stubs: each
// resource has a collection (list with query parameters, create) and an item
// (get, update, delete) with a path parameter; the create and update
// operations take a $ref'd request body and are marked x-idempotent (every
// POST is); responses $ref the resource's schema, a shared error schema and a
// shared parameter. Every fifth resource marks its create with an object
// policy, so that the policies differ. The same ops always gives the same
// bytes.
func SyntheticSpec(ops int) []byte {
	const perResource = 5
	resources := max(1, (ops+perResource-1)/perResource)
	var b strings.Builder
	b.Grow(resources * 3000)
	b.WriteString(`openapi: 3.0.3
info:
  title: Synthetic API
  version: 1.0.0
  description: A generated document for measuring idemgen at scale.
servers:
  - url: https://api.example.com/v1
paths:
`)
	for r := range resources {
		name := resourceName(r)
		fmt.Fprintf(&b, `  /%[1]ss:
    get:
      operationId: list%[2]ss
      tags: [%[1]s]
      summary: List %[1]ss
      parameters:
        - $ref: '#/components/parameters/Limit'
        - name: starting_after
          in: query
          schema:
            type: string
      responses:
        "200":
          description: A page of %[1]ss
          content:
            application/json:
              schema:
                type: object
                properties:
                  data:
                    type: array
                    items:
                      $ref: '#/components/schemas/%[2]s'
                  has_more:
                    type: boolean
        default:
          $ref: '#/components/responses/Error'
    post:
      operationId: create%[2]s
      tags: [%[1]s]
      summary: Create a %[1]s
%[3]s      requestBody:
        required: true
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/%[2]sCreate'
      responses:
        "201":
          description: The %[1]s created
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/%[2]s'
        "402":
          $ref: '#/components/responses/Error'
        default:
          $ref: '#/components/responses/Error'
  /%[1]ss/{%[1]s_id}:
    parameters:
      - name: %[1]s_id
        in: path
        required: true
        schema:
          type: string
    get:
      operationId: get%[2]s
      tags: [%[1]s]
      responses:
        "200":
          description: The %[1]s
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/%[2]s'
        "404":
          $ref: '#/components/responses/Error'
    post:
      operationId: update%[2]s
      tags: [%[1]s]
      x-idempotent: true
      requestBody:
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/%[2]sCreate'
      responses:
        "200":
          description: The %[1]s updated
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/%[2]s'
        default:
          $ref: '#/components/responses/Error'
    delete:
      operationId: delete%[2]s
      tags: [%[1]s]
      responses:
        "204":
          description: Deleted
        default:
          $ref: '#/components/responses/Error'
`, name, exported(name), createMarker(r))
	}
	b.WriteString(`components:
  parameters:
    Limit:
      name: limit
      in: query
      schema:
        type: integer
        minimum: 1
        maximum: 100
  responses:
    Error:
      description: An error
      content:
        application/json:
          schema:
            $ref: '#/components/schemas/Error'
  schemas:
    Error:
      type: object
      required: [code, message]
      properties:
        code:
          type: string
        message:
          type: string
    Metadata:
      type: object
      additionalProperties:
        type: string
`)
	for r := range resources {
		name := resourceName(r)
		fmt.Fprintf(&b, `    %[2]s:
      type: object
      required: [id, created]
      properties:
        id:
          type: string
        created:
          type: integer
          format: int64
        status:
          type: string
          enum: [active, inactive]
        amount:
          type: integer
        metadata:
          $ref: '#/components/schemas/Metadata'
    %[2]sCreate:
      type: object
      required: [amount]
      properties:
        amount:
          type: integer
        description:
          type: string
          maxLength: 500
        metadata:
          $ref: '#/components/schemas/Metadata'
`, name, exported(name))
	}
	return []byte(b.String())
}

// createMarker is the x-idempotent of resource r's create: true, or for
// every fifth resource a policy object.
func createMarker(r int) string {
	if r%5 == 0 {
		return "      x-idempotent:\n        ttl: 24h\n        required: true\n"
	}
	return "      x-idempotent: true\n"
}

// resourceName is the r-th resource's name in lower case: widget0, gadget1 …
func resourceName(r int) string {
	nouns := []string{"widget", "gadget", "invoice", "payout", "transfer", "charge", "refund", "coupon"}
	return fmt.Sprintf("%s%d", nouns[r%len(nouns)], r)
}

func exported(s string) string { return strings.ToUpper(s[:1]) + s[1:] }
