//! The bridge's message sources: MQTT subscriptions and stdin lines, each on its own thread,
//! feeding one channel that the run loop reads.

use rumqttc::{Client, Event, MqttOptions, Packet, QoS};
use std::io::BufRead as _;
use std::sync::mpsc::SyncSender;
use std::time::Duration;

/// What a source sends to the run loop.
#[derive(Debug)]
pub enum Input {
    /// One message, with where it came from (`stdin:LINE` or the MQTT topic).
    Message { source: String, bytes: Vec<u8> },
    /// The source is exhausted (end of stdin).
    Closed,
    /// Stop now (a signal).
    Shutdown,
}

/// Reads stdin lines until end of input.
pub fn stdin(tx: SyncSender<Input>) {
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        for (n, line) in stdin.lock().lines().enumerate() {
            match line {
                Ok(l) if l.trim().is_empty() => {}
                Ok(l) => {
                    let msg = Input::Message {
                        source: format!("stdin:{}", n + 1),
                        bytes: l.into_bytes(),
                    };
                    if tx.send(msg).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    eprintln!("stdin: {e}");
                    break;
                }
            }
        }
        if tx.send(Input::Closed).is_err() {
            // The bridge already stopped reading inputs: nothing is waiting for this one.
        }
    });
}

/// Subscribes to `topics` at `broker` (HOST:PORT), re-subscribing after every reconnection.
pub fn mqtt(
    broker: &str,
    client_id: &str,
    topics: Vec<String>,
    tx: SyncSender<Input>,
) -> anyhow::Result<()> {
    let (host, port) = broker
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h.to_owned(), p.parse::<u16>().ok()?)))
        .ok_or_else(|| anyhow::anyhow!("--mqtt {broker:?}: expected HOST:PORT"))?;
    anyhow::ensure!(!topics.is_empty(), "--mqtt needs at least one --topic");
    let mut options = MqttOptions::new(client_id, host, port);
    options.set_keep_alive(Duration::from_secs(30));
    options.set_max_packet_size(1 << 20, 1 << 20);
    let (client, mut connection) = Client::new(options, 64);
    std::thread::spawn(move || {
        for notification in connection.iter() {
            match notification {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    for t in &topics {
                        if let Err(e) = client.try_subscribe(t.as_str(), QoS::AtLeastOnce) {
                            eprintln!("mqtt: cannot subscribe to {t}: {e}");
                        }
                    }
                }
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    eprintln!("mqtt: subscribed to {}", topics.join(", "));
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let msg = Input::Message {
                        source: format!("mqtt:{}", p.topic),
                        bytes: p.payload.to_vec(),
                    };
                    if tx.send(msg).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    eprintln!("mqtt: {e}; reconnecting");
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
        }
    });
    Ok(())
}

/// Turns SIGINT and SIGTERM into [`Input::Shutdown`].
pub fn signals(tx: SyncSender<Input>) {
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async {
            let Ok(mut term) =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            else {
                return;
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        });
        if tx.send(Input::Shutdown).is_err() {
            // The bridge already stopped reading inputs: it is shutting down anyway.
        }
    });
}
