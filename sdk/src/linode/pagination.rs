//! Streaming every page of a Linode list, one page ahead of the consumer.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use akamai_sdk_generated::linode::types;
use futures::Stream;
use reqwest::header::HeaderValue;
use tokio::task::JoinHandle;
use tracing::Instrument;

use super::api::Api;
use super::models::Page;
use crate::error::Error;

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

type PageResult = Result<Page<types::ChildAccount>, Error>;

enum Next {
    /// The first page is requested on the first poll (spawning needs a runtime).
    Start,
    /// Page `.0` is being fetched.
    Fetching(u64, Prefetch<PageResult>),
    /// No page is left, or an error ended the stream.
    Done,
}

struct State {
    api: Arc<Api>,
    page_size: u32,
    filter: Option<HeaderValue>,
    items: std::vec::IntoIter<types::ChildAccount>,
    next: Next,
}

impl State {
    fn spawn(&self, page: u64) -> Prefetch<PageResult> {
        let api = Arc::clone(&self.api);
        let filter = self.filter.clone();
        let page_size = self.page_size;
        let fetch = async move {
            api.child_accounts_page(page, page_size, filter.as_ref())
                .await
        }
        .instrument(tracing::Span::current());
        Prefetch(tokio::spawn(fetch))
    }

    /// Whether a page after `page` (as requested) exists. Without a page count, a full page
    /// suggests more; an empty page never does.
    fn has_more(&self, requested: u64, page: &Page<types::ChildAccount>) -> bool {
        if page.data.is_empty() {
            return false;
        }
        if page.pages > 0 {
            requested < page.pages
        } else {
            page.data.len() >= self.page_size as usize
        }
    }
}

/// All child accounts matching `filter`.
pub(crate) fn child_accounts(
    api: Arc<Api>,
    page_size: u32,
    filter: Option<HeaderValue>,
) -> impl Stream<Item = Result<types::ChildAccount, Error>> + Send + 'static {
    let state = State {
        api,
        page_size,
        filter,
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
