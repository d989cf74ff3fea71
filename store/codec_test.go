package store

import (
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"go.etcd.io/bbolt"
)

// bigCard is a card record as the flows write them: long enough to be
// stored compressed.
func bigCard(id uint64, key string) bot.CardRecord {
	return bot.CardRecord{ID: id, Key: key, Target: bot.DM(alice), To: alice,
		Card: bot.Card{Kind: bot.CardCheckin, Title: "每日签到 · 11-02", Color: bot.ColorBlue,
			Text:    strings.Repeat("T1 模块 3 的第 1 项工作：进度 40%\n", 8),
			Actions: []bot.Action{{Name: "submit", Label: "提交", Value: strings.Repeat("eyJjIjo3LCJhIjoiZG9uZSJ9", 6)}}},
		CreatedAt: t0, UpdatedAt: t0}
}

// TestCompressedRecords: large card records and chat lines are stored
// compressed and read back whole; small ones, and every other bucket's
// records, stay JSON.
func TestCompressedRecords(t *testing.T) {
	db := MustOpen(t)
	small := bot.CardRecord{ID: 2, Key: "small", Target: bot.DM(alice), Card: bot.Card{Title: "hi", Actions: []bot.Action{}}, CreatedAt: t0}
	var chatID uint64
	update(t, db, func(tx bot.Tx) error {
		if err := tx.PutCard(bigCard(1, "big")); err != nil {
			return err
		}
		if err := tx.PutCard(small); err != nil {
			return err
		}
		c := bigCard(1, "").Card
		m, err := tx.AppendChat(bot.ChatMessage{Chat: "dm:" + string(alice), From: "bot", Card: &c, Time: t0})
		chatID = m.ID
		return err
	})
	raw := func(bucket string, id uint64) []byte {
		var out []byte
		err := db.bolt.View(func(btx *bbolt.Tx) error {
			out = bytes.Clone(btx.Bucket([]byte(bucket)).Get(itob(id)))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	bigJSON, _ := json.Marshal(bigCard(1, "big"))
	if v := raw(bucketCards, 1); len(v) == 0 || v[0] != valueDict1 || len(v) >= len(bigJSON) {
		t.Errorf("big card stored as %d bytes starting %q; want compressed, under its JSON's %d", len(v), v[:min(len(v), 1)], len(bigJSON))
	}
	smallJSON, _ := json.Marshal(small)
	if v := raw(bucketCards, 2); len(v) == 0 || v[0] != valueDict1 || len(v) > len(smallJSON)/2 {
		t.Errorf("short card stored as %d bytes starting %q; want compressed with the dictionary, under half its JSON's %d", len(v), v[:min(len(v), 1)], len(smallJSON))
	}
	if v, err := encodeValue(bucketTasks, bigCard(1, "big")); err != nil || v[0] != '{' {
		t.Errorf("a record of another bucket encoded as %q…, %v; want JSON", v[:min(len(v), 8)], err)
	}
	if v := raw(bucketChat, chatID); len(v) == 0 || v[0] != valueDict1 {
		t.Errorf("chat line with a card stored as %q…; want compressed", v[:min(len(v), 8)])
	}
	view(t, db, func(tx bot.Tx) error {
		got, err := tx.Card(1)
		want := bigCard(1, "big")
		if err != nil || got.Card.Text != want.Card.Text || got.Card.Actions[0].Value != want.Card.Actions[0].Value || !got.CreatedAt.Equal(t0) {
			t.Errorf("big card read back as %+v, %v", got, err)
		}
		if got, err := tx.Card(2); err != nil || got.Key != "small" || got.Card.Title != "hi" || len(got.Card.Actions) != 0 {
			t.Errorf("short card read back as %+v, %v", got, err)
		}
		if recs, err := tx.CardsByKey("big"); err != nil || len(recs) != 1 {
			t.Errorf("CardsByKey(big): %+v, %v", recs, err)
		}
		return nil
	})
	m, err := db.ChatMessage(t.Context(), chatID)
	if err != nil || m.Card == nil || m.Card.Title != "每日签到 · 11-02" {
		t.Errorf("chat line read back as %+v, %v", m, err)
	}
}

// deflated01 is a record as schema 5 stored it before the dictionary:
// valueDeflated, then the raw DEFLATE stream (flate.BestSpeed, no
// dictionary) of its JSON.
func deflated01(tb testing.TB, v any) []byte {
	return stdDeflated(tb, v, valueDeflated, flate.BestSpeed, nil)
}

// stdDict1 is a record as valueDict1 was written before its encoder was
// klauspost's: compress/flate's default level, with dict1.
func stdDict1(tb testing.TB, v any) []byte {
	return stdDeflated(tb, v, valueDict1, flate.DefaultCompression, dict1)
}

// stdDeflated is format, then v's JSON deflated by compress/flate at level
// with the preset dictionary dict (none when nil).
func stdDeflated(tb testing.TB, v any, format byte, level int, dict []byte) []byte {
	w, _ := flate.NewWriterDict(nil, level, dict)
	return deflateWith(tb, w, v, format)
}

// deflateWith is format, then v's JSON deflated by w (reset to write it,
// with the dictionary w was made with).
func deflateWith(tb testing.TB, w *flate.Writer, v any, format byte) []byte {
	tb.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	buf.WriteByte(format)
	w.Reset(&buf)
	if _, err := w.Write(data); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// TestUncompressedRecordsStillRead: card records and chat lines written in
// the earlier formats, plain JSON (schema 4 and earlier), DEFLATE with no
// dictionary (valueDeflated, schema 5) and valueDict1 as compress/flate
// wrote it, read, update and prune as before.
func TestUncompressedRecordsStillRead(t *testing.T) {
	formats := []struct {
		name   string
		encode func(tb testing.TB, v any) []byte
	}{
		{"JSON", func(tb testing.TB, v any) []byte {
			data, err := json.Marshal(v)
			if err != nil {
				tb.Fatal(err)
			}
			return data
		}},
		{"DEFLATE with no dictionary", deflated01},
		{"DEFLATE with the dictionary, by compress/flate", stdDict1},
	}
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) { testOldRecords(t, f.encode) })
	}
}

func testOldRecords(t *testing.T, encode func(tb testing.TB, v any) []byte) {
	db := MustOpen(t)
	old := bigCard(1, "old")
	old.UpdatedAt = t0.Add(-40 * 24 * time.Hour)
	old.CreatedAt = old.UpdatedAt
	recent := bigCard(2, "recent")
	c := old.Card
	err := db.bolt.Update(func(btx *bbolt.Tx) error {
		cards := btx.Bucket([]byte(bucketCards))
		if err := cards.SetSequence(2); err != nil {
			return err
		}
		for _, rec := range []bot.CardRecord{old, recent} {
			if err := cards.Put(itob(rec.ID), encode(t, rec)); err != nil {
				return err
			}
			if err := btx.Bucket([]byte(bucketCardsByKey)).Put(strKey(rec.Key, rec.ID), nil); err != nil {
				return err
			}
			if err := btx.Bucket([]byte(bucketCardsByUpdate)).Put(cardUpdateKey(rec), nil); err != nil {
				return err
			}
		}
		chat := btx.Bucket([]byte(bucketChat))
		if err := chat.SetSequence(1); err != nil {
			return err
		}
		if err := chat.Put(itob(1), encode(t, bot.ChatMessage{ID: 1, Chat: "dm:x", From: "bot", Card: &c, Time: old.CreatedAt})); err != nil {
			return err
		}
		return btx.Bucket([]byte(bucketChatByChat)).Put(chatKey("dm:x", 1), nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	view(t, db, func(tx bot.Tx) error {
		got, err := tx.Card(1)
		if err != nil || got.Card.Text != old.Card.Text || got.Card.Actions[0].Value != old.Card.Actions[0].Value {
			t.Errorf("old card: %+v, %v", got, err)
		}
		return nil
	})
	if ms, err := db.ChatMessages(t.Context(), "dm:x"); err != nil || len(ms) != 1 || ms[0].Card == nil || ms[0].Card.Text != old.Card.Text {
		t.Errorf("old chat line: %+v, %v", ms, err)
	}
	update(t, db, func(tx bot.Tx) error {
		rec, err := tx.Card(2)
		if err != nil {
			return err
		}
		rec.Card.Color = bot.ColorGreen
		return tx.PutCard(rec)
	})
	view(t, db, func(tx bot.Tx) error {
		recs, err := tx.CardsByKey("recent")
		if err != nil || len(recs) != 1 || recs[0].Card.Color != bot.ColorGreen || recs[0].Card.Text != recent.Card.Text {
			t.Errorf("the card updated after it was read in its old format: %+v, %v", recs, err)
		}
		return nil
	})
	update(t, db, func(tx bot.Tx) error {
		n, _, err := tx.PruneCards(t0.Add(-7*24*time.Hour), t0.Add(-31*24*time.Hour), 10, nil)
		if n != 1 || err != nil {
			t.Errorf("pruning the old card: %d, %v", n, err)
		}
		m, _, err := tx.PruneChat(t0, 10)
		if m != 1 || err != nil {
			t.Errorf("pruning the old chat line: %d, %v", m, err)
		}
		return nil
	})
}

// TestDictionaryFrozen: the records of valueDict1 can be read only with
// the dictionary they were written with.
func TestDictionaryFrozen(t *testing.T) {
	if sum := sha256.Sum256(dict1); hex.EncodeToString(sum[:]) != dict1SHA256 {
		t.Fatalf("deflate_dict_v1.txt changed (SHA-256 %x): the records written with it would no longer read; "+
			"restore it, and put a new dictionary in a new file with a new format byte", sum)
	}
	// A record written with the dictionary, kept as it was stored: it
	// must read back as long as the store reads valueDict1.
	stored, err := os.ReadFile(filepath.Join("testdata", "card_dict1.bin"))
	if err != nil {
		t.Fatal(err)
	}
	var rec bot.CardRecord
	if err := decodeValue(stored, &rec); err != nil || rec.ID != 7 || rec.Card.Title != "今日打卡 · 2026-11-04 周三" || len(rec.Card.Actions) != 3 {
		t.Errorf("card_dict1.bin read as %+v, %v", rec, err)
	}
}

// goldenCards are card records of the rendered cards of package cards'
// golden files, their action values shaped like the flows' signed tokens
// (a claims part and a signature that does not compress).
func goldenCards(tb testing.TB) []bot.CardRecord {
	tb.Helper()
	var out []bot.CardRecord
	for i, name := range []string{"escalation_yellow_zh", "escalation_blue_en", "checkin_zh", "group_warning_zh"} {
		raw, err := os.ReadFile(filepath.Join("..", "cards", "testdata", name+".golden.json"))
		if err != nil {
			tb.Fatal(err)
		}
		var c bot.Card
		if err := json.Unmarshal(raw, &c); err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		for j := range c.Actions {
			sum := sha256.Sum256([]byte(name + c.Actions[j].Name))
			c.Actions[j].Value = "eyJjIjo0MjEsImEiOiJhY2sifQ." + hex.EncodeToString(sum[:16])
		}
		out = append(out, bot.CardRecord{ID: uint64(1000 + i), Key: "esc/" + name, Target: bot.DM(alice), To: alice,
			Card: c, CreatedAt: t0, UpdatedAt: t0})
	}
	return out
}

// TestDict1IsStandardDeflate: what valueDict1's encoder writes is raw
// DEFLATE (RFC 1951) with dict1 as its preset dictionary, as the standard
// library reads it, and shorter than the JSON by at least half.
func TestDict1IsStandardDeflate(t *testing.T) {
	for _, rec := range goldenCards(t) {
		want, _ := json.Marshal(rec)
		for _, bucket := range []string{bucketCards, bucketChat} {
			v, err := encodeValue(bucket, rec)
			if err != nil || len(v) == 0 || v[0] != valueDict1 {
				t.Fatalf("%s in %s: %d bytes, %v; want valueDict1", rec.Key, bucket, len(v), err)
			}
			got, err := io.ReadAll(flate.NewReaderDict(bytes.NewReader(v[1:]), dict1))
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s in %s: compress/flate inflates it to %q, %v; want %q", rec.Key, bucket, got, err, want)
			}
			if len(v) > len(want)/2 {
				t.Errorf("%s in %s: %d bytes for %d of JSON; want at most half", rec.Key, bucket, len(v), len(want))
			}
		}
	}
}

// BenchmarkEncodeCard is the encoding of a card record (encodeValue)
// against the encoder before, compress/flate's default level with the same
// dictionary (one writer reused, as the store's pool reuses its writers),
// on goldenCards; B/record is the stored size.
func BenchmarkEncodeCard(b *testing.B) {
	recs := goldenCards(b)
	std, _ := flate.NewWriterDict(nil, flate.DefaultCompression, dict1)
	encoders := []struct {
		name string
		enc  func(v any) []byte
	}{
		{"store", func(v any) []byte {
			out, err := encodeValue(bucketCards, v)
			if err != nil {
				b.Fatal(err)
			}
			return out
		}},
		{"compress-flate-default", func(v any) []byte { return deflateWith(b, std, v, valueDict1) }},
	}
	for _, e := range encoders {
		b.Run(e.name, func(b *testing.B) {
			size := 0
			for b.Loop() {
				size = 0
				for _, rec := range recs {
					size += len(e.enc(rec))
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
			b.ReportMetric(float64(size)/float64(len(recs)), "B/record")
		})
	}
}

// FuzzDecodeValue: a damaged record is an error, never a panic.
func FuzzDecodeValue(f *testing.F) {
	good, _ := encodeValue(bucketCards, bigCard(1, "k"))
	f.Add(good)
	f.Add(deflated01(f, bigCard(1, "k")))
	f.Add([]byte(`{"id":1}`))
	f.Add([]byte{valueDeflated})
	f.Add([]byte{valueDeflated, 0xff, 0x00})
	f.Add([]byte{valueDict1})
	f.Add([]byte{valueDict1, 0xff, 0x00})
	f.Add(good[:len(good)/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		var rec bot.CardRecord
		_ = decodeValue(data, &rec)
	})
}

// FuzzRecordRoundTrip: whatever a card says, its record reads back as the
// JSON it was written from, in either compressed bucket.
func FuzzRecordRoundTrip(f *testing.F) {
	f.Add("今天的任务进展如何？", "eyJjIjoyNDc0LCJhIjoic3VibWl0In0.yQQLl1lVxiUwO4wluQ")
	f.Add("", "")
	f.Add(`{"kind":"checkin"}`, "\x00\xff")
	f.Add(string(dict1[len(dict1)-300:]), string(dict1[:100]))
	f.Fuzz(func(t *testing.T, text, value string) {
		rec := bigCard(3, "checkin/"+value)
		rec.Card.Text = text
		rec.Card.Actions = []bot.Action{{Name: "submit", Label: text, Value: value}}
		want, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		for _, bucket := range []string{bucketCards, bucketChat} {
			stored, err := encodeValue(bucket, rec)
			if err != nil {
				t.Fatal(err)
			}
			got, err := valueJSON(stored)
			if err != nil {
				t.Fatalf("%s: decode %x: %v", bucket, stored, err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s: read back as\n%s\nwant\n%s", bucket, got, want)
			}
		}
	})
}
