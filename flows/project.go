package flows

import (
	"slices"
	"strings"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/calendar"
	"github.com/loopbot/loopbot/cards"
	"github.com/loopbot/loopbot/command"
)

// projectNew runs /project new <name> [due:<date>] [acceptance:on|off]. In
// a group chat it binds the group as the project's channel.
func (s *Service) projectNew(r *req, cmd command.Command) error {
	if !r.me.IsManager() {
		return forbidden(r, "Only managers and admins create projects; ask an admin for /role @you manager.", "只有经理和管理员可以创建项目，请管理员执行 /角色 @你 manager。")
	}
	name := text(cmd.Args)
	if name == "" {
		return badUsage(r, "project", r.l.T("The project needs a name.", "项目需要一个名称。"))
	} else if len([]rune(name)) > maxTitle {
		return invalid(r, "The name is longer than %d characters.", "名称超过了 %d 个字符。", maxTitle)
	}
	now := s.cfg.Clock.Now()
	p := bot.Project{Name: name, Owner: r.me.ID, Members: []bot.PersonID{r.me.ID}, Acceptance: true, Start: bot.DateOf(r.now), CreatedAt: now, UpdatedAt: now}
	if err := s.projectOptions(r, &p, cmd.KV); err != nil {
		return err
	}
	if !r.ev.Chat.DM {
		if err := s.checkGroupFree(r, 0); err != nil {
			return err
		}
		p.BindGroup(r.ev.Chat)
	}
	id, err := r.tx.NextProjectID()
	if err != nil {
		return err
	}
	p.ID = id
	if err := r.tx.PutProject(p); err != nil {
		return err
	}
	if err := s.audit(r.tx, bot.AuditEvent{Actor: r.me.ID, Kind: "project_created", Project: p.ID, Note: p.Name}); err != nil {
		return err
	}
	return s.reply(r, s.projectCreatedText(r, p))
}

func (s *Service) projectOptions(r *req, p *bot.Project, kv map[string]string) error {
	if v, ok := kv["due"]; ok {
		d, err := calendar.ParseDueDate(v, r.now, s.cfg.Calendar)
		if err != nil {
			return err
		}
		p.Deadline = d
	}
	if v, ok := kv["acceptance"]; ok {
		switch strings.ToLower(v) {
		case "on", "yes", "true", "开", "是":
			p.Acceptance = true
		case "off", "no", "false", "关", "否":
			p.Acceptance = false
		default:
			return invalid(r, "acceptance: %q is not on or off.", "acceptance：“%s”应为 on 或 off。", v)
		}
	}
	return nil
}

func (s *Service) projectCreatedText(r *req, p bot.Project) string {
	l := r.l
	msg := l.M("📁 Project %s «%s» created; you own it.", "📁 项目 %s「%s」已创建，你是负责人。", p.Code(), p.Name)
	if !p.Deadline.IsZero() {
		msg += "\n" + l.T("Deadline: ", "截止：") + l.Date(p.Deadline)
	}
	if p.Acceptance {
		msg += "\n" + l.T("Done work needs acceptance (验收).", "完成的任务需要验收。")
	} else {
		msg += "\n" + l.T("Done work needs no acceptance.", "完成的任务无需验收。")
	}
	if !r.ev.Chat.DM {
		msg += "\n" + l.T("This group is now the project's channel.", "本群已绑定为项目群。")
	}
	msg += "\n" + l.F("Next: /task new <title> @someone due:fri project:%s", "下一步：/任务 新建 <标题> @负责人 截止:周五 项目:%s", p.Code())
	return msg
}

// checkGroupFree refuses to bind a group that is already the channel of
// another open project.
func (s *Service) checkGroupFree(r *req, except uint64) error {
	other, err := r.tx.ProjectByGroup(r.ev.Chat)
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	if other.ID == except {
		return nil
	}
	return bot.Errorf(bot.ECONFLICT, "%s", r.l.F("This group is already the channel of %s «%s». Close it first, or use another group.",
		"本群已是项目 %s「%s」的项目群。请先关闭该项目，或换一个群。", other.Code(), other.Name))
}

