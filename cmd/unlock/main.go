// Command unlock removes the state lock that an interrupted deploy left on
// a stage, after saying who held it, for what and since when.
//
//	go run ./cmd/unlock --stage dev            show the lock; remove it after a yes on a terminal
//	go run ./cmd/unlock --stage dev --force    show the lock and remove it
//
// Exit status: 0 no lock, or the lock removed (or the help, -h); 1 an
// error, or the lock kept; 2 a command line it does not take, said with the
// usage.
//
// Terraform keeps a stage's lock next to its state in the state bucket
// (use_lockfile): <state key>.tflock, holding Terraform's lock info. A
// deploy that is killed (SIGKILL, a CI job cancelled, a laptop closed)
// never deletes it, and every later deploy stops on "Error acquiring the
// state lock". Remove a lock only when its holder is certainly gone: two
// applies at once can corrupt the state.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"aurora-stages/internal/awsconfig"
	"aurora-stages/internal/cli"
	"aurora-stages/settings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/term"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, stdinIsTerminal))
}

// lockInfo is Terraform's lock record (statemgr.LockInfo), as it writes it
// to the lock file.
type lockInfo struct {
	ID        string    `json:"ID"`
	Operation string    `json:"Operation"`
	Info      string    `json:"Info"`
	Who       string    `json:"Who"`
	Version   string    `json:"Version"`
	Created   time.Time `json:"Created"`
	Path      string    `json:"Path"`
}

// about is the first line of the help: what the command does.
const about = "unlock shows the state lock an interrupted deploy left on a stage (who held it, for what, since when) and removes it, after a yes or with --force."

// synopsis is the command line it takes; the help and every usage error
// print it, then the flags.
const synopsis = "usage: go run ./cmd/unlock --stage <stage> [--force]"

var command = cli.Command{Name: "unlock", About: about, Synopsis: synopsis}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer, isTerminal func() bool) int {
	flags := command.Flags()
	stage := flags.String("stage", "", "the stage whose state lock to remove (required)")
	force := flags.Bool("force", false, "remove the lock without asking")
	oneStage := func() error {
		if *stage == "" || flags.NArg() > 0 {
			return errors.New("name one stage")
		}
		return nil
	}
	if code, done := command.Parse(flags, args, stdout, stderr, oneStage); done {
		return code
	}
	err := unlock(*stage, *force, stdin, stdout, isTerminal)
	if err != nil && !errors.Is(err, errKept) {
		fmt.Fprintln(stderr, "unlock:", err)
	}
	if err != nil {
		return 1
	}
	return 0
}

// errKept says the lock was shown but not removed.
var errKept = errors.New("the lock is still there")

func unlock(stage string, force bool, stdin io.Reader, stdout io.Writer, isTerminal func() bool) error {
	resolved, err := settings.LoadStage(stage, "the bootstrap stack keeps its state in a local file, without a lock in the bucket")
	if err != nil {
		return err
	}
	cfg := resolved.Stages[0]
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bucket, err := awsconfig.StateBucket(ctx, cfg.Account)
	if err != nil {
		return err
	}
	location := "s3://" + cfg.Account.StateBucket + "/" + cfg.LockKey()

	lock, found, err := readLock(ctx, bucket, cfg.Account.StateBucket, cfg.LockKey())
	if err != nil {
		return err
	}
	if !found {
		fmt.Fprintf(stdout, "Stage %s is not locked (no %s).\n", stage, location)
		return nil
	}
	fmt.Fprintf(stdout, "Stage %s is locked (%s):\n%s", stage, location, describe(lock, time.Now()))

	if !force {
		if !isTerminal() {
			fmt.Fprintf(stdout, "Not removed: make sure nobody is deploying stage %s, then rerun with --force.\n", stage)
			return errKept
		}
		fmt.Fprintf(stdout, "Remove it? Only if that %s is not running any more. [y/N] ", strings.ToLower(operationName(lock.Operation)))
		answer, _ := bufio.NewReader(stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			fmt.Fprintln(stdout, "Not removed.")
			return errKept
		}
	}

	// The lock read above is the one removed: if another run took a new
	// lock in the meantime, that one stays.
	current, found, err := readLock(ctx, bucket, cfg.Account.StateBucket, cfg.LockKey())
	if err != nil {
		return err
	}
	if !found {
		fmt.Fprintln(stdout, "The lock is gone already: its holder released it.")
		return nil
	}
	if current.ID != lock.ID {
		return fmt.Errorf("another run took the lock in the meantime (ID %s); not removed", current.ID)
	}
	if _, err := bucket.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(cfg.Account.StateBucket), Key: aws.String(cfg.LockKey())}); err != nil {
		return fmt.Errorf("removing %s: %w", location, err)
	}
	fmt.Fprintf(stdout, "Removed the lock %s. Next: plan again (cdktf diff %s, or make review STAGE=%s), then deploy.\n", lock.ID, stage, stage)
	return nil
}

// readLock reads the lock file, if there is one.
func readLock(ctx context.Context, bucket *s3.Client, name, key string) (lockInfo, bool, error) {
	var lock lockInfo
	out, err := bucket.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(name), Key: aws.String(key)})
	var missing *types.NoSuchKey
	if errors.As(err, &missing) {
		return lock, false, nil
	}
	if err != nil {
		return lock, false, fmt.Errorf("reading s3://%s/%s: %w", name, key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		return lock, false, fmt.Errorf("reading s3://%s/%s: %w", name, key, err)
	}
	if err := json.Unmarshal(data, &lock); err != nil || lock.ID == "" {
		return lock, false, fmt.Errorf("s3://%s/%s is not a Terraform lock file (%v): %.200s", name, key, err, data)
	}
	return lock, true, nil
}

// describe prints the lock for a person deciding whether its holder is gone.
func describe(lock lockInfo, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  held by    %s\n", lock.Who)
	fmt.Fprintf(&b, "  operation  %s\n", operationName(lock.Operation))
	fmt.Fprintf(&b, "  since      %s (%s ago)\n", lock.Created.UTC().Format(time.RFC3339), age(now.Sub(lock.Created)))
	fmt.Fprintf(&b, "  terraform  %s\n", lock.Version)
	fmt.Fprintf(&b, "  lock ID    %s\n", lock.ID)
	if lock.Info != "" {
		fmt.Fprintf(&b, "  info       %s\n", lock.Info)
	}
	return b.String()
}

// operationName turns Terraform's "OperationTypeApply" into "apply".
func operationName(operation string) string {
	if name := strings.TrimPrefix(operation, "OperationType"); name != "" {
		return strings.ToLower(name)
	}
	return "unknown operation"
}

// age rounds a duration the way a person reads it.
func age(d time.Duration) string {
	switch {
	case d < time.Hour:
		return d.Round(time.Second).String()
	case d < 48*time.Hour:
		return d.Round(time.Minute).String()
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

// stdinIsTerminal is true when a person can answer: /dev/null is a
// character device too, so ask the terminal driver.
func stdinIsTerminal() bool {
	return term.IsTerminal(int(os.Stdin.Fd()))
}
