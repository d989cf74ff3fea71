package flows

import (
	"slices"
	"strings"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/command"
)

// maxTitle is the longest task or project name, in characters.
const maxTitle = 200

type commandFunc func(s *Service, r *req, cmd command.Command) error

// commandTable maps each available command (and "name sub") to its
// handler. It is the one record of what is available: /help marks every
// command of command.Specs without a handler here as not available yet.
// (A function, not a variable: help is in it and reads it.)
func commandTable() map[string]commandFunc {
	return map[string]commandFunc{
		"help":            (*Service).help,
		"project new":     (*Service).projectNew,
		"project bind":    (*Service).projectBind,
		"project list":    (*Service).projectList,
		"project members": (*Service).projectMembers,
		"project close":   (*Service).projectClose,
		"project webhook": (*Service).projectWebhook,
		"task new":        (*Service).taskNew,
		"task show":       (*Service).taskShow,
		"task edit":       (*Service).taskEdit,
		"tasks":           (*Service).taskList,
		"assign":          (*Service).assign,
		"progress":        (*Service).progress,
		"done":            (*Service).done,
		"block":           (*Service).block,
		"unblock":         (*Service).unblock,
		"reassign":        (*Service).reassignCmd,
		"cancel":          (*Service).cancelCmd,
		"role":            (*Service).role,
		"calendar":        (*Service).calendarShow,
		"holiday add":     (*Service).holidayAdd,
		"workday add":     (*Service).workdayAdd,
		"settings":        (*Service).settings,
		"checkin":         (*Service).checkinOrRow,
		"accept":          (*Service).textActionCmd,
		"decline":         (*Service).textActionCmd,
		"ask":             (*Service).textActionCmd,
		"verify":          (*Service).textActionCmd,
		"rework":          (*Service).textActionCmd,
		"ack":             (*Service).textActionCmd,
		"snooze":          (*Service).textActionCmd,
		"extend":          (*Service).extendCmd,
		"approve":         (*Service).decideCmd,
		"reject":          (*Service).decideCmd,
		"due":             (*Service).dueCmd,
		"changes":         (*Service).changesCmd,
		"leave":           (*Service).leaveCmd,
		"review":          (*Service).reviewCmd,
		"report":          (*Service).reportCmd,
		"escalations":     (*Service).escalationsCmd,
		"board":           (*Service).boardCmd,
		"export":          (*Service).exportCmd,
		"risk add":        (*Service).riskAdd,
		"risk update":     (*Service).riskUpdate,
		"risk close":      (*Service).riskClose,
		"risk list":       (*Service).risksList,
		"risks":           (*Service).risksList,
		"workload":        (*Service).workloadCmd,
		"plan":            (*Service).planCmd,
		"link":            (*Service).linkCmd,
		"unlink":          (*Service).unlinkCmd,
	}
}

// options lists the key:value options each command takes; a command not
// listed takes none.
var options = map[string][]string{
	"task new":    {"due", "project", "after", "parent", "prio", "est", "start", "from", "milestone"},
	"task edit":   {"title", "due", "start", "from", "after", "parent", "est", "prio", "milestone"},
	"assign":      {"due", "project", "after", "parent", "prio", "est", "start", "from", "milestone"},
	"project new": {"due", "acceptance"},
	"export":      {"from", "to"},
	"risk add":    {"owner", "impact", "task"},
	"risk update": {"owner", "impact", "task"},
}

// run executes a parsed command.
func (s *Service) run(r *req, cmd command.Command) error {
	key := cmd.Name
	if cmd.Sub != "" {
		key += " " + cmd.Sub
	}
	for k := range cmd.KV {
		if !slices.Contains(options[key], k) {
			return badUsage(r, cmd.Name, r.l.F("%s: is not an option of /%s.", "%s: 不是 /%s 的选项。", k, key))
		}
	}
	if fn, ok := s.handler(cmd.Name, cmd.Sub); ok {
		return fn(s, r, cmd)
	}
	return bot.Errorf(bot.EUNAVAILABLE, "%s", r.l.F("/%s is not available yet in this version of loopbot. Type /help for the commands you can use now.",
		"/%s 在当前版本中尚未开放。输入 /帮助 查看现在可用的命令。", key))
}

// handler returns the handler of a command and subcommand ("" for none):
// the subcommand's own, or else the command's.
func (s *Service) handler(name, sub string) (commandFunc, bool) {
	if sub != "" {
		if fn, ok := s.commands[name+" "+sub]; ok {
			return fn, true
		}
	}
	fn, ok := s.commands[name]
	return fn, ok
}

