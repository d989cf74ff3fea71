package dingtalk

import (
	"context"
	"strings"
	"testing"

	"github.com/loopbot/loopbot/adapters/dingtalk/dingtalktest"
	"github.com/loopbot/loopbot/bot"
)

func TestLookUp(t *testing.T) {
	f := newFake(t)
	f.AddUser("zhangsan", dingtalktest.User{Name: "张三", Email: "zs@example.com", OrgEmail: "zs@corp.example.com",
		Mobile: "18513027676", Manager: "manager240", Depts: []int64{2, 3}})
	f.AddUser("lisi", dingtalktest.User{Name: "李四"})
	f.AddDept(2, "研发部")
	a := newAdapter(f, nil)
	got, err := a.LookUp(context.Background(), "zhangsan")
	if err != nil {
		t.Fatal(err)
	}
	want := bot.DirectoryEntry{Name: "张三", Email: "zs@corp.example.com", Mobile: "18513027676", Department: "研发部", Manager: "manager240"}
	if got != want {
		t.Fatalf("LookUp = %+v, want %+v", got, want)
	}
	calls := f.Calls("/topapi/v2/user/get")
	if len(calls) != 1 || calls[0].Method != "POST" || calls[0].Body["userid"] != "zhangsan" || calls[0].Body["language"] != "zh_CN" {
		t.Fatalf("user/get calls = %+v", calls)
	}
	dc := f.Calls("/topapi/v2/department/get")
	if len(dc) != 1 || dc[0].Body["dept_id"] != float64(2) {
		t.Fatalf("department/get calls = %+v", dc)
	}
	// Missing fields are unknown, and the department is asked once a day.
	got, err = a.LookUp(context.Background(), "lisi")
	if err != nil || got != (bot.DirectoryEntry{Name: "李四"}) {
		t.Fatalf("LookUp(lisi) = %+v, %v", got, err)
	}
	if _, err := a.LookUp(context.Background(), "zhangsan"); err != nil || len(f.Calls("/topapi/v2/department/get")) != 1 {
		t.Fatalf("department asked again: %v", err)
	}
}

func TestLookUpRefused(t *testing.T) {
	for _, tc := range []struct {
		refuse int
		user   string
		want   string
	}{
		{88, "zhangsan", bot.EFORBIDDEN},
		{60011, "zhangsan", bot.EFORBIDDEN},
		{60020, "zhangsan", bot.EFORBIDDEN},
		{50002, "zhangsan", bot.EFORBIDDEN},
		{0, "nobody", bot.ENOTFOUND},
	} {
		f := newFake(t)
		f.AddUser("zhangsan", dingtalktest.User{Name: "张三"})
		f.RefuseContact(tc.refuse)
		_, err := newAdapter(f, nil).LookUp(context.Background(), tc.user)
		if bot.ErrorCode(err) != tc.want {
			t.Errorf("errcode %d: %v, want %s", tc.refuse, err, tc.want)
		}
		if tc.want == bot.EFORBIDDEN && !strings.Contains(bot.ErrorMessage(err), "qyapi_get_member") {
			t.Errorf("errcode %d: %q does not name the permission", tc.refuse, bot.ErrorMessage(err))
		}
	}
}

// TestLookUpBusy: a busy system is a retryable error, not a refusal.
func TestLookUpBusy(t *testing.T) {
	f := newFake(t)
	f.RefuseContact(-1)
	_, err := newAdapter(f, nil).LookUp(context.Background(), "zhangsan")
	if err == nil || bot.ErrorCode(err) != bot.EINTERNAL {
		t.Fatalf("error %v, want a retryable one", err)
	}
}

func FuzzDecodeContact(f *testing.F) {
	f.Add([]byte(`{"errcode":0,"errmsg":"ok","result":{"name":"张三","dept_id_list":[1,2],"manager_userid":"m"}}`))
	f.Add([]byte(`{"errcode":88,"errmsg":"x","sub_code":"60011","sub_msg":"no"}`))
	f.Add([]byte(`{"errcode":88,"sub_code":60011}`))
	f.Add([]byte(`{"errcode":0,"result":{"dept_id_list":"1"}}`))
	f.Add([]byte(`{"errcode":0}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := decodeTop(body)
		if err != nil {
			return
		}
		u, err := decodeUser(res)
		if err != nil && (u.Name != "" || len(u.Depts) != 0) {
			t.Fatalf("an error with data %+v", u)
		}
	})
}
