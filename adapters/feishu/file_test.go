package feishu

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/loopbot/loopbot/bot"
)

// TestSendFile uploads the file as im/v1/files' multipart form, then sends a
// file message that names the returned file_key, to a group's chat_id and a
// person's open_id, with the item's key as uuid.
func TestSendFile(t *testing.T) {
	fake, a, _ := setup(t, ModeWebhook)
	ctx := context.Background()
	data := append([]byte("PK\x03\x04"), bytes.Repeat([]byte{0, 0xff, '\r', '\n'}, 5000)...)
	file := bot.OutFile{Name: "loopbot-P1-2026-12-01.xlsx", Data: data}
	ref, err := a.SendFile(ctx, bot.OutMessage{Target: bot.Group(bot.Feishu, "oc_g"), IdemKey: "loopbot-5"}, file)
	if err != nil {
		t.Fatal(err)
	}
	ups := fake.Uploads()
	if len(ups) != 1 || ups[0].FileType != "xls" || ups[0].FileName != file.Name || !bytes.Equal(ups[0].Data, data) {
		t.Fatalf("uploads %+v, want the xlsx as file_type xls with its name and bytes", ups)
	}
	ms := fake.Messages()
	if len(ms) != 1 || ms[0].MsgType != "file" || ms[0].FileKey != ups[0].FileKey || ms[0].ReceiveIDType != "chat_id" ||
		ms[0].ReceiveID != "oc_g" || ms[0].UUID != "loopbot-5" || !strings.HasPrefix(ref, ms[0].ID+"@") {
		t.Fatalf("messages %+v (ref %s), want one file message with the uploaded key", ms, ref)
	}

	// A retry uploads again, harmlessly, and the uuid keeps it one message.
	if _, err := a.SendFile(ctx, bot.OutMessage{Target: bot.Group(bot.Feishu, "oc_g"), IdemKey: "loopbot-5"}, file); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.Messages()); n != 1 {
		t.Errorf("%d messages after a retry, want 1", n)
	}

	for name, typ := range map[string]string{"loopbot-all-2026-12-01.zip": "stream", "loopbot-P1-2026-12-01.md": "stream", "a.PDF": "pdf"} {
		if _, err := a.SendFile(ctx, bot.OutMessage{Target: bot.DM("feishu:ou_bob"), IdemKey: "k-" + name}, bot.OutFile{Name: name, Data: []byte("x")}); err != nil {
			t.Fatal(err)
		}
		ups := fake.Uploads()
		ms := fake.Messages()
		if last := ups[len(ups)-1]; last.FileType != typ || last.FileName != name {
			t.Errorf("%s uploaded as %q, want %q", name, last.FileType, typ)
		}
		if last := ms[len(ms)-1]; last.ReceiveIDType != "open_id" || last.ReceiveID != "ou_bob" {
			t.Errorf("DM file message %+v", last)
		}
	}
}

// TestSendFileRefused: a file Feishu cannot take, or an app without the
// permission, is a permanent error, so that the outbox sends the link.
func TestSendFileRefused(t *testing.T) {
	fake, a, _ := setup(t, ModeWebhook)
	ctx := context.Background()
	to := bot.OutMessage{Target: bot.Group(bot.Feishu, "oc_g"), IdemKey: "loopbot-1"}
	for name, data := range map[string][]byte{"empty": nil, "too large": make([]byte, MaxFileSize+1)} {
		_, err := a.SendFile(ctx, to, bot.OutFile{Name: "x.xlsx", Data: data})
		if temp, _ := bot.IsTemporary(err); err == nil || temp {
			t.Errorf("%s file: %v, want a permanent error", name, err)
		}
	}
	fake.RefuseUploads(99991672)
	_, err := a.SendFile(ctx, to, bot.OutFile{Name: "x.xlsx", Data: []byte("x")})
	if temp, _ := bot.IsTemporary(err); err == nil || temp || !strings.Contains(err.Error(), "scope") {
		t.Errorf("upload without the scope: %v, want a permanent error naming the scope", err)
	}
	if len(fake.Messages()) != 0 || len(fake.Uploads()) != 0 {
		t.Errorf("messages %d, uploads %d; want none", len(fake.Messages()), len(fake.Uploads()))
	}
}
