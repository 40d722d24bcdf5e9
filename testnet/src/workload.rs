//! The load tools' workload: a shipment declared by the shipper, reefer devices registered by
//! the carrier, and realistic sensor reports pre-signed by those devices on every core.
//!
//! Shared by `load`, `chaos` and `bench`: each sets the workload up once, then pre-signs as
//! many events as its window needs before the window starts (signing is the client's cost,
//! measured and reported apart from the network's).

use crate::network::Network;
use crate::setup::{self, now_ms};
use anyhow::{Result, bail};
use std::path::Path;
use std::time::{Duration, Instant};
use tradeledger_sdk::client::Client;
use tradeledger_sdk::signer::{SeqFile, Signer};
use tradeledger_types::*;

/// Pre-signed events in submission order, with their ids.
#[derive(Debug, Default)]
pub struct Presigned {
    /// Event ids, `ids[i]` of `events[i]`.
    pub ids: Vec<EventId>,
    /// The signed events, in the order they are to be posted.
    pub events: Vec<SignedEvent>,
    /// Signing rate achieved (events/s over all signing threads).
    pub signing_per_s: f64,
}

impl Presigned {
    /// Number of events.
    pub fn len(&self) -> usize {
        self.ids.len()
    }
}

/// A declared shipment and its registered devices, ready to sign readings.
#[derive(Debug)]
pub struct Workload {
    /// The shipment every reading refers to.
    pub shipment: String,
    signers: Vec<Signer>,
}

impl Workload {
    /// Declares a fresh shipment (as the shipper) and registers `devices` reefer devices (as the
    /// carrier) through `admin`, and waits until all of it is committed and applied.
    pub async fn setup(
        dir: &Path,
        network: &Network,
        admin: &Client,
        devices: usize,
    ) -> Result<Workload> {
        let chain_id = network.chain_id.clone();
        let shipment = format!("LOAD-{:06}", now_ms() % 1_000_000);
        eprintln!("setup: registering {devices} reefer devices and declaring {shipment}");
        let identity = |name: &str| -> Result<Signer> {
            let id = network.identity(name)?;
            let key = setup::read_key(&dir.join(&id.key))?;
            Ok(SeqFile::new(dir.join("keys").join(format!("{name}.seq")))
                .restore_signer(key, &chain_id)?)
        };
        let mut carrier = identity("carrier")?;
        let mut shipper = identity("shipper")?;
        let keys: Vec<SecretKey> = (0..devices)
            .map(|_| setup::fresh_key())
            .collect::<Result<_>>()?;
        let mut setup_ids = Vec::new();
        let ev = shipper.sign(declaration(&shipment))?;
        setup_ids.push(admin.submit(&ev).await?.id);
        for (i, d) in keys.iter().enumerate() {
            let reg = Payload::DeviceRegistration(DeviceRegistration {
                device_key: d.public(),
                device_id: format!("REEFER-{i:04}"),
                kinds: vec![EventKind::SensorReport],
            });
            let ev = carrier.sign(reg)?;
            setup_ids.push(admin.submit(&ev).await?.id);
        }
        SeqFile::new(dir.join("keys").join("carrier.seq")).store(carrier.next_seq())?;
        SeqFile::new(dir.join("keys").join("shipper.seq")).store(shipper.next_seq())?;
        for id in &setup_ids {
            let s = admin.wait_committed(id, Duration::from_secs(60)).await?;
            if s.details.get("outcome").is_some_and(|o| o != "applied") {
                bail!("setup event {id} was not applied: {:?}", s.details);
            }
        }
        Ok(Workload {
            shipment,
            signers: keys
                .into_iter()
                .map(|k| Signer::new(k, chain_id.clone()))
                .collect(),
        })
    }

    /// A workload that is not registered on any chain (its events would be refused): for
    /// measuring signing and verification alone.
    pub fn offline(devices: usize, chain_id: &str) -> Result<Workload> {
        Ok(Workload {
            shipment: "OFFLINE".into(),
            signers: (0..devices)
                .map(|_| setup::fresh_key().map(|k| Signer::new(k, chain_id)))
                .collect::<Result<_>>()?,
        })
    }

