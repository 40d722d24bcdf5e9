//! A stand-in for the node's `POST /v1/events`: decodes and verifies canonical signed events,
//! keeps them in arrival order, answers 202 for a new id and 409 for a known one (as the node
//! does). It can be stopped and restarted on the same port (an outage), and can lose the reply
//! to one stored submission (the client then re-posts the same bytes).

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use serde_json::json;
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tradeledger_types::{EventId, SignedEvent};

/// What the fake node has seen.
#[derive(Debug, Default)]
pub struct Seen {
    /// Accepted events, in arrival order.
    pub events: Vec<SignedEvent>,
    /// Their ids.
    pub ids: BTreeSet<EventId>,
    /// Posts of an already-known id (answered 409).
    pub duplicates: usize,
    /// Store the next new event but answer 503, as if the reply was lost.
    pub lose_next_reply: bool,
}

type Shared = Arc<Mutex<Seen>>;

async fn post_event(
    State(seen): State<Shared>,
    body: Bytes,
) -> (StatusCode, axum::Json<serde_json::Value>) {
    let event = match SignedEvent::decode(&body) {
        Ok((e, _)) => e,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({"error": "decode", "message": e.to_string()})),
            );
        }
    };
    if let Err(e) = event.verify() {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": "bad_signature", "message": format!("{e:?}")})),
        );
    }
    let id = event.id();
    let mut seen = seen.lock().unwrap();
    if !seen.ids.insert(id) {
        seen.duplicates += 1;
        return (
            StatusCode::CONFLICT,
            axum::Json(json!({"error": "duplicate", "message": "already known"})),
        );
    }
    seen.events.push(event);
    if std::mem::take(&mut seen.lose_next_reply) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({"error": "unavailable", "message": "reply lost"})),
        );
    }
    (
        StatusCode::ACCEPTED,
        axum::Json(json!({"id": id.to_string(), "status": "pending"})),
    )
}

/// The fake node; serves until [`FakeNode::stop`] (or drop).
pub struct FakeNode {
    rt: tokio::runtime::Runtime,
    pub addr: SocketAddr,
    pub seen: Shared,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl FakeNode {
    /// Starts on a free port.
    pub fn start() -> FakeNode {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let mut node = FakeNode {
            rt,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            seen: Shared::default(),
            stop: None,
            task: None,
        };
        node.serve();
        node
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn serve(&mut self) {
        let listener = self
            .rt
            .block_on(tokio::net::TcpListener::bind(self.addr))
            .unwrap();
        self.addr = listener.local_addr().unwrap();
        let app = Router::new()
            .route("/v1/events", post(post_event))
            .with_state(self.seen.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        self.stop = Some(tx);
        self.task = Some(self.rt.spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
        }));
    }

    /// Stops serving: the port refuses connections until [`FakeNode::restart`].
    pub fn stop(&mut self) {
        if let Some(tx) = self.stop.take() {
            // The server task may have ended by itself; then it is stopped already.
            tx.send(()).ok();
        }
        if let Some(task) = self.task.take() {
            self.rt.block_on(task).unwrap();
        }
    }

    /// Serves again on the same port.
    pub fn restart(&mut self) {
        self.serve();
    }

    /// Accepted events so far.
    pub fn count(&self) -> usize {
        self.seen.lock().unwrap().events.len()
    }

    /// A copy of the accepted events.
    pub fn events(&self) -> Vec<SignedEvent> {
        self.seen.lock().unwrap().events.clone()
    }
}

impl Drop for FakeNode {
    fn drop(&mut self) {
        self.stop();
    }
}
