package command

// The command table of SPEC §3, split into four groups that follow the order
// of the SPEC. Commands with subcommands leave Usage and Access empty:
// fillFromSubs derives them.

// planningSpecs returns /help, /project, /task, /tasks and /assign.
func planningSpecs() []Spec {
	return []Spec{
		{
			Name: "help", Zh: "帮助", Access: AccessAnyone,
			Usage: "/help [command]", UsageZh: "/帮助 [命令]",
			Summary:   "Lists the commands you may use, or explains one.",
			SummaryZh: "列出你可用的命令，或说明某个命令的用法。",
		},
		{
			Name: "project", Zh: "项目",
			Summary: "Creates and manages projects.", SummaryZh: "创建和管理项目。",
			Subs: projectSubs(),
		},
		{
			Name: "task", Zh: "任务",
			Summary: "Creates, edits or shows a task.", SummaryZh: "创建、修改或查看任务。",
			Subs: taskSubs(),
		},
		{
			Name: "tasks", Zh: "任务列表", Access: AccessAnyone,
			Usage:     "/tasks [mine|@user|overdue|blocked|<P>]",
			UsageZh:   "/任务列表 [mine|@用户|overdue|blocked|<P>]",
			Summary:   "Lists tasks: yours (in a project group, the project's open ones), a person's, overdue, blocked or a project's.",
			SummaryZh: "列出任务：我的（在项目群中为本项目未完成的任务）、某人的、逾期的、阻塞的或某个项目的。",
		},
		{
			Name: "assign", Zh: "指派", Access: AccessManager,
			Usage: "/assign @assignee <title> <date>", UsageZh: "/指派 @负责人 <标题> <日期>",
			Summary:   "Assigns a task in one line: a short form of /task new.",
			SummaryZh: "一行指派任务，是 /任务 新建 的简写。",
		},
	}
}

// projectSubs returns the subcommands of /project.
func projectSubs() []SubSpec {
	return []SubSpec{
		{
			Name: "new", Zh: "新建", Access: AccessManager,
			Usage:     "/project new <name> [due:<date>] [acceptance:on|off]",
			UsageZh:   "/项目 新建 <名称> [截止:<日期>] [验收:on|off]",
			Summary:   "Creates a project owned by you; run in a group, it binds the group.",
			SummaryZh: "创建由你负责的项目；在群里执行时绑定该群。",
		},
		{
			Name: "bind", Zh: "绑定", Access: AccessManager,
			Usage: "/project bind <P>", UsageZh: "/项目 绑定 <P>",
			Summary:   "Binds this group chat to the project.",
			SummaryZh: "把当前群绑定为项目群。",
		},
		{
			Name: "list", Zh: "列表", Access: AccessAnyone,
			Usage: "/project list", UsageZh: "/项目 列表",
			Summary: "Lists the projects.", SummaryZh: "列出项目。",
		},
		{
			Name: "members", Zh: "成员", Access: AccessManager,
			Usage:     "/project members <P> add|remove @a @b",
			UsageZh:   "/项目 成员 <P> 添加|移除 @a @b",
			Summary:   "Adds or removes project members.",
			SummaryZh: "添加或移除项目成员。",
		},
		{
			Name: "close", Zh: "关闭", Access: AccessManager,
			Usage: "/project close <P>", UsageZh: "/项目 关闭 <P>",
			Summary: "Closes the project.", SummaryZh: "关闭项目。",
		},
		{
			Name: "webhook", Zh: "机器人", Access: AccessManager,
			Usage: "/project webhook <P> <url>", UsageZh: "/项目 机器人 <P> <地址>",
			Summary:   "WeCom: sets the project group's robot webhook (in a direct chat).",
			SummaryZh: "企业微信：设置项目群的群机器人 webhook（请在单聊中发送）。",
		},
	}
}

