package feishu

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// fixtures holds copies of the official sample payloads (testdata/fixtures/README.md).
const fixtures = "testdata/fixtures"

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	return b
}

// vector reads the key=value lines of a test vector file.
func vector(t *testing.T, name string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, line := range strings.Split(string(readFixture(t, name)), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			out[k] = v
		}
	}
	return out
}

func TestDecryptOfficialVectors(t *testing.T) {
	for _, name := range []string{"encrypt_key.test_vector.txt", "sdk_dispatcher_test.encrypted_event.txt"} {
		t.Run(name, func(t *testing.T) {
			v := vector(t, name)
			got, err := Decrypt(v["encrypt"], v["encrypt_key"])
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != v["plaintext"] {
				t.Errorf("decrypted %q, want %q", got, v["plaintext"])
			}
			if _, err := Decrypt(v["encrypt"], v["encrypt_key"]+"x"); err == nil {
				t.Error("a wrong key decrypted without an error")
			}
		})
	}
}

func TestEncryptRoundTrip(t *testing.T) {
	plain := []byte(`{"schema":"2.0","header":{"event_id":"e1"}}`)
	for _, n := range []int{0, 1, 15, 16, 17, len(plain)} {
		got, err := Decrypt(encrypt(plain[:n], "k", bytes.Repeat([]byte{7}, 16)), "k")
		if err != nil || !bytes.Equal(got, plain[:n]) {
			t.Errorf("length %d: %q, %v", n, got, err)
		}
	}
}

func testDecoder(self string) decoder {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	return decoder{botOpenID: func() string { return self }, now: func() time.Time { return now }}
}

