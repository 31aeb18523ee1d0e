// Command local-aws serves the local emulator's one address
// (internal/localfront): every AWS call goes on to the moto behind it, the
// Data API's are answered with real SQL on a PostgreSQL per cluster. make
// local starts it in the background (scripts/local-aws.sh); it runs until
// it is sent SIGTERM or SIGINT, then stops every PostgreSQL server it
// started.
//
//	go run ./cmd/local-aws --moto http://127.0.0.1:PORT --listen 127.0.0.1:PORT --state .local/postgres
//
// Exit status: 0 stopped by a signal (or the help, -h); 1 an error; 2 a
// command line it does not take, said with the usage.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"aurora-stages/internal/cli"
	"aurora-stages/internal/localfront"
	"aurora-stages/internal/localpg"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// about is the first line of the help: what the command does.
const about = "local-aws serves the emulator's one address: AWS calls go on to moto, the Data API's run as real SQL on a PostgreSQL per cluster."

// synopsis is the command line it takes.
const synopsis = "usage: go run ./cmd/local-aws --moto <moto's URL> --listen <host:port> --state <folder>"

var command = cli.Command{Name: "local-aws", About: about, Synopsis: synopsis}

func run(args []string, stdout, stderr io.Writer) int {
	flags := command.Flags()
	moto := flags.String("moto", "", "the `URL` of the moto server behind the front (required)")
	listen := flags.String("listen", "127.0.0.1:0", "the `address` to serve on: the URL consumers set")
	state := flags.String("state", "", "the `folder` the clusters' PostgreSQL data lives in (required)")
	check := func() error {
		if *moto == "" || *state == "" {
			return errors.New("name moto's URL and the state folder: --moto http://127.0.0.1:PORT --state .local/postgres")
		}
		return cli.NoArguments(flags)()
	}
	if code, done := command.Parse(flags, args, stdout, stderr, check); done {
		return code
	}
	front, err := localfront.New(localfront.Options{Moto: *moto, PostgreSQL: localpg.Options{StateDir: *state, Log: stdout}, Log: stdout})
	if err != nil {
		fmt.Fprintln(stderr, "local-aws:", err)
		return 1
	}
	defer front.Close()
	listener, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(stderr, "local-aws:", err)
		return 1
	}
	server := &http.Server{Handler: front}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()
	fmt.Fprintf(stdout, "local-aws: serving http://%s in front of %s\n", listener.Addr(), *moto)
	select {
	case sig := <-stop:
		fmt.Fprintf(stdout, "local-aws: %v: stopping\n", sig)
		_ = server.Shutdown(context.Background())
		return 0
	case err := <-served:
		fmt.Fprintln(stderr, "local-aws:", err)
		return 1
	}
}
