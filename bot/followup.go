package bot

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// A message that cannot be edited (a WeCom group robot's, a DingTalk
// markdown message) is followed up instead when its card changes. For a
// group warning the follow-up names the lines resolved since the chat was
// last told (cards.GroupFollowUp), so the adapter remembers, under a meta
// key of its own per card, which lines it told: a toldLines value.

// toldLines is what a chat was told of a card's changes: the indexes of
// the card's lines told of, and when.
type toldLines struct {
	Lines []int     `json:"resolved"`
	At    time.Time `json:"at"`
}

// TellChange tells a chat of a change to a card whose message cannot be
// edited. compose returns the next follow-up given the line indexes told
// already (text "" when nothing is left to tell, ok false when the card has
// no lines to tell of), and send posts it. TellChange sends follow-ups
// until compose has nothing left, keeping the indexes told under key
// (prefix + card id, as PruneTold expects; "" to remember nothing) after
// each send, so that an update the outbox tries again tells only the rest.
// handled is false when compose returned ok false. A store error reading
// key is Temporary; a failed save is returned as saveErr, for the log: the
// lines are then told again if the update is tried again, never lost.
func TellChange(ctx context.Context, st Store, key string, now time.Time,
	compose func(told []int) (text string, nowTold []int, ok bool), send func(text string) error) (handled bool, saveErr, err error) {
	var told toldLines
	if key != "" {
		err := st.View(ctx, func(tx Tx) error {
			raw, err := tx.Meta(key)
			if ErrorCode(err) == ENOTFOUND {
				return nil // told nothing yet
			} else if err == nil {
				_ = json.Unmarshal(raw, &told) // unreadable: tell every line again
			}
			return err
		})
		if err != nil {
			return true, nil, Temporary(err, 0)
		}
	}
	for {
		text, lines, ok := compose(told.Lines)
		if !ok {
			return false, saveErr, nil
		}
		if text == "" {
			return true, saveErr, nil
		}
		if err := send(text); err != nil {
			return true, saveErr, err
		}
		told = toldLines{Lines: lines, At: now}
		if key == "" {
			continue
		}
		raw, err := json.Marshal(told)
		if err == nil {
			err = st.Update(context.WithoutCancel(ctx), func(tx Tx) error { return tx.PutMeta(key, raw) })
		}
		if err != nil {
			saveErr = err
		}
	}
}

// ToldKey is the meta key under which TellChange keeps what was told of
// card id: prefix + the id; "" for card 0 (none), which is not remembered.
func ToldKey(prefix string, id uint64) string {
	if id == 0 {
		return ""
	}
	return prefix + strconv.FormatUint(id, 10)
}

// PruneTold forgets what TellChange kept under prefix for the cards whose
// records are pruned: those cards can no longer change.
func PruneTold(tx Tx, prefix string) error {
	items, err := tx.MetaPrefix(prefix)
	if err != nil {
		return err
	}
	for k := range items {
		id, err := strconv.ParseUint(strings.TrimPrefix(k, prefix), 10, 64)
		kept := false
		if err == nil {
			if kept, err = tx.HasCard(id); err != nil {
				return err
			}
		}
		if !kept {
			if err := tx.DeleteMeta(k); err != nil {
				return err
			}
		}
	}
	return nil
}
