package localaws

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// RDSCall is one call of RDS's query API as the emulator received it:
// Action=ModifyDBCluster&DBClusterIdentifier=...&...
type RDSCall = url.Values

// recorder sits between the deploy and moto and keeps every RDS call. moto
// never returns a master password and accepts arguments it does not act
// on (AllowMajorVersionUpgrade), so what was sent is the only evidence of
// which password the cluster was given and how an upgrade was asked for.
type recorder struct {
	mu    sync.Mutex
	calls []RDSCall
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
	// The query API is shared by several services; RDS's versions are dated 2014-10-31.
	if err != nil || values.Get("Version") != "2014-10-31" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, values)
}

// RDSCalls returns the RDS calls of the given actions received so far, in
// order.
func (e *Emulator) RDSCalls(actions ...string) []RDSCall {
	e.recorder.mu.Lock()
	defer e.recorder.mu.Unlock()
	var calls []RDSCall
	for _, call := range e.recorder.calls {
		for _, action := range actions {
			if call.Get("Action") == action {
				calls = append(calls, call)
			}
		}
	}
	return calls
}

// LastMasterPassword returns the master password last sent for a cluster
// (by CreateDBCluster or ModifyDBCluster), and whether one was sent.
func (e *Emulator) LastMasterPassword(clusterID string) (string, bool) {
	password, sent := "", false
	for _, call := range e.RDSCalls("CreateDBCluster", "ModifyDBCluster") {
		if call.Get("DBClusterIdentifier") == clusterID && call.Has("MasterUserPassword") {
			password, sent = call.Get("MasterUserPassword"), true
		}
	}
	return password, sent
}
