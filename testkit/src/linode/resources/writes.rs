//! Creates and updates: the request body read field by field against the spec's rules,
//! every problem reported as `{"field","reason"}` in one 400 answer; and what a delete or a
//! rename changes in the account's other resources.

use serde_json::{json, Map, Value};

use super::generate::{filesystem_path, instance, NewInstance};
use super::{ResourceKind, Resources, INSTANCE_TYPES, MAX_PER_ACCOUNT, REGIONS};
use crate::core::Reply;
use crate::linode::errors;

/// A request body being read, with the problems found so far.
struct Body<'a> {
    map: &'a Map<String, Value>,
    problems: Vec<(&'static str, String)>,
}

impl<'a> Body<'a> {
    fn new(map: &'a Map<String, Value>) -> Self {
        Self {
            map,
            problems: Vec::new(),
        }
    }

    fn fail(&mut self, field: &'static str, reason: impl Into<String>) {
        self.problems.push((field, reason.into()));
    }

    /// Whether `field` is given (`null` counts as absent).
    fn given(&self, field: &str) -> bool {
        !matches!(self.map.get(field), None | Some(Value::Null))
    }

    fn required(&mut self, field: &'static str) {
        if !self.given(field) {
            self.fail(field, format!("{field} is required"));
        }
    }

    fn string(&mut self, field: &'static str) -> Option<&'a str> {
        match self.map.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s),
            Some(_) => {
                self.fail(field, format!("{field} must be a string"));
                None
            }
        }
    }

    fn one_of(&mut self, field: &'static str, allowed: &[&str]) -> Option<&'a str> {
        let value = self.string(field)?;
        if allowed.contains(&value) {
            Some(value)
        } else {
            self.fail(
                field,
                format!("{field} must be one of {}", allowed.join(", ")),
            );
            None
        }
    }

    /// A whole number of any size (`1e30` included), as `f64`.
    fn whole_number(&mut self, field: &'static str) -> Option<f64> {
        match self.map.get(field) {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_f64().filter(|n| n.fract() == 0.0) {
                Some(n) => Some(n),
                None => {
                    self.fail(field, format!("{field} must be an integer"));
                    None
                }
            },
        }
    }

    fn boolean(&mut self, field: &'static str) -> Option<bool> {
        match self.map.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                self.fail(field, format!("{field} must be a boolean"));
                None
            }
        }
    }

    fn strings(&mut self, field: &'static str) -> Option<Vec<String>> {
        match self.map.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) if items.iter().all(Value::is_string) => Some(
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
            ),
            Some(_) => {
                self.fail(field, format!("{field} must be a list of strings"));
                None
            }
        }
    }

    /// The problems as a 400 answer, or `None` when there are none.
    fn refusal(&self) -> Option<Reply> {
        if self.problems.is_empty() {
            return None;
        }
        let list: Vec<Value> = self
            .problems
            .iter()
            .map(|(field, reason)| json!({"field": field, "reason": reason}))
            .collect();
        Some(Reply::json(400, &json!({"errors": list})))
    }
}

/// Whether `label` fits the spec's pattern for a Linode label (3-64 characters, a letter
/// first, then letters, digits, `-`, `_` and `.`, none of those three twice in a row).
pub(super) fn instance_label_ok(label: &str) -> bool {
    let b = label.as_bytes();
    (3..=64).contains(&b.len())
        && b[0].is_ascii_alphabetic()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        && !["--", "__", ".."].iter().any(|d| label.contains(d))
}

/// Whether `label` fits the spec's pattern for a Volume label (2-32 characters, a letter
/// first, then letters, digits, `-` and `_`, neither twice in a row).
pub(super) fn volume_label_ok(label: &str) -> bool {
    let b = label.as_bytes();
    (2..=32).contains(&b.len())
        && b[0].is_ascii_alphabetic()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_'))
        && !["--", "__"].iter().any(|d| label.contains(d))
}

