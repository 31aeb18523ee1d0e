#!/bin/sh
# make test's closing lines, run by gotestsum once the tests end
# (--post-run-command, which sets the variables below): the ten slowest
# tests and subtests, so the next slow-down shows in every run, then the
# counts. A package that failed to build counts as a failure.
set -eu
echo
echo "The ten slowest tests:"
go tool gotestsum tool slowest --jsonfile "$GOTESTSUM_JSONFILE" --threshold 0s --num 10
failed=$((TESTS_FAILED + TESTS_ERRORS))
echo
echo "tests: $((TESTS_TOTAL - TESTS_FAILED - TESTS_SKIPPED)) passed, $failed failed, $TESTS_SKIPPED skipped"
