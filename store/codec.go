package store

import (
	"bytes"
	"compress/flate"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	kflate "github.com/klauspost/compress/flate"
)

// Record encoding. Every record is JSON. The records of deflatedBuckets
// (card records and playground chat lines, the store's largest and most
// numerous values: rendered cards, with their signed action tokens) that
// are at least deflateMin bytes long are stored compressed, when that is
// shorter: a format byte, then the raw DEFLATE stream (RFC 1951,
// compress/flate) of the JSON. A JSON value always starts with '{', so the
// first byte tells the formats apart, and the records written before
// compression (schema 4 and earlier) read as they are, with no migration.
//
// The formats, by their first byte:
//   - '{': JSON.
//   - valueDeflated (0x01): DEFLATE with no dictionary. Written from schema
//     5 until valueDict1; still read.
//   - valueDict1 (0x02): DEFLATE with the preset dictionary dict1
//     (flate.NewWriterDict). Written now.
//
// DEFLATE is a format, not one encoder's output: records are written by
// github.com/klauspost/compress/flate, at about half the CPU time of
// compress/flate for a card record (compress/flate clears 640 KiB of hash
// tables on each Reset), and read by compress/flate, which reads any
// conformant stream, so those written by compress/flate before still read.
const (
	valueDeflated = 0x01
	valueDict1    = 0x02
)

// dict1 is the preset dictionary of valueDict1: rendered cards of the
// golden files of package cards (compact JSON, both languages, the most
// common kinds last, where DEFLATE's distances are shortest) and the
// skeletons of a card record and a chat line. Records compressed with it
// can only be read with the same bytes: the file must never change. A new
// dictionary is a new file and a new format byte.
//
//go:embed deflate_dict_v1.txt
var dict1 []byte

// dict1SHA256 is the SHA-256 of dict1, checked by TestDictionaryFrozen.
const dict1SHA256 = "245366942808996492ec8c2bd82766ef5e60ce78e4834fc5ac76e074cb4d74aa"

// deflateMin is the length from which a record of a deflatedBuckets bucket
// is compressed: below it, even with the dictionary, DEFLATE saves little.
const deflateMin = 64

// deflateLevel is the compression level of valueDict1's encoder
// (klauspost's, which uses the dictionary at every level). On four golden
// cards of package cards with signed buttons (BenchmarkEncodeCard, JSON
// encoding included), level 1 takes 46–54 µs a record for 246 bytes, and
// compress/flate's default level, the encoder before, 94–103 µs for 216
// bytes (level 2 was slower than 1 and longer). In a month at 1,000
// people, the fan-outs took a quarter less in all and the group warning
// redraws a third less, though not on every day (docs/benchmarks.md).
const deflateLevel = 1

// deflatedBuckets are the buckets whose records are compressed.
var deflatedBuckets = map[string]bool{bucketCards: true, bucketChat: true}

var (
	deflaters = sync.Pool{New: func() any {
		w, _ := kflate.NewWriterDict(nil, deflateLevel, dict1)
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
	buf.WriteByte(valueDict1)
	w := deflaters.Get().(*kflate.Writer)
	defer deflaters.Put(w)
	w.Reset(&buf) // and the dictionary again
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	if buf.Len() >= len(data) {
		return data, nil
	}
	return buf.Bytes(), nil
}

// valueJSON returns a stored record's JSON: data itself, or what a
// compressed record inflates to.
func valueJSON(data []byte) ([]byte, error) {
	if len(data) == 0 {
		return data, nil
	}
	var dict []byte
	switch data[0] {
	case valueDeflated:
	case valueDict1:
		dict = dict1
	default:
		return data, nil
	}
	r := inflaters.Get().(io.ReadCloser)
	defer inflaters.Put(r)
	if err := r.(flate.Resetter).Reset(bytes.NewReader(data[1:]), dict); err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("inflate: %w", err)
	}
	return raw, nil
}

// decodeOptions are the options decodeJSON reads records with: those of
// encoding/json (version 1), which wrote them, where version 2's defaults
// are stricter. A key may come twice (the last wins), invalid UTF-8 in a
// string reads as U+FFFD, and a key matches a field whatever its case (and,
// unlike version 1, whatever its '_' and '-': no two keys of the records
// differ only in those).
var decodeOptions = jsonv2.JoinOptions(
	jsontext.AllowDuplicateNames(true),
	jsontext.AllowInvalidUTF8(true),
	jsonv2.MatchCaseInsensitiveNames(true),
)

// decodeJSON decodes a record's JSON into v with the decoder of
// github.com/go-json-experiment/json, the module that became encoding/json/v2
// (behind GOEXPERIMENT=jsonv2 in this Go), with decodeOptions. On the card
// records of package cards' golden files it takes half the time of
// encoding/json's Unmarshal (BenchmarkDecodeRecord), and decoding was a
// quarter of the CPU time of a day at 1,000 people (BenchmarkMonth's
// profiles). A record that json.Marshal wrote decodes to the same value
// (TestDecodeJSONMatchesV1, FuzzDecodeJSON); on a damaged one the error's
// text can differ from encoding/json's, and it stops at the first field
// of the wrong type where encoding/json goes on to the end.
func decodeJSON(data []byte, v any) error {
	return jsonv2.Unmarshal(data, v, decodeOptions)
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
