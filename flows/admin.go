package flows

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/calendar"
	"github.com/loopbot/loopbot/cards"
	"github.com/loopbot/loopbot/command"
)

// calendarPrefix is the meta key prefix of admin additions to the calendar.
const calendarPrefix = "cal/"

// calendarDay is an admin addition to the working-day calendar.
type calendarDay struct {
	Work bool   `json:"work"`
	Name string `json:"name,omitempty"`
}

// LoadCalendar applies the admin additions kept in the store to cal.
func LoadCalendar(ctx context.Context, store bot.Store, cal *calendar.Calendar) error {
	return store.View(ctx, func(tx bot.Tx) error {
		days, err := tx.MetaPrefix(calendarPrefix)
		if err != nil {
			return err
		}
		for key, raw := range days {
			d, err := bot.ParseISODate(strings.TrimPrefix(key, calendarPrefix))
			var day calendarDay
			if err != nil || json.Unmarshal(raw, &day) != nil {
				return fmt.Errorf("flows: calendar entry %q is damaged", key)
			}
			applyDay(cal, d, day)
		}
		return nil
	})
}

func applyDay(cal *calendar.Calendar, d bot.Date, day calendarDay) {
	if day.Work {
		cal.AddWorkday(d, day.Name)
	} else {
		cal.AddHoliday(d, day.Name)
	}
}

// help runs /help [cmd].
func (s *Service) help(r *req, cmd command.Command) error {
	if len(cmd.Args) > 0 {
		spec, ok := command.Lookup(cmd.Args[0])
		if !ok {
			return invalid(r, "There is no command %q. Type /help for the list.", "没有命令“%s”。输入 /帮助 查看列表。", cmd.Args[0])
		}
		return s.reply(r, s.helpOne(r, spec))
	}
	var b strings.Builder
	b.WriteString("**" + r.l.T("Commands you can use", "你可以使用的命令") + "**\n")
	for _, spec := range command.Specs() {
		if !s.mayUse(r, spec.Access) {
			continue
		}
		if len(spec.Subs) == 0 {
			b.WriteString(s.helpLine(r, spec.Name, "", spec.Usage, spec.UsageZh, spec.Summary, spec.SummaryZh))
		}
		for _, sub := range spec.Subs {
			if s.mayUse(r, sub.Access) {
				b.WriteString(s.helpLine(r, spec.Name, sub.Name, sub.Usage, sub.UsageZh, sub.Summary, sub.SummaryZh))
			}
		}
	}
	b.WriteString("\n" + r.l.T("Dates: ", "日期：") + "2026-11-28, 11-28, today/今天, tomorrow/明天, fri/周五, next mon/下周一, +3d, 3wd/3个工作日, eom/月底")
	return s.reply(r, b.String())
}

// helpLine is one bullet of /help: a command's (or subcommand's) usage and
// summary, and whether it is not built yet.
func (s *Service) helpLine(r *req, name, sub, usage, usageZh, summary, summaryZh string) string {
	// A usage of several forms is one per line; the bullet keeps them on one.
	forms := strings.ReplaceAll(r.l.T(usage, usageZh), "\n", " · ")
	line := "- " + r.l.M("%s — %s", "%s — %s", forms, r.l.T(summary, summaryZh))
	if _, ok := s.handler(name, sub); !ok {
		line += r.l.T(" (not available yet)", "（尚未开放）")
	}
	return line + "\n"
}

func (s *Service) helpOne(r *req, spec command.Spec) string {
	summary, usage := spec.Summary, spec.Usage
	if r.l == cards.ZH {
		summary, usage = spec.SummaryZh, spec.UsageZh
	}
	msg := bot.EscapeMarkdown(summary)
	if len(spec.Subs) == 0 {
		// Each form of the usage in bold, one a line.
		var forms []string
		for f := range strings.SplitSeq(usage, "\n") {
			forms = append(forms, "**"+bot.EscapeMarkdown(f)+"**")
		}
		msg = strings.Join(forms, "\n") + "\n" + msg
	}
	for _, sub := range spec.Subs {
		msg += "\n- " + bot.EscapeMarkdown(r.l.T(sub.Usage, sub.UsageZh))
		if _, ok := s.handler(spec.Name, sub.Name); !ok {
			msg += r.l.T(" (not available yet)", "（尚未开放）")
		}
	}
	if !s.built(spec.Name) {
		msg += "\n" + r.l.T("(not available yet)", "（尚未开放）")
	}
	return msg
}