// taskSubs returns the subcommands of /task.
func taskSubs() []SubSpec {
	return []SubSpec{
		{
			Name: "new", Zh: "新建", Access: AccessAnyone,
			Usage: "/task new <title> @assignee [due:<date>] [project:<P>] [after:<T,T>] " +
				"[parent:<T>] [prio:high|normal|low] [est:<n>d] [start:<date>] [milestone:yes|no]",
			UsageZh: "/任务 新建 <标题> @负责人 [截止:<日期>] [项目:<P>] [依赖:<T,T>] " +
				"[父任务:<T>] [优先级:high|normal|low] [估时:<n>d] [开始:<日期>] [里程碑:yes|no]",
			Summary:   "Creates a task and sends the assignment card.",
			SummaryZh: "创建任务并发送指派卡片。",
		},
		{
			Name: "show", Zh: "查看", Access: AccessAnyone,
			Usage: "/task show <T>", UsageZh: "/任务 查看 <T>",
			Summary:   "Shows one task with its history.",
			SummaryZh: "查看一个任务及其变更记录。",
		},
		{
			Name: "edit", Zh: "修改", Aliases: []string{"编辑"}, Access: AccessAnyone,
			Usage: "/task edit <T> [title:<text>] [due:<date>] [start:<date>|none] [after:<T,T>|none] " +
				"[parent:<T>|none] [est:<n>d|none] [prio:high|normal|low] [milestone:yes|no]",
			UsageZh: "/任务 修改 <T> [标题:<文字>] [截止:<日期>] [开始:<日期>|none] [依赖:<T,T>|none] " +
				"[父任务:<T>|none] [估时:<n>d|none] [优先级:high|normal|low] [里程碑:yes|no]",
			Summary:   "Changes a task's plan fields; an assignee's due-date change goes through /due.",
			SummaryZh: "修改任务的计划字段；负责人改截止日期请用 /延期。",
		},
	}
}

// updateSpecs returns the commands that change a task: /progress to /cancel.
func updateSpecs() []Spec {
	return []Spec{
		{
			Name: "progress", Zh: "进度", Access: AccessAnyone,
			Usage: "/progress <T> <0-100> [note]", UsageZh: "/进度 <T> <0-100> [备注]",
			Summary: "Updates a task's progress.", SummaryZh: "更新任务进度。",
		},
		{
			Name: "done", Zh: "完成", Access: AccessAnyone,
			Usage: "/done <T> [note]", UsageZh: "/完成 <T> [备注]",
			Summary:   "Marks a task done; asks for acceptance where the project needs it.",
			SummaryZh: "标记任务完成；项目需要验收时提交验收。",
		},
		{
			Name: "block", Zh: "阻塞", Access: AccessAnyone,
			Usage: "/block <T> <reason>", UsageZh: "/阻塞 <T> <原因>",
			Summary: "Marks a task blocked.", SummaryZh: "标记任务受阻。",
		},
		{
			Name: "unblock", Zh: "解除阻塞", Access: AccessAnyone,
			Usage: "/unblock <T>", UsageZh: "/解除阻塞 <T>",
			Summary: "Clears a task's blocker.", SummaryZh: "解除任务的阻塞。",
		},
		{
			Name: "due", Zh: "延期", Access: AccessAnyone,
			Usage: "/due <T> <date> <reason>", UsageZh: "/延期 <T> <日期> <原因>",
			Summary:   "Asks for a new due date, showing its impact.",
			SummaryZh: "申请新的截止日期，并给出影响分析。",
		},
		{
			Name: "changes", Zh: "变更", Access: AccessAnyone,
			Usage: "/changes <P>", UsageZh: "/变更 <P>",
			Summary:   "Lists a project's change requests and their impact.",
			SummaryZh: "列出项目的变更申请及其影响。",
		},
		{
			Name: "reassign", Zh: "转派", Access: AccessManager,
			Usage: "/reassign <T> @user", UsageZh: "/转派 <T> @用户",
			Summary: "Gives a task to someone else.", SummaryZh: "把任务转给其他人。",
		},
		{
			Name: "cancel", Zh: "取消", Access: AccessManager,
			Usage: "/cancel <T> [reason]", UsageZh: "/取消 <T> [原因]",
			Summary: "Cancels a task.", SummaryZh: "取消任务。",
		},
	}
}

