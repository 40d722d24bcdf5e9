//! A minimal HTTP/1.1 client over std TCP (the tests only need GET and POST with small bodies).

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// A response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// Sends one request; `None` on any transport failure (node down, refused, timed out).
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    content_type: &str,
    body: &[u8],
) -> Option<Reply> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).ok()?;
    s.write_all(body).ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status: u16 = head.split_whitespace().nth(1)?.parse().ok()?;
    let mut body = raw[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body)?;
    }
    Some(Reply { status, body })
}

fn dechunk(mut b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = b.windows(2).position(|w| w == b"\r\n")?;
        let size =
            usize::from_str_radix(std::str::from_utf8(&b[..line_end]).ok()?.trim(), 16).ok()?;
        b = &b[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(b.get(..size)?);
        b = b.get(size + 2..)?;
    }
}

pub fn get(addr: SocketAddr, path: &str) -> Option<Reply> {
    request(addr, "GET", path, "application/json", &[])
}

pub fn post_json(addr: SocketAddr, path: &str, body: &serde_json::Value) -> Option<Reply> {
    request(
        addr,
        "POST",
        path,
        "application/json",
        body.to_string().as_bytes(),
    )
}

pub fn post_cbor(addr: SocketAddr, path: &str, body: &[u8]) -> Option<Reply> {
    request(addr, "POST", path, "application/cbor", body)
}

/// Opens `path` (a server-sent event stream), signals `ready` once the response has started,
/// and reads until `needle` appears or `timeout` passes; returns what was read.
pub fn read_stream_until(
    addr: SocketAddr,
    path: &str,
    needle: &str,
    timeout: Duration,
    ready: std::sync::mpsc::Sender<()>,
) -> String {
    let mut out = String::new();
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(2)) else {
        return out;
    };
    let head = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n");
    if s.write_all(head.as_bytes()).is_err() {
        return out;
    }
    let deadline = std::time::Instant::now() + timeout;
    let mut buf = [0u8; 4096];
    while std::time::Instant::now() < deadline && !out.contains(needle) {
        let _ = s.set_read_timeout(Some(Duration::from_millis(200)));
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                let started = out.contains("\r\n\r\n");
                out.push_str(&String::from_utf8_lossy(&buf[..n]));
                if !started && out.contains("\r\n\r\n") {
                    // The waiter may have timed out already; then nobody needs the signal.
                    ready.send(()).ok();
                }
            }
            Err(_) => continue,
        }
    }
    out
}
