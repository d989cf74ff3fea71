package command

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/loopbot/loopbot/bot"
)

// ParseTaskID reads a task's short id as users type it: "T12", "t12" or
// "#12" (full-width letters and digits too). It reports false for anything
// else, including "T0", a bare number and a number that overflows uint64.
func ParseTaskID(s string) (uint64, bool) {
	s = fold(strings.TrimSpace(s))
	if rest, ok := strings.CutPrefix(s, "#"); ok {
		return parseSerial(rest)
	}
	if rest, ok := strings.CutPrefix(s, "t"); ok {
		return parseSerial(rest)
	}
	return 0, false
}

// ParseProjectID reads a project's short id: "P3" or "p3". It reports false
// for anything else, including "P0".
func ParseProjectID(s string) (uint64, bool) {
	rest, ok := strings.CutPrefix(fold(strings.TrimSpace(s)), "p")
	if !ok {
		return 0, false
	}
	return parseSerial(rest)
}

// ParseIDList reads a list of task ids, as in after:T1,T2. Items are separated
// by ',', '，' or '、'; a repeated id counts once. It returns an EINVALID error,
// in both languages, naming the first item that is not a task id.
func ParseIDList(s string) ([]uint64, error) {
	items := strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == '，' || r == '、'
	})
	if len(items) == 0 {
		return nil, bot.Bilingual(bot.EINVALID,
			"No task ids given; write them like T1,T2.", "没有任务编号，请写成 T1,T2。")
	}
	var ids []uint64
	seen := make(map[uint64]bool)
	for _, item := range items {
		id, ok := ParseTaskID(item)
		if !ok {
			return nil, bot.Bilingual(bot.EINVALID,
				fmt.Sprintf("%q is not a task id; write them like T1,T2.", clip(item)),
				fmt.Sprintf("“%s”不是任务编号，请写成 T1,T2。", clip(item)))
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// ParseEscalationID reads an escalation's short id: "E2" or "e2". It reports
// false for anything else, including "E0".
func ParseEscalationID(s string) (uint64, bool) {
	rest, ok := strings.CutPrefix(fold(strings.TrimSpace(s)), "e")
	if !ok {
		return 0, false
	}
	return parseSerial(rest)
}

// ParseChangeID reads a change request's short id: "C1" or "c1". It reports
// false for anything else, including "C0".
func ParseChangeID(s string) (uint64, bool) {
	rest, ok := strings.CutPrefix(fold(strings.TrimSpace(s)), "c")
	if !ok {
		return 0, false
	}
	return parseSerial(rest)
}

// ParseRiskID reads a risk's short id: "R2" or "r2". It reports false for
// anything else, including "R0".
func ParseRiskID(s string) (uint64, bool) {
	rest, ok := strings.CutPrefix(fold(strings.TrimSpace(s)), "r")
	if !ok {
		return 0, false
	}
	return parseSerial(rest)
}

// TaskCode returns the short id of a task, such as "T12".
func TaskCode(id uint64) string { return "T" + strconv.FormatUint(id, 10) }

// ProjectCode returns the short id of a project, such as "P3".
func ProjectCode(id uint64) string { return "P" + strconv.FormatUint(id, 10) }

// parseSerial reads the decimal part of a short id. Only ASCII digits count,
// because strconv would also take a sign or an underscore.
func parseSerial(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 {
		return 0, false
	}
	return n, true
}
