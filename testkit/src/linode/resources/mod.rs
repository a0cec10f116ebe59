//! The resources every account owns (Linode instances, Volumes, Domains): their kinds,
//! routes and ids, and list, create, get, update and delete, each confined to the account of
//! the request's principal. [`generate`] makes what an account starts with; [`writes`]
//! validates and applies creates and updates.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::listing::{self, FieldKind, Fields};
use super::{errors, State};
use crate::core::{Exchange, Reply};

mod generate;
mod writes;

use writes::{
    create_domain, create_instance, create_volume, detach_volumes, relabel_volumes, update_domain,
    update_instance, update_volume,
};

/// The regions a create accepts (a subset of the API's).
pub const REGIONS: [&str; 16] = [
    "us-east",
    "us-central",
    "us-west",
    "us-southeast",
    "us-iad",
    "us-ord",
    "ca-central",
    "eu-west",
    "eu-central",
    "fr-par",
    "nl-ams",
    "se-sto",
    "ap-south",
    "ap-northeast",
    "ap-west",
    "ap-southeast",
];

/// The Linode types (plans) a create accepts, with the API's specs for each.
pub const INSTANCE_TYPES: [&str; 7] = [
    "g6-nanode-1",
    "g6-standard-1",
    "g6-standard-2",
    "g6-standard-4",
    "g6-dedicated-2",
    "g6-dedicated-4",
    "g1-gpu-rtx6000-1",
];

/// The most resources of one kind an account can hold (ids leave room for this many).
pub(super) const MAX_PER_ACCOUNT: usize = 999_999;

/// A kind of resource every account owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ResourceKind {
    /// Linode instances: `/linode/instances`.
    Instances,
    /// Block storage volumes: `/volumes`.
    Volumes,
    /// DNS domains: `/domains`.
    Domains,
}

impl ResourceKind {
    /// Every kind, in the order ids number them.
    pub const ALL: [ResourceKind; 3] = [Self::Instances, Self::Volumes, Self::Domains];

    /// The collection's path after the version prefix: `linode/instances`, `volumes`,
    /// `domains`.
    pub fn path(self) -> &'static str {
        match self {
            Self::Instances => "linode/instances",
            Self::Volumes => "volumes",
            Self::Domains => "domains",
        }
    }

    /// The fields `X-Filter` accepts on the collection (those the spec marks filterable).
    pub fn filterable(self) -> &'static [&'static str] {
        match self {
            Self::Instances => &["group", "id", "ipv4", "label", "region", "tags"],
            Self::Volumes => &["label", "tags"],
            Self::Domains => &["domain", "group", "tags"],
        }
    }

    /// The position in [`ResourceKind::ALL`].
    pub(super) fn index(self) -> usize {
        match self {
            Self::Instances => 0,
            Self::Volumes => 1,
            Self::Domains => 2,
        }
    }

    fn fields(self) -> Fields {
        match self {
            Self::Instances => |field| match field {
                "id" => Some(FieldKind::Number),
                "group" | "label" | "region" => Some(FieldKind::Text),
                "ipv4" | "tags" => Some(FieldKind::List),
                _ => None,
            },
            Self::Volumes => |field| match field {
                "label" => Some(FieldKind::Text),
                "tags" => Some(FieldKind::List),
                _ => None,
            },
            Self::Domains => |field| match field {
                "domain" | "group" => Some(FieldKind::Text),
                "tags" => Some(FieldKind::List),
                _ => None,
            },
        }
    }
}

/// Whose resources: the parent account's or one child account's. `&str` and `&String`
/// convert to a child account's euuid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner<'a> {
    /// The parent account (the parent token's).
    Parent,
    /// The child account with this euuid (its proxy tokens').
    Child(&'a str),
}

impl<'a> From<&'a str> for Owner<'a> {
    fn from(euuid: &'a str) -> Self {
        Self::Child(euuid)
    }
}

impl<'a> From<&'a String> for Owner<'a> {
    fn from(euuid: &'a String) -> Self {
        Self::Child(euuid)
    }
}

/// What a request does to a collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    List,
    Create,
    Get,
    Update,
    Delete,
}

