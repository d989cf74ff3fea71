package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/loopbot/loopbot/bot"
	"go.etcd.io/bbolt"
)

// tx is one bbolt transaction seen as a bot.Tx. Every bucket exists, since
// the migrations created them all.
type tx struct {
	btx *bbolt.Tx
	now func() time.Time
	// long is set for a View of bot.LongRead: rel then gives back the
	// map's pages every releaseEvery lookups (see read).
	long  bool
	rel   *releaser
	reads int
	// changed is set by a write outside deliveryBuckets (bumpVersion).
	changed bool
	// memos are the DB's decoded projects and people (memo); nil reads
	// decode every time.
	memos *memos
}

// releaseEvery is how many lookups a read-only transaction makes between
// two releases of the pages it read: with the kernel's 64 KiB fault-around,
// at most about 8 MiB of the map are resident at a time.
const releaseEvery = 128

// read counts a lookup (a Get, a Seek, a step of a cursor) of a long
// read-only transaction (bot.LongRead), and every releaseEvery of them gives
// the pages of the memory map back (releaser), so that a long read of a
// large store (an export) keeps its resident memory flat.
func (t *tx) read() {
	if !t.long {
		return
	}
	if t.reads++; t.reads%releaseEvery != 0 {
		return
	}
	if t.rel == nil {
		t.rel = newReleaser(t)
	}
	t.rel.release()
}

var (
	_ bot.Tx        = (*tx)(nil)
	_ bot.TxVersion = (*tx)(nil)
)

// Version returns the data version that t sees (bot.TxVersion): it goes
// up with every committed write transaction that changed a record outside
// deliveryBuckets, so that the outbox's deliveries to the playground, which
// commit all the time, do not make a job's read transaction look stale.
//
// In a write transaction that already changed such a record, it is the
// version the transaction commits.
func (t *tx) Version() uint64 {
	v := t.storedVersion()
	if t.changed && t.btx.Writable() {
		v++
	}
	return v
}

// storedVersion is the data version as committed before t.
func (t *tx) storedVersion() uint64 {
	if v := t.bucket(bucketVersion).Get(versionKey); len(v) == 8 {
		return btoi(v)
	}
	return 0
}

var versionKey = []byte("data")

// deliveryBuckets are the buckets of deliveries, whose writes leave the data
// version alone: what the outbox sends and how far it got, and the
// playground's chat lines, and the files the outbox sends (made and
// removed as it delivers them).
var deliveryBuckets = map[string]bool{
	bucketOutbox: true, bucketOutboxUpdates: true, bucketDeadLetters: true,
	bucketChat: true, bucketChatByChat: true, bucketChatIdem: true, bucketChatByCard: true, bucketChatKept: true,
	bucketFiles: true, bucketFileData: true,
}

// bumpVersion moves the data version up when t changed a record outside
// deliveryBuckets; every write transaction calls it last, before its
// commit.
func (t *tx) bumpVersion() error {
	if !t.changed {
		return nil
	}
	return t.bucket(bucketVersion).Put(versionKey, itob(t.storedVersion()+1))
}

// bucket returns the named top-level bucket.
func (t *tx) bucket(name string) *bbolt.Bucket {
	b := t.btx.Bucket([]byte(name))
	if fill, ok := fills[name]; ok && b != nil {
		b.FillPercent = fill
	}
	return b
}

// appendFill is how full bbolt fills a page of a bucket whose keys arrive
// in order before it splits it (bbolt's default, 0.5, suits keys that
// arrive in any order, and leaves every page of a bucket that only grows at
// its end half empty).
const appendFill = 0.9

// growFill is appendFill for the appended records that grow later. Filled
// to appendFill, their pages overflow as they grow, and bbolt splits each
// into one that keeps 90 % and one that holds a record or two. An
// escalation grows by half or more as it is warned, escalated and
// acknowledged (130 → 210 bytes and up): pages filled to 70 % take most of
// that, and split into halves that have room again.
const growFill = 0.7

