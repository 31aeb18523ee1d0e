// Package security runs the Checkov policy scanner over the synthesized
// stacks and holds it to this project's baseline: every check passes, or is
// skipped for one resource with a written reason, or (on dev-profile stages
// only) fails as a relaxation docs/security.md lists.
package security

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// PolicyFile is the checked-in list of skips and relaxations.
const PolicyFile = "security/checkov-skips.json"

// CheckovExecutable is where scripts/python-tool.sh installs the pinned Checkov.
const CheckovExecutable = ".local/checkov/bin/checkov"

// MinReasonLength rejects placeholders such as "n/a" or "false positive":
// a reason must tell a security reviewer why the check does not fit.
const MinReasonLength = 40

// Skip exempts one resource from one check in every stack, for a reason
// that holds whatever the stage's settings.
type Skip struct {
	Check    string `json:"check"`
	Resource string `json:"resource"`
	Reason   string `json:"reason"`
}

// Relaxation lets one check fail on one resource in stages of one profile,
// because the setting behind it is relaxed there on purpose.
type Relaxation struct {
	Profile  string `json:"profile"`
	Check    string `json:"check"`
	Resource string `json:"resource"`
	Setting  string `json:"setting"`
	Reason   string `json:"reason"`
}

// Policy is the content of PolicyFile.
type Policy struct {
	Skips       []Skip       `json:"skips"`
	Relaxations []Relaxation `json:"relaxations"`
}

// LoadPolicy reads a policy file and rejects it unless every entry names a
// check and a resource and gives a reason.
func LoadPolicy(path string) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParsePolicy(path, data)
}

// ParsePolicy is LoadPolicy for data already read; name is used in errors.
func ParsePolicy(name string, data []byte) (*Policy, error) {
	var policy Policy
	decoder := json.NewDecoder(bytes.NewReader(data))
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(&policy); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var problems []string
	seen := map[string]bool{}
	entry := func(kind string, i int, fields map[string]string, reason string) {
		label := fmt.Sprintf("%s %d (%s on %s)", kind, i+1, fields["check"], fields["resource"])
		for _, field := range []string{"check", "resource", "profile", "setting"} {
			if value, wanted := fields[field]; wanted && strings.TrimSpace(value) == "" {
				problems = append(problems, fmt.Sprintf("%s: %s is missing", label, field))
			}
		}
		if r := strings.TrimSpace(reason); len(r) < MinReasonLength {
			problems = append(problems, fmt.Sprintf("%s: reason %q: must say, in at least %d characters, why the check does not fit this resource", label, r, MinReasonLength))
		}
		key := kind + "|" + fields["profile"] + "|" + fields["check"] + "|" + fields["resource"]
		if seen[key] {
			problems = append(problems, label+": listed twice")
		}
		seen[key] = true
	}
	for i, s := range policy.Skips {
		entry("skip", i, map[string]string{"check": s.Check, "resource": s.Resource}, s.Reason)
	}
	for i, r := range policy.Relaxations {
		entry("relaxation", i, map[string]string{"check": r.Check, "resource": r.Resource, "profile": r.Profile, "setting": r.Setting}, r.Reason)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s:\n  - %s", name, strings.Join(problems, "\n  - "))
	}
	return &policy, nil
}

func (p *Policy) skipFor(check, resource string) *Skip {
	for i, s := range p.Skips {
		if s.Check == check && s.Resource == resource {
			return &p.Skips[i]
		}
	}
	return nil
}

func (p *Policy) relaxationFor(profile, check, resource string) *Relaxation {
	for i, r := range p.Relaxations {
		if r.Profile == profile && r.Check == check && r.Resource == resource {
			return &p.Relaxations[i]
		}
	}
	return nil
}
