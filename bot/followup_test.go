package bot_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/store/storetest"
)

// TestTellChange: the lines of a card are told in as many follow-ups as
// compose makes, each once; a failed send keeps what was told before it,
// so that the outbox's next try tells only the rest; a key of "" remembers
// nothing; PruneTold forgets the cards whose records are gone.
func TestTellChange(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	resolved := []int{0, 2, 3}
	// compose tells one resolved line a follow-up.
	compose := func(told []int) (string, []int, bool) {
		for _, i := range resolved {
			if !slices.Contains(told, i) {
				return fmt.Sprint("line ", i), append(slices.Clone(told), i), true
			}
		}
		return "", told, true
	}
	var sent []string
	fail := 2 // the second send fails
	send := func(text string) error {
		if fail--; fail == 0 {
			return errors.New("busy")
		}
		sent = append(sent, text)
		return nil
	}
	key := bot.ToldKey("x/told/", 7)
	handled, saveErr, err := bot.TellChange(ctx, db, key, now, compose, send)
	if !handled || saveErr != nil || err == nil || !slices.Equal(sent, []string{"line 0"}) {
		t.Fatalf("with a failed send: %v %v %v, sent %q", handled, saveErr, err, sent)
	}
	handled, _, err = bot.TellChange(ctx, db, key, now, compose, send)
	if !handled || err != nil || !slices.Equal(sent, []string{"line 0", "line 2", "line 3"}) {
		t.Fatalf("tried again: %v %v, sent %q", handled, err, sent)
	}
	if _, _, err = bot.TellChange(ctx, db, key, now, compose, send); err != nil || len(sent) != 3 {
		t.Fatalf("all told: %v, sent %q", err, sent)
	}
	sent = nil
	if _, _, err = bot.TellChange(ctx, db, bot.ToldKey("x/told/", 0), now, compose, send); err != nil || len(sent) != 3 {
		t.Fatalf("card 0: %v, sent %q", err, sent)
	}
	notLines := func([]int) (string, []int, bool) { return "", nil, false }
	if handled, _, err := bot.TellChange(ctx, db, key, now, notLines, send); handled || err != nil {
		t.Errorf("a card without lines: handled %v, %v", handled, err)
	}
	err = db.Update(ctx, func(tx bot.Tx) error {
		if err := tx.PutMeta(bot.ToldKey("x/told/", 8), []byte(`{}`)); err != nil {
			return err
		}
		if err := tx.PutCard(bot.CardRecord{ID: 8, CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		return bot.PruneTold(tx, "x/told/")
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(ctx, func(tx bot.Tx) error {
		left, err := tx.MetaPrefix("x/told/")
		if _, ok := left["x/told/8"]; len(left) != 1 || !ok {
			t.Errorf("after PruneTold: %v, want card 8's only", left)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
