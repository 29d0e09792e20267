package cli_test

import (
	"crypto/tls"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/castellantest"
)

// BenchmarkStartToAlive measures the time from exec of `castellan serve` on SQLite to its first 200
// on /alive over TLS, and the resident memory once it is idle. "fresh" starts on an empty data folder
// (migrations and certificate generation included); "restart" reuses one.
//
//	go test -run '^$' -bench StartToAlive -benchtime 20x ./internal/cli
func BenchmarkStartToAlive(b *testing.B) {
	bin := castellantest.Build(b)
	for _, mode := range []string{"fresh", "restart"} {
		b.Run(mode, func(b *testing.B) {
			reused := b.TempDir()
			var totalRSS float64
			for b.Loop() {
				dir := reused
				if mode == "fresh" {
					dir = b.TempDir()
				}
				totalRSS += startOnce(b, bin, dir)
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/start")
			b.ReportMetric(totalRSS/float64(b.N), "MB-rss-idle")
		})
	}
}

func startOnce(b *testing.B, bin, dataDir string) float64 {
	addr := "127.0.0.1:" + strconv.Itoa(castellantest.FreePort(b))
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "CASTELLAN_ADDR="+addr, "CASTELLAN_DATA_DIR="+dataDir, "CASTELLAN_LOG_LEVEL=warn")
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := client.Get("https://" + addr + "/alive")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			b.Fatal("no /alive answer within 30s")
		}
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	defer b.StartTimer()
	client.CloseIdleConnections()
	time.Sleep(500 * time.Millisecond) // let start-up garbage settle before reading idle memory
	return rssMB(b, cmd.Process.Pid)
}

func rssMB(b *testing.B, pid int) float64 {
	raw, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}
