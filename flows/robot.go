package flows

import (
	"slices"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/cards"
	"github.com/loopbot/loopbot/command"
)

// RobotBinder binds a WeCom group robot webhook to a project (the WeCom
// adapter implements it). BindRobot validates the URL, keeps it in tx, and
// returns the robot's group target and the URL masked for showing back. It
// returns EINVALID, with what is wrong, for a URL that is not a webhook.
type RobotBinder interface {
	BindRobot(tx bot.Tx, url string) (bot.Target, string, error)
}

// projectWebhook runs /project webhook <P> <url>: the project's WeCom group
// robot, where its group warnings and digests go. The URL holds a secret
// key, so the command is taken in a direct chat only, and the URL is never
// shown back in full, logged or audited.
func (s *Service) projectWebhook(r *req, cmd command.Command) error {
	if s.cfg.Robots == nil {
		return bot.Errorf(bot.EUNAVAILABLE, "%s", r.l.T("Group robots are for WeCom, which is not enabled in this deployment.",
			"群机器人用于企业微信，本部署未启用企业微信。"))
	}
	if !r.ev.Chat.DM {
		return invalid(r, "Send /project webhook in a direct chat with me: the webhook address is a secret.",
			"请在与我的单聊中发送 /项目 机器人：机器人地址是保密的。")
	}
	if len(cmd.Args) < 2 {
		return badUsage(r, "project", r.l.T("Give the project and the robot's webhook address.", "请写项目编号和群机器人的 webhook 地址。"))
	}
	p, err := s.loadProject(r, cmd.Args[0])
	if err != nil {
		return err
	}
	if !r.me.IsAdmin() && !p.IsManager(r.me.ID) {
		return forbidden(r, "Only admins and the project's managers set its group robot.", "只有管理员和项目经理可以设置项目的群机器人。")
	}
	target, masked, err := s.cfg.Robots.BindRobot(r.tx, cmd.Args[1])
	if err != nil {
		return err
	}
	p.BindGroup(target)
	if err := s.saveProject(r, p, "project_webhook"); err != nil {
		return err
	}
	return s.reply(r, r.l.M("🤖 %s «%s»: group warnings and digests now go to the group robot %s.",
		"🤖 项目 %s「%s」的群预警和日报将发到群机器人 %s。", p.Code(), p.Name, masked))
}

// groupDest is where one group card of a project goes.
type groupDest struct {
	target bot.Target
	to     bot.PersonID // the person, for a direct chat
	lang   cards.Lang
	note   bool // the card says how to add a group robot
}

// groupDests returns where a project's group cards go: each of its bound
// group chats (one per platform) on a platform this deployment runs; or, for a project run on WeCom that has none (a WeCom app cannot
// post in group chats, only a group robot can), its owner and managers,
// each card with a note on how to add a robot. skip leaves a person out
// (one who gets the card anyway).
func (s *Service) groupDests(tx bot.Tx, p bot.Project, skip bot.PersonID) []groupDest {
	var out []groupDest
	for _, g := range p.Groups {
		if s.platformEnabled(g.Platform) {
			out = append(out, groupDest{target: g, lang: s.cfg.Lang})
		}
	}
	if len(out) > 0 || p.Owner.Platform() != bot.WeCom {
		return out
	}
	for _, id := range append([]bot.PersonID{p.Owner}, p.Managers...) {
		if id == skip || slices.ContainsFunc(out, func(d groupDest) bool { return d.to == id }) {
			continue
		}
		out = append(out, groupDest{target: s.dmTarget(tx, id), to: id, lang: s.lang(s.person(tx, id)), note: true})
	}
	return out
}

// withRobotNote adds the note on how to add a group robot to a card that
// went to a person instead of the project's group.
func withRobotNote(c bot.Card, l cards.Lang, p bot.Project) bot.Card {
	note := l.F("This project has no group robot, so its group cards come to you. A manager can add one in a direct chat: /project webhook %s <webhook URL>",
		"此项目尚未设置群机器人，群消息改发给你。项目经理可在单聊中发送：/项目 机器人 %s <webhook 地址>", p.Code())
	if c.Text != "" {
		c.Text += "\n\n"
	}
	// The note holds no card markdown characters (*, ~, a leading -).
	c.Text += note
	return c
}

// sendGroupCard sends a project's group card to one destination.
func (s *Service) sendGroupCard(tx bot.Tx, p bot.Project, d groupDest, key string, c bot.Card) (bot.CardRecord, error) {
	if d.note {
		c = withRobotNote(c, d.lang, p)
	}
	return s.sendCard(tx, d.target, d.to, key, c)
}