// rhythmSpecs returns the commands of the daily and weekly rhythm:
// /checkin to /export.
func rhythmSpecs() []Spec {
	return []Spec{
		{
			Name: "checkin", Zh: "打卡", Access: AccessAnyone,
			Usage:     "/checkin\n/checkin <T> <0-100> [on_track|at_risk|blocked] [<n>h] [note]",
			UsageZh:   "/打卡\n/打卡 <T> <0-100> [on_track|at_risk|blocked] [<n>h] [备注]",
			Summary:   "Sends today's check-in card now, or answers one task's row of it.",
			SummaryZh: "立即发送今天的打卡卡片，或回答其中一个任务的一行。",
		},
		{
			Name: "leave", Zh: "请假", Access: AccessAnyone,
			Usage: "/leave <date>[..<date>]", UsageZh: "/请假 <日期>[..<日期>]",
			Summary:   "Stops check-ins, reminders and escalations to you on those days.",
			SummaryZh: "这些天不给你发打卡、提醒和督办。",
		},
		{
			Name: "review", Zh: "复盘", Access: AccessAnyone,
			Usage: "/review", UsageZh: "/复盘",
			Summary: "Sends this week's review card now.", SummaryZh: "立即发送本周复盘卡片。",
		},
		{
			Name: "report", Zh: "报告", Access: AccessManager,
			Usage:     "/report [<P>] [week|month]\n/report adoption",
			UsageZh:   "/报告 [<P>] [week|month]\n/报告 使用情况",
			Summary:   "Sends a summary card with a chart; adoption (admins): check-ins, unanswered cards and warnings per department and person over 4 weeks.",
			SummaryZh: "发送带图表的汇总卡片；使用情况（管理员）：近 4 周各部门、各人的打卡、未回复卡片和督办。",
		},
		{
			Name: "plan", Zh: "计划", Access: AccessManager,
			Usage: "/plan <P>", UsageZh: "/计划 <P>",
			Summary:   "Shows the critical path, slack and projected finish.",
			SummaryZh: "显示关键路径、浮动时间和预计完成日期。",
		},
		{
			Name: "escalations", Zh: "督办", Access: AccessManager,
			Usage: "/escalations [<P>]", UsageZh: "/督办 [<P>]",
			Summary: "Lists open escalations by colour.", SummaryZh: "按颜色列出未关闭的督办。",
		},
		{
			Name: "export", Zh: "导出", Access: AccessManager,
			Usage:     "/export [<P>] [xlsx|csv|md] [from:<date>] [to:<date>]",
			UsageZh:   "/导出 [<P>] [xlsx|csv|md] [从:<日期>] [到:<日期>]",
			Summary:   "Sends an export as a file or a download link.",
			SummaryZh: "以文件或下载链接发送导出结果。",
		},
		{
			Name: "board", Zh: "看板", Access: AccessManager,
			Usage: "/board [<P>]", UsageZh: "/看板 [<P>]",
			Summary:   "Sends a signed, expiring link to the project's read-only web board.",
			SummaryZh: "发送项目只读网页看板的签名链接（会过期）。",
		},
	}
}

// adminSpecs returns /role, the calendar commands and /settings.
func adminSpecs() []Spec {
	return []Spec{
		{
			Name: "role", Zh: "角色", Access: AccessAdmin,
			Usage: "/role @user admin|manager|member", UsageZh: "/角色 @用户 admin|manager|member",
			Summary: "Sets a person's role.", SummaryZh: "设置某人的角色。",
		},
		{
			Name: "calendar", Zh: "日历", Access: AccessAnyone,
			Usage: "/calendar [year]", UsageZh: "/日历 [年份]",
			Summary: "Shows the working-day calendar.", SummaryZh: "查看工作日历。",
		},
		{
			Name: "holiday", Zh: "节假日",
			Summary: "Adds or removes holidays.", SummaryZh: "添加或删除节假日。",
			Subs: dateSubs("/holiday", "/节假日", " [name]", " [名称]", "holidays", "节假日"),
		},
		{
			Name: "workday", Zh: "调休",
			Summary: "Adds or removes make-up working days.", SummaryZh: "添加或删除调休工作日。",
			Subs: dateSubs("/workday", "/调休", "", "", "make-up working days", "调休工作日"),
		},
		{
			Name: "settings", Zh: "设置",
			Summary: "Changes your personal settings.", SummaryZh: "修改个人设置。",
			Subs: settingsSubs(),
		},
		{
			Name: "link", Zh: "绑定", Access: AccessAnyone,
			Usage:     "/link [code]\n/link @a <platform>:<id>",
			UsageZh:   "/绑定 [绑定码]\n/绑定 @a <平台>:<id>",
			Summary:   "Joins your identities on several messengers into one person: /link gives a one-time code, /link <code> on the other messenger uses it. Admins: /link @a <platform>:<id>.",
			SummaryZh: "把你在多个平台上的身份合并为一个人：/绑定 获取一次性绑定码，在另一个平台发送 /绑定 <绑定码> 完成绑定。管理员：/绑定 @a <平台>:<id>。",
		},
		{
			Name: "unlink", Zh: "解绑", Access: AccessAnyone,
			Usage:     "/unlink <platform>:<id>",
			UsageZh:   "/解绑 <平台>:<id>",
			Summary:   "Unlinks one of your identities (admins: anyone's); it becomes a person of its own again, with what was its own.",
			SummaryZh: "解绑你的一个身份（管理员可解绑任何人的）；该身份恢复为独立的人，并取回原属于它的记录。",
		},
	}
}

