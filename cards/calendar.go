package cards

import (
	"strings"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// NoHolidayData is the notice that tells an admin that year has no holiday
// schedule (SPEC §5): until one is added, it counts the working weekdays
// (calendar.workdays, Mon–Fri by default) with no public holidays and no
// make-up working days; and how to add one: /holiday add and /workday add,
// or calendar.extra_holidays and extra_workdays in the config.
func NoHolidayData(l Lang, year int, week []time.Weekday) bot.Card {
	days := make([]string, len(week))
	for i, w := range week {
		days[i] = l.Weekday(w)
	}
	title := l.F("No holiday schedule for %d", "未载入 %d 年节假日安排", year)
	text := strings.Join([]string{
		l.M("loopbot has no holiday schedule for **%d**. Until it has one, %d counts every %s as a working day, with no public holidays and no make-up working days: check-ins, reminders and warnings go out on holidays too.",
			"loopbot 没有 **%d** 年的节假日安排。补充之前，%d 年每个%s都按工作日处理，没有法定节假日，也没有调休：节假日也会照常发送打卡、提醒和督办。",
			year, year, strings.Join(days, l.T(", ", "、"))),
		"",
		l.T("Add the schedule once it is published:", "安排公布后请补充："),
		l.M("- in chat: /holiday add %d-01-01..%d-01-03 元旦, and /workday add <date> for each make-up working day;",
			"- 在聊天中：/节假日 添加 %d-01-01..%d-01-03 元旦；每个调休上班日用 /调休 添加 <日期>；", year, year),
		l.M("- or in the config: [calendar] extra_holidays = [\"%d-01-01\", …] and extra_workdays, then restart.",
			"- 或在配置文件中：[calendar] extra_holidays = [\"%d-01-01\", …] 与 extra_workdays，然后重启。", year),
	}, "\n")
	return Notice(title, text, bot.ColorYellow)
}
