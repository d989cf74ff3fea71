package feishu

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/loopbot/loopbot/bot"
)

// contactFake speaks contact v3 user/get and department/get as Feishu
// does, with the tenant token endpoint in front.
type contactFake struct {
	mu    sync.Mutex
	users map[string]string // open_id → the user's JSON
	depts map[string]string // open_department_id → the department's JSON
	// refuse answers every contact call with this code (HTTP 400).
	refuse      int
	refuseMsg   string
	calls       []string // paths with queries
	deptCalls   int
	wrongBearer int
}

func (f *contactFake) start(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /open-apis/auth/v3/tenant_access_token/internal", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"code":0,"msg":"ok","tenant_access_token":"t-dir","expire":7200}`))
	})
	answer := func(w http.ResponseWriter, r *http.Request, table map[string]string, key string) {
		f.mu.Lock()
		f.calls = append(f.calls, r.URL.Path+"?"+r.URL.RawQuery)
		if r.Header.Get("Authorization") != "Bearer t-dir" {
			f.wrongBearer++
		}
		refuse, msg := f.refuse, f.refuseMsg
		body, ok := table[r.PathValue("id")]
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case refuse != 0:
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]any{"code": refuse, "msg": msg})
		case !ok:
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"code":41050,"msg":"no user authority error"}`))
		default:
			w.Write([]byte(`{"code":0,"msg":"success","data":{"` + key + `":` + body + `}}`))
		}
	}
	mux.HandleFunc("GET /open-apis/contact/v3/users/{id}", func(w http.ResponseWriter, r *http.Request) {
		answer(w, r, f.users, "user")
	})
	mux.HandleFunc("GET /open-apis/contact/v3/departments/{id}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.deptCalls++
		f.mu.Unlock()
		answer(w, r, f.depts, "department")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func newDirAdapter(t *testing.T, f *contactFake) *Adapter {
	srv := f.start(t)
	return New(Config{AppID: newAppID(), AppSecret: "s", BaseURL: srv.URL, Mode: ModeWebhook})
}

func TestLookUpWireFormat(t *testing.T) {
	f := &contactFake{
		users: map[string]string{
			// The shape of the user/get example in the contact v3 docs, trimmed.
			"ou_7d8a6e6df7621556ce0d21922b676706ccs": `{"union_id":"on_94a1ee5551019f18cd73d9f111898cf2","user_id":"3e3cf96b",
				"open_id":"ou_7d8a6e6df7621556ce0d21922b676706ccs","name":"张三","en_name":"San Zhang","email":"zhangsan@gmail.com",
				"mobile":"13011111111","mobile_visible":false,"gender":1,"status":{"is_frozen":false,"is_resigned":false},
				"department_ids":["od-4e6ac4d14bcd5071a37a39de902c7141","od-2"],"leader_user_id":"ou_7dab8a3d3cdcc9da365777c7ad53uew2",
				"city":"杭州","employee_no":"1","enterprise_email":"zhangsan@company.com","job_title":"xxxxx"}`,
		},
		depts: map[string]string{"od-4e6ac4d14bcd5071a37a39de902c7141": `{"name":"DemoName","i18n_name":{"zh_cn":"DemoName"},
			"parent_department_id":"D067","department_id":"D096","open_department_id":"od-4e6ac4d14bcd5071a37a39de902c7141","status":{"is_deleted":false}}`},
	}
	a := newDirAdapter(t, f)
	got, err := a.LookUp(context.Background(), "ou_7d8a6e6df7621556ce0d21922b676706ccs")
	if err != nil {
		t.Fatal(err)
	}
	want := bot.DirectoryEntry{Name: "张三", Email: "zhangsan@company.com", Mobile: "13011111111", Department: "DemoName",
		Manager: "ou_7dab8a3d3cdcc9da365777c7ad53uew2"}
	if got != want {
		t.Fatalf("LookUp = %+v, want %+v", got, want)
	}
	if len(f.calls) != 2 || f.calls[0] != "/open-apis/contact/v3/users/ou_7d8a6e6df7621556ce0d21922b676706ccs?department_id_type=open_department_id&user_id_type=open_id" ||
		f.calls[1] != "/open-apis/contact/v3/departments/od-4e6ac4d14bcd5071a37a39de902c7141?department_id_type=open_department_id" {
		t.Fatalf("calls = %q", f.calls)
	}
	if f.wrongBearer != 0 {
		t.Fatalf("%d calls without the tenant token", f.wrongBearer)
	}
	// The department's name is kept: a second person of it costs one call.
	if _, err := a.LookUp(context.Background(), "ou_7d8a6e6df7621556ce0d21922b676706ccs"); err != nil {
		t.Fatal(err)
	}
	if f.deptCalls != 1 {
		t.Fatalf("department asked %d times, want once", f.deptCalls)
	}
}

// TestLookUpMissingFields: without the field permissions Feishu leaves
// fields out; they are unknown, not an error.
func TestLookUpMissingFields(t *testing.T) {
	f := &contactFake{users: map[string]string{"ou_a": `{"open_id":"ou_a","name":"Ann","department_ids":["od-x"]}`, "ou_b": `{"open_id":"ou_b"}`}}
	a := newDirAdapter(t, f)
	got, err := a.LookUp(context.Background(), "ou_a")
	if err != nil || got != (bot.DirectoryEntry{Name: "Ann"}) {
		t.Fatalf("LookUp = %+v, %v; want only the name (the department refused)", got, err)
	}
	got, err = a.LookUp(context.Background(), "ou_b")
	if err != nil || got != (bot.DirectoryEntry{}) {
		t.Fatalf("LookUp = %+v, %v; want an empty entry", got, err)
	}
}

func TestLookUpRefused(t *testing.T) {
	for _, tc := range []struct {
		code int
		msg  string
		want string
	}{
		{99991672, "Access denied. One of the following scopes is required: [contact:contact.base:readonly]", bot.EFORBIDDEN},
		{41050, "no user authority error", bot.EFORBIDDEN},
		{40004, "no dept authority error", bot.EFORBIDDEN},
		{41012, "user id invalid", bot.ENOTFOUND},
	} {
		f := &contactFake{refuse: tc.code, refuseMsg: tc.msg}
		a := newDirAdapter(t, f)
		_, err := a.LookUp(context.Background(), "ou_a")
		if bot.ErrorCode(err) != tc.want {
			t.Errorf("code %d: error %v, want %s", tc.code, err, tc.want)
		}
		if tc.want == bot.EFORBIDDEN && !containsAll(bot.ErrorMessage(err), "contact:contact.base:readonly", "feishu") {
			t.Errorf("code %d: message %q does not name the permission", tc.code, bot.ErrorMessage(err))
		}
	}
}

// TestLookUpDown: a server error is neither EFORBIDDEN nor ENOTFOUND, so
// that the directory tries again later.
func TestLookUpDown(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == pathToken {
			w.Write([]byte(`{"code":0,"tenant_access_token":"t","expire":7200}`))
			return
		}
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer srv.Close()
	a := New(Config{AppID: newAppID(), AppSecret: "s", BaseURL: srv.URL, Mode: ModeWebhook})
	_, err := a.LookUp(context.Background(), "ou_a")
	if err == nil || bot.ErrorCode(err) != bot.EINTERNAL {
		t.Fatalf("error %v (%s), want an internal (retryable) error", err, bot.ErrorCode(err))
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

func FuzzDecodeUser(f *testing.F) {
	f.Add([]byte(`{"user":{"name":"张三","email":"a@b","department_ids":["od-1"],"leader_user_id":"ou_x"}}`))
	f.Add([]byte(`{"user":{"department_ids":"od-1"}}`))
	f.Add([]byte(`{"user":null}`))
	f.Add([]byte(`{"department":{"name":"研发"}}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, data []byte) {
		u, err := decodeUser(data)
		if err != nil && (u.Name != "" || u.LeaderUserID != "") {
			t.Fatalf("an error with data %+v", u)
		}
		_, _ = decodeDepartment(data)
	})
}
