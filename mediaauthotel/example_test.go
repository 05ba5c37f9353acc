package mediaauthotel_test

import (
	"context"
	"fmt"
	"log"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthotel"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// A client whose calls are spans: here recorded in memory, in a program
// exported by the TracerProvider's exporter (OTLP, say).
func ExampleNew() {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	obs, err := mediaauthotel.New(mediaauthotel.WithTracerProvider(tp))
	if err != nil {
		log.Fatal(err)
	}

	srv := mediaauthtest.NewServer() // a fake of the APIs, for the example
	defer srv.Close()
	client, err := mediaauth.New(mediaauth.WithMoviesBaseURL(srv.Movies.URL()), mediaauth.WithObserver(obs))
	if err != nil {
		log.Fatal(err)
	}
	_, err = client.Movies.Login(context.Background(), mediaauthtest.DemoMoviesUsername, "not the password")
	fmt.Println(err != nil)

	for _, s := range spans.Ended() {
		fmt.Printf("%s (%s): %s %q\n", s.Name(), s.SpanKind(), s.Status().Code, s.Status().Description)
	}
	// Output:
	// true
	// POST (client): Error ""
	// Movies.Login (internal): Error "invalid_credentials"
}
