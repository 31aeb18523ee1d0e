package tests

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"aurora-stages/internal/outputsdoc"
	"aurora-stages/settings"
)

// docs/settings.md is generated (go generate ./...); like terraform-docs'
// check of a module's README, the test fails when it is stale.
func TestSettingsDocIsCurrent(t *testing.T) {
	want, err := settings.Reference(filepath.Join(repoRootPath, "settings"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(repoRootPath, "docs", "settings.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("docs/settings.md is stale: run `go generate ./...` (-checked in +generated):\n%s", lineDiff(string(got), string(want)))
	}
}

// The reference reads the settings' doc comments from the sources, and the
// defaults from the profiles: a comment edited there is what the document
// says, and a setting without one stops the generator.
func TestSettingsDocComesFromTheDocComments(t *testing.T) {
	dir := t.TempDir()
	sources, _ := filepath.Glob(filepath.Join(repoRootPath, "settings", "*.go"))
	for _, source := range sources {
		data, err := os.ReadFile(source)
		if err != nil {
			t.Fatal(err)
		}
		data = bytes.Replace(data, []byte("// BackupRetentionDays is how long automated backups are kept."), []byte("// BackupRetentionDays keeps backups | for a while."), 1)
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(source)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	doc, err := settings.Reference(dir)
	if err != nil {
		t.Fatal(err)
	}
	row := "| `backupRetentionDays` | whole number | `1` | `30` | `backupRetentionDays` keeps backups \\| for a while. Allowed: 1 to 35. |"
	if !strings.Contains(string(doc), row+"\n") {
		t.Errorf("the reference has no row\n%s\nfor the edited comment", row)
	}

	config := filepath.Join(dir, "stage_config.go")
	data, _ := os.ReadFile(config)
	data = bytes.Replace(data, []byte("\t// DeletionProtection makes AWS refuse to delete the cluster.\n"), nil, 1)
	if err := os.WriteFile(config, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := settings.Reference(dir); err == nil || err.Error() != "setting deletionProtection has no doc comment" {
		t.Errorf("a setting without a doc comment: %v, want \"setting deletionProtection has no doc comment\"", err)
	}
}

// markdownLink is a relative link: [text](path#anchor).
var markdownLink = regexp.MustCompile(`\]\(([^)#:\s]*)(?:#([^)\s]+))?\)`)

// The README links to every document under docs/, and every relative link
// of the README and the documents reaches a file and, with an anchor, one
// of its headings (GitHub's anchors: lower case, spaces as hyphens,
// punctuation dropped).
func TestDocumentLinksResolve(t *testing.T) {
	documents, _ := filepath.Glob(filepath.Join(repoRootPath, "docs", "*.md"))
	readme := filepath.Join(repoRootPath, "README.md")
	linked := map[string]bool{}
	for _, from := range append(documents, readme) {
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range markdownLink.FindAllStringSubmatch(string(data), -1) {
			target := from
			if m[1] != "" {
				target = filepath.Join(filepath.Dir(from), m[1])
			}
			if from == readme {
				linked[target] = true
			}
			content, err := os.ReadFile(target)
			if err != nil {
				t.Errorf("%s links to %s, which does not exist", rel(from), m[1])
				continue
			}
			if m[2] != "" && !slices.Contains(headingAnchors(string(content)), m[2]) {
				t.Errorf("%s links to %s#%s: %s has no such heading", rel(from), m[1], m[2], rel(target))
			}
		}
	}
	for _, document := range documents {
		if !linked[document] {
			t.Errorf("README.md does not link to %s", rel(document))
		}
	}
}

func headingAnchors(markdown string) []string {
	var anchors []string
	for _, line := range strings.Split(markdown, "\n") {
		if heading, ok := strings.CutPrefix(strings.TrimLeft(line, "#"), " "); ok && strings.HasPrefix(line, "#") {
			anchor := strings.Map(func(r rune) rune {
				switch {
				case r == ' ' || r == '-':
					return '-'
				case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_':
					return unicode.ToLower(r)
				}
				return -1
			}, heading)
			anchors = append(anchors, anchor)
		}
	}
	return anchors
}

func rel(path string) string {
	if r, err := filepath.Rel(repoRootPath, path); err == nil {
		return r
	}
	return path
}

// reviewExamples are docs/review.md's examples of the review, each a code
// block that starts with "$ go run ./cmd/review ...": the command line,
// and the output shown under it.
func reviewExamples(t *testing.T) map[string]string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join(repoRootPath, "docs", "review.md"))
	if err != nil {
		t.Fatal(err)
	}
	examples := map[string]string{}
	for _, block := range strings.Split(string(doc), "```\n$ ")[1:] {
		command, output, _ := strings.Cut(block, "\n")
		if strings.HasPrefix(command, "go run ./cmd/review ") {
			examples[command] = output[:strings.Index(output, "```\n")]
		}
	}
	return examples
}

// Every example of the review in docs/review.md is what the command
// prints now, word for word: a change to the review's output updates the
// docs with it.
func TestReviewExamplesAreCurrent(t *testing.T) {
	examples := reviewExamples(t)
	if len(examples) == 0 {
		t.Fatal("docs/review.md has no example of the review")
	}
	for command, example := range examples {
		// 2 is risks flagged, which an example may show.
		code, stdout, stderr := runCommandLine(t, goBinary(t, "./cmd/review"), strings.Fields(command)[3:]...)
		if code != 0 && code != 2 {
			t.Fatalf("%s: exit %d\n%s", command, code, stderr)
		}
		if example != stdout {
			t.Errorf("docs/review.md's example of %q differs from what the review prints; it prints:\n%s", command, stdout)
		}
	}
}

// docs/stack.md's table of outputs is generated (go generate ./...) from
// the synthesized stacks' outputs and descriptions, as docs/settings.md is
// from the settings' doc comments: it fails here when it is stale, and the
// generator refuses an output without a description.
func TestOutputsDocIsCurrent(t *testing.T) {
	synthesized, err := outputsdoc.Read("testdata")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(repoRootPath, "docs", "stack.md")
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := outputsdoc.Render(got, synthesized)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("docs/stack.md's outputs are stale: run `go generate ./...` (-checked in +generated):\n%s", lineDiff(string(got), string(want)))
	}
	for _, name := range []string{"state_bucket", "state_bucket_arn", "cluster_arn", "kms_key_arn"} {
		if !bytes.Contains(got, []byte("| `"+name+"` |")) {
			t.Errorf("docs/stack.md lists no output %s", name)
		}
	}
	if _, err := outputsdoc.Table([]outputsdoc.Stack{{Name: "dev", JSON: []byte(`{"output": {"cluster_arn": {"value": "x"}}}`)}}); err == nil || !strings.Contains(err.Error(), "output cluster_arn has no description") {
		t.Errorf("an output without a description: %v, want it refused", err)
	}
}
