package dingtalk

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/loopbot/loopbot/bot"
)

// FuzzFrame feeds arbitrary frames to the inbound decoder: it never
// panics, answers every frame it can read with 200, and turns only
// well-formed chatbot messages and card callbacks into events.
func FuzzFrame(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(fixtures, "*.json"))
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err == nil {
			f.Add(raw)
		}
	}
	f.Add([]byte(`{"type":"CALLBACK","headers":{"topic":"/v1.0/card/instances/callback","messageId":"m"},"data":"{\"userId\":\"u\",\"content\":\"{\\\"cardPrivateData\\\":{\\\"params\\\":{\\\"action\\\":\\\"accept\\\",\\\"token\\\":\\\"t\\\",\\\"n\\\":3}}}\"}"}`))
	f.Add([]byte(`{"type":"CALLBACK","headers":{"topic":"/v1.0/card/instances/callback","messageId":"m"},"data":"{\"userIdType\":2,\"userId\":\"union\",\"content\":\"{\\\"cardPrivateData\\\":{\\\"params\\\":{\\\"action\\\":\\\"submit\\\",\\\"token\\\":\\\"t\\\",\\\"tasks\\\":\\\"T1,,T3\\\",\\\"progress_2\\\":\\\"5\\\"}}}\"}"}`))
	// DingTalk's older API knows no unionId: a click by unionId is refused
	// with a toast, answered 200.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1.0/oauth2/accessToken" {
			io.WriteString(w, `{"accessToken":"token-1","expireIn":7200}`)
			return
		}
		io.WriteString(w, `{"errcode":60121,"errmsg":"找不到该用户"}`)
	}))
	defer srv.Close()
	f.Fuzz(func(t *testing.T, raw []byte) {
		df, err := decodeFrame(raw)
		if err != nil {
			return
		}
		var got []bot.Event
		a := New(Config{ClientID: "id", ClientSecret: "secret", OpenAPIHost: srv.URL}, handlerFunc(func(_ context.Context, ev bot.Event) (bot.Response, error) {
			got = append(got, ev)
			return bot.Response{}, nil
		}))
		resp := a.handleFrame(context.Background(), df)
		if resp == nil || resp.Code != 200 {
			t.Fatalf("answer %+v", resp)
		}
		for _, ev := range got {
			if !strings.HasPrefix(string(ev.From), "dingtalk:") || ev.ID == "dingtalk:" || (ev.Kind == bot.EventAction && (ev.Action == nil || ev.Action.Token == "")) {
				t.Fatalf("bad event %+v", ev)
			}
			if utf8.ValidString(df.Data) && !utf8.ValidString(ev.Text) {
				t.Fatalf("text %q", ev.Text)
			}
		}
	})
}
