package store

import (
	"context"

	"github.com/opencrs/crs"
)

// APIClientService finds the FHIR API's clients and tokens.
type APIClientService struct{ db *DB }

// NewAPIClientService returns the FHIR API's clients on db.
func NewAPIClientService(db *DB) *APIClientService { return &APIClientService{db: db} }

const apiClientColumns = `id, org_id, name, scopes, jwks, jwks_url, created_at, disabled`

func scanAPIClient(row interface{ Scan(...any) error }, extra ...any) (*crs.APIClient, error) {
	var c crs.APIClient
	var jwks, created string
	var disabled int
	if err := row.Scan(append([]any{&c.ID, &c.OrgID, &c.Name, &c.Scopes, &jwks, &c.JWKSURL, &created, &disabled}, extra...)...); err != nil {
		return nil, err
	}
	c.CreatedAt, c.Disabled = parseTime(created), disabled != 0
	if jwks != "" {
		c.JWKS = []byte(jwks)
	}
	return &c, nil
}

// InsertAPIClient registers a client of the actor's trust.
func (tx *Tx) InsertAPIClient(c *crs.APIClient) error {
	c.ID, c.OrgID, c.CreatedAt = crs.NewID(), tx.actor.OrgID, tx.now
	var n int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM api_clients WHERE org_id = $1 AND name = $2`, c.OrgID, c.Name).Scan(&n); err != nil {
		return crs.Errorf(crs.EINTERNAL, "check client name: %w", err)
	}
	if n > 0 {
		return crs.Errorf(crs.ECONFLICT, "the trust already has a FHIR client named %q", c.Name)
	}
	if _, err := tx.Exec(`INSERT INTO api_clients (`+apiClientColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, 0)`,
		c.ID, c.OrgID, c.Name, c.Scopes, string(c.JWKS), c.JWKSURL, formatTime(c.CreatedAt)); err != nil {
		return crs.Errorf(crs.EINTERNAL, "register client: %w", err)
	}
	return tx.Emit(&crs.Event{Type: crs.EventAPIClientAdded, SubjectID: c.ID, Summary: "FHIR client " + c.Name + " registered with scopes " + c.Scopes}, "fhir client")
}

// InsertAPIToken records a token given to a client.
func (tx *Tx) InsertAPIToken(t *crs.APIToken) error {
	if t.JTI != "" {
		var n int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM api_tokens WHERE client_id = $1 AND jti = $2`, t.ClientID, t.JTI).Scan(&n); err != nil {
			return crs.Errorf(crs.EINTERNAL, "check assertion id: %w", err)
		}
		if n > 0 {
			return crs.Errorf(crs.ECONFLICT, "the assertion %q was used before", t.JTI)
		}
	}
	t.OrgID = tx.actor.OrgID
	if _, err := tx.Exec(`INSERT INTO api_tokens (hash, client_id, org_id, scopes, jti, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		t.Hash, t.ClientID, t.OrgID, t.Scopes, t.JTI, formatTime(t.ExpiresAt)); err != nil {
		return crs.Errorf(crs.EINTERNAL, "record token: %w", err)
	}
	return tx.Emit(&crs.Event{Type: crs.EventAPITokenIssued, SubjectID: t.ClientID, Summary: "FHIR token issued with scopes " + t.Scopes}, "fhir token")
}

// FindAPIClient returns a client by its client_id.
func (s *APIClientService) FindAPIClient(ctx context.Context, id string) (*crs.APIClient, error) {
	c, err := scanAPIClient(s.db.read.QueryRowContext(ctx, `SELECT `+apiClientColumns+` FROM api_clients WHERE id = $1`, id))
	return c, notFound(err, "no FHIR client has the id %s", id)
}

// FindAPIClientByName returns the trust's client with the name.
func (s *APIClientService) FindAPIClientByName(ctx context.Context, orgID, name string) (*crs.APIClient, error) {
	c, err := scanAPIClient(s.db.read.QueryRowContext(ctx, `SELECT `+apiClientColumns+` FROM api_clients WHERE org_id = $1 AND name = $2`, orgID, name))
	return c, notFound(err, "the trust has no FHIR client named %q", name)
}

// FindAPIToken returns the token with the hash, with its client.
func (s *APIClientService) FindAPIToken(ctx context.Context, hash string) (*crs.APIToken, *crs.APIClient, error) {
	t := &crs.APIToken{Hash: hash}
	var expires string
	c, err := scanAPIClient(s.db.read.QueryRowContext(ctx, `SELECT c.id, c.org_id, c.name, c.scopes, c.jwks, c.jwks_url, c.created_at, c.disabled, t.client_id, t.org_id, t.scopes, t.jti, t.expires_at
		FROM api_tokens t JOIN api_clients c ON c.id = t.client_id WHERE t.hash = $1`, hash), &t.ClientID, &t.OrgID, &t.Scopes, &t.JTI, &expires)
	if err != nil {
		return nil, nil, notFound(err, "the token is not known")
	}
	t.ExpiresAt = parseTime(expires)
	return t, c, nil
}