// dateSubs returns the add and remove subcommands shared by /holiday and
// /workday, which differ only in their names and what they change.
func dateSubs(cmd, cmdZh, extra, extraZh, what, whatZh string) []SubSpec {
	return []SubSpec{
		{
			Name: "add", Zh: "添加", Access: AccessAdmin,
			Usage:     cmd + " add <date>[..<date>]" + extra,
			UsageZh:   cmdZh + " 添加 <日期>[..<日期>]" + extraZh,
			Summary:   "Adds " + what + " to the calendar.",
			SummaryZh: "向日历添加" + whatZh + "。",
		},
		{
			Name: "remove", Zh: "删除", Aliases: []string{"移除", "delete"}, Access: AccessAdmin,
			Usage:     cmd + " remove <date>[..<date>]",
			UsageZh:   cmdZh + " 删除 <日期>[..<日期>]",
			Summary:   "Removes " + what + " from the calendar.",
			SummaryZh: "从日历删除" + whatZh + "。",
		},
	}
}

// settingsSubs returns the subcommands of /settings.
func settingsSubs() []SubSpec {
	return []SubSpec{
		{
			Name: "checkin", Zh: "打卡", Access: AccessAnyone,
			Usage: "/settings checkin <HH:MM>", UsageZh: "/设置 打卡 <HH:MM>",
			Summary: "Sets your check-in time.", SummaryZh: "设置你的打卡时间。",
		},
		{
			Name: "timezone", Zh: "时区", Access: AccessAnyone,
			Usage: "/settings timezone <IANA>", UsageZh: "/设置 时区 <IANA>",
			Summary: "Sets your time zone, such as Asia/Shanghai.", SummaryZh: "设置你的时区，例如 Asia/Shanghai。",
		},
		{
			Name: "lang", Zh: "语言", Access: AccessAnyone,
			Usage: "/settings lang zh|en", UsageZh: "/设置 语言 zh|en",
			Summary: "Sets the language of your replies and cards.", SummaryZh: "设置回复和卡片的语言。",
		},
		{
			Name: "platform", Zh: "平台", Access: AccessAnyone,
			Usage: "/settings platform <name>", UsageZh: "/设置 平台 <名称>",
			Summary:   "Picks the messenger your cards go to, when you have linked several (feishu, dingtalk, wecom, playground).",
			SummaryZh: "绑定了多个平台时，选择接收卡片的平台（feishu、dingtalk、wecom、playground）。",
		},
	}
}

// registerSpecs returns the risk register (/risk, /risks) and /workload.
func registerSpecs() []Spec {
	return []Spec{
		{
			Name: "risk", Zh: "风险",
			Summary: "Keeps the project's risk register (风险清单).", SummaryZh: "维护项目的风险清单。",
			Subs: riskSubs(),
		},
		{
			Name: "risks", Zh: "风险清单", Access: AccessAnyone,
			Usage: "/risks <P>", UsageZh: "/风险清单 <P>",
			Summary:   "Lists a project's open risks, and the recently closed ones.",
			SummaryZh: "列出项目未关闭的风险及最近关闭的风险。",
		},
		{
			Name: "workload", Zh: "负荷", Access: AccessAnyone,
			Usage: "/workload [<P>] [week|next]", UsageZh: "/负荷 [<P>] [本周|下周]",
			Summary:   "Shows each person's planned working days against their available ones, this week or next.",
			SummaryZh: "显示每个人本周或下周计划工作日与可用工作日的对比。",
		},
	}
}

