//! The HTTP host: accepts connections on one port, bounded in number and in how long they may stall,
//! and runs each request through the stages of [`super::pipeline`].

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::context::CloudContext;
use super::pipeline::{self, Conn};
use super::registry::Registry;

pub use super::pipeline::DroppedConnection;

pub struct Host {
    pub ctx: Arc<CloudContext>,
    pub registry: Registry,
}

pub async fn serve(host: Arc<Host>, listener: TcpListener) {
    let slots = Arc::new(Semaphore::new(host.ctx.config.max_connections));
    let mut backoff = Backoff::default();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = host.ctx.shutdown_requested() => break,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors (EMFILE) and the like: retrying at once would spin.
                let wait = backoff.failed();
                tracing::warn!(error = %e, retry_in_ms = wait.as_millis() as u64, "accept failed");
                tokio::time::sleep(wait).await;
                continue;
            }
        };
        backoff.reset();
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!(%peer, max = host.ctx.config.max_connections, "connection limit reached; answering 503");
            tokio::spawn(refuse_busy(stream));
            continue;
        };
        tokio::spawn(serve_connection(host.clone(), stream, peer, slot));
    }
}

async fn serve_connection(host: Arc<Host>, stream: TcpStream, peer: SocketAddr, _slot: OwnedSemaphorePermit) {
    let _ = stream.set_nodelay(true);
    let conn = Conn { peer, local: stream.local_addr().ok() };
    let activity = Activity::new();
    let io = TokioIo::new(Tracked { inner: stream, activity: activity.clone() });
    let svc_host = host.clone();
    let svc = service_fn(move |req| {
        let host = svc_host.clone();
        async move { pipeline::handle(&host.ctx, &host.registry, req, conn).await }
    });
    let config = &host.ctx.config;
    let mut builder = http1::Builder::new();
    // hyper runs this timer from the moment it waits for a request head, so it also closes a
    // kept-alive connection that sends nothing, and cuts off a client trickling its headers.
    builder.keep_alive(true).timer(TokioTimer::new()).header_read_timeout(config.header_read_timeout);
    let connection = builder.serve_connection(io, svc);
    tokio::pin!(connection);
    let idle_limit = config.idle_timeout;
    loop {
        let idle = activity.idle_for();
        if idle >= idle_limit {
            tracing::debug!(%peer, "closing a connection idle for {idle:?}");
            return;
        }
        tokio::select! {
            ended = connection.as_mut() => {
                if let Err(e) = ended {
                    tracing::debug!(error = %e, %peer, "connection ended");
                }
                return;
            }
            _ = tokio::time::sleep(idle_limit - idle) => {}
        }
    }
}

/// Over the connection limit: a 503 the SDKs retry, then close.
async fn refuse_busy(mut stream: TcpStream) {
    let body = r#"{"__type":"ServiceUnavailableException","message":"the local cloud serves its maximum number of connections; retry shortly"}"#;
    let head = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\nretry-after: 1\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Doubling waits between failed accepts: 10 ms, 20 ms, … up to 1 s; reset by a success.
#[derive(Debug)]
struct Backoff {
    next: Duration,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(10);
    const MAX: Duration = Duration::from_secs(1);

    fn failed(&mut self) -> Duration {
        let wait = self.next;
        self.next = (wait * 2).min(Self::MAX);
        wait
    }

    fn reset(&mut self) {
        self.next = Self::FIRST;
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { next: Self::FIRST }
    }
}

/// When a connection last moved a byte, in milliseconds since it opened.
#[derive(Clone)]
struct Activity {
    opened: Instant,
    last_ms: Arc<AtomicU64>,
}

impl Activity {
    fn new() -> Self {
        Activity { opened: Instant::now(), last_ms: Arc::new(AtomicU64::new(0)) }
    }

    fn touch(&self) {
        self.last_ms.store(self.opened.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    fn idle_for(&self) -> Duration {
        let last = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        self.opened.elapsed().saturating_sub(last)
    }
}

/// A socket that records its activity for the idle timeout.
struct Tracked {
    inner: TcpStream,
    activity: Activity,
}

impl AsyncRead for Tracked {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_accepts_back_off_doubling_to_a_second_and_a_success_resets() {
        let mut b = Backoff::default();
        let waits: Vec<u64> = (0..9).map(|_| b.failed().as_millis() as u64).collect();
        assert_eq!(waits, [10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        b.reset();
        assert_eq!(b.failed(), Duration::from_millis(10));
    }
}
