package wecom

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/loopbot/loopbot/bot"
)

// mediaAPI is a WeCom server API that takes uploads as WeCom documents them
// (multipart/form-data, one part "media" with filename and filelength) and
// records them with the messages that follow.
type mediaAPI struct {
	t *testing.T

	mu      sync.Mutex
	uploads []upload
	sent    []map[string]any
	// refuse, if set, is the errcode answer of every upload.
	refuse int
}

type upload struct {
	path, query string
	name        string
	length      int
	data        []byte
}

func (m *mediaAPI) handler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/cgi-bin/gettoken":
		_, _ = io.WriteString(w, `{"errcode":0,"errmsg":"ok","access_token":"T","expires_in":7200}`)
	case "/cgi-bin/media/upload", "/cgi-bin/webhook/upload_media":
		m.upload(w, r)
	case "/cgi-bin/message/send", "/cgi-bin/webhook/send":
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		body["_path"] = r.URL.Path + "?" + r.URL.RawQuery
		m.mu.Lock()
		m.sent = append(m.sent, body)
		m.mu.Unlock()
		_, _ = io.WriteString(w, `{"errcode":0,"errmsg":"ok","msgid":"m1"}`)
	default:
		http.NotFound(w, r)
	}
}

// upload checks an upload's form: type=file, one "media" part whose
// Content-Disposition names the file and its length.
func (m *mediaAPI) upload(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	refuse := m.refuse
	m.mu.Unlock()
	if refuse != 0 {
		_, _ = io.WriteString(w, `{"errcode":`+strconv.Itoa(refuse)+`,"errmsg":"refused"}`)
		return
	}
	fail := func(msg string) { _, _ = io.WriteString(w, `{"errcode":40004,"errmsg":"`+msg+`"}`) }
	if r.URL.Query().Get("type") != "file" {
		fail("type is not file")
		return
	}
	mr, err := r.MultipartReader()
	if err != nil {
		fail("not multipart")
		return
	}
	p, err := mr.NextPart()
	if err != nil || p.FormName() != "media" || p.FileName() == "" {
		fail("no media part with a filename")
		return
	}
	_, params, _ := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
	data, _ := io.ReadAll(p)
	n, err := strconv.Atoi(params["filelength"])
	if err != nil || n != len(data) || len(data) <= 5 || len(data) > 20<<20 {
		fail("bad filelength or size")
		return
	}
	m.mu.Lock()
	m.uploads = append(m.uploads, upload{path: r.URL.Path, query: r.URL.RawQuery, name: p.FileName(), length: n, data: data})
	id := "media-" + strconv.Itoa(len(m.uploads))
	m.mu.Unlock()
	_, _ = io.WriteString(w, `{"errcode":0,"errmsg":"","type":"file","media_id":"`+id+`","created_at":"1380000000"}`)
}

func (m *mediaAPI) ups() []upload {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]upload(nil), m.uploads...)
}

func (m *mediaAPI) msgs() []map[string]any {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]map[string]any(nil), m.sent...)
}

func mediaEnv(t *testing.T) (*testEnv, *mediaAPI, string) {
	e := testEnvNow(t)
	m := &mediaAPI{t: t}
	srv := httptest.NewServer(http.HandlerFunc(m.handler))
	t.Cleanup(srv.Close)
	e.a.cfg.APIBase, e.a.api.base = srv.URL, srv.URL
	e.a.cfg.Robots = map[string]string{"P1": srv.URL + "/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"}
	return e, m, RobotChat("693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa")
}

// TestSendFileDM uploads temporary media and sends it with message/send as
// a file message; a retry of the item sends the same media_id again, which
// WeCom's duplicate check drops.
func TestSendFileDM(t *testing.T) {
	e, api, _ := mediaEnv(t)
	ctx := context.Background()
	data := append([]byte("PK\x03\x04"), bytes.Repeat([]byte{0, 0xff, '-', '\r', '\n'}, 3000)...)
	f := bot.OutFile{Name: "loopbot-P1-2026-12-01.xlsx", Data: data}
	msg := bot.OutMessage{Target: bot.DM("wecom:bob"), IdemKey: "loopbot-4"}
	for range 2 {
		if _, err := e.a.SendFile(ctx, msg, f); err != nil {
			t.Fatal(err)
		}
	}
	if len(api.ups()) != 1 || api.ups()[0].path != "/cgi-bin/media/upload" || !strings.Contains(api.ups()[0].query, "access_token=T") ||
		api.ups()[0].name != f.Name || !bytes.Equal(api.ups()[0].data, data) {
		t.Fatalf("uploads %+v, want the file once as temporary media", api.ups())
	}
	if len(api.msgs()) != 2 {
		t.Fatalf("sent %v", api.msgs())
	}
	for _, s := range api.msgs() {
		file, _ := s["file"].(map[string]any)
		if s["msgtype"] != "file" || s["touser"] != "bob" || s["agentid"] != float64(1) || file["media_id"] != "media-1" ||
			s["enable_duplicate_check"] != float64(1) || !strings.HasPrefix(s["_path"].(string), "/cgi-bin/message/send?") {
			t.Errorf("message/send %v, want a file message with the media_id and duplicate check", s)
		}
	}
}

