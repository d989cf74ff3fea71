package feishu

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strconv"
	"strings"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"

	"github.com/loopbot/loopbot/bot"
)

// MaxFileSize is the largest file im/v1/files takes: "文件大小不得超过30M，且不
// 允许上传空文件" (oapi-sdk-go v3.5.4 service/im/v1/resource.go, file.Create).
const MaxFileSize = 30 << 20

// fileTypes maps a file name's extension to the file_type of im/v1/files
// (service/im/v1/model.go: opus, mp4, pdf, doc, xls, ppt, stream); any other
// file is a "stream".
var fileTypes = map[string]string{
	".opus": "opus", ".mp4": "mp4", ".pdf": "pdf",
	".doc": "doc", ".docx": "doc", ".xls": "xls", ".xlsx": "xls", ".ppt": "ppt", ".pptx": "ppt",
}

// fileType returns the im/v1/files file_type of a file name.
func fileType(name string) string {
	if t, ok := fileTypes[strings.ToLower(path.Ext(name))]; ok {
		return t
	}
	return "stream"
}

// TakesFile implements bot.FileSender: Feishu takes any file (an unknown
// type as "stream").
func (a *Adapter) TakesFile(name string) bool { return true }

// MaxFileSize implements bot.FileSender.
func (a *Adapter) MaxFileSize() int64 { return MaxFileSize }

// SendFile implements bot.FileSender: it uploads the file (POST
// /open-apis/im/v1/files, multipart file_type, file_name and file, which
// answers data.file_key) and sends it to a person's open_id or a group's
// chat_id as a message of msg_type "file", content {"file_key": …}, with
// the outbox item's key as uuid. A repeated upload makes another file_key,
// which is harmless. The ref is "<message_id>@<unix ms>", as Send's.
func (a *Adapter) SendFile(ctx context.Context, msg bot.OutMessage, f bot.OutFile) (string, error) {
	key, err := a.api.uploadFile(ctx, f)
	if err != nil {
		return "", err
	}
	content, _ := json.Marshal(map[string]string{"file_key": key})
	idType := "chat_id"
	if msg.Target.DM {
		idType = "open_id"
	}
	id, err := a.api.sendMessage(ctx, idType, msg.Target.Chat, "file", string(content), msg.IdemKey)
	if err != nil {
		return "", err
	}
	return id + "@" + strconv.FormatInt(a.cfg.Now().UnixMilli(), 10), nil
}

// uploadFile uploads a file for messages and returns its file_key. An empty
// or too large file is a permanent error, as Feishu refuses both.
func (c *client) uploadFile(ctx context.Context, f bot.OutFile) (string, error) {
	switch {
	case len(f.Data) == 0:
		return "", bot.Permanent(errors.New("feishu: upload file: the file is empty"))
	case len(f.Data) > MaxFileSize:
		return "", bot.Permanent(fmt.Errorf("feishu: upload file: %d bytes, more than Feishu's 30 MB", len(f.Data)))
	}
	form := larkcore.NewFormdata().
		AddField("file_type", fileType(f.Name)).
		AddField("file_name", f.Name).
		AddFile("file", bytes.NewReader(f.Data))
	res, err := c.call(ctx, "upload file", &larkcore.ApiReq{HttpMethod: http.MethodPost, ApiPath: pathFiles, Body: form,
		QueryParams: larkcore.QueryParams{}, PathParams: larkcore.PathParams{}})
	if err != nil {
		return "", err
	}
	var data struct {
		FileKey string `json:"file_key"`
	}
	if json.Unmarshal(res.Data, &data) != nil || data.FileKey == "" {
		return "", bot.Temporary(errors.New("feishu: upload file: the answer has no file_key"), 0)
	}
	return data.FileKey, nil
}

var _ bot.FileSender = (*Adapter)(nil)
