package sandbox

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Run is `pos sandbox`: it serves the gateway until SIGINT/SIGTERM.
// Exit status: 0 after a signal, 2 for bad flags, 1 for a bad config or a
// port that cannot be opened.
//
//	pos sandbox --addr 127.0.0.1:8443 --config sandbox.json
//	pos sandbox --addr 127.0.0.1:8443 --demo ./sandbox-demo
func Run(args []string, stdout, stderr io.Writer) int {
	return RunWith(args, stdout, stderr, nil)
}

// RunWith is Run with a hook called once the gateway listens: with --demo
// it gets the demo credentials (the app writes the channels.json that
// points a data folder at this gateway), with --config nil.
func RunWith(args []string, stdout, stderr io.Writer, onStart func(srv *Server, creds *ClientCredentials, demoDir string) error) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, args, stdout, stderr, onStart)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, onStart func(*Server, *ClientCredentials, string) error) int {
	fs := flag.NewFlagSet("pos sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8443", "`HOST:PORT` to listen on (port 0 picks a free one)")
	configPath := fs.String("config", "", "sandbox config `FILE` (format: docs/sandbox.md)")
	demoDir := fs.String("demo", "", "create (first run) or load a demo config in `DIR` and serve it")
	quiet := fs.Bool("quiet", false, "do not log requests")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: pos sandbox --addr 127.0.0.1:PORT (--config FILE | --demo DIR) [--quiet]")
		fmt.Fprintln(stderr, "Runs the SANDBOX payment gateway (WeChat Pay v2, Alipay, Cloud Pay) until interrupted.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "pos sandbox: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	if (*configPath == "") == (*demoDir == "") {
		fmt.Fprintln(stderr, "pos sandbox: give exactly one of --config FILE or --demo DIR")
		fs.Usage()
		return 2
	}
	var cfg *Config
	var creds *ClientCredentials
	var err error
	if *configPath != "" {
		cfg, err = LoadConfig(*configPath)
	} else {
		cfg, creds, err = Demo(*demoDir)
	}
	if err != nil {
		fmt.Fprintf(stderr, "pos sandbox: %v\n", err)
		return 1
	}
	if !*quiet {
		cfg.Log = stderr
	}
	srv, err := Start(ctx, *addr, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "pos sandbox: %v\n", err)
		return 1
	}
	if onStart != nil {
		if err := onStart(srv, creds, *demoDir); err != nil {
			fmt.Fprintf(stderr, "pos sandbox: %v\n", err)
			srv.Close()
			return 1
		}
	}
	fmt.Fprintf(stdout, "SANDBOX payment gateway listening on %s\n", srv.BaseURL)
	fmt.Fprintf(stdout, "  WeChat Pay v2  %s/pay/micropay ... /secapi/pay/* /deposit/*\n", srv.BaseURL)
	fmt.Fprintf(stdout, "  Alipay         %s\n", srv.AlipayGateway)
	fmt.Fprintf(stdout, "  Cloud Pay      %s/<api>\n", srv.CloudPayURL)
	fmt.Fprintf(stdout, "  ledger         %s/sandbox/ledger\n", srv.BaseURL)
	fmt.Fprintf(stdout, "  CA certificate %s/sandbox/ca.pem\n", srv.BaseURL)
	<-srv.Done()
	fmt.Fprintln(stdout, "SANDBOX payment gateway stopped")
	return 0
}
