package wecom

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/loopbot/loopbot/bot"
)

// contactAPI answers user/get and department/get with the given JSON by
// userid or id, and records each call's path and query.
type contactAPI struct {
	mu      sync.Mutex
	members map[string]string
	depts   map[string]string
	refuse  string // an errcode answer to every contact call, when set
	calls   []string
}

func (c *contactAPI) env(t *testing.T) *testEnv {
	e := testEnvNow(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		defer c.mu.Unlock()
		q := r.URL.Query()
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/cgi-bin/gettoken" {
			io.WriteString(w, `{"errcode":0,"errmsg":"ok","access_token":"T","expires_in":7200}`)
			return
		}
		c.calls = append(c.calls, r.Method+" "+r.URL.Path+" userid="+q.Get("userid")+" id="+q.Get("id")+" token="+q.Get("access_token"))
		if c.refuse != "" {
			io.WriteString(w, c.refuse)
			return
		}
		var body string
		var ok bool
		switch r.URL.Path {
		case "/cgi-bin/user/get":
			body, ok = c.members[q.Get("userid")]
		case "/cgi-bin/department/get":
			body, ok = c.depts[q.Get("id")]
		}
		if !ok {
			io.WriteString(w, `{"errcode":60111,"errmsg":"userid not found"}`)
			return
		}
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	e.a.cfg.APIBase = srv.URL
	e.a.api.base = srv.URL
	return e
}

func TestLookUp(t *testing.T) {
	c := &contactAPI{
		members: map[string]string{
			// 读取成员's documented answer, trimmed.
			"zhangsan": `{"errcode":0,"errmsg":"ok","userid":"zhangsan","name":"张三","department":[1,2],"order":[1,2],
				"position":"后台工程师","mobile":"13800000000","gender":"1","email":"zhangsan@gzdev.com","biz_mail":"zhangsan@qyycs2.wecom.work",
				"is_leader_in_dept":[1,0],"direct_leader":["lisi"],"avatar":"http://x","telephone":"020-123456","alias":"jackzhang",
				"status":1,"main_department":2,"open_userid":"xxxxxx"}`,
			// An app made after 2022-08-15 without the privilege: no name,
			// mobile or email.
			"wangwu": `{"errcode":0,"errmsg":"ok","userid":"wangwu","department":[3],"direct_leader":[],"status":1}`,
		},
		depts: map[string]string{"2": `{"errcode":0,"errmsg":"ok","department":{"id":2,"name":"广州研发中心","name_en":"RDGZ","department_leader":["zhangsan"],"parentid":1,"order":10}}`},
	}
	e := c.env(t)
	ctx := context.Background()
	got, err := e.a.LookUp(ctx, "zhangsan")
	if err != nil {
		t.Fatal(err)
	}
	want := bot.DirectoryEntry{Name: "张三", Email: "zhangsan@qyycs2.wecom.work", Mobile: "13800000000", Department: "广州研发中心", Manager: "lisi"}
	if got != want {
		t.Fatalf("LookUp = %+v, want %+v", got, want)
	}
	if len(c.calls) != 2 || c.calls[0] != "GET /cgi-bin/user/get userid=zhangsan id= token=T" || c.calls[1] != "GET /cgi-bin/department/get userid= id=2 token=T" {
		t.Fatalf("calls = %q", c.calls)
	}
	// Missing fields are unknown; a department that refuses is "".
	got, err = e.a.LookUp(ctx, "wangwu")
	if err != nil || got != (bot.DirectoryEntry{}) {
		t.Fatalf("LookUp(wangwu) = %+v, %v", got, err)
	}
	if _, err := e.a.LookUp(ctx, "nobody"); bot.ErrorCode(err) != bot.ENOTFOUND {
		t.Fatalf("an unknown userid: %v, want ENOTFOUND", err)
	}
}

func TestLookUpRefused(t *testing.T) {
	for _, code := range []string{"60011", "48002", "301002", "60020"} {
		c := &contactAPI{refuse: `{"errcode":` + code + `,"errmsg":"no privilege to access/modify contact/party/agent"}`}
		_, err := c.env(t).a.LookUp(context.Background(), "zhangsan")
		if bot.ErrorCode(err) != bot.EFORBIDDEN || !strings.Contains(bot.ErrorMessage(err), "通讯录") {
			t.Errorf("errcode %s: %v, want EFORBIDDEN naming the privilege", code, err)
		}
	}
	c := &contactAPI{refuse: `{"errcode":-1,"errmsg":"system busy"}`}
	if _, err := c.env(t).a.LookUp(context.Background(), "zhangsan"); err == nil || bot.ErrorCode(err) != bot.EINTERNAL {
		t.Errorf("a busy system: %v, want a retryable error", err)
	}
}

func FuzzDecodeMember(f *testing.F) {
	f.Add([]byte(`{"errcode":0,"userid":"a","name":"张三","department":[1,2],"main_department":2,"direct_leader":["b"]}`))
	f.Add([]byte(`{"department":"1"}`))
	f.Add([]byte(`{"direct_leader":null,"main_department":-1}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := decodeMember(raw)
		if err != nil && (m.Name != "" || len(m.Department) != 0) {
			t.Fatalf("an error with data %+v", m)
		}
		if d := m.mainDepartment(); d < 0 && m.MainDepartment >= 0 && len(m.Department) > 0 && m.Department[0] >= 0 {
			t.Fatalf("department %d", d)
		}
	})
}
