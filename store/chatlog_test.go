package store

import (
	"context"
	"testing"

	"github.com/loopbot/loopbot/bot"
)

func TestChatLog(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	appendChat := func(m bot.ChatMessage) bot.ChatMessage {
		t.Helper()
		got, err := db.AppendChat(ctx, m)
		if err != nil {
			t.Fatalf("AppendChat: %v", err)
		}
		return got
	}
	first := appendChat(bot.ChatMessage{Chat: "dm:alice", From: "alice", Text: "/tasks"})
	card := &bot.Card{Kind: bot.CardNotice, Title: "Your tasks"}
	reply := appendChat(bot.ChatMessage{Chat: "dm:alice", From: "bot", Card: card, IdemKey: "loopbot-1"})
	appendChat(bot.ChatMessage{Chat: "dm:alice2", From: "bot", Text: "other chat"})
	// The outbox delivers item 1 again after a crash: it shows once.
	again := appendChat(bot.ChatMessage{Chat: "dm:alice", From: "bot", Text: "re-delivered", IdemKey: "loopbot-1"})

	if first.ID != 1 || !first.Time.Equal(t0) || reply.ID != 2 || again.ID != 2 || again.Card == nil {
		t.Errorf("ids and times: first %+v, reply %+v, again %+v", first, reply, again)
	}
	msgs, err := db.ChatMessages(ctx, "dm:alice")
	if err != nil || len(msgs) != 2 || msgs[0].Text != "/tasks" || msgs[1].ID != 2 {
		t.Errorf("ChatMessages: %+v, %v; want /tasks then the card", msgs, err)
	}
	if msgs, _ := db.ChatMessages(ctx, "dm:nobody"); len(msgs) != 0 {
		t.Errorf("ChatMessages of an empty chat: %+v", msgs)
	}

	done := bot.Card{Kind: bot.CardNotice, Title: "Done", Color: bot.ColorGrey}
	if err := db.UpdateChatCard(ctx, 2, done); err != nil {
		t.Fatal(err)
	}
	m, err := db.ChatMessage(ctx, 2)
	if err != nil || m.Card == nil || m.Card.Title != "Done" {
		t.Errorf("ChatMessage after UpdateChatCard: %+v, %v", m, err)
	}
	wantCode(t, db.UpdateChatCard(ctx, 9, done), bot.ENOTFOUND)
	_, err = db.ChatMessage(ctx, 9)
	wantCode(t, err, bot.ENOTFOUND)
}
