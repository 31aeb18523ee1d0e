// Package savedplan keeps a reviewed Terraform plan with what applying it
// needs, and applies exactly that plan: what a reviewer (or production's
// approver) read is what reaches AWS, as Atlantis and HCP Terraform
// guarantee. A saved plan is a folder:
//
//	saved-plan.json           the manifest: stage, account, region, commit,
//	                          when it was planned, the state it was planned
//	                          against, the review's verdict, every file's sum
//	plan.tfplan               terraform's saved plan
//	stack/cdk.tf.json         the synthesized stack it was planned from
//	stack/.terraform.lock.hcl the providers it was planned with
//	review.txt, review.md     the review, as a terminal and a pull request
//	                          show it
//
// Nothing in it holds a password or a secret value: the master password is
// an ephemeral value sent through write-only arguments, so neither the
// plan, its copy of the state nor the configuration ever holds it
// (docs/review.md).
package savedplan

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// The folder's files.
const (
	ManifestName   = "saved-plan.json"
	PlanName       = "plan.tfplan"
	StackDir       = "stack"
	ReviewText     = "review.txt"
	ReviewMarkdown = "review.md"
)

// stackFiles are what terraform init needs of the synthesized stack: the
// configuration (its backend and providers) and the providers' lock.
var stackFiles = []string{"cdk.tf.json", ".terraform.lock.hcl"}

// format is the manifest's version: an apply refuses a folder of another.
const format = 1

// Manifest says what a saved plan was made for and from.
type Manifest struct {
	Format int `json:"format"`
	// Stage, Account and Region are the stage planned, the account the
	// plan's credentials reached and the stage's region.
	Stage   string `json:"stage"`
	Account string `json:"account"`
	Region  string `json:"region"`
	// Commit is the revision of the repository the stage was synthesized
	// from ("-dirty" when it had uncommitted changes).
	Commit    string    `json:"commit"`
	PlannedAt time.Time `json:"planned_at"`
	// State is the state the plan was made against: terraform applies it
	// only to that state.
	State State `json:"state"`
	// ReviewExitStatus is the review's: 0 nothing flagged or risks
	// accepted, 2 risks flagged; Risks counts them.
	ReviewExitStatus int `json:"review_exit_status"`
	Risks            int `json:"risks"`
	// Files are the SHA-256 sums of the folder's other files, by their
	// path in it.
	Files map[string]string `json:"files"`
}

// State identifies one version of a stage's state: terraform numbers each
// write (serial) of one state's history (lineage).
type State struct {
	Lineage string `json:"lineage"`
	Serial  uint64 `json:"serial"`
}

func (s State) String() string {
	if s.Lineage == "" {
		return "no state yet"
	}
	return fmt.Sprintf("serial %d of lineage %s", s.Serial, s.Lineage)
}

// PlanState reads from a saved plan the state it was made against: the
// copy of the prior state terraform keeps in the plan file (a zip archive)
// and compares with the current state before it applies.
func PlanState(planFile string) (State, error) {
	archive, err := zip.OpenReader(planFile)
	if err != nil {
		return State{}, fmt.Errorf("%s is not a terraform plan file: %w", planFile, err)
	}
	defer archive.Close()
	file, err := archive.Open("tfstate")
	if err != nil {
		return State{}, fmt.Errorf("%s holds no state (tfstate): %w", planFile, err)
	}
	defer file.Close()
	data, err := io.ReadAll(file)
	if err != nil {
		return State{}, err
	}
	return ParseState(data)
}

// ParseState reads the lineage and serial of a state file, as `terraform
// state pull` prints it; an empty one (a stage never deployed) is the zero
// State.
func ParseState(data []byte) (State, error) {
	var state State
	if len(data) == 0 {
		return state, nil
	}
	if err := json.Unmarshal(data, &state); err != nil {
		return state, fmt.Errorf("not a terraform state: %w", err)
	}
	return state, nil
}

// Review is the review of a plan, as Save keeps it.
type Review struct {
	Text, Markdown string
	ExitStatus     int
	Risks          int
}

