// Command prices regenerates the price table, internal/prices/prices.json,
// from AWS's public Price List offer files:
//
//	go run ./cmd/prices --regions us-east-1,eu-west-1 [--offers DIR|URL] [-o internal/prices/prices.json] [--changes FILE]
//
// --offers is where the offer files are, laid out as AWS serves them:
// <offers>/<offerCode>/current/<region>/index.json. The default is AWS's
// bulk API, https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws; a
// folder with the same layout (a copy of those files) works offline.
//
// Each price is matched by usage-type suffix and product attributes
// (rules.go); a price that matches no product, or more than one, fails
// the run, naming the price, the region and the candidates, and nothing is
// written. A region an offer does not cover is left out, said on stderr.
// Entries of the existing table the offers did not price are kept.
// --changes also writes, in Markdown, each price that is new or changed,
// before and after: the monthly workflow's pull-request description
// (.github/workflows/prices.yml).
//
// Exit status: 0 when the table was written (or the help, -h), 1 on any
// failure, 2 on a command line it does not take, said with the usage.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"time"

	"aurora-stages/internal/cli"
)

// defaultOffers is the Price List bulk API's base for AWS's offer files.
const defaultOffers = "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws"

// about is the first line of the help: what the command does.
const about = "prices regenerates the price table (internal/prices/prices.json) from AWS's Price List offer files."

// synopsis is the command line it takes; the help and every usage error
// print it, then the flags.
const synopsis = "usage: go run ./cmd/prices --regions us-east-1,eu-west-1 [--offers DIR|URL] [-o FILE] [--changes FILE]"

var command = cli.Command{Name: "prices", About: about, Synopsis: synopsis}

// Exit statuses.
const (
	written = 0
	failed  = 1
	usage   = 2
)

func main() {
	client := &http.Client{Timeout: 5 * time.Minute}
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, client))
}

// regionName is the shape of an AWS region's name (us-east-1,
// ap-southeast-4, us-gov-west-1).
var regionName = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

func run(ctx context.Context, args []string, stdout, stderr io.Writer, client *http.Client) int {
	flags := command.Flags()
	offers := flags.String("offers", defaultOffers, "where the offer files are: a URL base or a folder, laid out as <offers>/<offerCode>/current/<region>/index.json")
	regionList := flags.String("regions", "", "the regions to price, separated by commas (required), e.g. us-east-1,eu-west-1")
	out := flags.String("o", "internal/prices/prices.json", "the table to regenerate; its entries the offers do not price are kept")
	changesOut := flags.String("changes", "", "also write to this `file`, in Markdown, each price that is new or changed, before and after (for a pull request's description)")
	var regions []string
	check := func() (err error) {
		if err = cli.NoArguments(flags)(); err == nil {
			regions, err = parseRegions(*regionList)
		}
		return err
	}
	if code, done := command.Parse(flags, args, stdout, stderr, check); done {
		return code
	}
	source := offerSource{base: strings.TrimSuffix(*offers, "/"), client: client}
	if err := regenerate(ctx, source, regions, *out, *changesOut, stderr); err != nil {
		fmt.Fprintln(stderr, "prices:", err)
		return failed
	}
	return written
}

// parseRegions reads --regions: at least one region, each named once.
func parseRegions(list string) ([]string, error) {
	if strings.TrimSpace(list) == "" {
		return nil, errors.New("--regions is required: the regions to price, e.g. --regions us-east-1,eu-west-1")
	}
	var regions []string
	seen := map[string]bool{}
	for _, region := range strings.Split(list, ",") {
		region = strings.TrimSpace(region)
		switch {
		case !regionName.MatchString(region):
			return nil, fmt.Errorf("--regions: %q is not a region's name (like us-east-1)", region)
		case seen[region]:
			return nil, fmt.Errorf("--regions: %s is named twice", region)
		}
		seen[region] = true
		regions = append(regions, region)
	}
	return regions, nil
}
