package flows_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/loopbot/loopbot/bot"
)

// TestPruneMarksWalksLinksInShortCalls: the links from escalations to
// cards are looked at 8 × limit a call, from where the last call stopped;
// those whose card is gone are removed, the others kept, and a round ends
// once every link was looked at.
func TestPruneMarksWalksLinksInShortCalls(t *testing.T) {
	loc, now, clock, db := mondayStore(t)
	svc := benchFlows(db, clock, loc)
	ctx := context.Background()
	const links = 100 // cards 1–100; the even ones are kept
	err := db.Update(ctx, func(tx bot.Tx) error {
		for id := uint64(1); id <= links; id++ {
			if err := tx.PutMeta(fmt.Sprintf("esc_card/%d/%d", id, id), nil); err != nil {
				return err
			}
			if id%2 == 0 {
				if err := tx.PutCard(bot.CardRecord{ID: id, Key: "esc/E1", To: "feishu:ou_1", CreatedAt: now, UpdatedAt: now}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	calls, removed := 0, 0
	for more := true; more; calls++ {
		if calls > links {
			t.Fatal("PruneMarks keeps saying there is more")
		}
		err := db.Update(ctx, func(tx bot.Tx) error {
			var n int
			var err error
			n, more, err = svc.PruneMarks(tx, now, 2) // 16 links a call
			removed += n
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if removed != links/2 {
		t.Errorf("removed %d links, want the %d whose card is gone", removed, links/2)
	}
	if calls < links/16 {
		t.Errorf("%d calls for %d links, want at most 16 looked at a call", calls, links)
	}
	err = db.View(ctx, func(tx bot.Tx) error {
		left, err := tx.MetaPrefix("esc_card/")
		for id := uint64(1); id <= links; id++ {
			if _, ok := left[fmt.Sprintf("esc_card/%d/%d", id, id)]; ok != (id%2 == 0) {
				t.Errorf("link to card %d kept: %v, want %v", id, ok, id%2 == 0)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