// projectBind runs /project bind <P> in a group chat.
func (s *Service) projectBind(r *req, cmd command.Command) error {
	if r.ev.Chat.DM {
		return invalid(r, "Run /project bind in the group chat you want to bind.", "请在要绑定的群聊中发送 /项目 绑定。")
	}
	p, err := s.managedProject(r, cmd)
	if err != nil {
		return err
	}
	if err := s.checkGroupFree(r, p.ID); err != nil {
		return err
	}
	before, had := p.Group(r.ev.Chat.Platform)
	p.BindGroup(r.ev.Chat)
	if err := s.saveProject(r, p, "project_bound"); err != nil {
		return err
	}
	msg := r.l.M("🔗 This group is now the channel of %s «%s».", "🔗 本群已绑定为项目 %s「%s」的项目群。", p.Code(), p.Name)
	if had && before != r.ev.Chat {
		// A project has one group per platform: the earlier one is let go.
		msg += "\n" + r.l.F("It replaces the project's earlier %s group, which gets nothing more.",
			"它取代了项目此前在%s上的项目群，原群不再收到项目消息。", cards.PlatformName(r.l, r.ev.Chat.Platform))
	}
	if n := len(p.Groups) - 1; n > 0 {
		msg += "\n" + r.l.F("Group cards also go to its %d group(s) on other platforms.", "项目群消息也会发到它在其他平台上的 %d 个群。", n)
	}
	return s.reply(r, msg)
}

// managedProject loads the project named by the first argument and checks
// that the caller manages it.
func (s *Service) managedProject(r *req, cmd command.Command) (bot.Project, error) {
	if len(cmd.Args) == 0 {
		return bot.Project{}, badUsage(r, "project", r.l.T("Which project? Give its id, such as P1.", "哪个项目？请写项目编号，如 P1。"))
	}
	p, err := s.loadProject(r, cmd.Args[0])
	if err != nil {
		return p, err
	}
	if !r.manages(p) {
		return p, forbidden(r, "Only the managers of %s can do that.", "只有 %s 的经理可以这样做。", p.Code())
	}
	return p, nil
}

func (s *Service) saveProject(r *req, p bot.Project, kind string) error {
	p.UpdatedAt = s.cfg.Clock.Now()
	if err := r.tx.PutProject(p); err != nil {
		return err
	}
	return s.audit(r.tx, bot.AuditEvent{Actor: r.me.ID, Kind: kind, Project: p.ID})
}

// projectList runs /project list: the projects the caller takes part in.
func (s *Service) projectList(r *req, cmd command.Command) error {
	all, err := r.tx.Projects()
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("**" + r.l.T("Projects", "项目") + "**\n")
	n := 0
	for _, p := range all {
		if !r.inProject(p) {
			continue
		}
		n++
		b.WriteString(r.l.M("- %s %s · %s", "- %s %s · %s", p.Code(), cards.OneLine(p.Name), cards.OneLine(s.person(r.tx, p.Owner).DisplayName())))
		if p.Closed {
			b.WriteString(" · " + r.l.T("closed", "已关闭"))
		} else if !p.Deadline.IsZero() {
			b.WriteString(" · " + r.l.T("deadline ", "截止 ") + r.l.Date(p.Deadline))
		}
		b.WriteString("\n")
	}
	if n == 0 {
		b.WriteString(r.l.T("You are in no project yet.", "你还没有参加任何项目。"))
	}
	return s.reply(r, strings.TrimSpace(b.String()))
}

