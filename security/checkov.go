package security

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// Result is Checkov's verdict of one check on one resource of one stack.
type Result struct {
	Stack string
	Check string
	// Name is the check's title, e.g. "Ensure RDS clusters have deletion protection enabled".
	Name string
	// Resource is the Terraform address: "aws_rds_cluster.cluster", or
	// "data.aws_iam_policy_document.key_policy" for a data source.
	Resource string
	Passed   bool
}

// Scan is what one Checkov run over the synthesized stacks found.
type Scan struct {
	Version string
	// Stacks are the stacks Checkov reported on, sorted.
	Stacks  []string
	Results []Result
}

type checkovRecord struct {
	CheckID   string `json:"check_id"`
	CheckName string `json:"check_name"`
	FilePath  string `json:"file_path"`
	Resource  string `json:"resource"`
}

type checkovOutput struct {
	Results struct {
		Passed  []checkovRecord `json:"passed_checks"`
		Failed  []checkovRecord `json:"failed_checks"`
		Skipped []checkovRecord `json:"skipped_checks"`
	} `json:"results"`
	Summary struct {
		ParsingErrors int    `json:"parsing_errors"`
		Version       string `json:"checkov_version"`
	} `json:"summary"`
}

// RunCheckov scans every stack under stacksDir (cdktf.out/stacks) with the
// checkov executable named by command (a wrapper such as "unshare -n" may
// come first). The scan needs no network: Checkov's own policies only, no
// platform download, no check-ID mapping lookup.
func RunCheckov(command []string, stacksDir string) (*Scan, error) {
	args := append(command[1:len(command):len(command)],
		"--directory", stacksDir,
		"--framework", "terraform_json",
		"--output", "json",
		"--soft-fail", // the verdict is ours, after the skips
		"--skip-download",
	)
	cmd := exec.Command(command[0], args...)
	// BC_SKIP_MAPPING: do not fetch the Bridgecrew-to-Checkov ID mapping.
	cmd.Env = append(os.Environ(), "BC_SKIP_MAPPING=TRUE")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: %v\n%s", strings.Join(command, " "), err, stderr.String())
	}
	return parseCheckov(stdout.Bytes(), stacksDir)
}

func parseCheckov(data []byte, stacksDir string) (*Scan, error) {
	var out checkovOutput
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("reading Checkov's JSON report: %v", err)
	}
	if out.Summary.ParsingErrors > 0 {
		return nil, fmt.Errorf("Checkov could not parse %d of the synthesized files", out.Summary.ParsingErrors)
	}
	// terraform_json ignores checkov:skip comments, so a skip can only come
	// from somewhere this project does not control.
	if len(out.Results.Skipped) > 0 {
		return nil, fmt.Errorf("Checkov skipped %s on its own; skips belong in %s", out.Results.Skipped[0].CheckID, PolicyFile)
	}
	scan := &Scan{Version: out.Summary.Version}
	addresses := map[string]*stackAddresses{}
	stacks := map[string]bool{}
	for _, group := range []struct {
		records []checkovRecord
		passed  bool
	}{{out.Results.Passed, true}, {out.Results.Failed, false}} {
		for _, r := range group.records {
			stack := strings.SplitN(strings.TrimPrefix(filepath.ToSlash(r.FilePath), "/"), "/", 2)[0]
			if addresses[stack] == nil {
				a, err := readAddresses(filepath.Join(stacksDir, stack, "cdk.tf.json"))
				if err != nil {
					return nil, err
				}
				addresses[stack] = a
			}
			resource, err := addresses[stack].resolve(r.Resource)
			if err != nil {
				return nil, fmt.Errorf("stack %s, %s: %v", stack, r.CheckID, err)
			}
			stacks[stack] = true
			scan.Results = append(scan.Results, Result{Stack: stack, Check: r.CheckID, Name: r.CheckName, Resource: resource, Passed: group.passed})
		}
	}
	scan.Stacks = slices.Sorted(maps.Keys(stacks))
	sort.SliceStable(scan.Results, func(i, j int) bool {
		a, b := scan.Results[i], scan.Results[j]
		if a.Resource != b.Resource {
			return a.Resource < b.Resource
		}
		return a.Check < b.Check
	})
	return scan, nil
}

// stackAddresses maps each resource and data source name of a stack to its
// type. Checkov's terraform_json runner names a resource "resource.<name>"
// (and a data source "data.<name>"), without its type; its graph checks
// give the full address.
type stackAddresses struct {
	types map[string]map[string][]string // "resource" or "data" -> name -> types
}

func readAddresses(path string) (*stackAddresses, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var blocks struct {
		Resource map[string]map[string]json.RawMessage `json:"resource"`
		Data     map[string]map[string]json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(data, &blocks); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	a := &stackAddresses{types: map[string]map[string][]string{"resource": {}, "data": {}}}
	for kind, byType := range map[string]map[string]map[string]json.RawMessage{"resource": blocks.Resource, "data": blocks.Data} {
		for typ, byName := range byType {
			for name := range byName {
				a.types[kind][name] = append(a.types[kind][name], typ)
			}
		}
	}
	return a, nil
}

func (a *stackAddresses) resolve(resource string) (string, error) {
	parts := strings.Split(resource, ".")
	switch {
	case len(parts) == 2 && (parts[0] == "resource" || parts[0] == "data"):
		types := a.types[parts[0]][parts[1]]
		if len(types) != 1 {
			return "", fmt.Errorf("%s names %d %s blocks; give each construct a name unique in its stack", resource, len(types), parts[0])
		}
		if parts[0] == "data" {
			return "data." + types[0] + "." + parts[1], nil
		}
		return types[0] + "." + parts[1], nil
	case len(parts) == 2 || (len(parts) == 3 && parts[0] == "data"):
		return resource, nil
	}
	return "", fmt.Errorf("unexpected resource address %q", resource)
}
