package flows

import (
	"crypto/rand"
	"fmt"
	"strings"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/cards"
	"github.com/loopbot/loopbot/command"
)

// linkCmd runs /link: with no argument a one-time code, with a code the
// joining of this identity to the person who asked for it, and (admins)
// /link @a <platform>:<id>.
func (s *Service) linkCmd(r *req, cmd command.Command) error {
	lr, err := command.ParseLink(cmd, string(r.l))
	if err != nil {
		return err
	}
	switch {
	case lr.Code != "":
		return s.linkWithCode(r, lr.Code)
	case lr.Person != "":
		return s.linkByAdmin(r, lr)
	}
	return s.linkCode(r)
}

// newLinkCode returns a random code of command.LinkCodeLen characters of
// command.LinkCodeAlphabet, from crypto/rand, without modulo bias.
func newLinkCode() string {
	const alphabet = command.LinkCodeAlphabet
	limit := byte(256 - 256%len(alphabet))
	out := make([]byte, 0, command.LinkCodeLen)
	var buf [16]byte
	for len(out) < command.LinkCodeLen {
		rand.Read(buf[:]) // never fails (crypto/rand, Go 1.24+)
		for _, b := range buf {
			if b < limit && len(out) < command.LinkCodeLen {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out)
}

// linkCode hands out a one-time code for the identity the command came
// from. In a group the code goes to the person's direct chat on this
// platform, and the group is told so without it.
func (s *Service) linkCode(r *req) error {
	now := s.cfg.Clock.Now()
	var code string
	for {
		code = newLinkCode()
		if _, err := r.tx.LinkCode(code); bot.ErrorCode(err) == bot.ENOTFOUND {
			break
		} else if err != nil {
			return err
		}
	}
	err := r.tx.PutLinkCode(code, bot.LinkCode{Person: r.me.ID, Identity: r.via, Created: now, Expires: now.Add(bot.LinkCodeTTL)})
	if err != nil {
		return err
	}
	text := r.l.M("🔗 Your link code: **%s**\nOn your other messenger, send me **/link %s** within %d minutes to join the two into one person: the same tasks, settings and history. The code works once.",
		"🔗 你的绑定码：**%s**\n请在 %[3]d 分钟内到另一个平台给我发送 **/绑定 %[2]s**，两个身份即合并为同一个人：任务、设置和记录都相同。绑定码只能用一次。",
		command.FormatLinkCode(code), command.FormatLinkCode(code), int(bot.LinkCodeTTL.Minutes()))
	if r.ev.Chat.DM {
		return s.reply(r, text)
	}
	if err := s.say(r.tx, bot.DM(r.via), text); err != nil {
		return err
	}
	return s.reply(r, r.l.M("🔗 %s, I sent your link code to our direct chat.", "🔗 %s，绑定码已私信发给你。", r.me.DisplayName()))
}

// linkWithCode joins the identity the command came from to the person who
// asked for the code, on another platform.
func (s *Service) linkWithCode(r *req, code string) error {
	now := s.cfg.Clock.Now()
	lc, err := r.tx.LinkCode(code)
	switch {
	case bot.ErrorCode(err) == bot.ENOTFOUND:
		return invalid(r, "%s is not a valid link code. Check it, or send /link on your other messenger for a new one.",
			"%s 不是有效的绑定码。请核对，或在另一个平台发送 /绑定 获取新的绑定码。", command.FormatLinkCode(code))
	case err != nil:
		return err
	case !lc.Used.IsZero():
		return invalid(r, "This link code was already used; a code works once. Send /link on your other messenger for a new one.",
			"此绑定码已经用过，每个绑定码只能用一次。请在另一个平台发送 /绑定 获取新的绑定码。")
	case !now.Before(lc.Expires):
		return invalid(r, "This link code has expired: codes work for %d minutes. Send /link on your other messenger for a new one.",
			"此绑定码已过期（有效期 %d 分钟）。请在另一个平台发送 /绑定 获取新的绑定码。", int(bot.LinkCodeTTL.Minutes()))
	case lc.Identity.Platform() == r.via.Platform():
		return invalid(r, "This code comes from %s, where you are writing now: send /link %s on your other messenger.",
			"此绑定码来自%s，也就是你现在所在的平台：请在另一个平台发送 /绑定 %s。",
			cards.PlatformName(r.l, lc.Identity.Platform()), command.FormatLinkCode(code))
	}
	asker, err := r.tx.ResolvePerson(lc.Person)
	if err != nil {
		return err
	}
	if err := s.checkJoinable(r, asker, r.via); err != nil {
		return err
	}
	if err := r.tx.UseLinkCode(code, r.via, now); err != nil {
		return err
	}
	return s.join(r, asker, r.me.ID)
}

// linkByAdmin runs /link @a <platform>:<id>.
func (s *Service) linkByAdmin(r *req, lr command.LinkRequest) error {
	if !r.me.IsAdmin() {
		return forbidden(r, "Only admins link someone's identities for them. To link your own, send /link here and /link <code> on your other messenger.",
			"只有管理员可以为他人绑定身份。绑定你自己的身份：在这里发送 /绑定，再在另一个平台发送 /绑定 <绑定码>。")
	}
	a, err := s.mention(r, lr.Person)
	if err != nil {
		return err
	}
	if err := s.checkJoinable(r, a.ID, lr.Identity); err != nil {
		return err
	}
	return s.join(r, a.ID, lr.Identity)
}

// checkJoinable refuses to join the identity id to the person person when
// it is theirs already, someone else's linked identity, a person linked
// with others, or on a platform where person has an identity.
func (s *Service) checkJoinable(r *req, person, id bot.PersonID) error {
	owner, err := r.tx.ResolvePerson(id)
	if err != nil {
		return err
	}
	p, err := r.tx.Person(person)
	if err != nil {
		return err
	}
	if owner == person {
		return invalid(r, "%s is already linked to %s: they are one person.", "%s 已经绑定到 %s，本来就是同一个人。", string(id), p.DisplayName())
	}
	if owner != id {
		o := s.person(r.tx, owner)
		return forbidden(r, "%s is already linked to %s. Unlink it first: /unlink %s", "%s 已绑定到 %s，请先解绑：/解绑 %s",
			string(id), o.DisplayName(), string(id))
	}
	if q, err := r.tx.Person(id); err == nil && len(q.Identities) > 0 {
		return forbidden(r, "%s is already linked with %s. Unlink that first: /unlink %s", "%s 已与 %s 绑定，请先解绑：/解绑 %s",
			string(id), string(q.Identities[0]), string(q.Identities[0]))
	} else if err != nil && bot.ErrorCode(err) != bot.ENOTFOUND {
		return err
	}
	if other, ok := p.IdentityOn(id.Platform()); ok {
		return forbidden(r, "%s already has an identity on %s, %s: one per platform. Unlink it first: /unlink %s",
			"%s 在%s上已有身份 %s（每个平台一个）。请先解绑：/解绑 %s",
			p.DisplayName(), cards.PlatformName(r.l, id.Platform()), string(other), string(other))
	}
	return nil
}

// join merges the people of a and b, the older one (CreatedAt) staying
// the one every record names, audits it and answers with what moved.
func (s *Service) join(r *req, a, b bot.PersonID) error {
	keep, gone := a, b
	pa, pb := s.person(r.tx, a), s.person(r.tx, b)
	if !pb.CreatedAt.IsZero() && pb.CreatedAt.Before(pa.CreatedAt) {
		keep, gone = b, a
	}
	now := s.cfg.Clock.Now()
	m, err := r.tx.MergePeople(keep, gone, r.me.ID, now)
	if err != nil {
		return err
	}
	kept, err := r.tx.Person(keep)
	if err != nil {
		return err
	}
	// The person writes from this identity now: it is where they last
	// wrote, whichever of the two the merge kept.
	if platform := r.via.Platform(); kept.LastPlatform != platform {
		kept.LastPlatform, kept.UpdatedAt = platform, now
		if err := r.tx.PutPerson(kept); err != nil {
			return err
		}
	}
	err = s.audit(r.tx, bot.AuditEvent{Actor: r.me.ID, Kind: "person_linked", Field: "identity", Old: string(gone), New: string(keep),
		Note: mergeNote(cards.EN, m)})
	if err != nil {
		return err
	}
	if r.me.ID == gone {
		r.me = kept
	}
	s.forgetCheckinTimes(r.ctx)
	var out strings.Builder
	out.WriteString(r.l.M("🔗 Linked: %s is now one person on %s.", "🔗 绑定成功：%s 现在是同一个人，身份：%s。",
		kept.DisplayName(), identityList(r.l, kept)))
	out.WriteString("\n" + bot.EscapeMarkdown(mergeNote(r.l, m)))
	if len(m.Conflicts) > 0 {
		older := s.person(r.tx, keep)
		out.WriteString("\n" + r.l.M("Both had chosen %s: %s's choice was kept, the older of the two.",
			"双方都设置过%s：保留了较早的 %s 的设置。", settingNames(r.l, m.Conflicts), older.DisplayName()))
	}
	out.WriteString("\n" + r.l.T("Cards go where you last wrote from; pick one with /settings platform <name>.",
		"卡片会发到你最近发消息的平台；可用 /设置 平台 <名称> 指定。"))
	return s.reply(r, out.String())
}

// unlinkCmd runs /unlink <platform>:<id>: by an admin, or by the person
// for their own identity.
func (s *Service) unlinkCmd(r *req, cmd command.Command) error {
	id, err := command.ParseUnlink(cmd, string(r.l))
	if err != nil {
		return err
	}
	owner, err := r.tx.ResolvePerson(id)
	if err != nil {
		return err
	}
	if owner == id {
		p, err := r.tx.Person(id)
		if err == nil && len(p.Identities) > 0 {
			return invalid(r, "%s is the identity %s was first known by, which their records keep. Unlink the other one instead: /unlink %s",
				"%s 是 %s 最初的身份，记录都归在它名下。请改为解绑另一个身份：/解绑 %s", string(id), p.DisplayName(), string(p.Identities[0]))
		}
		return invalid(r, "%s is not linked to anyone.", "%s 没有绑定到任何人。", string(id))
	}
	if owner != r.me.ID && !r.me.IsAdmin() {
		return forbidden(r, "Only admins unlink someone else's identity; you can unlink your own.", "只有管理员可以解绑他人的身份；你可以解绑自己的身份。")
	}
	m, err := r.tx.SplitPerson(id, r.me.ID, s.cfg.Clock.Now())
	if err != nil {
		return err
	}
	err = s.audit(r.tx, bot.AuditEvent{Actor: r.me.ID, Kind: "person_unlinked", Field: "identity", Old: string(owner), New: string(id),
		Note: splitNote(cards.EN, m)})
	if err != nil {
		return err
	}
	if r.me, err = r.tx.Person(r.me.ID); err != nil {
		return err
	}
	s.forgetCheckinTimes(r.ctx)
	return s.reply(r, r.l.M("🔗 %s is unlinked from %s and is a person of its own again.", "🔗 已将 %s 从 %s 解绑，它恢复为独立的人。",
		string(id), s.person(r.tx, owner).DisplayName())+"\n"+bot.EscapeMarkdown(splitNote(r.l, m)))
}

// settingsPlatform runs /settings platform <name> on p.
func (s *Service) settingsPlatform(r *req, p *bot.Person, v string) error {
	platform, err := bot.ParsePlatform(v)
	if err != nil {
		return invalid(r, "%q is not a platform; use feishu, dingtalk, wecom or playground.", "“%s”不是平台，请用 feishu、dingtalk、wecom 或 playground。", v)
	}
	name := cards.PlatformName(r.l, platform)
	if !s.platformEnabled(platform) {
		return invalid(r, "%s is not enabled in this deployment.", "本部署未启用%s。", name)
	}
	if _, ok := p.IdentityOn(platform); !ok {
		return invalid(r, "You have no identity on %s: link one first with /link.", "你在%s上没有身份，请先用 /绑定 绑定。", name)
	}
	p.Platform = platform
	p.Choose(bot.SettingPlatform)
	return nil
}

// identityList names a person's platforms and ids, such as "Feishu
// (feishu:ou_1), DingTalk (dingtalk:42)".
func identityList(l cards.Lang, p bot.Person) string {
	var parts []string
	for _, id := range p.AllIdentities() {
		parts = append(parts, fmt.Sprintf("%s (%s)", cards.PlatformName(l, id.Platform()), id))
	}
	return strings.Join(parts, l.T(", ", "、"))
}

// settingNames names settings (bot.Setting…) for a reply.
func settingNames(l cards.Lang, fields []string) string {
	var out []string
	for _, f := range fields {
		switch f {
		case bot.SettingTimezone:
			out = append(out, l.T("the time zone", "时区"))
		case bot.SettingCheckin:
			out = append(out, l.T("the check-in time", "打卡时间"))
		case bot.SettingLang:
			out = append(out, l.T("the language", "语言"))
		case bot.SettingPlatform:
			out = append(out, l.T("the platform", "接收平台"))
		default:
			out = append(out, f)
		}
	}
	return strings.Join(out, l.T(" and ", "和"))
}

// movedCounts describes how many records of each kind a merge moved, such
// as "2 tasks, 5 check-ins", or "" for none.
func movedCounts(l cards.Lang, m bot.Merge) string {
	kinds := []struct {
		kind, en, zh string
	}{
		{bot.RefTask, "tasks", "个任务"}, {bot.RefProject, "projects", "个项目"}, {bot.RefCheckIn, "check-ins", "次打卡"},
		{bot.RefReview, "reviews", "份复盘"}, {bot.RefEscalation, "escalations", "条督办"}, {bot.RefRisk, "risks", "条风险"},
		{bot.RefChange, "change requests", "个变更申请"}, {bot.RefCard, "cards", "张卡片"},
	}
	var parts []string
	for _, k := range kinds {
		n := m.Count(k.kind)
		switch k.kind {
		case bot.RefCheckIn:
			n += len(m.HeldCheckIns)
		case bot.RefReview:
			n += len(m.HeldReviews)
		}
		if n > 0 {
			parts = append(parts, l.F("%d "+k.en, "%d "+k.zh, n))
		}
	}
	return strings.Join(parts, l.T(", ", "、"))
}

// mergeNote says what a merge moved and which settings it took over.
func mergeNote(l cards.Lang, m bot.Merge) string {
	ids := make([]string, len(m.Identities))
	for i, id := range m.Identities {
		ids[i] = string(id)
	}
	note := l.F("%s joined %s (identities: %s). ", "%s 并入 %s（身份：%s）。", m.Joined, m.Kept, strings.Join(ids, ", "))
	if moved := movedCounts(l, m); moved != "" {
		note += l.F("Moved: %s.", "转移：%s。", moved)
	} else {
		note += l.T("No records to move.", "没有需要转移的记录。")
	}
	if n := len(m.HeldCheckIns); n > 0 {
		note += l.F(" Check-ins of the same day (%d) were combined.", " 同一天的打卡（%d 天）已合并。", n)
	}
	if n := len(m.HeldReviews); n > 0 {
		note += l.F(" Reviews of the same week (%d): %s's stand.", " 同一周的复盘（%d 份）以 %s 的为准。", n, m.Kept)
	}
	if len(m.Adopted) > 0 {
		note += l.F(" Settings taken over: %s.", " 沿用对方的设置：%s。", settingNames(l, m.Adopted))
	}
	if len(m.Conflicts) > 0 {
		note += l.F(" Settings kept (both had chosen): %s.", " 双方都设置过、保留较早一方的：%s。", settingNames(l, m.Conflicts))
	}
	return note
}

// splitNote says what a split moved back.
func splitNote(l cards.Lang, m bot.Merge) string {
	if m.ID == 0 {
		return l.T("It had no records of its own to move back.", "它没有需要恢复的记录。")
	}
	if moved := movedCounts(l, m); moved != "" {
		return l.F("Moved back what was its own before the link: %s.", "已恢复绑定前属于它的记录：%s。", moved)
	}
	return l.T("It had no records of its own to move back.", "它没有需要恢复的记录。")
}