/// Whether `domain` fits the spec's pattern: an optional `*.`, one or more labels of 1-63
/// letters, digits, `-` and `_` each followed by a dot, then a top-level label of 2-16
/// letters (or `xn--` and letters or digits); 253 characters at most.
pub(super) fn domain_ok(domain: &str) -> bool {
    let name = domain.strip_prefix("*.").unwrap_or(domain);
    let mut labels: Vec<&str> = name.split('.').collect();
    let Some(top) = labels.pop() else {
        return false;
    };
    let top_ok = match top.strip_prefix("xn--") {
        Some(rest) => !rest.is_empty() && rest.bytes().all(|c| c.is_ascii_alphanumeric()),
        None => (2..=16).contains(&top.len()) && top.bytes().all(|c| c.is_ascii_alphabetic()),
    };
    domain.len() <= 253
        && top_ok
        && !labels.is_empty()
        && labels.iter().all(|l| {
            (1..=63).contains(&l.len())
                && l.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_'))
        })
}

/// The largest Volume, in GB (the spec's maximum of `size`).
const MAX_VOLUME_GB: i64 = 10_240;

/// The largest id a whole number read as `f64` still names exactly (2^53).
const MAX_EXACT_ID: f64 = 9_007_199_254_740_992.0;

/// The values a Domain's `ttl_sec`, `refresh_sec`, `retry_sec` and `expire_sec` take.
const DOMAIN_INTERVALS: [i64; 15] = [
    0, 30, 120, 300, 3_600, 7_200, 14_400, 28_800, 57_600, 86_400, 172_800, 345_600, 604_800,
    1_209_600, 2_419_200,
];

/// A Domain interval as the API stores it: "any other value is rounded up to the nearest
/// valid value" (the spec); below 0 is 0, above the largest the largest.
pub(super) fn domain_interval(seconds: f64) -> i64 {
    DOMAIN_INTERVALS
        .iter()
        .copied()
        .find(|valid| *valid as f64 >= seconds)
        .unwrap_or(DOMAIN_INTERVALS[DOMAIN_INTERVALS.len() - 1])
}

fn full() -> Reply {
    errors(
        400,
        &format!("The emulator holds at most {MAX_PER_ACCOUNT} of these per account"),
    )
}

pub(super) fn create_instance(
    resources: &mut Resources,
    body: &Map<String, Value>,
    now: &str,
) -> Reply {
    let mut b = Body::new(body);
    b.required("region");
    b.required("type");
    let region = b.string("region");
    if let Some(region) = region.filter(|r| !REGIONS.contains(r)) {
        b.fail(
            "region",
            format!(
                "region {region} is not one the emulator knows ({})",
                REGIONS.join(", ")
            ),
        );
    }
    let plan = b.string("type");
    if let Some(plan) = plan.filter(|p| !INSTANCE_TYPES.contains(p)) {
        b.fail(
            "type",
            format!(
                "type {plan} is not one the emulator knows ({})",
                INSTANCE_TYPES.join(", ")
            ),
        );
    }
    let label = b.string("label");
    check_instance_label(&mut b, resources, label, None);
    let image = b.string("image");
    let group = b.string("group");
    let tags = b.strings("tags");
    let booted = b.boolean("booted");
    let private_ip = b.boolean("private_ip");
    let backups = b.boolean("backups_enabled");
    if let Some(reply) = b.refusal() {
        return reply;
    }
    let (Some(region), Some(plan)) = (region, plan) else {
        return errors(400, "region and type are required");
    };
    let Some(id) = resources.next_id(ResourceKind::Instances) else {
        return full();
    };
    // Without an image there is nothing to boot; with one, the instance boots unless told not to.
    let status = if image.is_some() && booted != Some(false) {
        "running"
    } else {
        "offline"
    };
    let value = instance(&NewInstance {
        id,
        label: label.map_or_else(|| format!("linode{id}"), str::to_owned),
        region,
        plan,
        image,
        status,
        group: group.unwrap_or(""),
        tags: tags.unwrap_or_default(),
        created: now.to_owned(),
        private_ip: private_ip.unwrap_or(false),
        backups: backups.unwrap_or(false),
    });
    resources
        .collection_mut(ResourceKind::Instances)
        .items
        .insert(id, value.clone());
    Reply::json(200, &value)
}