// built reports whether a command (with any of its subcommands) is
// built.
func (s *Service) built(name string) bool {
	for key := range s.commands {
		if key == name || strings.HasPrefix(key, name+" ") {
			return true
		}
	}
	return false
}

// usage returns a command's usage line in the reader's language.
func usage(r *req, name string) string {
	cmd, sub, _ := strings.Cut(name, " ")
	spec, ok := command.Lookup(cmd)
	if !ok {
		return "/" + name
	}
	if s, ok := spec.Sub(sub); ok && sub != "" {
		return s.UsageFor(string(r.l))
	}
	return spec.UsageFor(string(r.l))
}

// badUsage is the error for a command whose arguments are wrong.
func badUsage(r *req, name, problem string) error {
	return bot.Errorf(bot.EINVALID, "%s\n%s %s", problem, r.l.T("Usage:", "用法："), usage(r, name))
}

// text joins the positional arguments into one text, such as a title.
func text(args []string) string {
	return strings.TrimSpace(strings.Join(args, " "))
}

// taskArg reads a task id argument and loads the task.
func (s *Service) taskArg(r *req, cmd command.Command, name string) (bot.Task, error) {
	if len(cmd.Args) == 0 {
		return bot.Task{}, badUsage(r, name, r.l.T("Which task? Give its id, such as T3.", "哪个任务？请写任务编号，如 T3。"))
	}
	return s.loadTask(r, cmd.Args[0])
}

// loadTask reads a task id written as T3, t3 or #3.
func (s *Service) loadTask(r *req, arg string) (bot.Task, error) {
	id, ok := command.ParseTaskID(arg)
	if !ok {
		return bot.Task{}, bot.Errorf(bot.EINVALID, "%s", r.l.F("%q is not a task id; write it like T3.", "“%s”不是任务编号，请写成 T3 这样。", arg))
	}
	t, err := r.tx.Task(id)
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		return t, bot.Errorf(bot.ENOTFOUND, "%s", r.l.F("There is no task %s.", "没有任务 %s。", bot.TaskCode(id)))
	}
	return t, err
}

// loadProject reads a project id written as P1 or p1.
func (s *Service) loadProject(r *req, arg string) (bot.Project, error) {
	id, ok := command.ParseProjectID(arg)
	if !ok {
		return bot.Project{}, bot.Errorf(bot.EINVALID, "%s", r.l.F("%q is not a project id; write it like P1.", "“%s”不是项目编号，请写成 P1 这样。", arg))
	}
	p, err := r.tx.Project(id)
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		return p, bot.Errorf(bot.ENOTFOUND, "%s", r.l.F("There is no project %s.", "没有项目 %s。", bot.ProjectCode(id)))
	}
	return p, err
}

// mention resolves an @mention token to a known person. On the playground
// only its configured people exist; on a real platform a person mentioned
// for the first time is created.
func (s *Service) mention(r *req, token string) (bot.Person, error) {
	raw, err := bot.ParsePersonID(token, r.ev.Platform)
	if err != nil {
		return bot.Person{}, err
	}
	name := r.ev.Names[raw] // the name the platform gave with the mention
	// A linked identity is its person: the store gives the canonical
	// record, whose ID every record then uses.
	p, err := r.tx.Person(raw)
	if err == nil && p.Name == "" && name != "" {
		return s.ensurePerson(r.tx, raw, name)
	} else if bot.ErrorCode(err) != bot.ENOTFOUND {
		return p, err
	}
	if raw.Platform() == bot.Playground || raw.Platform() != r.ev.Platform {
		return p, bot.Errorf(bot.ENOTFOUND, "%s", r.l.F("I don't know @%s.", "我不认识 @%s。", raw.Local()))
	}
	return s.ensurePerson(r.tx, raw, name)
}

// projectOf returns the project a command refers to: the project:<P>
// argument, else the project bound to the group it was typed in. ok is
// false when there is neither.
func (s *Service) projectOf(r *req, cmd command.Command) (p bot.Project, ok bool, err error) {
	if arg, has := cmd.KV["project"]; has {
		p, err = s.loadProject(r, arg)
		return p, err == nil, err
	}
	if r.ev.Chat.DM {
		return p, false, nil
	}
	p, err = r.tx.ProjectByGroup(r.ev.Chat)
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		return p, false, nil
	}
	return p, err == nil, err
}

// forbidden is the polite refusal that names the rule.
func forbidden(r *req, en, zh string, args ...any) error {
	return bot.Errorf(bot.EFORBIDDEN, "%s", r.l.F(en, zh, args...))
}

// invalid is a refusal for a bad value.
func invalid(r *req, en, zh string, args ...any) error {
	return bot.Errorf(bot.EINVALID, "%s", r.l.F(en, zh, args...))
}
