package main

import (
	"net/http"
	"strings"
	"testing"
)

// adminEndpoints are every route of the admin API (SPEC §10).
var adminEndpoints = []struct{ method, path string }{
	{"GET", "/api/v1/projects"}, {"GET", "/api/v1/projects/P1"}, {"GET", "/api/v1/tasks"}, {"GET", "/api/v1/tasks/T1"},
	{"GET", "/api/v1/checkins"}, {"GET", "/api/v1/escalations"}, {"GET", "/api/v1/export"}, {"POST", "/api/v1/backup"},
	{"GET", "/api/v1/outbox/dead"},
}

func statusOf(t *testing.T, method, url, auth string) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestAdminAPIAuth: every admin endpoint answers 401 without the bearer
// token or with a wrong one (shorter, longer, another scheme), 200 with it,
// and 403 on every endpoint when no admin_token is configured.
func TestAdminAPIAuth(t *testing.T) {
	ta := startApp(t, testConfig, "")
	ta.reply("alice", "alpha", "/project new Alpha acceptance:off")
	ta.reply("alice", "alpha", "/task new 接口文档 @bob due:2026-11-25")
	for _, e := range adminEndpoints {
		for _, auth := range []string{"", "Bearer", "Bearer ", "Bearer test-toke", "Bearer test-token2", "bearer test-token", "Basic dGVzdC10b2tlbg==", "test-token"} {
			if code := statusOf(t, e.method, ta.base+e.path, auth); code != http.StatusUnauthorized {
				t.Errorf("%s %s with %q: %d, want 401", e.method, e.path, auth, code)
			}
		}
		if code := statusOf(t, e.method, ta.base+e.path, "Bearer test-token"); code != http.StatusOK {
			t.Errorf("%s %s with the token: %d, want 200", e.method, e.path, code)
		}
	}
	off := startApp(t, strings.Replace(testConfig, `admin_token = "test-token"`, "", 1), "")
	for _, e := range adminEndpoints {
		if code := statusOf(t, e.method, off.base+e.path, "Bearer test-token"); code != http.StatusForbidden {
			t.Errorf("no admin_token: %s %s: %d, want 403", e.method, e.path, code)
		}
	}
}

// TestAdminAPITaskFilters: GET /api/v1/tasks filters by project, assignee
// and status, and refuses a value it cannot read with 400.
func TestAdminAPITaskFilters(t *testing.T) {
	ta := startApp(t, testConfig, "")
	ta.reply("alice", "alpha", "/project new Alpha acceptance:off")
	ta.reply("alice", "alpha", "/task new 接口文档 @bob due:2026-11-25")
	ta.reply("alice", "alpha", "/task new 测试 @carol due:2026-11-26")
	ta.act("bob", ta.lastCard("dm:bob", "task_assigned").ID, "accept", nil)
	ta.reply("alice", "dm", "/project new Beta")
	ta.reply("alice", "dm", "/task new Beta 任务 @bob due:2026-11-27 project:P2")
	for q, want := range map[string][]string{
		"":                                    {"T1", "T2", "T3"},
		"?project=P1":                         {"T1", "T2"},
		"?project=p2":                         {"T3"},
		"?assignee=playground:bob":            {"T1", "T3"},
		"?assignee=playground:bob&project=P1": {"T1"},
		"?status=accepted":                    {"T1"},
		"?status=assigned&project=P1":         {"T2"},
		"?assignee=playground:dave":           {},
	} {
		var out struct {
			Tasks []struct {
				ID string `json:"id"`
			} `json:"tasks"`
		}
		if code := ta.call("GET", "/api/v1/tasks"+q, nil, &out); code != 200 {
			t.Errorf("tasks%s: %d", q, code)
			continue
		}
		var got []string
		for _, x := range out.Tasks {
			got = append(got, x.ID)
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("tasks%s = %v, want %v", q, got, want)
		}
	}
	for _, q := range []string{"?project=X", "?status=sleeping", "?assignee=nobody:x", "?assignee="} {
		if code := ta.call("GET", "/api/v1/tasks"+q, nil, nil); code != 400 && !(q == "?assignee=" && code == 200) {
			t.Errorf("tasks%s: %d, want 400", q, code)
		}
	}
}