fn check_instance_label(
    b: &mut Body<'_>,
    resources: &Resources,
    label: Option<&str>,
    except: Option<i64>,
) {
    let Some(label) = label else { return };
    if !instance_label_ok(label) {
        b.fail(
            "label",
            "label must be 3-64 characters: a letter first, then letters, digits, -, _ and ., \
             none of those three twice in a row",
        );
    } else if resources.label_taken(ResourceKind::Instances, label, except) {
        b.fail("label", "Label must be unique among your Linodes");
    }
}

pub(super) fn update_instance(
    resources: &Resources,
    mut existing: Value,
    body: &Map<String, Value>,
    now: &str,
) -> Result<Value, Reply> {
    let id = existing.get("id").and_then(Value::as_i64);
    let mut b = Body::new(body);
    let label = b.string("label");
    check_instance_label(&mut b, resources, label, id);
    let group = b.string("group");
    let tags = b.strings("tags");
    let watchdog = b.boolean("watchdog_enabled");
    if let Some(reply) = b.refusal() {
        return Err(reply);
    }
    if let Value::Object(map) = &mut existing {
        if let Some(label) = label {
            map.insert("label".into(), json!(label));
        }
        if let Some(group) = group {
            map.insert("group".into(), json!(group));
        }
        if let Some(tags) = tags {
            map.insert("tags".into(), json!(tags));
        }
        if let Some(watchdog) = watchdog {
            map.insert("watchdog_enabled".into(), json!(watchdog));
        }
        map.insert("updated".into(), json!(now));
    }
    Ok(existing)
}

/// Detaches the volumes attached to the deleted instance `linode_id`.
pub(super) fn detach_volumes(resources: &mut Resources, linode_id: i64, now: &str) {
    for volume in resources
        .collection_mut(ResourceKind::Volumes)
        .items
        .values_mut()
    {
        if volume.get("linode_id").and_then(Value::as_i64) == Some(linode_id) {
            if let Value::Object(map) = volume {
                map.insert("linode_id".into(), Value::Null);
                map.insert("linode_label".into(), Value::Null);
                map.insert("updated".into(), json!(now));
            }
        }
    }
}

/// Gives the volumes attached to `instance` its (possibly new) label.
pub(super) fn relabel_volumes(resources: &mut Resources, instance: &Value) {
    let (Some(id), Some(label)) = (instance.get("id"), instance.get("label")) else {
        return;
    };
    for volume in resources
        .collection_mut(ResourceKind::Volumes)
        .items
        .values_mut()
    {
        if volume.get("linode_id") == Some(id) {
            if let Value::Object(map) = volume {
                map.insert("linode_label".into(), label.clone());
            }
        }
    }
}

fn check_volume_label(
    b: &mut Body<'_>,
    resources: &Resources,
    label: Option<&str>,
    except: Option<i64>,
) {
    let Some(label) = label else { return };
    if !volume_label_ok(label) {
        b.fail(
            "label",
            "label must be 2-32 characters: a letter first, then letters, digits, - and _, \
             neither twice in a row",
        );
    } else if resources.label_taken(ResourceKind::Volumes, label, except) {
        b.fail("label", "Label must be unique among your Volumes");
    }
}

