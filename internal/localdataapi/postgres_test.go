package localdataapi

import (
	"testing"

	"aurora-stages/internal/localpg"
)

// startPostgres starts the package's one PostgreSQL, a cluster's as
// localpg runs them, and returns how to log into it.
func startPostgres(t testing.TB, user, password, database string) func(user, password, database string) string {
	t.Helper()
	_, server := localpg.StartForTest(t, localpg.Spec{Major: "16", DatabaseName: database, MasterUsername: user, Password: password})
	return server.ConnString
}
