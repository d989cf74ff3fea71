package store

import (
	"slices"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"go.etcd.io/bbolt"
)

// dueKeys returns the raw keys of the due index's two buckets, as
// "<unix seconds or 'changed'> <subject>" and "<subject>=<unix seconds or
// 'changed'>".
func dueKeys(tb testing.TB, db *DB) (due, bySubject []string) {
	tb.Helper()
	name := func(tk []byte) string {
		if string(tk) == string(changedKey) {
			return "changed"
		}
		return time.Unix(0, int64(btoi(tk)^(1<<63))).UTC().Format("01-02T15:04")
	}
	err := db.bolt.View(func(btx *bbolt.Tx) error {
		btx.Bucket([]byte(bucketDue)).ForEach(func(k, _ []byte) error {
			due = append(due, name(k[:8])+" "+string(k[8:]))
			return nil
		})
		return btx.Bucket([]byte(bucketDueBySubject)).ForEach(func(k, v []byte) error {
			bySubject = append(bySubject, string(k)+"="+name(v))
			return nil
		})
	})
	if err != nil {
		tb.Fatal(err)
	}
	return due, bySubject
}

// TestDueChangedMarks: a change marks its subject at the front of the
// index and leaves the subject's timed entry where it is; the check's
// filing removes the mark and moves the timed entry only to a new time. A
// subject that is both marked and due by its time is listed and taken
// once, with the changed ones first.
func TestDueChangedMarks(t *testing.T) {
	db := MustOpen(t)
	at := time.Date(2026, 3, 3, 9, 30, 0, 0, time.UTC)
	update(t, db, func(tx bot.Tx) error {
		for _, s := range []string{"task/1", "task/2", "task/3"} {
			if err := tx.SetDue(s, at); err != nil {
				return err
			}
		}
		return tx.SetDue("task/2", time.Time{})
	})
	due, by := dueKeys(t, db)
	if want := []string{"changed task/2", "03-03T09:30 task/1", "03-03T09:30 task/2", "03-03T09:30 task/3"}; !slices.Equal(due, want) {
		t.Errorf("after marking task/2 the index holds %q, want %q", due, want)
	}
	if want := []string{"task/1=03-03T09:30", "task/2=03-03T09:30", "task/3=03-03T09:30"}; !slices.Equal(by, want) {
		t.Errorf("after marking task/2 the subjects point at %q, want %q (unmoved)", by, want)
	}
	view(t, db, func(tx bot.Tx) error {
		if got, _ := tx.DueSubjects(t0); !slices.Equal(got, []string{"task/2"}) {
			t.Errorf("due now = %q, want [task/2]", got)
		}
		if got, _ := tx.DueSubjects(at); !slices.Equal(got, []string{"task/2", "task/1", "task/3"}) {
			t.Errorf("due at 09:30 = %q, want task/2 once and first", got)
		}
		return nil
	})

	// Filed again for the same time: only the mark goes.
	update(t, db, func(tx bot.Tx) error { return tx.SetDue("task/2", at) })
	due, by = dueKeys(t, db)
	if want := []string{"03-03T09:30 task/1", "03-03T09:30 task/2", "03-03T09:30 task/3"}; !slices.Equal(due, want) {
		t.Errorf("filed for the same time: %q, want %q", due, want)
	}
	// Marked, then filed for another time: the timed entry moves.
	later := at.Add(24 * time.Hour)
	update(t, db, func(tx bot.Tx) error {
		if err := tx.SetDue("task/3", time.Time{}); err != nil {
			return err
		}
		return tx.SetDue("task/3", later)
	})
	due, by = dueKeys(t, db)
	if want := []string{"03-03T09:30 task/1", "03-03T09:30 task/2", "03-04T09:30 task/3"}; !slices.Equal(due, want) {
		t.Errorf("task/3 filed a day later: %q, want %q", due, want)
	}
	if want := []string{"task/1=03-03T09:30", "task/2=03-03T09:30", "task/3=03-04T09:30"}; !slices.Equal(by, want) {
		t.Errorf("task/3 filed a day later: subjects point at %q, want %q", by, want)
	}

	// Taking: marks first, each subject once, mark and entry both gone.
	update(t, db, func(tx bot.Tx) error {
		if err := tx.SetDue("task/1", time.Time{}); err != nil {
			return err
		}
		got, more, err := tx.TakeDue(at, 1)
		if err != nil || !slices.Equal(got, []string{"task/1"}) || !more {
			t.Errorf("TakeDue(09:30, 1) = %q, %v, %v; want [task/1], more", got, more, err)
		}
		got, more, err = tx.TakeDue(at, 5)
		if err != nil || !slices.Equal(got, []string{"task/2"}) || more {
			t.Errorf("then TakeDue(09:30, 5) = %q, %v, %v; want [task/2], no more", got, more, err)
		}
		if _, _, err := tx.TakeDue(at, 0); bot.ErrorCode(err) != bot.EINVALID {
			t.Errorf("TakeDue with limit 0: %v, want EINVALID", err)
		}
		return nil
	})
	due, by = dueKeys(t, db)
	if want := []string{"03-04T09:30 task/3"}; !slices.Equal(due, want) {
		t.Errorf("after taking: %q, want %q", due, want)
	}
	if want := []string{"task/3=03-04T09:30"}; !slices.Equal(by, want) {
		t.Errorf("after taking: subjects point at %q, want %q", by, want)
	}

	// A prompt's cut-off keeps a mark (due sooner) and a sooner entry.
	update(t, db, func(btx bot.Tx) error {
		if err := btx.SetDue("checkins/a", time.Time{}); err != nil {
			return err
		}
		return btx.(*tx).fileBy("checkins/a", at)
	})
	if due, _ = dueKeys(t, db); !slices.Contains(due, "changed checkins/a") || slices.Contains(due, "03-03T09:30 checkins/a") {
		t.Errorf("a cut-off filed for a marked subject: %q, want the mark alone", due)
	}
}

