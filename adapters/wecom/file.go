package wecom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// File limits of 上传临时素材 (media/upload, path/90253) and of the group
// robot's 文件上传接口 (webhook/upload_media, path/91770): a file of type file
// is larger than 5 bytes and at most 20 MB.
const (
	MaxFileSize = 20 << 20
	minFileSize = 6
)

// mediaLife is how long WeCom keeps a temporary media_id (three days), less
// a margin, for reuse by a retried send.
const mediaLife = 3*24*time.Hour - time.Hour

// uploadResp is the answer of media/upload and webhook/upload_media:
// {"errcode":0,"errmsg":"ok","type":"file","media_id":"…","created_at":"…"}.
type uploadResp struct {
	commonResp
	Type    string `json:"type"`
	MediaID string `json:"media_id"`
}

// mediaContent is the file of a message: {"media_id": …}.
type mediaContent struct {
	MediaID string `json:"media_id"`
}

// mediaCache keeps the media_id a send uploaded, by the outbox item's key,
// so that a retry sends the same media_id again, which message/send's
// duplicate check then drops if the first send went through.
type mediaCache struct {
	mu  sync.Mutex
	ids map[string]cachedMedia
}

type cachedMedia struct {
	id string
	at time.Time
}

func (c *mediaCache) get(key string, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.ids[key]
	if !ok || now.Sub(m.at) >= mediaLife {
		return "", false
	}
	return m.id, true
}

func (c *mediaCache) put(key, id string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ids == nil {
		c.ids = map[string]cachedMedia{}
	}
	for k, m := range c.ids {
		if now.Sub(m.at) >= mediaLife {
			delete(c.ids, k)
		}
	}
	c.ids[key] = cachedMedia{id: id, at: now}
}

// TakesFile implements bot.FileSender: WeCom's file messages take any
// file.
func (a *Adapter) TakesFile(name string) bool { return true }

// MaxFileSize implements bot.FileSender.
func (a *Adapter) MaxFileSize() int64 { return MaxFileSize }

// SendFile implements bot.FileSender. In a direct chat it uploads the file
// as temporary media (POST /cgi-bin/media/upload?type=file, multipart field
// "media") and sends message/send with msgtype "file", {"file": {"media_id":
// …}}, duplicate check on; in a group, through the group's robot: POST
// webhook/upload_media?key=…&type=file, then webhook/send with msgtype
// "file". A retry reuses the media_id it uploaded (for three days).
func (a *Adapter) SendFile(ctx context.Context, msg bot.OutMessage, f bot.OutFile) (string, error) {
	switch {
	case len(f.Data) < minFileSize:
		return "", bot.Permanent(fmt.Errorf("wecom: upload file: %d bytes; WeCom takes files larger than 5 bytes", len(f.Data)))
	case len(f.Data) > MaxFileSize:
		return "", bot.Permanent(fmt.Errorf("wecom: upload file: %d bytes, more than WeCom's 20 MB", len(f.Data)))
	}
	if !msg.Target.DM {
		return a.sendRobotFile(ctx, msg, f)
	}
	id, err := a.media(ctx, msg.IdemKey, func() (string, error) { return a.api.uploadMedia(ctx, f) })
	if err != nil {
		return "", err
	}
	m := appMessage{ToUser: msg.Target.Chat, MsgType: "file", AgentID: a.cfg.AgentID, File: &mediaContent{MediaID: id},
		EnableDuplicateCheck: 1, DuplicateCheckInterval: dupIntervalCard}
	return a.sendMessage(ctx, m)
}

// media returns the media_id uploaded for an outbox item, uploading the
// file when there is none yet.
func (a *Adapter) media(ctx context.Context, key string, upload func() (string, error)) (string, error) {
	if id, ok := a.files.get(key, time.Now()); ok {
		return id, nil
	}
	id, err := upload()
	if err != nil {
		return "", deliveryError(err)
	}
	a.files.put(key, id, time.Now())
	return id, nil
}

// robotFile is the body of a group robot's file message.
type robotFile struct {
	MsgType string       `json:"msgtype"`
	File    mediaContent `json:"file"`
}