// TestDecodeReceiveFixture decodes the official im.message.receive_v1
// sample. Its only mention (@_user_1, Tom) is taken as the bot, so the group
// message is addressed to the bot and its text is "hello".
func TestDecodeReceiveFixture(t *testing.T) {
	env, err := parseEnvelope(readFixture(t, "im.message.receive_v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := testDecoder("ou_84aad35d084aa403a838cf73ee18467").decode(env)
	if err != nil {
		t.Fatal(err)
	}
	want := bot.Event{ID: "feishu:msg:om_5ce6d572455d361153b7cb51da133945", Platform: bot.Feishu, Kind: bot.EventMessage,
		From: "feishu:ou_84aad35d084aa403a838cf73ee18467", Chat: bot.Group(bot.Feishu, "oc_5ce6d572455d361153b7xx51da133945"),
		Time: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), Text: "hello"}
	if !equalJSON(ev, want) {
		t.Errorf("got  %+v\nwant %+v", ev, want)
	}

	// The same sample with another bot: Tom is a person, and the group
	// message does not mention the bot, so it is not for it.
	if _, err := testDecoder("ou_the_bot").decode(env); err != errIgnored {
		t.Errorf("a group message without the bot's mention: %v, want errIgnored", err)
	}

	// In a direct chat the mention becomes a person the parser reads, with
	// the name the event carries.
	p2p := bytes.Replace(readFixture(t, "im.message.receive_v1.json"), []byte(`"chat_type": "group"`), []byte(`"chat_type": "p2p"`), 1)
	env, _ = parseEnvelope(p2p)
	ev, err = testDecoder("ou_the_bot").decode(env)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Text != "@feishu:ou_84aad35d084aa403a838cf73ee18467 hello" || ev.Chat != bot.DM(ev.From) {
		t.Errorf("direct chat: text %q, chat %+v", ev.Text, ev.Chat)
	}
	if ev.Names["feishu:ou_84aad35d084aa403a838cf73ee18467"] != "Tom" {
		t.Errorf("names %v, want Tom", ev.Names)
	}
}

// TestDecodeCardActionFixture decodes the official card.action.trigger
// sample, with the button value loopbot puts on its buttons.
func TestDecodeCardActionFixture(t *testing.T) {
	raw := readFixture(t, "card.action.trigger.json")
	env, err := parseEnvelope(raw)
	if err != nil {
		t.Fatal(err)
	}
	// The sample's own value ({"key":"value"}) is no loopbot button.
	if _, err := testDecoder("").decode(env); err != errIgnored {
		t.Errorf("a foreign button: %v, want errIgnored", err)
	}
	raw = bytes.Replace(raw, []byte(`"key": "value"`), []byte(`"action": "submit", "token": "signed.token"`), 1)
	env, _ = parseEnvelope(raw)
	ev, err := testDecoder("").decode(env)
	if err != nil {
		t.Fatal(err)
	}
	if ev.ID != "feishu:event:f7984f25108f8137722bb63c*****" || ev.Kind != bot.EventAction ||
		ev.From != "feishu:ou_3c14f3a59eaf2825dbe25359f15*****" || ev.Chat != bot.Group(bot.Feishu, "oc_e4d2605ca917e695f54f11aaf56*****") {
		t.Errorf("event %+v", ev)
	}
	a := ev.Action
	if a.Name != "submit" || a.Token != "signed.token" || a.MessageRef != "om_574d639e4a44e4dd646eaf628e2*****" {
		t.Errorf("action %+v", a)
	}
	wantForm := map[string]string{
		"field name1": "selectDemo1,selectDemo2", "field name2": "value2",
		"DatePicker_bpqdq5puvn4": "2024-04-01", "DateTimePicker_ihz2d7a74i": "2024-04-29 07:07 +0800",
		"Input_lf4fmxwfrd9": "1234", "PersonSelect_2ejys7ype7m": "ou_3c14f3a59eaf2825dbe25359f15*****",
		"Select_a2d5b7l3zd": "1", "TimePicker_7ecsf6xkqsq": "00:00 +0800",
	}
	if !equalJSON(a.Form, wantForm) {
		t.Errorf("form %v\nwant %v", a.Form, wantForm)
	}
}

// TestCallbackAnswerMatchesOfficialShape checks the card callback answer
// against the official response sample: toast{type, content} and
// card{type: raw, data: a JSON 2.0 card}.
func TestCallbackAnswerMatchesOfficialShape(t *testing.T) {
	var official map[string]any
	if err := json.Unmarshal(readFixture(t, "card.action.trigger.response.official.json"), &official); err != nil {
		t.Fatal(err)
	}
	c := bot.Card{Kind: bot.CardTaskAssigned, Title: "T3", Color: bot.ColorGreen, Text: "已接受"}
	var ours map[string]any
	b, _ := json.Marshal(callbackAnswer(bot.Response{Toast: "ok", Card: &c}))
	_ = json.Unmarshal(b, &ours)
	for _, path := range [][]string{{"toast", "type"}, {"toast", "content"}, {"card", "type"}, {"card", "data", "schema"},
		{"card", "data", "header", "title", "tag"}, {"card", "data", "header", "template"}, {"card", "data", "body", "elements"},
		{"card", "data", "config", "update_multi"}} {
		if dig(official, path...) == nil {
			t.Fatalf("the official sample has no %v", path)
		}
		if dig(ours, path...) == nil {
			t.Errorf("our answer has no %v", path)
		}
	}
	if dig(ours, "card", "type") != "raw" || dig(ours, "card", "data", "schema") != "2.0" {
		t.Errorf("answer %s", b)
	}
	// A refusal carries a toast and leaves the card alone.
	b, _ = json.Marshal(callbackAnswer(bot.Response{Toast: "no"}))
	if string(b) != `{"toast":{"type":"warning","content":"no"}}` {
		t.Errorf("refusal answer %s", b)
	}
}

func dig(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// FuzzDecode feeds arbitrary callback bodies to the decoder: it never
// panics, and what it accepts is a well-formed bot event.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"im.message.receive_v1.json", "card.action.trigger.json"} {
		b, err := os.ReadFile(filepath.Join(fixtures, name))
		if err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"header":{"event_type":"im.chat.member.bot.added_v1","event_id":"e"},"event":{"chat_id":"oc","operator_id":{"open_id":"ou"}}}`))
	f.Add([]byte(`{"header":{"event_type":"im.message.receive_v1"},"event":{"sender":{"sender_type":"user","sender_id":{"open_id":"ou"}},"message":{"message_id":"om","chat_id":"oc","chat_type":"p2p","message_type":"post","content":"{\"content\":[[{\"tag\":\"at\",\"user_id\":\"@_user_1\"}]]}"}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		env, err := parseEnvelope(body)
		if err != nil {
			return
		}
		ev, err := testDecoder("ou_bot").decode(env)
		if err != nil {
			return
		}
		if ev.ID == "" || ev.From.Platform() != bot.Feishu || ev.From.Local() == "" || ev.Chat.Platform != bot.Feishu || ev.Chat.Chat == "" {
			t.Errorf("accepted a malformed event %+v", ev)
		}
		if (ev.Kind == bot.EventAction) != (ev.Action != nil) {
			t.Errorf("kind %s with action %v", ev.Kind, ev.Action)
		}
	})
}

// FuzzDecrypt checks that no ciphertext makes Decrypt panic.
func FuzzDecrypt(f *testing.F) {
	f.Add("P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=", "test key")
	f.Add("", "k")
	f.Add("AAAAAAAAAAAAAAAAAAAAAA==", "k")
	f.Fuzz(func(t *testing.T, enc, key string) {
		_, _ = Decrypt(enc, key)
	})
}