// TestDueOldChangedEntries: a file written before the marks, whose changed
// subjects were moved to the zero time (pointer and all), is read and
// filed again the same way.
func TestDueOldChangedEntries(t *testing.T) {
	db := MustOpen(t)
	at := time.Date(2026, 3, 3, 9, 30, 0, 0, time.UTC)
	err := db.bolt.Update(func(btx *bbolt.Tx) error {
		if err := btx.Bucket([]byte(bucketDue)).Put(append(slices.Clone(changedKey), "task/9"...), nil); err != nil {
			return err
		}
		return btx.Bucket([]byte(bucketDueBySubject)).Put([]byte("task/9"), changedKey)
	})
	if err != nil {
		t.Fatal(err)
	}
	view(t, db, func(tx bot.Tx) error {
		if got, _ := tx.DueSubjects(t0); !slices.Equal(got, []string{"task/9"}) {
			t.Errorf("an old changed entry: due now = %q, want [task/9]", got)
		}
		return nil
	})
	update(t, db, func(tx bot.Tx) error { return tx.SetDue("task/9", at) })
	due, by := dueKeys(t, db)
	if want := []string{"03-03T09:30 task/9"}; !slices.Equal(due, want) {
		t.Errorf("an old changed entry filed for 09:30: %q, want %q", due, want)
	}
	if want := []string{"task/9=03-03T09:30"}; !slices.Equal(by, want) {
		t.Errorf("an old changed entry filed for 09:30: subjects point at %q, want %q", by, want)
	}
	update(t, db, func(tx bot.Tx) error { return tx.SetDue("task/9", bot.DueNever) })
	if due, by = dueKeys(t, db); len(due)+len(by) != 0 {
		t.Errorf("removed: the index still holds %q and %q", due, by)
	}
}

// TestLookupEmptyValue: lookup finds a key put with an empty value in the
// same transaction, which bbolt's Get reports as missing, and does not
// take a longer key that the missing one begins.
func TestLookupEmptyValue(t *testing.T) {
	db := MustOpen(t)
	err := db.bolt.Update(func(btx *bbolt.Tx) error {
		b := btx.Bucket([]byte(bucketMeta))
		if err := b.Put([]byte("empty"), nil); err != nil {
			return err
		}
		if err := b.Put([]byte("key/longer"), []byte("v")); err != nil {
			return err
		}
		if b.Get([]byte("empty")) != nil {
			t.Log("bbolt's Get now finds an empty value put in the same transaction")
		}
		if v, ok := lookup(b, []byte("empty")); !ok || len(v) != 0 {
			t.Errorf("lookup(empty) = %q, %v; want an empty value, found", v, ok)
		}
		if _, ok := lookup(b, []byte("key")); ok {
			t.Error("lookup(key) found a key that only begins another")
		}
		if v, ok := lookup(b, []byte("key/longer")); !ok || string(v) != "v" {
			t.Errorf("lookup(key/longer) = %q, %v; want v, found", v, ok)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
