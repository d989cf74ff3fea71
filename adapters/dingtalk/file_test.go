package dingtalk

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/loopbot/loopbot/bot"
)

// TestSendFile uploads the file with media/upload and sends it as the
// robot's sampleFile message, to a person with batchSend and to a group
// with groupMessages/send; a retry reuses the media_id.
func TestSendFile(t *testing.T) {
	f := newFake(t)
	a := newAdapter(f, nil)
	ctx := context.Background()
	data := append([]byte("PK\x03\x04"), bytes.Repeat([]byte{0, 0xff, '\r', '\n'}, 4000)...)
	file := bot.OutFile{Name: "loopbot-P1-2026-12-01.xlsx", Data: data}
	for range 2 {
		if _, err := a.SendFile(ctx, bot.OutMessage{Target: bot.DM("dingtalk:staff1"), IdemKey: "loopbot-3"}, file); err != nil {
			t.Fatal(err)
		}
	}
	ups := f.Uploads()
	if len(ups) != 1 || ups[0].Name != file.Name || !bytes.Equal(ups[0].Data, data) {
		t.Fatalf("uploads %+v, want the workbook once", ups)
	}
	calls := f.Calls(pathBatchSend)
	if len(calls) != 2 {
		t.Fatalf("%d batchSend calls", len(calls))
	}
	c := calls[0]
	p := msgParam(t, c)
	if c.Body["msgKey"] != "sampleFile" || c.Body["robotCode"] != "dingclient" || fmt.Sprint(c.Body["userIds"]) != "[staff1]" ||
		p["mediaId"] != ups[0].MediaID || p["fileName"] != file.Name || p["fileType"] != "xlsx" {
		t.Errorf("batchSend %v, msgParam %v; want sampleFile with the uploaded mediaId", c.Body, p)
	}

	zip := bot.OutFile{Name: "loopbot-P1-2026-12-01.zip", Data: []byte("PK\x05\x06zip")}
	if _, err := a.SendFile(ctx, bot.OutMessage{Target: bot.Group(bot.DingTalk, "cidG"), IdemKey: "loopbot-4"}, zip); err != nil {
		t.Fatal(err)
	}
	g := f.Calls(pathGroupSend)
	if len(g) != 1 || g[0].Body["openConversationId"] != "cidG" || g[0].Body["msgKey"] != "sampleFile" ||
		msgParam(t, g[0])["fileType"] != "zip" || msgParam(t, g[0])["mediaId"] != f.Uploads()[1].MediaID {
		t.Errorf("group send %v, want sampleFile of the zip", g)
	}
}

// TestSendFileRefused: what a robot cannot send, and DingTalk's refusals,
// are permanent errors; nothing is sent.
func TestSendFileRefused(t *testing.T) {
	f := newFake(t)
	a := newAdapter(f, nil)
	ctx := context.Background()
	to := bot.OutMessage{Target: bot.DM("dingtalk:staff1"), IdemKey: "k"}
	for name, file := range map[string]bot.OutFile{
		"markdown":   {Name: "loopbot-P1-2026-12-01.md", Data: []byte("# 周报")},
		"empty":      {Name: "a.xlsx"},
		"over 20 MB": {Name: "a.xlsx", Data: make([]byte, MaxFileSize+1)},
	} {
		_, err := a.SendFile(ctx, to, file)
		if temp, _ := bot.IsTemporary(err); err == nil || temp {
			t.Errorf("%s: %v, want a permanent error", name, err)
		}
	}
	f.RefuseUploads(40006)
	_, err := a.SendFile(ctx, to, bot.OutFile{Name: "a.xlsx", Data: []byte("0123456789")})
	if temp, _ := bot.IsTemporary(err); err == nil || temp || !strings.Contains(err.Error(), "40006") || strings.Contains(err.Error(), "token-") {
		t.Errorf("refused upload: %v, want a permanent errcode 40006 without the token", err)
	}
	f.RefuseUploads(90018) // rate limited
	_, err = a.SendFile(ctx, to, bot.OutFile{Name: "a.xlsx", Data: []byte("0123456789")})
	if temp, _ := bot.IsTemporary(err); !temp {
		t.Errorf("rate-limited upload: %v, want a temporary error", err)
	}
	if n := len(f.Calls(pathBatchSend)); n != 0 || len(f.Uploads()) != 0 {
		t.Errorf("%d sends, %d uploads; want none", n, len(f.Uploads()))
	}
}

// FuzzParseUpload: media/upload's answer gives a media_id or an error,
// never a panic or an empty id.
func FuzzParseUpload(f *testing.F) {
	for _, s := range []string{
		`{"errcode":0,"errmsg":"ok","type":"file","media_id":"@lAzPDe","created_at":1605863153573}`,
		`{"errcode":40006,"errmsg":"不合法的文件大小"}`, `{"errcode":0}`, `{}`, `[1]`, ``, `{"errcode":"x"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		id, err := parseUpload(raw)
		if (err == nil) == (id == "") {
			t.Fatalf("parseUpload(%q) = %q, %v", raw, id, err)
		}
	})
}
