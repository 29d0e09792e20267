// Package server runs castellan's HTTP server: TLS (or plain HTTP when asked for), timeouts, and a
// graceful shutdown that lets in-flight requests finish.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Options configure Run.
type Options struct {
	// TLS is the server certificate; nil means plain HTTP.
	TLS *tls.Certificate
	// ShutdownTimeout bounds how long in-flight requests may run after ctx is cancelled.
	ShutdownTimeout time.Duration
	Logger          *slog.Logger
}

// Listen opens the listening socket, with an error that names the address when it is taken.
func Listen(ctx context.Context, addr string) (net.Listener, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ln, nil
}

// New returns an http.Server with castellan's timeouts. Slow clients cannot hold connections open
// forever; the write timeout leaves room for a large sync or export.
func New(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// Run serves h on ln until ctx is cancelled, then shuts down gracefully.
func Run(ctx context.Context, ln net.Listener, h http.Handler, opts Options) error {
	srv := New(h, opts.Logger)
	if opts.TLS != nil {
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{*opts.TLS}}
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	opts.Logger.Info("shutting down", "grace", opts.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), opts.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
