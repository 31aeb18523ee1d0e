package tests

// The consumer example (examples/consumer, shown in docs/consumers.md),
// compiled and run against a fake AWS that speaks SSM's JSON protocol and
// the Data API's REST-JSON one (AWS_ENDPOINT_URL): what it prints and how
// it exits for each thing that goes wrong. moto cannot answer
// DatabaseResumingException, and the fake needs no deploy. That it waits
// exactly as make query does is examples/consumer/main_test.go.

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// fakeConsumerAWS answers GetParameters with params (a name it lacks is
// invalid) or with ssmError, and each ExecuteStatement with the next of
// statements (the last one repeats).
type fakeConsumerAWS struct {
	params     map[string]string
	ssmError   *fakeAWSError
	statements []fakeAWSAnswer

	mu sync.Mutex
	// executed are the statements' requests.
	executed []map[string]any
}

type fakeAWSError struct{ code, message string }

// fakeAWSAnswer is a Data API answer: a body, or an error.
type fakeAWSAnswer struct {
	body string
	err  *fakeAWSError
}

func (f *fakeConsumerAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var input map[string]any
	if err := json.NewDecoder(r.Body).Decode(&input); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	switch {
	case r.Header.Get("X-Amz-Target") == "AmazonSSM.GetParameters":
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if f.ssmError != nil {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"__type": f.ssmError.code, "message": f.ssmError.message})
			return
		}
		found, invalid := []map[string]string{}, []string{}
		for _, name := range input["Names"].([]any) {
			name := name.(string)
			if value, ok := f.params[name]; ok {
				found = append(found, map[string]string{"Name": name, "Value": value, "Type": "String"})
			} else {
				invalid = append(invalid, name)
			}
		}
		json.NewEncoder(w).Encode(map[string]any{"Parameters": found, "InvalidParameters": invalid})
	case r.URL.Path == "/Execute":
		w.Header().Set("Content-Type", "application/json")
		answer := f.statements[min(len(f.executed), len(f.statements)-1)]
		f.executed = append(f.executed, input)
		if answer.err != nil {
			w.Header().Set("X-Amzn-Errortype", answer.err.code)
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"message": answer.err.message})
			return
		}
		w.Write([]byte(answer.body))
	default:
		http.Error(w, "unexpected request "+r.URL.Path, http.StatusNotFound)
	}
}

// runConsumerExample runs the compiled example against the fake with only
// the environment a function has (credentials, region) and env.
func runConsumerExample(t *testing.T, fake *fakeConsumerAWS, env ...string) (code int, stdout, stderr string) {
	t.Helper()
	server := httptest.NewServer(fake)
	defer server.Close()
	command := consumerCommand(t, server.URL, env...)
	return runCommand(t, command)
}

const (
	exampleClusterARN = "arn:aws:rds:us-east-1:123456789012:cluster:main-movies-dev-cluster"
	exampleSecretARN  = "arn:aws:secretsmanager:us-east-1:123456789012:secret:movies-dev-credentials-AbCdEf"
	// twoTitles is a result with a title and a NULL.
	twoTitles = `{"columnMetadata": [{"name": "title"}], "records": [[{"stringValue": "The Matrix"}], [{"isNull": true}]]}`
)

func devParameters() map[string]string {
	return map[string]string{"movies-dev-resource-arn": exampleClusterARN, "movies-dev-credentials-arn": exampleSecretARN}
}

