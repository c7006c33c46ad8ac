package main

import (
	"context"
	"io"

	"poscashier/app"
	"poscashier/localdb"
	"poscashier/ui/shell"
)

// appRuntime holds the long-lived services the GUI runs with: payment
// channels (the embedded sandbox by default), devices (simulated by
// default) and background jobs. Later features add theirs here.
type appRuntime struct {
	Sandbox  bool
	channels string
	closers  []func()
}

func startRuntime(ctx context.Context, dataDir string, db *localdb.DB, clock app.Clock, log io.Writer) (*appRuntime, error) {
	rt := &appRuntime{Sandbox: true, channels: "沙箱 / sandbox (embedded)"}
	return rt, nil
}

func (rt *appRuntime) ChannelsDescription() string { return rt.channels }

func (rt *appRuntime) Workspaces() []shell.Workspace { return nil }

func (rt *appRuntime) Close() {
	for i := len(rt.closers) - 1; i >= 0; i-- {
		rt.closers[i]()
	}
}
