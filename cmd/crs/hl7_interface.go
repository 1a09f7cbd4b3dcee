package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
)

const interfaceSynopsis = `hl7 interface <add|list> --db DSN --ods CODE ...

  crs hl7 interface add --db DSN --ods CODE --app MSH-3 --facility MSH-4 [--name NAME]
        [--receiving-facility VALUE]... [--nhs-id AUTHORITY^TYPE]... [--local-id AUTHORITY^TYPE]...
        [--unknown-patient register|hold] [--strict]
                          configure an inbound interface: messages from the sending
                          application (MSH-3) at the facility (MSH-4) are applied to
                          the trust as a user of the interface role
  crs hl7 interface list --db DSN --ods CODE
                          list the trust's inbound interfaces and their conventions

The trust must exist (crs trust add).`

// multiFlag is a flag that may be given many times.
type multiFlag []string

// String lists the values given.
func (m *multiFlag) String() string { return strings.Join(*m, ",") }

// Set adds one value.
func (m *multiFlag) Set(v string) error {
	*m = append(*m, v)
	return nil
}

// hl7InterfaceAdd configures an inbound interface of a trust already in
// the database, with the interface user it acts as and the conventions
// of its sender. Adding a sender (MSH-3 and MSH-4) again sets its
// conventions to those given, so a go-live script may run it again. It lets a deployment (and the crash test) be set up
// before `crs serve` starts.
func hl7InterfaceAdd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("hl7 interface add", strings.TrimPrefix(strings.SplitN(interfaceSynopsis, "\n  crs hl7 interface list", 2)[0], "hl7 interface <add|list> --db DSN --ods CODE ...\n\n  crs "), stdout)
	dsn := fs.String("db", "sqlite:crs-data/crs.db", "the database: sqlite:PATH or postgres://...")
	ods := fs.String("ods", "", "ODS code of the receiving trust (MSH-6), added before with crs trust add (required)")
	app := fs.String("app", "", "sending application (MSH-3)")
	facility := fs.String("facility", "", "sending facility (MSH-4); the trust's own ODS code by default")
	name := fs.String("name", "", "the interface's name; MSH-3 at MSH-4 by default")
	var rcv, nhsIDs, localIDs multiFlag
	fs.Var(&rcv, "receiving-facility", "a value of MSH-6 (or MSH-5) the sender uses for this trust besides its ODS code (repeatable)")
	fs.Var(&nhsIDs, "nhs-id", "AUTHORITY^TYPE marking the NHS number in PID-3, besides ^^^NHS^NH, NHS^NHS, NHSNBR^NHSNMBR and the NHS number OID (repeatable)")
	fs.Var(&localIDs, "local-id", "AUTHORITY^TYPE marking the sender's own patient number in PID-3, kept as a cross-reference (repeatable)")
	unknown := fs.String("unknown-patient", "", "what a message about a patient the trust does not know does: register (from PID/PD1, after the duplicate check) or hold")
	strict := fs.Bool("strict", false, "refuse a message holding an unmapped code in any coded field, instead of storing it as received with a warning")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required("hl7 interface add", map[string]string{"ods": *ods, "app": *app}); err != nil {
		return err
	}
	i := &crs.Interface{Name: *name, SendingApplication: *app, SendingFacility: *facility, ReceivingFacilities: rcv,
		UnknownPatient: strings.ToLower(strings.TrimSpace(*unknown)), Strict: *strict}
	for _, list := range []struct {
		flag string
		in   []string
		out  *[]crs.IDConvention
	}{{"--nhs-id", nhsIDs, &i.NHSIDs}, {"--local-id", localIDs, &i.LocalIDs}} {
		for _, v := range list.in {
			c, err := crs.ParseIDConvention(v)
			if err != nil {
				return fmt.Errorf("%w: %s: %s", errUsage, list.flag, crs.ErrorMessage(err))
			}
			*list.out = append(*list.out, c)
		}
	}
	db, org, err := openTrust(ctx, *dsn, *ods)
	if err != nil {
		return err
	}
	defer db.Close()
	if i.SendingFacility == "" {
		i.SendingFacility = org.ODSCode
	}
	sys := crs.SystemActor(org.ID)
	is, err := db.FindInterfaces(ctx, org.ID)
	if err != nil {
		return err
	}
	for _, old := range is {
		if old.SendingApplication == i.SendingApplication && old.SendingFacility == i.SendingFacility {
			// Added before: the conventions given replace its own.
			i.ID = old.ID
			if i.Name == "" {
				i.Name = old.Name
			}
			if err := hl7Engine(db, nil).UpdateInterface(ctx, sys, i); err != nil {
				return flagError(err, map[string]string{"name": "--name", "unknown_patient": "--unknown-patient", "nhs_ids": "--nhs-id", "local_ids": "--local-id"})
			}
			fmt.Fprintf(stdout, "interface %s updated: messages from %s at %s to %s take the conventions given\n", i.Name, i.SendingApplication, i.SendingFacility, org.ODSCode)
			return nil
		}
	}
	if i.Name == "" {
		i.Name = i.SendingApplication + " at " + i.SendingFacility
	}
	u := &crs.User{Username: fmt.Sprintf("hl7.%s.%s", lowerASCII(i.SendingApplication), lowerASCII(i.SendingFacility)), Name: "Interface " + i.Name, Role: crs.RoleInterface}
	if err := store.NewUserService(db).CreateUser(ctx, sys, u, randomPassword()); err != nil {
		return err
	}
	i.UserID = u.ID
	e := hl7Engine(db, nil)
	if err := e.AddInterface(ctx, sys, i); err != nil {
		return flagError(err, map[string]string{"name": "--name", "sending_application": "--app", "sending_facility": "--facility",
			"unknown_patient": "--unknown-patient", "nhs_ids": "--nhs-id", "local_ids": "--local-id"})
	}
	fmt.Fprintf(stdout, "interface %s added: messages from %s at %s to %s act as user %s\n", i.ID, i.SendingApplication, i.SendingFacility, org.ODSCode, u.Username)
	return nil
}