// TestSendFileGroup sends a group's file through its robot: the robot's
// upload_media with its key, then webhook/send with msgtype file.
func TestSendFileGroup(t *testing.T) {
	e, api, chat := mediaEnv(t)
	f := bot.OutFile{Name: "loopbot-P1-2026-12-01.md", Data: []byte("# 项目周报 P1\n")}
	if _, err := e.a.SendFile(context.Background(), bot.OutMessage{Target: bot.Group(bot.WeCom, chat), IdemKey: "loopbot-8"}, f); err != nil {
		t.Fatal(err)
	}
	if len(api.ups()) != 1 || api.ups()[0].path != "/cgi-bin/webhook/upload_media" ||
		!strings.Contains(api.ups()[0].query, "key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa") || api.ups()[0].name != f.Name {
		t.Fatalf("uploads %+v, want the robot's upload_media with its key", api.ups())
	}
	file, _ := api.msgs()[0]["file"].(map[string]any)
	if len(api.msgs()) != 1 || api.msgs()[0]["msgtype"] != "file" || file["media_id"] != "media-1" ||
		!strings.HasPrefix(api.msgs()[0]["_path"].(string), "/cgi-bin/webhook/send?key=693a91f6") {
		t.Errorf("robot messages %v, want one file message", api.msgs())
	}
}

// TestSendFileRefused: files WeCom does not take, and refusals, are
// permanent errors that never show the token or the robot's key.
func TestSendFileRefused(t *testing.T) {
	e, api, chat := mediaEnv(t)
	ctx := context.Background()
	for name, data := range map[string][]byte{"5 bytes": []byte("12345"), "over 20 MB": make([]byte, MaxFileSize+1)} {
		_, err := e.a.SendFile(ctx, bot.OutMessage{Target: bot.DM("wecom:bob"), IdemKey: "k"}, bot.OutFile{Name: "x.xlsx", Data: data})
		if temp, _ := bot.IsTemporary(err); err == nil || temp {
			t.Errorf("%s: %v, want a permanent error", name, err)
		}
	}
	api.mu.Lock()
	api.refuse = 40006 // 不合法的媒体文件大小
	api.mu.Unlock()
	for _, to := range []bot.Target{bot.DM("wecom:bob"), bot.Group(bot.WeCom, chat)} {
		_, err := e.a.SendFile(ctx, bot.OutMessage{Target: to, IdemKey: "k-" + to.Chat}, bot.OutFile{Name: "x.xlsx", Data: []byte("0123456789")})
		if temp, _ := bot.IsTemporary(err); err == nil || temp || !strings.Contains(err.Error(), "40006") ||
			strings.Contains(err.Error(), "693a91f6") || strings.Contains(err.Error(), "access_token") {
			t.Errorf("refused upload to %s: %v, want a permanent errcode 40006 without secrets", to, err)
		}
	}
	if len(api.msgs()) != 0 {
		t.Errorf("sent %v after refusals", api.msgs())
	}
}

func TestRobotUploadURL(t *testing.T) {
	got, err := robotUploadURL("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc-123")
	if err != nil || got != "https://qyapi.weixin.qq.com/cgi-bin/webhook/upload_media?key=abc-123&type=file" {
		t.Errorf("robotUploadURL = %q, %v", got, err)
	}
	if _, err := robotUploadURL("https://qyapi.weixin.qq.com/cgi-bin/other?key=abc"); err == nil {
		t.Error("robotUploadURL took a path that is not the webhook")
	}
}

// FuzzParseUpload: an upload's answer, whatever it holds, gives a media_id
// or an error, never a panic, and never an empty media_id.
func FuzzParseUpload(f *testing.F) {
	for _, s := range []string{
		`{"errcode":0,"errmsg":"","type":"file","media_id":"1G6nrLmr5EC3MMb_-zK1dDdzmd0p7cNliYu9V5w7o8K0","created_at":"1380000000"}`,
		`{"errcode":40006,"errmsg":"invalid file size"}`, `{"errcode":0}`, `[]`, `null`, ``, `{"media_id":7}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		id, err := parseUpload("media/upload", raw)
		if (err == nil) == (id == "") {
			t.Fatalf("parseUpload(%q) = %q, %v", raw, id, err)
		}
	})
}
