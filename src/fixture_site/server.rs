//! The HTTP server: axum on 127.0.0.1, one listener for every host, dispatch
//! on the `Host` header (port ignored), transport faults and a request log.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Serialize;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::faults::{self, FaultConfig, Transport};
use super::{FixturePage, RenderOpts, World};

/// One request the server saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoggedRequest {
    pub host: String,
    pub path_and_query: String,
    pub method: String,
    pub user_agent: Option<String>,
    /// `If-None-Match` or `If-Modified-Since` was sent.
    pub conditional: bool,
    /// Status sent; 0 when the connection was reset without a response.
    pub status: u16,
    /// Milliseconds since the server started, when the request arrived.
    pub at_ms: u64,
}

struct Shared {
    world: Arc<World>,
    faults: RwLock<FaultConfig>,
    drift: AtomicBool,
    log: Mutex<Vec<LoggedRequest>>,
    counts: Mutex<HashMap<String, u32>>,
    started: std::time::Instant,
}

/// A running fixture server.
pub struct FixtureServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for FixtureServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FixtureServer")
            .field("addr", &self.addr)
            .finish()
    }
}

impl FixtureServer {
    /// Bind 127.0.0.1:`port` (0 = any free port) and serve `world`.
    pub async fn start(world: Arc<World>, port: u16) -> anyhow::Result<FixtureServer> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let faults = world.config().faults.clone();
        let shared = Arc::new(Shared {
            drift: AtomicBool::new(faults.drift),
            faults: RwLock::new(faults),
            world,
            log: Mutex::new(Vec::new()),
            counts: Mutex::new(HashMap::new()),
            started: std::time::Instant::now(),
        });
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = rx.await;
            });
            if let Err(e) = serve.await {
                tracing::warn!("fixture server stopped: {e}");
            }
        });
        Ok(FixtureServer {
            addr,
            shared,
            stop: Some(tx),
            task: Some(task),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn world(&self) -> &Arc<World> {
        &self.shared.world
    }

    /// Every request so far, in order.
    pub fn request_log(&self) -> Vec<LoggedRequest> {
        self.shared
            .log
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default()
    }

    /// Clears the log and the per-URL request counters that drive fault bursts.
    pub fn clear_log(&self) {
        if let Ok(mut l) = self.shared.log.lock() {
            l.clear();
        }
        if let Ok(mut c) = self.shared.counts.lock() {
            c.clear();
        }
    }

    /// Replace the fault switches (also sets drift to `faults.drift`) and
    /// restart the per-URL burst counters.
    pub fn set_faults(&self, faults: FaultConfig) {
        self.shared.drift.store(faults.drift, Ordering::SeqCst);
        if let Ok(mut f) = self.shared.faults.write() {
            *f = faults;
        }
        if let Ok(mut c) = self.shared.counts.lock() {
            c.clear();
        }
    }

    /// Turn the layout drift of the PMA directory on or off.
    pub fn set_drift(&self, on: bool) {
        self.shared.drift.store(on, Ordering::SeqCst);
    }

    /// Stop accepting connections and wait (at most two seconds) for the server task.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(2), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}

impl Drop for FixtureServer {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

fn header_str(h: &HeaderMap, name: header::HeaderName) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

async fn handle(State(st): State<Arc<Shared>>, req: Request) -> Response {
    let headers = req.headers();
    let host_raw = header_str(headers, header::HOST)
        .or_else(|| req.uri().host().map(str::to_string))
        .unwrap_or_default();
    let host = host_raw
        .rsplit_once(':')
        .map_or(host_raw.as_str(), |(h, _)| h)
        .to_ascii_lowercase();
    let pq = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    let path = pq.split('?').next().unwrap_or("/").to_string();
    let inm = header_str(headers, header::IF_NONE_MATCH);
    let ims = header_str(headers, header::IF_MODIFIED_SINCE);
    let mut entry = LoggedRequest {
        host: host.clone(),
        path_and_query: pq.clone(),
        method: req.method().to_string(),
        user_agent: header_str(headers, header::USER_AGENT),
        conditional: inm.is_some() || ims.is_some(),
        status: 0,
        at_ms: st.started.elapsed().as_millis() as u64,
    };
    let faults = st.faults.read().map(|f| f.clone()).unwrap_or_default();
    let n = st
        .counts
        .lock()
        .map(|mut c| {
            let k = c.entry(format!("{host}{pq}")).or_insert(0);
            *k += 1;
            *k
        })
        .unwrap_or(1);
    let delay = faults::delay_ms(&faults, &host);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let mut opts = RenderOpts::from_faults(&faults);
    opts.drift = st.drift.load(Ordering::SeqCst);
    let transport = faults::transport(&faults, &host, &path, n);
    let page = st.world.render(&host, &pq, opts);
    let resp = match (transport, page) {
        (Some(Transport::RateLimit), _) => {
            let mut p = FixturePage::with_type(
                429,
                "text/html; charset=utf-8",
                b"<html><body><h1>429 Too Many Requests</h1><p>Slow down.</p></body></html>"
                    .to_vec(),
            );
            p.headers.push(("Retry-After".into(), "1".into()));
            to_response(p, None)
        }
        (Some(Transport::Error(code)), _) => {
            let msg = if code == 503 {
                "503 Service Temporarily Unavailable"
            } else {
                "500 Internal Server Error"
            };
            let p = FixturePage::with_type(
                code,
                "text/html; charset=utf-8",
                format!("<html><body><h1>{msg}</h1></body></html>").into_bytes(),
            );
            to_response(p, None)
        }
        (Some(Transport::Reset), _) => {
            entry.status = 0;
            log(&st, entry);
            let stream = futures::stream::once(async {
                Err::<Bytes, std::io::Error>(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "fault: reset",
                ))
            });
            return Response::new(Body::from_stream(stream));
        }
        (Some(Transport::Truncate), Some(p)) if p.status == 200 => {
            let full = p.body.len();
            let cut = p.body[..full / 2].to_vec();
            to_response(FixturePage { body: cut, ..p }, Some(full))
        }
        (_, Some(p)) => {
            if faults::not_modified(&p, inm.as_deref(), ims.as_deref()) {
                let mut keep = FixturePage::with_type(304, &p.content_type, Vec::new());
                keep.headers = p.headers.clone();
                to_response(keep, None)
            } else {
                to_response(p, None)
            }
        }
        (_, None) => to_response(
            FixturePage::with_type(
                502,
                "text/plain; charset=utf-8",
                format!("unknown host {host:?}: this server only serves the nam fixture world\n")
                    .into_bytes(),
            ),
            None,
        ),
    };
    entry.status = resp.status().as_u16();
    log(&st, entry);
    resp
}

fn log(st: &Shared, e: LoggedRequest) {
    if let Ok(mut l) = st.log.lock() {
        l.push(e);
    }
}

/// Build the HTTP response; `declared_len` forces a (too large) Content-Length.
fn to_response(p: FixturePage, declared_len: Option<usize>) -> Response {
    let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = match declared_len {
        Some(_) => {
            // Send what we have, give hyper time to flush it, then end early:
            // the client sees headers and a body shorter than Content-Length.
            use futures::StreamExt;
            let bytes = Bytes::from(p.body);
            let head = futures::stream::once(async move { Ok::<Bytes, std::io::Error>(bytes) });
            let tail = futures::stream::once(async {
                tokio::time::sleep(Duration::from_millis(50)).await;
                Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "fault: truncated",
                ))
            });
            Body::from_stream(head.chain(tail))
        }
        None if status == StatusCode::NOT_MODIFIED => Body::empty(),
        None => Body::from(p.body),
    };
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&p.content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::SERVER, HeaderValue::from_static("nginx"));
    for (k, v) in &p.headers {
        if let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            h.append(k, v);
        }
    }
    if let Some(n) = declared_len {
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(n));
    }
    resp
}
