// echo.go — the echo service written the way Go intends: one goroutine per
// connection, blocking-style reads and writes on the runtime's netpoller. It
// is "Go's server" of design.md §12 that libgmp's thread-per-connection
// echo_server is measured against by scripts/bench echo, which builds it with
// `go build` into the build tree (no modules fetched, nothing vendored).
//
// usage: go_echo [PORT]   (0 or none: any free port)
// Environment: GOMAXPROCS, as for any Go program (scripts/bench sets it to the
// libgmp run's value).
//
// Same contract as tests/programs/echo_server: listens on 127.0.0.1, prints
// "port N" once listening, echoes every byte back until the client closes,
// serves until killed. Go sets TCP_NODELAY on every TCP connection by
// default, as echo_server does by hand.
package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"
)

// serve echoes c until EOF or an error, then closes it. The buffer matches
// echo_server's 16 KiB stack buffer.
func serve(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 16384)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func main() {
	port := 0
	if len(os.Args) > 1 {
		p, err := strconv.Atoi(os.Args[1])
		if err != nil || p < 0 || p > 65535 {
			fmt.Fprintln(os.Stderr, "usage: go_echo [PORT]")
			os.Exit(2)
		}
		port = p
	}
	l, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		fmt.Fprintln(os.Stderr, "go_echo:", err)
		os.Exit(1)
	}
	fmt.Printf("port %d\n", l.Addr().(*net.TCPAddr).Port)
	for {
		c, err := l.Accept()
		if err != nil {
			// Out of descriptors and the like: back off a little and go on,
			// as echo_server does; only a closed listener ends the server.
			if errors.Is(err, net.ErrClosed) {
				fmt.Fprintln(os.Stderr, "go_echo: accept:", err)
				os.Exit(1)
			}
			time.Sleep(5 * time.Millisecond)
			continue
		}
		go serve(c)
	}
}
