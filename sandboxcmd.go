package main

import (
	"path/filepath"

	"cashier/sync/channel/setup"
	"cashier/sync/sandbox"
)

// runSandbox is `pos sandbox`: the gateway alone (docs/sandbox.md). With
// --demo DIR it also writes DIR/channels.json, ready to copy into a data
// folder to point it at this gateway (the folder then shows SANDBOX, and is
// set up with `pos init` like a live one).
func runSandbox(e env, args []string) int {
	return sandbox.RunWith(args, e.stdout, e.stderr, func(srv *sandbox.Server, creds *sandbox.ClientCredentials, demoDir string) error {
		if creds == nil {
			return nil
		}
		path := filepath.Join(demoDir, setup.FileName)
		if err := gatewayOf(srv, creds).File().Write(path); err != nil {
			return err
		}
		e.say("cli.sandbox.channels_written", "File", path)
		return nil
	})
}
