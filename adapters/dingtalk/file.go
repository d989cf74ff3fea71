package dingtalk

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
	"path"
	"strings"
	"sync"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// pathMediaUpload is 上传媒体文件 on the older server API (OAPIHost): POST
// /media/upload?access_token=…&type=file, multipart/form-data with the file
// in the part "media", answered {"errcode":0,"errmsg":"ok","type":"file",
// "media_id":"@lA…","created_at":…}. A file of type file is at most 20 MB.
const pathMediaUpload = "/media/upload"

// MaxFileSize is the largest file media/upload takes as type file.
const MaxFileSize = 20 << 20

// fileTypes are the files a robot's sampleFile message shows (fileType:
// xlsx, pdf, zip, rar, doc, docx). Others, such as a Markdown report, go
// out as their download link.
var fileTypes = map[string]bool{"xlsx": true, "pdf": true, "zip": true, "rar": true, "doc": true, "docx": true}

// mediaLife is how long a media_id is reused for a retry of the same item.
const mediaLife = 24 * time.Hour

// TakesFile implements bot.FileSender: the types sampleFile shows
// (fileTypes).
func (a *Adapter) TakesFile(name string) bool { return fileTypes[fileExt(name)] }

// fileExt returns a file name's extension, lower case, without the dot.
func fileExt(name string) string { return strings.TrimPrefix(strings.ToLower(path.Ext(name)), ".") }

// MaxFileSize implements bot.FileSender.
func (a *Adapter) MaxFileSize() int64 { return MaxFileSize }

// SendFile implements bot.FileSender: it uploads the file with media/upload
// and sends the robot message sampleFile, msgParam {"mediaId", "fileName",
// "fileType"}, through the same robot APIs as other messages:
// oToMessages/batchSend to a person, groupMessages/send to a group (a
// sessionWebhook cannot carry files). DingTalk's robot APIs have no
// idempotency key; a retry of the item reuses the media_id it uploaded.
// A file type sampleFile does not show (a .md report) is a permanent error,
// so that the outbox sends the link instead.
func (a *Adapter) SendFile(ctx context.Context, msg bot.OutMessage, f bot.OutFile) (string, error) {
	ext := fileExt(f.Name)
	switch {
	case msg.Target.Chat == "":
		return "", bot.Permanent(errors.New("dingtalk: no chat to send to"))
	case !fileTypes[ext]:
		return "", bot.Permanent(fmt.Errorf("dingtalk: a robot sends xlsx, pdf, zip, rar, doc and docx files, not %q", ext))
	case len(f.Data) == 0:
		return "", bot.Permanent(errors.New("dingtalk: upload file: the file is empty"))
	case len(f.Data) > MaxFileSize:
		return "", bot.Permanent(fmt.Errorf("dingtalk: upload file: %d bytes, more than DingTalk's 20 MB", len(f.Data)))
	}
	id, ok := a.media.get(msg.IdemKey)
	if !ok {
		var err error
		if id, err = a.api.uploadMedia(ctx, f); err != nil {
			return "", fmt.Errorf("dingtalk: %w", err)
		}
		a.media.put(msg.IdemKey, id)
	}
	param := map[string]string{"mediaId": id, "fileName": f.Name, "fileType": ext}
	var key string
	var err error
	if msg.Target.DM {
		key, err = a.api.sendToUsers(ctx, a.cfg.RobotCode, []string{msg.Target.Chat}, "sampleFile", param)
	} else {
		key, err = a.api.sendToGroup(ctx, a.cfg.RobotCode, msg.Target.Chat, "sampleFile", param)
	}
	if err != nil {
		return "", fmt.Errorf("dingtalk: %w", err)
	}
	return "file:" + key, nil
}

// mediaCache keeps the media_ids uploaded, by outbox item key.
type mediaCache struct {
	mu  sync.Mutex
	ids map[string]cachedMedia
}

type cachedMedia struct {
	id string
	at time.Time
}

func (c *mediaCache) get(key string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.ids[key]
	return m.id, ok && time.Since(m.at) < mediaLife
}

func (c *mediaCache) put(key, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ids == nil {
		c.ids = map[string]cachedMedia{}
	}
	for k, m := range c.ids {
		if time.Since(m.at) >= mediaLife {
			delete(c.ids, k)
		}
	}
	c.ids[key] = cachedMedia{id: id, at: time.Now()}
}

// uploadMedia uploads a file with media/upload and returns its media_id. A
// refused token is fetched again once. Errors are delivery errors.
func (c *apiClient) uploadMedia(ctx context.Context, f bot.OutFile) (string, error) {
	for try := 0; ; try++ {
		tok, err := c.accessToken(ctx)
		if err != nil {
			return "", err
		}
		id, err := c.upload(ctx, tok, f)
		var te *TopAPIError
		if try == 0 && errors.As(err, &te) && te.tokenRefused() {
			c.forget()
			continue
		}
		switch {
		case errors.As(err, &te) && te.temporary():
			return "", bot.Temporary(err, time.Second)
		case errors.As(err, &te):
			return "", bot.Permanent(err)
		}
		return id, err
	}
}

// upload makes one media/upload call.
func (c *apiClient) upload(ctx context.Context, token string, f bot.OutFile) (string, error) {
	ctype, body, err := mediaForm(f)
	if err != nil {
		return "", fmt.Errorf("media/upload: %w", err)
	}
	q := url.Values{"access_token": {token}, "type": {"file"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.oapi+pathMediaUpload+"?"+q.Encode(), bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("User-Agent", c.ua)
	resp, err := c.http.Do(req)
	if err != nil {
		// The URL holds the token: report the error without it.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", bot.Temporary(fmt.Errorf("media/upload: %w", err), 0)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		return "", bot.Temporary(fmt.Errorf("media/upload: %w", err), 0)
	}
	if resp.StatusCode != http.StatusOK {
		return "", deliveryError(&APIError{Status: resp.StatusCode, Code: "HTTP", Message: oneLine(string(raw))}, resp.Header.Get("Retry-After"))
	}
	return parseUpload(raw)
}

// parseUpload reads media/upload's answer: the media_id, or the
// *TopAPIError DingTalk answered.
func parseUpload(raw []byte) (string, error) {
	var out struct {
		TopAPIError
		MediaID string `json:"media_id"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return "", bot.Temporary(errors.New("media/upload: the answer is not JSON"), 0)
	}
	if out.Code != 0 {
		return "", &out.TopAPIError
	}
	if out.MediaID == "" {
		return "", bot.Temporary(errors.New("media/upload: the answer has no media_id"), 0)
	}
	return out.MediaID, nil
}

// mediaForm builds the multipart body of an upload: one part "media" with
// the file's name.
func mediaForm(f bot.OutFile) (string, []byte, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	name := strings.NewReplacer("\\", "\\\\", `"`, "\\\"", "\r", "", "\n", "").Replace(f.Name)
	h.Set("Content-Disposition", `form-data; name="media"; filename="`+name+`"`)
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

var _ bot.FileSender = (*Adapter)(nil)