// Save keeps in dir (created, or emptied of a previous saved plan) the
// plan file planFile, the stack folder stackDir it was planned in, and its
// review. m says what it was made for; Save fills in its files, its state
// and its format.
func Save(dir, stackDir, planFile string, m Manifest, review Review) error {
	if err := prepare(dir); err != nil {
		return err
	}
	state, err := PlanState(planFile)
	if err != nil {
		return err
	}
	m.Format, m.State, m.Files = format, state, map[string]string{}
	m.ReviewExitStatus, m.Risks = review.ExitStatus, review.Risks
	copies := map[string]string{PlanName: planFile}
	for _, name := range stackFiles {
		copies[filepath.Join(StackDir, name)] = filepath.Join(stackDir, name)
	}
	for to, from := range copies {
		data, err := os.ReadFile(from)
		if err != nil {
			return err
		}
		if err := m.write(dir, to, data); err != nil {
			return err
		}
	}
	if err := m.write(dir, ReviewText, []byte(review.Text)); err != nil {
		return err
	}
	if err := m.write(dir, ReviewMarkdown, []byte(review.Markdown)); err != nil {
		return err
	}
	manifest, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ManifestName), append(manifest, '\n'), 0o644)
}

// prepare makes dir ready for a saved plan: created if missing, emptied
// if it holds one already; any other folder with files in it is refused,
// so a mistyped path never overwrites something else.
func prepare(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return os.MkdirAll(dir, 0o755)
	case err != nil:
		return err
	case len(entries) == 0:
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, ManifestName)); err != nil {
		return fmt.Errorf("%s has files in it and is not a saved plan (no %s): name a new folder, or an earlier saved plan's, to replace it", dir, ManifestName)
	}
	for _, entry := range entries {
		if err := os.RemoveAll(filepath.Join(dir, entry.Name())); err != nil {
			return err
		}
	}
	return nil
}

// write writes one file of the folder and records its sum.
func (m *Manifest) write(dir, name string, data []byte) error {
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	m.Files[filepath.ToSlash(name)] = sum(data)
	return os.WriteFile(path, data, 0o644)
}

func sum(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// Saved is a saved plan, read back and checked whole.
type Saved struct {
	Dir      string
	Manifest Manifest
}

// notSaved is how every refusal of a folder ends: what to do instead.
const notSaved = "save a plan with make review STAGE=<stage> ARGS=\"--save <folder>\" (go run ./cmd/review --stage <stage> --save <folder>) and apply that folder"

// Open reads the saved plan in dir and checks that it is whole: the
// manifest of this format, and every file it lists there with the sum
// it had when the plan was saved.
func Open(dir string) (*Saved, error) {
	data, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return nil, fmt.Errorf("%s is not a saved plan: it has no %s (%v); %s", dir, ManifestName, errors.Unwrap(err), notSaved)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s is not a saved plan: %s is not its manifest (%v); %s", dir, ManifestName, err, notSaved)
	}
	if m.Format != format {
		return nil, fmt.Errorf("%s is a saved plan of format %d, this apply reads format %d: plan it again with this revision; %s", dir, m.Format, format, notSaved)
	}
	want := []string{PlanName, ReviewText, ReviewMarkdown}
	for _, name := range stackFiles {
		want = append(want, StackDir+"/"+name)
	}
	for _, name := range want {
		expected, listed := m.Files[name]
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		switch {
		case !listed:
			return nil, fmt.Errorf("%s is not a saved plan: its manifest lists no %s; %s", dir, name, notSaved)
		case err != nil:
			return nil, fmt.Errorf("%s is not a whole saved plan: %s is missing (%v); copy the whole folder, or %s", dir, name, errors.Unwrap(err), notSaved)
		case sum(data) != expected:
			return nil, fmt.Errorf("%s is not the plan that was reviewed: %s changed since it was saved; %s", dir, name, notSaved)
		}
	}
	if state, err := PlanState(filepath.Join(dir, PlanName)); err != nil || state != m.State {
		return nil, fmt.Errorf("%s is not a saved plan: its plan file's state (%v, %v) is not the manifest's (%v); %s", dir, state, err, m.State, notSaved)
	}
	if extra := slices.DeleteFunc(mapKeys(m.Files), func(name string) bool { return slices.Contains(want, name) }); len(extra) > 0 {
		return nil, fmt.Errorf("%s is not a saved plan of this revision: its manifest lists %v besides its files; %s", dir, extra, notSaved)
	}
	return &Saved{Dir: dir, Manifest: m}, nil
}

func mapKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for key := range m {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	return keys
}