// riskSubs returns the subcommands of /risk.
func riskSubs() []SubSpec {
	return []SubSpec{
		{
			Name: "add", Zh: "新增", Aliases: []string{"添加", "new"}, Access: AccessAnyone,
			Usage:     "/risk add <P> <text> [owner:@a] [impact:high|medium|low] [task:<T>]",
			UsageZh:   "/风险 新增 <P> <描述> [负责人:@a] [影响:高|中|低] [任务:<T>]",
			Summary:   "Adds a risk to a project you take part in.",
			SummaryZh: "为你参与的项目新增一条风险。",
		},
		{
			Name: "update", Zh: "更新", Aliases: []string{"review", "复核"}, Access: AccessAnyone,
			Usage:     "/risk update <R> [text] [owner:@a] [impact:high|medium|low] [task:<T>]",
			UsageZh:   "/风险 更新 <R> [描述] [负责人:@a] [影响:高|中|低] [任务:<T>]",
			Summary:   "Changes a risk, or with nothing else confirms that it still stands (its owner or a manager).",
			SummaryZh: "修改风险；不带其他参数时确认风险仍然存在（风险负责人或经理）。",
		},
		{
			Name: "close", Zh: "关闭", Access: AccessAnyone,
			Usage: "/risk close <R> <note>", UsageZh: "/风险 关闭 <R> <说明>",
			Summary:   "Closes a risk with a note (its owner or a manager).",
			SummaryZh: "关闭风险并写明说明（风险负责人或经理）。",
		},
		{
			Name: "list", Zh: "列表", Aliases: []string{"清单"}, Access: AccessAnyone,
			Usage: "/risk list <P>", UsageZh: "/风险 列表 <P>",
			Summary: "Same as /risks <P>.", SummaryZh: "同 /风险清单 <P>。",
		},
	}
}

// actionSpecs returns the card actions as text (SPEC §3 "Card actions as
// text"): each does what a button of a card does, through the same rules.
// /checkin <T> … is the text form of a check-in row; it is listed with
// /checkin above.
func actionSpecs() []Spec {
	return []Spec{
		{
			Name: "accept", Zh: "接受", Access: AccessAnyone,
			Usage: "/accept <T>", UsageZh: "/接受 <T>",
			Summary:   "Accepts a task assigned to you, like Accept on its card.",
			SummaryZh: "接受指派给你的任务，等同于卡片上的“接受”。",
		},
		{
			Name: "decline", Zh: "拒绝", Access: AccessAnyone,
			Usage: "/decline <T> <reason>", UsageZh: "/拒绝 <T> <理由>",
			Summary:   "Declines a task assigned to you, with a reason.",
			SummaryZh: "拒绝指派给你的任务，需写明理由。",
		},
		{
			Name: "ask", Zh: "提问", Access: AccessAnyone,
			Usage: "/ask <T> <question>", UsageZh: "/提问 <T> <问题>",
			Summary:   "Asks the assigner a question about a task assigned to you.",
			SummaryZh: "就指派给你的任务向指派人提问。",
		},
		{
			Name: "verify", Zh: "验收", Access: AccessManager,
			Usage: "/verify <T>", UsageZh: "/验收 <T>",
			Summary:   "Accepts done work (验收通过), like Verify on the acceptance card.",
			SummaryZh: "验收通过，等同于验收卡片上的“验收通过”。",
		},
		{
			Name: "rework", Zh: "退回", Access: AccessManager,
			Usage: "/rework <T> <reason>", UsageZh: "/退回 <T> <理由>",
			Summary:   "Sends done work back for rework, with a reason.",
			SummaryZh: "验收不通过，退回返工，需写明理由。",
		},
		{
			Name: "ack", Zh: "知悉", Access: AccessManager,
			Usage: "/ack <E>", UsageZh: "/知悉 <E>",
			Summary:   "Acknowledges a warning: it stays at its level until the task changes.",
			SummaryZh: "知悉督办：任务有变化前不再升级。",
		},
		{
			Name: "snooze", Zh: "暂缓", Access: AccessManager,
			Usage: "/snooze <E> 1d|3d", UsageZh: "/暂缓 <E> 1d|3d",
			Summary:   "Holds a warning for one or three working days.",
			SummaryZh: "督办暂缓 1 或 3 个工作日。",
		},
		{
			Name: "extend", Zh: "申请延期", Access: AccessAnyone,
			Usage: "/extend <T> <date> <reason>", UsageZh: "/申请延期 <T> <日期> <理由>",
			Summary:   "Asks for a later due date: Request extension on the task's warning, or, with none, a change request as /due makes.",
			SummaryZh: "申请延期：等同于任务督办卡片上的“申请延期”；没有督办时，与 /延期 一样提交变更申请。",
		},
		{
			Name: "approve", Zh: "批准", Access: AccessManager,
			Usage: "/approve <C>|<E>", UsageZh: "/批准 <C>|<E>",
			Summary:   "Approves a change request, or the extension asked for on a warning (E).",
			SummaryZh: "批准变更申请，或批准督办中的延期申请（E）。",
		},
		{
			Name: "reject", Zh: "驳回", Access: AccessManager,
			Usage: "/reject <C> <reason>", UsageZh: "/驳回 <C> <理由>",
			Summary:   "Rejects a change request, with a reason.",
			SummaryZh: "驳回变更申请，需写明理由。",
		},
	}
}