/// The operation ids of the spec, by kind and action.
const OPERATIONS: [(&str, ResourceKind, Action); 15] = [
    (
        "get-linode-instances",
        ResourceKind::Instances,
        Action::List,
    ),
    (
        "post-linode-instance",
        ResourceKind::Instances,
        Action::Create,
    ),
    ("get-linode-instance", ResourceKind::Instances, Action::Get),
    (
        "put-linode-instance",
        ResourceKind::Instances,
        Action::Update,
    ),
    (
        "delete-linode-instance",
        ResourceKind::Instances,
        Action::Delete,
    ),
    ("get-volumes", ResourceKind::Volumes, Action::List),
    ("post-volume", ResourceKind::Volumes, Action::Create),
    ("get-volume", ResourceKind::Volumes, Action::Get),
    ("put-volume", ResourceKind::Volumes, Action::Update),
    ("delete-volume", ResourceKind::Volumes, Action::Delete),
    ("get-domains", ResourceKind::Domains, Action::List),
    ("post-domain", ResourceKind::Domains, Action::Create),
    ("get-domain", ResourceKind::Domains, Action::Get),
    ("put-domain", ResourceKind::Domains, Action::Update),
    ("delete-domain", ResourceKind::Domains, Action::Delete),
];

/// The operation id of a request on a resource path (`rest` follows the version prefix).
pub(super) fn operation(method: &str, rest: &[&str]) -> Option<&'static str> {
    let (kind, item) = match rest {
        ["linode", "instances"] => (ResourceKind::Instances, false),
        ["linode", "instances", _] => (ResourceKind::Instances, true),
        ["volumes"] => (ResourceKind::Volumes, false),
        ["volumes", _] => (ResourceKind::Volumes, true),
        ["domains"] => (ResourceKind::Domains, false),
        ["domains", _] => (ResourceKind::Domains, true),
        _ => return None,
    };
    let action = match (method, item) {
        ("GET", false) => Action::List,
        ("POST", false) => Action::Create,
        ("GET", true) => Action::Get,
        ("PUT", true) => Action::Update,
        ("DELETE", true) => Action::Delete,
        _ => return None,
    };
    OPERATIONS
        .iter()
        .find(|(_, k, a)| *k == kind && *a == action)
        .map(|(id, _, _)| *id)
}

/// The kind and action of a resource operation id.
pub(super) fn route(operation: &str) -> Option<(ResourceKind, Action)> {
    OPERATIONS
        .iter()
        .find(|(id, _, _)| *id == operation)
        .map(|(_, kind, action)| (*kind, *action))
}

/// The resources of one kind of one account, by id.
#[derive(Debug, Clone, Default)]
struct Collection {
    items: BTreeMap<i64, Value>,
    /// The last sequence number given out.
    last: usize,
}

/// Everything one account owns. Ids are `block·10⁷ + (kind+1)·10⁶ + sequence`: the block is
/// the account's (1 for the parent, its listing position + 2 for a child), so no two
/// accounts and no two kinds ever share an id, and every run numbers them alike.
#[derive(Debug, Clone)]
pub(super) struct Resources {
    block: i64,
    /// Part of generated labels and domains: `parent`, or 8 hex digits of the euuid's hash.
    slug: String,
    collections: [Collection; 3],
}

impl Resources {
    fn id(&self, kind: ResourceKind, seq: usize) -> i64 {
        self.block * 10_000_000 + (kind.index() as i64 + 1) * 1_000_000 + seq as i64
    }

    fn collection(&self, kind: ResourceKind) -> &Collection {
        &self.collections[kind.index()]
    }

    fn collection_mut(&mut self, kind: ResourceKind) -> &mut Collection {
        &mut self.collections[kind.index()]
    }

    /// The resources of `kind`, by id.
    pub(super) fn list(&self, kind: ResourceKind) -> Vec<Value> {
        self.collection(kind).items.values().cloned().collect()
    }

    /// The next id of `kind`, or `None` when the account is full.
    fn next_id(&mut self, kind: ResourceKind) -> Option<i64> {
        let last = self.collection(kind).last;
        if last >= MAX_PER_ACCOUNT {
            return None;
        }
        self.collection_mut(kind).last = last + 1;
        Some(self.id(kind, last + 1))
    }

    /// The domain names this account holds, with their ids.
    pub(super) fn domain_names(&self) -> impl Iterator<Item = (i64, &str)> {
        self.collection(ResourceKind::Domains)
            .items
            .iter()
            .filter_map(|(id, d)| Some((*id, d.get("domain")?.as_str()?)))
    }

    fn label_taken(&self, kind: ResourceKind, label: &str, except: Option<i64>) -> bool {
        self.collection(kind).items.iter().any(|(id, v)| {
            Some(*id) != except && v.get("label").and_then(Value::as_str) == Some(label)
        })
    }
}

/// A request on a resource path.
pub(super) struct Request<'a> {
    pub(super) kind: ResourceKind,
    pub(super) action: Action,
    /// The last path segment: the id, for item actions.
    pub(super) item: Option<&'a str>,
    pub(super) exchange: &'a Exchange,
    /// The emulator's time, as the API writes it.
    pub(super) now: String,
}

