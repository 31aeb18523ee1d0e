// Command settings-doc writes docs/settings.md, the reference of every
// setting, from the doc comments of the stacks package and its profiles:
//
//	go generate ./...    (runs: go run ../cmd/settings-doc -stacks . -o ../docs/settings.md in stacks/)
//
// A test fails when the checked-in file differs from what it would write.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/aws/jsii-runtime-go"

	"aurora-stages/stacks"
)

func main() {
	dir := flag.String("stacks", "stacks", "the folder of the stacks package's Go sources")
	out := flag.String("o", "docs/settings.md", "the file to write")
	flag.Parse()
	err := write(*dir, *out)
	// Importing stacks made jsii's client, which unpacked its runtime into
	// the temp directory; nothing started it. Closing removes that folder.
	jsii.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "settings-doc:", err)
		os.Exit(1)
	}
}

func write(dir, out string) error {
	doc, err := stacks.SettingsReference(dir)
	if err != nil {
		return err
	}
	return os.WriteFile(out, doc, 0o644)
}