func (s *Service) mayUse(r *req, access string) bool {
	switch access {
	case "admin":
		return r.me.IsAdmin()
	case "manager":
		return r.me.IsManager()
	}
	return true
}

func (s *Service) mustAdmin(r *req) error {
	if r.me.IsAdmin() {
		return nil
	}
	return forbidden(r, "Only admins can do that.", "只有管理员可以这样做。")
}

// role runs /role @user admin|manager|member.
func (s *Service) role(r *req, cmd command.Command) error {
	if err := s.mustAdmin(r); err != nil {
		return err
	}
	if len(cmd.Mentions) != 1 || len(cmd.Args) != 1 {
		return badUsage(r, "role", r.l.T("Mention one person and give a role.", "请 @ 一个人并给出角色。"))
	}
	role, err := bot.ParseRole(cmd.Args[0])
	if err != nil {
		return badUsage(r, "role", bot.MessageIn(err, string(r.l)))
	}
	p, err := s.mention(r, cmd.Mentions[0])
	if err != nil {
		return err
	}
	if p.ID == r.me.ID && role != bot.RoleAdmin {
		return invalid(r, "You cannot take away your own admin role; ask another admin.", "不能撤销自己的管理员角色，请由其他管理员操作。")
	}
	old := p.Role
	p.Role, p.UpdatedAt = role, s.cfg.Clock.Now()
	p.Choose(bot.SettingRole)
	if err := r.tx.PutPerson(p); err != nil {
		return err
	}
	if err := s.audit(r.tx, bot.AuditEvent{Actor: r.me.ID, Kind: "role", Field: "role", Old: string(old), New: string(role), Note: string(p.ID)}); err != nil {
		return err
	}
	return s.reply(r, r.l.M("👤 %s is now %s.", "👤 %s 的角色已设为 %s。", p.DisplayName(), role))
}

// calendarShow runs /calendar [year].
func (s *Service) calendarShow(r *req, cmd command.Command) error {
	year := r.now.Year()
	if len(cmd.Args) > 0 {
		y, err := strconv.Atoi(cmd.Args[0])
		if err != nil || y < 2000 || y > 2100 {
			return badUsage(r, "calendar", r.l.F("%q is not a year.", "“%s”不是年份。", cmd.Args[0]))
		}
		year = y
	}
	cal := s.cfg.Calendar
	var b strings.Builder
	b.WriteString(r.l.F("**Working-day calendar %d**\n", "**%d 年工作日历**\n", year))
	if !cal.HasData(year) {
		b.WriteString(r.l.F("No official schedule for %d is loaded: Monday to Friday are working days. Admins add days with /holiday add and /workday add.\n",
			"未载入 %d 年的官方节假日安排：按周一至周五工作。管理员可用 /节假日 添加 和 /调休 添加 补充。\n", year))
	}
	for _, d := range cal.Days(year) {
		kind := r.l.T("off", "休")
		if d.Workday {
			kind = r.l.T("working day (make-up)", "调休上班")
		}
		fmt.Fprintf(&b, "- %s %s %s\n", r.l.Date(d.Date), kind, bot.EscapeMarkdown(cards.OneLine(d.Name)))
	}
	return s.reply(r, strings.TrimSpace(b.String()))
}

// holidayAdd runs /holiday add <date>[..<date>] [name].
func (s *Service) holidayAdd(r *req, cmd command.Command) error {
	return s.addDays(r, cmd, "holiday", false)
}

// workdayAdd runs /workday add <date>[..<date>] [name].
func (s *Service) workdayAdd(r *req, cmd command.Command) error {
	return s.addDays(r, cmd, "workday", true)
}