// sendRobotFile sends a file to a group through its robot.
func (a *Adapter) sendRobotFile(ctx context.Context, msg bot.OutMessage, f bot.OutFile) (string, error) {
	send, err := a.robotURL(ctx, msg.Target.Chat)
	if err != nil {
		return "", err
	}
	up, err := robotUploadURL(send)
	if err != nil {
		return "", bot.Permanent(err)
	}
	id, err := a.media(ctx, msg.IdemKey, func() (string, error) {
		return uploadTo(ctx, a.cfg.HTTPClient, up, "webhook/upload_media", f)
	})
	if err != nil {
		return "", err
	}
	var out commonResp
	if err := doJSON(ctx, a.cfg.HTTPClient, http.MethodPost, send, "webhook/send", robotFile{MsgType: "file", File: mediaContent{MediaID: id}}, &out); err != nil {
		return "", deliveryError(err)
	}
	if out.ErrCode != 0 {
		return "", deliveryError(&APIError{Path: "webhook/send", Code: out.ErrCode, Message: out.ErrMsg})
	}
	return "robot", nil
}

// robotUploadURL turns a robot's webhook, …/cgi-bin/webhook/send?key=K,
// into its file upload address, …/cgi-bin/webhook/upload_media?key=K&type=file.
func robotUploadURL(send string) (string, error) {
	u, err := url.Parse(send)
	if err != nil || !strings.HasSuffix(u.Path, robotPath) {
		return "", errors.New("wecom: the group robot's webhook is not …/cgi-bin/webhook/send?key=…")
	}
	u.Path = strings.TrimSuffix(u.Path, "/send") + "/upload_media"
	q := u.Query()
	q.Set("type", "file")
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// uploadMedia uploads a file as the app's temporary media and returns its
// media_id. A refused token is refreshed once.
func (c *client) uploadMedia(ctx context.Context, f bot.OutFile) (string, error) {
	for attempt := 0; ; attempt++ {
		token, err := c.accessToken(ctx, attempt > 0)
		if err != nil {
			return "", err
		}
		q := url.Values{"access_token": {token}, "type": {"file"}}
		id, err := uploadTo(ctx, c.http, c.base+"/cgi-bin/media/upload?"+q.Encode(), "media/upload", f)
		var ae *APIError
		if errors.As(err, &ae) && attempt == 0 &&
			(ae.Code == errcodeInvalidToken || ae.Code == errcodeTokenExpired || ae.Code == errcodeNoToken) {
			continue
		}
		return id, err
	}
}

// uploadTo posts a file as multipart/form-data, field "media", its part
// naming the file and its length (Content-Disposition: form-data;
// name="media"; filename="…"; filelength=N), and returns the media_id. name
// is what errors call the endpoint; the URL, which holds the token or the
// robot's key, is never put in an error.
func uploadTo(ctx context.Context, hc *http.Client, u, name string, f bot.OutFile) (string, error) {
	ctype, body, err := mediaForm(f)
	if err != nil {
		return "", fmt.Errorf("wecom: %s: %w", name, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("wecom: %s: bad request URL", name)
	}
	req.Header.Set("Content-Type", ctype)
	resp, err := hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", fmt.Errorf("wecom: %s: %w", name, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("wecom: %s: read answer: %w", name, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", &httpStatusError{name: name, status: resp.StatusCode, retryAfter: retryAfter(resp.Header.Get("Retry-After"))}
	}
	return parseUpload(name, raw)
}

// parseUpload reads an upload's answer.
func parseUpload(name string, raw []byte) (string, error) {
	var out uploadResp
	if err := json.Unmarshal(raw, &out); err != nil {
		return "", fmt.Errorf("wecom: %s: the answer is not JSON", name)
	}
	if out.ErrCode != 0 {
		return "", &APIError{Path: name, Code: out.ErrCode, Message: out.ErrMsg}
	}
	if out.MediaID == "" {
		return "", fmt.Errorf("wecom: %s: the answer has no media_id", name)
	}
	return out.MediaID, nil
}

// mediaForm builds the multipart body of an upload.
func mediaForm(f bot.OutFile) (string, []byte, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="media"; filename="%s"; filelength=%d`,
		quoteName(f.Name), len(f.Data)))
	h.Set("Content-Type", "application/octet-stream")
	part, err := w.CreatePart(h)
	if err != nil {
		return "", nil, err
	}
	if _, err := part.Write(f.Data); err != nil {
		return "", nil, err
	}
	if err := w.Close(); err != nil {
		return "", nil, err
	}
	return w.FormDataContentType(), buf.Bytes(), nil
}

// quoteName escapes a file name for a quoted Content-Disposition parameter,
// as mime/multipart does.
func quoteName(s string) string {
	return strings.NewReplacer("\\", "\\\\", `"`, "\\\"", "\r", "", "\n", "").Replace(s)
}

var _ bot.FileSender = (*Adapter)(nil)