// fills are the buckets whose pages bbolt fills to other than its default:
// those whose new keys come after every key they hold (ids from the
// bucket's sequence, times), or nearly: chat_kept's keys are ids of lines
// sent that day, mostly (5 days at 1,000 people: its pages held the same
// 2.1 MiB of data in 3.4 MiB filled to appendFill, 4.4 MiB by default).
var fills = map[string]float64{
	bucketAudit: appendFill, bucketChat: appendFill, bucketCards: appendFill, bucketOutbox: appendFill,
	bucketEscalations: growFill, bucketEventsByTime: appendFill, bucketTasks: appendFill,
	bucketRisks: appendFill, bucketChanges: appendFill, bucketDeadLetters: appendFill,
	bucketChatByCard: appendFill, bucketChatKept: appendFill,
}

// writable returns an error wrapping ErrReadOnly when t was begun by View.
func (t *tx) writable(op string) error {
	if !t.btx.Writable() {
		return fmt.Errorf("store: %s: %w", op, ErrReadOnly)
	}
	return nil
}

// nextID hands out the next id of a bucket's sequence.
func (t *tx) nextID(bucket, op string) (uint64, error) {
	if err := t.writable(op); err != nil {
		return 0, err
	}
	id, err := t.bucket(bucket).NextSequence()
	if err != nil {
		return 0, fmt.Errorf("store: %s: %w", op, err)
	}
	return id, nil
}

// claimID moves a bucket's sequence up to id when a record is stored with an
// id the sequence did not hand out (an import, say), so that the id is never
// handed out again.
func (t *tx) claimID(bucket string, id uint64) error {
	b := t.bucket(bucket)
	if id <= b.Sequence() {
		return nil
	}
	if err := b.SetSequence(id); err != nil {
		return fmt.Errorf("store: %s sequence: %w", bucket, err)
	}
	return nil
}

// get decodes the value at key into v and reports whether there was one.
func (t *tx) get(bucket string, key []byte, v any) (bool, error) {
	t.read()
	data := t.bucket(bucket).Get(key)
	if data == nil {
		return false, nil
	}
	// Unmarshal copies what it keeps, so nothing in v points into the
	// memory map once the transaction ends.
	if err := decodeValue(data, v); err != nil {
		return true, decodeError(bucket, key, err)
	}
	return true, nil
}

// decodeError is the error of a record of bucket at key that does not
// decode.
func decodeError(bucket string, key []byte, err error) error {
	return fmt.Errorf("store: decode %s %x: %w", bucket, key, err)
}

// lookup returns key's value in b and whether b holds key. Unlike Get, it
// tells an empty value from a missing key: Get returns nil for both when
// the key was put with an empty value in the same transaction (index
// entries, due marks, empty settings).
func lookup(b *bbolt.Bucket, key []byte) ([]byte, bool) {
	k, v := b.Cursor().Seek(key)
	if k == nil || !bytes.Equal(k, key) {
		return nil, false
	}
	return v, true
}

// has reports whether b holds key (see lookup).
func has(b *bbolt.Bucket, key []byte) bool {
	_, ok := lookup(b, key)
	return ok
}

// put encodes v and stores it at key.
func (t *tx) put(bucket string, key []byte, v any) error {
	data, err := encodeValue(bucket, v)
	if err != nil {
		return fmt.Errorf("store: encode %s %x: %w", bucket, key, err)
	}
	return t.putRaw(bucket, key, data)
}

// del removes key from a bucket.
func (t *tx) del(bucket string, key []byte) error {
	t.changed = t.changed || !deliveryBuckets[bucket]
	if err := t.bucket(bucket).Delete(key); err != nil {
		return fmt.Errorf("store: delete %s %x: %w", bucket, key, err)
	}
	return nil
}

// reindex moves an index entry (with an empty value) from oldKey to newKey.
// A nil key means no entry; equal keys leave the index alone.
func (t *tx) reindex(bucket string, oldKey, newKey []byte) error {
	if bytes.Equal(oldKey, newKey) {
		return nil
	}
	if oldKey != nil {
		if err := t.del(bucket, oldKey); err != nil {
			return err
		}
	}
	if newKey == nil {
		return nil
	}
	return t.putRaw(bucket, newKey, nil)
}

