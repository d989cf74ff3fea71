package flows

import (
	"strings"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/calendar"
	"github.com/loopbot/loopbot/command"
)

// DefaultLinkTTL is how long a download link of /export works when the
// config does not say.
const DefaultLinkTTL = 24 * time.Hour

// exportFormats are the formats /export takes, with their names in chat.
var exportFormats = map[string]string{"xlsx": "xlsx", "excel": "xlsx", "csv": "csv", "md": "md", "markdown": "md"}

// exportCmd runs /export [<P>] [xlsx|csv|md] [from:<date>] [to:<date>]:
// for a manager of the project (an admin may leave the project out in a
// direct chat: every project), it answers with the file as a file message
// where the chat's platform takes files (Config.SendsFile), else with a
// signed download link that expires (SPEC §3, §10). The link's file is made
// when the link is opened, the file message's when the outbox sends it,
// from the store as it is then, over the span asked for.
func (s *Service) exportCmd(r *req, cmd command.Command) error {
	if s.cfg.LinkURL == nil {
		return bot.Errorf(bot.EUNAVAILABLE, "%s", r.l.T("Exports are not available on this server.", "此服务器未开放导出。"))
	}
	l, err := s.exportArgs(r, cmd)
	if err != nil {
		return err
	}
	if err := s.exportProject(r, cmd, &l); err != nil {
		return err
	}
	ttl := s.cfg.FileTTL
	if ttl <= 0 {
		ttl = DefaultLinkTTL
	}
	expires := s.cfg.Clock.Now().Add(ttl)
	l.Kind, l.By, l.Expires = bot.LinkFile, r.me.ID, expires.Unix()
	url := s.cfg.LinkURL("/files/" + s.cfg.Signer.SignLink(l))
	what := "P*"
	if l.Project != 0 {
		what = bot.ProjectCode(l.Project)
	}
	span := ""
	if !l.From.IsZero() || !l.To.IsZero() {
		span = " · " + spanText(l.From) + " – " + spanText(l.To)
	}
	until := expires.In(r.now.Location()).Format("2006-01-02 15:04")
	link := r.l.F("📎 Export of %s · %s%s:\n%s\nThe link works until %s. Anyone holding it can download the file, so share it with care.",
		"📎 %s 的导出 · %s%s：\n%s\n链接有效期至 %s。持有链接的人都可以下载，请谨慎转发。",
		what, strings.ToUpper(l.Format), span, url, until)
	day := bot.DateOf(s.cfg.Clock.Now().In(s.cfg.Location))
	name := bot.ExportName(l.Project, day, exportExts[l.Format])
	if s.cfg.SendsFile == nil || !s.cfg.SendsFile(r.ev.Chat.Platform, name) {
		return s.reply(r, link)
	}
	return s.sendExportFile(r, l, name, link, what, span)
}

// exportExts are the file name extensions of the export formats (a CSV
// export is a zip of CSV files).
var exportExts = map[string]string{"xlsx": "xlsx", "csv": "zip", "md": "md"}

// sendExportFile answers /export on a platform whose messenger sends files:
// a line naming the file, then the file itself as a file message, which the
// outbox makes from the store when it sends it. The link message goes
// instead if the file cannot go out (too large for the platform, refused).
func (s *Service) sendExportFile(r *req, l bot.Link, name, link, what, span string) error {
	f := bot.File{Name: name, Format: l.Format, Project: l.Project,
		From: l.From, To: l.To, Lang: string(r.l), By: r.me.ID}
	id, err := r.tx.PutFile(f)
	if err != nil {
		return err
	}
	line := r.l.F("📎 Export of %s · %s%s: %s", "📎 %s 的导出 · %s%s：%s", what, strings.ToUpper(l.Format), span, f.Name)
	if err := s.reply(r, line); err != nil {
		return err
	}
	_, err = r.tx.Enqueue(bot.OutboxItem{Op: bot.OpSend, Target: r.ev.Chat, FileID: id, Text: link})
	return err
}

func spanText(d bot.Date) string {
	if d.IsZero() {
		return "…"
	}
	return d.String()
}

// exportArgs reads the format (xlsx by default) and the from:/to: dates of
// /export; the project id, if any, is left in cmd.Args[0].
func (s *Service) exportArgs(r *req, cmd command.Command) (bot.Link, error) {
	l := bot.Link{Format: "xlsx"}
	format := false
	for i, a := range cmd.Args {
		if f, ok := exportFormats[strings.ToLower(a)]; ok && !format {
			l.Format, format = f, true
			continue
		}
		if _, ok := command.ParseProjectID(a); ok && i == 0 {
			continue
		}
		return l, badUsage(r, "export", r.l.F("%q is neither a project id nor a format (xlsx, csv or md).",
			"“%s”既不是项目编号，也不是导出格式（xlsx、csv 或 md）。", a))
	}
	for _, kv := range []struct {
		key string
		dst *bot.Date
	}{{"from", &l.From}, {"to", &l.To}} {
		v, ok := cmd.KV[kv.key]
		if !ok {
			continue
		}
		d, err := calendar.ParseDate(v, r.now, s.cfg.Calendar)
		if err != nil {
			return l, err
		}
		*kv.dst = d
	}
	if !l.From.IsZero() && !l.To.IsZero() && l.To.Before(l.From) {
		return l, invalid(r, "to: %s is before from: %s.", "到：%s 早于 从：%s。", l.To, l.From)
	}
	return l, nil
}

// exportProject finds the project of /export (the argument, or the
// group's) and checks that the caller manages it; an admin in a direct
// chat with no project exports them all.
func (s *Service) exportProject(r *req, cmd command.Command, l *bot.Link) error {
	var p bot.Project
	var err error
	if len(cmd.Args) > 0 {
		if _, ok := command.ParseProjectID(cmd.Args[0]); ok {
			p, err = s.loadProject(r, cmd.Args[0])
			if err != nil {
				return err
			}
			if !r.manages(p) {
				return forbidden(r, "Only the managers of %s can export it.", "只有 %s 的经理可以导出。", p.Code())
			}
			l.Project = p.ID
			return nil
		}
	}
	p, ok, err := s.projectOf(r, cmd)
	switch {
	case err != nil:
		return err
	case ok && !r.manages(p):
		return forbidden(r, "Only the managers of %s can export it.", "只有 %s 的经理可以导出。", p.Code())
	case ok:
		l.Project = p.ID
	case !r.me.IsAdmin() || !r.ev.Chat.DM:
		// Every project's data goes only to an admin's direct chat, never
		// to a group that is not a project's.
		return badUsage(r, "export", r.l.T("Which project? Give its id, such as P1, or ask in the project's group.",
			"哪个项目？请写项目编号，如 P1，或在项目群中发送。"))
	}
	return nil
}
