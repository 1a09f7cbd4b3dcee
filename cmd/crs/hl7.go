package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/mllp"
)

// runHL7 works with HL7 v2 messages: send files of messages to an MLLP
// listener and check every acknowledgement, print a message as a tree,
// or configure an inbound interface.
func runHL7(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const synopsis = `hl7 <send|parse|check|interface|map|reprocess|destination> ...

  crs hl7 send FILE... --to HOST:PORT   send each message of each file over MLLP and check its ACK
  crs hl7 parse FILE                    print each message of the file with field names
  crs hl7 check --db DSN --ods CODE --interface NAME FILE... [--json]
                                        dry run: what the interface would make of the files
  crs hl7 interface add|list --db DSN --ods CODE ...
                                        configure inbound interfaces (with their conventions)
  crs hl7 map set|import|list --db DSN --ods CODE --interface NAME ...
                                        the interface's code maps and its unmapped codes
  crs hl7 reprocess --db DSN --ods CODE --interface NAME [--since TIME]
                                        apply the interface's held messages in arrival order
  crs hl7 destination add --db DSN --ods CODE --name NAME --to HOST:PORT --app MSH-5 [--facility MSH-6]
                                        configure an outbound feed of the trust's changes
  crs hl7 destination list --db DSN --ods CODE
                                        list the trust's outbound feeds`
	if len(args) == 0 {
		fmt.Fprintf(stderr, "Usage: crs %s\n", synopsis)
		return errUsage
	}
	switch args[0] {
	case "send":
		return hl7Send(ctx, args[1:], stdout, stderr)
	case "parse":
		return hl7Parse(args[1:], stdout)
	case "check":
		return hl7Check(ctx, args[1:], stdout)
	case "interface":
		return subcommand("hl7 interface", interfaceSynopsis, args[1:], stdout, stderr, map[string]func([]string) error{
			"add":  func(a []string) error { return hl7InterfaceAdd(ctx, a, stdout) },
			"list": func(a []string) error { return hl7InterfaceList(ctx, a, stdout) },
		})
	case "map":
		return runHL7Map(ctx, args[1:], stdout, stderr)
	case "reprocess":
		return hl7Reprocess(ctx, args[1:], stdout)
	case "destination":
		return subcommand("hl7 destination", `hl7 destination <add|list> --db DSN --ods CODE ...

  crs hl7 destination add --db DSN --ods CODE --name NAME --to HOST:PORT --app MSH-5 [flags]
                          configure an outbound feed of the trust's changes
  crs hl7 destination list --db DSN --ods CODE
                          list the trust's outbound feeds`, args[1:], stdout, stderr, map[string]func([]string) error{
			"add":  func(a []string) error { return hl7DestinationAdd(ctx, a, stdout) },
			"list": func(a []string) error { return hl7DestinationList(ctx, a, stdout) },
		})
	case "-h", "--help", "help":
		fmt.Fprintf(stdout, "Usage: crs %s\n", synopsis)
		return nil
	}
	fmt.Fprintf(stderr, "Usage: crs %s\n", synopsis)
	return errUsage
}

// subcommand runs the subcommand of a command group named by args[0]:
// with --help it prints the group's usage on stdout; with nothing or an
// unknown subcommand, on stderr, as a usage error.
func subcommand(group, synopsis string, args []string, stdout, stderr io.Writer, subs map[string]func([]string) error) error {
	if len(args) > 0 {
		if f := subs[args[0]]; f != nil {
			return f(args[1:])
		}
		switch args[0] {
		case "-h", "--help", "help":
			fmt.Fprintf(stdout, "Usage: crs %s\n", synopsis)
			return nil
		}
		fmt.Fprintf(stderr, "crs %s: unknown subcommand %q\n\n", group, args[0])
	}
	fmt.Fprintf(stderr, "Usage: crs %s\n", synopsis)
	return errUsage
}

