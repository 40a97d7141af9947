package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// helperEnv makes the test binary run main instead of the tests, so that
// the multi-process test can start nodes without building the command.
const helperEnv = "CRDTKIT_CLUSTER_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a three-node cluster")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var out bytes.Buffer
	require.NoError(t, demo(ctx, &out), out.String())
	s := out.String()
	t.Log("\n" + s)
	assert.Contains(t, s, "converged")
	assert.Contains(t, s, "after the partition healed")
	// The script's outcome does not depend on timing.
	assert.Contains(t, s, "  visits   25\n")
	assert.Regexp(t, `alice +follows bob,erin +followed by bob,carol,frank`, s)
	assert.Regexp(t, `erin +follows frank +followed by alice,bob,dave`, s)
	assert.Regexp(t, `frank +follows alice,bob,carol +followed by carol,dave,erin`, s)
}

// proc is one node process driven through its standard input and output.
type proc struct {
	t     *testing.T
	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
	addr  string
}

func startProc(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	args = append([]string{"-node", name, "-bind", "127.0.0.1:0", "-gossip", "fast",
		"-data", filepath.Join(t.TempDir(), name)}, args...)
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	cmd.Stderr = &testLogWriter{t: t, prefix: name + " stderr: "}
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	p := &proc{t: t, name: name, cmd: cmd, stdin: stdin, lines: make(chan string, 1024)}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	line := p.expect("ready ")
	p.addr = strings.Fields(line)[1]
	return p
}

// expect returns the next line starting with prefix, skipping others.
func (p *proc) expect(prefix string) string {
	p.t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				p.t.Fatalf("%s exited while waiting for %q", p.name, prefix)
			}
			if strings.HasPrefix(line, prefix) {
				return line
			}
		case <-timeout:
			p.t.Fatalf("%s: no %q line within 30s", p.name, prefix)
		}
	}
}

func (p *proc) send(line string) {
	p.t.Helper()
	_, err := fmt.Fprintln(p.stdin, line)
	require.NoError(p.t, err)
}

// report asks for a report and returns its key lines ("key K DIGEST VALUE")
// by key.
func (p *proc) report() map[string]string {
	p.t.Helper()
	p.send("report")
	p.expect("report ")
	keys := map[string]string{}
	for {
		line := p.expect("")
		if line == "end" {
			return keys
		}
		if f := strings.SplitN(line, " ", 3); len(f) == 3 && f[0] == "key" {
			keys[f[1]] = f[2]
		}
	}
}

type testLogWriter struct {
	t      *testing.T
	prefix string
}

func (w *testLogWriter) Write(b []byte) (int, error) {
	w.t.Log(w.prefix + strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// TestThreeProcessesConverge runs three nodes as separate OS processes
// joined on loopback: each writes before and after the others join, and all
// end up reporting identical digests and values.
func TestThreeProcessesConverge(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three processes")
	}
	const initial, more = 5, 3
	p1 := startProc(t, "n1", "-writes", fmt.Sprint(initial))
	p2 := startProc(t, "n2", "-writes", fmt.Sprint(initial), "-join", p1.addr)
	p3 := startProc(t, "n3", "-writes", fmt.Sprint(initial), "-join", p1.addr+","+p2.addr)
	procs := []*proc{p1, p2, p3}
	for _, p := range procs {
		p.send("write " + fmt.Sprint(more))
	}
	for _, p := range procs {
		p.expect(fmt.Sprintf("wrote %d", more))
	}

	var reports []map[string]string
	deadline := time.Now().Add(60 * time.Second)
	for {
		reports = reports[:0]
		for _, p := range procs {
			reports = append(reports, p.report())
		}
		same := len(reports[0]) > 0
		for _, r := range reports[1:] {
			same = same && fmt.Sprint(r) == fmt.Sprint(reports[0])
		}
		if same {
			break
		}
		if time.Now().After(deadline) {
			for i, r := range reports {
				t.Logf("%s: %v", procs[i].name, r)
			}
			t.Fatal("the processes did not converge within 60s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	r := reports[0]
	// Every write of every process is in the shared counter.
	visits := strings.Fields(r[visitsKey])
	require.Len(t, visits, 2, r[visitsKey])
	assert.Equal(t, fmt.Sprint(3*(initial+more)), visits[1])
	// Each node's user followed user1..user7 in turn (user0 after user6).
	for _, p := range procs {
		v, ok := r[friendshipPrefix+p.name]
		require.True(t, ok, "no friendship of %s in %v", p.name, r)
		assert.Contains(t, v, `"following":["user0","user1","user2","user3","user4","user5","user6"]`)
	}
	for _, p := range procs {
		p.send("members")
		assert.Equal(t, "members n1,n2,n3", p.expect("members "))
	}

	for _, p := range procs {
		p.send("quit")
		done := make(chan error, 1)
		go func() { done <- p.cmd.Wait() }()
		select {
		case err := <-done:
			assert.NoError(t, err, "%s exit", p.name)
		case <-time.After(20 * time.Second):
			t.Errorf("%s did not exit after quit", p.name)
		}
	}
}
