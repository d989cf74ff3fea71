package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"go.etcd.io/bbolt"

	"github.com/loopbot/loopbot/bot"
)

// migrations returns the schema changes in order: entry i takes a file from
// version i to version i+1, so the schema version of a file is the number of
// entries applied to it. Never edit, remove or reorder an entry that has been
// released; append a new one.
func migrations() []func(*bbolt.Tx) error {
	return []func(*bbolt.Tx) error{
		createBuckets,
		createBucketsV2,
		createBucketsV3,
		createBucketsV4,
		createBucketsV5,
		createBucketsV6,
		createBucketsV7,
		reorderCardsByUpdate,
		createBucketsV9,
	}
}

// createBuckets is version 1: every bucket in bucket.go.
func createBuckets(btx *bbolt.Tx) error {
	for _, name := range allBuckets() {
		if _, err := btx.CreateBucketIfNotExists([]byte(name)); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
}

// createBucketsV2 is version 2: the buckets of prompts, check-ins,
// escalations and reviews. A file created at version 2 or later already has
// them from version 1, which makes this step a no-op there.
func createBucketsV2(btx *bbolt.Tx) error {
	for _, name := range bucketsV2() {
		if _, err := btx.CreateBucketIfNotExists([]byte(name)); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
}

// createBucketsV3 is version 3: the escalation check's due index. A file
// made by an earlier version has no entries: the first check after the
// upgrade looks at everything once and fills it.
func createBucketsV3(btx *bbolt.Tx) error {
	for _, name := range bucketsV3() {
		if _, err := btx.CreateBucketIfNotExists([]byte(name)); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
}

// createBucketsV4 is version 4: the buckets of the plans release (risks,
// change requests, the sub-task index, and what else bucketsV4 lists). A
// file made by an earlier version has none of these records yet, except
// the sub-task index, which is filled from the tasks the file has.
func createBucketsV4(btx *bbolt.Tx) error {
	for _, name := range bucketsV4() {
		if _, err := btx.CreateBucketIfNotExists([]byte(name)); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return indexParents(btx)
}

// createBucketsV5 is version 5: the buckets of the several-platforms
// release (linked identities, merges, link codes, and what else bucketsV5
// lists). A file made by an earlier version has none of these records.
// The project index of the audit log (audit_by_project) is filled from the
// events the file has.
func createBucketsV5(btx *bbolt.Tx) error {
	for _, name := range bucketsV5() {
		if _, err := btx.CreateBucketIfNotExists([]byte(name)); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return indexAuditByProject(btx)
}

// createBucketsV6 is version 6: the index of the chat lines whose card is
// a reference to its card record. The lines a file already has hold their
// cards, and are not in it.
func createBucketsV6(btx *bbolt.Tx) error {
	for _, name := range bucketsV6() {
		if _, err := btx.CreateBucketIfNotExists([]byte(name)); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
}

// createBucketsV7 is version 7: the index of card records by their last
// change, filled from the cards the file has.
func createBucketsV7(btx *bbolt.Tx) error {
	idx, err := btx.CreateBucketIfNotExists([]byte(bucketCardsByUpdate))
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketCardsByUpdate, err)
	}
	return btx.Bucket([]byte(bucketCards)).ForEach(func(k, v []byte) error {
		var rec bot.CardRecord
		if err := decodeValue(v, &rec); err != nil {
			return fmt.Errorf("store: decode %s %x: %w", bucketCards, k, err)
		}
		return idx.Put(cardUpdateKeyV7(rec), nil)
	})
}

// reorderCardsByUpdate is version 8: the keys of the index of card records
// by last change put the finished flag first (<finished><time><card id>,
// cardUpdateKey), so that retention walks only the finished cards up to
// their cut-off and only the open ones up to theirs. Before, each pruning
// transaction passed over every open card older than the finished cards'
// cut-off: escalation cards with buttons, kept for weeks (BenchmarkMonth).
func reorderCardsByUpdate(btx *bbolt.Tx) error {
	idx := btx.Bucket([]byte(bucketCardsByUpdate))
	var keys [][]byte
	err := idx.ForEach(func(k, _ []byte) error {
		if len(k) == 17 {
			keys = append(keys, bytes.Clone(k))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := btx.DeleteBucket([]byte(bucketCardsByUpdate)); err != nil {
		return fmt.Errorf("delete bucket %s: %w", bucketCardsByUpdate, err)
	}
	if idx, err = btx.CreateBucket([]byte(bucketCardsByUpdate)); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketCardsByUpdate, err)
	}
	for _, k := range keys {
		if err := idx.Put(append([]byte{k[16]}, k[:16]...), nil); err != nil {
			return err
		}
	}
	return nil
}

// createBucketsV9 is version 9: the earlier cards that chat lines show,
// kept as their records' stored bytes. The lines a file already has that
// show an earlier card hold it themselves, and read as before.
func createBucketsV9(btx *bbolt.Tx) error {
	for _, name := range bucketsV9() {
		if _, err := btx.CreateBucketIfNotExists([]byte(name)); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
}

// indexAuditByProject fills bucketAuditByProject from the audit log.
func indexAuditByProject(btx *bbolt.Tx) error {
	idx := btx.Bucket([]byte(bucketAuditByProject))
	return btx.Bucket([]byte(bucketAudit)).ForEach(func(k, v []byte) error {
		var e struct {
			Time    time.Time `json:"time"`
			Project uint64    `json:"project"`
		}
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("index audit by project: decode event %x: %w", k, err)
		}
		if e.Project == 0 || len(k) != 8 {
			return nil
		}
		return idx.Put(auditProjectKey(e.Project, e.Time, btoi(k)), nil)
	})
}

// indexParents fills the sub-task index (bucketTasksByParent) from the
// tasks of the file.
func indexParents(btx *bbolt.Tx) error {
	idx := btx.Bucket([]byte(bucketTasksByParent))
	return btx.Bucket([]byte(bucketTasks)).ForEach(func(k, v []byte) error {
		var t struct {
			Parent uint64 `json:"parent"`
		}
		if err := json.Unmarshal(v, &t); err != nil {
			return fmt.Errorf("index sub-tasks: decode task %x: %w", k, err)
		}
		if t.Parent == 0 || len(k) != 8 {
			return nil
		}
		return idx.Put(append(itob(t.Parent), k...), nil)
	})
}

// migrate brings the file up to len(steps), one transaction per step, each
// also recording the new version, so that a failed step leaves the file at
// the last version that completed. A file newer than steps is refused.
func migrate(b *bbolt.DB, path string, steps []func(*bbolt.Tx) error) error {
	var version int
	err := b.View(func(btx *bbolt.Tx) error {
		var err error
		version, err = schemaVersion(btx)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: %s: %w", path, err)
	}
	if version > len(steps) {
		return fmt.Errorf("store: %s has schema version %d, newer than this loopbot (%d); upgrade loopbot",
			path, version, len(steps))
	}
	for v := version; v < len(steps); v++ {
		err := b.Update(func(btx *bbolt.Tx) error {
			if err := steps[v](btx); err != nil {
				return err
			}
			return setSchemaVersion(btx, v+1)
		})
		if err != nil {
			return fmt.Errorf("store: %s: migrate to schema version %d: %w", path, v+1, err)
		}
	}
	return nil
}

// schemaVersion reads the version of the file; a new file, with no meta
// bucket yet, is version 0.
func schemaVersion(btx *bbolt.Tx) (int, error) {
	meta := btx.Bucket([]byte(bucketMeta))
	if meta == nil {
		return 0, nil
	}
	raw := meta.Get([]byte(keySchemaVersion))
	if raw == nil {
		return 0, nil
	}
	v, err := strconv.Atoi(string(raw))
	if err != nil || v < 0 {
		return 0, fmt.Errorf("schema version %q is not a number", raw)
	}
	return v, nil
}

// setSchemaVersion records v in the meta bucket, creating it if a custom
// first step did not.
func setSchemaVersion(btx *bbolt.Tx, v int) error {
	meta, err := btx.CreateBucketIfNotExists([]byte(bucketMeta))
	if err != nil {
		return fmt.Errorf("meta bucket: %w", err)
	}
	return meta.Put([]byte(keySchemaVersion), []byte(strconv.Itoa(v)))
}