// splitArgs separates flags from file names, so files may come before
// or after the flags.
func splitArgs(args []string, valued map[string]bool) (flags, files []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if len(a) > 1 && a[0] == '-' {
			flags = append(flags, a)
			name := a
			for len(name) > 0 && name[0] == '-' {
				name = name[1:]
			}
			if valued[name] && i+1 < len(args) {
				i++
				flags = append(flags, args[i])
			}
			continue
		}
		files = append(files, a)
	}
	return flags, files
}

func hl7Send(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("hl7 send", "hl7 send FILE... --to HOST:PORT\n\nSends each message of each file over MLLP, one at a time, and checks each\nacknowledgement: MSA-1 AA (or CA) and MSA-2 equal to the message's MSH-10.\nExits 1 if any message was not accepted.", stdout)
	to := fs.String("to", "127.0.0.1:2575", "the MLLP listener: HOST:PORT")
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait for each acknowledgement")
	ca := fs.String("tls-ca", "", "PEM CA certificates that issued the listener's certificate: send over TLS")
	cert := fs.String("tls-cert", "", "PEM client certificate for mutual TLS; with --tls-key and --tls-ca")
	key := fs.String("tls-key", "", "PEM private key of --tls-cert")
	flags, files := splitArgs(args, map[string]bool{"to": true, "timeout": true, "tls-ca": true, "tls-cert": true, "tls-key": true})
	if err := parseFlags(fs, flags); err != nil {
		return err
	}
	files = append(files, fs.Args()...)
	if len(files) == 0 {
		fs.Usage()
		return errUsage
	}
	tlsConfig, err := clientTLS("tls-", *ca, *cert, *key)
	if err != nil {
		return err
	}
	c := &mllp.Client{Addr: *to, Timeout: *timeout, TLSConfig: tlsConfig}
	defer c.Close()
	sent, failed := 0, 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		for i, raw := range hl7.Split(data) {
			sent++
			where := fmt.Sprintf("%s message %d", file, i+1)
			msg, err := hl7.Parse(raw)
			if err != nil {
				failed++
				fmt.Fprintf(stdout, "FAIL %s: not sent, cannot be read: %v\n", where, err)
				continue
			}
			ctrl := msg.ControlID()
			where += " (MSH-10 " + ctrl + ", " + msg.Type() + ")"
			reply, err := c.Send(ctx, msg.Bytes())
			if err != nil {
				failed++
				fmt.Fprintf(stdout, "FAIL %s: %v\n", where, err)
				continue
			}
			ack, err := hl7.ParseACK(reply)
			switch {
			case err != nil:
				failed++
				fmt.Fprintf(stdout, "FAIL %s: the reply is not an acknowledgement: %v\n", where, err)
			case ack.ControlID != ctrl:
				failed++
				c.Close() // the reply was for another message: start afresh
				fmt.Fprintf(stdout, "FAIL %s: the ACK's MSA-2 %q is not the message's MSH-10\n", where, ack.ControlID)
			case !ack.Accepted():
				failed++
				fmt.Fprintf(stdout, "FAIL %s: %s", where, ack.Code)
				if ack.Text != "" {
					fmt.Fprintf(stdout, " %s", ack.Text)
				}
				for _, e := range ack.Errors {
					loc := ""
					if e.Segment != "" {
						loc = fmt.Sprintf("%s-%d ", e.Segment, e.Field)
					}
					fmt.Fprintf(stdout, "\n     %s%s (code %s)", loc, e.Text, e.Code)
				}
				fmt.Fprintln(stdout)
			default:
				fmt.Fprintf(stdout, "ok   %s: %s", where, ack.Code)
				if ack.Text != "" {
					fmt.Fprintf(stdout, " %s", ack.Text)
				}
				fmt.Fprintln(stdout)
			}
		}
	}
	fmt.Fprintf(stdout, "%d sent, %d accepted, %d failed\n", sent, sent-failed, failed)
	if sent == 0 {
		return fmt.Errorf("no HL7 messages in %s", strings.Join(files, ", "))
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d messages were not accepted", failed, sent)
	}
	return nil
}

