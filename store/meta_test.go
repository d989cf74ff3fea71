package store

import (
	"maps"
	"slices"
	"testing"

	"github.com/loopbot/loopbot/bot"
)

func TestMeta(t *testing.T) {
	db := MustOpen(t)
	value := []byte("2026-03-02")
	update(t, db, func(tx bot.Tx) error {
		_, err := tx.Meta("sched/checkin")
		wantCode(t, err, bot.ENOTFOUND)
		wantCode(t, tx.PutMeta("", []byte("x")), bot.EINVALID)
		wantCode(t, tx.PutMeta(keySchemaVersion, []byte("99")), bot.EINVALID)
		for k, v := range map[string][]byte{"sched/checkin": value, "sched/empty": nil, "clock": []byte("t")} {
			if err := tx.PutMeta(k, v); err != nil {
				return err
			}
		}
		// The store keeps its own copy of what it was given.
		value[0] = 'X'
		return nil
	})
	view(t, db, func(tx bot.Tx) error {
		v, err := tx.Meta("sched/checkin")
		if err != nil || string(v) != "2026-03-02" {
			t.Errorf("Meta: %q, %v", v, err)
		}
		if v, err := tx.Meta("sched/empty"); err != nil || len(v) != 0 {
			t.Errorf("empty value: %q, %v; want found and empty", v, err)
		}
		if v, err := tx.Meta("sched"); bot.ErrorCode(err) != bot.ENOTFOUND {
			t.Errorf("Meta of a mere prefix: %q, %v; want ENOTFOUND", v, err)
		}
		got, _ := tx.MetaPrefix("sched/")
		want := map[string][]byte{"sched/checkin": []byte("2026-03-02"), "sched/empty": {}}
		if !maps.EqualFunc(got, want, func(a, b []byte) bool { return string(a) == string(b) }) {
			t.Errorf("MetaPrefix: %q, want %q", got, want)
		}
		return nil
	})
}

func TestDeleteMeta(t *testing.T) {
	db := MustOpen(t)
	update(t, db, func(tx bot.Tx) error {
		if err := tx.PutMeta("wecom/x", []byte("1")); err != nil {
			return err
		}
		wantCode(t, tx.DeleteMeta(keySchemaVersion), bot.EINVALID)
		if err := tx.DeleteMeta("missing"); err != nil {
			t.Errorf("DeleteMeta of a missing key: %v", err)
		}
		return tx.DeleteMeta("wecom/x")
	})
	view(t, db, func(tx bot.Tx) error {
		if _, err := tx.Meta("wecom/x"); bot.ErrorCode(err) != bot.ENOTFOUND {
			t.Errorf("after DeleteMeta: %v, want ENOTFOUND", err)
		}
		return nil
	})
}

// TestMetaKeysAfter pages through a prefix's keys, in key order.
func TestMetaKeysAfter(t *testing.T) {
	db := MustOpen(t)
	update(t, db, func(tx bot.Tx) error {
		for _, k := range []string{"a/1", "a/2", "a/3", "b/1"} {
			if err := tx.PutMeta(k, []byte("v")); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, db, func(tx bot.Tx) error {
		for _, c := range []struct {
			after string
			limit int
			want  []string
		}{
			{"", 2, []string{"a/1", "a/2"}},
			{"a/2", 2, []string{"a/3"}},
			{"a/25", 5, []string{"a/3"}}, // a key that is not there
			{"a/3", 2, nil},
		} {
			got, err := tx.MetaKeysAfter("a/", c.after, c.limit)
			if err != nil || !slices.Equal(got, c.want) {
				t.Errorf("MetaKeysAfter(a/, %q, %d) = %v, %v; want %v", c.after, c.limit, got, err, c.want)
			}
		}
		return nil
	})
}
