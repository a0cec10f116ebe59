//! Streaming every page of a Linode list, one page ahead of the consumer: the child-account
//! list of [`super::LinodeClient::child_accounts`] and every paginated operation of the typed
//! calls (`<method>_stream`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use futures::Stream;
use tokio::task::JoinHandle;
use tracing::Instrument;

use super::models::Page;
use crate::error::Error;

/// Fetches one page by its number (from 1).
pub(crate) type FetchPage<T> =
    Arc<dyn Fn(u64) -> BoxFuture<'static, Result<Page<T>, Error>> + Send + Sync>;

/// A spawned page request, aborted when dropped.
struct Prefetch<T>(JoinHandle<T>);

impl<T> Drop for Prefetch<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> Future for Prefetch<T> {
    type Output = Option<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map(|joined| match joined {
            Ok(value) => Some(value),
            // A panic in the page request is the caller's panic.
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => None,
        })
    }
}

type PageResult<T> = Result<Page<T>, Error>;

enum Next<T> {
    /// The first page is requested on the first poll (spawning needs a runtime).
    Start,
    /// Page `.0` is being fetched.
    Fetching(u64, Prefetch<PageResult<T>>),
    /// No page is left, or an error ended the stream.
    Done,
}

struct State<T> {
    fetch: FetchPage<T>,
    /// The page size asked for; a page this full suggests another when the answer gives no
    /// page count.
    page_size: usize,
    items: std::vec::IntoIter<T>,
    next: Next<T>,
}

impl<T: Send + 'static> State<T> {
    fn spawn(&self, page: u64) -> Prefetch<PageResult<T>> {
        let fetch = (self.fetch)(page).instrument(tracing::Span::current());
        Prefetch(tokio::spawn(fetch))
    }

    /// Whether a page after `page` (as requested) exists. Without a page count, a full page
    /// suggests more; an empty page never does.
    fn has_more(&self, requested: u64, page: &Page<T>) -> bool {
        if page.data.is_empty() {
            return false;
        }
        if page.pages > 0 {
            requested < page.pages
        } else {
            page.data.len() >= self.page_size
        }
    }
}

/// Every item of every page `fetch` returns, from page 1 on; `page_size` is the size asked
/// for (see [`State::has_more`]).
pub(crate) fn pages<T: Send + 'static>(
    fetch: FetchPage<T>,
    page_size: u32,
) -> impl Stream<Item = Result<T, Error>> + Send + 'static {
    let state = State {
        fetch,
        page_size: page_size as usize,
        items: Vec::new().into_iter(),
        next: Next::Start,
    };
    futures::stream::unfold(state, |mut state| async move {
        loop {
            if let Some(item) = state.items.next() {
                return Some((Ok(item), state));
            }
            let (requested, prefetch) = match std::mem::replace(&mut state.next, Next::Done) {
                Next::Start => (1, state.spawn(1)),
                Next::Fetching(page, prefetch) => (page, prefetch),
                Next::Done => return None,
            };
            match prefetch.await? {
                Err(e) => return Some((Err(e), state)),
                Ok(page) => {
                    if state.has_more(requested, &page) {
                        // Ask for the next page before handing out this one.
                        let next = requested + 1;
                        state.next = Next::Fetching(next, state.spawn(next));
                    }
                    state.items = page.data.into_iter();
                }
            }
        }
    })
}