// projectMembers runs /project members <P> [add|remove @a @b].
func (s *Service) projectMembers(r *req, cmd command.Command) error {
	if len(cmd.Args) < 2 {
		return s.showMembers(r, cmd)
	}
	p, err := s.managedProject(r, cmd)
	if err != nil {
		return err
	}
	op := strings.ToLower(cmd.Args[1])
	if len(cmd.Mentions) == 0 {
		return badUsage(r, "project", r.l.T("Mention the people to add or remove with @.", "请用 @ 提及要添加或移除的人。"))
	}
	people := make([]bot.Person, 0, len(cmd.Mentions))
	for _, m := range cmd.Mentions {
		who, err := s.mention(r, m)
		if err != nil {
			return err
		}
		people = append(people, who)
	}
	switch op {
	case "add", "添加", "加入":
		asManager := slices.ContainsFunc(cmd.Args[2:], func(w string) bool {
			return slices.Contains([]string{"manager", "managers", "经理", "项目经理"}, strings.ToLower(w))
		})
		for _, who := range people {
			p.AddMember(who.ID)
			if asManager && !slices.Contains(p.Managers, who.ID) {
				p.Managers = append(p.Managers, who.ID)
			}
		}
	case "remove", "移除", "删除":
		for _, who := range people {
			if who.ID == p.Owner {
				return invalid(r, "%s owns %s and cannot be removed.", "%s 是 %s 的负责人，不能移除。", who.DisplayName(), p.Code())
			}
			p.Members = slices.DeleteFunc(p.Members, func(id bot.PersonID) bool { return id == who.ID })
			p.Managers = slices.DeleteFunc(p.Managers, func(id bot.PersonID) bool { return id == who.ID })
		}
	default:
		return badUsage(r, "project", r.l.F("%q: use add or remove.", "“%s”：请用 add 或 remove（添加/移除）。", cmd.Args[1]))
	}
	if err := s.saveProject(r, p, "project_members"); err != nil {
		return err
	}
	return s.reply(r, s.membersText(r, p))
}

func (s *Service) showMembers(r *req, cmd command.Command) error {
	if len(cmd.Args) == 0 {
		return badUsage(r, "project", r.l.T("Which project? Give its id, such as P1.", "哪个项目？请写项目编号，如 P1。"))
	}
	p, err := s.loadProject(r, cmd.Args[0])
	if err != nil {
		return err
	}
	if !r.inProject(p) {
		return forbidden(r, "You are not a member of %s.", "你不是 %s 的成员。", p.Code())
	}
	return s.reply(r, s.membersText(r, p))
}

func (s *Service) membersText(r *req, p bot.Project) string {
	names := []string{s.person(r.tx, p.Owner).DisplayName() + r.l.T(" (owner)", "（负责人）")}
	for _, m := range p.Managers {
		if m != p.Owner {
			names = append(names, s.person(r.tx, m).DisplayName()+r.l.T(" (manager)", "（经理）"))
		}
	}
	for _, m := range p.Members {
		if !p.IsManager(m) {
			names = append(names, s.person(r.tx, m).DisplayName())
		}
	}
	return r.l.M("👥 %s «%s»: %s", "👥 %s「%s」成员：%s", p.Code(), p.Name, strings.Join(names, r.l.T(", ", "、")))
}

// projectClose runs /project close <P>.
func (s *Service) projectClose(r *req, cmd command.Command) error {
	p, err := s.managedProject(r, cmd)
	if err != nil {
		return err
	}
	if p.Closed {
		return invalid(r, "%s is already closed.", "%s 已经关闭。", p.Code())
	}
	p.Closed = true
	if err := s.saveProject(r, p, "project_closed"); err != nil {
		return err
	}
	open, err := r.tx.Tasks(bot.TaskFilter{Project: p.ID, OpenOnly: true})
	if err != nil {
		return err
	}
	for _, t := range open {
		// Its warnings resolve now: a closed project is not chased.
		if err := s.taskChanged(r.tx, t, r.me.ID); err != nil {
			return err
		}
	}
	msg := r.l.M("📦 %s «%s» is closed.", "📦 项目 %s「%s」已关闭。", p.Code(), p.Name)
	if len(open) > 0 {
		msg += " " + r.l.F("%d tasks were still open; they stay as they are.", "仍有 %d 个未完成任务，保持原状。", len(open))
	}
	return s.reply(r, msg)
}
