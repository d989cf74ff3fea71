package cards_test

import (
	"strings"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/cards"
)

// checkMarkdown asserts that a card's or a reply's text is card markdown
// that shows no markup characters: every line parses, and its literal text
// holds no "**", "~~" or backslash except inside what a person typed
// (typed). Each typed text that the card shows must come out literally,
// whole, in one styled run and not as a bullet of its own.
func checkMarkdown(t *testing.T, text string, typed []string) {
	t.Helper()
	blocks := bot.ParseMarkdown(text)
	var all strings.Builder
	for _, b := range blocks {
		var line strings.Builder
		for _, in := range b.Inlines {
			line.WriteString(in.Text)
			all.WriteString(in.Text)
			all.WriteByte(0) // typed text may not span two runs
		}
		all.WriteByte('\n')
		rest := line.String()
		for _, u := range typed {
			for _, form := range []string{u, cards.OneLine(u)} {
				rest = strings.ReplaceAll(rest, form, "")
				for l := range strings.SplitSeq(form, "\n") {
					if len(l) > 3 {
						rest = strings.ReplaceAll(rest, l, "")
					}
				}
			}
		}
		for _, mark := range []string{"**", "~~", `\`} {
			if strings.Contains(rest, mark) {
				t.Errorf("literal %q left in the line %q of %q", mark, line.String(), text)
			}
		}
	}
	lit := all.String()
	for _, u := range typed {
		for l := range strings.SplitSeq(u, "\n") {
			if strings.Contains(text, esc(l)) && !strings.Contains(lit, l) && !strings.Contains(lit, cards.OneLine(u)) {
				t.Errorf("typed text %q is not shown literally in %q (parsed %+v)", l, text, blocks)
			}
		}
	}
}

func esc(s string) string { return bot.EscapeMarkdown(s) }

// Every golden card is card markdown that shows no markup characters,
// except those people typed.
func TestGoldenMarkdown(t *testing.T) {
	for _, tc := range goldenCases() {
		for _, l := range []cards.Lang{cards.ZH, cards.EN} {
			t.Run(tc.name+"_"+string(l), func(t *testing.T) { checkMarkdown(t, tc.build(l).Text, evilTyped) })
		}
	}
}

// Markup that people type, of several kinds. Each must be shown literally
// wherever it appears on a card.
var (
	evilTitle   = "[x](https://evil.example) **b** ~~s~~"
	evilName    = "<at id=all></at> **Eve** \\"
	evilProject = "**P** <at user_id=\"all\">所有人</at>"
	evilDesc    = "- not a bullet\n# heading\n`code` <a href=\"https://evil.example\">x</a> \\ \\* ~~no~~"
	evilNote    = "**urgent** ~~never~~ [x](https://evil.example)\n- list?\n\n> quote"
	evilBlock   = "waiting ~~for~~ **api**\n- second line"
	evilTyped   = []string{evilTitle, evilName, evilProject, evilDesc, evilNote, evilBlock}
)

func evilInfo() cards.TaskInfo {
	in := taskInfo()
	p := *in.Project
	p.Name = evilProject
	in.Project = &p
	in.Task.Title = evilTitle
	in.Task.Description = evilDesc
	in.Assignee.Name = evilName
	in.Assigner.Name = evilName
	dep := t2()
	dep.Title = evilTitle
	in.Deps = []bot.Task{dep}
	return in
}

func evilEsc() cards.EscInfo {
	e := overdueEsc(true)
	e.Task = evilInfo()
	e.Esc.ExtensionReason = evilNote
	e.Manager.Name = evilName
	down := t5()
	down.Title = evilTitle
	e.Downstream = []bot.Task{down}
	return e
}

func evilBlocked() cards.EscInfo {
	e := blockedEsc()
	e.Task.Task.Title = evilTitle
	e.Task.Task.BlockReason = evilBlock
	e.Task.Assignee.Name = evilName
	return e
}

// TestTypedMarkupIsLiteral builds every card with text people typed that
// looks like markup of several kinds: links, bold, strike, mentions, HTML,
// headings, code, bullets, backslashes and line breaks. Each card's text
// must show all of it literally, and keep its own markup.
func TestTypedMarkupIsLiteral(t *testing.T) {
	at := time.Date(2026, time.November, 21, 10, 2, 0, 0, cst)
	eve := bot.Person{ID: "playground:eve", Name: evilName}
	evilTask := func(t bot.Task) bot.Task { t.Title = evilTitle; t.BlockReason = evilBlock; return t }
	builds := map[string]func(l cards.Lang) bot.Card{
		"assigned": func(l cards.Lang) bot.Card { return cards.Assigned(l, evilInfo()) },
		"assigned_accepted": func(l cards.Lang) bot.Card {
			return cards.Finish(cards.Assigned(l, evilInfo()), bot.ColorGreen, cards.State(l, l.T("Accepted", "已接受"), eve, at))
		},
		"declined": func(l cards.Lang) bot.Card { return cards.Declined(l, evilInfo(), evilNote) },
		"declined_finished": func(l cards.Lang) bot.Card {
			return cards.Finish(cards.Assigned(l, evilInfo()), bot.ColorGrey, l.WithReason(cards.State(l, l.T("Declined", "已拒绝"), eve, at), evilNote))
		},
		"acceptance": func(l cards.Lang) bot.Card { return cards.Acceptance(l, evilInfo(), evilNote) },
		"rework": func(l cards.Lang) bot.Card {
			return cards.Finish(cards.Acceptance(l, evilInfo(), evilNote), bot.ColorYellow, l.WithReason(cards.State(l, l.T("Sent back for rework", "已退回"), eve, at), evilNote))
		},
		"question": func(l cards.Lang) bot.Card { return cards.Question(l, evilInfo(), evilNote) },
		"detail": func(l cards.Lang) bot.Card {
			return cards.Detail(l, evilInfo(), []string{"11-20 09:00 " + evilName + ": " + evilNote, evilBlock})
		},
		"checkin": func(l cards.Lang) bot.Card {
			return cards.Checkin(l, friday, []bot.Task{evilTask(t3()), evilTask(t7())}, nil)
		},
		"checkin_done": func(l cards.Lang) bot.Card {
			c := cards.Checkin(l, friday, []bot.Task{evilTask(t3())}, nil)
			ci := checkinAnswer()
			ci.Answers[0].Note = evilNote
			return cards.CheckinDone(l, c, ci, map[uint64]string{3: evilTitle, 7: evilTitle}, cards.State(l, "OK", eve, at))
		},
		"daily_digest": func(l cards.Lang) bot.Card {
			p := project
			p.Name = evilProject
			return cards.DailyDigest(l, cards.Digest{Project: p, Day: friday, Asked: 3, Answered: 2,
				Missing: []string{evilName}, Progress: []string{"T3 " + evilTitle + ": 40% → 60%"},
				Blockers: []string{"T7 " + evilTitle + ": " + evilBlock}, AtRisk: []string{"T5 " + evilTitle + " (" + evilName + ")"}})
		},
		"escalation_blue":         func(l cards.Lang) bot.Card { return cards.EscalationBlue(l, evilEsc()) },
		"escalation_blue_blocked": func(l cards.Lang) bot.Card { return cards.EscalationBlue(l, evilBlocked()) },
		"escalation_yellow":       func(l cards.Lang) bot.Card { return cards.EscalationYellow(l, evilEsc()) },
		"group_warning": func(l cards.Lang) bot.Card {
			items := []cards.GroupItem{{Infos: []cards.EscInfo{evilEsc(), evilBlocked()}}, {Infos: []cards.EscInfo{evilBlocked()}, Resolved: true}}
			return cards.GroupWarning(l, bot.Project{ID: 1, Name: evilProject}, items, "")
		},
		"review_prompt": func(l cards.Lang) bot.Card {
			return cards.ReviewPrompt(l, cards.Week{Project: bot.Project{ID: 1, Name: evilProject}, Week: "2026-W48", Done: []bot.Task{evilTask(t2())}})
		},
		"change_request": func(l cards.Lang) bot.Card {
			in := changeInfo()
			in.Change.Reason, in.Requester.Name = evilNote, evilName
			t5 := in.Tasks[5]
			t5.Title = evilTitle
			in.Tasks[5] = t5
			return cards.ChangeRequestCard(l, in)
		},
		"weekly_summary": func(l cards.Lang) bot.Card {
			s := summary(l)
			s.Project.Name = evilProject
			s.NextWeek = []bot.Task{evilTask(t5())}
			return cards.WeeklySummary(l, s)
		},
	}
	// What each card's text must show, at least.
	shows := map[string][]string{
		"assigned": {evilDesc}, "assigned_accepted": {evilDesc, evilName}, "declined": {evilName, evilNote},
		"declined_finished": {evilNote, evilName, evilDesc}, "acceptance": {evilNote}, "rework": {evilNote, evilName},
		"question": {evilName, evilNote}, "detail": {evilDesc, evilName, evilNote, evilBlock}, "checkin": {evilTitle},
		"checkin_done": {evilName}, "daily_digest": {evilTitle, evilBlock, evilName}, "escalation_blue": {},
		"escalation_blue_blocked": {evilBlock}, "escalation_yellow": {evilName, evilNote, evilTitle},
		"group_warning": {evilTitle, evilName, evilBlock}, "review_prompt": {}, "weekly_summary": {evilTitle},
		"change_request": {evilName, evilTitle},
	}
	for name, build := range builds {
		for _, l := range []cards.Lang{cards.ZH, cards.EN} {
			t.Run(name+"_"+string(l), func(t *testing.T) {
				c := build(l)
				checkMarkdown(t, c.Text, evilTyped)
				lit := plain(c.Text)
				for _, u := range shows[name] {
					if !strings.Contains(lit, u) && !strings.Contains(lit, cards.OneLine(u)) {
						t.Errorf("the text does not show %q literally:\n%s\nparsed: %q", u, c.Text, lit)
					}
				}
			})
		}
	}
}

// plain is the text a person reads: literals, bullets shown as "• ".
func plain(text string) string {
	var b strings.Builder
	for _, bl := range bot.ParseMarkdown(text) {
		if bl.Bullet {
			b.WriteString("• ")
		}
		for _, in := range bl.Inlines {
			b.WriteString(in.Text)
		}
		b.WriteByte('\n')
	}
	return b.String()
}
