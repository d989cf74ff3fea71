package store

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// storedRecords returns a new value of each type the store writes as a
// JSON record (the values of tx.put), to decode into.
func storedRecords() []any {
	return []any{
		&bot.AuditEvent{}, &bot.CardRecord{}, &bot.ChangeRequest{}, &bot.ChatMessage{}, &bot.CheckIn{},
		&bot.Escalation{}, &bot.File{}, &bot.LinkCode{}, &bot.Merge{}, &bot.OutboxItem{}, &bot.Person{},
		&bot.Project{}, &bot.Prompt{}, &bot.Review{}, &bot.Risk{}, &bot.Task{},
	}
}

// TestDecodeJSONMatchesV1: every record type, filled at random (strings
// with escapes, HTML characters, Chinese and emoji; times in several
// offsets; nil, empty and full slices and maps), written by json.Marshal,
// decodes with decodeJSON to what encoding/json's Unmarshal makes of it.
func TestDecodeJSONMatchesV1(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for _, proto := range storedRecords() {
		typ := reflect.TypeOf(proto).Elem()
		for i := range 300 {
			v := reflect.New(typ)
			fillRandom(r, v.Elem(), 0)
			data, err := json.Marshal(v.Interface())
			if err != nil {
				t.Fatalf("%s: %v", typ, err)
			}
			want, got := reflect.New(typ), reflect.New(typ)
			if err := json.Unmarshal(data, want.Interface()); err != nil {
				t.Fatalf("%s #%d: encoding/json: %v", typ, i, err)
			}
			if err := decodeJSON(data, got.Interface()); err != nil {
				t.Fatalf("%s #%d: decodeJSON: %v\n%s", typ, i, err, data)
			}
			if !reflect.DeepEqual(want.Interface(), got.Interface()) {
				t.Fatalf("%s #%d decodes differently:\n%s\nencoding/json: %+v\ndecodeJSON:    %+v", typ, i, data, want.Elem(), got.Elem())
			}
		}
	}
}

// FuzzDecodeJSON: on any input decodeJSON returns, never panics, and on a
// record as json.Marshal writes it (what encoding/json decodes and writes
// back the same) it decodes what encoding/json does.
func FuzzDecodeJSON(f *testing.F) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, proto := range storedRecords() {
		v := reflect.New(reflect.TypeOf(proto).Elem())
		fillRandom(r, v.Elem(), 0)
		data, _ := json.Marshal(v.Interface())
		f.Add(data)
	}
	f.Add([]byte(`{"id":1,"ID":2,"id":3}`))
	f.Add([]byte("{\"title\":\"\xff\"}"))
	f.Add([]byte(`{"card":{"actions":[{"name":1}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, proto := range storedRecords() {
			typ := reflect.TypeOf(proto).Elem()
			want, got := reflect.New(typ), reflect.New(typ)
			errGot := decodeJSON(data, got.Interface())
			if json.Unmarshal(data, want.Interface()) != nil {
				continue
			}
			again, err := json.Marshal(want.Interface())
			if err != nil || string(again) != string(data) {
				continue
			}
			if errGot != nil || !reflect.DeepEqual(want.Interface(), got.Interface()) {
				t.Fatalf("%s: %s\nencoding/json: %+v\ndecodeJSON:    %+v, %v", typ, data, want.Elem(), got.Elem(), errGot)
			}
		}
	})
}

var (
	randomStrings = []string{"", "a", "T12", "u1234", "张三", "项目群 7", "<b>&amp;</b>", "line\nbreak\ttab", `quote " and \ back`,
		"\u2028\u2029", "emoji 🚧✅", "\x01ctl", "https://example.com/?a=1&b=2"}
	randomZones = []*time.Location{time.UTC, time.FixedZone("", 8*3600), time.FixedZone("CST", 8*3600), time.FixedZone("", -5*3600-30*60)}
	dateType    = reflect.TypeFor[bot.Date]()
	timeType    = reflect.TypeFor[time.Time]()
)

// fillRandom sets v, and what it holds, to random values.
func fillRandom(r *rand.Rand, v reflect.Value, depth int) {
	switch {
	case v.Type() == timeType:
		if r.IntN(5) > 0 {
			t := time.Unix(r.Int64N(4e9), r.Int64N(1e9)*int64(r.IntN(2))).In(randomZones[r.IntN(len(randomZones))])
			v.Set(reflect.ValueOf(t))
		}
		return
	case v.Type() == dateType:
		if r.IntN(5) > 0 {
			v.Set(reflect.ValueOf(bot.DateOf(time.Unix(r.Int64N(4e9), 0).UTC())))
		}
		return
	}
	switch v.Kind() {
	case reflect.String:
		s := randomStrings[r.IntN(len(randomStrings))]
		if r.IntN(3) == 0 {
			s += fmt.Sprint(r.IntN(1000))
		}
		v.SetString(s)
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(r.Int64N(1<<uint(min(v.Type().Bits()-1, 40))) - int64(r.IntN(2))*r.Int64N(100))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		v.SetUint(r.Uint64N(1 << uint(min(v.Type().Bits(), 40))))
	case reflect.Float32, reflect.Float64:
		v.SetFloat([]float64{0, 0.5, 1, 99.25, r.Float64() * 100, -3}[r.IntN(6)])
	case reflect.Pointer:
		if depth < 4 && r.IntN(2) == 0 {
			p := reflect.New(v.Type().Elem())
			fillRandom(r, p.Elem(), depth+1)
			v.Set(p)
		}
	case reflect.Slice:
		if depth >= 4 || r.IntN(4) == 0 {
			return // nil
		}
		n := r.IntN(4)
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := range n {
			fillRandom(r, s.Index(i), depth+1)
		}
		v.Set(s)
	case reflect.Map:
		if depth >= 4 || r.IntN(4) == 0 {
			return
		}
		m := reflect.MakeMap(v.Type())
		for range r.IntN(4) {
			k := reflect.New(v.Type().Key()).Elem()
			fillRandom(r, k, depth+1)
			e := reflect.New(v.Type().Elem()).Elem()
			fillRandom(r, e, depth+1)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fillRandom(r, v.Field(i), depth+1)
			}
		}
	case reflect.Array:
		for i := range v.Len() {
			fillRandom(r, v.Index(i), depth+1)
		}
	}
}

// BenchmarkDecodeRecord is the decoding of a card record's JSON
// (decodeJSON) against encoding/json's Unmarshal, the decoder before, on
// goldenCards.
func BenchmarkDecodeRecord(b *testing.B) {
	var raws [][]byte
	for _, rec := range goldenCards(b) {
		data, err := json.Marshal(rec)
		if err != nil {
			b.Fatal(err)
		}
		raws = append(raws, data)
	}
	decoders := []struct {
		name string
		dec  func([]byte, any) error
	}{
		{"store", decodeJSON},
		{"encoding-json", json.Unmarshal},
	}
	for _, d := range decoders {
		b.Run(d.name, func(b *testing.B) {
			for b.Loop() {
				for _, data := range raws {
					var rec bot.CardRecord
					if err := d.dec(data, &rec); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(raws)), "ns/record")
		})
	}
}
