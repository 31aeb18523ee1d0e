package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// fakeAWS answers the two SSM reads and the Data API with the given
// ExecuteStatement answers, one per call (the last one repeats).
type fakeAWS struct {
	answers []answer
	calls   int
	// regions are the regions the requests were signed for, one per request.
	regions []string
}

type answer struct {
	status    int
	errorType string
	body      string
}

// signedRegion is the region of a SigV4 signature's credential scope:
// Credential=<key>/<date>/<region>/<service>/aws4_request.
var signedRegion = regexp.MustCompile(`Credential=[^/]+/[^/]+/([^/]+)/`)

func (f *fakeAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if m := signedRegion.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		f.regions = append(f.regions, m[1])
	}
	w.Header().Set("Content-Type", "application/json")
	if target := r.Header.Get("X-Amz-Target"); target == "AmazonSSM.GetParameter" {
		var input struct{ Name string }
		_ = json.NewDecoder(r.Body).Decode(&input)
		json.NewEncoder(w).Encode(map[string]any{"Parameter": map[string]string{"Name": input.Name, "Value": "arn:aws:test:" + input.Name}})
		return
	}
	if r.URL.Path != "/Execute" {
		http.Error(w, "unexpected "+r.URL.Path, http.StatusNotFound)
		return
	}
	a := f.answers[min(f.calls, len(f.answers)-1)]
	f.calls++
	if a.errorType != "" {
		w.Header().Set("X-Amzn-Errortype", a.errorType)
	}
	w.WriteHeader(a.status)
	w.Write([]byte(a.body))
}

// runQuery runs the command against the fake in a folder with a dev stage.
func runQuery(t *testing.T, fake *fakeAWS, args ...string) (code int, stdout, stderr string, sleeps int) {
	return runQueryWithStages(t, fake, `{"dev": {}}`, args...)
}

// runQueryWithStages does the same with the given stages in cdktf.json.
func runQueryWithStages(t *testing.T, fake *fakeAWS, stages string, args ...string) (code int, stdout, stderr string, sleeps int) {
	t.Helper()
	server := httptest.NewServer(fake)
	t.Cleanup(server.Close)
	dir := t.TempDir()
	config := `{"language": "go", "app": "go run .", "context": {"service": "movies", "region": "us-east-1", "stateBucket": "movies-state", "stages": ` + stages + `}}`
	if err := os.WriteFile(filepath.Join(dir, "cdktf.json"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	t.Setenv("DB_LOCAL_ENDPOINT", server.URL)
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut, func(time.Duration) { sleeps++ })
	return code, out.String(), errOut.String(), sleeps
}

const twoRows = `{"columnMetadata": [{"name": "title"}, {"name": "year"}],
  "records": [[{"stringValue": "Heat"}, {"longValue": 1995}], [{"stringValue": "Up"}, {"isNull": true}]]}`

func TestQueryPrintsJSON(t *testing.T) {
	code, stdout, stderr, _ := runQuery(t, &fakeAWS{answers: []answer{{200, "", twoRows}}}, "--stage", "dev", "--format", "json", "select title, year from movies")
	want := "[\n  {\n    \"title\": \"Heat\",\n    \"year\": 1995\n  },\n  {\n    \"title\": \"Up\",\n    \"year\": null\n  }\n]\n"
	if code != 0 || stdout != want || stderr != "" {
		t.Errorf("exit %d\nstdout:\n%s\nwant:\n%s\nstderr: %s", code, stdout, want, stderr)
	}
}

// A paused database: the command waits with a line per attempt, then
// prints the result.
func TestQueryWaitsForAResumingDatabase(t *testing.T) {
	resuming := answer{400, "DatabaseResumingException", `{"message": "The database is resuming after being auto-paused."}`}
	code, stdout, stderr, sleeps := runQuery(t, &fakeAWS{answers: []answer{resuming, resuming, {200, "", twoRows}}}, "--stage", "dev", "select 1")
	wantErr := "query: the dev database is resuming from its pause; trying again in 10s (waited 0s of at most 2m0s)\n" +
		"query: the dev database is resuming from its pause; trying again in 10s (waited 10s of at most 2m0s)\n"
	if code != 0 || sleeps != 2 || stderr != wantErr || !strings.HasPrefix(stdout, "title  year\nHeat   1995\nUp     NULL\n") {
		t.Errorf("exit %d, %d waits\nstdout:\n%s\nstderr:\n%s", code, sleeps, stdout, stderr)
	}
}

func TestQueryErrorsSayWhatToDo(t *testing.T) {
	cases := []struct {
		name   string
		answer answer
		want   string
	}{
		{"still resuming", answer{400, "DatabaseResumingException", `{"message": "resuming"}`},
			"query: the dev database is still resuming from its pause after 2m0s; try again in a minute\n"},
		{"access denied", answer{403, "AccessDeniedException", `{"message": "not authorized"}`},
			"query: access denied to rds-data:ExecuteStatement on stage dev: attach the IAM policy movies-dev-database-access (the stack's output access_policy_arn) to your role, or list the role in the stage's consumerRoleNames\n"},
		{"bad SQL", answer{400, "BadRequestException", `{"message": "ERROR: syntax error at or near \"selec\""}`},
			"query: the database refused the statement: ERROR: syntax error at or near \"selec\"\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr, _ := runQuery(t, &fakeAWS{answers: []answer{c.answer}}, "--stage", "dev", "selec 1")
			lastLine := stderr[strings.LastIndex(strings.TrimSuffix(stderr, "\n"), "\n")+1:]
			if code != 1 || stdout != "" || lastLine != c.want {
				t.Errorf("exit %d, stdout %q\nlast line of stderr:\n%s\nwant:\n%s", code, stdout, lastLine, c.want)
			}
		})
	}
}

// A command line the command does not take exits 2 with the usage; a
// stage that is not configured is an error like any other.
func TestQueryRefusesBadArguments(t *testing.T) {
	for _, args := range [][]string{{"select 1"}, {"--stage", "dev"}, {"--stage", "dev", "--format", "csv", "select 1"}, {"--stage", "dev", "--limit", "1", "select 1"}} {
		code, _, stderr, _ := runQuery(t, &fakeAWS{answers: []answer{{200, "", twoRows}}}, args...)
		if code != 2 || !strings.HasPrefix(stderr, "query: ") || !strings.Contains(stderr, "\n"+synopsis+"\n") {
			t.Errorf("args %q: exit %d, stderr %q; want exit 2, the problem and the usage", args, code, stderr)
		}
	}
	code, _, stderr, _ := runQuery(t, &fakeAWS{answers: []answer{{200, "", twoRows}}}, "--stage", "nope", "select 1")
	if code != 1 || !strings.HasPrefix(stderr, "query: ") || strings.Contains(stderr, synopsis) {
		t.Errorf("an unknown stage: exit %d, stderr %q; want exit 1 and the error, without the usage", code, stderr)
	}
}

// A stage in a region of its own: its parameters and its cluster are
// there, so every call is made in that region, not the account's.
func TestQueryAsksTheStagesRegion(t *testing.T) {
	fake := &fakeAWS{answers: []answer{{200, "", twoRows}}}
	code, _, stderr, _ := runQueryWithStages(t, fake, `{"dev": {"region": "eu-central-1"}}`, "--stage", "dev", "select 1")
	if want := []string{"eu-central-1", "eu-central-1", "eu-central-1"}; code != 0 || !slices.Equal(fake.regions, want) {
		t.Errorf("exit %d (%s); requests signed for %q, want %q (two parameters, one statement)", code, stderr, fake.regions, want)
	}
}
