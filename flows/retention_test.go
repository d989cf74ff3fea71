package flows_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// TestPruneMarksWalksLinksInShortCalls: the links from escalations to
// cards are looked at 8 × limit a call, from where the last call stopped,
// and never make a call report more (a pruning run's work follows what is
// due, not the links kept); those whose card is gone are removed, the
// others kept, and the calls go round them all.
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
	removed := 0
	for call := range (links + 15) / 16 {
		err := db.Update(ctx, func(tx bot.Tx) error {
			n, more, err := svc.PruneMarks(tx, now, 2) // 16 links a call
			if more {
				t.Errorf("call %d reports more", call)
			}
			if n > 2 {
				t.Errorf("call %d removed %d links; want at most 2", call, n)
			}
			removed += n
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if removed >= links/2 {
		t.Errorf("removed %d links in 7 calls of at most 2; want fewer than %d", removed, links/2)
	}
	for call := 0; removed < links/2; call++ {
		if call > links {
			t.Fatalf("removed %d links after %d more calls, want %d", removed, call, links/2)
		}
		err := db.Update(ctx, func(tx bot.Tx) error {
			n, _, err := svc.PruneMarks(tx, now, 8)
			removed += n
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
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

// TestPrunedCardTakesItsLinks: when retention removes a card, the links
// from the escalations it shows go in the same transaction (CardPruned):
// a group warning's, named by its "escalations" ref, and a blue or yellow
// card's, named by its key; the links to other cards stay.
func TestPrunedCardTakesItsLinks(t *testing.T) {
	loc, now, clock, db := mondayStore(t)
	svc := benchFlows(db, clock, loc)
	ctx := context.Background()
	group := bot.CardRecord{ID: 10, Key: "escgroup/P1", Target: bot.Group(bot.Feishu, "oc_1"), CreatedAt: now, UpdatedAt: now,
		Card: bot.Card{Kind: bot.CardGroupWarning, Refs: map[string]string{"escalations": "1,2"}}}
	blue := bot.CardRecord{ID: 11, Key: "esc/E3", Target: bot.DM("feishu:ou_1"), CreatedAt: now, UpdatedAt: now,
		Card: bot.Card{Kind: bot.CardEscalation}}
	kept := bot.CardRecord{ID: 12, Key: "escgroup/P1", Target: bot.Group(bot.Feishu, "oc_1"), CreatedAt: now.Add(48 * time.Hour), UpdatedAt: now.Add(48 * time.Hour),
		Card: bot.Card{Kind: bot.CardGroupWarning, Refs: map[string]string{"escalations": "1,2"}}}
	err := db.Update(ctx, func(tx bot.Tx) error {
		for _, rec := range []bot.CardRecord{group, blue, kept} {
			if err := tx.PutCard(rec); err != nil {
				return err
			}
		}
		for _, key := range []string{"esc_card/1/10", "esc_card/2/10", "esc_card/3/11", "esc_card/1/12", "esc_card/2/12"} {
			if err := tx.PutMeta(key, []byte("g")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	n, err := bot.Prune(ctx, db, bot.Retention{FinishedCards: time.Hour}, now.Add(24*time.Hour), bot.PruneHooks{CardGone: svc.CardPruned})
	if err != nil || n.Cards != 2 {
		t.Fatalf("Prune: %+v, %v; want the two cards of a day ago", n, err)
	}
	err = db.View(ctx, func(tx bot.Tx) error {
		left, err := tx.MetaPrefix("esc_card/")
		if _, ok := left["esc_card/1/12"]; !ok || len(left) != 2 {
			t.Errorf("links left %v; want only those to card 12", slices.Collect(maps.Keys(left)))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
