package localdataapi

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// runBoto3 runs testdata/boto3_client.py, which checks the endpoint's core
// calls through boto3's rds-data client, with the project's Python (the
// .local/venv that `make test` installs for moto, which brings boto3).
func runBoto3(t *testing.T, endpoint string) {
	t.Helper()
	python, err := filepath.Abs(filepath.Join("..", "..", ".local", "venv", "bin", "python"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(python); err != nil {
		t.Fatalf("boto3 is not installed (%v): run `sh scripts/local-aws.sh install`, which `make test` does", err)
	}
	out, err := exec.Command(python, filepath.Join("testdata", "boto3_client.py"), endpoint, clusterARN, secretARN).CombinedOutput()
	if err != nil {
		t.Fatalf("boto3's checks failed (%v):\n%s", err, out)
	}
}
