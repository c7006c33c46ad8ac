package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cashier/localdb"
	"cashier/sync/backoffice/client"
	"cashier/sync/backoffice/master"
	"cashier/ui/i18n"
)

// pullMaster brings db's master data up to date from the back office c
// speaks to (the pull job, 立即同步 and pos sync pull): every topic, page
// by page, each page applied with its cursor in one transaction. progress
// hears the topic and the items applied in it so far after every page.
func pullMaster(db *localdb.DB) func(ctx context.Context, c *client.Client, storeCode string, progress func(topic string, applied int)) (applied, quarantined int, err error) {
	return func(ctx context.Context, c *client.Client, storeCode string, progress func(topic string, applied int)) (int, int, error) {
		p := &client.Puller{Pages: c, Store: db, Scope: master.Scope{StoreCode: storeCode, Terminal: c.Terminal}}
		if progress != nil {
			p.Progress = func(pp client.PullProgress) { progress(pp.Topic, pp.Done.Applied) }
		}
		res, err := p.Run(ctx)
		return res.Applied, res.Quarantined, err
	}
}

// topicWords names a master topic for people.
var topicWords = map[string]string{
	master.TopicStores:      i18n.Key("cli.sync.pull.topic.stores"),
	master.TopicTerminals:   i18n.Key("cli.sync.pull.topic.terminals"),
	master.TopicStaff:       i18n.Key("cli.sync.pull.topic.staff"),
	master.TopicPermissions: i18n.Key("cli.sync.pull.topic.permissions"),
	master.TopicBarcodes:    i18n.Key("cli.sync.pull.topic.barcodes"),
	master.TopicPrices:      i18n.Key("cli.sync.pull.topic.prices"),
	master.TopicProducts:    i18n.Key("cli.sync.pull.topic.products"),
	master.TopicSettings:    i18n.Key("cli.sync.pull.topic.settings"),
}

func topicName(topic string) string {
	if k, ok := topicWords[topic]; ok {
		return i18n.T(k)
	}
	return topic
}

// pullEvery is how often a long topic says how far it has got.
const pullEvery = 2 * time.Second

// runSyncPull is `pos sync pull`: every master topic now (stores,
// terminals, staff and permissions, codes, prices, products, settings),
// a line as each topic ends and every few seconds within a long one. It
// takes the folder's lock (exit 3 while the app runs: its pull job and
// 立即同步 do it there). Ctrl+C stops between pages; what was applied
// stays. Items the terminal refused are listed with the reason; they do
// not fail the pull. Exit 1 when the back office could not be reached or
// refused.
func runSyncPull(e env, args []string) int {
	return e.syncRun(args, func(ctx context.Context, s *Services, c *client.Client, peer localdb.SyncPeer) int {
		return syncPull(ctx, e, s, c, peer)
	})
}

func syncPull(ctx context.Context, e env, s *Services, c *client.Client, peer localdb.SyncPeer) int {
	e.say("cli.sync.pull.start", "URL", peer.URL, "Store", peer.StoreCode)
	last := time.Now()
	p := &client.Puller{Pages: c, Store: s.DB, Scope: master.Scope{StoreCode: peer.StoreCode, Terminal: peer.Terminal}}
	p.Progress = func(pp client.PullProgress) {
		switch {
		case !pp.More:
			e.say("cli.sync.pull.topic_done", "Topic", topicName(pp.Topic), "Applied", pp.Done.Applied,
				"Ignored", pp.Done.Ignored, "Refused", pp.Done.Quarantined, "Cursor", pp.Cursor)
		case time.Since(last) >= pullEvery:
			e.say("cli.sync.pull.progress", "Topic", topicName(pp.Topic), "Applied", pp.Done.Applied, "Cursor", pp.Cursor)
		default:
			return
		}
		last = time.Now()
	}
	res, err := p.Run(ctx)
	if !errors.Is(err, context.Canceled) {
		// Kept even when ctx is done, for status, the status bar and the job's backoff.
		rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if rerr := s.DB.RecordSyncResult(rctx, localdb.SyncPull, s.Clock.Now(), err); rerr != nil && err == nil {
			err = rerr
		}
		cancel()
	}
	e.say("cli.sync.pull.done", "Applied", res.Applied, "Ignored", res.Ignored, "Refused", res.Quarantined, "Pending", res.Pending, "Pages", res.Pages)
	for i, r := range res.Refused {
		if i == maxBadShown {
			e.say("cli.sync.pull.refused_more", "N", len(res.Refused)-maxBadShown)
			break
		}
		e.say("cli.sync.pull.refused", "Topic", topicName(r.Topic), "ID", r.ID, "Err", i18n.Err(r.Err))
	}
	if res.Pending > 0 {
		e.say("cli.sync.pull.pending", "N", res.Pending)
	}
	switch {
	case errors.Is(err, context.Canceled):
		e.say("cli.sync.pull.stopped")
		return exitFailed
	case err != nil:
		fmt.Fprintf(e.stderr, "pos sync: %s\n", syncErrText(err, pullErrWords))
		return exitFailed
	}
	waitSearchIndex(ctx, e, s.DB)
	return exitOK
}

// waitSearchIndex stays until the products a first pull wrote are found
// by name too (localdb's search builder, which runs after the products
// topic), saying how many are left every few seconds. Ctrl+C, or a
// failure, leaves the rest to the app's next start; the pull itself went
// through either way.
func waitSearchIndex(ctx context.Context, e env, db *localdb.DB) {
	n, err := db.SearchPending(ctx)
	if err != nil || n == 0 {
		return
	}
	e.say("cli.sync.pull.indexing", "N", n)
	done := make(chan error, 1)
	go func() { done <- db.BuildSearchIndex(ctx) }()
	tick := time.NewTicker(pullEvery)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			switch {
			case ctx.Err() != nil:
				e.say("cli.sync.pull.index_later")
			case err != nil:
				e.say("cli.sync.pull.index_failed", "Err", i18n.Err(err))
			default:
				e.say("cli.sync.pull.indexed", "N", n)
			}
			return
		case <-tick.C:
			if left, err := db.SearchPending(ctx); err == nil {
				e.say("cli.sync.pull.indexing_left", "N", left)
			}
		}
	}
}
