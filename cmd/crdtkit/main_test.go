package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBinary builds the command as go install would and runs it, checking
// what only a real process shows: exit statuses and the split between
// stdout and stderr.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command in PATH")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "crdtkit")
	build := exec.Command(gobin, "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	run := func(stdin string, args ...string) (int, string, string) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Stdin = strings.NewReader(stdin)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		var exit *exec.ExitError
		switch {
		case err == nil:
			return 0, out.String(), errOut.String()
		case errors.As(err, &exit):
			return exit.ExitCode(), out.String(), errOut.String()
		}
		t.Fatalf("running %v: %v", args, err)
		return 0, "", ""
	}

	if code, out, _ := run("", "help"); code != 0 || !strings.Contains(out, "merge-write") {
		t.Errorf("help: %d\n%s", code, out)
	}
	if code, out, errOut := run("", "nope"); code != 2 || out != "" || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command: %d %q %q", code, out, errOut)
	}
	good := `{"state":{"counts":[{"n":2,"r":"a"}]},"type":"counters.GCounter","version":1}`
	if code, out, _ := run(good, "validate"); code != 0 || out != "<stdin>: ok counters.GCounter\n" {
		t.Errorf("validate: %d %q", code, out)
	}
	bad := strings.Replace(good, `"n":2`, `"n":-2`, 1)
	if code, out, _ := run(bad, "validate"); code != 1 || !strings.Contains(out, "field:  state.counts[0].n") {
		t.Errorf("validate of an invalid payload: %d %q", code, out)
	}

	// A store written by one process is read by the next.
	payloadFile := filepath.Join(dir, "c.json")
	if err := os.WriteFile(payloadFile, []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	url := "bolt:" + filepath.Join(dir, "store.db")
	if code, _, errOut := run("", "merge-write", url, "visits", payloadFile); code != 0 {
		t.Fatalf("merge-write: %d %s", code, errOut)
	}
	if code, out, errOut := run("", "get", url, "visits"); code != 0 || out != good+"\n" {
		t.Errorf("get: %d %q %s", code, out, errOut)
	}
	if code, out, _ := run("", "itc", "convert", "-to", "text", "0109030102000401020100"); code != 0 || out != "{(1, 0); (0, 1, 0)}\n" {
		t.Errorf("itc convert: %d %q", code, out)
	}
}