func (s *Service) addDays(r *req, cmd command.Command, name string, work bool) error {
	if err := s.mustAdmin(r); err != nil {
		return err
	}
	if len(cmd.Args) == 0 {
		return badUsage(r, name, r.l.T("Which day?", "哪一天？"))
	}
	from, to, err := parseRange(r, s, cmd.Args[0])
	if err != nil {
		return err
	}
	if from.DaysUntil(to) > 60 {
		return invalid(r, "At most 60 days at a time.", "一次最多 60 天。")
	}
	day := calendarDay{Work: work, Name: text(cmd.Args[1:])}
	raw, _ := json.Marshal(day)
	var dates []bot.Date
	for d := from; !d.After(to); d = d.AddDays(1) {
		if err := r.tx.PutMeta(calendarPrefix+d.String(), raw); err != nil {
			return err
		}
		dates = append(dates, d)
	}
	if err := s.audit(r.tx, bot.AuditEvent{Actor: r.me.ID, Kind: "calendar_" + name, Old: from.String(), New: to.String(), Note: day.Name}); err != nil {
		return err
	}
	bot.AfterCommit(r.ctx, func() {
		for _, d := range dates {
			applyDay(s.cfg.Calendar, d, day)
		}
		// Working time moved: the next escalation check looks at
		// everything and files it anew.
		s.due.invalidate()
	})
	what := r.l.T("days off", "休息日")
	if work {
		what = r.l.T("working days", "工作日")
	}
	return s.reply(r, r.l.F("📅 %s – %s are now %s.", "📅 %s 至 %s 已设为%s。", r.l.Date(from), r.l.Date(to), what))
}

// settings runs /settings checkin <HH:MM> | timezone <IANA> | lang zh|en,
// and shows the settings without arguments.
func (s *Service) settings(r *req, cmd command.Command) error {
	if cmd.Sub == "" {
		return s.reply(r, s.settingsText(r, r.me))
	}
	if len(cmd.Args) != 1 {
		return badUsage(r, "settings", r.l.T("Give one value.", "请给出一个值。"))
	}
	p, v := r.me, cmd.Args[0]
	switch cmd.Sub {
	case "checkin":
		h, m, err := calendar.ParseClock(v)
		if err != nil {
			return err
		}
		p.CheckinAt = fmt.Sprintf("%02d:%02d", h, m)
		p.Choose(bot.SettingCheckin)
	case "timezone":
		if _, err := time.LoadLocation(v); err != nil || v == "" || v == "Local" {
			return invalid(r, "%q is not a time zone; use an IANA name such as Asia/Shanghai or America/New_York.", "“%s”不是时区，请用 IANA 名称，如 Asia/Shanghai。", v)
		}
		p.Timezone = v
		p.Choose(bot.SettingTimezone)
	case "lang":
		l, err := cards.ParseLang(v)
		if err != nil {
			return err
		}
		p.Lang = string(l)
		p.Choose(bot.SettingLang)
	case "platform":
		if err := s.settingsPlatform(r, &p, v); err != nil {
			return err
		}
	}
	p.UpdatedAt = s.cfg.Clock.Now()
	if err := r.tx.PutPerson(p); err != nil {
		return err
	}
	s.forgetCheckinTimes(r.ctx)
	r.l = s.lang(p)
	return s.reply(r, "⚙️ "+s.settingsText(r, p))
}

func (s *Service) settingsText(r *req, p bot.Person) string {
	m := s.checkinMinute(p)
	checkin := fmt.Sprintf("%02d:%02d", m/60, m%60)
	text := r.l.M("Your settings: check-in at %s, time zone %s, language %s.", "你的设置：打卡时间 %s，时区 %s，语言 %s。",
		checkin, s.loc(p).String(), string(s.lang(p)))
	if len(p.Identities) == 0 {
		return text
	}
	to := s.dmTarget(r.tx, p.ID).Platform
	how := r.l.T("where you last wrote from", "你最近发消息的平台")
	if p.Platform == to {
		how = r.l.T("as you chose", "你指定的平台")
	}
	return text + "\n" + r.l.M("Linked identities: %s. Your cards go to %s (%s).", "已绑定的身份：%s。卡片发到%s（%s）。",
		identityList(r.l, p), cards.PlatformName(r.l, to), how)
}
