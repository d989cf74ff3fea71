package wecom

import (
	"encoding/xml"
	"errors"
	"strconv"
	"strings"
)

// envelope is the body WeCom POSTs to the callback URL: the ciphertext and
// the ids it is addressed to (接收消息与事件, path/90238).
type envelope struct {
	XMLName    xml.Name `xml:"xml"`
	ToUserName string   `xml:"ToUserName"`
	Encrypt    string   `xml:"Encrypt"`
	AgentID    string   `xml:"AgentID"`
}

// Message is a decrypted callback: a message from a member in the app's
// chat (消息格式, path/90239) or an event (事件格式, path/90240), such as
// template_card_event, the click or submit of a template card.
type Message struct {
	XMLName      xml.Name `xml:"xml" json:"-"`
	ToUserName   string   `xml:"ToUserName" json:"to"`
	FromUserName string   `xml:"FromUserName" json:"from"`
	CreateTime   int64    `xml:"CreateTime" json:"create_time"`
	MsgType      string   `xml:"MsgType" json:"msg_type"`
	Content      string   `xml:"Content" json:"content,omitempty"`
	MsgID        string   `xml:"MsgId" json:"msg_id,omitempty"`
	AgentID      string   `xml:"AgentID" json:"agent_id,omitempty"`
	Event        string   `xml:"Event" json:"event,omitempty"`
	EventKey     string   `xml:"EventKey" json:"event_key,omitempty"`
	// TaskID, CardType, ResponseCode and SelectedItems are set on
	// template_card_event.
	TaskID        string         `xml:"TaskId" json:"task_id,omitempty"`
	CardType      string         `xml:"CardType" json:"card_type,omitempty"`
	ResponseCode  string         `xml:"ResponseCode" json:"response_code,omitempty"`
	SelectedItems []SelectedItem `xml:"SelectedItems>SelectedItem" json:"selected,omitempty"`
}

// SelectedItem is the answer to one select of a template card: its
// question_key and the option ids chosen.
type SelectedItem struct {
	QuestionKey string   `xml:"QuestionKey" json:"question_key"`
	OptionIDs   []string `xml:"OptionIds>OptionId" json:"option_ids"`
}

// Message types and events loopbot reads.
const (
	MsgTypeText       = "text"
	MsgTypeEvent      = "event"
	EventTemplateCard = "template_card_event"
)

// maxPlain bounds a decrypted message; WeCom's are a few kilobytes.
const maxPlain = 256 << 10

// ParseMessage decodes a decrypted callback. It returns an error for XML
// that is not a message, or that lacks the sender or the type.
func ParseMessage(plain []byte) (Message, error) {
	var m Message
	if len(plain) > maxPlain {
		return m, errors.New("wecom: message too large")
	}
	if err := xml.Unmarshal(plain, &m); err != nil {
		return m, errors.New("wecom: the decrypted message is not XML")
	}
	m.FromUserName = strings.TrimSpace(m.FromUserName)
	m.MsgType = strings.TrimSpace(m.MsgType)
	if m.FromUserName == "" || m.MsgType == "" {
		return m, errors.New("wecom: the message has no FromUserName or MsgType")
	}
	return m, nil
}

// DedupKey returns the key that de-duplicates a callback: the MsgId of a
// message, or FromUserName + CreateTime + Event + EventKey of an event (WeCom
// retries an unanswered callback up to three times with the same content;
// events have no MsgId).
func (m Message) DedupKey() string {
	if m.MsgID != "" {
		return "msg:" + m.MsgID
	}
	return "evt:" + m.FromUserName + ":" + strconv.FormatInt(m.CreateTime, 10) + ":" + m.Event + ":" + m.EventKey
}

// Selected returns the selections as a form: question_key → the first
// option id.
func (m Message) Selected() map[string]string {
	form := map[string]string{}
	for _, it := range m.SelectedItems {
		if len(it.OptionIDs) > 0 {
			form[strings.TrimSpace(it.QuestionKey)] = strings.TrimSpace(it.OptionIDs[0])
		}
	}
	return form
}
