package store

import (
	"bytes"
	"compress/flate"
	"encoding/json"
	"fmt"
	"io"
	"sync"
)

// Record encoding. Every record is JSON. The records of deflatedBuckets
// (card records and playground chat lines, the store's largest and most
// numerous values: rendered cards, with their signed action tokens) that
// are at least deflateMin bytes long are stored compressed: the byte
// valueDeflated, then the raw DEFLATE stream (RFC 1951, compress/flate) of
// the JSON. A JSON value always starts with '{', so the first byte tells
// the two apart, and the records written before this encoding (schema 4 and
// earlier) read as they are, with no migration.
const valueDeflated = 0x01

// deflateMin is the length from which a record of a deflatedBuckets bucket
// is compressed: below it, DEFLATE saves little.
const deflateMin = 256

// deflatedBuckets are the buckets whose records are compressed.
var deflatedBuckets = map[string]bool{bucketCards: true, bucketChat: true}

var (
	deflaters = sync.Pool{New: func() any {
		w, _ := flate.NewWriter(nil, flate.BestSpeed)
		return w
	}}
	inflaters = sync.Pool{New: func() any { return flate.NewReader(nil) }}
)

// encodeValue returns the stored form of v in bucket.
func encodeValue(bucket string, v any) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil || !deflatedBuckets[bucket] || len(data) < deflateMin {
		return data, err
	}
	var buf bytes.Buffer
	buf.Grow(len(data)/2 + 16)
	buf.WriteByte(valueDeflated)
	w := deflaters.Get().(*flate.Writer)
	defer deflaters.Put(w)
	w.Reset(&buf)
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// valueJSON returns a stored record's JSON: data itself, or what a
// compressed record inflates to.
func valueJSON(data []byte) ([]byte, error) {
	if len(data) == 0 || data[0] != valueDeflated {
		return data, nil
	}
	r := inflaters.Get().(io.ReadCloser)
	defer inflaters.Put(r)
	if err := r.(flate.Resetter).Reset(bytes.NewReader(data[1:]), nil); err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("inflate: %w", err)
	}
	return raw, nil
}

// decodeValue decodes a stored record, JSON or compressed JSON, into v. It
// copies what v keeps, so nothing in v points into the memory map.
func decodeValue(data []byte, v any) error {
	raw, err := valueJSON(data)
	if err != nil {
		return err
	}
	return unmarshal(raw, v) // check-ins without reflection (checkin_decode.go)
}
