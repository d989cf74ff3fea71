package dingtalk

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/loopbot/loopbot/bot"
)

// templateDoc is the part of docs/dingtalk/<template>.json a test reads.
type templateDoc struct {
	Template  string   `json:"template"`
	CardKinds []string `json:"cardKinds"`
	Variables []struct {
		Name string `json:"name"`
	} `json:"variables"`
	Inputs []struct {
		Name string `json:"name"`
	} `json:"inputs"`
	Buttons []struct {
		Action string            `json:"action"`
		Params map[string]string `json:"params"`
	} `json:"buttons"`
}

// TestTemplateDocsMatchTheParams: each docs/dingtalk/<template>.json
// lists exactly the cardParamMap keys loopbot fills for its card kinds,
// whether the card has all the template's buttons and inputs or none;
// its buttons are the template's, each sending action and its token.
func TestTemplateDocsMatchTheParams(t *testing.T) {
	for _, name := range TemplateNames {
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("..", "..", "docs", "dingtalk", name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			var doc templateDoc
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatal(err)
			}
			var documented []string
			for _, v := range doc.Variables {
				documented = append(documented, v.Name)
			}
			slices.Sort(documented)
			if doc.Template != name || len(doc.CardKinds) == 0 {
				t.Fatalf("template %q, kinds %v", doc.Template, doc.CardKinds)
			}
			for _, kind := range doc.CardKinds {
				if TemplateOf(kind) != name {
					t.Errorf("kind %s is rendered by template %q", kind, TemplateOf(kind))
				}
				full := bot.Card{Kind: kind, Title: "x", Refs: map[string]string{"project": "P1"}}
				for _, a := range templateActions[name] {
					full.Actions = append(full.Actions, bot.Action{Name: a, Label: a, Value: "tok"})
				}
				for _, in := range templateInputs[name] {
					full.Inputs = append(full.Inputs, bot.Input{Name: in, Value: "v"})
				}
				if name == "checkin" {
					full.Inputs = append(full.Inputs, bot.Input{Name: "progress.T1"}, bot.Input{Name: "status.T1"})
				}
				for _, c := range []bot.Card{{Kind: kind}, full} {
					got := slices.Sorted(maps.Keys(templateParams(c)))
					if !slices.Equal(got, documented) {
						t.Errorf("%s card params %v\ndocumented %v", kind, got, documented)
					}
				}
			}
			var actions []string
			for _, b := range doc.Buttons {
				actions = append(actions, b.Action)
				if b.Params["action"] != b.Action || b.Params["token"] != "${"+b.Action+"_token}" {
					t.Errorf("button %s params %v", b.Action, b.Params)
				}
			}
			if !slices.Equal(actions, templateActions[name]) {
				t.Errorf("buttons %v, want %v", actions, templateActions[name])
			}
		})
	}
}

// TestCheckinSlots: the checkin template's numbered inputs come back as
// the card's own names; a slot without a task, or a name no template has,
// is not turned into a task's input.
func TestCheckinSlots(t *testing.T) {
	c := bot.Card{Kind: bot.CardCheckin, Inputs: []bot.Input{
		{Name: "progress.T1", Value: "10"}, {Name: "status.T1", Value: "on_track"}, {Name: "hours.T1"}, {Name: "note.T1"},
		{Name: "progress.T4", Value: "70"}, {Name: "status.T4", Value: "at_risk"}, {Name: "hours.T4", Value: "2"}, {Name: "note.T4", Value: "x"},
	}}
	p := templateParams(c)
	if p["checkin_tasks"] != "T1,T4" || p["task_2"] != "T4" || p["progress_2"] != "70" || p["status_1"] != "on_track" ||
		p["task_3_show"] != "false" || p["task_3"] != "" || p["hours_2"] != "2" {
		t.Errorf("params = %v", p)
	}
	form := map[string]string{"tasks": p["checkin_tasks"], "progress_1": "20", "status_2": "blocked", "progress_3": "99", "reason": "r", "progress_x": "1"}
	slotForm(form)
	want := map[string]string{"progress.T1": "20", "status.T4": "blocked", "reason": "r", "progress_x": "1"}
	if !maps.Equal(form, want) {
		t.Errorf("form = %v, want %v", form, want)
	}
	// A form without tasks is left as it is.
	plain := map[string]string{"progress.T1": "5"}
	slotForm(plain)
	if !maps.Equal(plain, map[string]string{"progress.T1": "5"}) {
		t.Errorf("plain form = %v", plain)
	}
}