func hl7Parse(args []string, stdout io.Writer) error {
	fs := newFlags("hl7 parse", "hl7 parse FILE\n\nPrints each message of the file as a tree, with the HL7 name of each field.", stdout)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	file := fs.Arg(0)
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	msgs := hl7.Split(data)
	if len(msgs) == 0 {
		return fmt.Errorf("%s: no HL7 messages in the file", file)
	}
	var errs []error
	for i, raw := range msgs {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		m, err := hl7.Parse(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s message %d: %w", file, i+1, err))
			fmt.Fprintf(stdout, "message %d cannot be read: %v\n", i+1, err)
			continue
		}
		fmt.Fprint(stdout, hl7.Pretty(m))
	}
	return errors.Join(errs...)
}

// hl7DestinationAdd configures an outbound feed: the trust's changes go
// to it as HL7 v2.4 ADT messages once `crs serve` runs.
func hl7DestinationAdd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("hl7 destination add", "hl7 destination add --db DSN --ods CODE --name NAME --to HOST:PORT --app MSH-5 [flags]\n\n"+
		"Configures an outbound feed of the trust's changes (registrations, demographics,\nadmissions, transfers, discharges, merges...) as HL7 v2.4 ADT over MLLP.", stdout)
	dsn := fs.String("db", "sqlite:crs-data/crs.db", "the database: sqlite:PATH or postgres://...")
	ods := fs.String("ods", "", "ODS code of the trust whose changes are sent (required)")
	name := fs.String("name", "", `the feed's name, e.g. "Radiology RIS" (required)`)
	to := fs.String("to", "", "the receiving system's MLLP listener: HOST:PORT (required)")
	app := fs.String("app", "", "receiving application, MSH-5 (required)")
	facility := fs.String("facility", "", "receiving facility, MSH-6; the trust's ODS code by default")
	triggers := fs.String("triggers", "", `the trigger events it takes, e.g. "A01 A02 A03"; every one OpenCRS sends if empty`)
	a04 := fs.Bool("a04", false, "send registrations as A04 instead of A28")
	a08 := fs.Bool("a08", false, "send demographic changes as A08 instead of A31")
	useTLS := fs.Bool("tls", false, "speak MLLP over TLS to the receiver (crs serve --feeds-tls-* say what to trust and present)")
	suppress := fs.String("suppress-interface", "", "name of an inbound interface whose own changes are not echoed back to this feed")
	timeout := fs.Duration("ack-timeout", 30*time.Second, "how long to wait for each ACK before closing the connection and sending again")
	attempts := fs.Int("max-attempts", 5, "AE answers tolerated before the feed's head message is suspended")
	xrefIface := fs.String("xref-interface", "", "an inbound interface (name or MSH-3@MSH-4) of the same system: its own patient numbers go back to it in PID-3")
	mapIface := fs.String("map-interface", "", "an inbound interface (name or MSH-3@MSH-4) whose code maps the feed applies in reverse")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required("hl7 destination add", map[string]string{"ods": *ods, "name": *name, "to": *to, "app": *app}); err != nil {
		return err
	}
	db, org, err := openTrust(ctx, *dsn, *ods)
	if err != nil {
		return err
	}
	defer db.Close()
	if *facility == "" {
		*facility = org.ODSCode
	}
	sys := crs.SystemActor(org.ID)
	e := hl7Engine(db, nil)
	d := &crs.Destination{Name: *name, Addr: *to, ReceivingApplication: *app, ReceivingFacility: *facility,
		Triggers: strings.Fields(strings.ToUpper(strings.ReplaceAll(*triggers, ",", " "))), UseA04: *a04, UseA08: *a08, TLS: *useTLS,
		ACKTimeout: *timeout, MaxAttempts: *attempts}
	if *suppress != "" {
		is, err := db.FindInterfaces(ctx, org.ID)
		if err != nil {
			return err
		}
		for _, i := range is {
			if i.Name == *suppress {
				d.SuppressInterfaceID = i.ID
			}
		}
		if d.SuppressInterfaceID == "" {
			return fmt.Errorf("--suppress-interface: no inbound interface called %q in trust %s", *suppress, org.ODSCode)
		}
	}
	if err := destinationCounterparts(ctx, db, org.ID, d, *xrefIface, *mapIface); err != nil {
		return err
	}
	if err := e.AddDestination(ctx, sys, d); err != nil {
		return flagError(err, map[string]string{"name": "--name", "addr": "--to"})
	}
	fmt.Fprintf(stdout, "outbound feed %s added: %s's changes go to %s^%s at %s\n", d.Name, org.ODSCode, d.ReceivingApplication, d.ReceivingFacility, d.Addr)
	return nil
}