pub(super) fn create_volume(
    resources: &mut Resources,
    body: &Map<String, Value>,
    now: &str,
) -> Reply {
    let mut b = Body::new(body);
    b.required("label");
    let label = b.string("label");
    check_volume_label(&mut b, resources, label, None);
    // Whole numbers of any size: out of range or naming no Linode rather than "not integers".
    let size = b.whole_number("size");
    if size.is_some_and(|s| !(1.0..=MAX_VOLUME_GB as f64).contains(&s)) {
        b.fail("size", format!("size must be 1 to {MAX_VOLUME_GB} GB"));
    }
    let linode_id = b.whole_number("linode_id");
    let linode = linode_id.and_then(|id| {
        resources
            .collection(ResourceKind::Instances)
            .items
            .get(&(id as i64))
            .filter(|_| id.abs() <= MAX_EXACT_ID)
            .cloned()
    });
    if let (Some(id), None) = (linode_id, &linode) {
        b.fail("linode_id", format!("Linode {id} not found"));
    }
    let config_id = b.whole_number("config_id");
    if config_id.is_some() && !b.given("linode_id") {
        b.fail("config_id", "config_id needs linode_id");
    }
    let region = b.string("region");
    if !b.given("linode_id") && !b.given("region") {
        b.fail("region", "region is required when linode_id is not given");
    }
    if let Some(region) = region.filter(|r| !REGIONS.contains(r)) {
        b.fail(
            "region",
            format!(
                "region {region} is not one the emulator knows ({})",
                REGIONS.join(", ")
            ),
        );
    }
    let linode_region = linode
        .as_ref()
        .and_then(|l| l.get("region"))
        .and_then(Value::as_str);
    if let (Some(region), Some(theirs)) = (region, linode_region) {
        if region != theirs {
            b.fail("region", format!("the Linode is in {theirs}, not {region}"));
        }
    }
    let encryption = b.one_of("encryption", &["enabled", "disabled"]);
    let tags = b.strings("tags");
    if let Some(reply) = b.refusal() {
        return reply;
    }
    let Some(label) = label else {
        return errors(400, "label is required");
    };
    let Some(id) = resources.next_id(ResourceKind::Volumes) else {
        return full();
    };
    let value = json!({
        "id": id,
        "label": label,
        "size": size.map_or(20, |s| s as i64),
        "region": linode_region.or(region),
        "status": "active",
        "linode_id": linode.as_ref().and_then(|l| l.get("id")).cloned().unwrap_or(Value::Null),
        "linode_label": linode.as_ref().and_then(|l| l.get("label")).cloned().unwrap_or(Value::Null),
        "filesystem_path": filesystem_path(label),
        "tags": tags.unwrap_or_default(),
        "hardware_type": "nvme",
        "encryption": encryption.unwrap_or("disabled"),
        "created": now,
        "updated": now,
    });
    resources
        .collection_mut(ResourceKind::Volumes)
        .items
        .insert(id, value.clone());
    Reply::json(200, &value)
}

pub(super) fn update_volume(
    resources: &Resources,
    mut existing: Value,
    body: &Map<String, Value>,
    now: &str,
) -> Result<Value, Reply> {
    let id = existing.get("id").and_then(Value::as_i64);
    let mut b = Body::new(body);
    let label = b.string("label");
    check_volume_label(&mut b, resources, label, id);
    let tags = b.strings("tags");
    if let Some(reply) = b.refusal() {
        return Err(reply);
    }
    if let Value::Object(map) = &mut existing {
        if let Some(label) = label {
            map.insert("label".into(), json!(label));
            map.insert("filesystem_path".into(), json!(filesystem_path(label)));
        }
        if let Some(tags) = tags {
            map.insert("tags".into(), json!(tags));
        }
        map.insert("updated".into(), json!(now));
    }
    Ok(existing)
}

