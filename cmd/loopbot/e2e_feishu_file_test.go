package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/loopbot/loopbot/internal/feishufake"
)

// TestFeishuExportFile covers /export in a Feishu group: the workbook is
// uploaded with im/v1/files and sent as a file message that names the
// returned file_key, after a line naming the file; when Feishu refuses the
// upload for good, the group gets the download link instead, once.
func TestFeishuExportFile(t *testing.T) {
	w := newFeishuWorld(t, "webhook")
	w.deliver(w.fake.BotAdded("ev-added", "oc_alpha", "ou_alice"))
	w.say("ou_alice", "oc_alpha", "/project new Alpha acceptance:off")
	w.deliver(w.fake.MessageEvent("ev-task", "om_task", "group", "oc_alpha", "ou_alice", "@_user_1 /task new 接口设计 @_user_2 due:2026-11-25",
		feishufake.Mention{Key: "@_user_1", OpenID: "ou_bot", Name: "loopbot"}, feishufake.Mention{Key: "@_user_2", OpenID: "ou_bob", Name: "李博"}))
	before := len(w.fake.Messages())

	w.say("ou_alice", "oc_alpha", "/export P1 xlsx")

	ups := w.fake.Uploads()
	if len(ups) != 1 || ups[0].FileType != "xls" || ups[0].FileName != "loopbot-P1-2026-11-23.xlsx" {
		t.Fatalf("uploads %+v, want the P1 workbook as file_type xls", ups)
	}
	wb, err := excelize.OpenReader(bytes.NewReader(ups[0].Data))
	if err != nil {
		t.Fatalf("the uploaded file is not a workbook: %v", err)
	}
	defer wb.Close()
	rows, _ := wb.GetRows("任务 Tasks")
	if len(rows) != 2 || rows[1][0] != "T1" || rows[1][3] != "接口设计" {
		t.Errorf("uploaded workbook's tasks = %q", rows)
	}
	sent := w.fake.Messages()[before:]
	if len(sent) != 2 {
		t.Fatalf("sent %+v, want a line and the file", sent)
	}
	line, _ := json.Marshal(sent[0].Card)
	if sent[0].ReceiveID != "oc_alpha" || !strings.Contains(string(line), "loopbot-P1-2026-11-23.xlsx") || strings.Contains(string(line), "/files/") {
		t.Errorf("first message %s to %s, want a line naming the file, without the link", line, sent[0].ReceiveID)
	}
	if f := sent[1]; f.MsgType != "file" || f.FileKey != ups[0].FileKey || f.ReceiveIDType != "chat_id" || f.ReceiveID != "oc_alpha" || f.UUID == "" {
		t.Errorf("file message %+v, want the uploaded file_key in oc_alpha, with a uuid", f)
	}

	// Without the permission to upload, the link goes instead, once.
	w.fake.RefuseUploads(99991672)
	before = len(w.fake.Messages())
	// (A minute on, so that the group's rate limit has room.)
	w.ta.at("2026-11-23 09:01")
	w.say("ou_alice", "oc_alpha", "/export P1 md")
	sent = w.fake.Messages()[before:]
	if len(sent) != 2 || sent[1].MsgType != "interactive" {
		t.Fatalf("sent %+v, want the line and then the link", sent)
	}
	link, _ := json.Marshal(sent[1].Card)
	if !strings.Contains(string(link), "/files/") || len(w.fake.Uploads()) != 1 {
		t.Errorf("fallback %s, want the download link", link)
	}
	var dead struct {
		Dead []json.RawMessage `json:"dead"`
	}
	w.ta.call("GET", "/api/v1/outbox/dead", nil, &dead)
	if len(dead.Dead) != 0 {
		t.Errorf("dead letters %s, want none", dead.Dead)
	}
}
