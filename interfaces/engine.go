// Package interfaces connects OpenCRS to the other systems of a hospital
// with HL7 v2 over MLLP: it applies the ADT and result messages that
// inbound interfaces send, each as a command on the one write path that
// commits before it is acknowledged, and it feeds every change made
// anywhere out to subscribed systems as ITK-style ADT messages, through
// a transactional outbox and one ordered queue per destination.
//
// Every inbound message is logged raw with what became of it, so an
// interface analyst can search, read, resend, and reprocess what was
// refused once its cause is put right; nothing accepted is ever lost.
package interfaces

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/mllp"
)

// Engine is the integration engine of one OpenCRS deployment: the MLLP
// listener for inbound interfaces, the outbound feeds and the analyst's
// view of both. Make one with New.
type Engine struct {
	// DB is the store changes are applied to, through the one write path.
	DB crs.Store
	// Logger receives operational logs (ids only, never patient details).
	Logger *slog.Logger
	// Metrics counts messages in and out for /metrics.
	Metrics *Metrics
	// Zone is where the trust's senders keep time: HL7 times without an
	// offset are read in it. Europe/London by default.
	Zone *time.Location
	// RetryBackoff is the wait before the first retry of a message a
	// destination answered AE or did not answer; it doubles up to
	// MaxBackoff. 1 s and 1 min by default.
	RetryBackoff, MaxBackoff time.Duration
	// TLSConfig, when set, makes the MLLP listener speak TLS; with
	// ClientAuth and ClientCAs set, senders must show a certificate the
	// trust issued (mutual TLS).
	TLSConfig *tls.Config
	// FeedTLSConfig is what outbound feeds marked TLS trust (RootCAs) and
	// present (Certificates, for receivers that ask for mutual TLS); nil
	// trusts the system's CAs and presents nothing.
	FeedTLSConfig *tls.Config
	// ReadTimeout is how long an inbound connection may stay idle; 0 for
	// no limit.
	ReadTimeout time.Duration
	// Orders tracks orders against the status messages (ORR^O02, ORM^O01
	// from the filler) and results that name them; Results files results
	// to the resource store. nil leaves orders untracked and results in
	// the typed tables only.
	Orders  crs.OrderTracker
	Results crs.ResultFiler

	mu      sync.Mutex
	ifaces  map[string]cachedInterfaces // by app|facility
	orgODS  map[string]string           // org id -> ODS code
	senders map[string]*sender          // by destination id
	srv     *mllp.Server
	ctx     context.Context // the senders' context, set by Start
	// sequence wakes the sequencer of the outbound feeds (see
	// crs.FeedQueue.SequenceFeeds) after a change that may have queued messages.
	sequence chan struct{}
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

// New returns the engine over db and registers its outbox hook, which
// renders and queues outbound messages in the transaction of every
// change, and its commit hook, which wakes the senders. Call it once per
// database.
func New(db crs.Store, logger *slog.Logger) *Engine {
	e := newEngine(db, logger)
	e.Metrics.depth = e.queueDepths
	db.OnEvent(e.outbox)
	db.OnEvent(e.orderOutbox)
	db.OnEvent(e.documentOutbox)
	db.OnCommit(e.committed)
	return e
}

// newEngine is an engine over db with its defaults and none of its hooks
// registered: New's, and a check's engine over its dry run.
func newEngine(db crs.Store, logger *slog.Logger) *Engine {
	if logger == nil {
		logger = slog.Default()
	}
	zone, err := time.LoadLocation("Europe/London")
	if err != nil {
		zone = time.UTC
	}
	e := &Engine{
		DB: db, Logger: logger, Metrics: NewMetrics(), Zone: zone,
		RetryBackoff: time.Second, MaxBackoff: time.Minute,
		ifaces: map[string]cachedInterfaces{}, orgODS: map[string]string{}, senders: map[string]*sender{},
		sequence: make(chan struct{}, 1),
	}
	return e
}

// AddInterface configures an inbound interface for the actor's trust.
// The actor needs the administer-settings activity (or is the system).
func (e *Engine) AddInterface(ctx context.Context, a crs.Actor, i *crs.Interface) error {
	err := e.DB.Write(ctx, a, crs.ActAdministerSettings, func(tx crs.Tx) error { return tx.InsertInterface(i) })
	e.forget(i, err)
	return err
}

// forget drops the cached interfaces of i's sender once a change to them
// is committed (err nil), so the next message reads them afresh.
func (e *Engine) forget(i *crs.Interface, err error) {
	if err != nil {
		return
	}
	e.mu.Lock()
	delete(e.ifaces, i.SendingApplication+"|"+i.SendingFacility)
	delete(e.ifaces, i.SendingApplication+"|")
	e.mu.Unlock()
}

// UpdateInterface changes the conventions of one of the trust's inbound
// interfaces (its name, receiving facilities, identifier conventions,
// unknown patients, strict), found by its id. The actor needs the
// administer-settings activity (or is the system).
func (e *Engine) UpdateInterface(ctx context.Context, a crs.Actor, i *crs.Interface) error {
	err := e.DB.Write(ctx, a, crs.ActAdministerSettings, func(tx crs.Tx) error { return tx.UpdateInterface(i) })
	e.forget(i, err)
	return err
}

// AddDestination configures an outbound feed for the actor's trust and,
// when the engine is started, starts its sender.
func (e *Engine) AddDestination(ctx context.Context, a crs.Actor, d *crs.Destination) error {
	if err := e.DB.Write(ctx, a, crs.ActAdministerSettings, func(tx crs.Tx) error { return tx.InsertDestination(d) }); err != nil {
		return err
	}
	e.mu.Lock()
	started := e.ctx != nil
	e.mu.Unlock()
	if started {
		e.startSender(d)
	}
	return nil
}

// Start starts a sender for each configured destination of every trust.
// They run until Close or ctx ends.
func (e *Engine) Start(ctx context.Context) error {
	dests, err := e.DB.FindDestinations(ctx, "")
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.ctx, e.cancel = context.WithCancel(ctx)
	sctx := e.ctx
	e.wg.Add(1)
	e.mu.Unlock()
	go func() {
		defer e.wg.Done()
		e.DB.SequenceFeeds(sctx, e.sequence, e.pokeSenders)
	}()
	for _, d := range dests {
		if d.Enabled {
			e.startSender(d)
		}
	}
	return nil
}

// Listen starts accepting MLLP connections on addr (host:port; port 0
// picks a free one) and returns the address bound. Messages are answered
// until Close.
func (e *Engine) Listen(addr string) (net.Addr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return e.Serve(ln), nil
}

// Serve serves MLLP on a listener already taken, as Listen does, and
// returns its address.
func (e *Engine) Serve(ln net.Listener) net.Addr {
	srv := &mllp.Server{Handler: e, ReadTimeout: e.ReadTimeout, WriteTimeout: 30 * time.Second, TLSConfig: e.TLSConfig, Logger: e.Logger}
	e.mu.Lock()
	e.srv = srv
	e.mu.Unlock()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, mllp.ErrServerClosed) {
			e.Logger.Error("MLLP server stopped", "err", err)
		}
	}()
	e.Logger.Info("serving MLLP", "addr", ln.Addr().String())
	return ln.Addr()
}

