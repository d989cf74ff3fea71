package command

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseTaskID(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"T12", 12, true}, {"t12", 12, true}, {"#12", 12, true}, {"Ｔ１２", 12, true}, {"＃7", 7, true},
		{"T007", 7, true}, {" T3 ", 3, true}, {"T18446744073709551615", 18446744073709551615, true},
		{"T0", 0, false}, {"T", 0, false}, {"#", 0, false}, {"12", 0, false}, {"12x", 0, false},
		{"T12x", 0, false}, {"T-1", 0, false}, {"T+1", 0, false}, {"T1_0", 0, false}, {"P12", 0, false},
		{"T18446744073709551616", 0, false}, {"", 0, false}, {"T 1", 0, false}, {"T١٢", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseTaskID(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseTaskID(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseProjectID(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"P3", 3, true}, {"p3", 3, true}, {"Ｐ３", 3, true},
		{"P0", 0, false}, {"P", 0, false}, {"#3", 0, false}, {"T3", 0, false}, {"3", 0, false}, {"P3a", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseProjectID(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseProjectID(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseIDList(t *testing.T) {
	tests := []struct {
		in   string
		want []uint64
		bad  string // the item an error must name
	}{
		{in: "T1,T2", want: []uint64{1, 2}},
		{in: "T1，T2", want: []uint64{1, 2}},
		{in: "#1,#2、t3", want: []uint64{1, 2, 3}},
		{in: "T2,T1,T2", want: []uint64{2, 1}},
		{in: "T1,", want: []uint64{1}},
		{in: "T1,x9", bad: "x9"},
		{in: "T0", bad: "T0"},
		{in: "", bad: "T1,T2"},
		{in: ",，", bad: "T1,T2"},
	}
	for _, tt := range tests {
		got, err := ParseIDList(tt.in)
		if tt.bad != "" {
			if msg := checkInvalid(t, err); !strings.Contains(msg, tt.bad) {
				t.Errorf("ParseIDList(%q): message %q does not name %q", tt.in, msg, tt.bad)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseIDList(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestCodes(t *testing.T) {
	if got := TaskCode(12); got != "T12" {
		t.Errorf("TaskCode(12) = %q", got)
	}
	if got := ProjectCode(3); got != "P3" {
		t.Errorf("ProjectCode(3) = %q", got)
	}
	for _, id := range []uint64{1, 99, 1<<64 - 1} {
		if got, ok := ParseTaskID(TaskCode(id)); !ok || got != id {
			t.Errorf("ParseTaskID(TaskCode(%d)) = %d, %v", id, got, ok)
		}
		if got, ok := ParseProjectID(ProjectCode(id)); !ok || got != id {
			t.Errorf("ParseProjectID(ProjectCode(%d)) = %d, %v", id, got, ok)
		}
	}
}

func TestParseRiskID(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"R2", 2, true}, {"r2", 2, true}, {" Ｒ１２ ", 12, true},
		{"R0", 0, false}, {"R", 0, false}, {"#2", 0, false}, {"P2", 0, false}, {"2", 0, false}, {"R-2", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseRiskID(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseRiskID(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