/// Applies the domain fields of `body` over `target` and checks the result: a valid domain
/// name no other domain (`domains`, except `id`) has, a `soa_email` for a master, master IPs
/// for a slave.
fn apply_domain(
    target: &mut Map<String, Value>,
    body: &Map<String, Value>,
    domains: &[(i64, String)],
    id: Option<i64>,
) -> Result<(), Reply> {
    let mut b = Body::new(body);
    if let Some(domain) = b.string("domain") {
        if !domain_ok(domain) {
            b.fail("domain", format!("{domain} is not a valid domain name"));
        } else if domains
            .iter()
            .any(|(other, name)| Some(*other) != id && name.eq_ignore_ascii_case(domain))
        {
            b.fail("domain", format!("Domain {domain} already exists"));
        } else {
            target.insert("domain".into(), json!(domain));
        }
    }
    if let Some(kind) = b.one_of("type", &["master", "slave"]) {
        target.insert("type".into(), json!(kind));
    }
    if let Some(status) = b.one_of("status", &["active", "disabled"]) {
        target.insert("status".into(), json!(status));
    }
    if let Some(email) = b.string("soa_email") {
        if email.contains('@') {
            target.insert("soa_email".into(), json!(email));
        } else {
            b.fail("soa_email", "soa_email must be an email address");
        }
    }
    for (field, max) in [("description", 253), ("group", 50)] {
        if let Some(text) = b.string(field) {
            if (1..=max).contains(&text.chars().count()) {
                target.insert(field.into(), json!(text));
            } else {
                b.fail(field, format!("{field} must be 1 to {max} characters"));
            }
        }
    }
    for field in ["tags", "master_ips", "axfr_ips"] {
        if let Some(list) = b.strings(field) {
            target.insert(field.into(), json!(list));
        }
    }
    for field in ["ttl_sec", "refresh_sec", "retry_sec", "expire_sec"] {
        if let Some(n) = b.whole_number(field) {
            target.insert(field.into(), json!(domain_interval(n)));
        }
    }
    if b.problems.is_empty() {
        let text = |f: &str| target.get(f).and_then(Value::as_str).unwrap_or("");
        let master = text("type") == "master";
        if master && text("soa_email").is_empty() {
            b.fail("soa_email", "soa_email is required for master domains");
        }
        let no_masters = target
            .get("master_ips")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty);
        if !master && no_masters {
            b.fail("master_ips", "master_ips is required for slave domains");
        }
    }
    match b.refusal() {
        Some(reply) => Err(reply),
        None => Ok(()),
    }
}

pub(super) fn create_domain(
    resources: &mut Resources,
    body: &Map<String, Value>,
    domains: &[(i64, String)],
) -> Reply {
    let mut b = Body::new(body);
    b.required("domain");
    b.required("type");
    if let Some(reply) = b.refusal() {
        return reply;
    }
    let mut map = Map::new();
    for (field, default) in [
        ("status", json!("active")),
        ("soa_email", json!("")),
        ("description", json!("")),
        ("group", json!("")),
        ("tags", json!([])),
        ("ttl_sec", json!(0)),
        ("refresh_sec", json!(0)),
        ("retry_sec", json!(0)),
        ("expire_sec", json!(0)),
        ("master_ips", json!([])),
        ("axfr_ips", json!([])),
    ] {
        map.insert(field.into(), default);
    }
    if let Err(reply) = apply_domain(&mut map, body, domains, None) {
        return reply;
    }
    let Some(id) = resources.next_id(ResourceKind::Domains) else {
        return full();
    };
    map.insert("id".into(), json!(id));
    let value = Value::Object(map);
    resources
        .collection_mut(ResourceKind::Domains)
        .items
        .insert(id, value.clone());
    Reply::json(200, &value)
}

pub(super) fn update_domain(
    mut existing: Value,
    body: &Map<String, Value>,
    domains: &[(i64, String)],
) -> Result<Value, Reply> {
    let id = existing.get("id").and_then(Value::as_i64);
    if let Value::Object(map) = &mut existing {
        apply_domain(map, body, domains, id)?;
    }
    Ok(existing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_domains() {
        assert!(instance_label_ok("web-1.a_b"));
        assert!(!instance_label_ok("1web"));
        assert!(!instance_label_ok("we"));
        assert!(instance_label_ok("web-"));
        assert!(instance_label_ok("KQ."));
        assert!(!instance_label_ok("web--1"));
        assert!(!instance_label_ok("web 1"));
        assert!(volume_label_ok("my-volume"));
        assert!(!volume_label_ok("my.volume"));
        assert!(!volume_label_ok(&"v".repeat(33)));
        assert_eq!(domain_interval(0.0), 0);
        assert_eq!(domain_interval(-5.0), 0);
        assert_eq!(domain_interval(1.0), 30);
        assert_eq!(domain_interval(300.0), 300);
        assert_eq!(domain_interval(301.0), 3_600);
        assert_eq!(domain_interval(1e30), 2_419_200);
        assert!(domain_ok("example.org"));
        assert!(domain_ok("*.a-b.example.co.uk"));
        assert!(domain_ok("example.xn--p1ai"));
        assert!(!domain_ok("example"));
        assert!(!domain_ok("example.o"));
        assert!(!domain_ok("exa mple.org"));
        assert!(!domain_ok("a..org"));
    }
}
