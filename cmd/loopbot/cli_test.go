package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommandLine runs the command-line entry point as a user would.
func TestCommandLine(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.toml")
	writeFile(t, good, "[server]\nlisten = \"127.0.0.1:9999\"\n[playground]\nenabled = true\n")
	silent := filepath.Join(dir, "silent.toml")
	writeFile(t, silent, "[server]\nlisten = \"127.0.0.1:9999\"\n")
	bad := filepath.Join(dir, "bad.toml")
	writeFile(t, bad, "[server]\nlisten = \"127.0.0.1:9999\"\n[escalation]\ncheck_every = \"5x\"\ncolour = \"red\"\n")
	tests := []struct {
		args    []string
		wantErr bool
		out     string // in stdout
		errOut  string // in stderr
	}{
		{args: []string{"version"}, out: "loopbot"},
		{args: []string{"--help"}, out: "check-config"},
		{args: []string{"check-config", "-config", good}, out: "good.toml: OK"},
		{args: []string{"check-config"}, out: "embedded defaults: OK"},
		{args: []string{"check-config", "-config", silent}, wantErr: true, errOut: "silent.toml: playground.enabled: no messenger is enabled"},
		{args: []string{"check-config", "-config", "../../config.example.toml"}, out: "config.example.toml: OK"},
		{args: []string{"check-config", "-config", bad}, wantErr: true, errOut: "bad.toml:4: escalation.check_every"},
		{args: []string{"check-config", "-config", bad}, wantErr: true, errOut: "bad.toml:5: escalation.colour"},
		{args: []string{"check-config", "-config", filepath.Join(dir, "missing.toml")}, wantErr: true},
		{args: []string{"frobnicate"}, wantErr: true, errOut: "unknown command"},
		{args: []string{"serve", "extra"}, wantErr: true, errOut: "unexpected argument"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := Run(context.Background(), tc.args, nil, &stdout, &stderr)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, stderr %q", err, stderr.String())
			}
			if !strings.Contains(stdout.String(), tc.out) || !strings.Contains(stderr.String(), tc.errOut) {
				t.Fatalf("stdout %q, stderr %q; want %q / %q", stdout.String(), stderr.String(), tc.out, tc.errOut)
			}
		})
	}
}

func TestSubcommandHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := Run(context.Background(), []string{"check-config", "-h"}, nil, &stdout, &stderr); !errors.Is(err, errHelp) || !strings.Contains(stderr.String(), "Usage") {
		t.Fatalf("check-config -h: %v, %q", err, stderr.String())
	}
}