    /// Signs the next `total` readings of ~`event_bytes` bytes on every core. Event `i` of the
    /// result is signed by device `i % devices`, so consecutive events spread over devices and
    /// each device's events stay in sequence order.
    pub fn presign(&mut self, total: usize, event_bytes: usize) -> Result<Presigned> {
        let t = Instant::now();
        let n = self.signers.len();
        let threads = std::thread::available_parallelism().map_or(1, |p| p.get());
        let chunk = n.div_ceil(threads).max(1);
        let shipment = self.shipment.as_str();
        // per_device[d] holds device d's events, in its sequence order.
        let per_device: Vec<Vec<SignedEvent>> = std::thread::scope(|s| {
            let handles: Vec<_> = self
                .signers
                .chunks_mut(chunk)
                .enumerate()
                .map(|(c, group)| {
                    s.spawn(move || -> Result<Vec<Vec<SignedEvent>>> {
                        let mut out = Vec::with_capacity(group.len());
                        for (k, signer) in group.iter_mut().enumerate() {
                            let dev = c * chunk + k;
                            let count = total / n + usize::from(dev < total % n);
                            let mut evs = Vec::with_capacity(count);
                            for _ in 0..count {
                                let seq = signer.next_seq();
                                evs.push(signer.sign_unvalidated(reading(
                                    shipment,
                                    dev,
                                    seq,
                                    event_bytes,
                                ))?);
                            }
                            out.push(evs);
                        }
                        Ok(out)
                    })
                })
                .collect();
            let mut all = Vec::with_capacity(n);
            for h in handles {
                match h.join() {
                    Ok(r) => all.extend(r?),
                    Err(_) => bail!("a signing thread panicked"),
                }
            }
            Ok(all)
        })?;
        let mut iters: Vec<_> = per_device.into_iter().map(Vec::into_iter).collect();
        let mut events = Vec::with_capacity(total);
        while events.len() < total {
            for it in &mut iters {
                if let Some(e) = it.next() {
                    events.push(e);
                }
            }
        }
        // Ids are hashes of the canonical bytes: computed on every core too.
        let ids: Vec<EventId> = std::thread::scope(|s| {
            let per = events.len().div_ceil(threads).max(1);
            let handles: Vec<_> = events
                .chunks(per)
                .map(|c| s.spawn(move || c.iter().map(SignedEvent::id).collect::<Vec<_>>()))
                .collect();
            let mut ids = Vec::with_capacity(events.len());
            for h in handles {
                match h.join() {
                    Ok(c) => ids.extend(c),
                    Err(_) => bail!("an id thread panicked"),
                }
            }
            Ok(ids)
        })?;
        Ok(Presigned {
            ids,
            events,
            signing_per_s: total as f64 / t.elapsed().as_secs_f64().max(1e-9),
        })
    }
}

fn declaration(shipment: &str) -> Payload {
    Payload::ShipmentDeclaration(ShipmentDeclaration {
        shipment_id: shipment.into(),
        exporter: party("mx-avocado-exports", "MX"),
        importer: party("us-fresh-imports", "US"),
        producer: None,
        carrier: "mx-reefer-lines".into(),
        goods: vec![crate::demo::goods(
            1,
            "Fresh Hass avocados",
            "080440",
            20_000,
            "KGM",
            5_000_000,
            "MX",
        )],
        origin_country: "MX".into(),
        destination_country: "US".into(),
        route: vec![
            RouteStop {
                country: "MX".into(),
                locode: None,
            },
            RouteStop {
                country: "US".into(),
                locode: None,
            },
        ],
        epcs: vec![],
        departure_ms: now_ms(),
        arrival_ms: now_ms() + 86_400_000,
    })
}

fn party(org: &str, country: &str) -> Party {
    Party {
        org: Some(org.into()),
        name: org.into(),
        address: "testnet".into(),
        contact: "load@testnet".into(),
        country: country.into(),
    }
}

/// A realistic ~`bytes`-byte reefer reading report, padded with further readings (a millisecond
/// apart, about 20 bytes each). The device id stays the one the device was registered as: a
/// report naming another id contradicts its signing key's registration and is refused.
fn reading(shipment: &str, device: usize, seq: u64, bytes: usize) -> Payload {
    let base = SensorReport {
        shipment_id: shipment.into(),
        device_id: format!("REEFER-{device:04}"),
        readings: vec![Reading {
            kind: SensorKind::Temperature,
            value_milli: 7_000 + (seq % 500) as i64,
            unit: "CEL".into(),
            time_ms: now_ms(),
        }],
        stats: vec![],
        series_len: 1,
        series_root: None,
    };
    // The envelope adds ~130 bytes (chain id, key, seq, signature).
    let current = codec::to_canonical(&base).len() + 130;
    let mut p = base;
    if bytes > current {
        let t = p.readings[0].time_ms;
        p.readings
            .extend((0..(bytes - current) / 20).map(|i| Reading {
                kind: SensorKind::Temperature,
                value_milli: 7_000,
                unit: "CEL".into(),
                time_ms: t + 1 + i as u64,
            }));
    }
    p.series_len = u32::try_from(p.readings.len()).unwrap_or(u32::MAX);
    debug_assert!(Payload::SensorReport(p.clone()).validate().is_ok());
    Payload::SensorReport(p)
}