// hl7DestinationList lists a trust's outbound feeds.
func hl7DestinationList(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("hl7 destination list", "hl7 destination list --db DSN --ods CODE", stdout)
	dsn := fs.String("db", "sqlite:crs-data/crs.db", "the database: sqlite:PATH or postgres://...")
	ods := fs.String("ods", "", "ODS code of the trust (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required("hl7 destination list", map[string]string{"ods": *ods}); err != nil {
		return err
	}
	db, org, err := openTrust(ctx, *dsn, *ods)
	if err != nil {
		return err
	}
	defer db.Close()
	ds, err := db.FindDestinations(ctx, org.ID)
	if err != nil {
		return err
	}
	if len(ds) == 0 {
		fmt.Fprintf(stdout, "no outbound feeds in %s yet: add one with crs hl7 destination add\n", org.ODSCode)
		return nil
	}
	for _, d := range ds {
		triggers := "all"
		if len(d.Triggers) > 0 {
			triggers = strings.Join(d.Triggers, " ")
		}
		state := "enabled"
		if !d.Enabled {
			state = "disabled"
		}
		if d.TLS {
			state += ", TLS"
		}
		fmt.Fprintf(stdout, "%-20s %-22s %s^%s  triggers: %s  %s\n", d.Name, d.Addr, d.ReceivingApplication, d.ReceivingFacility, triggers, state)
	}
	return nil
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'A' && c <= 'Z':
			b[i] = c + 32
		case (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'):
		default:
			b[i] = '-'
		}
	}
	return string(b)
}

// randomPassword is the password of an interface user, which never logs
// in to the web UI.
func randomPassword() string { return crs.NewID() + crs.NewID() }

// clientTLS reads the TLS settings of an MLLP client from the flags
// --<prefix>ca, --<prefix>cert and --<prefix>key: none without a CA; a
// client certificate for mutual TLS when one is given.
func clientTLS(prefix, caFile, certFile, keyFile string) (*tls.Config, error) {
	ca, cert, key := "--"+prefix+"ca", "--"+prefix+"cert", "--"+prefix+"key"
	if caFile == "" {
		if certFile != "" || keyFile != "" {
			return nil, fmt.Errorf("%w: %s and %s need %s, the CA that issued the listener's certificate", errUsage, cert, key, ca)
		}
		return nil, nil
	}
	pool, err := readCertPool(ca, caFile)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if certFile != "" || keyFile != "" {
		if certFile == "" || keyFile == "" {
			return nil, fmt.Errorf("%w: mutual TLS needs both %s and %s", errUsage, cert, key)
		}
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("%s %s, %s %s: %w", cert, certFile, key, keyFile, err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// readCertPool reads the PEM certificates of the file a flag names.
func readCertPool(flagName, file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flagName, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s %s: no PEM certificate in it", flagName, file)
	}
	return pool, nil
}