// hl7InterfaceList lists a trust's inbound interfaces with their
// conventions.
func hl7InterfaceList(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("hl7 interface list", "hl7 interface list --db DSN --ods CODE", stdout)
	dsn := fs.String("db", "sqlite:crs-data/crs.db", "the database: sqlite:PATH or postgres://...")
	ods := fs.String("ods", "", "ODS code of the trust (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required("hl7 interface list", map[string]string{"ods": *ods}); err != nil {
		return err
	}
	db, org, err := openTrust(ctx, *dsn, *ods)
	if err != nil {
		return err
	}
	defer db.Close()
	is, err := db.FindInterfaces(ctx, org.ID)
	if err != nil {
		return err
	}
	if len(is) == 0 {
		fmt.Fprintf(stdout, "no inbound interfaces in %s yet: add one with crs hl7 interface add\n", org.ODSCode)
		return nil
	}
	for _, i := range is {
		fmt.Fprint(stdout, interfaceLine(i))
	}
	return nil
}

// interfaceLine describes an interface in one line.
func interfaceLine(i *crs.Interface) string {
	conv := func(cs []crs.IDConvention) string {
		var s []string
		for _, c := range cs {
			s = append(s, c.String())
		}
		return strings.Join(s, ",")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-24s %-24s", i.Name, i.Sender())
	if len(i.ReceivingFacilities) > 0 {
		fmt.Fprintf(&b, " receiving-facility=%s", strings.Join(i.ReceivingFacilities, ","))
	}
	if len(i.NHSIDs) > 0 {
		fmt.Fprintf(&b, " nhs-id=%s", conv(i.NHSIDs))
	}
	if len(i.LocalIDs) > 0 {
		fmt.Fprintf(&b, " local-id=%s", conv(i.LocalIDs))
	}
	if i.UnknownPatient != "" {
		fmt.Fprintf(&b, " unknown-patient=%s", i.UnknownPatient)
	}
	if i.Strict {
		b.WriteString(" strict")
	}
	if !i.Enabled {
		b.WriteString(" disabled")
	}
	b.WriteString("\n")
	return b.String()
}

// destinationCounterparts sets the options of an outbound feed that name
// an inbound interface of the same system: whose own patient numbers go
// back (--xref-interface) and whose code maps apply in reverse
// (--map-interface).
func destinationCounterparts(ctx context.Context, db *store.DB, orgID string, d *crs.Destination, xrefIface, mapIface string) error {
	if xrefIface == "" && mapIface == "" {
		return nil
	}
	is, err := db.FindInterfaces(ctx, orgID)
	if err != nil {
		return err
	}
	if xrefIface != "" {
		i, err := crs.FindInterface(is, xrefIface)
		if err != nil {
			return fmt.Errorf("--xref-interface: %s", crs.ErrorMessage(err))
		}
		if len(i.LocalIDs) == 0 {
			return fmt.Errorf("--xref-interface: interface %s has no --local-id: it keeps no numbers of its own to carry back", i.Name)
		}
		d.XrefSystem, d.XrefID = i.Sender(), i.LocalIDs[0]
	}
	if mapIface != "" {
		i, err := crs.FindInterface(is, mapIface)
		if err != nil {
			return fmt.Errorf("--map-interface: %s", crs.ErrorMessage(err))
		}
		d.MapInterfaceID = i.ID
	}
	return nil
}
