package store

import (
	"bytes"

	"github.com/loopbot/loopbot/bot"
)

// Meta returns a copy of the value stored under key, or an ENOTFOUND error.
func (t *tx) Meta(key string) ([]byte, error) {
	v, ok := lookup(t.bucket(bucketMeta), []byte(key))
	if key == "" || !ok {
		return nil, bot.Errorf(bot.ENOTFOUND, "setting %q not found", key)
	}
	return bytes.Clone(v), nil
}

// PutMeta stores value under key. It returns EINVALID for an empty key or
// one of the store's own keys, such as the schema version.
func (t *tx) PutMeta(key string, value []byte) error {
	if err := t.writable("put meta"); err != nil {
		return err
	}
	if key == "" {
		return bot.Errorf(bot.EINVALID, "a setting needs a name")
	}
	if reservedMetaKey(key) {
		return bot.Errorf(bot.EINVALID, "setting %q belongs to the store", key)
	}
	// bbolt keeps the slice until the transaction ends, so it gets a copy
	// that the caller cannot change meanwhile.
	return t.putRaw(bucketMeta, []byte(key), bytes.Clone(value))
}

// MetaPrefix returns a copy of every key that starts with prefix, and its
// value.
func (t *tx) MetaPrefix(prefix string) (map[string][]byte, error) {
	out := make(map[string][]byte)
	p := []byte(prefix)
	c := t.bucket(bucketMeta).Cursor()
	for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		out[string(k)] = bytes.Clone(v)
	}
	return out, nil
}

// MetaKeysAfter returns up to limit keys that start with prefix and sort
// after the key after, in key order.
func (t *tx) MetaKeysAfter(prefix, after string, limit int) ([]string, error) {
	var out []string
	p := []byte(prefix)
	c := t.bucket(bucketMeta).Cursor()
	k, _ := c.Seek(p)
	if after != "" {
		if k, _ = c.Seek([]byte(after)); k != nil && string(k) == after {
			k, _ = c.Next()
		}
	}
	for ; k != nil && bytes.HasPrefix(k, p) && len(out) < limit; k, _ = c.Next() {
		out = append(out, string(k))
	}
	return out, nil
}

// DeleteMeta removes key. A missing key is no error. It returns EINVALID for
// one of the store's own keys.
func (t *tx) DeleteMeta(key string) error {
	if err := t.writable("delete meta"); err != nil {
		return err
	}
	if key == "" || reservedMetaKey(key) {
		return bot.Errorf(bot.EINVALID, "setting %q cannot be deleted", key)
	}
	return t.del(bucketMeta, []byte(key))
}
