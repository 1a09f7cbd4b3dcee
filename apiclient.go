package crs

import (
	"context"
	"time"
)

// Events of the FHIR API's clients.
const (
	EventAPIClientAdded = "api_client.created" // a system was registered to use the FHIR API
	EventAPITokenIssued = "api_token.issued"   // a system was given an access token
)

// APIClient is a system registered to use the trust's FHIR API with
// SMART Backend Services: it proves who it is with a JWT signed by a key
// of its JWKS, and gets tokens for at most its scopes.
type APIClient struct {
	ID        string // the client_id it signs its assertions as
	OrgID     string
	Name      string // what the trust calls it, unique in the trust, e.g. "lab-system"
	Scopes    string // the SMART scopes it may be given, space-separated
	JWKS      []byte // its public keys (a JSON Web Key Set), or nil when read from JWKSURL
	JWKSURL   string // where its key set is read from (SMART's JWKS URL), when registered so
	CreatedAt time.Time
	Disabled  bool
}

// Actor is the client acting in its trust: its changes and reads are
// checked, scoped and audited as it.
func (c *APIClient) Actor() Actor {
	return Actor{UserID: c.ID, Username: "api:" + c.Name, OrgID: c.OrgID, Role: RoleInterface, Purpose: "system"}
}

// APIToken is a short-lived bearer token given to a client: only its
// hash is kept.
type APIToken struct {
	Hash      string // hex SHA-256 of the token
	ClientID  string
	OrgID     string
	Scopes    string
	JTI       string // the id of the assertion it was given for ("" when minted by an operator); an assertion is used once
	ExpiresAt time.Time
}

// APIClientTx registers clients and gives tokens inside a command.
type APIClientTx interface {
	// InsertAPIClient registers a client of the actor's trust and appends
	// its event; ECONFLICT when the trust has a client of the name.
	InsertAPIClient(c *APIClient) error
	// InsertAPIToken records a token given to a client and appends its
	// event; ECONFLICT when the client's assertion id was used before.
	InsertAPIToken(t *APIToken) error
}

// APIClientStore finds clients and tokens, before any actor is known.
type APIClientStore interface {
	// FindAPIClient returns a client by its client_id, in any trust.
	FindAPIClient(ctx context.Context, id string) (*APIClient, error)
	// FindAPIClientByName returns the trust's client with the name.
	FindAPIClientByName(ctx context.Context, orgID, name string) (*APIClient, error)
	// FindAPIToken returns the token with the hash, with its client;
	// ENOTFOUND when there is none.
	FindAPIToken(ctx context.Context, hash string) (*APIToken, *APIClient, error)
}
