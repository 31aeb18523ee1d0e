package security

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"aurora-stages/settings"
)

// Finding is a failed check with the policy entry that allows it.
type Finding struct {
	Result
	Skip       *Skip
	Relaxation *Relaxation
}

// StackReport is the verdict on one stack.
type StackReport struct {
	Stack string
	// Profile is the stage's profile; empty for the bootstrap stack.
	Profile string
	Passed  []Result
	// Skipped failed a check the policy skips for that resource.
	Skipped []Finding
	// Relaxed failed a check the policy relaxes for the stage's profile.
	Relaxed []Finding
	// Failed is everything else that failed: each one fails the scan.
	Failed []Result
}

// Report is the verdict on every scanned stack.
type Report struct {
	Version string
	Stacks  []StackReport
	// Missing are stacks that were synthesized but that Checkov reported
	// nothing on: a scan that looked at nothing must not pass.
	Missing []string
	// UnusedSkips matched no failed check in any stack: a fixed finding
	// whose skip should go, or a skip that only applies to other settings.
	UnusedSkips []Skip
}

// Evaluate applies the policy to a scan. profiles maps each synthesized
// stack to its stage's profile ("" for bootstrap).
func Evaluate(scan *Scan, profiles map[string]string, policy *Policy) *Report {
	report := &Report{Version: scan.Version}
	used := map[*Skip]bool{}
	for _, stack := range slices.Sorted(maps.Keys(profiles)) {
		if !slices.Contains(scan.Stacks, stack) {
			report.Missing = append(report.Missing, stack)
			continue
		}
		sr := StackReport{Stack: stack, Profile: profiles[stack]}
		for _, r := range scan.Results {
			if r.Stack != stack {
				continue
			}
			if r.Passed {
				sr.Passed = append(sr.Passed, r)
			} else if skip := policy.skipFor(r.Check, r.Resource); skip != nil {
				used[skip] = true
				sr.Skipped = append(sr.Skipped, Finding{Result: r, Skip: skip})
			} else if relaxation := policy.relaxationFor(sr.Profile, r.Check, r.Resource); relaxation != nil {
				sr.Relaxed = append(sr.Relaxed, Finding{Result: r, Relaxation: relaxation})
			} else {
				sr.Failed = append(sr.Failed, r)
			}
		}
		report.Stacks = append(report.Stacks, sr)
	}
	for i := range policy.Skips {
		if !used[&policy.Skips[i]] {
			report.UnusedSkips = append(report.UnusedSkips, policy.Skips[i])
		}
	}
	return report
}

// OK is true when no check failed outside the policy and every stack was scanned.
func (r *Report) OK() bool {
	if len(r.Missing) > 0 {
		return false
	}
	for _, s := range r.Stacks {
		if len(s.Failed) > 0 {
			return false
		}
	}
	return true
}

// Stack returns the report of one stack, or nil.
func (r *Report) Stack(name string) *StackReport {
	for i := range r.Stacks {
		if r.Stacks[i].Stack == name {
			return &r.Stacks[i]
		}
	}
	return nil
}

// WriteText prints the verdict: per stack the counts and what was skipped or
// relaxed, then every failed check, then the overall result.
func (r *Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "Checkov %s; skips and relaxations with their reasons: %s\n", r.Version, PolicyFile)
	for _, s := range r.Stacks {
		title := s.Stack
		if s.Profile != "" {
			title += " (profile " + s.Profile + ")"
		}
		failed := fmt.Sprintf("%d failed", len(s.Failed)+len(s.Relaxed))
		if len(s.Relaxed) > 0 {
			failed += fmt.Sprintf(" (%d relaxed in the %s profile)", len(s.Relaxed), s.Profile)
		}
		fmt.Fprintf(w, "\n%s: %d passed, %s, %d skipped\n", title, len(s.Passed), failed, len(s.Skipped))
		for _, f := range s.Skipped {
			fmt.Fprintf(w, "  skipped  %-12s %s\n", f.Check, f.Resource)
		}
		for _, f := range s.Relaxed {
			fmt.Fprintf(w, "  relaxed  %-12s %s (%s)\n", f.Check, f.Resource, f.Relaxation.Setting)
		}
		for _, f := range s.Failed {
			fmt.Fprintf(w, "  FAILED   %-12s %s: %s\n", f.Check, f.Resource, f.Name)
		}
	}
	for _, stack := range r.Missing {
		fmt.Fprintf(w, "\n%s: Checkov reported no checks for this stack\n", stack)
	}
	if len(r.UnusedSkips) > 0 {
		fmt.Fprintln(w, "\nSkips that matched no failed check (remove them if the finding is fixed):")
		for _, s := range r.UnusedSkips {
			fmt.Fprintf(w, "  %-12s %s\n", s.Check, s.Resource)
		}
	}
	if r.OK() {
		fmt.Fprintln(w, "\nResult: pass")
		return
	}
	var failed []string
	for _, s := range r.Stacks {
		if len(s.Failed) > 0 {
			failed = append(failed, fmt.Sprintf("%s (%d)", s.Stack, len(s.Failed)))
		}
	}
	failed = append(failed, r.Missing...)
	fmt.Fprintf(w, "\nResult: FAIL: %s; fix the stack, or add a skip with its reason to %s\n", strings.Join(failed, ", "), PolicyFile)
}

// Profiles maps each stack of a resolved configuration to its profile, the
// bootstrap stack to "".
func Profiles(resolved *settings.Stacks) map[string]string {
	profiles := map[string]string{}
	if resolved.Bootstrap != nil {
		profiles[settings.BootstrapStack] = ""
	}
	for _, stage := range resolved.Stages {
		profiles[stage.Stage] = stage.Profile
	}
	return profiles
}
