//! The edge data path: what an EdgeWorker reaches through Akamai's `edgekv.js` helper,
//! `GET`, `PUT` and `DELETE` on `/api/v1/namespaces/{ns}/groups/{g}/items/{i}`, authorised
//! by an EdgeKV access token instead of an EdgeGrid signature.
//!
//! * The token comes in `X-Akamai-EdgeDB-Auth-Ref` (its uuid, the `reference` of
//!   `edgekv_tokens.js`) or `X-Akamai-EdgeDB-Auth` (its `value`, for tokens issued with one).
//!   It must be one the admin API issued (or a seeded one), unexpired on the emulator's
//!   calendar, active (`COMPLETE`), allowed on the network read, and grant the namespace `r`
//!   for reads, `w` for writes, `d` for deletes.
//! * The network is the emulator's edge network (staging unless the builder says otherwise),
//!   or the one named by an `X-Emulator-Network: staging|production` request header.
//! * `?sandboxId=ID` reads and writes a sandbox's items; with `&sandboxFallback=true` a read
//!   missing from the sandbox falls back to the item outside any sandbox.
//! * Refusals are problem+json: 401 without a known, unexpired, active token, 403 when the
//!   token does not cover the network or namespace. No answer quotes a token.

use akamai_sdk::edgekv::Network;

use super::state::{is_id, Db, Token, MAX_NAME_LEN};
use crate::core::{Exchange, Reply};

/// The header carrying a token's `value`.
pub const AUTH_HEADER: &str = "x-akamai-edgedb-auth";
/// The header carrying a token's reference (its uuid).
pub const AUTH_REF_HEADER: &str = "x-akamai-edgedb-auth-ref";
/// The emulator's own header choosing the network an edge request reads.
pub const NETWORK_HEADER: &str = "x-emulator-network";

/// What a request needs of the token.
#[derive(Clone, Copy, Debug)]
enum Need {
    Read,
    Write,
    Delete,
}

impl Need {
    fn letter(self) -> &'static str {
        match self {
            Self::Read => "r",
            Self::Write => "w",
            Self::Delete => "d",
        }
    }
}

/// Why a token is refused (the detail of the answer, which never quotes the token).
fn refusal(token: &Token, today: chrono::NaiveDate, network: Network) -> Option<(u16, String)> {
    if token.expiry < today {
        return Some((401, "The EdgeKV access token has expired.".to_owned()));
    }
    if token.activation_reads > 0 {
        return Some((401, "The EdgeKV access token is not active yet.".to_owned()));
    }
    let allowed = match network {
        Network::Staging => token.allow_on_staging,
        Network::Production => token.allow_on_production,
    };
    if !allowed {
        return Some((
            403,
            format!("The EdgeKV access token is not allowed on {network}."),
        ));
    }
    None
}

impl Db {
    /// Handles a request under `/api/v1` (`rest` is the path after it, decoded).
    pub(crate) fn edge(
        &mut self,
        exchange: &Exchange,
        rest: &[&str],
        default_network: Network,
    ) -> Reply {
        let ["namespaces", ns, "groups", group, "items", item] = rest else {
            return self.problem(404, "EKV_9000", "No such resource.");
        };
        let need = match exchange.method.as_str() {
            "GET" => Need::Read,
            "PUT" => Need::Write,
            "DELETE" => Need::Delete,
            _ => return self.problem(405, "EKV_9000", "Method not allowed."),
        };
        let network = match exchange.header(NETWORK_HEADER) {
            None => default_network,
            Some(name) => match name.parse::<Network>() {
                Ok(network) => network,
                Err(_) => {
                    return self.problem(
                        400,
                        "EKV_2000",
                        "X-Emulator-Network must be `staging` or `production`.",
                    )
                }
            },
        };
        if !is_id(ns, MAX_NAME_LEN) {
            return self.problem(
                400,
                "EKV_9000",
                "Namespace must only use a string that matches A-Z a-z 0-9 _ or -.",
            );
        }
        if let Some(refused) = self.check_ids(group, Some(item)) {
            return refused;
        }
        let name = match self.authorise(exchange, network, ns, need) {
            Ok(name) => name,
            Err(reply) => return reply,
        };
        let principal = format!("token {name}");
        self.edge_item(exchange, network, [ns, group, item])
            .acting_as(principal)
    }

    /// The name of the token that allows `need` on `ns`, or the refusal.
    fn authorise(
        &mut self,
        exchange: &Exchange,
        network: Network,
        ns: &str,
        need: Need,
    ) -> Result<String, Reply> {
        let found = if let Some(value) = exchange.header(AUTH_HEADER) {
            self.tokens
                .iter()
                .find(|(_, t)| t.value.as_deref() == Some(value))
        } else if let Some(reference) = exchange.header(AUTH_REF_HEADER) {
            self.tokens.iter().find(|(_, t)| t.uuid == reference)
        } else {
            let mut reply = self.problem(
                401,
                "EKV_1001",
                "No EdgeKV access token: send X-Akamai-EdgeDB-Auth-Ref or X-Akamai-EdgeDB-Auth.",
            );
            reply.signature_failure = true;
            return Err(reply);
        };
        let Some((name, token)) = found else {
            let mut reply = self.problem(401, "EKV_1001", "Invalid EdgeKV access token.");
            reply.signature_failure = true;
            return Err(reply);
        };
        let name = name.clone();
        let today = self.today();
        let verdict = refusal(token, today, network).or_else(|| {
            let granted = token
                .permissions
                .get(ns)
                .is_some_and(|p| p.iter().any(|p| p == need.letter()));
            (!granted).then(|| {
                (
                    403,
                    format!(
                        "The EdgeKV access token does not grant `{}` on namespace {ns}.",
                        need.letter()
                    ),
                )
            })
        });
        match verdict {
            None => Ok(name),
            Some((status, detail)) => {
                let code = if status == 401 {
                    "EKV_1001"
                } else {
                    "EKV_1000"
                };
                let mut reply = self.problem(status, code, &detail);
                reply.signature_failure = status == 401;
                Err(reply)
            }
        }
    }

    /// The item operation, once the token allowed it: the namespace must exist on the
    /// network for every method (the admin API only checks it on writes).
    fn edge_item(
        &mut self,
        exchange: &Exchange,
        network: Network,
        [ns, group, item]: [&str; 3],
    ) -> Reply {
        if !self.namespaces.contains_key(&(network, ns.to_owned())) {
            return self.problem(
                404,
                "EKV_9000",
                &format!("The requested namespace {ns} does not exist on {network}."),
            );
        }
        let fallback = exchange.query("sandboxFallback") == Some("true");
        self.stored_item(
            &exchange.method,
            network,
            [ns, group, item],
            exchange,
            fallback,
        )
    }
}
