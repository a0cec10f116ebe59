//! The whole Linode API through the SDK's clients: [`LinodeClient`] and [`ChildClient`]
//! implement the generated crate's [`Runner`], so the typed calls the generator writes for
//! every operation of the pinned spec (`linode::Calls`, reached with
//! [`LinodeClient::api`] and [`ChildClient::api`]) run with the runtime's whole behaviour:
//! retries by the operation's idempotency, `Retry-After`, the per-call deadline, typed errors
//! and tracing, and for a child client the proxy token's minting, renewal and revocation and
//! the single re-mint on 401.

use std::future::Future;
use std::num::NonZeroU64;
use std::sync::Arc;

use akamai_sdk_generated::linode::{self, Client};
use akamai_sdk_generated::{Operation, PageStream, Paginated, RawBody, Runner};
use progenitor_client::{ByteStream, Error as GeneratedError, ResponseValue};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::child::ChildClient;
use super::client::{LinodeClient, DEFAULT_PAGE_SIZE};
use super::models::Page;
use super::pagination::{self, FetchPage};
use crate::error::Error;

/// One page of a typed list, in the shape the pagination reads.
fn page_of<P: Paginated>(answer: P) -> Page<P::Item> {
    let page = answer.into_page();
    Page {
        page: page.page.unwrap_or(0),
        pages: page.pages.unwrap_or(0),
        results: page.results.unwrap_or(0),
        data: page.data,
    }
}

/// A raw answer with its content type.
fn raw_body(headers: &reqwest::header::HeaderMap, bytes: bytes::Bytes) -> RawBody {
    let content_type = headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    RawBody::new(content_type, bytes)
}

/// `impl Runner<Client>` for a client whose method `$scope(|api| …)` runs a closure with the
/// `Api` view of its token: the parent's own, or a child's current proxy token (renewed,
/// and created again once on a 401).
macro_rules! runner {
    ($client:ty, $scope:ident) => {
        impl Runner<Client> for $client {
            type Error = Error;

            async fn call<T, E, F, Fut>(
                &self,
                op: &'static Operation,
                attempt: F,
            ) -> Result<T, Error>
            where
                T: DeserializeOwned + Send,
                E: Serialize + Send,
                F: Fn(Client) -> Fut + Send + Sync,
                Fut: Future<Output = Result<ResponseValue<T>, GeneratedError<E>>>,
            {
                let attempt = &attempt;
                self.$scope(
                    |api| async move { api.runtime().call(op, api.attempts(attempt)).await },
                )
                .await
            }

            async fn call_optional<T, E, F, Fut>(
                &self,
                op: &'static Operation,
                attempt: F,
            ) -> Result<Option<T>, Error>
            where
                T: DeserializeOwned + Send,
                E: Serialize + Send,
                F: Fn(Client) -> Fut + Send + Sync,
                Fut: Future<Output = Result<ResponseValue<T>, GeneratedError<E>>>,
            {
                let attempt = &attempt;
                self.$scope(|api| async move {
                    api.runtime().call_optional(op, api.attempts(attempt)).await
                })
                .await
            }

            async fn call_bytes<E, F, Fut>(
                &self,
                op: &'static Operation,
                attempt: F,
            ) -> Result<RawBody, Error>
            where
                E: Serialize + Send,
                F: Fn(Client) -> Fut + Send + Sync,
                Fut: Future<Output = Result<ResponseValue<ByteStream>, GeneratedError<E>>>,
            {
                let attempt = &attempt;
                let (headers, bytes) = self
                    .$scope(|api| async move {
                        api.runtime().call_bytes(op, api.attempts(attempt)).await
                    })
                    .await?;
                Ok(raw_body(&headers, bytes))
            }

            async fn call_untyped_error<T, F, Fut>(
                &self,
                op: &'static Operation,
                attempt: F,
            ) -> Result<T, Error>
            where
                T: DeserializeOwned + Send,
                F: Fn(Client) -> Fut + Send + Sync,
                Fut: Future<Output = Result<ResponseValue<T>, GeneratedError<ByteStream>>>,
            {
                let attempt = &attempt;
                self.$scope(|api| async move {
                    api.runtime()
                        .call_with_stream_error(op, api.attempts(attempt))
                        .await
                })
                .await
            }

            fn stream<P, E, F, Fut>(
                &self,
                op: &'static Operation,
                page: F,
            ) -> PageStream<P::Item, Error>
            where
                P: Paginated,
                E: Serialize + Send + 'static,
                F: Fn(Client, NonZeroU64) -> Fut + Send + Sync + 'static,
                Fut: Future<Output = Result<ResponseValue<P>, GeneratedError<E>>> + Send + 'static,
            {
                let client = self.clone();
                let page = Arc::new(page);
                let fetch: FetchPage<P::Item> = Arc::new(move |number| {
                    let (client, page) = (client.clone(), Arc::clone(&page));
                    Box::pin(async move {
                        let number = NonZeroU64::new(number).unwrap_or(NonZeroU64::MIN);
                        let attempt = |c: Client| page(c, number);
                        let attempt = &attempt;
                        client
                            .$scope(|api| async move {
                                api.runtime().call(op, api.attempts(attempt)).await
                            })
                            .await
                            .map(page_of)
                    })
                });
                Box::pin(pagination::pages(fetch, DEFAULT_PAGE_SIZE))
            }
        }
    };
}

runner!(LinodeClient, with_api);
runner!(ChildClient, with_session);

impl LinodeClient {
    /// Every operation of the Linode API, as the parent user: typed calls generated from the
    /// pinned spec, run by this client (see [`linode::Calls`]).
    ///
    /// The operations of the child-account workflow are always built; the others with their
    /// area's cargo feature (`linode-instances`, `linode-volumes`, ..., or `linode-all`).
    ///
    /// ```no_run
    /// # async fn run(parent: akamai_sdk::linode::LinodeClient) -> akamai_sdk::Result<()> {
    /// let profile = parent.api().get_profile().await?;
    /// # let _ = profile;
    /// # Ok(())
    /// # }
    /// ```
    pub fn api(&self) -> linode::Calls<'_, Self> {
        linode::Calls::new(self)
    }
}

impl ChildClient {
    /// Every operation of the Linode API, as this child account's proxy user: typed calls
    /// generated from the pinned spec, each with a valid proxy token (created, renewed, and
    /// created again once on a 401, see [`ChildClient`]).
    ///
    /// The operations of the child-account workflow are always built; the others with their
    /// area's cargo feature (`linode-instances`, `linode-volumes`, ..., or `linode-all`).
    pub fn api(&self) -> linode::Calls<'_, Self> {
        linode::Calls::new(self)
    }
}