fn not_found() -> Reply {
    errors(404, "Not found")
}

/// Answers `request` in the account of `owner` (404 for an unknown child account).
pub(super) fn serve(state: &mut State, owner: Owner<'_>, request: &Request<'_>) -> Reply {
    // Generate the account's resources first, so that its own domains count as taken.
    if state.resources(owner).is_none() {
        return not_found();
    }
    let renames = matches!(request.action, Action::Create | Action::Update);
    let domains = if request.kind == ResourceKind::Domains && renames {
        state.domain_names()
    } else {
        Vec::new()
    };
    match state.resources(owner) {
        Some(resources) => handle(request, resources, &domains),
        None => not_found(),
    }
}

/// Answers `request` for the account whose resources are `resources`; `domains` lists every
/// domain name in the emulator with its id (they are unique across accounts), when the
/// request creates or updates a domain.
fn handle(request: &Request<'_>, resources: &mut Resources, domains: &[(i64, String)]) -> Reply {
    let kind = request.kind;
    if request.action == Action::List {
        let items: Vec<&Value> = resources.collection(kind).items.values().collect();
        return listing::page(request.exchange, items, kind.fields());
    }
    if request.action == Action::Create {
        let Some(body) = json_body(request.exchange) else {
            return errors(400, "Invalid JSON");
        };
        return match kind {
            ResourceKind::Instances => create_instance(resources, &body, &request.now),
            ResourceKind::Volumes => create_volume(resources, &body, &request.now),
            ResourceKind::Domains => create_domain(resources, &body, domains),
        };
    }
    let Some(id) = request.item.and_then(|s| s.parse::<i64>().ok()) else {
        return not_found();
    };
    let Some(existing) = resources.collection(kind).items.get(&id).cloned() else {
        return not_found();
    };
    match request.action {
        Action::Get => Reply::json(200, &existing),
        Action::Delete => {
            resources.collection_mut(kind).items.remove(&id);
            if kind == ResourceKind::Instances {
                detach_volumes(resources, id, &request.now);
            }
            Reply::json(200, &json!({}))
        }
        _ => {
            let Some(body) = json_body(request.exchange) else {
                return errors(400, "Invalid JSON");
            };
            let updated = match kind {
                ResourceKind::Instances => {
                    update_instance(resources, existing, &body, &request.now)
                }
                ResourceKind::Volumes => update_volume(resources, existing, &body, &request.now),
                ResourceKind::Domains => update_domain(existing, &body, domains),
            };
            match updated {
                Ok(value) => {
                    if kind == ResourceKind::Instances {
                        relabel_volumes(resources, &value);
                    }
                    resources
                        .collection_mut(kind)
                        .items
                        .insert(id, value.clone());
                    Reply::json(200, &value)
                }
                Err(reply) => reply,
            }
        }
    }
}

/// The request body as a JSON object; `None` for anything else, a missing body included (every
/// create and update requires one).
fn json_body(exchange: &Exchange) -> Option<Map<String, Value>> {
    match serde_json::from_slice(&exchange.body) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}

impl State {
    /// The resources of `owner`, generated on first use; `None` for an unknown child.
    pub(super) fn resources(&mut self, owner: Owner<'_>) -> Option<&mut Resources> {
        let counts = self.resource_counts;
        match owner {
            Owner::Parent => Some(
                self.parent_resources
                    .get_or_insert_with(|| Resources::generated(1, None, counts)),
            ),
            Owner::Child(euuid) => {
                let (position, child) = self
                    .children
                    .iter_mut()
                    .enumerate()
                    .find(|(_, c)| c.euuid == euuid)?;
                let block = position as i64 + 2;
                Some(
                    child
                        .resources
                        .get_or_insert_with(|| Resources::generated(block, Some(euuid), counts)),
                )
            }
        }
    }

    /// Every domain name of every account generated so far, with its id. (Accounts not
    /// generated yet are not consulted: the domains they will start with carry their own
    /// hash.)
    pub(super) fn domain_names(&self) -> Vec<(i64, String)> {
        self.parent_resources
            .iter()
            .chain(self.children.iter().filter_map(|c| c.resources.as_ref()))
            .flat_map(Resources::domain_names)
            .map(|(id, name)| (id, name.to_owned()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(
            operation("GET", &["linode", "instances"]),
            Some("get-linode-instances")
        );
        assert_eq!(
            operation("DELETE", &["domains", "7"]),
            Some("delete-domain")
        );
        assert_eq!(operation("POST", &["volumes", "7"]), None);
        assert_eq!(operation("PATCH", &["volumes"]), None);
        for (id, kind, action) in OPERATIONS {
            assert_eq!(route(id), Some((kind, action)));
        }
    }
}
