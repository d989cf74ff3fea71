package command

import (
	"strings"
	"testing"
)

func TestSpecsFollowTheSpec(t *testing.T) {
	order := "help project task tasks assign progress done block unblock due changes reassign cancel checkin leave " +
		"review report plan escalations export board role calendar holiday workday settings link unlink risk risks workload " +
		"accept decline ask verify rework ack snooze extend approve reject"
	zh := "帮助 项目 任务 任务列表 指派 进度 完成 阻塞 解除阻塞 延期 变更 转派 取消 打卡 请假 复盘 报告 计划 督办 导出 看板 " +
		"角色 日历 节假日 调休 设置 绑定 解绑 风险 风险清单 负荷 接受 拒绝 提问 验收 退回 知悉 暂缓 申请延期 批准 驳回"
	specs := Specs()
	if len(specs) != len(strings.Fields(order)) {
		t.Fatalf("%d specs, want %d", len(specs), len(strings.Fields(order)))
	}
	for i, s := range specs {
		if s.Name != strings.Fields(order)[i] || s.Zh != strings.Fields(zh)[i] {
			t.Errorf("spec %d = %s/%s, want %s/%s", i, s.Name, s.Zh, strings.Fields(order)[i], strings.Fields(zh)[i])
		}
	}
}

func TestSpecsAreComplete(t *testing.T) {
	for _, s := range Specs() {
		if s.Summary == "" || s.SummaryZh == "" {
			t.Errorf("%s: no summary", s.Name)
		}
		checkAccess(t, s.Name, s.Access)
		checkUsage(t, s.Usage, "/"+s.Name)
		checkUsage(t, s.UsageZh, "/"+s.Zh)
		for _, sub := range s.Subs {
			checkAccess(t, s.Name+" "+sub.Name, sub.Access)
			checkUsage(t, sub.Usage, "/"+s.Name+" "+sub.Name)
			checkUsage(t, sub.UsageZh, "/"+s.Zh+" "+sub.Zh)
		}
	}
}

// checkAccess asserts that access is one of the three levels.
func checkAccess(t *testing.T, name, access string) {
	t.Helper()
	if access != AccessAnyone && access != AccessManager && access != AccessAdmin {
		t.Errorf("%s: Access = %q", name, access)
	}
}

// checkUsage asserts that every line of usage starts with prefix and parses.
func checkUsage(t *testing.T, usage, prefix string) {
	t.Helper()
	for _, line := range strings.Split(usage, "\n") {
		if !strings.HasPrefix(line, prefix) {
			t.Errorf("usage %q does not start with %q", line, prefix)
		}
		if _, err := Parse(line, "en"); err != nil {
			t.Errorf("usage %q does not parse: %v", line, err)
		}
	}
}

func TestSpecAccess(t *testing.T) {
	want := map[string]string{
		"help": AccessAnyone, "project": AccessAnyone, "task": AccessAnyone, "reassign": AccessManager,
		"export": AccessManager, "role": AccessAdmin, "holiday": AccessAdmin, "settings": AccessAnyone,
	}
	for name, access := range want {
		if s, _ := Lookup(name); s.Access != access {
			t.Errorf("%s: Access = %q, want %q", name, s.Access, access)
		}
	}
	p, _ := Lookup("project")
	if sub, _ := p.Sub("new"); sub.Access != AccessManager {
		t.Errorf("project new: Access = %q, want manager", sub.Access)
	}
}

func TestLookup(t *testing.T) {
	tests := map[string]string{
		"task": "task", "/task": "task", "TASK": "task", "任务": "task", "/任务": "task", "／任务": "task",
		"任务列表": "tasks", " /指派 ": "assign", "ｈｅｌｐ": "help", "督办": "escalations",
	}
	for in, want := range tests {
		if s, ok := Lookup(in); !ok || s.Name != want {
			t.Errorf("Lookup(%q) = %q, %v; want %q", in, s.Name, ok, want)
		}
	}
	for _, in := range []string{"", "/", "tsk", "任", "task new"} {
		if s, ok := Lookup(in); ok {
			t.Errorf("Lookup(%q) = %q, want none", in, s.Name)
		}
	}
}

func TestSpecsReturnsACopy(t *testing.T) {
	a := Specs()
	a[0].Name = "changed"
	a[1].Subs[0].Name = "changed"
	if b := Specs(); b[0].Name != "help" || b[1].Subs[0].Name != "new" {
		t.Error("changing the result of Specs changed the table")
	}
}

func TestSuggest(t *testing.T) {
	tests := map[string]string{
		"tsk": "task", "halp": "help", "proj": "", "setings": "settings", "任物": "任务",
		"你好": "", "x": "", "escalation": "escalations", "TSK": "task",
	}
	for in, want := range tests {
		if got := suggest(in, Specs()); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}
