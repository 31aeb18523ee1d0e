package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// offer is the part of an AWS Price List offer file this command reads:
// the products and their on-demand terms.
type offer struct {
	OfferCode       string             `json:"offerCode"`
	PublicationDate string             `json:"publicationDate"`
	Products        map[string]product `json:"products"`
	Terms           struct {
		// OnDemand is keyed by SKU, then by offer term.
		OnDemand map[string]map[string]offerTerm `json:"OnDemand"`
	} `json:"terms"`
	// location is the file's URL or path, the entries' source.
	location string
}

type product struct {
	SKU           string            `json:"sku"`
	ProductFamily string            `json:"productFamily"`
	Attributes    map[string]string `json:"attributes"`
}

type offerTerm struct {
	PriceDimensions map[string]priceDimension `json:"priceDimensions"`
}

type priceDimension struct {
	RateCode     string            `json:"rateCode"`
	Unit         string            `json:"unit"`
	PricePerUnit map[string]string `json:"pricePerUnit"`
	Description  string            `json:"description"`
	BeginRange   string            `json:"beginRange"`
	EndRange     string            `json:"endRange"`
}

// published is the offer's publication date, YYYY-MM-DD.
func (o *offer) published() (string, error) {
	t, err := time.Parse(time.RFC3339, o.PublicationDate)
	if err != nil {
		return "", fmt.Errorf("%s: publicationDate %q is not a date and time (RFC 3339)", o.location, o.PublicationDate)
	}
	return t.UTC().Format(time.DateOnly), nil
}

// errNoOffer is an offer file that does not exist: AWS has no offer of
// that service in that region.
var errNoOffer = errors.New("no offer file")

// offerSource reads offer files from a URL base or a folder, both laid out
// as AWS's bulk API serves them.
type offerSource struct {
	base   string
	client *http.Client
}

func (s offerSource) remote() bool {
	return strings.HasPrefix(s.base, "https://") || strings.HasPrefix(s.base, "http://")
}

// load reads one service's offer file for one region. The per-region
// files are used because the whole AmazonRDS offer is hundreds of
// megabytes.
func (s offerSource) load(ctx context.Context, offerCode, region string) (*offer, error) {
	var data []byte
	var location string
	var err error
	if s.remote() {
		location = s.base + "/" + offerCode + "/current/" + region + "/index.json"
		data, err = s.get(ctx, location)
	} else {
		location = filepath.Join(s.base, offerCode, "current", region, "index.json")
		data, err = os.ReadFile(location)
		if errors.Is(err, fs.ErrNotExist) {
			err = fmt.Errorf("%s: %w", location, errNoOffer)
		}
	}
	if err != nil {
		return nil, err
	}
	var o offer
	if err := json.Unmarshal(data, &o); err != nil {
		return nil, fmt.Errorf("%s is not an offer file: %w", location, err)
	}
	o.location = location
	if o.OfferCode != offerCode {
		return nil, fmt.Errorf("%s: offerCode is %q, expected %q", location, o.OfferCode, offerCode)
	}
	return &o, nil
}

func (s offerSource) get(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	switch {
	// The bulk API is public; like the S3 bucket it may be served from,
	// it can answer 403 rather than 404 for a file it does not have.
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusForbidden:
		return nil, fmt.Errorf("%s: %s: %w", url, resp.Status, errNoOffer)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("%s: %s", url, resp.Status)
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", url, err)
	}
	return data, nil
}
