//! The loopback HTTP server both emulators run on: axum for routing, hyper per connection so
//! that a fault can close a connection without an answer.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

/// Lets a handler close the connection its request came on (see [`ConnectionControl::drop_now`]).
#[derive(Clone, Debug, Default)]
pub(crate) struct ConnectionControl(Arc<Notify>);

impl ConnectionControl {
    /// Closes the connection without an answer; the handler should then wait forever (it is
    /// dropped with the connection).
    pub(crate) fn drop_now(&self) {
        self.0.notify_one();
    }
}

/// A running server: stopped (listener and every connection) when dropped.
#[derive(Debug)]
pub(crate) struct Server {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Server {
    /// Serves `handler` on `addr` (port 0 for a free one).
    pub(crate) async fn start<H, F>(addr: SocketAddr, handler: H) -> std::io::Result<Self>
    where
        H: Fn(Request) -> F + Clone + Send + Sync + 'static,
        F: Future<Output = Response> + Send + 'static,
    {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let router = Router::new().fallback(move |request: Request| {
            let handler = handler.clone();
            async move { handler(request).await }
        });
        let task = tokio::spawn(accept_loop(listener, router));
        Ok(Self { addr, task })
    }

    /// The address it listens on.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every connection.
        self.task.abort();
    }
}

async fn accept_loop(listener: TcpListener, router: Router) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                connections.spawn(serve_connection(stream, router.clone()));
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn serve_connection(stream: tokio::net::TcpStream, router: Router) {
    let control = ConnectionControl::default();
    let notify = Arc::clone(&control.0);
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let mut request = request.map(Body::new);
        request.extensions_mut().insert(control.clone());
        router.clone().oneshot(request)
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = connection => {}
        _ = notify.notified() => {}
    }
}
