package localdataapi

import (
	"os"
	"testing"
)

// INTERIM until localpg lands: a PostgreSQL given by LOCALDATAAPI_DEV_PG.
func startPostgres(t *testing.T, user, password, database string) func(user, password, database string) string {
	t.Helper()
	if os.Getenv("LOCALDATAAPI_DEV_PG") == "" {
		t.Skip("no PostgreSQL")
	}
	return func(user, password, database string) string {
		return "postgres://" + user + ":" + password + "@127.0.0.1:55432/" + database + "?sslmode=disable"
	}
}