// ListenAndServe starts the senders, listens on addr and serves until ctx
// ends, then shuts down gracefully: messages being handled are answered
// first. It is what `crs serve --mllp` runs.
func (e *Engine) ListenAndServe(ctx context.Context, addr string) error {
	if err := e.Start(ctx); err != nil {
		return err
	}
	if _, err := e.Listen(addr); err != nil {
		return err
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return e.Shutdown(sctx)
}

// Shutdown stops accepting messages, waits for those being handled to be
// answered (within ctx), and stops the senders.
func (e *Engine) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	srv, cancel := e.srv, e.cancel
	e.mu.Unlock()
	var err error
	if srv != nil {
		if err = srv.Shutdown(ctx); err != nil {
			srv.Close()
		}
	}
	if cancel != nil {
		cancel()
	}
	e.wg.Wait()
	return err
}

// Close stops the listener and the senders at once.
func (e *Engine) Close() error {
	e.mu.Lock()
	srv, cancel := e.srv, e.cancel
	e.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
	if cancel != nil {
		cancel()
	}
	e.wg.Wait()
	return nil
}

// interfaceCacheLife is how long the engine keeps an interface's
// configuration before reading it again: conventions changed by another
// process (crs hl7 interface add on a running deployment) apply within it.
const interfaceCacheLife = 10 * time.Second

// cachedInterfaces are a sender's interfaces as read at a time.
type cachedInterfaces struct {
	l  []*crs.InboundInterface
	at time.Time
}

// interfacesFor returns the interfaces sending as app from facility,
// cached for interfaceCacheLife; a miss asks the database each time, so
// an interface added by another process is found.
func (e *Engine) interfacesFor(ctx context.Context, app, facility string) ([]*crs.InboundInterface, error) {
	key := app + "|" + facility
	now := time.Now()
	e.mu.Lock()
	c, ok := e.ifaces[key]
	e.mu.Unlock()
	if ok && now.Sub(c.at) < interfaceCacheLife {
		return c.l, nil
	}
	l, err := e.DB.FindInterfacesBySender(ctx, app, facility)
	if err != nil || len(l) == 0 {
		return nil, err
	}
	e.mu.Lock()
	e.ifaces[key] = cachedInterfaces{l, now}
	for _, i := range l {
		e.orgODS[i.OrgID] = i.OrgODS
	}
	e.mu.Unlock()
	return l, nil
}

// odsOf returns the ODS code of an organisation, cached; lookup finds
// one not cached.
func (e *Engine) odsOf(orgID string, lookup func(orgID string) (string, error)) string {
	e.mu.Lock()
	ods, ok := e.orgODS[orgID]
	e.mu.Unlock()
	if ok {
		return ods
	}
	ods, err := lookup(orgID)
	if err != nil {
		return ""
	}
	e.mu.Lock()
	e.orgODS[orgID] = ods
	e.mu.Unlock()
	return ods
}

// controlID returns a new message control id (MSH-10) of 20 characters,
// the v2.4 limit: the time-ordered part of a new id and 4 random digits.
func controlID() string {
	id := strings.ReplaceAll(crs.NewID(), "-", "")
	return id[:16] + id[28:]
}
