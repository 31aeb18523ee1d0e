// Package localaws runs the moto AWS emulator for the life-cycle tests and
// reads what a deploy left in it with the AWS SDK, not through terraform.
// It lives outside __tests__/ so that `go mod tidy`, which skips folders
// starting with "_", keeps the SDK modules it needs.
package localaws

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"aurora-stages/internal/localfront"
	"aurora-stages/internal/testcpu"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rdsdata"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// Emulator is one moto server on a loopback port, behind the emulator's
// front (internal/localfront).
type Emulator struct {
	// Endpoint is the URL every service answers on, for DB_LOCAL_ENDPOINT:
	// the front, which keeps the calls sent through it (QueryCalls,
	// STSCalls) and answers the Data API with real SQL.
	Endpoint string
	config   aws.Config
	front    *localfront.Front
	// moto is moto's own address, behind the front.
	moto string
}

// Start starts a fresh moto server from the project's virtual environment
// (.local/venv, which `make test` installs through scripts/local-aws.sh) on
// a free loopback port, and stops it when the test ends: whatever the test
// deployed goes with it.
func Start(t testing.TB, repoRoot, region string) *Emulator {
	t.Helper()
	server := filepath.Join(repoRoot, ".local", "venv", "bin", "moto_server")
	if _, err := os.Stat(server); err != nil {
		t.Fatalf("moto is not installed (%v): run `sh scripts/local-aws.sh install`, which `make test` does", err)
	}
	port := freePort(t)
	cmd := exec.Command(server, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	// AWS managed policies (the Enhanced Monitoring role's) exist only when asked for.
	cmd.Env = append(os.Environ(), "MOTO_IAM_LOAD_MANAGED_POLICIES=true")
	logFile, err := os.Create(filepath.Join(t.TempDir(), "moto.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting moto: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		testcpu.Charge(t, cmd.ProcessState)
		logFile.Close()
	})

	moto := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(20 * time.Second)
	for {
		response, err := http.Get(moto + "/moto-api/")
		if err == nil {
			response.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto did not answer on %s within 20 s: %v (log: %s)", moto, err, logFile.Name())
		}
		time.Sleep(100 * time.Millisecond)
	}
	e := &Emulator{moto: moto}
	e.front, e.Endpoint = startFront(t, moto)
	// The tests' own calls go to moto directly: only the deploy's are recorded.
	e.config = aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(moto),
	}
	return e
}

func freePort(t testing.TB) int {
	listener := listen(t)
	defer listener.Close()
	return listener.Addr().(*net.TCPAddr).Port
}

func listen(t testing.TB) net.Listener {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return listener
}

// The SDK clients, pointed at the emulator.

func (e *Emulator) RDS() *rds.Client { return rds.NewFromConfig(e.config) }

func (e *Emulator) EC2() *ec2.Client { return ec2.NewFromConfig(e.config) }

func (e *Emulator) IAM() *iam.Client { return iam.NewFromConfig(e.config) }

// ConfigAs is the SDK configuration of the emulator's clients, signing with
// other keys: an IAM user's, once moto enforces IAM.
func (e *Emulator) ConfigAs(accessKey, secretKey string) aws.Config {
	config := e.config.Copy()
	config.Credentials = credentials.NewStaticCredentialsProvider(accessKey, secretKey, "")
	return config
}

// MotoAPI posts a body to one of moto's own endpoints (/moto-api/...),
// through the front, which follows IAM enforcement switched on.
func (e *Emulator) MotoAPI(t testing.TB, path, body string) {
	t.Helper()
	response, err := http.Post(e.Endpoint+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("moto %s: %v", path, err)
	}
	defer response.Body.Close()
	if response.StatusCode >= 300 {
		t.Fatalf("moto %s: %s", path, response.Status)
	}
}

func (e *Emulator) SecretsManager() *secretsmanager.Client {
	return secretsmanager.NewFromConfig(e.config)
}

func (e *Emulator) SSM() *ssm.Client { return ssm.NewFromConfig(e.config) }

func (e *Emulator) S3() *s3.Client {
	return s3.NewFromConfig(e.config, func(o *s3.Options) { o.UsePathStyle = true })
}

// Context is the context for SDK calls in tests.
func Context(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// FrontConfig is the SDK configuration of calls sent through the front, as
// a deploy's and a consumer's are: the front follows what they do to a
// cluster, and answers the Data API.
func (e *Emulator) FrontConfig() aws.Config {
	config := e.config.Copy()
	config.BaseEndpoint = aws.String(e.Endpoint)
	return config
}

// DataAPI is a Data API client of the emulator's front, as a consumer
// makes one: the front answers it with real SQL.
func (e *Emulator) DataAPI() *rdsdata.Client {
	return rdsdata.NewFromConfig(e.FrontConfig())
}
