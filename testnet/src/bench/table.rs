//! The bench report as Markdown: one row per figure, next to its target.

use super::BenchReport;
use super::window::Window;
use std::fmt::Write as _;

fn n(x: f64) -> String {
    // Thousands separated by thin spaces, as in BENCHMARKS.md.
    let v = x.round() as i64;
    let s = v.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    if v < 0 { format!("-{out}") } else { out }
}

fn met(ok: bool) -> &'static str {
    if ok { "yes" } else { "**no**" }
}

fn latency(w: &Window) -> String {
    format!(
        "p50 {:.1} / p95 {:.1} / p99 {:.1} ms",
        w.latency_ms.p50, w.latency_ms.p95, w.latency_ms.p99
    )
}

/// Steady load: the network keeps up with what is offered.
fn steady(w: &Window) -> bool {
    w.committed_per_s >= 0.95 * w.rate as f64
}

/// The report as a Markdown section.
pub fn markdown(r: &BenchReport) -> String {
    let mut o = String::new();
    let m = &r.machine;
    let bound4 = r.verify_per_s / 4.0;
    let bound_n = r.verify_per_s / r.scaling_validators as f64;
    let best = r.best();
    let _ = writeln!(o, "### `tradeledger-testnet bench`, {}", m.date);
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "Machine: {} cores, {}, {:.1} GiB, load average {:.1} at the start. Windows of {} s, {} \
         events per request, ~300-byte signed events pre-signed before each window. Round \
         timeouts from {}.",
        m.cores,
        m.cpu,
        m.memory_gib,
        m.load_average,
        r.window_s,
        r.batch,
        r.curve
            .first()
            .map_or("the nodes' metrics", |w| w.timeouts_source.as_str())
    );
    let _ = writeln!(o);
    let _ = writeln!(o, "| # | measure | measured | target | met |");
    let _ = writeln!(o, "|---|---|---|---|---|");
    let mut row = |what: String, measured: String, target: String, ok: String| {
        let _ = writeln!(
            o,
            "| {} | {what} | {measured} | {target} | {ok} |",
            o.lines().count().saturating_sub(5)
        );
    };
    row(
        "verification bound".into(),
        format!(
            "{} sig/s (ed25519 batches of 256, keys cached, {} threads) → {} events/s for 4 validators, {} for {}",
            n(r.verify_per_s),
            r.verify_threads,
            n(bound4),
            n(bound_n),
            r.scaling_validators
        ),
        "measured in this run".into(),
        "—".into(),
    );
    row(
        "client signing (before the windows)".into(),
        format!("{} events/s on every core", n(r.signing_per_s)),
        "reported separately".into(),
        "—".into(),
    );
    for w in &r.curve {
        let low = w.rate <= 1_000;
        let target = if low {
            "p50 ≤ 20 ms, p99 ≤ 100 ms, no round timeouts".to_owned()
        } else {
            "no round timeouts at steady load".to_owned()
        };
        let ok = if low {
            met(w.latency_ms.p50 <= 20.0 && w.latency_ms.p99 <= 100.0 && w.timeouts == 0).to_owned()
        } else if steady(w) {
            met(w.timeouts == 0).to_owned()
        } else {
            "— (saturated)".to_owned()
        };
        row(
            format!("4 validators, offered {}/s", n(w.rate as f64)),
            format!(
                "committed {}/s (client offered {}/s); {}; {} round timeouts",
                n(w.committed_per_s),
                n(w.offered_per_s),
                latency(w),
                w.timeouts
            ),
            target,
            ok,
        );
    }
    row(
        "maximum throughput, 4 validators".into(),
        format!(
            "{}/s = {:.0}% of the bound",
            n(best.committed_per_s),
            100.0 * best.committed_per_s / bound4.max(1e-9)
        ),
        format!("≥ 60% of the bound ({}/s)", n(0.6 * bound4)),
        met(best.committed_per_s >= 0.6 * bound4).into(),
    );
    let h = &r.half_max;
    row(
        format!("half the maximum, offered {}/s", n(h.rate as f64)),
        format!("committed {}/s; {}", n(h.committed_per_s), latency(h)),
        "p50 ≤ 100 ms".into(),
        met(h.latency_ms.p50 <= 100.0).into(),
    );
    if let Some(s) = r
        .scaling
        .iter()
        .max_by(|a, b| a.committed_per_s.total_cmp(&b.committed_per_s))
    {
        let ratio = s.committed_per_s * r.scaling_validators as f64
            / (best.committed_per_s * 4.0).max(1e-9);
        row(
            format!("maximum throughput, {} validators", r.scaling_validators),
            format!(
                "{}/s at offered {}/s ({}); × {} / (4-validator maximum × 4) = {:.0}%",
                n(s.committed_per_s),
                n(s.rate as f64),
                latency(s),
                r.scaling_validators,
                100.0 * ratio
            ),
            "≥ 80%".into(),
            met(ratio >= 0.8).into(),
        );
    }
    let f = &r.fill;
    row(
        "filling the chain".into(),
        format!(
            "{} events committed in {:.0} s ({}/s, pre-signing included); chain holds {} events",
            n(f.events as f64),
            f.seconds,
            n(f.events_per_s),
            n(f.chain_events as f64)
        ),
        "1 000 000 events".into(),
        met(f.chain_events >= 1_000_000).into(),
    );
    let fl = &r.filled;
    let flat = fl.committed_per_s / best.committed_per_s.max(1e-9);
    row(
        format!(
            "throughput on the filled chain, offered {}/s",
            n(fl.rate as f64)
        ),
        format!(
            "{}/s = {:.0}% of the maximum; {}",
            n(fl.committed_per_s),
            100.0 * flat,
            latency(fl)
        ),
        "≥ 90% of the maximum".into(),
        met(flat >= 0.9).into(),
    );
    let q = &r.shipment_ms;
    row(
        "`GET /v1/shipments/{id}` on the filled chain".into(),
        format!(
            "p50 {:.2} / p95 {:.2} / p99 {:.2} ms (one shipment holding every load event; {}{})",
            q.p50,
            q.p95,
            q.p99,
            if r.shipment_idle {
                "mempools empty".to_owned()
            } else {
                format!(
                    "mempools still held events after {} s",
                    super::IDLE_MAX.as_secs()
                )
            },
            r.shipment_busy.map_or(String::new(), |b| format!(
                "; cores {:.0}% busy meanwhile",
                100.0 * b
            )),
        ),
        "p99 ≤ 5 ms".into(),
        met(q.p99 <= 5.0).into(),
    );
    match &r.audit {
        Ok(a) => row(
            "`tradeledger audit verify`".into(),
            format!(
                "{} events ({} blocks) in {:.1} s = {} events/s",
                n(a.events as f64),
                n(a.blocks as f64),
                a.seconds,
                n(a.events_per_s)
            ),
            "≥ 30 000 events/s".into(),
            met(a.events_per_s >= 30_000.0).into(),
        ),
        Err(e) => row(
            "`tradeledger audit verify`".into(),
            format!(
                "failed (0 events/s): {}",
                e.replace('|', "/").replace('\n', " ")
            ),
            "≥ 30 000 events/s".into(),
            met(false).into(),
        ),
    }
    let s = &r.sync;
    row(
        "catch-up of a stopped validator".into(),
        format!(
            "{} blocks ({} events) behind: {:.1} s = {} blocks/s, {} events/s = {:.0}% of the maximum",
            n(s.blocks_behind as f64),
            n(s.events as f64),
            s.seconds,
            n(s.blocks_per_s),
            n(s.events_per_s),
            100.0 * s.events_per_s / best.committed_per_s.max(1e-9)
        ),
        "≥ 50% of the maximum, 100 000 blocks behind".into(),
        met(s.events_per_s >= 0.5 * best.committed_per_s && s.blocks_behind >= 100_000).into(),
    );
    o
}
