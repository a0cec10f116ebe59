//! EdgeGrid checks for the wiremock servers of the tests, on the testkit's verifier
//! (`akamai_sdk_testkit::edgegrid`, written from the published algorithm and sharing no code
//! with the SDK's signer), so a stub checks the client's signatures independently. The stubs
//! sign with fixed clocks, so only the stateless checks apply: the header's form, the tokens
//! and the signature over the request as received, not the timestamp's skew or nonce replays.

use akamai_sdk_testkit::edgegrid::{
    authenticate, signature_matches, EdgeGridCredentials, Signed, DEFAULT_MAX_BODY,
};
use wiremock::Request;

pub(crate) use akamai_sdk_testkit::edgegrid::parse_authorization;

/// Credentials a test server expects.
#[derive(Clone, Debug)]
pub(crate) struct Verifier(pub(crate) EdgeGridCredentials);

impl Verifier {
    pub(crate) fn new(client_token: &str, client_secret: &str, access_token: &str) -> Self {
        Self(EdgeGridCredentials {
            client_token: client_token.to_owned(),
            client_secret: client_secret.to_owned(),
            access_token: access_token.to_owned(),
        })
    }

    /// Why `request` is not correctly signed, or `None` when it is.
    pub(crate) fn problem(&self, request: &Request) -> Option<String> {
        let header = |name: &str| request.headers.get(name).and_then(|v| v.to_str().ok());
        let fields = match authenticate(&self.0, header("authorization")) {
            Ok(fields) => fields,
            Err(refusal) => return Some(refusal.detail().to_owned()),
        };
        let Some(host) = header("host") else {
            return Some("no Host header".into());
        };
        let url = &request.url;
        let mut target = url.path().to_owned();
        if let Some(query) = url.query().filter(|q| !q.is_empty()) {
            target.push('?');
            target.push_str(query);
        }
        let signed = Signed {
            method: request.method.as_str(),
            scheme: url.scheme(),
            host,
            target: &target,
            body: &request.body,
            authorization: None,
        };
        (!signature_matches(&self.0.client_secret, &fields, &signed, DEFAULT_MAX_BODY))
            .then(|| format!("signature mismatch for `{} {target}`", signed.method))
    }
}

/// A wiremock matcher for requests that are *not* correctly signed: mounted with the highest
/// priority and a 401 answer, it makes the server refuse every badly signed request.
#[derive(Clone, Debug)]
pub(crate) struct BadlySigned(pub(crate) Verifier);

impl wiremock::Match for BadlySigned {
    fn matches(&self, request: &Request) -> bool {
        match self.0.problem(request) {
            Some(problem) => {
                eprintln!("refusing a request: {problem}");
                true
            }
            None => false,
        }
    }
}