// GIVEN a stage's parameters and Data API that answer as AWS does, each
// thing that can go wrong in turn
// WHEN the compiled consumer example runs
// THEN it prints the titles (NULL for a NULL) and exits 0, or one line
// naming what went wrong and exits 1, never a panic.
func TestConsumerExampleHandlesWhatGoesWrong(t *testing.T) {
	t.Parallel()
	resuming := fakeAWSAnswer{err: &fakeAWSError{"DatabaseResumingException", "The database is resuming after being auto-paused."}}
	cases := []struct {
		name       string
		fake       *fakeConsumerAWS
		env        []string
		code       int
		stdout     string
		stderr     string
		statements int
		// stderrContains, when set, replaces the exact stderr check by
		// its prefix (stderr) and these parts (AWS's message, as the SDK
		// words it).
		stderrContains []string
	}{
		{
			name:       "titles, one of them NULL",
			fake:       &fakeConsumerAWS{params: devParameters(), statements: []fakeAWSAnswer{{body: twoTitles}}},
			stdout:     "The Matrix\nNULL\n",
			statements: 1,
		},
		{
			// The one that waits: 10 seconds, as make query does.
			name:       "a database resuming from its pause",
			fake:       &fakeConsumerAWS{params: devParameters(), statements: []fakeAWSAnswer{resuming, {body: twoTitles}}},
			stdout:     "The Matrix\nNULL\n",
			stderr:     "consumer: the dev database is resuming from its pause; trying again in 10s (waited 0s of at most 2m0s)\n",
			statements: 2,
		},
		{
			name:   "a stage not deployed",
			fake:   &fakeConsumerAWS{params: map[string]string{}},
			env:    []string{"DB_SERVICE=films", "DB_STAGE=staging"},
			code:   1,
			stderr: "consumer: stage staging is not deployed here: not found in SSM: films-staging-resource-arn, films-staging-credentials-arn (deploy the stage, or check the account and region)\n",
		},
		{
			name:   "one parameter missing",
			fake:   &fakeConsumerAWS{params: map[string]string{"movies-dev-resource-arn": exampleClusterARN}},
			code:   1,
			stderr: "consumer: stage dev is not deployed here: not found in SSM: movies-dev-credentials-arn (deploy the stage, or check the account and region)\n",
		},
		{
			name:   "a parameter that holds no ARN",
			fake:   &fakeConsumerAWS{params: map[string]string{"movies-dev-resource-arn": "pending", "movies-dev-credentials-arn": exampleSecretARN}},
			code:   1,
			stderr: "consumer: SSM parameter movies-dev-resource-arn holds \"pending\", not an ARN\n",
		},
		{
			name:           "the parameters denied",
			fake:           &fakeConsumerAWS{ssmError: &fakeAWSError{"AccessDeniedException", "User: arn:aws:sts::123456789012:assumed-role/fn/fn is not authorized to perform: ssm:GetParameters"}},
			code:           1,
			stderr:         "consumer: reading the SSM parameters movies-dev-resource-arn, movies-dev-credentials-arn: ",
			stderrContains: []string{"AccessDeniedException", "is not authorized to perform: ssm:GetParameters"},
		},
		{
			name:           "a statement the database refuses",
			fake:           &fakeConsumerAWS{params: devParameters(), statements: []fakeAWSAnswer{{err: &fakeAWSError{"DatabaseErrorException", `ERROR: relation "movies" does not exist`}}}},
			code:           1,
			stderr:         "consumer: querying the dev database: ",
			stderrContains: []string{"DatabaseErrorException", `ERROR: relation "movies" does not exist`},
			statements:     1,
		},
		{
			name:       "a title that is not text",
			fake:       &fakeConsumerAWS{params: devParameters(), statements: []fakeAWSAnswer{{body: `{"records": [[{"longValue": 1999}]]}`}}},
			code:       1,
			stderr:     "consumer: column title: expected text or NULL, got *types.FieldMemberLongValue\n",
			statements: 1,
		},
		{
			name:       "a record without columns",
			fake:       &fakeConsumerAWS{params: devParameters(), statements: []fakeAWSAnswer{{body: `{"records": [[]]}`}}},
			code:       1,
			stderr:     "consumer: column title: the record has 0 columns\n",
			statements: 1,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runConsumerExample(t, c.fake, c.env...)
			stderrOK := stderr == c.stderr
			if c.stderrContains != nil {
				stderrOK = strings.HasPrefix(stderr, c.stderr) && strings.Count(stderr, "\n") == 1 && strings.HasSuffix(stderr, "\n")
				for _, part := range c.stderrContains {
					stderrOK = stderrOK && strings.Contains(stderr, part)
				}
			}
			if code != c.code || stdout != c.stdout || !stderrOK || strings.Contains(stderr, "panic") {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s\nwant: %q, containing %q", code, c.code, stdout, c.stdout, stderr, c.stderr, c.stderrContains)
			}
			if len(c.fake.executed) != c.statements {
				t.Errorf("%d statements sent, want %d", len(c.fake.executed), c.statements)
			}
			for _, input := range c.fake.executed {
				if input["resourceArn"] != exampleClusterARN || input["secretArn"] != exampleSecretARN || input["database"] != "main" {
					t.Errorf("statement sent with resourceArn %v, secretArn %v, database %v; want the stage's parameters and main", input["resourceArn"], input["secretArn"], input["database"])
				}
			}
		})
	}
}

// consumerCommand is the compiled consumer example with the environment a
// consumer sets to reach AWS at endpoint (AWS_ENDPOINT_URL), and none of
// the developer's profiles or instance metadata.
func consumerCommand(t *testing.T, endpoint string, env ...string) *exec.Cmd {
	t.Helper()
	command := exec.Command(goBinary(t, "./examples/consumer"))
	home := t.TempDir()
	command.Env = append([]string{
		"HOME=" + home,
		"AWS_CONFIG_FILE=" + home + "/config",
		"AWS_SHARED_CREDENTIALS_FILE=" + home + "/credentials",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_REGION=us-east-1",
		"AWS_ENDPOINT_URL=" + endpoint,
	}, env...)
	return command
}
