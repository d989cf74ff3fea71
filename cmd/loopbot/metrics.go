package main

import (
	"context"
	"strconv"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/store"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the Prometheus metrics of SPEC §10, on a registry of the app's
// own (no global state).
type metrics struct {
	registry   *prometheus.Registry
	events     *prometheus.CounterVec
	commands   *prometheus.CounterVec
	cardsOut   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	retries    *prometheus.CounterVec
	deadLetter *prometheus.CounterVec
	directory  *prometheus.CounterVec
}

func newMetrics(store bot.Store, today func() bot.Date) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "loopbot_events_in_total",
			Help: "Inbound events handled, by platform, kind and outcome (ok, duplicate or an error code)."}, []string{"platform", "kind", "outcome"}),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "loopbot_commands_total",
			Help: "Commands handled, by outcome."}, []string{"outcome"}),
		cardsOut: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "loopbot_messages_out_total",
			Help: "Messages and card updates delivered, by platform and operation."}, []string{"platform", "op"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "loopbot_delivery_latency_seconds",
			Help: "Time the platform took to accept a delivery.", Buckets: prometheus.DefBuckets}, []string{"platform"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "loopbot_outbox_retries_total",
			Help: "Deliveries retried after a temporary failure."}, []string{"platform"}),
		deadLetter: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "loopbot_outbox_dead_letters_total",
			Help: "Deliveries given up and dead-lettered."}, []string{"platform"}),
		directory: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "loopbot_directory_lookups_total",
			Help: "Contact-API lookups of people, by platform and outcome (ok, forbidden, not_found, error)."}, []string{"platform", "outcome"}),
	}
	depth := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "loopbot_outbox_depth", Help: "Outgoing messages waiting for delivery."},
		func() float64 { return float64(outboxDepth(store)) })
	m.registry.MustRegister(m.events, m.commands, m.cardsOut, m.latency, m.retries, m.deadLetter, m.directory, depth, &loopCollector{store: store, today: today},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if s, ok := store.(sizer); ok {
		m.registry.MustRegister(storeSizeCollector{s})
	}
	return m
}

func outboxDepth(store bot.Store) int {
	n := 0
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = store.View(ctx, func(tx bot.Tx) error {
		var err error
		n, err = tx.OutboxDepth()
		return err
	})
	return n
}

// observeEvent counts a handled event (bot.Engine.Observe).
func (m *metrics) observeEvent(ev bot.Event, outcome string) {
	if outcome == "" {
		outcome = "ok"
	}
	m.events.WithLabelValues(ev.Platform, ev.Kind, outcome).Inc()
	if ev.Kind == bot.EventMessage {
		m.commands.WithLabelValues(outcome).Inc()
	}
}

// directoryLookup counts a contact-API lookup (flows.Config.DirectoryObserved).
func (m *metrics) directoryLookup(platform, outcome string) {
	if m != nil {
		m.directory.WithLabelValues(platform, outcome).Inc()
	}
}

// Delivered implements bot.DeliveryObserver.
func (m *metrics) Delivered(platform, op string, latency time.Duration) {
	m.cardsOut.WithLabelValues(platform, op).Inc()
	m.latency.WithLabelValues(platform).Observe(latency.Seconds())
}

// Retried implements bot.DeliveryObserver.
func (m *metrics) Retried(platform string) { m.retries.WithLabelValues(platform).Inc() }

// DeadLettered implements bot.DeliveryObserver.
func (m *metrics) DeadLettered(platform string) { m.deadLetter.WithLabelValues(platform).Inc() }

// loopCollector reads the loop's gauges from the store at each scrape: open
// escalations by level, and today's check-in participation.
type loopCollector struct {
	store bot.Store
	today func() bot.Date
}

var (
	openEscDesc = prometheus.NewDesc("loopbot_escalations_open", "Open escalations, by ladder level (0 blue, 1 yellow, 2 red).", []string{"level", "color"}, nil)
	askedDesc   = prometheus.NewDesc("loopbot_checkins_asked", "People asked to check in today.", nil, nil)
	answerDesc  = prometheus.NewDesc("loopbot_checkins_answered", "People who answered today's check-in.", nil, nil)
)

// Describe implements prometheus.Collector.
func (c *loopCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- openEscDesc
	ch <- askedDesc
	ch <- answerDesc
}

// Collect implements prometheus.Collector.
func (c *loopCollector) Collect(ch chan<- prometheus.Metric) {
	levels := [3]int{}
	asked, answered := 0, 0
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := c.store.View(ctx, func(tx bot.Tx) error {
		open, err := tx.OpenEscalations()
		if err != nil {
			return err
		}
		for _, e := range open {
			if e.Level >= 0 && e.Level < len(levels) {
				levels[e.Level]++
			}
		}
		prompts, err := tx.Prompts(c.today())
		for _, p := range prompts {
			asked++
			if !p.Answered.IsZero() {
				answered++
			}
		}
		return err
	})
	if err != nil {
		return
	}
	for level, n := range levels {
		ch <- prometheus.MustNewConstMetric(openEscDesc, prometheus.GaugeValue, float64(n), strconv.Itoa(level), bot.LevelColor(level))
	}
	ch <- prometheus.MustNewConstMetric(askedDesc, prometheus.GaugeValue, float64(asked))
	ch <- prometheus.MustNewConstMetric(answerDesc, prometheus.GaugeValue, float64(answered))
}

// sizer is a store that knows its file's size and what its commits wrote
// (store.DB).
type sizer interface {
	Size() (store.Size, error)
	Written() store.Written
}

// storeSizeCollector reports the store file's size and its live part, so
// that an admin sees when `loopbot compact` would give space back.
type storeSizeCollector struct{ s sizer }

var (
	fileBytesDesc = prometheus.NewDesc("loopbot_store_file_bytes", "Size of the store file in bytes.", nil, nil)
	liveBytesDesc = prometheus.NewDesc("loopbot_store_live_bytes",
		"Bytes of the store file's pages in use; the rest is free space that bbolt reuses and `loopbot compact` gives back.", nil, nil)
	writtenBytesDesc = prometheus.NewDesc("loopbot_store_written_bytes_total",
		"Bytes of pages the store's commits wrote since the service started (a changed record costs its whole page, 4 KiB on most machines).", nil, nil)
	writeSecondsDesc = prometheus.NewDesc("loopbot_store_write_seconds_total",
		"Seconds the store's commits spent writing their pages and syncing them to disk since the service started.", nil, nil)
)

// Describe implements prometheus.Collector.
func (c storeSizeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- fileBytesDesc
	ch <- liveBytesDesc
	ch <- writtenBytesDesc
	ch <- writeSecondsDesc
}

// Collect implements prometheus.Collector.
func (c storeSizeCollector) Collect(ch chan<- prometheus.Metric) {
	size, err := c.s.Size()
	if err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(fileBytesDesc, prometheus.GaugeValue, float64(size.File))
	ch <- prometheus.MustNewConstMetric(liveBytesDesc, prometheus.GaugeValue, float64(size.Live))
	w := c.s.Written()
	ch <- prometheus.MustNewConstMetric(writtenBytesDesc, prometheus.CounterValue, float64(w.Bytes))
	ch <- prometheus.MustNewConstMetric(writeSecondsDesc, prometheus.CounterValue, w.Time.Seconds())
}
