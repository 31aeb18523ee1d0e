package localaws

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
)

// QueryCall is one call of an AWS query API (RDS, STS, IAM) as the emulator
// received it: Action=ModifyDBCluster&DBClusterIdentifier=...&...
type QueryCall = url.Values

// recorder sits between the deploy and moto and keeps every query-API call
// (RDS, STS, IAM). moto never returns a master password and accepts
// arguments it does not act on (AllowMajorVersionUpgrade), so what was sent
// is the only evidence of which password the cluster was given, how an
// upgrade was asked for and which role was assumed.
type recorder struct {
	mu    sync.Mutex
	calls []QueryCall
}

// startRecorder serves a reverse proxy to the emulator on a loopback port
// and returns its URL.
func (r *recorder) start(t testing.TB, emulator string) string {
	target, err := url.Parse(emulator)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	server := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.keep(req)
		proxy.ServeHTTP(w, req)
	})}
	listener := listen(t)
	go func() { _ = server.Serve(listener) }()
	t.Cleanup(func() { _ = server.Close() })
	return "http://" + listener.Addr().String()
}

// keep records the request if it is an RDS call, and leaves its body
// readable for the proxy.
func (r *recorder) keep(req *http.Request) {
	if req.Method != http.MethodPost || !strings.HasPrefix(req.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return
	}
	body, err := io.ReadAll(req.Body)
	req.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return
	}
	values, err := url.ParseQuery(string(body))
	if err != nil || values.Get("Action") == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, values)
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
	return e.recorder.of(rdsVersion, actions)
}

// STSCalls does the same for STS (AssumeRole, GetCallerIdentity).
func (e *Emulator) STSCalls(actions ...string) []QueryCall {
	return e.recorder.of(stsVersion, actions)
}

func (r *recorder) of(version string, actions []string) []QueryCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	var calls []QueryCall
	for _, call := range r.calls {
		if call.Get("Version") == version && slices.Contains(actions, call.Get("Action")) {
			calls = append(calls, call)
		}
	}
	return calls
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