// putRaw stores value at key as it is.
//
// A value that replaces a longer one is put after a delete of the key:
// bbolt merges a page with its neighbour at commit only when a delete left
// it under half its fill (rebalance), and a put that shrinks a record does
// not count. Cards and chat lines shrink once their buttons are gone (a
// check-in card from about 1,000 bytes stored to 400), so without the
// delete their pages, filled while the cards were open, stayed about a
// third full.
func (t *tx) putRaw(bucket string, key, value []byte) error {
	t.changed = t.changed || !deliveryBuckets[bucket]
	b := t.bucket(bucket)
	if old := b.Get(key); old != nil && len(value) < len(old) {
		if err := b.Delete(key); err != nil {
			return fmt.Errorf("store: put %s %x: %w", bucket, key, err)
		}
	}
	if err := b.Put(key, value); err != nil {
		return fmt.Errorf("store: put %s %x: %w", bucket, key, err)
	}
	return nil
}

// loadAll decodes every value of a bucket, in key order.
func loadAll[T any](t *tx, bucket string) ([]T, error) {
	var out []T
	err := t.bucket(bucket).ForEach(func(k, v []byte) error {
		var x T
		if err := decodeValue(v, &x); err != nil {
			return fmt.Errorf("store: decode %s %x: %w", bucket, k, err)
		}
		out = append(out, x)
		return nil
	})
	return out, err
}

// loadWhile decodes the values of a bucket in key order, from the first key
// at or after start for as long as keep holds.
func loadWhile[T any](t *tx, bucket string, start []byte, keep func(k []byte) bool) ([]T, error) {
	var out []T
	c := t.bucket(bucket).Cursor()
	t.read() // the Seek
	for k, v := c.Seek(start); k != nil && keep(k); k, v = c.Next() {
		t.read()
		var x T
		if err := decodeValue(v, &x); err != nil {
			return nil, fmt.Errorf("store: decode %s %x: %w", bucket, k, err)
		}
		out = append(out, x)
	}
	return out, nil
}

// loadIDs decodes the records with the given ids, in that order. An id with
// no record means an index is out of step with its bucket.
func loadIDs[T any](t *tx, bucket string, ids []uint64) ([]T, error) {
	return loadMemo[T](t, nil, bucket, ids)
}

// hasPrefix reports whether bucket has a key that starts with prefix.
func (t *tx) hasPrefix(bucket string, prefix []byte) bool {
	t.read() // the Seek
	k, _ := t.bucket(bucket).Cursor().Seek(prefix)
	return k != nil && bytes.HasPrefix(k, prefix)
}

// idsWithPrefix returns the ids that end the index keys starting with
// prefix, in key order. Only keys exactly eight bytes longer than the prefix
// count, so that the prefix "ab\x00" never matches a key of "ab\x00c".
func (t *tx) idsWithPrefix(bucket string, prefix []byte) []uint64 {
	var ids []uint64
	c := t.bucket(bucket).Cursor()
	t.read() // the Seek
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		t.read()
		if len(k) == len(prefix)+8 {
			ids = append(ids, btoi(k[len(prefix):]))
		}
	}
	return ids
}

// itob encodes an id as a big-endian key, so that keys sort as numbers.
func itob(n uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, n)
	return b
}

// btoi decodes a big-endian id.
func btoi(b []byte) uint64 {
	return binary.BigEndian.Uint64(b)
}

// idKey returns <a><b>, both big-endian: an index key for the record b under
// the record a.
func idKey(a, b uint64) []byte {
	return binary.BigEndian.AppendUint64(itob(a), b)
}

// strKey returns <s>\x00<id>, an index key for the record id under the name
// s, or nil when s is empty.
func strKey(s string, id uint64) []byte {
	if s == "" {
		return nil
	}
	return binary.BigEndian.AppendUint64(strPrefix(s), id)
}

// strPrefix returns <s>\x00, the prefix of the strKey keys under s.
func strPrefix(s string) []byte {
	return append([]byte(s), 0)
}
