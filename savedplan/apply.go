package savedplan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"aurora-stages/internal/tfrun"
)

// Target is what an apply's credentials reach: the stage asked for, the
// account they are of and the stage's region as its settings say today.
type Target struct {
	Stage, Account, Region string
}

// Check refuses a plan made for another stage, account or region than
// target: applied there, it would change what nobody reviewed.
func (s *Saved) Check(target Target) error {
	m := s.Manifest
	var problems []string
	if m.Stage != target.Stage {
		problems = append(problems, fmt.Sprintf("it was made for stage %s, not %s", m.Stage, target.Stage))
	}
	if m.Account != target.Account {
		problems = append(problems, fmt.Sprintf("it was made in account %s, and these credentials reach account %s", m.Account, target.Account))
	}
	if m.Region != target.Region {
		problems = append(problems, fmt.Sprintf("it was made for region %s, and stage %s is in %s now", m.Region, target.Stage, target.Region))
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("the plan in %s is not for stage %s in account %s, %s: %s. Nothing was applied; plan the stage with the credentials you deploy it with: make review STAGE=%s ARGS=\"--save <folder>\", then make apply STAGE=%s PLAN=<folder>",
		s.Dir, target.Stage, target.Account, target.Region, strings.Join(problems, "; "), target.Stage, target.Stage)
}

// ErrStale says the stage's state moved since the plan was made: another
// deploy (or a rotation, or someone's apply) wrote it, so the plan's
// changes are computed against what no longer is.
var ErrStale = errors.New("the saved plan is stale")

// staleMessage is terraform's own refusal, for a state that moves between
// the check and the apply.
const staleMessage = "Saved plan is stale"

// Apply initializes the saved stack's folder (its backend and the
// providers of its lock file, which it may not change), refuses the plan
// if the stage's state moved since it was made, and applies it: exactly the
// saved plan, no new one. terraform's output goes to out.
func (s *Saved) Apply(ctx context.Context, tf tfrun.Runner, out io.Writer) error {
	dir, err := filepath.Abs(filepath.Join(s.Dir, StackDir))
	if err != nil {
		return err
	}
	terraform := func(out io.Writer, args ...string) error {
		if err := tf.Run(ctx, dir, out, out, args...); err != nil {
			return fmt.Errorf("terraform %s: %w", args[0], err)
		}
		return nil
	}
	fmt.Fprintln(out, "apply: terraform init (the backend and the providers of the saved lock file)...")
	if err := terraform(out, "init", "-input=false", "-no-color", "-lockfile=readonly"); err != nil {
		return err
	}
	var pulled bytes.Buffer
	if err := terraform(&pulled, "state", "pull"); err != nil {
		return fmt.Errorf("reading the stage's state: %w\n%s", err, pulled.String())
	}
	now, err := ParseState(pulled.Bytes())
	if err != nil {
		return fmt.Errorf("reading the stage's state: %w", err)
	}
	if now != s.Manifest.State {
		return s.stale(now.String())
	}
	fmt.Fprintf(out, "apply: the state is the one planned against (%s); applying the saved plan...\n", now)
	var applied bytes.Buffer
	err = terraform(io.MultiWriter(out, &applied), "apply", "-input=false", "-no-color", filepath.Join(dir, "..", PlanName))
	if err != nil && strings.Contains(applied.String(), staleMessage) {
		return s.stale("changed while the apply started")
	}
	return err
}

// stale says, in the project's words, why a plan is refused and what to do.
func (s *Saved) stale(now string) error {
	m := s.Manifest
	return fmt.Errorf("%w: stage %s's state moved since the plan was made at %s (it was planned against %s; now %s). "+
		"Something was deployed since, so this plan's changes are computed against what no longer is, and nothing was applied. "+
		"Review the stage again and apply the new plan: make review STAGE=%s ARGS=\"--save <folder>\", then make apply STAGE=%s PLAN=<folder> (in CI, rerun the deploy workflow)",
		ErrStale, m.Stage, m.PlannedAt.UTC().Format("2006-01-02 15:04:05 MST"), m.State, now, m.Stage, m.Stage)
}

// Describe is the line that heads a saved plan's review, and an apply's
// output: what the plan was made for, from what and when.
func (m Manifest) Describe() string {
	return fmt.Sprintf("Saved plan of stage %s (account %s, region %s), planned at %s from commit %s against the state's %s.",
		m.Stage, m.Account, m.Region, m.PlannedAt.UTC().Format("2006-01-02 15:04:05 MST"), m.Commit, m.State)
}

// ReviewText is the saved review, as a terminal shows it.
func (s *Saved) ReviewText() (string, error) {
	data, err := os.ReadFile(filepath.Join(s.Dir, ReviewText))
	return string(data), err
}
