//! Response bodies written while the request is open (event streams): a task pushes frames into a
//! channel and the host sends each as it comes. The body ends when the task drops its sender; when
//! the client goes away the receiver is dropped, which tells the task to stop.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::body::{Body, Frame};
use tokio::sync::mpsc;

pub struct ChannelBody {
    rx: mpsc::Receiver<Bytes>,
}

impl ChannelBody {
    /// A sender for the producing task and the body that delivers what it sends, `depth` frames ahead.
    pub fn channel(depth: usize) -> (mpsc::Sender<Bytes>, ChannelBody) {
        let (tx, rx) = mpsc::channel(depth);
        (tx, ChannelBody { rx })
    }
}

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.rx.poll_recv(cx).map(|frame| frame.map(|bytes| Ok(Frame::data(bytes))))
    }
}

/// What the host answers with: a whole body, or a stream.
pub type HostBody = Either<Full<Bytes>, ChannelBody>;
