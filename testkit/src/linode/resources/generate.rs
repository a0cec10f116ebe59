//! The resources an account starts with, the same on every run: labels and domain names
//! carry the account's slug, fields cycle through fixed lists by sequence number.

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::{ResourceKind, Resources, INSTANCE_TYPES, MAX_PER_ACCOUNT, REGIONS};

const IMAGES: [&str; 3] = ["linode/debian12", "linode/ubuntu24.04", "linode/almalinux9"];
const ROLES: [&str; 5] = ["web", "db", "cache", "worker", "api"];
const VOLUME_SIZES: [i64; 4] = [20, 40, 100, 10];

fn timestamp(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

fn digest(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

impl Resources {
    /// The resources an account starts with: `counts` of each kind (in [`ResourceKind::ALL`]
    /// order), the same on every run. `euuid` is `None` for the parent.
    pub(in crate::linode) fn generated(
        block: i64,
        euuid: Option<&str>,
        counts: [usize; 3],
    ) -> Self {
        let slug = match euuid {
            None => "parent".to_owned(),
            Some(euuid) => digest(&format!("akamai-sdk-testkit account {euuid}"))[..4]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
        };
        let mut resources = Self {
            block,
            slug,
            collections: Default::default(),
        };
        for kind in ResourceKind::ALL {
            for _ in 0..counts[kind.index()].min(MAX_PER_ACCOUNT) {
                resources.add_generated(kind, Map::new());
            }
        }
        resources
    }

    /// Adds the next generated resource of `kind` with `fields` over the generated ones (the
    /// id stays the emulator's). `None` when the account is full.
    pub(in crate::linode) fn add_generated(
        &mut self,
        kind: ResourceKind,
        fields: Map<String, Value>,
    ) -> Option<Value> {
        let id = self.next_id(kind)?;
        let seq = self.collection(kind).last;
        let mut value = match kind {
            ResourceKind::Instances => self.generated_instance(id, seq),
            ResourceKind::Volumes => self.generated_volume(id, seq),
            ResourceKind::Domains => self.generated_domain(id, seq),
        };
        if let Value::Object(map) = &mut value {
            for (k, v) in fields {
                if k != "id" {
                    map.insert(k, v);
                }
            }
        }
        self.collection_mut(kind).items.insert(id, value.clone());
        Some(value)
    }

    fn created(&self, seq: usize) -> String {
        let base = chrono::NaiveDate::from_ymd_opt(2022, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap_or_default();
        timestamp(
            base + chrono::Duration::hours(seq as i64) + chrono::Duration::minutes(self.block % 60),
        )
    }

    fn generated_instance(&self, id: i64, seq: usize) -> Value {
        let tags = match seq % 3 {
            1 => vec!["env:prod".to_owned()],
            2 => vec!["env:staging".to_owned()],
            _ => Vec::new(),
        };
        instance(&NewInstance {
            id,
            label: format!("{}-{}-{seq:03}", ROLES[(seq - 1) % ROLES.len()], self.slug),
            region: REGIONS[(seq - 1) % REGIONS.len()],
            plan: INSTANCE_TYPES[(seq - 1) % INSTANCE_TYPES.len()],
            image: Some(IMAGES[(seq - 1) % IMAGES.len()]),
            status: if seq.is_multiple_of(5) {
                "offline"
            } else {
                "running"
            },
            group: "",
            tags,
            created: self.created(seq),
            private_ip: seq.is_multiple_of(4),
            backups: seq.is_multiple_of(2),
        })
    }

    fn generated_volume(&self, id: i64, seq: usize) -> Value {
        // Odd volumes are attached to the instance of the same number, when there is one.
        let attached = (seq % 2 == 1)
            .then(|| self.id(ResourceKind::Instances, seq))
            .and_then(|linode| self.collection(ResourceKind::Instances).items.get(&linode));
        let region = attached
            .and_then(|l| l.get("region"))
            .and_then(Value::as_str)
            .unwrap_or(REGIONS[(seq - 1) % REGIONS.len()]);
        let label = format!("vol-{}-{seq:03}", self.slug);
        let created = self.created(seq);
        json!({
            "id": id,
            "label": label,
            "size": VOLUME_SIZES[(seq - 1) % VOLUME_SIZES.len()],
            "region": region,
            "status": "active",
            "linode_id": attached.and_then(|l| l.get("id")).cloned().unwrap_or(Value::Null),
            "linode_label": attached.and_then(|l| l.get("label")).cloned().unwrap_or(Value::Null),
            "filesystem_path": filesystem_path(&label),
            "tags": if seq.is_multiple_of(2) { json!(["backup"]) } else { json!([]) },
            "hardware_type": "nvme",
            "encryption": "disabled",
            "created": created,
            "updated": created,
        })
    }

    fn generated_domain(&self, id: i64, seq: usize) -> Value {
        let domain = format!("{}-{seq:03}.example.com", self.slug);
        let slave = seq.is_multiple_of(3);
        json!({
            "id": id,
            "domain": domain,
            "type": if slave { "slave" } else { "master" },
            "status": "active",
            "soa_email": format!("hostmaster@{domain}"),
            "description": "",
            "group": "",
            "tags": if seq.is_multiple_of(2) { json!(["dns"]) } else { json!([]) },
            "ttl_sec": 0,
            "refresh_sec": 0,
            "retry_sec": 0,
            "expire_sec": 0,
            "master_ips": if slave { json!([format!("198.51.100.{}", seq % 254 + 1)]) } else { json!([]) },
            "axfr_ips": [],
        })
    }
}

pub(super) fn filesystem_path(label: &str) -> String {
    format!("/dev/disk/by-id/scsi-0Linode_Volume_{label}")
}

/// The API's specs of a Linode type: disk and memory in MB, transfer in GB.
fn specs(plan: &str) -> Option<Value> {
    let (disk, memory, vcpus, transfer, gpus) = match plan {
        "g6-nanode-1" => (25_600, 1_024, 1, 1_000, 0),
        "g6-standard-1" => (51_200, 2_048, 1, 2_000, 0),
        "g6-standard-2" => (81_920, 4_096, 2, 4_000, 0),
        "g6-standard-4" => (163_840, 8_192, 4, 5_000, 0),
        "g6-dedicated-2" => (81_920, 4_096, 2, 4_000, 0),
        "g6-dedicated-4" => (163_840, 8_192, 4, 5_000, 0),
        "g1-gpu-rtx6000-1" => (655_360, 32_768, 8, 16_000, 1),
        _ => return None,
    };
    Some(
        json!({"disk": disk, "memory": memory, "vcpus": vcpus, "transfer": transfer, "gpus": gpus}),
    )
}

/// What a new instance is made of.
pub(super) struct NewInstance<'a> {
    pub(super) id: i64,
    pub(super) label: String,
    pub(super) region: &'a str,
    pub(super) plan: &'a str,
    pub(super) image: Option<&'a str>,
    pub(super) status: &'a str,
    pub(super) group: &'a str,
    pub(super) tags: Vec<String>,
    pub(super) created: String,
    pub(super) private_ip: bool,
    pub(super) backups: bool,
}

/// An instance as the API returns it (`linode` in the spec).
pub(super) fn instance(new: &NewInstance<'_>) -> Value {
    let h = digest(&format!("akamai-sdk-testkit linode {}", new.id));
    let first = [45, 50, 66, 96, 139, 143][usize::from(h[0]) % 6];
    let mut ipv4 = vec![format!(
        "{first}.{}.{}.{}",
        h[1],
        h[2],
        u16::from(h[3]) % 254 + 1
    )];
    if new.private_ip {
        ipv4.push(format!(
            "192.168.{}.{}",
            128 + u16::from(h[4]) % 128,
            u16::from(h[5]) % 254 + 1
        ));
    }
    let specs = specs(new.plan).unwrap_or_else(|| json!({}));
    let vcpus = specs.get("vcpus").and_then(Value::as_i64).unwrap_or(1);
    let host_uuid: String = h[6..26].iter().map(|b| format!("{b:02x}")).collect();
    json!({
        "id": new.id,
        "label": new.label,
        "region": new.region,
        "type": new.plan,
        "status": new.status,
        "image": new.image,
        "created": new.created,
        "updated": new.created,
        "ipv4": ipv4,
        "ipv6": format!("2600:3c00::f03c:95ff:fe{:02x}:{:02x}{:02x}/128", h[26], h[27], h[28]),
        "tags": new.tags,
        "group": new.group,
        "hypervisor": "kvm",
        "specs": specs,
        "alerts": {"cpu": 90 * vcpus, "io": 10_000, "network_in": 10, "network_out": 10, "transfer_quota": 80},
        "backups": {
            "enabled": new.backups,
            "available": new.backups,
            "last_successful": null,
            "schedule": {"day": null, "window": null},
        },
        "watchdog_enabled": true,
        "host_uuid": host_uuid,
        "lke_cluster_id": null,
        "placement_group": null,
        "has_user_data": false,
        "capabilities": [],
    })
}

#[cfg(test)]
mod tests {
    use super::super::writes::{domain_ok, instance_label_ok, volume_label_ok};
    use super::*;

    #[test]
    fn every_type_has_specs() {
        for plan in INSTANCE_TYPES {
            assert!(specs(plan).is_some(), "{plan}");
        }
    }

    #[test]
    fn generation_is_deterministic_and_ids_are_disjoint() {
        let a = Resources::generated(2, Some("EUUID-A"), [5, 5, 5]);
        let again = Resources::generated(2, Some("EUUID-A"), [5, 5, 5]);
        let b = Resources::generated(3, Some("EUUID-B"), [5, 5, 5]);
        let parent = Resources::generated(1, None, [5, 5, 5]);
        for kind in ResourceKind::ALL {
            assert_eq!(a.list(kind), again.list(kind));
        }
        let ids = |r: &Resources| -> Vec<i64> {
            ResourceKind::ALL
                .iter()
                .flat_map(|k| r.list(*k))
                .filter_map(|v| v["id"].as_i64())
                .collect()
        };
        let mut all: Vec<i64> = [&a, &b, &parent].into_iter().flat_map(ids).collect();
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n);
        assert_eq!(ids(&parent)[0], 11_000_001);
        for v in a.list(ResourceKind::Instances) {
            assert!(instance_label_ok(v["label"].as_str().unwrap()), "{v}");
        }
        for v in a.list(ResourceKind::Volumes) {
            assert!(volume_label_ok(v["label"].as_str().unwrap()), "{v}");
        }
        for v in a.list(ResourceKind::Domains) {
            assert!(domain_ok(v["domain"].as_str().unwrap()), "{v}");
        }
        // The first volume is attached to the first instance, in its region.
        let (l, v) = (
            &a.list(ResourceKind::Instances)[0],
            &a.list(ResourceKind::Volumes)[0],
        );
        assert_eq!((&v["linode_id"], &v["region"]), (&l["id"], &l["region"]));
    }
}
