package localaws

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"aurora-stages/internal/localfront"
	"aurora-stages/internal/localpg"
)

// QueryCall is one call of an AWS query API (RDS, STS, IAM) as the emulator
// received it: Action=ModifyDBCluster&DBClusterIdentifier=...&...
type QueryCall = url.Values

// startFront serves the emulator's front before moto on a loopback port
// and returns it and its URL. moto never returns a master password and
// accepts arguments it does not act on (AllowMajorVersionUpgrade), so the
// calls the front keeps are the only evidence of which password a cluster
// was given, how an upgrade was asked for and which role was assumed; its
// clusters' PostgreSQL servers live in the test's temporary folder and
// stop with the test.
func startFront(t testing.TB, moto string) (*localfront.Front, string) {
	front, err := localfront.New(localfront.Options{Moto: moto, PostgreSQL: localpg.Options{StateDir: t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	server := &http.Server{Handler: front}
	listener := listen(t)
	go func() { _ = server.Serve(listener) }()
	t.Cleanup(func() {
		_ = server.Close()
		if err := front.Close(); err != nil {
			t.Errorf("stopping the emulator's PostgreSQL servers: %v", err)
		}
	})
	return front, "http://" + listener.Addr().String()
}

// The query API is shared by several services, told apart by the date of
// their API version.
const (
	rdsVersion = "2014-10-31"
	stsVersion = "2011-06-15"
)

// QueryCalls returns the RDS calls of the given actions received so far, in
// order.
func (e *Emulator) QueryCalls(actions ...string) []QueryCall {
	return e.front.Calls(rdsVersion, actions...)
}

// STSCalls does the same for STS (AssumeRole, GetCallerIdentity).
func (e *Emulator) STSCalls(actions ...string) []QueryCall {
	return e.front.Calls(stsVersion, actions...)
}

// LastMasterPassword returns the master password last sent for a cluster
// (by CreateDBCluster or ModifyDBCluster), and whether one was sent.
func (e *Emulator) LastMasterPassword(clusterID string) (string, bool) {
	password, sent := "", false
	for _, call := range e.QueryCalls("CreateDBCluster", "ModifyDBCluster") {
		if call.Get("DBClusterIdentifier") == clusterID && call.Has("MasterUserPassword") {
			password, sent = call.Get("MasterUserPassword"), true
		}
	}
	return password, sent
}

// PauseDataAPI makes the cluster's next calls Data API calls answer
// DatabaseResumingException, as a paused Serverless v2 cluster does while
// it resumes.
func (e *Emulator) PauseDataAPI(t testing.TB, clusterARN string, calls int) {
	t.Helper()
	response, err := http.Post(e.Endpoint+localfront.PausePath, "application/json",
		strings.NewReader(fmt.Sprintf(`{"resourceArn": %q, "calls": %d}`, clusterARN, calls)))
	if err != nil {
		t.Fatal(err)
	}
	response.Body.Close()
	if response.StatusCode != http.StatusOK {
		t.Fatalf("pausing %s: %s", clusterARN, response.Status)
	}
}
