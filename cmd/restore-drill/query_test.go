package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"

	"aurora-stages/internal/tfrun"
)

// roleKey is the access key of the credentials the fake STS hands out for
// an assumed role.
const roleKey = "ASIADRILLROLE"

// signedBy is the access key and service of a SigV4 signature:
// Credential=<key>/<date>/<region>/<service>/aws4_request.
var signedBy = regexp.MustCompile(`Credential=([^/]+)/[^/]+/[^/]+/([^/]+)/`)

// awsRequest is one request the fake AWS received: who signed it, for
// which service, and what it asked.
type awsRequest struct {
	key, service, call string
	form               url.Values
}

// fakeAWS answers STS's AssumeRole, SSM's GetParameter (an ARN named
// after the parameter) and the Data API's ExecuteStatement (one row), and
// records every request.
type fakeAWS struct {
	mu       sync.Mutex
	requests []awsRequest
}

func (f *fakeAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	request := awsRequest{}
	if m := signedBy.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		request.key, request.service = m[1], m[2]
	}
	switch {
	case request.service == "sts":
		request.form, _ = url.ParseQuery(string(body))
		request.call = request.form.Get("Action")
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>`+roleKey+`</AccessKeyId><SecretAccessKey>secret</SecretAccessKey><SessionToken>token</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>
<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/aurora-stages/drill</Arn><AssumedRoleId>AROADRILL:drill</AssumedRoleId></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleResponse>`)
	case r.Header.Get("X-Amz-Target") == "AmazonSSM.GetParameter":
		var input struct{ Name string }
		_ = json.Unmarshal(body, &input)
		request.call = "GetParameter " + input.Name
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		json.NewEncoder(w).Encode(map[string]any{"Parameter": map[string]string{"Name": input.Name, "Value": "arn:aws:test:" + input.Name}})
	case r.URL.Path == "/Execute":
		var input struct{ ResourceArn, SecretArn, Sql string }
		_ = json.Unmarshal(body, &input)
		request.call = "ExecuteStatement " + input.ResourceArn + " " + input.SecretArn + ": " + input.Sql
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"columnMetadata": [{"name": "?column?"}], "records": [[{"longValue": 1}]]}`)
	default:
		http.Error(w, "unexpected "+r.URL.Path, http.StatusNotFound)
	}
	f.mu.Lock()
	f.requests = append(f.requests, request)
	f.mu.Unlock()
}

// The clone is the stage's: the drill reads its parameters and queries it
// through the stage's role (assumeRoleArn), under the drill's session, as
// the drill's deploy made it. The caller's own credentials may reach
// another account, or not this one.
func TestDrillQueriesTheCloneThroughTheStagesRole(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/deploy/aurora-stages"
	fake := &fakeAWS{}
	server := httptest.NewServer(fake)
	t.Cleanup(server.Close)
	dir := t.TempDir()
	config := `{"language": "go", "app": "go run .", "context": {"service": "movies", "region": "us-east-1", "stateBucket": "movies-state",
	  "stages": {"production": {"accountId": "123456789012", "assumeRoleArn": "` + role + `"}}}}`
	if err := os.WriteFile(filepath.Join(dir, "cdktf.json"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	t.Setenv("DB_LOCAL_ENDPOINT", server.URL)
	t.Setenv("GITHUB_ACTOR", "ci-bot")
	drill, err := drillOf("production")
	if err != nil {
		t.Fatal(err)
	}
	if drill.AssumeRoleARN != role {
		t.Fatalf("drill-production's role is %q, want its stage's, %s", drill.AssumeRoleARN, role)
	}

	var stderr bytes.Buffer
	result, err := (&cdktfCLI{stderr: &stderr}).Query(drill, "select 1")
	if err != nil || len(result.Records) != 1 {
		t.Fatalf("Query = %v, %v; want one row", result, err)
	}

	var assumed, others []string
	for _, r := range fake.requests {
		switch {
		case r.call == "AssumeRole":
			assumed = append(assumed, r.form.Get("RoleArn")+" as "+r.form.Get("RoleSessionName"))
		case r.key != roleKey:
			t.Errorf("%s (%s) was signed with %s, not the stage's role", r.call, r.service, r.key)
		default:
			others = append(others, r.call)
		}
	}
	if want := role + " as " + drill.SessionName(); len(assumed) != 1 || assumed[0] != want {
		t.Errorf("roles assumed: %q, want one, %s", assumed, want)
	}
	want := []string{
		"GetParameter " + drill.CredentialsArnParameter(),
		"GetParameter " + drill.ResourceArnParameter(),
		"ExecuteStatement arn:aws:test:" + drill.ResourceArnParameter() + " arn:aws:test:" + drill.CredentialsArnParameter() + ": select 1",
	}
	if strings.Join(others, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls through the role:\n%s\nwant:\n%s", strings.Join(others, "\n"), strings.Join(want, "\n"))
	}
}

// The drill's cdktf is the one PATH names first (make puts the project's
// node_modules/.bin there), else npx's, with DB_STAGES naming the drill.
func TestDrillsCdktf(t *testing.T) {
	bin := t.TempDir()
	t.Setenv("PATH", bin)
	if got, want := (&cdktfCLI{}).Cdktf("drill-dev"), (tfrun.Exec{Program: "npx", Args: []string{"cdktf"}, Env: []string{"DB_STAGES=drill-dev"}}); !reflect.DeepEqual(got, want) {
		t.Errorf("without cdktf on PATH: %+v, want %+v", got, want)
	}
	cdktf := filepath.Join(bin, "cdktf")
	if err := os.WriteFile(cdktf, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, want := (&cdktfCLI{}).Cdktf("drill-dev"), (tfrun.Exec{Program: cdktf, Env: []string{"DB_STAGES=drill-dev"}}); !reflect.DeepEqual(got, want) {
		t.Errorf("with cdktf on PATH: %+v, want %+v", got, want)
	}
}
