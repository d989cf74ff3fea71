package store

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// checkInSeeds are stored check-ins as json.Marshal writes them, and
// documents just outside decodeCheckIn's subset.
func checkInSeeds(tb testing.TB) [][]byte {
	sh := time.FixedZone("CST", 8*3600)
	full := bot.CheckIn{Person: "feishu:ou_1", Day: bot.NewDate(2026, 11, 23), SubmittedAt: time.Date(2026, 11, 23, 18, 5, 7, 123, sh),
		Late: true, NoChange: true, Leave: true,
		Answers: []bot.CheckInAnswer{{Task: 7, Progress: 40, Status: bot.AtRisk, Hours: 2.5, Note: "联调 <b>&\"x\"\n"},
			{Task: 18446744073709551615, Progress: -1, Status: bot.OnTrack}}}
	full.History = []bot.CheckIn{{Person: "feishu:ou_1", Day: full.Day, SubmittedAt: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC),
		Answers: []bot.CheckInAnswer{{Task: 7, Progress: 30, Status: bot.OnTrack, Hours: 1e-7}}}}
	var out [][]byte
	plain := full
	plain.Answers = []bot.CheckInAnswer{{Task: 7, Progress: 40, Status: bot.AtRisk, Hours: 2.5, Note: "联调 plain"}}
	for _, ci := range []bot.CheckIn{plain, {Person: "playground:bob", Day: bot.NewDate(2024, 2, 29)}, {}} {
		b, err := json.Marshal(ci)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	if b, err := json.Marshal(full); err != nil {
		tb.Fatal(err)
	} else {
		out = append(out, b) // with escapes: encoding/json decodes it
	}
	for _, s := range []string{
		`{"person":"a","day":"2026-11-23","answers":[{"task":1,"progress":5,"status":"on_track","hours":2,"note":"按计划推进"}],"submitted_at":"2026-11-23T10:00:00+08:00"}`,
		` { "person" : "a" , "answers" : [ ] , "history" : [ ] , "late" : false } `,
		`{"Person":"a"}`, `{"person":"a","person":"b"}`, `{"person":null}`, `null`, `{"person":"a"}x`, `{"day":"2026-02-30"}`,
		`{"day":"0000-01-01"}`, `{"day":""}`, `{"answers":[{"task":-1}]}`, `{"answers":[{"progress":1.5}]}`,
		`{"answers":[{"hours":1e400}]}`, `{"answers":[{"task":01}]}`, `{"answers":[{"hours":-0.5e-3}]}`, `{"late":tru}`,
		`{"person":"\u00e9"}`, "{\"person\":\"a\xffb\"}", `{"submitted_at":"2026-11-23 10:00:00"}`, `{"extra":1}`,
		`{"answers":[{"task":1},{"task":2,"task":3}]}`, `{"history":[{"history":[{"person":"x"}]}]}`, `{`, `[]`, ``,
	} {
		out = append(out, []byte(s))
	}
	return out
}

// FuzzDecodeCheckIn checks that decodeCheckIn decodes every document as
// json.Unmarshal does: the same check-in (compared as JSON, so that time
// zones compare by offset), and an error exactly when it gives one.
func FuzzDecodeCheckIn(f *testing.F) {
	for _, s := range checkInSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var want, got bot.CheckIn
		wantErr := json.Unmarshal(data, &want)
		gotErr := decodeCheckIn(data, &got)
		var shared bot.CheckIn
		if err := decodeCheckInShared(data, &shared, map[string]string{}); (err == nil) != (gotErr == nil) {
			t.Fatalf("%q: shared strings: %v; without: %v", data, err, gotErr)
		}
		if (wantErr == nil) != (gotErr == nil) {
			t.Fatalf("%q: encoding/json: %v; decodeCheckIn: %v", data, wantErr, gotErr)
		}
		if wantErr != nil {
			return
		}
		w, _ := json.Marshal(want)
		g, _ := json.Marshal(got)
		sh, _ := json.Marshal(shared)
		if !bytes.Equal(w, g) || !bytes.Equal(w, sh) {
			t.Fatalf("%q:\nencoding/json: %s\ndecodeCheckIn: %s", data, w, g)
		}
		if (want.Answers == nil) != (got.Answers == nil) || (want.History == nil) != (got.History == nil) {
			t.Fatalf("%q: nil slices differ: %#v / %#v", data, want, got)
		}
	})
}

// TestDecodeCheckInFastPath checks that what json.Marshal writes for a
// check-in takes the fast path (no fallback to encoding/json).
func TestDecodeCheckInFastPath(t *testing.T) {
	for _, s := range checkInSeeds(t)[:3] {
		d := jsonScan{b: s}
		var ci bot.CheckIn
		if !d.checkIn(&ci) || !d.end() {
			t.Errorf("%s: not decoded by the fast path", s)
		}
	}
}

func BenchmarkDecodeCheckIn(b *testing.B) {
	data := checkInSeeds(b)[4]
	for b.Loop() {
		var ci bot.CheckIn
		if err := decodeCheckIn(data, &ci); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeCheckInShared(b *testing.B) {
	data := checkInSeeds(b)[4]
	shared := map[string]string{}
	for b.Loop() {
		var ci bot.CheckIn
		if err := decodeCheckInShared(data, &ci, shared); err != nil {
			b.Fatal(err)
		}
	}
}
